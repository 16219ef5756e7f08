/* SPDX-License-Identifier: MIT */
/* filter/source-http.c through vf_sources, against tests/filter/report-server.py on 127.0.0.1:
 * URL templates, fetches, the ETag cache (304s, failures cached too), parallel and concurrent
 * lookups, errors and timeouts, host addresses from a resolver, and a reports directory and
 * HTTP together. The directory source is tested in test_filter_source_dir.c; shared helpers are in
 * source-helpers.h, the report server in report-server.h. Run from the repository root. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "model.h"
#include "source-helpers.h"
#include "source.h"
#include "util.h"
#include "report-server.h"

#define T0 1800000000 /* a lookup's `now` in the HTTP tests */
/* The timeout of fetches no test means to time out: a hang bound, not a speed limit (the 16 MiB
 * answer of test_http_errors takes about a second under valgrind; a busy machine, several). */
#define FETCH_MS 60000

/* ---- HTTP, against tests/filter/report-server.py ---- */

static void server_reset(void)
{
	json_object_put(server_get("/reset"));
}

static char *url_of(const char *id)
{
	return xasprintf("http://127.0.0.1:%d/%s/v1/report", server_port, id);
}

/* Sources from O against the test server, its counters reset. */
static struct vf_sources *new_sources(const struct vf_source_opts *o)
{
	struct vf_sources *s = NULL;
	_cleanup_free_ char *err = NULL;
	if (vf_sources_new(o, &s, &err) < 0)
		fail_msg("vf_sources_new: %s", err);
	server_reset();
	return s;
}
static struct vf_sources *web_sources(const char *dir, const char *query, int timeout_ms,
				      int max_parallel, int (*resolve)(void *, const char *, time_t, char **, char **),
				      void *ctx)
{
	_cleanup_free_ char *tmpl = xasprintf("http://%s:%d/{host_id}/v1/report%s",
					      resolve ? "{address}" : "127.0.0.1", server_port, query);
	struct vf_source_opts o = { .reports_dir = dir, .rescan_interval = 3600, .url_template = tmpl,
				    .timeout_ms = timeout_ms, .cache_max_age = 10,
				    .max_parallel = max_parallel, .resolve = resolve, .resolve_ctx = ctx };
	return new_sources(&o);
}

/* The entry's error is exactly "URL-of-id: what". */
static void assert_url_error(const struct vf_host_entry *c, const char *what)
{
	_cleanup_free_ char *url = url_of(c->host_id), *want = xasprintf("%s: %s", url, what);
	assert_non_null(c->error);
	assert_string_equal(c->error, want);
	assert_int_equal(c->free, UNKNOWN);
}

/* web-1 (free 31) on the server, for the tests that need one good host */
static void serve_web1(void)
{
	_cleanup_free_ char *r = report(31);
	put(srvdir, "web-1.json", r);
}

static void test_http_opts(_unused_ void **state)
{
	static const struct {
		const char *tmpl, *want;
	} bad[] = {
		{ "ftp://h/{host_id}", "must start with http:// or https://" },
		{ "http://h/{hostid}", "unknown placeholder at '{hostid}'" },
		{ "http://h/report", "has neither {host_id} nor {address}" },
		{ "https://{address}/report", "{address} needs the engine's host addresses" },
	};
	struct vf_source_opts o = { .timeout_ms = 1000, .cache_max_age = 10, .max_parallel = 4 };
	struct vf_sources *s = NULL;
	_cleanup_free_ char *err = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		o.url_template = bad[i].tmpl;
		assert_int_equal(vf_sources_new(&o, &s, &err), -EINVAL);
		assert_contains(err, bad[i].want);
	}
	o.url_template = "http://h/{host_id}";
	o.max_parallel = 0;
	assert_int_equal(vf_sources_new(&o, &s, &err), -EINVAL);
	o.max_parallel = 1;
	o.timeout_ms = 0;
	assert_int_equal(vf_sources_new(&o, &s, &err), -EINVAL);
	assert_null(s);
}

