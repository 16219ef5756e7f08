/* SPDX-License-Identifier: MIT */
/* filter/policy.c: for every policy property, the regex the engine gets (compiled here with
 * POSIX regcomp, which reads the generated subset of Java regex the same way) accepts exactly
 * the values vf_policy_set accepts, on edge values and junk; the table's rows are sound; the
 * legacy plugin says the same as discover. */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"
#include "read-fixture.h"
#include "util.h"

/* One value: the regex and vf_prop_set agree. Returns whether it was accepted. */
static bool agree(const struct vf_prop *prop, const regex_t *re, const char *value)
{
	struct vf_policy p;
	vf_policy_default(&p);
	_cleanup_free_ char *err = NULL;
	bool parsed = vf_prop_set(prop, &p, value, &err) == 0;
	bool matched = regexec(re, value, 0, NULL, 0) == 0;
	if (parsed != matched)
		fail_msg("%s='%s': the service %s it, the regex %s it (%s)", prop->name, value,
			 parsed ? "accepts" : "refuses", matched ? "accepts" : "refuses", err ? err : "");
	if (!parsed && (!err || !strstr(err, prop->name) || strchr(err, '\n')))
		fail_msg("%s='%s': error '%s' is not one line naming the property", prop->name, value, err);
	return parsed;
}

static void compile(const struct vf_prop *prop, regex_t *re)
{
	_cleanup_free_ char *s = vf_prop_regex(prop);
	if (regcomp(re, s, REG_EXTENDED | REG_NOSUB) != 0)
		fail_msg("%s: regex '%s' does not compile", prop->name, s);
}

static void agree_num(const struct vf_prop *prop, const regex_t *re, long v, int width)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%0*ld", width, v);
	agree(prop, re, buf);
}

/* Every value up to 20000 beyond the bounds, every power of ten, as 1.. digits(max)+1 wide. */
static void int_edges(const struct vf_prop *prop, const regex_t *re)
{
	static const char *const junk[] = { "", "-1", "+1", " 1", "1 ", "1e3", "0x1", "1.0", "a", "１", "99999999999999" };
	for (size_t i = 0; i < ARRAY_SIZE(junk); i++)
		assert_false(agree(prop, re, junk[i]));
	long edges[] = { prop->min - 1L, prop->min, prop->min + 1L, prop->max - 1L, prop->max, prop->max + 1L };
	for (int w = 0; w <= 10; w++)
		for (size_t i = 0; i < ARRAY_SIZE(edges); i++)
			if (edges[i] >= 0)
				agree_num(prop, re, edges[i], w);
	for (long p10 = 1; p10 <= 10L * prop->max; p10 *= 10)
		for (int w = 0; w <= 10; w++) {
			agree_num(prop, re, p10 - 1, w);
			agree_num(prop, re, p10, w);
		}
	for (long v = 0; v <= 20000 && v <= prop->max + 2L; v++) {
		agree_num(prop, re, v, 0);
		agree_num(prop, re, v, 3);
	}
	assert_true(agree(prop, re, "0") == (prop->min == 0));
}

static void enum_edges(const struct vf_prop *prop, const regex_t *re)
{
	static const char *const junk[] = { "", " ", "yes no", "|", "()", ".*" };
	for (size_t i = 0; i < ARRAY_SIZE(junk); i++)
		agree(prop, re, junk[i]);
	for (size_t i = 0; prop->values[i]; i++) {
		const char *v = prop->values[i];
		assert_true(agree(prop, re, v));
		_cleanup_free_ char *upper = xstrdup(v), *pre = xasprintf(" %s", v), *post = xasprintf("%s ", v);
		_cleanup_free_ char *both = xasprintf("%s|%s", v, v), *twice = xasprintf("%s%s", v, v);
		_cleanup_free_ char *cut = xstrndup(v, strlen(v) - 1);
		upper[0] = (char)(upper[0] - 'a' + 'A');
		const char *bad[] = { upper, pre, post, both, twice, cut };
		for (size_t k = 0; k < ARRAY_SIZE(bad); k++)
			assert_false(agree(prop, re, bad[k]));
	}
}

/* Every byte as a one-character value, and lengths around the limit. */
static void pattern_edges(const struct vf_prop *prop, const regex_t *re)
{
	assert_true(agree(prop, re, ""));
	for (int c = 1; c < 256; c++) {
		char v[4] = { (char)c, 0 }, w[4] = { 'a', (char)c, 'a', 0 };
		agree(prop, re, v);
		agree(prop, re, w);
	}
	for (int n = prop->max - 1; n <= prop->max + 1; n++) {
		_cleanup_free_ char *v = xcalloc((size_t)n + 1, 1);
		memset(v, 'a', (size_t)n);
		assert_true(agree(prop, re, v) == (n <= prop->max));
	}
}

