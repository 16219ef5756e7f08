/* SPDX-License-Identifier: MIT */
/* The XML-RPC reply writer: its shapes, escaping (XML specials, control bytes, invalid UTF-8),
 * int clamping, faults, and round trips through the parser, for hostile bytes and 10,000 host
 * ids. The parser is tested in test_filter_xmlrpc.c; shared helpers are in xmlrpc-helpers.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "mutate.h"
#include "util.h"
#include "xmlrpc-helpers.h"
#include "xmlrpc.h"

/* ---- the writer ---- */

static char *take(struct rpc_writer *w)
{
	size_t len;
	char *out = rpc_writer_take(w, &len);
	assert_int_equal(len, strlen(out));
	assert_null(w->buf);
	assert_int_equal(w->len, 0);
	assert_null(strstr(out, "nil"));
	return out;
}

/* The response's value, read back with the parser: it is wrapped into a methodCall. */
static void read_back(const char *response, struct rpc_call *c)
{
	static const char head[] = DECL "<methodResponse><params><param>",
			  tail[] = "</param></params></methodResponse>";
	assert_true(startswith(response, head));
	size_t n = strlen(response);
	assert_true(n >= sizeof head + sizeof tail - 2 && streq(response + n - strlen(tail), tail));
	_cleanup_free_ char *call = xasprintf("<methodCall><methodName>r</methodName><params><param>"
					      "%.*s</param></params></methodCall>",
					      (int)(n - strlen(head) - strlen(tail)),
					      response + strlen(head));
	parse_ok(call, c);
	assert_int_equal(c->n_params, 1);
}

static void test_write_shapes(void **state)
{
	struct rpc_writer w;
	rpc_writer_init(&w);
	rpc_begin_response(&w);
	rpc_begin_struct(&w);
	rpc_key(&w, "result_code");
	rpc_int_value(&w, 0);
	rpc_key(&w, "result");
	rpc_begin_array(&w);
	rpc_string_value(&w, "h1");
	rpc_begin_array(&w);
	rpc_int_value(&w, -5);
	rpc_end_array(&w);
	rpc_begin_struct(&w);
	rpc_key(&w, "x");
	rpc_begin_struct(&w);
	rpc_end_struct(&w);
	rpc_key(&w, "y");
	rpc_bool_value(&w, true);
	rpc_end_struct(&w);
	rpc_end_array(&w);
	rpc_key(&w, "plugin_errors");
	rpc_begin_struct(&w);
	rpc_key(&w, "u");
	rpc_begin_array(&w);
	rpc_end_array(&w);
	rpc_end_struct(&w);
	rpc_key(&w, "no");
	rpc_bool_value(&w, false);
	rpc_end_struct(&w);
	rpc_end_response(&w);
	assert_int_equal(w.depth, 0);
	_cleanup_free_ char *out = take(&w);
	assert_string_equal(
		out,
		DECL "<methodResponse><params><param><value><struct>"
		     "<member><name>result_code</name><value><int>0</int></value></member>"
		     "<member><name>result</name><value><array><data>"
		     "<value><string>h1</string></value>"
		     "<value><array><data><value><int>-5</int></value></data></array></value>"
		     "<value><struct><member><name>x</name><value><struct></struct></value></member>"
		     "<member><name>y</name><value><boolean>1</boolean></value></member></struct></value>"
		     "</data></array></value></member>"
		     "<member><name>plugin_errors</name><value><struct><member><name>u</name><value>"
		     "<array><data></data></array></value></member></struct></value></member>"
		     "<member><name>no</name><value><boolean>0</boolean></value></member>"
		     "</struct></value></param></params></methodResponse>");
	_cleanup_(rpc_call_clear) struct rpc_call c = { 0 };
	read_back(out, &c);
	const struct rpc_value *v = &c.params[0];
	assert_int_equal(rpc_struct_get(v, "result_code")->type, RPC_INT);
	const struct rpc_value *res = rpc_struct_get(v, "result");
	assert_int_equal(res->array.n, 3);
	assert_true(rpc_struct_get(&res->array.v[2], "y")->b);
}

