/* SPDX-License-Identifier: MIT */
/* Following (filter/source-http-follow.c) through vf_sources, against
 * tests/filter/report-server.py, whose follow-* hosts hold long-polls as vfcap-report serve does
 * and whose other hosts ignore Prefer: a change reaches the cache without a lookup fetching it,
 * a held long-poll's timeout re-arms it, a reporter without long-poll falls back to fetching
 * per cache_max_age, and one that dies is fetched again at once, its error backed off, and
 * followed again once back; and against a real `vfcap-report serve` (the binary beside this
 * test's build directory; skipped when not built), the protocol end to end. Conditions are waited for with a hang bound, never timed. Run from
 * the repository root. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "model.h"
#include "source-helpers.h"
#include "source.h"
#include "util.h"
#include "report-server.h"

#define T0 1800000000
#define FETCH_MS 60000

static struct vf_sources *follow_sources(int follow_wait)
{
	_cleanup_free_ char *tmpl = xasprintf("http://127.0.0.1:%d/{host_id}/v1/report", server_port);
	struct vf_source_opts o = { .url_template = tmpl, .timeout_ms = FETCH_MS, .cache_max_age = 10,
				    .max_parallel = 4, .backoff_max = 20, .follow_wait = follow_wait };
	struct vf_sources *s = NULL;
	_cleanup_free_ char *err = NULL;
	if (vf_sources_new(&o, &s, &err) < 0)
		fail_msg("vf_sources_new: %s", err);
	return s;
}

/* Waits (at most HANG_S) until what(s) holds: a hang bound, not a speed limit. */
#define UNTIL(cond)                                                                                \
	do {                                                                                       \
		double until_end_ = now_s() + HANG_S;                                              \
		while (!(cond) && now_s() < until_end_)                                            \
			usleep(20000);                                                             \
		if (!(cond))                                                                       \
			fail_msg("not within %g s: %s", HANG_S, #cond);                            \
	} while (0)

static int free_of(struct vf_sources *s, const char *id, time_t now)
{
	_cleanup_cap_ struct vf_host_entry *c = lookup1(s, id, now);
	return c->error ? -100 : c->free;
}

static void test_follow_opts(_unused_ void **state)
{
	struct vf_source_opts o = { .url_template = "http://h/{host_id}", .timeout_ms = 1000,
				    .max_parallel = 1, .follow_wait = VF_FOLLOW_WAIT_MAX + 1 };
	struct vf_sources *s = NULL;
	_cleanup_free_ char *err = NULL;
	assert_int_equal(vf_sources_new(&o, &s, &err), -EINVAL);
	assert_contains(err, "follow wait 301 s: must be 0 (off) to 300");
	assert_null(s);
}

/* A change reaches the cache through the held long-poll: the lookup after it, still within
 * cache_max_age of the first fetch, sees it without a fetch of its own. */
static void test_follow_change(_unused_ void **state)
{
	_cleanup_free_ char *r3 = report(3), *r4 = small_report(4, "2026-11-18T11:00:10Z");
	put(srvdir, "follow-a.json", r3);
	_cleanup_sources_ struct vf_sources *s = follow_sources(30);
	assert_int_equal(free_of(s, "follow-a", T0), 3);
	UNTIL(stats(s).http_following == 1 && server_stat("held") == 1);
	int requests = server_stat("requests");
	put(srvdir, "follow-a.json", r4);
	UNTIL(stats(s).http_polls_changed == 1);
	assert_int_equal(free_of(s, "follow-a", T0 + 1), 4);
	UNTIL(server_stat("held") == 1); /* re-armed with the new ETag */
	struct vf_source_stats st = stats(s);
	assert_int_equal(st.http_following, 1);
	assert_int_equal(st.http_polls, 1);
	assert_int_equal(st.http_requests, 1); /* one fetch; the rest were long-polls */
	assert_int_equal(st.http_fallbacks, 0);
	assert_int_equal(server_stat("requests"), requests + 1);
	/* long past cache_max_age, still answered from memory: the long-poll keeps it current */
	assert_int_equal(free_of(s, "follow-a", T0 + 1000), 4);
	assert_int_equal(stats(s).http_requests, 1);
}

/* A long-poll held for its whole wait ends in a 304, which re-arms it; the entry stays. */
static void test_follow_timeout(_unused_ void **state)
{
	_cleanup_free_ char *r5 = report(5);
	put(srvdir, "follow-t.json", r5);
	_cleanup_sources_ struct vf_sources *s = follow_sources(1);
	_cleanup_cap_ struct vf_host_entry *c1 = lookup1(s, "follow-t", T0);
	UNTIL(stats(s).http_polls_unchanged >= 2);
	_cleanup_cap_ struct vf_host_entry *c2 = lookup1(s, "follow-t", T0 + 100);
	assert_ptr_equal(c1, c2);
	struct vf_source_stats st = stats(s);
	assert_int_equal(st.http_following, 1);
	assert_int_equal(st.http_polls_changed, 0);
	assert_int_equal(st.http_requests, 1);
}

/* A reporter that ignores Prefer (no Preference-Applied): one long-poll tried, then fetched per
 * cache_max_age as without following, and not tried again before backoff_max. */
static void test_follow_fallback(_unused_ void **state)
{
	_cleanup_free_ char *r6 = report(6);
	put(srvdir, "plain-f.json", r6);
	_cleanup_sources_ struct vf_sources *s = follow_sources(30);
	int polls = server_stat("polls");
	assert_int_equal(free_of(s, "plain-f", T0), 6);
	UNTIL(stats(s).http_fallbacks == 1);
	assert_int_equal(server_stat("polls"), polls + 1);
	assert_int_equal(stats(s).http_following, 0);
	assert_int_equal(free_of(s, "plain-f", T0 + 5), 6); /* fresh: no request */
	assert_int_equal(stats(s).http_requests, 1);
	assert_int_equal(free_of(s, "plain-f", T0 + 11), 6); /* stale: fetched (a 304) */
	struct vf_source_stats st = stats(s);
	assert_int_equal(st.http_requests, 2);
	assert_int_equal(st.http_not_modified, 1);
	assert_int_equal(st.http_polls, 0);
	assert_int_equal(server_stat("polls"), polls + 1); /* not before backoff_max (20 s) */
}

/* A server that says Preference-Applied but answers at once, unchanged: after 20 of those in a
 * row, the host is fetched per cache_max_age instead (no loop of immediate requests). */
static void test_follow_quick(_unused_ void **state)
{
	_cleanup_free_ char *r8 = report(8);
	put(srvdir, "quick-q.json", r8);
	_cleanup_sources_ struct vf_sources *s = follow_sources(30);
	int polls = server_stat("polls");
	assert_int_equal(free_of(s, "quick-q", T0), 8);
	UNTIL(stats(s).http_fallbacks == 1);
	struct vf_source_stats st = stats(s);
	assert_int_equal(st.http_following, 0);
	assert_int_equal(st.http_polls_unchanged, 19); /* the 20th made it fall back */
	usleep(200000);
	assert_int_equal(server_stat("polls"), polls + 20);
}

/* A reporter that goes away: the long-poll fails, the host is fetched again at once, and that
 * error is the entry (backed off as any); once back, the retry finds it and following resumes. */
static void test_follow_die_and_back(_unused_ void **state)
{
	_cleanup_free_ char *r7 = report(7), *path = xasprintf("%s/follow-d.json", srvdir);
	put(srvdir, "follow-d.json", r7);
	_cleanup_sources_ struct vf_sources *s = follow_sources(30);
	assert_int_equal(free_of(s, "follow-d", T0), 7);
	UNTIL(stats(s).http_following == 1);
	assert_int_equal(unlink(path), 0); /* the long-poll answers 404 */
	UNTIL(stats(s).http_polls_failed == 1 && stats(s).http_fetching == 0);
	_cleanup_cap_ struct vf_host_entry *gone = lookup1(s, "follow-d", T0 + 1);
	assert_contains(gone->error, "HTTP 404");
	struct vf_source_stats st = stats(s);
	assert_int_equal(st.http_following, 0);
	assert_int_equal(st.http_requests, 2);
	put(srvdir, "follow-d.json", r7);
	assert_int_equal(free_of(s, "follow-d", T0 + 5), -100); /* backoff: not fetched */
	assert_int_equal(stats(s).http_requests, 2);
	assert_int_equal(free_of(s, "follow-d", T0 + 12), -100); /* due: retried, not waited for */
	UNTIL(stats(s).http_following == 1);
	assert_int_equal(free_of(s, "follow-d", T0 + 12), 7);
	assert_int_equal(stats(s).http_requests, 3);
}

/* ---- against a real vfcap-report serve (the intel64 fixture: nothing to watch) ---- */

#define FIXTURE "tests/fixtures/hosts/intel64"

/* build/.../tests/test_filter_follow -> build/.../vfcap-report */
static char *reporter_path(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return xasprintf("%s/../vfcap-report", self);
}

/* Starts serve on 127.0.0.1, its port from its first log line; the pid, or -1. */
static pid_t start_reporter(const char *bin, int *port)
{
	_cleanup_free_ char *cwd = getcwd(NULL, 0), *uri = xasprintf("test://%s/" FIXTURE "/libvirt.xml", cwd);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(p[1], STDERR_FILENO);
		unsetenv("SOURCE_DATE_EPOCH"); /* the read after SIGHUP must differ: its own time */
		execl(bin, bin, "serve", "--listen", "127.0.0.1:0", "--sysfs-root", FIXTURE "/sysfs", "--netlink-file",
		      FIXTURE "/netlink.bin", "--libvirt-uri", uri, "--config", FIXTURE "/vfcap.conf", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	FILE *f = fdopen(p[0], "r");
	char line[512];
	const char *at = NULL;
	while (f && fgets(line, sizeof(line), f) && !(at = strstr(line, "(port ")))
		;
	*port = at ? atoi(at + 6) : 0;
	if (f)
		fclose(f); /* serve logs little more; a closed pipe only loses that */
	return *port > 0 ? pid : -1;
}

/* The real reporter holds the filter's long-poll (Preference-Applied), and a report it publishes
 * (SIGHUP: read at the next request, which the long-poll ending after 1 s makes) replaces the
 * entry through the long-poll. */
static void test_follow_real_serve(_unused_ void **state)
{
	_cleanup_free_ char *bin = reporter_path();
	if (!bin || access(bin, X_OK) != 0)
		skip();
	int port = 0;
	pid_t pid = start_reporter(bin, &port);
	assert_true(pid > 0);
	_cleanup_free_ char *tmpl = xasprintf("http://127.0.0.1:%d/v1/report?host={host_id}", port);
	struct vf_source_opts o = { .url_template = tmpl, .timeout_ms = FETCH_MS, .cache_max_age = 10,
				    .max_parallel = 4, .follow_wait = 1 };
	_cleanup_sources_ struct vf_sources *s = NULL;
	assert_int_equal(vf_sources_new(&o, &s, NULL), 0);
	_cleanup_cap_ struct vf_host_entry *c1 = lookup1(s, "intel64", T0);
	assert_null(c1->error);
	UNTIL(stats(s).http_polls_unchanged >= 1);
	assert_int_equal(stats(s).http_fallbacks, 0);
	assert_int_equal(stats(s).http_following, 1);
	kill(pid, SIGHUP);
	UNTIL(stats(s).http_polls_changed >= 1);
	_cleanup_cap_ struct vf_host_entry *c2 = lookup1(s, "intel64", T0 + 1000);
	assert_ptr_not_equal(c1, c2); /* the new report (a new generated_at), from memory */
	assert_int_equal(c2->free, c1->free);
	assert_int_equal(stats(s).http_requests, 1);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static int setup(void **state)
{
	return server_setup(state, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_follow_opts),     cmocka_unit_test(test_follow_change),
		cmocka_unit_test(test_follow_timeout),  cmocka_unit_test(test_follow_fallback),
		cmocka_unit_test(test_follow_quick),    cmocka_unit_test(test_follow_die_and_back),
		cmocka_unit_test(test_follow_real_serve),
	};
	return cmocka_run_group_tests(tests, setup, server_teardown);
}