static void test_http_fetch(_unused_ void **state)
{
	_cleanup_free_ char *r = report(31), *intel = slurp(INTEL64);
	put(srvdir, "web-1.json", r);
	put(srvdir, "web-intel.json", intel);
	_cleanup_sources_ struct vf_sources *s = web_sources(NULL, "", FETCH_MS, 4, NULL, NULL);
	const char *ids[] = { "web-1", "web-intel", "web-none" };
	struct vf_host_entry *out[3];
	vf_sources_lookup(s, ids, 3, T0, out);
	assert_null(out[0]->error);
	assert_int_equal(out[0]->free, 31);
	assert_int_equal(out[1]->n_pfs, 2);
	assert_string_equal(out[1]->pfs[0].physical_network, "physnet1");
	assert_int_equal(out[1]->pfs[0].free, 54);
	assert_url_error(out[2], "HTTP 404");
	for (int i = 0; i < 3; i++)
		vf_entry_unref(out[i]);
	assert_int_equal(server_stat("requests"), 3);
	struct vf_source_stats st = stats(s);
	assert_int_equal(st.http_requests, 3);
	assert_int_equal(st.http_errors, 1);
}

static void test_http_cache(_unused_ void **state)
{
	_cleanup_free_ char *r3 = report(3);
	_cleanup_free_ char *r4 = small_report(4, "2026-11-18T11:00:10Z");
	put(srvdir, "web-c.json", r3);
	_cleanup_sources_ struct vf_sources *s = web_sources(NULL, "", FETCH_MS, 4, NULL, NULL);
	_cleanup_cap_ struct vf_host_entry *c1 = lookup1(s, "web-c", T0);
	assert_int_equal(c1->free, 3);
	_cleanup_cap_ struct vf_host_entry *c2 = lookup1(s, "web-c", T0 + 9); /* fresh: no request */
	assert_ptr_equal(c1, c2);
	assert_int_equal(server_stat("requests"), 1);
	_cleanup_cap_ struct vf_host_entry *c3 = lookup1(s, "web-c", T0 + 10); /* stale: 304 */
	assert_ptr_equal(c1, c3);
	assert_int_equal(server_stat("requests"), 2);
	assert_int_equal(server_stat("not_modified"), 1);
	assert_int_equal(stats(s).http_not_modified, 1);
	_cleanup_cap_ struct vf_host_entry *c4 = lookup1(s, "web-c", T0 + 19); /* the 304 refreshed it */
	assert_ptr_equal(c1, c4);
	assert_int_equal(server_stat("requests"), 2);
	put(srvdir, "web-c.json", r4);
	_cleanup_cap_ struct vf_host_entry *c5 = lookup1(s, "web-c", T0 + 20); /* changed: 200 */
	assert_int_equal(c5->free, 4);
	assert_int_equal(c5->generated_at, c1->generated_at + 10);
	assert_int_equal(server_stat("not_modified"), 1);
	/* failures are cached too: a dead reporter costs one timeout per max age */
	_cleanup_cap_ struct vf_host_entry *e1 = lookup1(s, "status503-c", T0);
	_cleanup_cap_ struct vf_host_entry *e2 = lookup1(s, "status503-c", T0 + 5);
	assert_ptr_equal(e1, e2);
	assert_url_error(e2, "HTTP 503");
	assert_int_equal(server_stat("requests"), 4);
}

/* The cache keeps at most cache_max hosts: a client asking about ever new host ids cannot make
 * it grow. Full of fresh entries, it keeps no new answer (the answer is still given); once they
 * are stale, they make room. */
