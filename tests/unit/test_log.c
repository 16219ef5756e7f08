/* SPDX-License-Identifier: MIT */
/* lib/log.c: "PROGRAM: message" on a plain stderr, "<N>message" when $JOURNAL_STREAM names the
 * very file stderr is (and only then: a stale or malformed value keeps the plain form). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "util.h"

/* stderr into a temp file for the test; the saved descriptor comes back in capture_end */
struct capture {
	int saved;
	FILE *f;
};

static void capture_begin(struct capture *c)
{
	fflush(stderr);
	c->f = tmpfile();
	assert_non_null(c->f);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	assert_true(dup2(fileno(c->f), STDERR_FILENO) >= 0);
}

/* What was written; caller frees. */
static char *capture_end(struct capture *c)
{
	fflush(stderr);
	assert_true(dup2(c->saved, STDERR_FILENO) >= 0);
	close(c->saved);
	char buf[512] = { 0 };
	rewind(c->f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, c->f);
	fclose(c->f);
	return xstrndup(buf, n);
}

/* $JOURNAL_STREAM set to what fd holds, as systemd sets it for a service's stderr */
static void journal_stream_from(int fd)
{
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	_cleanup_free_ char *v = xasprintf("%llu:%llu", (unsigned long long)st.st_dev,
					   (unsigned long long)st.st_ino);
	assert_int_equal(setenv("JOURNAL_STREAM", v, 1), 0);
}

static void test_plain(void **state)
{
	struct capture c;
	unsetenv("JOURNAL_STREAM");
	capture_begin(&c);
	vf_log_init("vfcap-test");
	log_error("cannot read %s: %s", "x", "gone");
	log_info("stopped");
	_cleanup_free_ char *got = capture_end(&c);
	assert_false(vf_log_to_journal());
	assert_string_equal(got, "vfcap-test: cannot read x: gone\nvfcap-test: stopped\n");
}

static void test_journal(void **state)
{
	struct capture c;
	capture_begin(&c);
	journal_stream_from(STDERR_FILENO);
	vf_log_init("vfcap-test");
	log_error("e");
	log_warning("w %d", 4);
	log_notice("n");
	log_info("i");
	vf_log(VF_LOG_DEBUG, "d");
	_cleanup_free_ char *got = capture_end(&c);
	assert_true(vf_log_to_journal());
	assert_string_equal(got, "<3>e\n<4>w 4\n<5>n\n<6>i\n<7>d\n");
	unsetenv("JOURNAL_STREAM");
	vf_log_init("vfcap-test");
}

/* Inherited by a child whose stderr went elsewhere (the hook under VDSM): not the journal. */
static void test_stale_stream(void **state)
{
	struct capture c;
	journal_stream_from(STDOUT_FILENO);
	capture_begin(&c);
	vf_log_init("vfcap-test");
	log_error("e");
	_cleanup_free_ char *got = capture_end(&c);
	assert_false(vf_log_to_journal());
	assert_string_equal(got, "vfcap-test: e\n");
	unsetenv("JOURNAL_STREAM");
}

static void test_malformed_stream(void **state)
{
	struct stat st;
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	_cleanup_free_ char *junk = xasprintf("%llu:%llux", (unsigned long long)st.st_dev,
					      (unsigned long long)st.st_ino);
	const char *bad[] = { "", ":", "1", "1:", ":1", "a:b", junk };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(setenv("JOURNAL_STREAM", bad[i], 1), 0);
		vf_log_init("vfcap-test");
		assert_false(vf_log_to_journal());
	}
	unsetenv("JOURNAL_STREAM");
}

static void test_line(void **state)
{
	unsetenv("JOURNAL_STREAM");
	vf_log_init("vfcap-hook");
	_cleanup_free_ char *plain = vf_log_line(VF_LOG_ERR, "%s: no answer", "x");
	assert_string_equal(plain, "vfcap-hook: x: no answer");
	journal_stream_from(STDERR_FILENO);
	vf_log_init("vfcap-hook");
	_cleanup_free_ char *journal = vf_log_line(VF_LOG_ERR, "%s: no answer", "x");
	assert_string_equal(journal, "<3>x: no answer");
	unsetenv("JOURNAL_STREAM");
	vf_log_init("vfcap-hook");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_journal),
		cmocka_unit_test(test_stale_stream),
		cmocka_unit_test(test_malformed_stream),
		cmocka_unit_test(test_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
