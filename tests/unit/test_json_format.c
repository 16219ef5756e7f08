/* SPDX-License-Identifier: MIT */
/* lib/json.c's writer (vf_json_format) against json-c 0.16's json_object_to_json_string_ext
 * itself, pretty and plain: every byte value in a string, integers at their limits, empty and
 * nested containers, a few thousand random trees (a fixed seed), and the report of every fixture
 * host and of the model's hosts (report-hosts.h). Byte for byte, the trailing "\n" included. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixture-dirs.h"
#include "json.h"
#include "model.h"
#include "report-hosts.h"
#include "report.h"
#include "util.h"

#define FLAGS(pretty)                                                                              \
	(JSON_C_TO_STRING_NOSLASHESCAPE |                                                          \
	 ((pretty) ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN))

/* The first difference, with some context: reports run to megabytes. */
static void differs(const char *what, bool pretty, const char *got, size_t got_len, const char *want,
		    size_t want_len)
{
	size_t i = 0;
	while (i < got_len && i < want_len && got[i] == want[i])
		i++;
	size_t from = i > 40 ? i - 40 : 0;
	fail_msg("%s (%s): lengths %zu, json-c %zu; from byte %zu: '%.80s' json-c '%.80s'", what,
		 pretty ? "pretty" : "plain", got_len, want_len, from, got + from, want + from);
}

static void same_as_json_c(json_object *o, const char *what)
{
	for (int pretty = 0; pretty <= 1; pretty++) {
		size_t len, want_len;
		_cleanup_free_ char *got = vf_json_format(o, pretty, &len);
		const char *s = json_object_to_json_string_length(o, FLAGS(pretty), &want_len);
		_cleanup_free_ char *want = xmalloc(want_len + 2);
		memcpy(want, s, want_len);
		memcpy(want + want_len, "\n", 2);
		want_len++;
		if (len != want_len || memcmp(got, want, len) != 0)
			differs(what, pretty, got, len, want, want_len);
		assert_int_equal(got[len], '\0');
	}
}

/* Put o, after comparing it, as the value of a member and of an array, and alone. */
static void check(json_object *o, const char *what)
{
	same_as_json_c(o, what);
	json_object *a = json_object_new_array();
	json_object_array_add(a, json_object_get(o));
	json_object *obj = json_object_new_object();
	json_object_object_add(obj, "k", a);
	same_as_json_c(obj, what);
	json_object_put(obj);
	json_object_put(o);
}

static void check_string(const char *s, size_t n, const char *what)
{
	check(json_object_new_string_len(s, (int)n), what);
	/* and as a key (up to a NUL: json-c's keys are C strings) */
	_cleanup_free_ char *key = xstrndup(s, n);
	json_object *obj = json_object_new_object();
	json_object_object_add(obj, key, json_object_new_int(1));
	same_as_json_c(obj, what);
	json_object_put(obj);
}

static void test_bytes(_unused_ void **state)
{
	char all[256];
	for (int c = 0; c < 256; c++) {
		char s[3] = { 'a', (char)c, 'b' };
		_cleanup_free_ char *what = xasprintf("byte 0x%02x", c);
		check_string(s + 1, 1, what);
		check_string(s, 3, what);
		all[c] = (char)c;
	}
	check_string(all, sizeof(all), "bytes 0x00..0xff");
	const char *const strings[] = {
		"", "plain", "\"quoted\"", "back\\slash", "\\\\\"\\", "a/b//c", "</script>", "\\/",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\xff\xfe broken UTF-8 \xc3", "tab\there\r\n",
		"\x7f\x1f\x01", "\xe2\x80\xa8\xe2\x80\xa9",
	};
	for (size_t i = 0; i < ARRAY_SIZE(strings); i++)
		check_string(strings[i], strlen(strings[i]), strings[i]);
	check_string("nul\0inside", 10, "an embedded NUL");
}

static void test_integers(_unused_ void **state)
{
	const int64_t signed_[] = { INT64_MIN, INT64_MIN + 1, INT64_MAX, INT64_MAX - 1, 0, -1, 1, 9, 10,
				    -9, -10, 99, 100, INT32_MAX, INT32_MIN, 1000000000000000000, -999999999999999999 };
	for (size_t i = 0; i < ARRAY_SIZE(signed_); i++) {
		_cleanup_free_ char *what = xasprintf("int64 %" PRId64, signed_[i]);
		check(json_object_new_int64(signed_[i]), what);
	}
	const uint64_t unsigned_[] = { 0, 1, 10, (uint64_t)INT64_MAX, (uint64_t)INT64_MAX + 1,
				       10000000000000000000u, UINT64_MAX - 1, UINT64_MAX };
	for (size_t i = 0; i < ARRAY_SIZE(unsigned_); i++) {
		_cleanup_free_ char *what = xasprintf("uint64 %" PRIu64, unsigned_[i]);
		check(json_object_new_uint64(unsigned_[i]), what);
	}
	check(json_object_new_int(INT32_MIN), "int INT32_MIN");
}

static void test_scalars(_unused_ void **state)
{
	check(json_object_new_boolean(1), "true");
	check(json_object_new_boolean(0), "false");
	same_as_json_c(NULL, "null");
	check(json_object_new_double(1.5), "double");
	check(json_object_new_double(-0.0), "negative zero");
	check(json_object_new_double(1e300), "1e300");
	check(json_object_new_double_s(2.0, "2.000"), "double with its text");
}