static void test_http_cache_bounded(_unused_ void **state)
{
	serve_web1();
	_cleanup_free_ char *tmpl = xasprintf("http://127.0.0.1:%d/{host_id}/v1/report", server_port);
	struct vf_source_opts o = { .url_template = tmpl, .timeout_ms = FETCH_MS, .cache_max_age = 10,
				    .cache_max = 4, .max_parallel = 4 };
	_cleanup_sources_ struct vf_sources *s = NULL;
	_cleanup_free_ char *err = NULL;
	assert_int_equal(vf_sources_new(&o, &s, &err), 0);
	server_reset();
	const char *first[] = { "web-1", "gone-1", "gone-2", "gone-3" }, *more[] = { "gone-4", "gone-5" };
	struct vf_host_entry *out[4];
	vf_sources_lookup(s, first, 4, T0, out);
	for (int i = 0; i < 4; i++)
		vf_entry_unref(out[i]);
	assert_int_equal(stats(s).http_cached, 4);
	vf_sources_lookup(s, more, 2, T0 + 1, out); /* full of fresh entries: answered, not kept */
	assert_url_error(out[0], "HTTP 404");
	vf_entry_unref(out[0]);
	vf_entry_unref(out[1]);
	struct vf_source_stats st = stats(s);
	assert_int_equal(st.http_cached, 4);
	assert_int_equal(st.http_uncached, 2);
	_cleanup_cap_ struct vf_host_entry *c = lookup1(s, "web-1", T0 + 2); /* still cached */
	assert_int_equal(c->free, 31);
	assert_int_equal(server_stat("requests"), 6);
	vf_sources_lookup(s, more, 2, T0 + 11, out); /* the first four are stale now: they go */
	vf_entry_unref(out[0]);
	vf_entry_unref(out[1]);
	st = stats(s);
	assert_int_equal(st.http_cached, 2);
	assert_int_equal(st.http_uncached, 2);
	_cleanup_cap_ struct vf_host_entry *again = lookup1(s, "gone-5", T0 + 12); /* kept this time */
	assert_url_error(again, "HTTP 404");
	assert_int_equal(server_stat("requests"), 8);
	o.cache_max = -1;
	struct vf_sources *bad = NULL;
	assert_int_equal(vf_sources_new(&o, &bad, &err), -EINVAL);
	assert_contains(err, "HTTP cache size -1: must not be negative");
}

/* max_parallel fetches at once, no more: the server holds each request until limit of them are
 * in flight together (together=N, a latch), so that the parallelism shows however slow the
 * machine; a client that fetched fewer at once would get 503s after 30 s. */
static void test_http_parallel(_unused_ void **state)
{
	enum { N = 50 };
	char names[N][16];
	const char *ids[N];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "par-%d", i);
		ids[i] = names[i];
		_cleanup_free_ char *f = xasprintf("%s.json", names[i]), *r = report(i);
		put(srvdir, f, r);
	}
	for (int limit = 8; limit <= N; limit += N - 8) {
		_cleanup_free_ char *query = xasprintf("?delay_ms=100&together=%d", limit);
		_cleanup_sources_ struct vf_sources *s =
			web_sources(NULL, query, FETCH_MS, limit, NULL, NULL);
		struct vf_host_entry *out[N];
		double start = now_s();
		vf_sources_lookup(s, ids, N, T0, out);
		double took = now_s() - start;
		for (int i = 0; i < N; i++) {
			if (out[i]->error || out[i]->free != i)
				fail_msg("%s: %s", ids[i], out[i]->error);
			vf_entry_unref(out[i]);
		}
		int most = server_stat("max_in_flight");
		print_message("  %d hosts, 100 ms each, at most %d at once: %.0f ms, %d in flight at most\n",
			      N, limit, took * 1e3, most);
		assert_int_equal(server_stat("requests"), N);
		assert_int_equal(most, limit); /* as many as it may: together= saw them */
		/* at most 8 at once, each answer 100 ms or more: some slot had 7 in a row */
		if (limit == 8)
			assert_true(took >= 0.65);
	}
}

