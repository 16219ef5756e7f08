/* SPDX-License-Identifier: MIT */
/* hook/caps.c: the report spliced into VDSM's getCapabilities JSON. */
#include <errno.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "caps.h"
#include "mutate.h"
#include "util.h"

#define SENTINEL ((void *)(uintptr_t)0x5e1)

/* As lib/report.c writes it: pretty, with a trailing newline. */
static const char report[] = "{\n  \"schema_version\": 1,\n  \"host\": \"node1\",\n  \"pfs\": []\n}\n";
#define REPORT_TEXT "{\n  \"schema_version\": 1,\n  \"host\": \"node1\",\n  \"pfs\": []\n}"
#define REPORT_PLAIN "{\"schema_version\":1,\"host\":\"node1\",\"pfs\":[]}"

static json_object *parse_strict(const char *text, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success)
		fail_msg("output does not parse: %s\n%s",
			 json_tokener_error_desc(json_tokener_get_error(tok)), text);
	json_tokener_free(tok);
	return o;
}

/* The merge must succeed with exactly want; the output parses, its "vfcap" is the report, and
 * caps (which is copied first) is unchanged. */
static void merge_is(const char *caps, const char *want)
{
	size_t caps_len = strlen(caps);
	_cleanup_free_ char *copy = xstrdup(caps);
	_cleanup_free_ char *out = NULL, *err = NULL;
	size_t out_len = 0;
	int r = vf_caps_merge(copy, caps_len, report, &out, &out_len, &err);
	if (r < 0)
		fail_msg("merge of %s: %d %s", caps, r, err);
	assert_null(err);
	assert_string_equal(copy, caps);
	assert_int_equal(out_len, strlen(out));
	assert_string_equal(out, want);

	json_object *o = parse_strict(out, out_len), *vfcap,
		    *want_report = parse_strict(report, strlen(report));
	assert_true(json_object_object_get_ex(o, "vfcap", &vfcap));
	assert_true(json_object_equal(vfcap, want_report));
	json_object_put(o);
	json_object_put(want_report);
}

/* Splicing: out is caps with ins put in at byte at and nothing else changed. */
static void spliced_at(const char *caps, size_t at, const char *ins)
{
	_cleanup_free_ char *want = xasprintf("%.*s%s%s", (int)at, caps, ins, caps + at);
	merge_is(caps, want);
}

static void test_splice_compact(void **state)
{
	merge_is("{\"a\":1,\"b\":[1,2]}", "{\"a\":1,\"b\":[1,2], \"vfcap\": " REPORT_TEXT "}");
	merge_is("{\"a\":1,\"b\":[1,2]}\n", "{\"a\":1,\"b\":[1,2], \"vfcap\": " REPORT_TEXT "}\n");
	/* What json-c would rewrite stays as VDSM wrote it: numbers, escapes, key order, duplicates. */
	static const char odd[] =
		"{\"z\": 1.10, \"y\": 1E5, \"x\": \"\\/\\u00e9\", \"n\": 99999999999999999999999, "
		"\"z\": 2}\n";
	spliced_at(odd, strlen(odd) - 2, ", \"vfcap\": " REPORT_TEXT);
}

static void test_splice_pretty(void **state)
{
	static const char pretty[] = "{\n  \"a\": 1,\n  \"b\": {\n    \"c\": \"d\"\n  }\n}\n";
	merge_is(pretty,
		 "{\n  \"a\": 1,\n  \"b\": {\n    \"c\": \"d\"\n  }, \"vfcap\": " REPORT_TEXT "\n}\n");
	/* CRLF, leading blank lines, tabs, several trailing newlines. */
	static const char crlf[] = "\r\n\t{\r\n\t\"a\": [\r\n\t\t1\r\n\t]\r\n}\r\n\r\n";
	spliced_at(crlf, strlen("\r\n\t{\r\n\t\"a\": [\r\n\t\t1\r\n\t]"), ", \"vfcap\": " REPORT_TEXT);
	/* The last member is a string ending in a brace, or an empty object. */
	static const char brace[] = "{\"a\": \"}\", \"b\": {} }";
	spliced_at(brace, strlen(brace) - 2, ", \"vfcap\": " REPORT_TEXT);
}

static void test_splice_empty(void **state)
{
	merge_is("{}", "{\"vfcap\": " REPORT_TEXT "}");
	merge_is(" { \n } \n", " {\"vfcap\": " REPORT_TEXT " \n } \n");
}

static void test_replace(void **state)
{
	/* The hook ran on this file before: the value is replaced in place, json-c writes the rest. */
	merge_is("{\"a\": 1, \"vfcap\": {\"old\": true}, \"z\": \"a/b\"}\n",
		 "{\"a\":1,\"vfcap\":" REPORT_PLAIN ",\"z\":\"a/b\"}\n");
	merge_is("{\"vfcap\":null}", "{\"vfcap\":" REPORT_PLAIN "}");
	/* A report without its trailing newline and with surrounding blanks works alike. */
	_cleanup_free_ char *out = NULL;
	assert_int_equal(vf_caps_merge("{}", 2, " {\"x\": 1}\t", &out, NULL, NULL), 0);
	assert_string_equal(out, "{\"vfcap\": {\"x\": 1}}");
}

/* The merge must fail with -EINVAL and exactly the message want, outputs untouched. */
static void merge_fails_with(const char *caps, size_t len, const char *rep, const char *want)
{
	char *out = SENTINEL;
	size_t out_len = 7;
	_cleanup_free_ char *err = NULL;
	assert_int_equal(vf_caps_merge(caps, len, rep, &out, &out_len, &err), -EINVAL);
	assert_ptr_equal(out, SENTINEL);
	assert_int_equal(out_len, 7);
	if (!streq_ptr(err, want))
		fail_msg("for '%.*s'\n got '%s'\nwant '%s'", (int)len, caps, err, want);
	assert_int_equal(vf_caps_merge(caps, len, rep, &out, &out_len, NULL), -EINVAL);
}

