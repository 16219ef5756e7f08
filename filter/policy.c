/* SPDX-License-Identifier: MIT */
/* The policy properties' table and what is made from it: the engine's regexes, the service's
 * parsing and bounds, the defaults (policy.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "util.h"

#define FIELD(f) offsetof(struct vf_policy, f), sizeof(((struct vf_policy *)0)->f)

/* One row per property, in the order discover lists them. */
const struct vf_prop vf_props[] = {
	{ .name = "vf_demand", .kind = VF_PROP_INT, FIELD(demand), .min = 0, .max = 9999, .what = "a count",
	  .def = "1", .doc = "VFs a VM needs when the engine API is not configured" },
	{ .name = "on_missing", .kind = VF_PROP_ENUM, FIELD(accept_missing), .values = { "reject", "accept" },
	  .def = "reject", .doc = "a host whose report is missing, unreadable, stale or without a free count" },
	{ .name = "max_report_age", .kind = VF_PROP_INT, FIELD(max_report_age), .min = 0, .max = 99999999,
	  .what = "seconds", .def = "300", .doc = "seconds a report stays usable, 0 = any age" },
	{ .name = "label", .kind = VF_PROP_PATTERN, FIELD(label), .max = 64, .chars = "A-Za-z0-9_.:-", .def = "",
	  .doc = "only PFs whose physical_network or fabric equals it count; empty: every PF" },
	{ .name = "iommu_isolation", .kind = VF_PROP_ENUM, FIELD(iommu_isolation), .values = { "no", "yes" },
	  .def = "no", .doc = "yes: VFs sharing their IOMMU group with other devices do not count (hostdev vNICs)" },
	/* preferred by default: it rejects no host that passes without it, and it ranks first the
	 * hosts where a pinned VM gets every VF on its own NUMA nodes (docs/design.md) */
	{ .name = "numa", .kind = VF_PROP_ENUM, FIELD(numa), .values = { "ignore", "preferred", "required" },
	  .def = "preferred",
	  .doc = "a pinned VM's VFs on PFs local to its NUMA nodes: ignore, preferred (ranked first) or required" },
	{ .name = "require_link", .kind = VF_PROP_ENUM, FIELD(require_link), .values = { "no", "yes" }, .def = "yes",
	  .doc = "free VFs without link (PF down, VF link_state disable) do not count" },
};
const size_t vf_n_props = ARRAY_SIZE(vf_props);

const struct vf_prop *vf_prop_find(const char *name)
{
	for (size_t i = 0; i < vf_n_props; i++)
		if (streq(vf_props[i].name, name))
			return &vf_props[i];
	return NULL;
}

static int n_digits(int v)
{
	int n = 1;
	for (; v >= 10; v /= 10)
		n++;
	return n;
}

static int pow10_int(int n)
{
	int v = 1;
	while (n-- > 0)
		v *= 10;
	return v;
}

static bool all_of(const char *s, char c, size_t w)
{
	for (size_t i = 0; i < w; i++)
		if (s[i] != c)
			return false;
	return true;
}

/* The zero-padded numbers of width w from lo to hi (lo <= hi, both w digits). */
static void digit_range(FILE *f, const char *lo, const char *hi, size_t w)
{
	if (w == 0)
		return;
	if (all_of(lo, '0', w) && all_of(hi, '9', w)) {
		fprintf(f, w == 1 ? "[0-9]" : "[0-9]{%zu}", w);
		return;
	}
	if (lo[0] == hi[0]) {
		fputc(lo[0], f);
		digit_range(f, lo + 1, hi + 1, w - 1);
		return;
	}
	char zeros[16], nines[16];
	memset(zeros, '0', w - 1);
	memset(nines, '9', w - 1);
	/* lo[0] with lo's tail up to 9..9, the whole leading digits between, hi[0] with 0..0 up to hi's tail */
	char first = all_of(lo + 1, '0', w - 1) ? lo[0] : (char)(lo[0] + 1);
	char last = all_of(hi + 1, '9', w - 1) ? hi[0] : (char)(hi[0] - 1);
	const char *sep = "";
	fputc('(', f);
	if (first != lo[0]) {
		fputc(lo[0], f);
		digit_range(f, lo + 1, nines, w - 1);
		sep = "|";
	}
	if (first <= last) {
		fprintf(f, first == last ? "%s%c" : "%s[%c-%c]", sep, first, last);
		if (w > 1)
			fprintf(f, w == 2 ? "[0-9]" : "[0-9]{%zu}", w - 1);
		sep = "|";
	}
	if (last != hi[0]) {
		fprintf(f, "%s%c", sep, hi[0]);
		digit_range(f, zeros, hi + 1, w - 1);
	}
	fputc(')', f);
}

/* v (< 10^w) as w digits */
static void zero_padded(char *buf, size_t w, int v)
{
	for (size_t i = w; i-- > 0; v /= 10)
		buf[i] = (char)('0' + v % 10);
	buf[w] = '\0';
}

