/* SPDX-License-Identifier: MIT */
/* filter/http-client.c, the libcurl policy of the filter's two HTTP clients, against
 * tests/filter/engine-server.py on 127.0.0.1: redirects (none followed by default; when
 * followed, never to anything but http(s)), the size cap (by Content-Length and by the bytes
 * that come), a failed option named, TLS verified by default. The last tests go through the
 * clients themselves (engine.c, source-http.c) to show that both use the policy.
 * Run from the repository root. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "engine-fixtures.h"
#include "engine-server.h"
#include "engine.h"
#include "http-client.h"
#include "source.h"
#include "util.h"

#define USER "admin@internal"
#define PASSWORD "pw"
#define API "/ovirt-engine/api"
#define TLS_DIR "tests/fixtures/engine/tls"
#define FETCH_MS 60000 /* a hang bound, not a speed limit */
#define T0 ((time_t)1700000000)
/* libcurl refuses option strings longer than CURL_MAX_INPUT_LENGTH (8,000,000 bytes) */
#define TOO_LONG 8000001

static struct engine_server srv, tls;

#define assert_contains(s, sub)                                                                    \
	do {                                                                                       \
		const char *_s = (s);                                                              \
		if (!_s || !strstr(_s, (sub)))                                                     \
			fail_msg("'%.200s' does not contain '%s'", _s ? _s : "(null)", (sub));     \
	} while (0)

static char *url_at(const struct engine_server *s, const char *scheme, const char *path)
{
	return xasprintf("%s://127.0.0.1:%d%s", scheme, s->port, path);
}

static int setup(void **state)
{
	const char *proxies[] = { "http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY" };
	for (size_t i = 0; i < ARRAY_SIZE(proxies); i++)
		unsetenv(proxies[i]); /* loopback only */
	if (vf_http_global_init(NULL) < 0)
		return -1;
	/* engine-server.py's port is known once it runs: the redirects go to fixed targets, or
	 * back to the server through /back (which it answers, unknown, with 404). */
	const char *extra[] = { "--redirect", API "/to-file=file:///etc/passwd",
				"--redirect", API "/to-ftp=ftp://127.0.0.1/x",
				"--redirect", API "/to-dict=dict://127.0.0.1:1/x",
				"--redirect", API "/loop=" API "/loop",
				"--redirect", API "/to-nics=" API "/vms/" VM3 "/nics",
				"--big", API "/big=100000", NULL };
	const char *tls_extra[] = { "--tls", TLS_DIR "/engine.crt," TLS_DIR "/engine.key", NULL };
	return engine_server_start(&srv, USER, PASSWORD, extra) < 0 ||
		       engine_server_start(&tls, USER, PASSWORD, tls_extra) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	engine_server_stop(&srv);
	engine_server_stop(&tls);
	return 0;
}

/* The policy most tests start from: nothing followed, a cap far above the fixtures. */
static struct vf_http_policy policy(void)
{
	return (struct vf_http_policy){ .timeout_ms = FETCH_MS, .body_max = 1 << 20 };
}

struct result {
	CURLcode rc;
	long status;
	struct vf_http_body body;
	char errbuf[CURL_ERROR_SIZE];
};

/* GET url under p, with the engine-server's credentials and headers. */
static struct result get(const struct vf_http_policy *p, const char *url)
{
	struct result r = { 0 };
	_cleanup_free_ char *err = NULL;
	CURL *h = vf_http_easy_new(p, url, NULL, &r.body, r.errbuf, "test", &err);
	if (!h)
		fail_msg("vf_http_easy_new: %s", err);
	struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/xml");
	hdr = curl_slist_append(hdr, "Version: 4");
	struct vf_curl_set st = { CURLE_OK, NULL };
	VF_CURL_SET(&st, h, CURLOPT_HTTPHEADER, hdr);
	VF_CURL_SET(&st, h, CURLOPT_USERNAME, USER);
	VF_CURL_SET(&st, h, CURLOPT_PASSWORD, PASSWORD);
	assert_int_equal(vf_curl_set_result(&st, "test", NULL), 0);
	r.rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	return r;
}

