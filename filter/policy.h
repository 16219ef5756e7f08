/* SPDX-License-Identifier: MIT */
/* The policy properties of vfcap's scheduling units: one table (policy.c, vf_props) from which
 * the engine's properties_validation regexes, the service's parsing and bounds, the defaults
 * and `vfcap-filter run`'s options are all made, so that they cannot disagree.
 *
 * Properties (the cluster policy's, strings): vf_demand (VFs a VM needs when the engine API is
 * not configured, default 1), on_missing (reject|accept: a host whose report is missing,
 * unreadable, stale or without a free count; default reject), max_report_age (seconds, 0 = any
 * age; default 300), label (only PFs whose physical_network or fabric equals it count),
 * iommu_isolation (no|yes, default no: yes leaves out the free VFs whose IOMMU group holds other
 * devices, which a hostdev vNIC cannot take; a version-1 report has no such count: 0), numa
 * (ignore|preferred|required: VFs on the PFs local to a pinned VM's NUMA nodes; default
 * preferred, units.h), require_link (yes|no, default yes: a PF's free VFs without link, its
 * report's no_link, do not count; a version-1 report has no such count: 0).
 * Adding one: a row in vf_props and its field here (HACKING.md, 'A policy property'). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct vf_policy {
	int demand;         /* vf_demand */
	int accept_missing; /* on_missing: the index of its value, 0 reject, 1 accept */
	int max_report_age; /* seconds; 0: no limit */
	char label[65];     /* "" = every PF */
	int iommu_isolation; /* 0 no, 1 yes: count only VFs alone in their IOMMU group */
	int numa;           /* numa: enum vf_numa_policy */
	int require_link;   /* 0 no, 1 yes: count only VFs with link */
};

/* numa's values, in vf_props' order */
enum vf_numa_policy { VF_NUMA_IGNORE, VF_NUMA_PREFERRED, VF_NUMA_REQUIRED };

enum vf_prop_kind {
	VF_PROP_INT,     /* a decimal of 1..digits(max) digits (leading zeros allowed) in [min, max] */
	VF_PROP_ENUM,    /* one of values; the field (int) gets its index */
	VF_PROP_PATTERN, /* empty, or 1..max of the characters in chars; the field is a char array */
};

/* One property. The regex the engine gets and the check the service makes are both made from
 * it (vf_prop_regex, vf_prop_set), and a unit test holds them to the same answers. */
struct vf_prop {
	const char *name;
	enum vf_prop_kind kind;
	size_t offset, size;    /* its field in struct vf_policy */
	int min, max;           /* INT: bounds; PATTERN: max is the longest value */
	const char *what;       /* INT: what the number is, for the error ("a count", "seconds") */
	const char *values[4];  /* ENUM: the values, NULL-terminated */
	const char *chars;      /* PATTERN: a bracket expression's body, as in "[A-Za-z0-9_.:-]" */
	const char *def;        /* the default, a value like any other */
	const char *doc;        /* one line for people (docs, --help) */
};

extern const struct vf_prop vf_props[];
extern const size_t vf_n_props;

/* The row of a property vfcap has, or NULL. */
const struct vf_prop *vf_prop_find(const char *name);
/* The Java regex the engine checks a value with ("^...$"), written so that POSIX ERE reads it
 * the same way (the unit test compiles it with regcomp). The caller frees it. */
char *vf_prop_regex(const struct vf_prop *prop);
/* Parse one value into its field; -EINVAL with *errmsg "property NAME: 'VALUE' is not ...". */
int vf_prop_set(const struct vf_prop *prop, struct vf_policy *p, const char *value, char **errmsg);

/* The discover answer's properties_validation: "name=regex;..." for every property, in table
 * order. The caller frees it. */
char *vf_policy_validation(void);

void vf_policy_default(struct vf_policy *p);
/* Parse one property; what both the props struct and the command line use. Unknown properties
 * are ignored (the policy may hold other units' properties). */
int vf_policy_set(struct vf_policy *p, const char *name, const char *value, char **errmsg);

/* A value from outside, fit for a one-line message: at most ~40 characters (then "..."),
 * control characters shown as '?'. size >= 8. */
void vf_quote_value(char *buf, size_t size, const char *v);
