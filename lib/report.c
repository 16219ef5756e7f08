/* SPDX-License-Identifier: MIT */
/* The report as JSON. Writer and reader share one field table per object (as systemd's JSON
 * dispatch tables do), so the two cannot drift apart: each entry names the key, where the value
 * lives in the model, how to write it, how to read it back and what range it must have.
 * Key order in the output = table order. */
#include "report.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/if_link.h>
#include <stdarg.h>
#include <string.h>

#include "json.h"
#include "numa.h"
#include "util.h"

/* The deepest valid report is 6 levels (root, pfs, pf, vfs, vf, port_profile); the margin is
 * for unknown top-level extensions, the limit is against stack-exhausting input. */
#define REPORT_MAX_DEPTH 32

/* Enum fields are read through an int pointer. */
static_assert(sizeof(enum vf_state) == sizeof(int) && sizeof(enum vf_source) == sizeof(int),
	      "enums are int-sized");

/* ---- reader context: the JSON path of the value being read, and the first error ---- */

struct rd {
	int version; /* the report's schema_version, once read (it is the first key) */
	char path[256];
	size_t len;
	char *err;
};

static int _printf_(2, 3) rd_fail(struct rd *c, const char *fmt, ...)
{
	if (c->err)
		return -EINVAL;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	c->err = xasprintf("%s: %s", c->len ? c->path : "(root)", msg);
	return -EINVAL;
}

/* Append ".key" or "[i]" to the path; returns the old length for rd_pop(). A path too long
 * for the buffer is cut short, which only shortens an error message. */
static size_t rd_push(struct rd *c, const char *key, size_t i)
{
	size_t old = c->len;
	if (key)
		snprintf(c->path + old, sizeof(c->path) - old, old ? ".%s" : "%s", key);
	else
		snprintf(c->path + old, sizeof(c->path) - old, "[%zu]", i);
	c->len = strlen(c->path);
	return old;
}

static void rd_pop(struct rd *c, size_t old)
{
	c->len = old;
	c->path[old] = '\0';
}

/* ---- field tables ---- */

/* put: the JSON value of the model field at p (NULL = JSON null).
 * get: store JSON value v (NULL = JSON null) into the model field at p; c->path names it. */
struct field {
	const char *key;
	size_t offset;
	json_object *(*put)(const struct field *f, const void *p);
	int (*get)(struct rd *c, const struct field *f, json_object *v, void *p);
	bool null;                    /* null allowed: UNKNOWN or NULL in the model */
	int64_t min, max;             /* integers */
	bool (*valid)(const char *s); /* strings: shape check ... */
	const char *what;             /* ... and what the shape is called in errors */
	int (*parse)(const char *s);  /* enums: name -> value, < 0 when unknown */
	const struct field *sub;      /* objects and arrays: the (element's) fields */
	/* arrays of model structs: element size, where the element count is (relative to the
	 * array pointer, in the same struct), and how to make room for element i of n */
	size_t size;
	ptrdiff_t count;
	void *(*add)(void *base, size_t i, size_t n);
	int since; /* the schema_version that added the key: older reports lack it (model default) */
	bool optional; /* may be absent in any version: a derived block added without a version bump */
};

/* A table's keys are distinct literals: json-c need neither look each up before adding it nor
 * copy it (a strdup and a free per key, 20 keys per VF). */
static json_object *put_fields(const struct field *f, const void *base)
{
	json_object *o = json_object_new_object();
	for (; f->key; f++)
		json_object_object_add_ex(o, f->key, f->put(f, (const char *)base + f->offset),
					  JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT);
	return o;
}

static bool field_known(const struct field *f, const char *key)
{
	for (; f->key; f++)
		if (streq(f->key, key))
			return true;
	return false;
}

/* Every key of the table is required (null where nullable); unknown keys are errors unless
 * lenient, which only the top level is, for forward compatibility. */