static void test_http_errors(_unused_ void **state)
{
	_cleanup_free_ char *intel = slurp(INTEL64);
	_cleanup_free_ char *bad = replace(intel, "\"free\": 54,", "\"free\": -54,");
	put(srvdir, "web-badfield.json", bad);
	_cleanup_sources_ struct vf_sources *s = web_sources(NULL, "", FETCH_MS, 4, NULL, NULL);
	const char *ids[] = { "status500-e", "garbage-e", "web-badfield", "big-e" };
	struct vf_host_entry *out[4];
	vf_sources_lookup(s, ids, 4, T0, out);
	assert_url_error(out[0], "HTTP 500");
	assert_url_error(out[3], "report larger than 16777216 bytes");
	_cleanup_free_ char *u1 = url_of(ids[1]), *u2 = url_of(ids[2]);
	_cleanup_free_ char *w1 = xasprintf("%s: JSON: byte 0: ", u1);
	_cleanup_free_ char *w2 = xasprintf("%s: pfs[0].free: ", u2);
	if (!startswith(out[1]->error, w1) || !startswith(out[2]->error, w2))
		fail_msg("got '%s' and '%s'", out[1]->error, out[2]->error);
	for (int i = 0; i < 4; i++)
		vf_entry_unref(out[i]);
	assert_int_equal(stats(s).http_errors, 4);

	/* nothing listens: the message names the URL and libcurl's reason */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd); /* bound, never listened: refused */
	_cleanup_free_ char *tmpl = xasprintf("http://127.0.0.1:%d/{host_id}", ntohs(a.sin_port));
	struct vf_source_opts o = { .url_template = tmpl, .timeout_ms = FETCH_MS, .max_parallel = 1 };
	_cleanup_sources_ struct vf_sources *dead = NULL;
	assert_int_equal(vf_sources_new(&o, &dead, NULL), 0);
	_cleanup_cap_ struct vf_host_entry *c = lookup1(dead, "x", T0);
	_cleanup_free_ char *want = xasprintf("http://127.0.0.1:%d/x: ", ntohs(a.sin_port));
	assert_true(startswith(c->error, want));
	assert_contains(c->error, "onnect");
}

static void test_http_timeout(_unused_ void **state)
{
	serve_web1();
	_cleanup_sources_ struct vf_sources *s = web_sources(NULL, "", 300, 4, NULL, NULL);
	const char *ids[] = { "sleep-1", "sleep-2", "web-1" };
	struct vf_host_entry *out[3];
	double start = now_s();
	vf_sources_lookup(s, ids, 3, T0, out);
	double took = now_s() - start;
	print_message("  two timeouts of 300 ms in parallel: %.0f ms\n", took * 1e3);
	/* Not before the timeout; that it ended the fetches, not the server's answer 3 s later,
	 * the errors say (an upper bound on the time would only measure the machine). */
	assert_true(took >= 0.28);
	assert_url_error(out[0], "timed out after 300 ms");
	assert_url_error(out[1], "timed out after 300 ms");
	assert_int_equal(out[2]->free, 31);
	for (int i = 0; i < 3; i++)
		vf_entry_unref(out[i]);
}

static struct vf_sources *deadline_sources(int deadline_ms, int timeout_ms, int backoff_max)
{
	_cleanup_free_ char *tmpl = xasprintf("http://127.0.0.1:%d/{host_id}/v1/report", server_port);
	struct vf_source_opts o = { .url_template = tmpl, .timeout_ms = timeout_ms, .cache_max_age = 10,
				    .max_parallel = 4, .call_deadline_ms = deadline_ms, .backoff_max = backoff_max };
	return new_sources(&o);
}

/* Until no fetch is queued or running (at most 10 s). */
static void settle(struct vf_sources *s)
{
	for (int i = 0; i < 200 && stats(s).http_fetching; i++)
		usleep(50000);
	assert_int_equal(stats(s).http_fetching, 0);
}

static double lookup_took(struct vf_sources *s, const char *const *ids, size_t n, time_t now,
			  struct vf_host_entry **out)
{
	double start = now_s();
	vf_sources_lookup(s, ids, n, now, out);
	return now_s() - start;
}

static void unref_all(struct vf_host_entry **out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vf_entry_unref(out[i]);
}

/* A lookup waits for its fetches until call_deadline, not longer: hosts without an answer by
 * then are missing (an error entry), their fetches go on for the cache, and the next lookups
 * neither wait for them nor fetch them again. */
