/* SPDX-License-Identifier: MIT */
/* The hook's watchdog (hook/watchdog.c): disarmed in time it does nothing; past its deadline
 * the process writes the line and exits 2 (checked in a child). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"
#include "watchdog.h"

static void test_disarmed_in_time(void **state)
{
	struct vf_watchdog *w = vf_watchdog_arm(30, "never shown");
	assert_non_null(w);
	vf_watchdog_disarm(w);
	vf_watchdog_disarm(NULL);
}

static void test_fires(void **state)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		vf_watchdog_arm(1, "vfcap-hook: x: libvirt test: no answer within 1 s");
		for (;;)
			pause(); /* a libvirt call that never returns */
	}
	close(p[1]);
	char buf[256] = "";
	size_t len = 0;
	ssize_t k;
	while ((k = read(p[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)k;
	close(p[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 2);
	assert_string_equal(buf, "vfcap-hook: x: libvirt test: no answer within 1 s\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disarmed_in_time),
		cmocka_unit_test(test_fires),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