static int get_fields(struct rd *c, json_object *o, const struct field *f, void *base, bool lenient)
{
	if (!json_object_is_type(o, json_type_object))
		return rd_fail(c, "not an object");
	for (const struct field *i = f; i->key; i++) {
		json_object *v;
		bool has = json_object_object_get_ex(o, i->key, &v);
		if (!has && (i->since > c->version || i->optional))
			continue;
		size_t old = rd_push(c, i->key, 0);
		int r = has ? i->get(c, i, v, (char *)base + i->offset) : rd_fail(c, "missing");
		rd_pop(c, old);
		if (r < 0)
			return r;
	}
	if (lenient)
		return 0;
	json_object_object_foreach(o, key, val) {
		(void)val;
		if (!field_known(f, key)) {
			rd_push(c, key, 0);
			return rd_fail(c, "unknown field");
		}
	}
	return 0;
}

static json_object *put_list(const struct field *f, const void *p)
{
	const char *arr = *(char *const *)p;
	size_t n = *(const size_t *)((const char *)p + f->count);
	json_object *a = json_object_new_array_ext((int)n);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, put_fields(f->sub, arr + i * f->size));
	return a;
}

static int get_list(struct rd *c, const struct field *f, json_object *v, void *p)
{
	void *base = (char *)p - f->offset;
	if (!json_object_is_type(v, json_type_array))
		return rd_fail(c, "not an array");
	size_t n = json_object_array_length(v);
	for (size_t i = 0; i < n; i++) {
		size_t old = rd_push(c, NULL, i);
		int r = get_fields(c, json_object_array_get_idx(v, i), f->sub, f->add(base, i, n), false);
		rd_pop(c, old);
		if (r < 0)
			return r;
	}
	return 0;
}

static json_object *put_object(const struct field *f, const void *p)
{
	return put_fields(f->sub, p);
}

static int get_object(struct rd *c, const struct field *f, json_object *v, void *p)
{
	return get_fields(c, v, f->sub, p, false);
}

/* ---- integers and booleans ---- */

static int get_int64(struct rd *c, const struct field *f, json_object *v, int64_t *ret)
{
	if (!v && f->null) {
		*ret = UNKNOWN;
		return 0;
	}
	if (!json_object_is_type(v, json_type_int))
		return rd_fail(c, f->null ? "not an integer or null" : "not an integer");
	/* json-c clamps beyond int64; the clamped value is still out of every range used here. */
	int64_t x = json_object_get_int64(v);
	if (x < f->min || x > f->max)
		return rd_fail(c, "%s out of range %" PRId64 "..%" PRId64, json_object_get_string(v),
			       f->min, f->max);
	*ret = x;
	return 0;
}

/* An int of the model; UNKNOWN <-> null where nullable. */
static json_object *put_int(const struct field *f, const void *p)
{
	int v = *(const int *)p;
	return f->null && v == UNKNOWN ? NULL : json_object_new_int(v);
}

static int get_int(struct rd *c, const struct field *f, json_object *v, void *p)
{
	int64_t x = 0;
	int r = get_int64(c, f, v, &x);
	if (r >= 0)
		*(int *)p = (int)x;
	return r;
}

/* ifindex: 0 (never set) or UNKNOWN -> null; null reads back as 0. */
static json_object *put_ifindex(_unused_ const struct field *f, const void *p)
{
	int v = *(const int *)p;
	return v > 0 ? json_object_new_int(v) : NULL;
}

static int get_ifindex(struct rd *c, const struct field *f, json_object *v, void *p)
{
	int r = get_int(c, f, v, p);
	if (r >= 0 && *(int *)p == UNKNOWN)
		*(int *)p = 0;
	return r;
}

static json_object *put_u32(_unused_ const struct field *f, const void *p)
{
	return json_object_new_int64(*(const uint32_t *)p);
}

static int get_u32(struct rd *c, const struct field *f, json_object *v, void *p)
{
	int64_t x = 0;
	int r = get_int64(c, f, v, &x);
	if (r >= 0)
		*(uint32_t *)p = (uint32_t)x;
	return r;
}

