/* SPDX-License-Identifier: MIT */
/* Surrogate-pair character references (filter/xmlrpc-refs.c): the engine's XML writer escapes a
 * character outside the BMP as references to its two UTF-16 halves (the captured requests in
 * tests/fixtures/xmlrpc/engine-captured/, which test_filter_xmlrpc.c parses whole). A pair is read
 * as its character, in text and attribute values only; a lone or reversed half is an error; CDATA
 * sections, comments and processing instructions keep their text. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"
#include "xmlrpc-helpers.h"
#include "xmlrpc.h"

#define CALL(p) DECL "<methodCall><methodName>m</methodName><params>" p "</params></methodCall>"
#define PARAM(v) "<param><value>" v "</value></param>"
#define NAME_CALL(n) DECL "<methodCall><methodName>" n "</methodName></methodCall>"
#define HORSE "\xf0\x9f\x90\x8e" /* U+1F40E, &#55357;&#56334; */

/* The method name of a call that must parse; caller frees. */
static char *method_of(const char *body)
{
	struct rpc_call c = { 0 };
	parse_ok(body, &c);
	char *m = TAKE_PTR(c.method);
	rpc_call_clear(&c);
	return m;
}

static void name_is(const char *body, const char *want)
{
	_cleanup_free_ char *m = method_of(body);
	assert_string_equal(m, want);
}

static void refused(const char *body, const char *what)
{
	struct rpc_call c = { 0 };
	_cleanup_free_ char *err = NULL;
	assert_int_equal(rpc_parse_call(body, strlen(body), NULL, &c, &err), -EINVAL);
	if (!err || !strstr(err, what) || strchr(err, '\n'))
		fail_msg("%s\ngot '%s', want '...%s'", body, err, what);
	assert_null(c.method);
}

static void test_pairs(void **state)
{
	name_is(NAME_CALL("a&#55357;&#56334;b"), "a" HORSE "b");
	name_is(NAME_CALL("&#xD83D;&#xDC0E;"), HORSE);
	name_is(NAME_CALL("&#xd83d;&#xdc0e;"), HORSE);
	name_is(NAME_CALL("&#55357;&#xDC0E;&#0055357;&#00056334;"), HORSE HORSE); /* mixed, zeros */
	name_is(NAME_CALL("&#55296;&#56320;"), "\xf0\x90\x80\x80");		/* U+10000 */
	name_is(NAME_CALL("&#56319;&#57343;"), "\xf4\x8f\xbf\xbf");		/* U+10FFFF */
	name_is(NAME_CALL("&#55348;&#56606;&amp;&#65;"), "\xf0\x9d\x84\x9e&A"); /* U+1D11E */
	/* next to, not surrogates: libxml2's as before */
	name_is(NAME_CALL("&#55295;&#57344;"), "\xed\x9f\xbf\xee\x80\x80");
	/* in an attribute value too (the walk ignores attributes, the parse must still pass) */
	name_is(DECL "<methodCall a=\"&#55357;&#56334;\"><methodName>m</methodName></methodCall>", "m");
	/* in a struct member's name and value, across lines */
	struct rpc_call c = { 0 };
	parse_ok(CALL(PARAM("<struct>\n<member><name>k&#55357;&#56334;</name>\n<value>&#xD83D;&#xDC0E;"
			    "</value></member></struct>")),
		 &c);
	assert_string_equal(c.params[0].st.m[0].name, "k" HORSE);
	assert_string_equal(rpc_string(&c.params[0].st.m[0].value), HORSE);
	rpc_call_clear(&c);
}

static void test_lone_halves(void **state)
{
	refused(NAME_CALL("&#55357;"), "XML-RPC: line 1: character reference &#55357; is a high UTF-16 "
				       "surrogate half without its low half right after it");
	refused(NAME_CALL("&#55357;x&#56334;"), "&#55357; is a high");
	refused(NAME_CALL("&#55357;&#55357;&#56334;"), "&#55357; is a high");
	refused(NAME_CALL("&#55357;&#65;"), "&#55357; is a high");
	refused(NAME_CALL("&#56334;"), "character reference &#56334; is a low UTF-16 surrogate half "
				       "without its high half right before it");
	refused(NAME_CALL("&#56334;&#55357;"), "&#56334; is a low"); /* reversed */
	refused(NAME_CALL("&#xDFFF;"), "&#xDFFF; is a low");
	refused(NAME_CALL("&#xD800;&#xD800;"), "&#xD800; is a high");
	refused(DECL "<methodCall a='&#56334;'><methodName>m</methodName></methodCall>", "is a low");
	refused(DECL "\n<methodCall>\n<methodName>ok&#55357;&#56334;</methodName>\n<params>\n"
		     "<param><value>x&#55357;</value></param></params></methodCall>",
		"XML-RPC: line 5: character reference &#55357; is a high");
}

