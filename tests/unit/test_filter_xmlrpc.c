/* SPDX-License-Identifier: MIT */
/* The XML-RPC parser: the engine's request bytes (tests/fixtures/xmlrpc, which the integration
 * tests also replay over HTTP), what else it accepts, every error, hostile documents, and
 * mutations of the engine's requests. The writer is tested in test_filter_xmlrpc_write.c; shared
 * helpers are in xmlrpc-helpers.h; surrogate-pair references are test_filter_xmlrpc_refs.c's. Run
 * from the repository root. The engine's requests are the bodies of the captured ones in
 * tests/fixtures/xmlrpc/engine-captured/ (its README.md: byte for byte from the engine's client
 * library), each checked against its Content-Length. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "xml-counters.h"
#include "mutate.h"
#include "quiet-stderr.h"
#include "read-fixture.h"
#include "util.h"
#include "xml.h"
#include "xmlrpc-helpers.h"
#include "xmlrpc.h"

#define CAPTURED "tests/fixtures/xmlrpc/engine-captured"
#define EX_CALL "<methodCall xmlns:ex=\"http://ws.apache.org/xmlrpc/namespaces/extensions\">"
/* A call of method m whose params are p (a string of <param> elements). */
#define CALL(p) DECL "<methodCall><methodName>m</methodName><params>" p "</params></methodCall>"
#define PARAM(v) "<param><value>" v "</value></param>"

static const char *const engine_files[] = {
	"discover.http",
	"runFilters.http",
	"runCostFunctions.http",
	"runCostFunctions-weight5.http",
	"runLoadBalancing.http",
	"runFilters-filter-name-specials.http",
	"runFilters-non-bmp-props.http",
};

#define VM_ID "6a6b7c1e-2f0a-4c8e-9d3b-1f2e3d4c5b6a"

/* ---- helpers ---- */

/* The body of a captured request: the Content-Length bytes after the headers, NUL-terminated. */
static char *fixture(const char *name, size_t *len)
{
	size_t n;
	_cleanup_free_ char *req = read_fixture_file(CAPTURED, name, &n);
	const char *sep = strstr(req, "\r\n\r\n"), *cl = strstr(req, "\r\nContent-Length: ");
	if (!sep || !cl || cl > sep)
		fail_msg("%s: no headers with a Content-Length", name);
	size_t off = (size_t)(sep + 4 - req);
	assert_int_equal(strtoul(cl + strlen("\r\nContent-Length: "), NULL, 10), n - off);
	*len = n - off;
	char *body = xmalloc(*len + 1);
	memcpy(body, req + off, *len);
	body[*len] = '\0';
	return body;
}

/* The call must fail with r and one line starting with prefix (e.g. "XML-RPC: line 1: ") and
 * holding what; *ret stays untouched. */
static void fails_n(const char *body, size_t len, const struct rpc_limits *lim, int r,
		    const char *prefix, const char *what)
{
	struct rpc_call c = { .method = (char *)"untouched", .n_params = 77 };
	_cleanup_free_ char *err = NULL;
	int got = rpc_parse_call(body, len, lim, &c, &err);
	if (got != r || !err || !startswith(err, prefix) || !strstr(err, what) || strchr(err, '\n'))
		fail_msg("%.*s\ngot %d '%s', want %d '%s...%s'", (int)(len > 300 ? 300 : len), body, got,
			 err, r, prefix, what);
	assert_string_equal(c.method, "untouched");
	assert_int_equal(c.n_params, 77);
}

static void fails(const char *body, const char *prefix, const char *what)
{
	fails_n(body, strlen(body), NULL, -EINVAL, prefix, what);
}