static json_object *put_bool(_unused_ const struct field *f, const void *p)
{
	return json_object_new_boolean(*(const bool *)p);
}

static int get_bool(struct rd *c, _unused_ const struct field *f, json_object *v, void *p)
{
	if (!json_object_is_type(v, json_type_boolean))
		return rd_fail(c, "not a boolean");
	*(bool *)p = json_object_get_boolean(v);
	return 0;
}

/* An int 0/1/UNKNOWN of the model <-> false/true/null */
static json_object *put_tristate(_unused_ const struct field *f, const void *p)
{
	int v = *(const int *)p;
	return v == UNKNOWN ? NULL : json_object_new_boolean(v != 0);
}

static int get_tristate(struct rd *c, _unused_ const struct field *f, json_object *v, void *p)
{
	if (v && !json_object_is_type(v, json_type_boolean))
		return rd_fail(c, "not a boolean or null");
	*(int *)p = v ? json_object_get_boolean(v) : UNKNOWN;
	return 0;
}

/* ---- strings ---- */

/* Shapes: 'h' lowercase hex digit (sysfs's spelling), 'H' hex digit of either case,
 * '7' octal digit, anything else itself. */
static bool match_shape(const char *s, const char *shape)
{
	for (; *shape; s++, shape++) {
		bool ok = *shape == 'h'   ? (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')
			  : *shape == 'H' ? *s && strchr("0123456789abcdefABCDEF", *s)
			  : *shape == '7' ? *s >= '0' && *s <= '7'
					  : *s == *shape;
		if (!ok)
			return false;
	}
	return *s == '\0';
}

/* PCI domains are 16 bits, but VMD domains start at 0x10000: 4 to 8 digits. */
static bool valid_pci_address(const char *s)
{
	size_t dom = strspn(s, "0123456789abcdef");
	return dom >= 4 && dom <= 8 && match_shape(s + dom, ":hh:hh.7");
}

static bool valid_pci_id(const char *s)
{
	return match_shape(s, "0xhhhh");
}

static bool valid_mac(const char *s)
{
	return match_shape(s, "HH:HH:HH:HH:HH:HH");
}

static bool valid_uuid(const char *s)
{
	return match_shape(s, "HHHHHHHH-HHHH-HHHH-HHHH-HHHHHHHHHHHH");
}

static bool valid_name(const char *s)
{
	return *s != '\0';
}

/* A required string the model left unset is written "" so the report stays valid. */
static json_object *put_str(const struct field *f, const void *p)
{
	const char *s = *(char *const *)p;
	return s || !f->null ? json_object_new_string(s ?: "") : NULL;
}

/* Check a string (or null) against the field's shape; *ret borrows from v. */
static int get_cstr(struct rd *c, const struct field *f, json_object *v, const char **ret)
{
	*ret = NULL;
	if (!v && f->null)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return rd_fail(c, f->null ? "not a string or null" : "not a string");
	const char *s = json_object_get_string(v);
	/* "\u0000" would silently cut the C string short */
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return rd_fail(c, "contains a NUL character");
	if (f->valid && !f->valid(s))
		return rd_fail(c, "'%.64s' is not %s", s, f->what);
	*ret = s;
	return 0;
}

static int get_str(struct rd *c, const struct field *f, json_object *v, void *p)
{
	const char *s;
	int r = get_cstr(c, f, v, &s);
	if (r < 0)
		return r;
	free(*(char **)p);
	*(char **)p = xstrdup(s);
	return 0;
}

/* mac is a char[18] in the model, "" when unknown */
static json_object *put_mac(_unused_ const struct field *f, const void *p)
{
	const char *s = p;
	return *s ? json_object_new_string(s) : NULL;
}

static int get_mac(struct rd *c, const struct field *f, json_object *v, void *p)
{
	const char *s;
	int r = get_cstr(c, f, v, &s);
	if (r >= 0)
		snprintf(p, sizeof(((struct vf_vf *)NULL)->mac), "%s", s ?: "");
	return r;
}

/* ---- enums and time ---- */

static int get_enum(struct rd *c, const struct field *f, json_object *v, void *p)
{
	const char *s;
	int r = get_cstr(c, f, v, &s);
	if (r < 0)
		return r;
	int x = s ? f->parse(s) : UNKNOWN;
	if (s && x < 0)
		return rd_fail(c, "unknown %s '%.64s'", f->what, s);
	*(int *)p = x;
	return 0;
}

/* An out-of-range enum is a bug elsewhere; still write a value the schema accepts. */
static json_object *put_state(_unused_ const struct field *f, const void *p)
{
	return json_object_new_string(vf_state_to_string(*(const enum vf_state *)p) ?: "unknown");
}

static json_object *put_source(_unused_ const struct field *f, const void *p)
{
	return json_object_new_string(vf_source_to_string(*(const enum vf_source *)p) ?: "sysfs");
}

/* IFLA_VF_LINK_STATE_* by value */
static const char *const vf_link_states[] = {
	[IFLA_VF_LINK_STATE_AUTO] = "auto",
	[IFLA_VF_LINK_STATE_ENABLE] = "enable",
	[IFLA_VF_LINK_STATE_DISABLE] = "disable",
};

/* UNKNOWN, and a state newer than this code, are null */
static json_object *put_vf_link_state(_unused_ const struct field *f, const void *p)
{
	int v = *(const int *)p;
	bool known = v >= 0 && (size_t)v < ARRAY_SIZE(vf_link_states);
	return known ? json_object_new_string(vf_link_states[v]) : NULL;
}

static int vf_link_state_from_string(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(vf_link_states); i++)
		if (streq(s, vf_link_states[i]))
			return (int)i;
	return -EINVAL;
}