static void test_http_deadline(_unused_ void **state)
{
	serve_web1();
	_cleanup_sources_ struct vf_sources *s = deadline_sources(300, 10000, 0);
	const char *ids[] = { "sleep-d1", "sleep-d2", "web-1" };
	struct vf_host_entry *out[3];
	double took = lookup_took(s, ids, 3, T0, out);
	print_message("  two hosts answering in 3 s, call_deadline 300 ms: %.0f ms\n", took * 1e3);
	assert_true(took >= 0.29 && took < 1.5);
	_cleanup_free_ char *u = url_of(ids[0]);
	_cleanup_free_ char *want = xasprintf("%s: no answer within call_deadline (0.3 s); still fetching", u);
	assert_string_equal(out[0]->error, want);
	assert_contains(out[1]->error, "no answer within call_deadline");
	assert_int_equal(out[2]->free, 31);
	unref_all(out, 3);
	struct vf_source_stats st = stats(s);
	assert_int_equal(st.http_late, 2);
	assert_int_equal(st.http_fetching, 2);

	took = lookup_took(s, ids, 3, T0 + 1, out); /* right after: backoff */
	print_message("  the same lookup right after: %.1f ms\n", took * 1e3);
	assert_true(took < 0.2);
	assert_string_equal(out[0]->error, want);
	assert_int_equal(out[2]->free, 31);
	unref_all(out, 3);
	st = stats(s);
	assert_int_equal(st.http_late, 2);
	assert_int_equal(st.http_backoff, 2);
	assert_int_equal(server_stat("requests"), 3); /* one fetch per host */

	settle(s); /* the server answers 404 after its 3 s: into the cache */
	took = lookup_took(s, ids, 3, T0 + 4, out);
	assert_true(took < 0.2);
	assert_url_error(out[0], "HTTP 404");
	assert_url_error(out[1], "HTTP 404");
	unref_all(out, 3);
	assert_int_equal(server_stat("requests"), 3);

	/* stopping with a fetch running does not wait for it */
	const char *more[] = { "sleep-d3" };
	vf_sources_lookup(s, more, 1, T0 + 5, out);
	vf_entry_unref(out[0]);
	double start = now_s();
	vf_sources_free(TAKE_PTR(s));
	assert_true(now_s() - start < 1.0);
}

/* A failing host is not waited for again: its failure is cached for cache_max_age (10 s here),
 * doubled per failure in a row up to backoff_max (15 s); once stale it is fetched again in the
 * background while lookups answer with it, and a reporter that came back is seen right after.
 * An answer's age counts from when it came: sleep-b's, 3 s after it was asked. */
static void test_http_backoff(_unused_ void **state)
{
	_cleanup_sources_ struct vf_sources *s = deadline_sources(0, 10000, 15);
	const char *ids[] = { "back-1", "sleep-b" };
	struct vf_host_entry *out[2];
	lookup_took(s, ids, 2, T0, out); /* new hosts, no deadline: waited for (3 s) */
	assert_url_error(out[0], "HTTP 404");
	assert_url_error(out[1], "HTTP 404");
	unref_all(out, 2);
	lookup_took(s, ids, 2, T0 + 9, out); /* fresh failures */
	unref_all(out, 2);
	assert_int_equal(server_stat("requests"), 2);
	double took = lookup_took(s, ids, 2, T0 + 14, out); /* stale: fetched again, not waited for */
	print_message("  two failing hosts due for a retry: %.1f ms\n", took * 1e3);
	assert_true(took < 0.5);
	assert_url_error(out[1], "HTTP 404");
	unref_all(out, 2);
	assert_int_equal(stats(s).http_backoff, 2);
	settle(s);
	assert_int_equal(server_stat("requests"), 4);
	lookup_took(s, ids, 2, T0 + 28, out); /* second failure: 20 s, capped at 15 */
	unref_all(out, 2);
	assert_int_equal(server_stat("requests"), 4);
	_cleanup_free_ char *r = report(31);
	put(srvdir, "back-1.json", r);
	lookup_took(s, ids, 2, T0 + 30, out); /* back-1 due: the retry finds the reporter back */
	assert_url_error(out[0], "HTTP 404");
	unref_all(out, 2);
	settle(s);
	_cleanup_cap_ struct vf_host_entry *back = lookup1(s, "back-1", T0 + 30);
	assert_null(back->error);
	assert_int_equal(back->free, 31);
	assert_int_equal(server_stat("requests"), 5);
}