static void test_policy_check(_unused_ void **state)
{
	struct vf_http_policy ok = policy(), p;
	assert_int_equal(vf_http_policy_check(&ok, NULL), 0);
	p = ok, p.timeout_ms = 0;
	assert_int_equal(vf_http_policy_check(&p, NULL), -EINVAL);
	p = ok, p.connect_timeout_ms = -1;
	assert_int_equal(vf_http_policy_check(&p, NULL), -EINVAL);
	p = ok, p.body_max = 0;
	assert_int_equal(vf_http_policy_check(&p, NULL), -EINVAL);
	p = ok, p.max_redirects = -1;
	_cleanup_free_ char *err = NULL;
	assert_int_equal(vf_http_policy_check(&p, &err), -EINVAL);
	assert_string_equal(err, "HTTP redirects -1: must not be negative");
}

/* The buffer keeps up to max bytes, refuses the write that would pass it, and says so. */
static void test_body_cap(_unused_ void **state)
{
	struct vf_http_body b = { .max = 10 };
	assert_true(vf_http_body_add(&b, "0123456", 7));
	assert_int_equal(vf_http_body_write("789", 1, 3, &b), 3); /* exactly max */
	assert_false(b.too_big);
	assert_string_equal(b.data, "0123456789");
	assert_int_equal(vf_http_body_write("a", 1, 1, &b), 0); /* curl's stop */
	assert_true(b.too_big);
	assert_int_equal(b.len, 10);
	assert_true(vf_http_too_big(CURLE_WRITE_ERROR, &b));
	assert_false(vf_http_too_big(CURLE_WRITE_ERROR, NULL));
	assert_true(vf_http_too_big(CURLE_FILESIZE_EXCEEDED, NULL));
	vf_http_body_clear(&b);
	assert_int_equal(b.max, 10);
	assert_null(b.data);
}

/* By default a 3xx is the answer: nothing else is asked for. */
static void test_redirect_not_followed(_unused_ void **state)
{
	struct vf_http_policy p = policy();
	_cleanup_free_ char *url = url_at(&srv, "http", API "/to-nics");
	struct result r = get(&p, url);
	assert_int_equal(r.rc, CURLE_OK);
	assert_int_equal(r.status, 302);
	vf_http_body_clear(&r.body);
}

/* Followed when asked, to http(s) only: file://, ftp:// and dict:// are refused before any
 * byte is read from them; a loop stops at max_redirects. */
static void test_redirect_protocols(_unused_ void **state)
{
	struct vf_http_policy p = policy();
	p.max_redirects = 3;
	_cleanup_free_ char *ok = url_at(&srv, "http", API "/to-nics");
	struct result r = get(&p, ok);
	assert_int_equal(r.rc, CURLE_OK); /* the control: followed, to http */
	assert_int_equal(r.status, 200);
	assert_contains(r.body.data, "<nics");
	vf_http_body_clear(&r.body);

	const char *refused[] = { API "/to-file", API "/to-ftp", API "/to-dict" };
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		_cleanup_free_ char *url = url_at(&srv, "http", refused[i]);
		r = get(&p, url);
		if (r.rc != CURLE_UNSUPPORTED_PROTOCOL)
			fail_msg("%s: got %d (%s)", refused[i], r.rc, r.errbuf);
		assert_null(r.body.data); /* /etc/passwd never read */
		vf_http_body_clear(&r.body);
	}

	_cleanup_free_ char *loop = url_at(&srv, "http", API "/loop");
	r = get(&p, loop);
	assert_int_equal(r.rc, CURLE_TOO_MANY_REDIRECTS);
	vf_http_body_clear(&r.body);

	/* the first request itself: http(s) only */
	_cleanup_free_ char *file = xstrdup("file:///etc/passwd");
	r = get(&p, file);
	assert_int_equal(r.rc, CURLE_UNSUPPORTED_PROTOCOL);
	assert_null(r.body.data);
	vf_http_body_clear(&r.body);
}