/* vf->dirty's bits as their names, in the reasons' order */
static json_object *put_dirty(_unused_ const struct field *f, const void *p)
{
	unsigned bits = *(const unsigned *)p;
	json_object *a = json_object_new_array();
	for (int r = 0; r < _VF_DIRTY_MAX; r++)
		if (bits & (1u << r))
			json_object_array_add(a, json_object_new_string(vf_dirty_to_string(r)));
	return a;
}

static int get_dirty(struct rd *c, _unused_ const struct field *f, json_object *v, void *p)
{
	if (!json_object_is_type(v, json_type_array))
		return rd_fail(c, "not an array");
	unsigned bits = 0;
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *e = json_object_array_get_idx(v, i);
		int r = json_object_is_type(e, json_type_string) ? vf_dirty_from_string(json_object_get_string(e))
								  : -EINVAL;
		if (r < 0 || (bits & (1u << r))) {
			size_t old = rd_push(c, NULL, i);
			int x = r < 0 ? rd_fail(c, "not a dirty reason (vlan, qos, rate, trust, spoofchk, link_state)")
				      : rd_fail(c, "'%s' given twice", vf_dirty_to_string(r));
			rd_pop(c, old);
			return x;
		}
		bits |= 1u << r;
	}
	*(unsigned *)p = bits;
	return 0;
}

static json_object *put_time(_unused_ const struct field *f, const void *p)
{
	_cleanup_free_ char *s = vf_format_rfc3339(*(const time_t *)p);
	return s ? json_object_new_string(s) : NULL;
}

static int get_time(struct rd *c, const struct field *f, json_object *v, void *p)
{
	const char *s;
	int r = get_cstr(c, f, v, &s);
	if (r >= 0 && vf_parse_rfc3339(s, p) < 0)
		return rd_fail(c, "'%.64s' is not an RFC 3339 UTC time", s);
	return r;
}

/* ---- the tables ---- */

