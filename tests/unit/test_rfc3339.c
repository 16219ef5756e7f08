/* SPDX-License-Identifier: MIT */
/* lib/rfc3339.c: the report's timestamps written (UTC, four-digit years) and read back
 * (offsets of zero, fractions dropped; every other shape refused). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "report.h"
#include "util.h"

#define T_2026_11_20 1795168800 /* 2026-11-20T10:00:00Z */

static void parses_to(const char *s, time_t want)
{
	time_t t = 0;
	if (vf_parse_rfc3339(s, &t) < 0)
		fail_msg("'%s' refused", s);
	assert_int_equal(t, want);
}

static void test_rfc3339(_unused_ void **state)
{
	_cleanup_free_ char *epoch = vf_format_rfc3339(0);
	assert_string_equal(epoch, "1970-01-01T00:00:00Z");
	_cleanup_free_ char *t = vf_format_rfc3339(T_2026_11_20);
	assert_string_equal(t, "2026-11-20T10:00:00Z");
	assert_null(vf_format_rfc3339((time_t)253402300800)); /* year 10000 */

	parses_to("2026-11-20T10:00:00Z", T_2026_11_20);
	parses_to("2026-11-20t10:00:00z", T_2026_11_20);
	parses_to("2026-11-20T10:00:00+00:00", T_2026_11_20);
	parses_to("2026-11-20T10:00:00-00:00", T_2026_11_20);
	parses_to("2026-11-20T10:00:00.999999Z", T_2026_11_20);
	parses_to("1970-01-01T00:00:00Z", 0);
	parses_to("2024-02-29T00:00:00Z", 1709164800);
	parses_to("2016-12-31T23:59:60Z", 1483228800); /* leap second: the next minute */

	const char *bad[] = {
		"",
		"2026-11-20",
		"2026-11-20T10:00:00",
		"2026-11-20 10:00:00Z",
		"2026-11-20T10:00Z",
		"2026-11-20T10:00:00.Z",
		"2026-11-20T10:00:00+01:00",
		"2026-11-20T10:00:00+0000",
		"2026-11-20T10:00:00Zjunk",
		"2023-02-29T00:00:00Z",
		"2026-13-01T00:00:00Z",
		"2026-00-01T00:00:00Z",
		"2026-04-31T00:00:00Z",
		"2026-11-20T24:00:00Z",
		"2026-11-20T10:60:00Z",
		"2026-11-20T10:00:61Z",
		"+026-11-20T10:00:00Z",
		"2026-1-20T10:00:00Z",
		" 2026-11-20T10:00:00Z",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		time_t x;
		if (vf_parse_rfc3339(bad[i], &x) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