/* JSON text in, its json-c tree compared. */
static void check_text(const char *text)
{
	json_object *o = json_tokener_parse(text);
	if (!o && strcmp(text, "null"))
		fail_msg("json-c does not parse '%s'", text);
	if (!o) {
		same_as_json_c(NULL, text);
		return;
	}
	check(o, text);
}

static void test_containers(_unused_ void **state)
{
	const char *const texts[] = {
		"{}", "[]", "[[]]", "[{}]", "{\"a\":{}}", "{\"a\":[]}", "[[],{},[[]],{\"x\":{}}]",
		"[null]", "[null,null]", "{\"a\":null}", "[1,[2,[3,[4,[5,[6,[7,[8,[]]]]]]]]]",
		"{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{}}}}}}}}", "[\"\",\"x\",0,true,false]",
		"{\"\":\"\",\"a b\":1,\"q\\\"\":2,\"\\u0001\":3}", "{\"a\":1,\"b\":[1,2,{\"c\":[]}],\"d\":{}}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		check_text(texts[i]);
	/* NULL members and elements, as the report's unknowns are */
	json_object *o = json_object_new_object();
	json_object_object_add(o, "nothing", NULL);
	json_object *a = json_object_new_array();
	json_object_array_add(a, NULL);
	json_object_array_add(a, json_object_new_object());
	json_object_array_put_idx(a, 4, json_object_new_int(4)); /* 2 and 3 left NULL */
	json_object_object_add(o, "a", a);
	check(o, "NULL members");
}

/* ---- random trees ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static char *random_text(size_t *n)
{
	*n = rnd() % 12;
	char *s = xmalloc(*n + 1);
	for (size_t i = 0; i < *n; i++) {
		uint64_t r = rnd() % 8;
		/* mostly letters, then any byte, then the escaped ones */
		s[i] = r < 4 ? (char)('a' + rnd() % 26) : r < 6 ? (char)(rnd() % 256) : "\"\\/\n\t\x01\x7f"[rnd() % 7];
	}
	s[*n] = '\0';
	return s;
}

static json_object *random_tree(int depth);

static json_object *random_container(int depth, bool object)
{
	json_object *o = object ? json_object_new_object() : json_object_new_array();
	size_t n = rnd() % 6;
	for (size_t i = 0; i < n; i++) {
		json_object *v = random_tree(depth + 1);
		if (!object) {
			json_object_array_add(o, v);
			continue;
		}
		size_t len;
		_cleanup_free_ char *key = random_text(&len);
		json_object_object_add(o, key, v); /* a key up to a NUL, an existing one replaced */
	}
	return o;
}

static json_object *random_scalar(void)
{
	size_t n;
	switch (rnd() % 7) {
	case 0: return NULL;
	case 1: return json_object_new_boolean(rnd() % 2);
	case 2: return json_object_new_int64((int64_t)rnd() >> (rnd() % 64));
	case 3: return json_object_new_uint64(rnd() >> (rnd() % 64));
	case 4: return json_object_new_double((double)(int64_t)rnd() / (double)(rnd() | 1));
	default: {
		_cleanup_free_ char *s = random_text(&n);
		return json_object_new_string_len(s, (int)n);
	}
	}
}

static json_object *random_tree(int depth)
{
	uint64_t r = rnd() % 10;
	if (depth < 8 && r < 4)
		return random_container(depth, r < 2);
	return random_scalar();
}

static void test_random_trees(_unused_ void **state)
{
	rng_state = 0x9e3779b97f4a7c15u;
	for (int i = 0; i < 3000; i++) {
		_cleanup_free_ char *what = xasprintf("random tree %d", i);
		json_object *o = random_container(0, rnd() % 2);
		same_as_json_c(o, what);
		json_object_put(o);
	}
}

/* ---- reports ---- */

static void check_report(struct vf_host *h, const char *what)
{
	json_object *o = vf_report_to_json(h);
	same_as_json_c(o, what);
	for (int pretty = 0; pretty <= 1; pretty++) {
		_cleanup_free_ char *got = vf_report_format_json(h, pretty);
		_cleanup_free_ char *want = xasprintf("%s\n", json_object_to_json_string_ext(o, FLAGS(pretty)));
		if (strcmp(got, want) != 0)
			differs(what, pretty, got, strlen(got), want, strlen(want));
	}
	json_object_put(o);
}

static void fixture_case(const char *parent, const char *name)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	_cleanup_host_ struct vf_host *h = read_golden_report(parent, name, &path, &text);
	if (!h)
		return;
	check_report(h, path);
	/* and the golden as json-c reads it */
	_cleanup_json_ json_object *o = json_tokener_parse(text);
	assert_non_null(o);
	same_as_json_c(o, path);
}

static void test_reports(_unused_ void **state)
{
	static const char *const dirs[] = { "tests/fixtures/hosts", "tests/fixtures/variants" };
	assert_true(for_each_fixture_dir(dirs, ARRAY_SIZE(dirs), fixture_case) >= 8);
	struct vf_host *(*const made[])(void) = { host_full, host_small, host_empty };
	for (size_t i = 0; i < ARRAY_SIZE(made); i++) {
		_cleanup_host_ struct vf_host *h = made[i]();
		check_report(h, "a model host");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_random_trees),
		cmocka_unit_test(test_reports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