#define FIELD(k, off, putf, getf, ...) \
	{ .key = k, .offset = off, .put = putf, .get = getf, __VA_ARGS__ }
#define COUNT(key, type, m) \
	FIELD(key, offsetof(type, m), put_int, get_int, .null = true, .max = INT_MAX)
/* a key schema version 2 added */
#define V2(...) __VA_ARGS__, .since = 2
#define STR(key, type, m) FIELD(key, offsetof(type, m), put_str, get_str, .null = true)
#define U32(key, type, m) FIELD(key, offsetof(type, m), put_u32, get_u32, .max = UINT32_MAX)
#define BOOL(key, type, m) FIELD(key, offsetof(type, m), put_bool, get_bool)
#define LIST(key, type, m, n, fields, adder)                                                      \
	FIELD(key, offsetof(type, m), put_list, get_list, .sub = fields, .add = adder,            \
	      .size = sizeof(*((type *)NULL)->m), .count = offsetof(type, n) - offsetof(type, m))
#define SHAPED(key, type, m, check, name) \
	FIELD(key, offsetof(type, m), put_str, get_str, .null = true, .valid = check, .what = name)

/* associated is derived from response; on reading it must agree with it. */
static json_object *put_associated(_unused_ const struct field *f, const void *p)
{
	return json_object_new_boolean(*(const int *)p == PORT_PROFILE_RESPONSE_SUCCESS);
}

static int get_associated(struct rd *c, const struct field *f, json_object *v, void *p)
{
	bool b = false;
	int r = get_bool(c, f, v, &b);
	if (r >= 0 && b != (*(int *)p == PORT_PROFILE_RESPONSE_SUCCESS))
		return rd_fail(c, "%s contradicts response", b ? "true" : "false");
	return r;
}

static const struct field port_profile_fields[] = {
	STR("name", struct vf_vf, port_profile),
	FIELD("response", offsetof(struct vf_vf, port_response), put_int, get_int, .null = true,
	      .max = UINT16_MAX),
	FIELD("associated", offsetof(struct vf_vf, port_response), put_associated, get_associated),
	{},
};

/* null when there is neither a profile nor a response (no IFLA_VF_PORT for this VF) */
static json_object *put_port_profile(const struct field *f, const void *p)
{
	const struct vf_vf *vf = p;
	return vf->port_profile || vf->port_response != UNKNOWN ? put_object(f, p) : NULL;
}

static int get_port_profile(struct rd *c, const struct field *f, json_object *v, void *p)
{
	return v ? get_object(c, f, v, p) : 0;
}

static const struct field vf_fields[] = {
	FIELD("index", offsetof(struct vf_vf, index), put_int, get_int, .max = INT_MAX),
	SHAPED("pci_address", struct vf_vf, pci_address, valid_pci_address, "a PCI address"),
	STR("netdev", struct vf_vf, netdev),
	STR("driver", struct vf_vf, driver),
	FIELD("mac", offsetof(struct vf_vf, mac), put_mac, get_mac, .null = true, .valid = valid_mac,
	      .what = "a MAC address"),
	FIELD("vlan", offsetof(struct vf_vf, vlan), put_int, get_int, .null = true, .max = 4095),
	COUNT("qos", struct vf_vf, qos),
	FIELD("trust", offsetof(struct vf_vf, trust), put_tristate, get_tristate, .null = true),
	FIELD("spoofchk", offsetof(struct vf_vf, spoofchk), put_tristate, get_tristate, .null = true),
	FIELD("link_state", offsetof(struct vf_vf, link_state), put_vf_link_state, get_enum, .null = true,
	      .parse = vf_link_state_from_string, .what = "link state"),
	FIELD("port_profile", 0, put_port_profile, get_port_profile, .sub = port_profile_fields),
	FIELD("min_tx_rate", offsetof(struct vf_vf, min_tx_rate), put_int, get_int, V2(.null = true, .max = INT_MAX)),
	FIELD("max_tx_rate", offsetof(struct vf_vf, max_tx_rate), put_int, get_int, V2(.null = true, .max = INT_MAX)),
	FIELD("iommu_group", offsetof(struct vf_vf, iommu_group), put_int, get_int, .null = true,
	      .max = INT_MAX, .since = 2),
	FIELD("iommu_group_devices", offsetof(struct vf_vf, iommu_group_devices), put_int, get_int,
	      .null = true, .min = 1, .max = INT_MAX, .since = 2),
	FIELD("dirty", offsetof(struct vf_vf, dirty), put_dirty, get_dirty, .since = 2),
	FIELD("state", offsetof(struct vf_vf, state), put_state, get_enum, .parse = vf_state_from_string,
	      .what = "state"),
	STR("owner", struct vf_vf, owner),
	{},
};

