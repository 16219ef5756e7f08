/* SPDX-License-Identifier: MIT */
/* RFC 3339 timestamps as the report writes them ("2026-11-18T11:06:40Z": UTC, whole seconds,
 * four-digit years) and reads them back (UTC only, fractions dropped), split from report.c's
 * field tables; no strptime, whose result depends on the locale and TZ. */
#include "report.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "util.h"

char *vf_format_rfc3339(time_t t)
{
	struct tm tm;
	char buf[32];
	/* four-digit years only, as RFC 3339 requires */
	if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return NULL;
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

/* Take exactly n digits as a number in min..max. */
static bool take_num(const char **p, int n, int min, int max, int *ret)
{
	int v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		v = v * 10 + (**p - '0');
	}
	*ret = v;
	return v >= min && v <= max;
}

static bool take_char(const char **p, const char *set)
{
	if (!**p || !strchr(set, **p))
		return false;
	(*p)++;
	return true;
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return days[month - 1] + (month == 2 && leap);
}

/* The zone must be UTC: "Z", "+00:00" or "-00:00" (RFC 3339's "offset unknown", still UTC). */
static bool take_utc(const char **p)
{
	int hh, mm;
	if (take_char(p, "Zz"))
		return true;
	return take_char(p, "+-") && take_num(p, 2, 0, 0, &hh) && take_char(p, ":") &&
	       take_num(p, 2, 0, 0, &mm);
}

int vf_parse_rfc3339(const char *s, time_t *ret)
{
	struct tm tm = {};
	int year, mon, sec;
	const char *p = s;
	/* || stops at the first failure, so days_in_month() only sees a valid year and month */
	if (!take_num(&p, 4, 0, 9999, &year) || !take_char(&p, "-") || !take_num(&p, 2, 1, 12, &mon) ||
	    !take_char(&p, "-") || !take_num(&p, 2, 1, days_in_month(year, mon), &tm.tm_mday) ||
	    !take_char(&p, "Tt") || !take_num(&p, 2, 0, 23, &tm.tm_hour) || !take_char(&p, ":") ||
	    !take_num(&p, 2, 0, 59, &tm.tm_min) || !take_char(&p, ":") || !take_num(&p, 2, 0, 60, &sec))
		return -EINVAL;
	/* fractional seconds are accepted and dropped: the model keeps whole seconds */
	if (take_char(&p, ".")) {
		size_t n = strspn(p, "0123456789");
		if (n == 0)
			return -EINVAL;
		p += n;
	}
	if (!take_utc(&p) || *p)
		return -EINVAL;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_sec = sec; /* a leap second 60 normalizes to the next minute */
	*ret = timegm(&tm);
	return 0;
}