static void test_write_escape(void **state)
{
	static const struct {
		const char *in, *xml, *back;
	} cases[] = {
		{ "a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d\"e'f", "a&b<c>d\"e'f" },
		{ "t\tn\nr\r.", "t\tn\nr&#xD;.", "t\tn\nr\r." },
		{ "\x01x\x1f\x7f", "\xef\xbf\xbdx\xef\xbf\xbd\x7f", NULL },
		{ "é€😀\xc2\x80", "é€😀\xc2\x80", NULL },             /* valid, C1 included */
		{ "\xff|\xc3|\xc0\xaf|", "\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|", NULL },
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", NULL }, /* a surrogate */
		{ "\xe2\x82", "\xef\xbf\xbd", NULL },                 /* cut short: one U+FFFD */
		{ "\xf0\x9f\x98", "\xef\xbf\xbd", NULL },
		{ "\xe2\x82x", "\xef\xbf\xbdx", NULL },
		{ "\xef\xbf\xbe\xef\xbf\xbf\xef\xbf\xbd", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", NULL },
		{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", NULL },
		{ "\xf4\x8f\xbf\xbd", "\xf4\x8f\xbf\xbd", NULL },     /* U+10FFFD */
		{ "", "", "" },
		{ NULL, "", "" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct rpc_writer w;
		rpc_writer_init(&w);
		rpc_begin_response(&w);
		rpc_string_value(&w, cases[i].in);
		rpc_end_response(&w);
		_cleanup_free_ char *out = take(&w);
		_cleanup_free_ char *want = xasprintf(DECL "<methodResponse><params><param><value><string>"
						      "%s</string></value></param></params></methodResponse>",
						      cases[i].xml);
		assert_string_equal(out, want);
		_cleanup_(rpc_call_clear) struct rpc_call c = { 0 };
		read_back(out, &c);
		assert_string_equal(rpc_string(&c.params[0]), cases[i].back ? cases[i].back : cases[i].xml);
	}
	/* keys are escaped the same way */
	struct rpc_writer w;
	rpc_writer_init(&w);
	rpc_begin_response(&w);
	rpc_begin_struct(&w);
	rpc_key(&w, "<&\x02\xff>");
	rpc_string_value(&w, "v");
	rpc_end_struct(&w);
	rpc_end_response(&w);
	_cleanup_free_ char *out = take(&w);
	assert_non_null(strstr(out, "<name>&lt;&amp;\xef\xbf\xbd\xef\xbf\xbd&gt;</name>"));
	_cleanup_(rpc_call_clear) struct rpc_call c = { 0 };
	read_back(out, &c);
	assert_string_equal(c.params[0].st.m[0].name, "<&\xef\xbf\xbd\xef\xbf\xbd>");
}

static void test_write_ints(void **state)
{
	static const struct {
		int64_t in;
		const char *out;
	} cases[] = {
		{ 0, "0" },
		{ 7, "7" },
		{ -1, "-1" },
		{ INT32_MAX, "2147483647" },
		{ INT32_MIN, "-2147483648" },
		{ (int64_t)INT32_MAX + 1, "2147483647" },
		{ (int64_t)INT32_MIN - 1, "-2147483648" },
		{ INT64_MAX, "2147483647" },
		{ INT64_MIN, "-2147483648" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct rpc_writer w;
		rpc_writer_init(&w);
		rpc_begin_response(&w);
		rpc_int_value(&w, cases[i].in);
		rpc_end_response(&w);
		_cleanup_free_ char *out = take(&w);
		_cleanup_free_ char *want = xasprintf("<value><int>%s</int></value>", cases[i].out);
		assert_non_null(strstr(out, want));
		_cleanup_(rpc_call_clear) struct rpc_call c = { 0 };
		read_back(out, &c);
		assert_int_equal(c.params[0].type, RPC_INT);
	}
}

#define FAULT(code, msg)                                                                           \
	DECL "<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>" code  \
	     "</int></value></member><member><name>faultString</name><value><string>" msg          \
	     "</string></value></member></struct></value></fault></methodResponse>"

static void test_write_fault(void **state)
{
	struct rpc_writer w;
	rpc_writer_init(&w);
	rpc_fault(&w, -32700, "parse error: %s at %d", "<x> & \x01", 3);
	_cleanup_free_ char *out = take(&w);
	assert_string_equal(out, FAULT("-32700", "parse error: &lt;x&gt; &amp; \xef\xbf\xbd at 3"));
	xmlDoc *doc = xmlReadMemory(out, (int)strlen(out), NULL, NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	xmlFreeDoc(doc);

	/* a fault in the middle of a response replaces what was written */
	rpc_begin_response(&w);
	rpc_begin_struct(&w);
	rpc_key(&w, "result");
	rpc_begin_array(&w);
	rpc_string_value(&w, "half");
	rpc_fault(&w, 1, "late");
	assert_int_equal(w.depth, 0);
	_cleanup_free_ char *late = take(&w);
	assert_string_equal(late, FAULT("1", "late"));
}

static void test_write_empty(void **state)
{
	struct rpc_writer w;
	rpc_writer_init(&w);
	size_t len = 9;
	_cleanup_free_ char *out = rpc_writer_take(&w, &len);
	assert_string_equal(out, "");
	assert_int_equal(len, 0);
	rpc_begin_response(&w);
	rpc_writer_free(&w);
	assert_null(w.buf);
	rpc_writer_free(&w); /* twice is fine */
}

/* Any bytes make a well-formed reply that reads back as the same text where it was valid. */
static void test_write_any_bytes(void **state)
{
	struct mutator m = { 2463534242u, "&<>\r\n\t\x01\xc3\xa9\xed\xef\xbf\xf4\x80" };
	for (int i = 0; i < 2000; i++) {
		char s[64];
		size_t n = 1 + mutator_next(&m) % (sizeof s - 1);
		for (size_t j = 0; j < n - 1; j++) {
			uint32_t r = mutator_next(&m);
			s[j] = r % 2 ? m.interesting[(r >> 1) % strlen(m.interesting)] : (char)(r >> 8);
			if (!s[j])
				s[j] = 'z';
		}
		s[n - 1] = '\0';
		struct rpc_writer w;
		rpc_writer_init(&w);
		rpc_begin_response(&w);
		rpc_begin_struct(&w);
		rpc_key(&w, s);
		rpc_string_value(&w, s);
		rpc_end_struct(&w);
		rpc_end_response(&w);
		_cleanup_free_ char *out = take(&w);
		_cleanup_(rpc_call_clear) struct rpc_call c = { 0 };
		read_back(out, &c);
		assert_string_equal(c.params[0].st.m[0].name, rpc_string(&c.params[0].st.m[0].value));
	}
}

/* 10,000 host ids: one string array, linear output. */
static void test_write_many(void **state)
{
	struct rpc_writer w;
	rpc_writer_init(&w);
	rpc_begin_response(&w);
	rpc_begin_array(&w);
	for (int i = 0; i < 10000; i++)
		rpc_string_value(&w, host_ids[i % 3]);
	rpc_end_array(&w);
	rpc_end_response(&w);
	_cleanup_free_ char *out = take(&w);
	size_t each = strlen("<value><string></string></value>") + 36;
	assert_int_equal(strlen(out), strlen(DECL "<methodResponse><params><param><value><array><data>"
						 "</data></array></value></param></params></methodResponse>") +
					      10000 * each);
	_cleanup_(rpc_call_clear) struct rpc_call c = { 0 };
	read_back(out, &c);
	assert_int_equal(c.params[0].array.n, 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_shapes),
		cmocka_unit_test(test_write_escape),
		cmocka_unit_test(test_write_ints),
		cmocka_unit_test(test_write_fault),
		cmocka_unit_test(test_write_empty),
		cmocka_unit_test(test_write_any_bytes),
		cmocka_unit_test(test_write_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