/* Where XML reads no references, the text stays as it is: a CDATA section, a comment, a PI. */
static void test_literal_markup(void **state)
{
	name_is(NAME_CALL("<![CDATA[&#55357;&#56334;]]>"), "&#55357;&#56334;");
	name_is(NAME_CALL("<![CDATA[&#56334; ]] > &#55357;]]>&#55357;&#56334;"),
		"&#56334; ]] > &#55357;" HORSE);
	name_is(NAME_CALL("a<!-- &#55357; -->b<?pi &#56334; ?>c"), "abc");
	name_is("<?xml version=\"1.0\"?><?x &#55357;?><!-- &#56334; --><methodCall><methodName>m"
		"</methodName></methodCall>",
		"m");
	/* unclosed: the rest is not looked at, libxml2 refuses it */
	refused(NAME_CALL("<![CDATA[&#55357;"), "XML: line 1: ");
	refused(NAME_CALL("<!-- &#55357;"), "XML: line 1: ");
}

/* Not a reference: libxml2 judges it as before. */
static void test_not_refs(void **state)
{
	static const char *const bodies[] = {
		NAME_CALL("&#55357"),	    NAME_CALL("&#;"),	  NAME_CALL("&#x;"),
		NAME_CALL("&#X D83D;"),	    NAME_CALL("&#xD83G;"), NAME_CALL("&#99999999999999999999;"),
		NAME_CALL("&#1114112;"),
	};
	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++)
		refused(bodies[i], "XML: line 1: ");
	name_is(NAME_CALL("&amp;#55357;"), "&#55357;"); /* escaped: text */
	name_is(NAME_CALL("#55357;&#56;"), "#55357;8");
}

static void test_join_directly(void **state)
{
	char *out = (char *)"untouched";
	size_t n = 77;
	static const char plain[] = "<m>no surrogate &#65;</m>";
	assert_int_equal(rpc_join_surrogate_refs(plain, strlen(plain), &out, &n, NULL), 0);
	assert_string_equal(out, "untouched");
	assert_int_equal(n, 77);
	/* the length given is the end: a pair cut by it is a lone half */
	static const char cut[] = "<m>&#55357;&#56334;</m>";
	_cleanup_free_ char *err = NULL;
	assert_int_equal(rpc_join_surrogate_refs(cut, 12, &out, &n, &err), -EINVAL);
	assert_non_null(strstr(err, "&#55357; is a high"));
	_cleanup_free_ char *joined = NULL;
	assert_int_equal(rpc_join_surrogate_refs(cut, strlen(cut), &joined, &n, NULL), 1);
	assert_int_equal(n, 11);
	assert_memory_equal(joined, "<m>" HORSE "</m>", n);
}

/* Any character outside the BMP, written as the engine writes it (decimal) or in hex, reads as
 * the same string as its raw UTF-8. */
static void test_round_trip(void **state)
{
	uint32_t seed = 2463534242u;
	for (int i = 0; i < 2000; i++) {
		seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
		uint32_t cp = 0x10000 + seed % 0x100000, hi = 0xD800 + ((cp - 0x10000) >> 10),
			 lo = 0xDC00 + ((cp - 0x10000) & 0x3FF);
		char utf8[5] = { (char)(0xF0 | cp >> 18), (char)(0x80 | ((cp >> 12) & 0x3F)),
				 (char)(0x80 | ((cp >> 6) & 0x3F)), (char)(0x80 | (cp & 0x3F)), 0 };
		_cleanup_free_ char *raw = xasprintf(NAME_CALL("x%sy"), utf8);
		_cleanup_free_ char *refs = xasprintf(i % 2 ? NAME_CALL("x&#%u;&#%u;y") : NAME_CALL("x&#x%X;&#x%x;y"),
						      hi, lo);
		_cleanup_free_ char *a = method_of(raw), *b = method_of(refs);
		assert_string_equal(a, b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs),	       cmocka_unit_test(test_lone_halves),
		cmocka_unit_test(test_literal_markup), cmocka_unit_test(test_not_refs),
		cmocka_unit_test(test_join_directly),  cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