static json_object *put_labels(_unused_ const struct field *f, const void *p)
{
	const struct vf_pf *pf = p;
	json_object *o = json_object_new_object();
	if (pf->physical_network)
		json_object_object_add(o, "physical_network", json_object_new_string(pf->physical_network));
	if (pf->fabric)
		json_object_object_add(o, "fabric", json_object_new_string(pf->fabric));
	return o;
}

/* Both labels are optional, so this object is not table-driven. */
static int get_labels(struct rd *c, _unused_ const struct field *f, json_object *v, void *p)
{
	static const struct field label = {}; /* a string, required */
	struct vf_pf *pf = p;
	if (!json_object_is_type(v, json_type_object))
		return rd_fail(c, "not an object");
	json_object_object_foreach(v, key, val) {
		char **dst = streq(key, "physical_network") ? &pf->physical_network
			     : streq(key, "fabric")         ? &pf->fabric
							    : NULL;
		size_t old = rd_push(c, key, 0);
		int r = dst ? get_str(c, &label, val, dst) : rd_fail(c, "unknown field");
		rd_pop(c, old);
		if (r < 0)
			return r;
	}
	return 0;
}

static const struct field netlink_fields[] = {
	U32("num_vf", struct vf_netlink, num_vf),
	U32("listed", struct vf_netlink, listed),
	U32("bytes_per_vf", struct vf_netlink, bytes_per_vf),
	U32("limit", struct vf_netlink, limit),
	FIELD("bytes_per_vf_no_stats", offsetof(struct vf_netlink, bytes_per_vf_no_stats), put_u32, get_u32,
	      V2(.max = UINT32_MAX)),
	FIELD("limit_no_stats", offsetof(struct vf_netlink, limit_no_stats), put_u32, get_u32, V2(.max = UINT32_MAX)),
	BOOL("truncated", struct vf_netlink, truncated),
	BOOL("vfinfo", struct vf_netlink, has_vfinfo),
	BOOL("ports", struct vf_netlink, has_ports),
	{},
};

/* null when netlink could not describe this PF */
static json_object *put_netlink(const struct field *f, const void *p)
{
	return ((const struct vf_netlink *)p)->valid ? put_object(f, p) : NULL;
}

static int get_netlink(struct rd *c, const struct field *f, json_object *v, void *p)
{
	struct vf_netlink *nl = p;
	*nl = (struct vf_netlink){ .valid = v != NULL };
	return v ? get_object(c, f, v, p) : 0;
}

/* the VF array is allocated at once, with the model's defaults */
static void *add_vf(void *base, size_t i, size_t n)
{
	struct vf_pf *pf = base;
	if (i == 0)
		vf_pf_set_vfs(pf, n);
	return &pf->vfs[i];
}