struct resolver {
	int calls;
	time_t now;
};

static int resolve(void *ctx, const char *id, time_t now, char **address, char **errmsg)
{
	struct resolver *r = ctx;
	r->calls++;
	r->now = now;
	if (streq(id, "unknown")) {
		*errmsg = xstrdup("engine https://e/api/hosts: no host unknown");
		return -ENOENT;
	}
	if (streq(id, "silent"))
		return -EHOSTUNREACH;
	*address = xstrdup(streq(id, "evil") ? "127.0.0.1/x?" : streq(id, "v6") ? "::1" : "127.0.0.1");
	return 0;
}

static void test_http_address(_unused_ void **state)
{
	struct resolver r = { 0 };
	serve_web1();
	_cleanup_sources_ struct vf_sources *s = web_sources(NULL, "", FETCH_MS, 4, resolve, &r);
	const char *ids[] = { "web-1", "unknown", "silent", "evil", "v6" };
	struct vf_host_entry *out[5];
	vf_sources_lookup(s, ids, 5, T0, out);
	assert_int_equal(r.calls, 5);
	assert_int_equal(r.now, T0);
	assert_int_equal(out[0]->free, 31);
	assert_string_equal(out[1]->error,
			    "address of host unknown: engine https://e/api/hosts: no host unknown");
	assert_string_equal(out[2]->error, "address of host silent: No route to host");
	assert_string_equal(out[3]->error,
			    "address of host evil: '127.0.0.1/x?' is not a host name or IP address");
	_cleanup_free_ char *v6 = xasprintf("http://[::1]:%d/v6/v1/report: ", server_port);
	assert_true(startswith(out[4]->error, v6)); /* bracketed; nothing listens on ::1 */
	for (int i = 0; i < 5; i++)
		vf_entry_unref(out[i]);
	assert_int_equal(server_stat("requests"), 1);
}

struct web_churn {
	struct vf_sources *s;
	const char *ids[10];
	unsigned long bad;
};

/* Lookups from several threads, each of them stale (a fetch, mostly 304s); no asserts here. */
static void *web_reader(void *arg)
{
	struct web_churn *w = arg;
	for (int round = 0; round < 20; round++) {
		struct vf_host_entry *out[10];
		vf_sources_lookup(w->s, w->ids, 10, T0 + 20 * round, out);
		for (int i = 0; i < 10; i++) {
			if (out[i]->error || out[i]->free != 100 + i)
				__atomic_fetch_add(&w->bad, 1, __ATOMIC_RELAXED);
			vf_entry_unref(out[i]);
		}
	}
	return NULL;
}

static void test_http_concurrent(_unused_ void **state)
{
	char names[10][16];
	struct web_churn w = { 0 };
	for (int i = 0; i < 10; i++) {
		snprintf(names[i], sizeof(names[i]), "cc-%d", i);
		w.ids[i] = names[i];
		_cleanup_free_ char *f = xasprintf("%s.json", names[i]), *r = report(100 + i);
		put(srvdir, f, r);
	}
	w.s = web_sources(NULL, "", FETCH_MS, 4, NULL, NULL);
	pthread_t t[4];
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		assert_int_equal(pthread_create(&t[i], NULL, web_reader, &w), 0);
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		pthread_join(t[i], NULL);
	assert_int_equal(w.bad, 0);
	struct vf_source_stats st = stats(w.s);
	print_message("  4 threads x 20 stale lookups of 10 hosts: %lu requests, %lu not modified\n",
		      st.http_requests, st.http_not_modified);
	/* each round fetches each host once per thread at most; all but the first are 304s */
	assert_true(st.http_requests >= 20 * 10 && st.http_requests <= 4 * 20 * 10);
	assert_true(st.http_not_modified >= st.http_requests - 4 * 10);
	assert_int_equal(server_stat("requests"), (int)st.http_requests);
	vf_sources_free(w.s);
}