/* The cap holds whether the server says the size first (Content-Length: refused before the
 * body) or not (a body until the connection closes: refused at the byte that passes it). */
static void test_size_cap(_unused_ void **state)
{
	struct vf_http_policy p = policy();
	_cleanup_free_ char *nics = url_at(&srv, "http", API "/vms/" VM1 "/nics"); /* 8956 bytes, sized */
	struct result r = get(&p, nics);
	assert_int_equal(r.rc, CURLE_OK); /* the control: under the cap */
	assert_int_equal(r.body.len, 8956);
	vf_http_body_clear(&r.body);

	p.body_max = 8955;
	r = get(&p, nics);
	assert_int_equal(r.rc, CURLE_FILESIZE_EXCEEDED);
	assert_true(vf_http_too_big(r.rc, &r.body));
	assert_null(r.body.data);
	vf_http_body_clear(&r.body);

	_cleanup_free_ char *big = url_at(&srv, "http", API "/big"); /* ~100 kB, unsized */
	p.body_max = 4096;
	r = get(&p, big);
	assert_int_equal(r.rc, CURLE_WRITE_ERROR);
	assert_true(r.body.too_big);
	assert_true(vf_http_too_big(r.rc, &r.body));
	assert_true(r.body.len <= 4096);
	vf_http_body_clear(&r.body);

	p.body_max = 1 << 20; /* the control: the same answer under a larger cap */
	r = get(&p, big);
	assert_int_equal(r.rc, CURLE_OK);
	assert_true(r.body.len > 100000 - 65536);
	vf_http_body_clear(&r.body);
}

/* A failed curl_easy_setopt is an error naming the option, for the policy's options and for a
 * client's own; no handle is given. */
static void test_failed_option(_unused_ void **state)
{
	struct vf_http_policy p = policy();
	_cleanup_free_ char *long_url = xmalloc(TOO_LONG + 1), *err = NULL;
	memset(long_url, 'a', TOO_LONG);
	memcpy(long_url, "http://", 7);
	long_url[TOO_LONG] = '\0';
	struct vf_http_body b = { 0 };
	assert_null(vf_http_easy_new(&p, long_url, NULL, &b, NULL, "here", &err));
	assert_string_equal(err, "here: libcurl: CURLOPT_URL: A libcurl function was given a bad argument");

	p.ca_file = long_url;
	_cleanup_free_ char *url = url_at(&srv, "http", "/"), *err2 = NULL;
	assert_null(vf_http_easy_new(&p, url, NULL, &b, NULL, "there", &err2));
	assert_string_equal(err2, "there: libcurl: CURLOPT_CAINFO: A libcurl function was given a bad argument");

	CURL *h = curl_easy_init();
	struct vf_curl_set st = { CURLE_OK, NULL };
	VF_CURL_SET(&st, h, CURLOPT_USERNAME, "u");
	VF_CURL_SET(&st, h, CURLOPT_PASSWORD, long_url);
	VF_CURL_SET(&st, h, CURLOPT_USERAGENT, "not set: after the first failure");
	_cleanup_free_ char *err3 = NULL;
	assert_int_equal(vf_curl_set_result(&st, "client", &err3), -EIO);
	assert_string_equal(err3, "client: libcurl: CURLOPT_PASSWORD: A libcurl function was given a bad argument");
	curl_easy_cleanup(h);
	vf_http_body_clear(&b);
}

/* TLS: verified by default against the system's store (which does not know the test CA), the
 * host name included; ca_file replaces the store. */