static void check_prop(const struct vf_prop *prop)
{
	regex_t re;
	compile(prop, &re);
	if (prop->kind == VF_PROP_INT)
		int_edges(prop, &re);
	else if (prop->kind == VF_PROP_ENUM)
		enum_edges(prop, &re);
	else
		pattern_edges(prop, &re);
	regfree(&re);
}

static void test_regex_agrees_with_parser(void **state)
{
	for (size_t i = 0; i < vf_n_props; i++)
		check_prop(&vf_props[i]);
}

/* The generator on ranges the table does not have yet (it only has 0..10^n-1). */
static void test_int_ranges(void **state)
{
	static const int ranges[][2] = { { 5, 300 }, { 0, 300 }, { 1, 9 }, { 10, 99 }, { 7, 7 }, { 0, 0 },
					 { 123, 4567 }, { 1, 10000 }, { 99, 1000 }, { 0, 1 }, { 19, 21 } };
	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++) {
		struct vf_prop prop = { .name = "vf_demand", .kind = VF_PROP_INT, .offset = offsetof(struct vf_policy, demand),
					.size = sizeof(int), .min = ranges[i][0], .max = ranges[i][1], .what = "a count" };
		check_prop(&prop);
	}
}

static void test_rows(void **state)
{
	struct vf_policy p;
	for (size_t i = 0; i < vf_n_props; i++) {
		const struct vf_prop *prop = &vf_props[i];
		_cleanup_free_ char *err = NULL;
		if (vf_prop_set(prop, &p, prop->def, &err) < 0)
			fail_msg("%s: the default does not parse: %s", prop->name, err);
		assert_int_equal(strspn(prop->name, "abcdefghijklmnopqrstuvwxyz_"), strlen(prop->name));
		assert_ptr_equal(vf_prop_find(prop->name), prop);
		assert_non_null(prop->doc);
		assert_true(prop->offset + prop->size <= sizeof p);
		if (prop->kind == VF_PROP_PATTERN)
			assert_true(prop->size > (size_t)prop->max);
		else
			assert_int_equal(prop->size, sizeof(int));
		if (prop->kind == VF_PROP_INT)
			assert_true(prop->min >= 0 && prop->min <= prop->max && prop->max <= 999999999 && prop->what);
		if (prop->kind == VF_PROP_ENUM)
			assert_true(prop->values[0] && prop->values[1] && !prop->values[ARRAY_SIZE(prop->values) - 1]);
	}
	assert_null(vf_prop_find("other_units_prop"));
	assert_int_equal(vf_policy_set(&p, "other_units_prop", "junk", NULL), 0);
}

/* The defaults as the service has always had them, and the wire string of today's table. */
static void test_defaults_and_validation(void **state)
{
	struct vf_policy p;
	vf_policy_default(&p);
	assert_int_equal(p.demand, 1);
	assert_false(p.accept_missing);
	assert_int_equal(p.max_report_age, 300);
	assert_string_equal(p.label, "");
	assert_int_equal(p.require_link, 1);
	_cleanup_free_ char *v = vf_policy_validation();
	/* new rows go at the end: what the engine saw so far stays as it was */
	const char *was = "vf_demand=^[0-9]{1,4}$;on_missing=^(reject|accept)$;max_report_age=^[0-9]{1,8}$;"
			  "label=^[A-Za-z0-9_.:-]{0,64}$";
	assert_memory_equal(v, was, strlen(was));
	assert_int_equal(vf_policy_set(&p, "on_missing", "accept", NULL), 0);
	assert_true(p.accept_missing);
	assert_int_equal(vf_policy_set(&p, "require_link", "no", NULL), 0);
	assert_int_equal(p.require_link, 0);
}

/* The legacy proxy's plugin carries the same string (it cannot ask the service): the
 * concatenated literals of `_VALIDATION = (...)` in vfcap_filter.py. */
static void test_legacy_plugin_agrees(void **state)
{
	_cleanup_free_ char *py = read_fixture_file("filter/ovirt-scheduler-proxy", "vfcap_filter.py", NULL);
	const char *s = strstr(py, "_VALIDATION = (");
	assert_non_null(s);
	_cleanup_free_ char *got = xstrdup("");
	for (s += strlen("_VALIDATION = ("); *s != ')'; s++) {
		if (*s == ' ' || *s == '\n')
			continue;
		assert_int_equal(*s, '"');
		const char *close = strchr(s + 1, '"');
		assert_non_null(close);
		char *t = xasprintf("%s%.*s", got, (int)(close - s - 1), s + 1);
		free(got);
		got = t;
		s = close;
	}
	_cleanup_free_ char *want = vf_policy_validation();
	assert_string_equal(got, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regex_agrees_with_parser),
		cmocka_unit_test(test_int_ranges),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_defaults_and_validation),
		cmocka_unit_test(test_legacy_plugin_agrees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