/* vf_sources_all after test_http_and_dir's lookup: every host of either source once, sorted,
 * merged as the lookup merged it. */
static void all_merged(struct vf_sources *s, const char *d)
{
	struct vf_host_entry **all = NULL;
	size_t n = vf_sources_all(s, &all);
	static const char *const want[] = { "dir-broken", "dir-newer", "status500-dir-broken", "status500-dir-ok",
					    "status500-nowhere", "web-newer", "web-only" };
	assert_int_equal(n, ARRAY_SIZE(want));
	for (size_t i = 0; i < n; i++)
		assert_string_equal(all[i]->host_id, want[i]);
	assert_int_equal(all[0]->free, 2);  /* dir-broken: the web's report beats the file's error */
	assert_int_equal(all[1]->free, 1);  /* dir-newer */
	assert_non_null(strstr(all[2]->error, "; ")); /* two errors joined */
	assert_int_equal(all[5]->free, 2);  /* web-newer */
	for (size_t i = 0; i < n; i++)
		vf_entry_unref(all[i]);
	free(all);
}

/* Both sources: the newer report wins, a report beats an error, two errors are joined. */
static void test_http_and_dir(_unused_ void **state)
{
	_cleanup_free_ char *d = subdir("both");
	_cleanup_free_ char *old1 = report(1), *new1 = small_report(1, "2026-11-18T12:00:00Z");
	_cleanup_free_ char *old2 = report(2), *new2 = small_report(2, "2026-11-18T12:00:00Z");
	put(d, "dir-newer.json", new1);
	put(srvdir, "dir-newer.json", old2);
	put(d, "web-newer.json", old1);
	put(srvdir, "web-newer.json", new2);
	put_plain(d, "dir-broken.json", "{");
	put(srvdir, "dir-broken.json", old2);
	put(d, "status500-dir-ok.json", old1);
	put_plain(d, "status500-dir-broken.json", "{");
	put(srvdir, "web-only.json", old2);
	_cleanup_sources_ struct vf_sources *s = web_sources(d, "", FETCH_MS, 4, NULL, NULL);
	const char *ids[] = { "dir-newer", "web-newer", "dir-broken", "status500-dir-ok",
			      "status500-dir-broken", "status500-nowhere", "web-only" };
	struct vf_host_entry *out[7];
	vf_sources_lookup(s, ids, 7, T0, out);
	assert_int_equal(out[0]->free, 1);
	assert_int_equal(out[1]->free, 2);
	assert_int_equal(out[2]->free, 2);
	assert_int_equal(out[3]->free, 1);
	_cleanup_free_ char *u4 = url_of(ids[4]);
	_cleanup_free_ char *w4 = xasprintf("%s/%s.json: JSON: byte 1: ", d, ids[4]);
	_cleanup_free_ char *w4b = xasprintf("; %s: HTTP 500", u4);
	if (!startswith(out[4]->error, w4) || !strstr(out[4]->error, w4b))
		fail_msg("got '%s'", out[4]->error);
	assert_url_error(out[5], "HTTP 500");
	assert_int_equal(out[6]->free, 2);
	for (int i = 0; i < 7; i++)
		vf_entry_unref(out[i]);
	all_merged(s, d);
}

static int setup(void **state)
{
	return server_setup(state, "--sleep", "3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_opts),      cmocka_unit_test(test_http_fetch),
		cmocka_unit_test(test_http_cache),     cmocka_unit_test(test_http_cache_bounded),
		cmocka_unit_test(test_http_parallel),
		cmocka_unit_test(test_http_errors),    cmocka_unit_test(test_http_timeout),
		cmocka_unit_test(test_http_address),   cmocka_unit_test(test_http_and_dir),
		cmocka_unit_test(test_http_concurrent),
		cmocka_unit_test(test_http_deadline),  cmocka_unit_test(test_http_backoff),
	};
	return cmocka_run_group_tests(tests, setup, server_teardown);
}