static const struct field pf_fields[] = {
	FIELD("name", offsetof(struct vf_pf, name), put_str, get_str, .valid = valid_name,
	      .what = "a name"),
	FIELD("ifindex", offsetof(struct vf_pf, ifindex), put_ifindex, get_ifindex, .null = true, .min = 1,
	      .max = INT_MAX),
	SHAPED("pci_address", struct vf_pf, pci_address, valid_pci_address, "a PCI address"),
	STR("driver", struct vf_pf, driver),
	SHAPED("vendor_id", struct vf_pf, vendor_id, valid_pci_id, "a PCI id (0xhhhh)"),
	SHAPED("device_id", struct vf_pf, device_id, valid_pci_id, "a PCI id (0xhhhh)"),
	FIELD("numa_node", offsetof(struct vf_pf, numa_node), put_int, get_int, .min = -1, .max = INT_MAX),
	STR("link_state", struct vf_pf, link_state),
	FIELD("carrier", offsetof(struct vf_pf, carrier), put_tristate, get_tristate, V2(.null = true)),
	FIELD("link_ok", offsetof(struct vf_pf, link_ok), put_bool, get_bool, .since = 2),
	FIELD("labels", 0, put_labels, get_labels),
	COUNT("totalvfs", struct vf_pf, totalvfs),
	COUNT("numvfs", struct vf_pf, numvfs),
	FIELD("netlink", offsetof(struct vf_pf, nl), put_netlink, get_netlink, .sub = netlink_fields),
	COUNT("reachable", struct vf_pf, reachable),
	COUNT("unreachable", struct vf_pf, unreachable),
	COUNT("reserved", struct vf_pf, reserved),
	COUNT("usable", struct vf_pf, usable),
	COUNT("used", struct vf_pf, used),
	COUNT("free", struct vf_pf, free),
	FIELD("dirty", offsetof(struct vf_pf, dirty), put_int, get_int, V2(.null = true, .max = INT_MAX)),
	FIELD("no_link", offsetof(struct vf_pf, no_link), put_int, get_int, V2(.null = true, .max = INT_MAX)),
	FIELD("shared_iommu", offsetof(struct vf_pf, shared_iommu), put_int, get_int, .null = true,
	      .max = INT_MAX, .since = 2),
	LIST("vfs", struct vf_pf, vfs, n_vfs, vf_fields, add_vf),
	{},
};

static const struct field host_fields[] = {
	FIELD("hostname", offsetof(struct vf_host, hostname), put_str, get_str),
	SHAPED("uuid", struct vf_host, uuid, valid_uuid, "a UUID"),
	{},
};

/* the name is read from the object right after */
static void *add_pf(void *base, _unused_ size_t i, _unused_ size_t n)
{
	return vf_host_add_pf(base, "");
}

static const struct field totals_fields[] = {
	COUNT("pfs", struct vf_totals, pfs),
	COUNT("vfs", struct vf_totals, vfs),
	COUNT("usable", struct vf_totals, usable),
	COUNT("used", struct vf_totals, used),
	COUNT("free", struct vf_totals, free),
	COUNT("reserved", struct vf_totals, reserved),
	COUNT("unreachable", struct vf_totals, unreachable),
	FIELD("dirty", offsetof(struct vf_totals, dirty), put_int, get_int, V2(.null = true, .max = INT_MAX)),
	FIELD("no_link", offsetof(struct vf_totals, no_link), put_int, get_int, V2(.null = true, .max = INT_MAX)),
	FIELD("shared_iommu", offsetof(struct vf_totals, shared_iommu), put_int, get_int, .null = true,
	      .max = INT_MAX, .since = 2),
	{},
};

static const struct field error_fields[] = {
	FIELD("source", offsetof(struct vf_error, source), put_source, get_enum,
	      .parse = vf_source_from_string, .what = "source"),
	STR("object", struct vf_error, object),
	FIELD("message", offsetof(struct vf_error, message), put_str, get_str),
	{},
};

static void *add_error(void *base, _unused_ size_t i, _unused_ size_t n)
{
	struct vf_host *h = base;
	return array_append(&h->errors, &h->n_errors, sizeof(*h->errors));
}

static json_object *put_numa(_unused_ const struct field *f, const void *p)
{
	return vf_numa_to_json(p);
}