static void merge_fails(const char *caps, const char *want)
{
	merge_fails_with(caps, strlen(caps), report, want);
}

static void test_errors(void **state)
{
	merge_fails("", "caps: empty input, expected a JSON object");
	merge_fails(" \r\n\t", "caps: empty input, expected a JSON object");
	merge_fails("[1, 2]", "caps: the top level is an array, not an object");
	merge_fails("42", "caps: the top level is an int, not an object");
	merge_fails("4.5\n", "caps: the top level is a double, not an object");
	merge_fails("\"caps\"", "caps: the top level is a string, not an object");
	merge_fails("null", "caps: the top level is a null, not an object");
	merge_fails("true", "caps: the top level is a boolean, not an object");
	merge_fails("{\"a\":1} x", "caps: JSON: byte 8: trailing data after the top-level value");
	merge_fails("{\"a\":1}{}", "caps: JSON: byte 7: trailing data after the top-level value");
	merge_fails("{\"a\":1}\v", "caps: JSON: byte 7: trailing data after the top-level value");
	merge_fails("{\"a\":1,}", "caps: JSON: byte 7: unexpected character");
	merge_fails("{\"a\":1\v}", "caps: JSON: byte 6: number expected");
	merge_fails("{\"a\":1", "caps: JSON: byte 6: unexpected end of data");
	merge_fails("{\"a\":\"\xff\"}", "caps: JSON: byte 6: invalid utf-8 string");
	/* a truncated sequence shows at the byte that cannot continue it */
	merge_fails("{\"a\":\"\xc3\"}", "caps: JSON: byte 7: invalid utf-8 string");
	merge_fails("caps", "caps: JSON: byte 0: unexpected character");
	merge_fails_with("{\"a\":1}\0", 8, report, "caps: byte 7: NUL byte in the text");
	merge_fails_with("{\"a\":\"\0\"}", 9, report, "caps: byte 6: NUL byte in the text");
	merge_fails_with(NULL, 0, report, "caps: no input");
	merge_fails_with("{}", 2, NULL, "caps: no input");

	/* Nesting deeper than VF_CAPS_MAX_DEPTH. */
	char deep[2 * VF_CAPS_MAX_DEPTH + 8], *d = deep;
	d += sprintf(d, "{\"a\":");
	for (int i = 0; i < VF_CAPS_MAX_DEPTH; i++)
		*d++ = '[';
	*d = '\0';
	_cleanup_free_ char *deep_msg =
		xasprintf("caps: JSON: byte %d: nesting too deep", 5 + VF_CAPS_MAX_DEPTH - 1);
	merge_fails(deep, deep_msg);

	/* The report is checked too. */
	merge_fails_with("{}", 2, "[]", "vfcap report: the top level is an array, not an object");
	merge_fails_with("{}", 2, "{\"a\":", "vfcap report: JSON: byte 5: unexpected end of data");
	merge_fails_with("{}", 2, "", "vfcap report: empty input, expected a JSON object");
	merge_fails_with("{}", 2, "{} {}",
			 "vfcap report: JSON: byte 3: trailing data after the top-level value");
}

static void test_too_large(void **state)
{
	size_t n = VF_CAPS_MAX_SIZE + 1;
	_cleanup_free_ char *big = xmalloc(n);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 2] = '}';
	big[n - 1] = '\n';
	merge_fails_with(big, n, report, "caps: too large (67108865 bytes, at most 67108864)");
	/* At the limit it is taken, and spliced. */
	_cleanup_free_ char *out = NULL;
	size_t out_len;
	big[n - 3] = '}';
	big[n - 2] = '\n';
	assert_int_equal(vf_caps_merge(big, n - 1, "{}", &out, &out_len, NULL), 0);
	assert_int_equal(out_len, n - 1 + strlen("\"vfcap\": {}"));
	assert_memory_equal(out, "{\"vfcap\": {} ", 13);
}

/* ---- robustness ---- */

static struct mutator mu = { 88675123u, "{}[]:,\"\\ \n0e.-" };

static void test_mutations(void **state)
{
	static const char base[] = "{\"a\": [1, 2.50, {\"b\": \"x\\/y\\u00e9\"}], \"c\": null, \"d\": {}}\n";
	char buf[sizeof(base) + 4];
	int ok = 0, failed = 0;
	for (int i = 0; i < 3000; i++) {
		memcpy(buf, base, sizeof(base));
		size_t len = mutate_once(&mu, buf, sizeof(base) - 1);
		_cleanup_free_ char *out = NULL, *err = NULL;
		size_t out_len = 0;
		int r = vf_caps_merge(buf, len, report, &out, &out_len, &err);
		if (r < 0) {
			assert_int_equal(r, -EINVAL);
			assert_true(startswith(err, "caps: "));
			assert_null(strchr(err, '\n'));
			failed++;
			continue;
		}
		/* Only the report was added: the output still parses, with the report in it. */
		json_object *o = parse_strict(out, out_len), *v;
		assert_true(json_object_object_get_ex(o, "vfcap", &v));
		assert_true(json_object_is_type(v, json_type_object));
		json_object_put(o);
		ok++;
	}
	print_message("%d parsed, %d rejected\n", ok, failed);
	assert_true(ok > 300);
	assert_true(failed > 300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_splice_compact), cmocka_unit_test(test_splice_pretty),
		cmocka_unit_test(test_splice_empty),   cmocka_unit_test(test_replace),
		cmocka_unit_test(test_errors),	       cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