/* 1..digits(max) digits with a value in [min, max]: one alternative per width. */
static void int_regex(FILE *f, int min, int max)
{
	int d = n_digits(max);
	if (min == 0 && max == pow10_int(d) - 1) {
		fprintf(f, "^[0-9]{1,%d}$", d);
		return;
	}
	const char *sep = "";
	fputs("^(", f);
	for (int w = 1; w <= d; w++) {
		int hi = max < pow10_int(w) - 1 ? max : pow10_int(w) - 1;
		if (min > hi)
			continue;
		char los[16], his[16];
		zero_padded(los, (size_t)w, min);
		zero_padded(his, (size_t)w, hi);
		fputs(sep, f);
		digit_range(f, los, his, (size_t)w);
		sep = "|";
	}
	fputs(")$", f);
}

char *vf_prop_regex(const struct vf_prop *prop)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		abort(); /* out of memory, as xmalloc */
	if (prop->kind == VF_PROP_INT) {
		int_regex(f, prop->min, prop->max);
	} else if (prop->kind == VF_PROP_ENUM) {
		fputs("^(", f);
		for (size_t i = 0; prop->values[i]; i++)
			fprintf(f, "%s%s", i ? "|" : "", prop->values[i]);
		fputs(")$", f);
	} else {
		fprintf(f, "^[%s]{0,%d}$", prop->chars, prop->max);
	}
	fclose(f);
	return buf;
}

char *vf_policy_validation(void)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		abort();
	for (size_t i = 0; i < vf_n_props; i++) {
		_cleanup_free_ char *re = vf_prop_regex(&vf_props[i]);
		fprintf(f, "%s%s=%s", i ? ";" : "", vf_props[i].name, re);
	}
	fclose(f);
	return buf;
}

/* 1..digits(max) decimal digits, nothing else, with a value in [min, max]. */
static bool parse_int(const struct vf_prop *prop, const char *s, int *ret)
{
	size_t n = strlen(s);
	if (n < 1 || n > (size_t)n_digits(prop->max) || strspn(s, "0123456789") != n)
		return false;
	int v = atoi(s); /* at most 9 digits: no overflow */
	if (v < prop->min || v > prop->max)
		return false;
	*ret = v;
	return true;
}

/* c is in the bracket expression's body: single characters and a-z ranges; '-' last is itself. */
static bool in_chars(const char *set, unsigned char c)
{
	for (const char *s = set; *s; s++) {
		if (s[1] == '-' && s[2]) {
			if (c >= (unsigned char)s[0] && c <= (unsigned char)s[2])
				return true;
			s += 2;
		} else if (c == (unsigned char)*s) {
			return true;
		}
	}
	return false;
}

static bool pattern_ok(const struct vf_prop *prop, const char *s)
{
	size_t n = strlen(s);
	if (n > (size_t)prop->max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!in_chars(prop->chars, (unsigned char)s[i]))
			return false;
	return true;
}

/* "reject or accept", "a, b or c" */
static char *enum_words(const struct vf_prop *prop)
{
	size_t n = 0;
	while (prop->values[n])
		n++;
	_cleanup_free_ char *s = xstrdup(prop->values[0]);
	for (size_t i = 1; i < n; i++) {
		char *t = xasprintf("%s%s%s", s, i == n - 1 ? " or " : ", ", prop->values[i]);
		free(s);
		s = t;
	}
	return TAKE_PTR(s);
}

static int set_enum(const struct vf_prop *prop, int *field, const char *value, const char *q, char **errmsg)
{
	for (int i = 0; prop->values[i]; i++)
		if (streq(prop->values[i], value)) {
			*field = i;
			return 0;
		}
	_cleanup_free_ char *words = enum_words(prop);
	return set_error(errmsg, -EINVAL, "property %s: '%s' is not %s", prop->name, q, words);
}

int vf_prop_set(const struct vf_prop *prop, struct vf_policy *p, const char *value, char **errmsg)
{
	char q[48];
	vf_quote_value(q, sizeof q, value);
	void *field = (char *)p + prop->offset;
	switch (prop->kind) {
	case VF_PROP_INT:
		if (!parse_int(prop, value, field))
			return set_error(errmsg, -EINVAL, "property %s: '%s' is not %s %d..%d", prop->name, q,
					 prop->what, prop->min, prop->max);
		return 0;
	case VF_PROP_ENUM:
		return set_enum(prop, field, value, q, errmsg);
	case VF_PROP_PATTERN:
		if (!pattern_ok(prop, value))
			return set_error(errmsg, -EINVAL, "property %s: '%s' is not 1-%d of [%s]", prop->name, q,
					 prop->max, prop->chars);
		snprintf(field, prop->size, "%s", value);
		return 0;
	}
	return -EINVAL;
}

int vf_policy_set(struct vf_policy *p, const char *name, const char *value, char **errmsg)
{
	const struct vf_prop *prop = vf_prop_find(name);
	return prop ? vf_prop_set(prop, p, value, errmsg) : 0;
}

void vf_policy_default(struct vf_policy *p)
{
	*p = (struct vf_policy){ 0 };
	for (size_t i = 0; i < vf_n_props; i++)
		vf_prop_set(&vf_props[i], p, vf_props[i].def, NULL); /* test_filter_policy: every default parses */
}

/* The value as the engine showed it, cut short and with control characters masked, so that a
 * hostile value cannot forge log lines or grow the message. */
void vf_quote_value(char *buf, size_t size, const char *v)
{
	size_t i = 0;
	for (; v[i] && i < size - 4 && i < 40; i++)
		buf[i] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i];
	if (v[i]) { /* cut short: the loop left room for the dots */
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
}