static void assert_strings(const struct rpc_value *v, const char *const *want, size_t n)
{
	assert_int_equal(v->type, RPC_ARRAY);
	assert_int_equal(v->array.n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(rpc_string(&v->array.v[i]), want[i]);
}

/* The captured calls' hosts: 0000000N-0000-4000-8000-00000000000N for N in 0..9. */
static void assert_engine_hosts(const struct rpc_value *v, const int *which, size_t n)
{
	assert_int_equal(v->type, RPC_ARRAY);
	assert_int_equal(v->array.n, n);
	for (size_t i = 0; i < n; i++) {
		char want[40];
		snprintf(want, sizeof want, "%08d-0000-4000-8000-%012d", which[i], which[i]);
		assert_string_equal(rpc_string(&v->array.v[i]), want);
	}
}

static const int ten_hosts[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };

static void assert_empty_props(const struct rpc_value *props)
{
	assert_int_equal(props->type, RPC_STRUCT);
	assert_int_equal(props->st.n, 0);
	assert_null(rpc_struct_get(props, "vf_demand"));
}

/* ---- the engine's requests (docs/interfaces.md, 'Calls') ---- */

static void test_engine_discover(void **state)
{
	size_t len;
	_cleanup_free_ char *body = fixture("discover.http", &len);
	assert_null(memchr(body, '\n', len)); /* one line, as the engine sends it */
	_cleanup_(rpc_call_clear) struct rpc_call c = { 0 };
	parse_n(body, len, &c);
	assert_string_equal(c.method, "discover");
	assert_int_equal(c.n_params, 0);
}

/* runFilters-non-bmp-props.http: raw UTF-8, a Cyrillic key, U+1F40E as two references. */
static void check_props(const struct rpc_value *props)
{
	assert_int_equal(props->type, RPC_STRUCT);
	assert_int_equal(props->st.n, 3);
	assert_string_equal(props->st.m[0].name, "note");
	assert_string_equal(rpc_string(rpc_struct_get(props, "note")),
			    "\xc5\xbelu\xc5\xa5ou\xc4\x8dk\xc3\xbd k\xc5\xaf\xc5\x88 \xf0\x9f\x90\x8e <&>");
	assert_string_equal(rpc_string(rpc_struct_get(props, "vf_demand")), "2");
	assert_string_equal(props->st.m[2].name, "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87");
	assert_string_equal(rpc_string(&props->st.m[2].value),
			    "\xd0\xb7\xd0\xbd\xd0\xb0\xd1\x87\xd0\xb5\xd0\xbd\xd0\xb8\xd0\xb5");
	assert_null(rpc_struct_get(props, "label"));
	assert_null(rpc_struct_get(props, NULL));
	assert_null(rpc_struct_get(NULL, "vf_demand"));
	assert_null(rpc_string(props));
	assert_null(rpc_string(NULL));
}

static void check_filters_call(const char *file, const char *filter, struct rpc_call *c)
{
	size_t len;
	_cleanup_free_ char *body = fixture(file, &len);
	assert_null(memchr(body, '\n', len));
	parse_n(body, len, c);
	assert_string_equal(c->method, "runFilters");
	assert_int_equal(c->n_params, 4);
	assert_strings(&c->params[0], &filter, 1);
	assert_engine_hosts(&c->params[1], ten_hosts, ARRAY_SIZE(ten_hosts));
	assert_string_equal(rpc_string(&c->params[2]), VM_ID);
	assert_null(rpc_struct_get(&c->params[1], "vf_demand")); /* an array is not a struct */
}

static void test_engine_runfilters(void **state)
{
	_cleanup_(rpc_call_clear) struct rpc_call c = { 0 };
	check_filters_call("runFilters.http", "vfcap_vf_capacity", &c);
	assert_empty_props(&c.params[3]);
	_cleanup_(rpc_call_clear) struct rpc_call d = { 0 };
	check_filters_call("runFilters-non-bmp-props.http", "vfcap_vf_capacity", &d);
	check_props(&d.params[3]);
	/* U+1D11E came as &#55348;&#56606;, the tab raw, "]]>" as "]]&gt;" */
	_cleanup_(rpc_call_clear) struct rpc_call e = { 0 };
	check_filters_call("runFilters-filter-name-specials.http",
			   "<&>\"' \xc3\xbc \xe2\x82\xac \xf0\x9d\x84\x9e ]]> \t", &e);
	assert_empty_props(&e.params[3]);
}

static void check_cost_pair(const struct rpc_value *pair, const char *name, int64_t weight)
{
	assert_int_equal(pair->type, RPC_ARRAY);
	assert_int_equal(pair->array.n, 2);
	assert_string_equal(rpc_string(&pair->array.v[0]), name);
	assert_int_equal(pair->array.v[1].type, RPC_INT);
	assert_int_equal(pair->array.v[1].i, weight);
	assert_null(rpc_string(&pair->array.v[1]));
}

static void check_cost_call(const char *body, size_t len, int64_t weight, const int *hosts, size_t n)
{
	_cleanup_(rpc_call_clear) struct rpc_call c = { 0 };
	parse_n(body, len, &c);
	assert_string_equal(c.method, "runCostFunctions");
	assert_int_equal(c.n_params, 4);
	assert_int_equal(c.params[0].type, RPC_ARRAY);
	assert_int_equal(c.params[0].array.n, 1);
	check_cost_pair(&c.params[0].array.v[0], "vfcap_vf_headroom", weight);
	assert_engine_hosts(&c.params[1], hosts, n);
	assert_string_equal(rpc_string(&c.params[2]), VM_ID);
	assert_empty_props(&c.params[3]);
}

/* Replace every "from" in s by "to" (same length or not); caller frees. */
static char *replace_all(const char *s, const char *from, const char *to)
{
	char *out = xstrdup("");
	size_t n = 0;
	for (const char *p; (p = strstr(s, from)); s = p + strlen(from)) {
		_cleanup_free_ char *prev = out;
		out = xasprintf("%s%.*s%s", prev, (int)(p - s), s, to);
		n++;
	}
	_cleanup_free_ char *prev = out;
	assert_true(n > 0);
	return xasprintf("%s%s", prev, s);
}

static void test_engine_runcostfunctions(void **state)
{
	size_t len;
	_cleanup_free_ char *body = fixture("runCostFunctions.http", &len);
	assert_non_null(strstr(body, "<i4>1</i4>")); /* Apache XML-RPC writes Integer as i4 */
	check_cost_call(body, len, 1, ten_hosts, ARRAY_SIZE(ten_hosts));
	/* the same with <int>, and with the extensions' <ex:i8> */
	_cleanup_free_ char *as_int = replace_all(body, "i4>", "int>");
	check_cost_call(as_int, strlen(as_int), 1, ten_hosts, ARRAY_SIZE(ten_hosts));
	_cleanup_free_ char *as_i8 = replace_all(body, "i4>", "ex:i8>");
	check_cost_call(as_i8, strlen(as_i8), 1, ten_hosts, ARRAY_SIZE(ten_hosts));
	_cleanup_free_ char *five = fixture("runCostFunctions-weight5.http", &len);
	static const int two_hosts[] = { 1, 6 };
	check_cost_call(five, len, 5, two_hosts, ARRAY_SIZE(two_hosts));
}

static void test_engine_runloadbalancing(void **state)
{
	size_t len;
	_cleanup_free_ char *body = fixture("runLoadBalancing.http", &len);
	_cleanup_(rpc_call_clear) struct rpc_call c = { 0 };
	parse_n(body, len, &c);
	assert_string_equal(c.method, "runLoadBalancing");
	assert_int_equal(c.n_params, 3);
	assert_string_equal(rpc_string(&c.params[0]), "no_such_balance");
	assert_engine_hosts(&c.params[1], ten_hosts, ARRAY_SIZE(ten_hosts));
	assert_empty_props(&c.params[2]);
}

/* ---- what else the parser accepts ---- */

static void test_scalars(void **state)
{
	_cleanup_(rpc_call_clear) struct rpc_call c = { 0 };
	parse_ok(DECL EX_CALL "<methodName>m</methodName><params>" PARAM("<string>s</string>")
		 PARAM("<i4>-2147483648</i4>") PARAM("<int> +2147483647\n</int>")
		 PARAM("<ex:i8>-9223372036854775808</ex:i8>") PARAM("<i8>9223372036854775807</i8>")
		 PARAM("<boolean>1</boolean>") PARAM("<boolean> 0 </boolean>")
		 PARAM("<double>-1.5e3</double>") PARAM("<double>2</double>")
		 PARAM("<dateTime.iso8601>20240102T03:04:05</dateTime.iso8601>")
		 PARAM("<base64>aGVs\nbG8=</base64>") PARAM("<nil/>") PARAM("<ex:nil/>")
		 PARAM("<nil> </nil>") "</params></methodCall>",
		 &c);
	assert_int_equal(c.n_params, 14);
	const struct rpc_value *p = c.params;
	assert_string_equal(rpc_string(&p[0]), "s");
	const int64_t ints[] = { INT32_MIN, INT32_MAX, INT64_MIN, INT64_MAX };
	for (size_t i = 0; i < ARRAY_SIZE(ints); i++) {
		assert_int_equal(p[1 + i].type, RPC_INT);
		assert_true(p[1 + i].i == ints[i]);
	}
	assert_int_equal(p[5].type, RPC_BOOL);
	assert_true(p[5].b);
	assert_int_equal(p[6].type, RPC_BOOL);
	assert_false(p[6].b);
	assert_int_equal(p[7].type, RPC_DOUBLE);
	assert_true(p[7].d == -1500.0);
	assert_true(p[8].d == 2.0);
	assert_string_equal(rpc_string(&p[9]), "20240102T03:04:05");
	assert_string_equal(rpc_string(&p[10]), "aGVs\nbG8=");
	for (size_t i = 11; i < 14; i++)
		assert_int_equal(p[i].type, RPC_NIL);
}

static void test_text(void **state)
{
	_cleanup_(rpc_call_clear) struct rpc_call c = { 0 };
	parse_ok(CALL(PARAM("") "<param><value/></param>" PARAM("<string/>") PARAM("  ")
		      PARAM("a &amp; b &lt;&#x41;&#66;&gt; \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80")
		      PARAM("x<![CDATA[<y>&]]>z") PARAM("x<!-- c -->y<?pi z?>")
		      PARAM("<string>p<![CDATA[q]]></string>") PARAM("<!-- c --><int>7</int><!-- d -->")
		      PARAM("\n  <string>pretty</string>\n")),
		 &c);
	assert_int_equal(c.n_params, 10);
	static const char *const want[] = {
		"", "", "", "  ", "a & b <AB> é€😀", "x<y>&z", "xy", "pq",
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_string_equal(rpc_string(&c.params[i]), want[i]);
	assert_true(c.params[8].type == RPC_INT && c.params[8].i == 7);
	assert_string_equal(rpc_string(&c.params[9]), "pretty");
}

static void test_containers(void **state)
{
	_cleanup_(rpc_call_clear) struct rpc_call c = { 0 };
	parse_ok(DECL "<methodCall>\n  <methodName>m</methodName>\n  <params>\n    <param>\n      <value>"
		      "<struct>\n <member>\n  <name>a</name>\n  <value><array><data>\n"
		      "<value><i4>1</i4></value>\n<value>two</value>\n<value><array><data/></array></value>"
		      "</data></array></value>\n </member>\n <member><value>first</value><name>b</name>"
		      "</member><member><name>b</name><value>second</value></member>"
		      "<member><name></name><value><struct/></value></member>"
		      "</struct></value>\n    </param>\n  </params>\n</methodCall>\n",
		 &c);
	assert_int_equal(c.n_params, 1);
	const struct rpc_value *s = &c.params[0];
	assert_int_equal(s->type, RPC_STRUCT);
	assert_int_equal(s->st.n, 4);
	const struct rpc_value *a = rpc_struct_get(s, "a");
	assert_int_equal(a->type, RPC_ARRAY);
	assert_int_equal(a->array.n, 3);
	assert_true(a->array.v[0].type == RPC_INT && a->array.v[0].i == 1);
	assert_string_equal(rpc_string(&a->array.v[1]), "two");
	assert_true(a->array.v[2].type == RPC_ARRAY && a->array.v[2].array.n == 0);
	assert_string_equal(rpc_string(rpc_struct_get(s, "b")), "first"); /* the first one wins */
	const struct rpc_value *e = rpc_struct_get(s, "");
	assert_true(e->type == RPC_STRUCT && e->st.n == 0);
}

static void test_no_params(void **state)
{
	static const char *const bodies[] = {
		"<methodCall><methodName>discover</methodName></methodCall>",
		"<methodCall><methodName>discover</methodName><params></params></methodCall>",
		"<methodCall>\n<methodName> discover </methodName>\n<params>\n</params>\n</methodCall>\n",
		"<x:methodCall xmlns:x=\"urn:x\"><x:methodName>discover</x:methodName><x:params/></x:methodCall>",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		_cleanup_(rpc_call_clear) struct rpc_call c = { 0 };
		parse_ok(bodies[i], &c);
		assert_non_null(strstr(c.method, "discover")); /* the name is taken as written */
		assert_int_equal(c.n_params, 0);
		assert_null(c.params);
	}
}

/* Depth 1 is a param's value; each array or struct adds one. */
static char *nested(int depth, const char *open, const char *close)
{
	size_t lo = strlen(open), lc = strlen(close);
	char *inner = xmalloc((size_t)depth * (lo + lc) + 16), *p = inner;
	for (int i = 1; i < depth; i++)
		p = stpcpy(p, open);
	p = stpcpy(p, "<i4>1</i4>");
	for (int i = 1; i < depth; i++)
		p = stpcpy(p, close);
	*p = '\0';
	char *body = xasprintf(CALL(PARAM("%s")), inner);
	free(inner);
	return body;
}

static void test_depth(void **state)
{
	static const char *const kinds[][2] = {
		{ "<array><data><value>", "</value></data></array>" },
		{ "<struct><member><name>k</name><value>", "</value></member></struct>" },
	};
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		_cleanup_free_ char *ok = nested(RPC_DEFAULT_MAX_DEPTH, kinds[k][0], kinds[k][1]);
		_cleanup_(rpc_call_clear) struct rpc_call c = { 0 };
		parse_ok(ok, &c);
		_cleanup_free_ char *deep = nested(RPC_DEFAULT_MAX_DEPTH + 1, kinds[k][0], kinds[k][1]);
		fails_n(deep, strlen(deep), NULL, -E2BIG, "XML-RPC: line 1: ", "values nested deeper than 32");
		const struct rpc_limits two = { .max_body = 1 << 20, .max_depth = 2 };
		_cleanup_free_ char *three = nested(3, kinds[k][0], kinds[k][1]);
		fails_n(three, strlen(three), &two, -E2BIG, "XML-RPC: line 1: ", "deeper than 2");
		_cleanup_free_ char *ten_k = nested(10000, kinds[k][0], kinds[k][1]);
		fails_n(ten_k, strlen(ten_k), NULL, -E2BIG, "XML-RPC: line 1: ", "deeper than 32");
		/* past the cap, libxml2's own limit would answer first: the cap answers instead */
		const struct rpc_limits big = { .max_body = 1 << 20, .max_depth = 1000 };
		_cleanup_free_ char *at_cap = nested(RPC_MAX_DEPTH_CAP, kinds[k][0], kinds[k][1]);
		_cleanup_(rpc_call_clear) struct rpc_call d = { 0 };
		assert_int_equal(rpc_parse_call(at_cap, strlen(at_cap), &big, &d, NULL), 0);
		_cleanup_free_ char *over = nested(RPC_MAX_DEPTH_CAP + 1, kinds[k][0], kinds[k][1]);
		fails_n(over, strlen(over), &big, -E2BIG, "XML-RPC: line 1: ", "deeper than 80");
		fails_n(ten_k, strlen(ten_k), &big, -E2BIG, "XML-RPC: line 1: ", "deeper than 80");
	}
	/* elements deeper than any value could be: the same error, before the tree is walked */
	_cleanup_free_ char *junk = xmalloc(10000 * 3 + 64);
	char *p = stpcpy(junk, "<methodCall>");
	for (int i = 0; i < 10000; i++)
		p = stpcpy(p, "<a>");
	*p = '\0';
	fails_n(junk, strlen(junk), NULL, -E2BIG, "XML-RPC: line 1: ", "values nested deeper than 32");
}

static void test_body_limits(void **state)
{
	static const char body[] = CALL(PARAM("x"));
	const size_t len = sizeof(body) - 1;
	const struct rpc_limits exact = { .max_body = len, .max_depth = 4 };
	_cleanup_(rpc_call_clear) struct rpc_call c = { 0 };
	assert_int_equal(rpc_parse_call(body, len, &exact, &c, NULL), 0);
	const struct rpc_limits small = { .max_body = len - 1, .max_depth = 4 };
	fails_n(body, len, &small, -E2BIG, "XML-RPC: request body of ", "over the");
	/* checked before reading: the bytes behind the pointer do not matter */
	fails_n(body, (size_t)RPC_DEFAULT_MAX_BODY + 1, NULL, -E2BIG, "XML-RPC: ", "16777217 bytes");
	fails_n("", 0, NULL, -EINVAL, "XML-RPC: ", "empty request body");
	fails_n(NULL, 0, NULL, -EINVAL, "XML-RPC: ", "empty request body");
	fails_n("<methodCall/>\0<x/>", 18, NULL, -EINVAL, "XML-RPC: ", "NUL byte");
	/* errmsg may be NULL */
	assert_int_equal(rpc_parse_call("<x/>", 4, NULL, &c, NULL), -EINVAL);
}

/* ---- what it refuses ---- */

static void test_rpc_errors(void **state)
{
	static const char *const cases[][2] = {
		{ "<methodResponse/>", "root is <methodResponse>, not <methodCall>" },
		{ "<methodCall/>", "<methodCall> without <methodName>" },
		{ "<methodCall><params/></methodCall>", "without <methodName>" },
		{ "<methodCall><methodName/></methodCall>", "empty <methodName>" },
		{ "<methodCall><methodName>a</methodName><methodName>b</methodName></methodCall>",
		  "<methodCall> with two <methodName>" },
		{ "<methodCall><methodName>m</methodName><params/><params/></methodCall>",
		  "with two <params>" },
		{ "<methodCall><methodName>m</methodName><foo/></methodCall>",
		  "unexpected <foo> in <methodCall>" },
		{ "<methodCall>x<methodName>m</methodName></methodCall>", "unexpected text in <methodCall>" },
		{ "<methodCall><methodName>m<b/></methodName></methodCall>",
		  "element <b> inside <methodName>, where text was expected" },
		{ CALL("<value>x</value>"), "unexpected <value> in <params>" },
		{ CALL("<param/>"), "<param> needs one <value>, not 0" },
		{ CALL("<param><value/><value/></param>"), "<param> needs one <value>, not 2" },
		{ CALL(PARAM("<foo>1</foo>")), "unknown value type <foo>" },
		{ CALL(PARAM("<foo><bar/></foo>")), "unknown value type <foo>" },
		{ CALL(PARAM("<string>a</string><string>b</string>")), "<value> with two types" },
		{ CALL(PARAM("x<string>a</string>")), "text beside <string> in <value>" },
		{ CALL(PARAM("<string><b/></string>")), "element <b> inside <string>, where text was expected" },
		{ CALL(PARAM("<int>x1</int>")), "<int> 'x1' is not an integer" },
		{ CALL(PARAM("<int>\n 1\n2 </int>")), "<int> '1 2' is not an integer" }, /* one line */
		{ CALL(PARAM("<int>12345678901234567890123456789012345678901234567890</int>")),
		  "<int> '1234567890123456789012345678901234567890'... is out of range" },
		{ CALL(PARAM("<int>1x</int>")), "<int> '1x' is not an integer" },
		{ CALL(PARAM("<int></int>")), "<int> '' is not an integer" },
		{ CALL(PARAM("<int>-</int>")), "is not an integer" },
		{ CALL(PARAM("<int>0x10</int>")), "is not an integer" },
		{ CALL(PARAM("<int>1 2</int>")), "is not an integer" },
		{ CALL(PARAM("<i4>2147483648</i4>")), "<i4> '2147483648' is out of range" },
		{ CALL(PARAM("<int>-2147483649</int>")), "<int> '-2147483649' is out of range" },
		{ CALL(PARAM("<i8>9223372036854775808</i8>")), "<i8> '9223372036854775808' is out of range" },
		{ CALL(PARAM("<boolean>2</boolean>")), "<boolean> '2' is not 0 or 1" },
		{ CALL(PARAM("<boolean>true</boolean>")), "<boolean> 'true' is not 0 or 1" },
		{ CALL(PARAM("<double>1.5x</double>")), "<double> '1.5x' is not a number" },
		{ CALL(PARAM("<double>nan</double>")), "is not a number" },
		{ CALL(PARAM("<double>0x1p3</double>")), "is not a number" },
		{ CALL(PARAM("<double>1e999</double>")), "<double> '1e999' is not a finite number" },
		{ CALL(PARAM("<double>--1</double>")), "is not a finite number" },
		{ CALL(PARAM("<double></double>")), "is not a number" },
		{ CALL(PARAM("<nil>x</nil>")), "<nil> is not empty" },
		{ CALL(PARAM("<array/>")), "<array> needs one <data>, not 0" },
		{ CALL(PARAM("<array><data/><data/></array>")), "<array> needs one <data>, not 2" },
		{ CALL(PARAM("<array><value/></array>")), "unexpected <value> in <array>" },
		{ CALL(PARAM("<array><data><i4>1</i4></data></array>")), "unexpected <i4> in <data>" },
		{ CALL(PARAM("<array><data>x</data></array>")), "unexpected text in <data>" },
		{ CALL(PARAM("<array><data><value><int>z</int></value></data></array>")),
		  "<int> 'z' is not an integer" },
		{ CALL(PARAM("<struct><value/></struct>")), "unexpected <value> in <struct>" },
		{ CALL(PARAM("<struct><member><value>v</value></member></struct>")),
		  "<member> without <name>" },
		{ CALL(PARAM("<struct><member><name>k</name></member></struct>")),
		  "<member> 'k' without <value>" },
		{ CALL(PARAM("<struct><member><name>\nk\r\n</name></member></struct>")),
		  "<member> ' k ' without <value>" }, /* CR LF is read as LF */
		{ CALL(PARAM("<struct><member><name>k</name><name>l</name></member></struct>")),
		  "<member> with two <name>" },
		{ CALL(PARAM("<struct><member><name>k</name><value/><x/></member></struct>")),
		  "unexpected <x> in <member>" },
		{ CALL(PARAM("<struct><member><name>k<i/></name><value/></member></struct>")),
		  "element <i> inside <name>, where text was expected" },
		{ CALL(PARAM("<struct><member><name>a</name><value>1</value></member><member>"
			     "<name>b</name><value><boolean>7</boolean></value></member></struct>")),
		  "<boolean> '7' is not 0 or 1" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		fails(cases[i][0], "XML-RPC: line 1: ", cases[i][1]);
	/* the line is the element's */
	fails("<methodCall>\n<methodName>m</methodName>\n<params>\n<param>\n<value><i4>\n1.0</i4></value>",
	      "XML: line ", "Premature end of data");
	fails("<methodCall>\n<methodName>m</methodName>\n<params>\n<param>\n<value>\n<i4>1.0</i4>"
	      "</value></param></params></methodCall>",
	      "XML-RPC: line 6: ", "<i4> '1.0' is not an integer");
}

static void test_malformed(void **state)
{
	static const char *const cases[][2] = {
		{ "<methodCall>\n<methodName>m</methodName>\n<params>\n</param>", "XML: line 4: " },
		{ "<methodCall><value></data></methodCall>", "XML: line 1: Opening and ending tag mismatch: value line 1 and data" },
		{ "<methodCall", "XML: line 1: " },
		{ "methodCall", "XML: line 1: Start tag expected" },
		{ "   ", "XML: line 1: " },
		{ "<methodCall/><methodCall/>", "XML: line 1: Extra content at the end of the document" },
		{ "<methodCall>&nope;</methodCall>", "XML: line 1: Entity 'nope' not defined" },
		{ "<methodCall a='1' a='2'/>", "XML: line 1: Attribute a redefined" },
		{ DECL "<methodCall><methodName>caf\xe9</methodName></methodCall>",
		  "XML: line 1: Input is not proper UTF-8" },
		{ "<methodCall><methodName>\xff</methodName></methodCall>", "not proper UTF-8" },
		{ "<methodCall><methodName>\xc3</methodName></methodCall>", "not proper UTF-8" },
		{ "<methodCall><methodName>\xed\xa0\x80</methodName></methodCall>", "XML: line 1: " },
		{ "<methodCall><methodName>\x01</methodName></methodCall>", "XML: line 1: " },
		/* the body is UTF-8 whatever it declares */
		{ "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><methodCall><methodName>caf\xe9"
		  "</methodName></methodCall>",
		  "XML: line 1: Input is not proper UTF-8" },
	};
	struct quiet q;
	quiet_begin(&q);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		fails(cases[i][0], "XML", cases[i][1]);
	/* no converter runs for a declared encoding, so none prints its errors */
	static const char *const encodings[] = { "ISO-2022-JP", "UTF-7", "EBCDIC-US", "UTF-32",
						 "UTF-16", "no-such-charset" };
	for (size_t i = 0; i < ARRAY_SIZE(encodings); i++) {
		_cleanup_free_ char *body = xasprintf("<?xml version=\"1.0\" encoding=\"%s\"?>"
						      "<methodCall>\xff\xfe</methodCall>",
						      encodings[i]);
		fails(body, "XML: line 1: ", "not proper UTF-8");
	}
	fails_n("\xff\xfe<\0m\0", 6, NULL, -EINVAL, "XML-RPC: ", "NUL byte"); /* UTF-16 */
	fails("\xff\xfe<", "XML: line 1: ", "");
	quiet_end(&q);
}

/* A declared encoding other than UTF-8 does not change how the bytes are read. */
static void test_encoding_ignored(void **state)
{
	static const char *const bodies[] = {
		"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><methodCall><methodName>caf\xc3\xa9"
		"</methodName></methodCall>",
		"<?xml version=\"1.0\" encoding=\"UTF-16\"?><methodCall><methodName>caf\xc3\xa9"
		"</methodName></methodCall>",
		"\xef\xbb\xbf<methodCall><methodName>caf\xc3\xa9</methodName></methodCall>", /* BOM */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		_cleanup_(rpc_call_clear) struct rpc_call c = { 0 };
		parse_ok(bodies[i], &c);
		assert_string_equal(c.method, "caf\xc3\xa9");
	}
}

/* Every proper prefix of an engine request is refused. */
static void test_truncated(void **state)
{
	for (size_t f = 0; f < ARRAY_SIZE(engine_files); f++) {
		size_t len;
		_cleanup_free_ char *body = fixture(engine_files[f], &len);
		for (size_t n = 1; n < len; n++) {
			struct rpc_call c = { 0 };
			_cleanup_free_ char *err = NULL;
			int r = rpc_parse_call(body, n, NULL, &c, &err);
			if (r != -EINVAL || !err || strchr(err, '\n'))
				fail_msg("%s cut at %zu: %d %s", engine_files[f], n, r, err);
		}
	}
}

#define REFUSED(line) "XML-RPC: line " #line ": DOCTYPE not allowed"

static void test_doctype(void **state)
{
	/* billion laughs: lol9 would be 10^9 "lol"s */
	char laughs[2048], *p = laughs;
	p += sprintf(p, "<?xml version=\"1.0\"?>\n<!DOCTYPE methodCall [\n <!ENTITY lol0 \"lol\">\n");
	for (int i = 1; i < 10; i++) {
		p += sprintf(p, " <!ENTITY lol%d \"", i);
		for (int j = 0; j < 10; j++)
			p += sprintf(p, "&lol%d;", i - 1);
		p += sprintf(p, "\">\n");
	}
	sprintf(p, "]>\n<methodCall><methodName>&lol9;</methodName></methodCall>\n");
	const char *const cases[][2] = {
		{ laughs, REFUSED(2) },
		{ DECL "\n<!DOCTYPE methodCall [\n<!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n]>\n"
		       "<methodCall><methodName>&xxe;</methodName></methodCall>",
		  REFUSED(2) },
		{ "<!DOCTYPE methodCall SYSTEM \"http://example.invalid/x.dtd\"><methodCall/>", REFUSED(1) },
		{ "<!-- a -->\n<!DOCTYPE methodCall [<!ENTITY % p SYSTEM \"/etc/passwd\"> %p;]>\n"
		  "<methodCall/>",
		  REFUSED(2) },
		{ "<!DOCTYPE methodCall>\n<methodCall><methodName>m</methodName></methodCall>", REFUSED(1) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct rpc_call c = { 0 };
		_cleanup_free_ char *err = NULL;
		assert_int_equal(rpc_parse_call(cases[i][0], strlen(cases[i][0]), NULL, &c, &err), -EINVAL);
		assert_string_equal(err, cases[i][1]);
	}
}

/* Errors go to the parser context's own handler: the program's handlers never see them. */
static void test_handlers_untouched(void **state)
{
	int token;
	xmlSetGenericErrorFunc(&token, count_generic);
	xmlSetStructuredErrorFunc(&token, count_structured);
	static const char *const bad[] = {
		"<methodCall", "<methodCall>\xff</methodCall>", "<x:methodCall><x:a/></x:methodCall>",
		"<methodCall><methodName>\x01</methodName></methodCall>",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct rpc_call c = { 0 };
		_cleanup_free_ char *err = NULL;
		assert_int_equal(rpc_parse_call(bad[i], strlen(bad[i]), NULL, &c, &err), -EINVAL);
	}
	assert_int_equal(generic_calls, 0);
	assert_int_equal(structured_calls, 0);
	assert_true(xmlGenericError == count_generic && xmlGenericErrorContext == &token);
	assert_true(xmlStructuredError == count_structured && xmlStructuredErrorContext == &token);
	xmlSetGenericErrorFunc(NULL, NULL);
	xmlSetStructuredErrorFunc(NULL, NULL);
}

/* ---- robustness ---- */

static struct mutator mu = { 88675123u, "<>/=\"' \n&;:!?[]-0123456789abeilmnrstuvx\xc3\xa9\xff" };

static void test_mutations(void **state)
{
	int ok = 0, failed = 0;
	struct quiet q;
	quiet_begin(&q);
	for (size_t f = 0; f < ARRAY_SIZE(engine_files); f++) {
		size_t len;
		_cleanup_free_ char *base = fixture(engine_files[f], &len);
		_cleanup_free_ char *buf = xmalloc(len + 8);
		for (int i = 0; i < 1000; i++) {
			memcpy(buf, base, len);
			size_t n = len;
			for (uint32_t k = 0, times = 1 + i % 3; k < times; k++)
				n = mutate_once(&mu, buf, n);
			struct rpc_call c = { 0 };
			_cleanup_free_ char *err = NULL;
			int r = rpc_parse_call(buf, n, NULL, &c, &err);
			if (r == 0) {
				assert_null(err);
				assert_non_null(c.method);
				rpc_call_clear(&c);
				ok++;
				continue;
			}
			if ((r != -EINVAL && r != -E2BIG) || !err || strchr(err, '\n') ||
			    (!startswith(err, "XML-RPC: ") && !startswith(err, "XML: ")))
				fail_msg("%s mutation %d: %d %s", engine_files[f], i, r, err);
			failed++;
		}
	}
	quiet_end(&q);
	print_message("%d parsed, %d rejected\n", ok, failed);
	assert_true(ok > 300);
	assert_true(failed > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_discover),
		cmocka_unit_test(test_engine_runfilters),
		cmocka_unit_test(test_engine_runcostfunctions),
		cmocka_unit_test(test_engine_runloadbalancing),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_no_params),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_body_limits),
		cmocka_unit_test(test_rpc_errors),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_encoding_ignored),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_doctype),
		cmocka_unit_test(test_handlers_untouched),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