static void test_tls_verified(_unused_ void **state)
{
	struct vf_http_policy p = policy();
	_cleanup_free_ char *url = url_at(&tls, "https", API "/vms/" VM3 "/nics");
	struct result r = get(&p, url);
	assert_int_equal(r.rc, CURLE_PEER_FAILED_VERIFICATION);
	assert_contains(r.errbuf, "certificate");
	assert_null(r.body.data);
	vf_http_body_clear(&r.body);

	p.ca_file = TLS_DIR "/engine.crt";
	r = get(&p, url);
	assert_int_equal(r.rc, CURLE_OK); /* the control */
	assert_int_equal(r.status, 200);
	vf_http_body_clear(&r.body);

	/* the certificate names 127.0.0.1, not localhost */
	_cleanup_free_ char *by_name = xasprintf("https://localhost:%d" API "/vms/" VM3 "/nics", tls.port);
	r = get(&p, by_name);
	assert_int_equal(r.rc, CURLE_PEER_FAILED_VERIFICATION);
	vf_http_body_clear(&r.body);
}

/* ---- through the clients ---- */

/* The engine client names the option that failed. */
static void test_engine_failed_option(_unused_ void **state)
{
	_cleanup_free_ char *url = xmalloc(TOO_LONG + 1);
	memset(url, 'a', TOO_LONG);
	memcpy(url, "http://", 7);
	url[TOO_LONG] = '\0';
	struct vf_engine_opts o = { .url = url, .timeout_ms = FETCH_MS, .cache_ttl = 60 };
	struct vf_engine *e = NULL;
	_cleanup_free_ char *err = NULL;
	assert_int_equal(vf_engine_new(&o, &e, &err), 0);
	int demand = -1;
	assert_int_equal(vf_engine_vm_demand(e, VM1, T0, &demand, &err), -EIO);
	assert_true(startswith(err, "engine http://aaa"));
	assert_contains(err, "/nics: libcurl: CURLOPT_URL: A libcurl function was given a bad argument");
	vf_engine_free(e);
}

static struct vf_host_entry *report_of(const char *tmpl, const char *ca_file, const char *id)
{
	struct vf_source_opts o = { .url_template = tmpl, .timeout_ms = FETCH_MS, .max_parallel = 1,
				    .ca_file = ca_file };
	struct vf_sources *s = NULL;
	_cleanup_free_ char *err = NULL;
	if (vf_sources_new(&o, &s, &err) < 0)
		fail_msg("vf_sources_new: %s", err);
	struct vf_host_entry *c = NULL;
	vf_sources_lookup(s, &id, 1, T0, &c);
	vf_sources_free(s);
	assert_non_null(c);
	assert_non_null(c->error);
	return c;
}

/* The report client: an error entry naming the option; TLS verified, with or without ca_file. */
static void test_source_policy(_unused_ void **state)
{
	_cleanup_free_ char *tmpl = xmalloc(TOO_LONG + 8); /* {host_id} is 9 bytes, h1 two */
	memset(tmpl, 'a', TOO_LONG + 7);
	memcpy(tmpl, "http://{host_id}/", 17);
	tmpl[TOO_LONG + 7] = '\0';
	struct vf_host_entry *c = report_of(tmpl, NULL, "h1");
	assert_contains(c->error, ": libcurl: CURLOPT_URL: A libcurl function was given a bad argument");
	assert_true(startswith(c->error, "http://h1/aaa"));
	vf_entry_unref(c);

	_cleanup_free_ char *https = xasprintf("https://127.0.0.1:%d" API "/vms/{host_id}/nics", tls.port);
	c = report_of(https, NULL, VM3);
	assert_contains(c->error, "certificate"); /* libcurl's words: its TLS library's */
	vf_entry_unref(c);
	c = report_of(https, TLS_DIR "/engine.crt", VM3); /* verified: the server wants a login */
	assert_contains(c->error, ": HTTP 401");
	vf_entry_unref(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_check),          cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_redirect_not_followed), cmocka_unit_test(test_redirect_protocols),
		cmocka_unit_test(test_size_cap),              cmocka_unit_test(test_failed_option),
		cmocka_unit_test(test_tls_verified),          cmocka_unit_test(test_engine_failed_option),
		cmocka_unit_test(test_source_policy),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
