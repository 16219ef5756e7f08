/* SPDX-License-Identifier: MIT */
/* The engine's audit log kept quiet: the message table (filter/audit.c) and what runFilters
 * puts under plugin_errors over a sequence of calls, the clock moved by hand (vf_filter_call
 * takes the time): the same host and reason once per audit_interval, a summary for many hosts,
 * nothing for hosts on_missing=accept passes, no server-side path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "read-fixture.h"
#include "source.h"
#include "methods.h"
#include "util.h"
#include "xmlrpc.h"

#define T0 1800000000
#define A "00000001-0000-4000-8000-000000000001" /* a report, made stale by max_report_age */
#define B "00000002-0000-4000-8000-000000000002" /* no report */

static void test_table(void **state)
{
	struct vf_audit *a = vf_audit_new(600);
	assert_true(vf_audit_due(a, "k", T0));
	assert_false(vf_audit_due(a, "k", T0 + 599));
	assert_true(vf_audit_due(a, "other", T0 + 599));
	assert_true(vf_audit_due(a, "k", T0 + 600));	/* due again, and the time recorded */
	assert_false(vf_audit_due(a, "k", T0 + 1000));
	assert_true(vf_audit_due(a, "k", T0 + 100));	/* the clock went back: every key due */
	assert_false(vf_audit_due(a, "k", T0 + 101));
	assert_true(vf_audit_due(a, "other", T0 + 101));
	assert_int_equal(vf_audit_size(a), 2);
	assert_true(vf_audit_due(a, "new", T0 + 5000)); /* the sweep forgets the old ones */
	assert_int_equal(vf_audit_size(a), 1);
	for (int i = 0; i < 10000; i++) {
		char k[16];
		snprintf(k, sizeof k, "h%d", i);
		assert_true(vf_audit_due(a, k, T0 + 6000));
		assert_false(vf_audit_due(a, k, T0 + 6001));
	}
	assert_int_equal(vf_audit_size(a), 10000); /* "new" swept at T0 + 6000 */
	vf_audit_free(a);
	struct vf_audit *every = vf_audit_new(0);
	assert_true(vf_audit_due(every, "k", T0) && vf_audit_due(every, "k", T0));
	vf_audit_free(every);
	assert_true(vf_audit_due(NULL, "k", T0));
	vf_audit_free(NULL);
}

/* ---- runFilters over a reports directory holding A's report only ---- */

static char dir[] = "/tmp/vfcap-test-audit.XXXXXX";
static struct vf_filter_ctx ctx;

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	size_t len;
	_cleanup_free_ char *json = read_fixture_file("tests/fixtures/hosts/intel64", "expected.json", &len);
	_cleanup_free_ char *dst = xasprintf("%s/%s.json", dir, A);
	if (write_file_atomic(dst, json, len, 0644) < 0)
		return -1;
	struct vf_source_opts o = { .reports_dir = dir, .rescan_interval = 3600 };
	char *err = NULL;
	int r = vf_sources_new(&o, &ctx.sources, &err);
	free(err);
	ctx.audit = vf_audit_new(600);
	return r;
}

static int teardown(void **state)
{
	vf_sources_free(ctx.sources);
	vf_audit_free(ctx.audit);
	_cleanup_free_ char *f = xasprintf("%s/%s.json", dir, A);
	unlink(f);
	rmdir(dir);
	return 0;
}

/* runFilters(hosts, {max_report_age: 1, extra}) at now: the reply's text. */
static char *run(const char *hosts, const char *extra, time_t now)
{
	_cleanup_free_ char *body = xasprintf(
		"<methodCall><methodName>runFilters</methodName><params>"
		"<param><value><array><data><value>vfcap_vf_capacity</value></data></array></value></param>"
		"<param><value><array><data>%s</data></array></value></param><param><value>vm</value></param>"
		"<param><value><struct><member><name>max_report_age</name><value>1</value></member>%s"
		"</struct></value></param></params></methodCall>",
		hosts, extra);
	struct rpc_call c = { 0 };
	assert_int_equal(rpc_parse_call(body, strlen(body), NULL, &c, NULL), 0);
	struct rpc_writer w;
	struct vf_call_stats st = { 0 };
	rpc_writer_init(&w);
	vf_filter_call(&ctx, &c, now, &w, &st);
	rpc_call_clear(&c);
	size_t len;
	char *reply = rpc_writer_take(&w, &len);
	rpc_writer_free(&w);
	assert_null(strstr(reply, dir)); /* no server-side path, ever */
	return reply;
}

static size_t count(const char *s, const char *sub)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, sub)); p += strlen(sub))
		n++;
	return n;
}

#define V(h) "<value>" h "</value>"

static void test_sequence(void **state)
{
	_cleanup_free_ char *r1 = run(V(A) V(B), "", T0);
	assert_int_equal(count(r1, "rejected"), 2);
	assert_non_null(strstr(r1, "host " A " rejected: report older than max_report_age (on_missing=reject)"));
	assert_non_null(strstr(r1, "host " B " rejected: no usable report"));
	_cleanup_free_ char *r2 = run(V(A) V(B), "", T0 + 599);
	assert_null(strstr(r2, "plugin_errors"));
	assert_non_null(strstr(r2, "<name>result_code</name><value><int>0</int>"));
	_cleanup_free_ char *r3 = run(V(A) V(B), "", T0 + 600); /* expired: both again */
	assert_int_equal(count(r3, "rejected"), 2);
	_cleanup_free_ char *r4 = run(V(A) V(B), "", T0 + 601);
	assert_null(strstr(r4, "plugin_errors"));
	/* accepted hosts are never named, rejected or not before */
	_cleanup_free_ char *r5 = run(V(A) V(B) V("0000000c-0000-4000-8000-00000000000c"),
				      "<member><name>on_missing</name><value>accept</value></member>", T0 + 5000);
	assert_null(strstr(r5, "plugin_errors"));
	/* a refused property: once per interval */
	static const char bad[] = "<member><name>vf_demand</name><value>x</value></member>";
	_cleanup_free_ char *r6 = run(V(A), bad, T0 + 5000), *r7 = run(V(A), bad, T0 + 5001),
			    *r8 = run(V(A), bad, T0 + 5600);
	assert_int_equal(count(r6, "property vf_demand"), 1);
	assert_null(strstr(r7, "plugin_errors"));
	assert_int_equal(count(r8, "property vf_demand"), 1);
}

static void test_summary(void **state)
{
	char hosts[64 * 48] = "";
	for (int i = 0; i < 40; i++)
		sprintf(hosts + strlen(hosts), V("%08x-0000-4000-8000-00000000abcd"), 0x100 + i);
	_cleanup_free_ char *r1 = run(hosts, "", T0 + 7000);
	assert_int_equal(count(r1, "rejected"), 1);
	assert_non_null(strstr(r1, "40 hosts rejected: no usable report (none, unreadable or not fetched) "
				   "(on_missing=reject), among them 00000100-"));
	_cleanup_free_ char *r2 = run(hosts, "", T0 + 7001);
	assert_null(strstr(r2, "plugin_errors"));
	/* three share a reason: named one by one */
	_cleanup_free_ char *r3 = run(hosts, "", T0 + 7600);
	assert_int_equal(count(r3, "rejected"), 1);
	_cleanup_free_ char *r4 = run(V("0000000d-0000-4000-8000-00000000000d") V("0000000e-0000-4000-8000-00000000000e")
					      V("0000000f-0000-4000-8000-00000000000f"),
				      "", T0 + 7600);
	assert_int_equal(count(r4, "rejected: no usable report"), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_summary),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