/* The per-node counts are derived from pfs[] (numa_node and counts), so a reader recomputes
 * them (vf_numa_count) rather than trusting a second copy; only the shape is checked. */
static int get_numa(struct rd *c, _unused_ const struct field *f, json_object *v, _unused_ void *p)
{
	return json_object_is_type(v, json_type_array) ? 0 : rd_fail(c, "not an array");
}

static json_object *put_schema_version(_unused_ const struct field *f, _unused_ const void *p)
{
	return json_object_new_int(VFCAP_SCHEMA_VERSION);
}

/* Older versions are read too (the filter meets reports of reporters not yet upgraded): their
 * keys are a subset, the newer ones keep the model's defaults (fields' .since). */
static int get_schema_version(struct rd *c, _unused_ const struct field *f, json_object *v,
			      _unused_ void *p)
{
	if (!json_object_is_type(v, json_type_int))
		return rd_fail(c, "not an integer");
	int64_t ver = json_object_get_int64(v);
	if (ver < VFCAP_SCHEMA_VERSION_MIN || ver > VFCAP_SCHEMA_VERSION)
		return rd_fail(c, "unsupported version %s (this reader knows %d to %d)",
			       json_object_get_string(v), VFCAP_SCHEMA_VERSION_MIN, VFCAP_SCHEMA_VERSION);
	c->version = (int)ver;
	return 0;
}

/* schema_version first: a report of another version fails on that, not on a changed field. */
static const struct field report_fields[] = {
	FIELD("schema_version", 0, put_schema_version, get_schema_version),
	FIELD("host", 0, put_object, get_object, .sub = host_fields),
	FIELD("generated_at", offsetof(struct vf_host, generated_at), put_time, get_time),
	FIELD("reporter_version", offsetof(struct vf_host, reporter_version), put_str, get_str),
	LIST("pfs", struct vf_host, pfs, n_pfs, pf_fields, add_pf),
	FIELD("totals", offsetof(struct vf_host, totals), put_object, get_object, .sub = totals_fields),
	FIELD("numa", 0, put_numa, get_numa, .optional = true),
	LIST("errors", struct vf_host, errors, n_errors, error_fields, add_error),
	{},
};

/* ---- API ---- */

json_object *vf_report_to_json(const struct vf_host *h)
{
	return put_fields(report_fields, h);
}

char *vf_report_format_json(const struct vf_host *h, bool pretty)
{
	_cleanup_json_ json_object *o = vf_report_to_json(h);
	return vf_json_format(o, pretty, NULL);
}

int vf_report_from_json(json_object *o, struct vf_host **ret, char **errmsg)
{
	struct rd c = {};
	_cleanup_host_ struct vf_host *h = vf_host_new();
	int r = get_fields(&c, o, report_fields, h, true);
	if (r < 0) {
		if (errmsg)
			*errmsg = TAKE_PTR(c.err);
		free(c.err);
		return r;
	}
	*ret = TAKE_PTR(h);
	return 0;
}

static int _printf_(2, 3) parse_fail(char **errmsg, const char *fmt, ...)
{
	if (errmsg) {
		va_list ap;
		va_start(ap, fmt);
		*errmsg = xvasprintf(fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int vf_report_parse(const char *text, size_t len, struct vf_host **ret, char **errmsg)
{
	if (len >= INT32_MAX)
		return parse_fail(errmsg, "JSON: input too large (%zu bytes)", len);
	_cleanup_json_ json_object *o = NULL;
	size_t at;
	const char *desc;
	int r = vf_json_parse_one(text, len, REPORT_MAX_DEPTH, &o, &at, &desc);
	if (r == -ENOMEM)
		return r;
	if (r < 0 && desc)
		return parse_fail(errmsg, "JSON: byte %zu: %s", at, desc);
	if (r < 0)
		return parse_fail(errmsg, "JSON: byte %zu: trailing data after the report", at);
	return vf_report_from_json(o, ret, errmsg);
}
