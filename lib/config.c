/* SPDX-License-Identifier: MIT */
/* The config file, parsed by inih. inih only tokenizes (sections, key = value, continuation
 * lines); this file adds what it lacks: line numbers in errors (the distro builds of inih do
 * not pass them to the handler), strict keys, duplicate detection and value validation. */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <ini.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define CONFIG_MAX_SIZE (1024 * 1024)
#define INIH_MAX_SECTION 50 /* ini.c's MAX_SECTION, the section buffer with its NUL */

enum key_type {
	KEY_STRING,    /* any non-empty text */
	KEY_NAME,      /* no blanks, no '/' (network and host names) */
	KEY_PATH,      /* absolute path */
	KEY_POOL_MODE, /* passthrough | hostdev */
	KEY_GLOBS,     /* comma-separated list of fnmatch patterns */
	KEY_RANGES,    /* comma-separated VF indexes and ranges */
	KEY_SECONDS,   /* 1 .. 86400, stored as an int */
	KEY_INT,       /* min .. max, stored as an int */
	KEY_URL,       /* http:// or https:// */
	KEY_BOOL,      /* yes|no|true|false|on|off|1|0, stored as an int (1 or 0) */
	KEY_PATH_NONE, /* absolute path, or "none" */
	KEY_DIRTY,     /* free | used, stored as an int (1 for used) */
	KEY_NUMA,      /* ignore | preferred | required, stored as enum vf_hook_numa */
};

struct key {
	const char *name; /* in the file */
	enum key_type type;
	size_t offset;       /* of the char * or of the array pointer */
	size_t count_offset; /* lists: of the size_t count */
	long min, max;       /* KEY_INT */
};

#define STR_KEY(s, f, t) { #f, t, offsetof(struct s, f), 0, 0, 0 }
#define LIST_KEY(name, s, f, n, t) { name, t, offsetof(struct s, f), offsetof(struct s, n), 0, 0 }
/* keys of the [filter] and [engine] sections, which live in sub-structs of vf_config */
#define SUB_KEY(sub, f, t) { #f, t, offsetof(struct vf_config, sub.f), 0, 0, 0 }
#define INT_KEY(sub, f, lo, hi) { #f, KEY_INT, offsetof(struct vf_config, sub.f), 0, lo, hi }
/* a key whose name in the file differs from its field */
#define TYPED_KEY(name, f, t) { name, t, offsetof(struct vf_config, f), 0, 0, 0 }
/* a connection limit (struct vf_http_limits) under its name in the file */
#define HTTP_KEY(name, limits, f, lo, hi) { name, KEY_INT, offsetof(struct vf_config, limits.f), 0, lo, hi }

static const struct key vfcap_keys[] = {
	LIST_KEY("pfs", vf_config, pf_globs, n_pf_globs, KEY_GLOBS),
	LIST_KEY("drivers", vf_config, drivers, n_drivers, KEY_GLOBS),
	STR_KEY(vf_config, pool_network, KEY_NAME),
	STR_KEY(vf_config, pool_mode, KEY_POOL_MODE),
	STR_KEY(vf_config, hostname, KEY_NAME),
	STR_KEY(vf_config, sysfs_root, KEY_PATH),
	STR_KEY(vf_config, proc_root, KEY_PATH),
	STR_KEY(vf_config, netns_root, KEY_PATH),
	STR_KEY(vf_config, libvirt_uri, KEY_STRING),
	STR_KEY(vf_config, libvirt_auth_user, KEY_STRING),
	STR_KEY(vf_config, libvirt_password_file, KEY_PATH),
	STR_KEY(vf_config, libvirt_timeout, KEY_SECONDS),
	STR_KEY(vf_config, netlink_file, KEY_PATH),
	STR_KEY(vf_config, run_dir, KEY_PATH),
	STR_KEY(vf_config, reservation_ttl, KEY_SECONDS),
	STR_KEY(vf_config, serve_listen, KEY_STRING),
	STR_KEY(vf_config, serve_interval, KEY_SECONDS),
	STR_KEY(vf_config, serve_watch, KEY_BOOL),
	HTTP_KEY("serve_conn_timeout", serve_http, conn_timeout, 1, 86400),
	HTTP_KEY("serve_request_timeout", serve_http, request_timeout, 1, 86400),
	HTTP_KEY("serve_max_conns", serve_http, max_conns, 1, 65536),
	HTTP_KEY("serve_max_conns_per_ip", serve_http, max_conns_per_ip, 0, 65536),
	STR_KEY(vf_config, tls, KEY_BOOL),
	STR_KEY(vf_config, tls_cert, KEY_PATH),
	STR_KEY(vf_config, tls_key, KEY_PATH),
	STR_KEY(vf_config, tls_client_ca, KEY_PATH_NONE),
	TYPED_KEY("dirty", dirty_used, KEY_DIRTY),
};

static const struct key pf_keys[] = {
	LIST_KEY("reserved", vf_pf_config, reserved, n_reserved, KEY_RANGES),
	STR_KEY(vf_pf_config, physical_network, KEY_STRING),
	STR_KEY(vf_pf_config, fabric, KEY_STRING),
};

static const struct key filter_keys[] = {
	SUB_KEY(filter, listen, KEY_STRING),
	SUB_KEY(filter, reports_dir, KEY_PATH),
	SUB_KEY(filter, report_url, KEY_URL),
	SUB_KEY(filter, report_ca_file, KEY_PATH),
	SUB_KEY(filter, report_cert, KEY_PATH),
	SUB_KEY(filter, report_key, KEY_PATH),
	INT_KEY(filter, fetch_timeout_ms, 1, 600000),
	INT_KEY(filter, cache_max_age, 0, 86400),
	INT_KEY(filter, fetch_parallel, 1, 1024),
	INT_KEY(filter, call_deadline, 1, 3600),
	INT_KEY(filter, fetch_backoff_max, 1, 86400),
	INT_KEY(filter, follow_wait, 0, 300),
	INT_KEY(filter, rescan_interval, 1, 86400),
	INT_KEY(filter, audit_interval, 0, 86400),
	INT_KEY(filter, threads, 1, 256),
	INT_KEY(filter, max_body, 1024, 1 << 30),
	HTTP_KEY("conn_timeout", filter.http, conn_timeout, 1, 86400),
	HTTP_KEY("request_timeout", filter.http, request_timeout, 1, 86400),
	HTTP_KEY("max_conns", filter.http, max_conns, 1, 65536),
	HTTP_KEY("max_conns_per_ip", filter.http, max_conns_per_ip, 0, 65536),
};

static const struct key hook_keys[] = {
	TYPED_KEY("require_link", hook_require_link, KEY_BOOL),
	TYPED_KEY("numa", hook_numa, KEY_NUMA),
};

static const struct key engine_keys[] = {
	SUB_KEY(engine, url, KEY_URL),
	SUB_KEY(engine, ca_file, KEY_PATH),
	SUB_KEY(engine, user, KEY_STRING),
	SUB_KEY(engine, password_file, KEY_PATH),
	INT_KEY(engine, timeout_ms, 1, 600000),
	INT_KEY(engine, cache_ttl, 0, 86400),
};

#define MAX_KEYS 32
_Static_assert(ARRAY_SIZE(vfcap_keys) <= MAX_KEYS && ARRAY_SIZE(pf_keys) <= MAX_KEYS &&
		       ARRAY_SIZE(filter_keys) <= MAX_KEYS && ARRAY_SIZE(engine_keys) <= MAX_KEYS &&
		       ARRAY_SIZE(hook_keys) <= MAX_KEYS,
	       "MAX_KEYS");

struct parser {
	const char *path;
	const char *pos; /* next byte the reader hands to inih */
	/* the line inih is working on: one reader call is one line, as in inih's own count */
	int line;
	bool indented;
	int header_line; /* last line that starts with '[' */

	struct vf_config *cfg;
	/* the section being filled */
	char *section;
	int section_header;
	struct vf_pf_config *pf; /* NULL in [vfcap] */
	void *target;            /* cfg or pf */
	const struct key *keys;
	size_t n_keys;
	int key_line[MAX_KEYS];  /* where each key was set in this section, 0 = not yet */
	const struct key *prev_key;
	int prev_key_line;
	bool seen_vfcap, seen_filter, seen_engine, seen_hook;
	const char *plain_section; /* name of the [vfcap]/[filter]/[engine] section being filled */

	char *error; /* first error found by this file (not inih's syntax errors) */
	int error_line;
};

static int fail(struct parser *p, const char *fmt, ...) _printf_(2, 3);
static int fail(struct parser *p, const char *fmt, ...)
{
	if (p->error)
		return 0;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *what = xvasprintf(fmt, ap);
	va_end(ap);
	p->error = xasprintf("%s:%d: %s", p->path, p->line, what);
	p->error_line = p->line;
	return 0; /* inih: handler failed */
}

/* fgets-style, one line per call. A line longer than inih's buffer would be split and the rest
 * parsed as a line of its own, so it ends the parse with an error instead. */
static char *reader(char *buf, int size, void *user)
{
	struct parser *p = user;
	if (!*p->pos || p->error)
		return NULL;
	p->line++;
	const char *nl = strchr(p->pos, '\n');
	size_t len = nl ? (size_t)(nl - p->pos) + 1 : strlen(p->pos);
	if (size < 2 || len > (size_t)size - 1) {
		fail(p, "line too long (at most %d characters)", size - 2);
		return NULL;
	}
	const char *s = p->pos;
	if (p->line == 1 && startswith(s, "\xef\xbb\xbf"))
		s += 3;
	p->indented = *s == ' ' || *s == '\t';
	if (*s == '[')
		p->header_line = p->line;
	memcpy(buf, p->pos, len);
	buf[len] = '\0';
	p->pos += len;
	return buf;
}

static char *strip(const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return xstrndup(s, n);
}

static void pf_config_clear(struct vf_pf_config *pc)
{
	free(pc->pattern);
	free(pc->reserved);
	free(pc->physical_network);
	free(pc->fabric);
}

static int open_pf_section(struct parser *p, const char *name)
{
	/* inih ends a section name at the first ']', which takes glob character classes apart. */
	if (strchr(name, '['))
		return fail(p, "[pf %s...]: a section name cannot hold a character class ([...])", name);
	for (size_t i = 0; i < p->cfg->n_pfs; i++)
		if (streq(p->cfg->pfs[i].pattern, name))
			return fail(p, "duplicate section [pf %s]", name);
	p->pf = array_append(&p->cfg->pfs, &p->cfg->n_pfs, sizeof(*p->pf));
	p->pf->pattern = xstrdup(name);
	p->target = p->pf;
	p->keys = pf_keys;
	p->n_keys = ARRAY_SIZE(pf_keys);
	return 1;
}

/* inih reports the section of each key; a new one starts when the name or its header changes. */
static int open_section(struct parser *p, const char *section)
{
	free(p->section);
	p->section = xstrdup(section);
	p->section_header = p->header_line;
	p->pf = NULL;
	p->keys = NULL;
	p->prev_key = NULL;
	memset(p->key_line, 0, sizeof(p->key_line));

	/* inih cuts section names to MAX_SECTION - 1 characters without telling: a cut glob would
	 * match other PFs, so a name that long is refused. */
	if (strlen(section) >= INIH_MAX_SECTION - 1)
		return fail(p, "section name too long (at most %d characters)", INIH_MAX_SECTION - 2);
	_cleanup_free_ char *name = strip(section, strlen(section));
	if (!*name)
		return fail(p, "key outside any section (expected [vfcap], [filter], [engine], [hook] or [pf NAME] first)");
	static const struct {
		const char *name;
		const struct key *keys;
		size_t n_keys;
		size_t seen;
	} plain[] = {
		{ "vfcap", vfcap_keys, ARRAY_SIZE(vfcap_keys), offsetof(struct parser, seen_vfcap) },
		{ "filter", filter_keys, ARRAY_SIZE(filter_keys), offsetof(struct parser, seen_filter) },
		{ "engine", engine_keys, ARRAY_SIZE(engine_keys), offsetof(struct parser, seen_engine) },
		{ "hook", hook_keys, ARRAY_SIZE(hook_keys), offsetof(struct parser, seen_hook) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++) {
		if (!streq(name, plain[i].name))
			continue;
		bool *seen = (bool *)((char *)p + plain[i].seen);
		if (*seen)
			return fail(p, "duplicate section [%s]", name);
		*seen = true;
		p->plain_section = plain[i].name;
		p->target = p->cfg;
		p->keys = plain[i].keys;
		p->n_keys = plain[i].n_keys;
		return 1;
	}
	if (startswith(name, "pf") && (name[2] == ' ' || name[2] == '\t' || !name[2])) {
		_cleanup_free_ char *pf = strip(name + 2, strlen(name + 2));
		if (!*pf)
			return fail(p, "section [pf] needs a PF name or glob: [pf NAME]");
		return open_pf_section(p, pf);
	}
	return fail(p, "unknown section [%s]", name);
}

static const char *section_label(const struct parser *p)
{
	return p->pf ? "pf " : "";
}

static const char *section_name(const struct parser *p)
{
	return p->pf ? p->pf->pattern : p->plain_section;
}

static int parse_range(struct parser *p, const char *item, struct vf_range *ret)
{
	const char *dash = strchr(item, '-');
	_cleanup_free_ char *a = strip(item, dash ? (size_t)(dash - item) : strlen(item));
	_cleanup_free_ char *b = dash ? strip(dash + 1, strlen(dash + 1)) : xstrdup(a);
	long first, last;
	if (parse_long(a, 0, VF_CONFIG_MAX_VFS - 1, &first) < 0 ||
	    parse_long(b, 0, VF_CONFIG_MAX_VFS - 1, &last) < 0 || first > last)
		return fail(p, "invalid VF range '%s' in 'reserved' (expected N or N-M with 0 <= N <= M < %d)",
			    item, VF_CONFIG_MAX_VFS);
	*ret = (struct vf_range){ (int)first, (int)last };
	return 1;
}

static int add_item(struct parser *p, const struct key *k, const char *item)
{
	void *arr = (char *)p->target + k->offset;
	size_t *n = (size_t *)((char *)p->target + k->count_offset);
	if (k->type == KEY_RANGES) {
		struct vf_range r = { 0, 0 };
		if (!parse_range(p, item, &r))
			return 0;
		*(struct vf_range *)array_append(arr, n, sizeof(r)) = r;
		return 1;
	}
	*(char **)array_append(arr, n, sizeof(char *)) = xstrdup(item);
	return 1;
}

/* Items are separated by commas; a line may end in one (the list goes on below). */
static int set_list(struct parser *p, const struct key *k, const char *value)
{
	for (const char *s = value;;) {
		const char *comma = strchr(s, ',');
		_cleanup_free_ char *item = strip(s, comma ? (size_t)(comma - s) : strlen(s));
		if (!*item && !comma && s != value)
			return 1;
		if (!*item)
			return fail(p, "empty item in the list of '%s'", k->name);
		if (!add_item(p, k, item))
			return 0;
		if (!comma)
			return 1;
		s = comma + 1;
	}
}

static int check_value(struct parser *p, const struct key *k, const char *value)
{
	switch (k->type) {
	case KEY_NAME:
		if (strpbrk(value, " \t/") || strlen(value) > 253)
			return fail(p, "invalid %s '%s' (no blanks or '/', at most 253 characters)", k->name,
				    value);
		break;
	case KEY_PATH:
		if (value[0] != '/')
			return fail(p, "%s must be an absolute path, not '%s'", k->name, value);
		break;
	case KEY_PATH_NONE:
		if (value[0] != '/' && !streq(value, "none"))
			return fail(p, "%s must be an absolute path or 'none', not '%s'", k->name, value);
		break;
	case KEY_URL:
		if (!startswith(value, "http://") && !startswith(value, "https://"))
			return fail(p, "%s must be an http:// or https:// URL, not '%s'", k->name, value);
		break;
	case KEY_POOL_MODE:
		if (!streq(value, "passthrough") && !streq(value, "hostdev"))
			return fail(p, "invalid pool_mode '%s' (expected passthrough or hostdev)", value);
		break;
	default:
		break;
	}
	return 1;
}

static int set_seconds(struct parser *p, const struct key *k, const char *value)
{
	long v;
	if (parse_long(value, 1, 86400, &v) < 0)
		return fail(p, "invalid %s '%s' (seconds, 1 to 86400)", k->name, value);
	*(int *)((char *)p->target + k->offset) = (int)v;
	return 1;
}

static int set_int(struct parser *p, const struct key *k, const char *value)
{
	long v;
	if (parse_long(value, k->min, k->max, &v) < 0)
		return fail(p, "invalid %s '%s' (an integer, %ld to %ld)", k->name, value, k->min, k->max);
	*(int *)((char *)p->target + k->offset) = (int)v;
	return 1;
}

static int set_bool(struct parser *p, const struct key *k, const char *value)
{
	static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (strcasecmp(value, yes[i]) == 0 || strcasecmp(value, no[i]) == 0) {
			*(int *)((char *)p->target + k->offset) = strcasecmp(value, yes[i]) == 0;
			return 1;
		}
	return fail(p, "invalid %s '%s' (yes or no)", k->name, value);
}

static int set_dirty(struct parser *p, const struct key *k, const char *value)
{
	if (!streq(value, "free") && !streq(value, "used"))
		return fail(p, "invalid %s '%s' (expected free or used)", k->name, value);
	*(int *)((char *)p->target + k->offset) = streq(value, "used");
	return 1;
}

static int set_numa(struct parser *p, const struct key *k, const char *value)
{
	static const char *const names[] = { [VF_HOOK_NUMA_IGNORE] = "ignore",
					     [VF_HOOK_NUMA_PREFERRED] = "preferred",
					     [VF_HOOK_NUMA_REQUIRED] = "required" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (streq(value, names[i])) {
			*(int *)((char *)p->target + k->offset) = (int)i;
			return 1;
		}
	return fail(p, "invalid %s '%s' (expected ignore, preferred or required)", k->name, value);
}

static int set_value(struct parser *p, const struct key *k, const char *value)
{
	if (!*value)
		return fail(p, "empty value for '%s' in [%s%s]", k->name, section_label(p),
			    section_name(p));
	if (k->type == KEY_GLOBS || k->type == KEY_RANGES)
		return set_list(p, k, value);
	if (k->type == KEY_SECONDS)
		return set_seconds(p, k, value);
	if (k->type == KEY_INT)
		return set_int(p, k, value);
	if (k->type == KEY_BOOL)
		return set_bool(p, k, value);
	if (k->type == KEY_DIRTY)
		return set_dirty(p, k, value);
	if (k->type == KEY_NUMA)
		return set_numa(p, k, value);
	if (!check_value(p, k, value))
		return 0;
	char **field = (char **)((char *)p->target + k->offset);
	free(*field);
	*field = xstrdup(value);
	return 1;
}

/* An indented line after a key is a continuation of that key's value (inih's multi-line
 * values): lists may go on over several lines, other keys may not. */
static int continue_value(struct parser *p, const char *value)
{
	const struct key *k = p->prev_key;
	if (strchr(value, '='))
		return fail(p, "indented line is read as a continuation of '%s'; start keys in column 0",
			    k->name);
	if (k->type != KEY_GLOBS && k->type != KEY_RANGES)
		return fail(p, "'%s' takes a single value; a continuation line is not allowed",
			    k->name);
	return set_list(p, k, value);
}

static const struct key *find_key(const struct parser *p, const char *name)
{
	for (size_t i = 0; i < p->n_keys; i++)
		if (streq(p->keys[i].name, name))
			return &p->keys[i];
	return NULL;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;
	if (p->error)
		return 0;
	if (!p->section || !streq(section, p->section) || p->header_line != p->section_header)
		if (!open_section(p, section))
			return 0;
	if (p->indented && p->prev_key && p->prev_key_line > p->section_header &&
	    streq(name, p->prev_key->name))
		return continue_value(p, value);

	const struct key *k = find_key(p, name);
	if (!k)
		return fail(p, "unknown key '%s' in [%s%s]", name, section_label(p), section_name(p));
	int *first = &p->key_line[k - p->keys];
	if (*first)
		return fail(p, "duplicate key '%s' in [%s%s] (first set at line %d)", name,
			    section_label(p), section_name(p), *first);
	*first = p->line;
	p->prev_key = k;
	p->prev_key_line = p->line;
	return set_value(p, k, value);
}

static int parse_text(struct vf_config *c, const char *path, const char *text, char **errmsg)
{
	struct parser p = { .path = path, .pos = text, .cfg = c };
	int line = ini_parse_stream(reader, &p, handler, &p);
	_cleanup_free_ char *error = p.error;
	free(p.section);
	/* inih returns the first bad line, ours or its own; report whichever came first. */
	if (line > 0 && (!error || line < p.error_line))
		return set_error(errmsg, -EINVAL,
				 "%s:%d: syntax error (expected [section], 'key = value' or a comment)",
				 path, line);
	if (line == -2)
		return set_error(errmsg, -ENOMEM, "%s: out of memory", path);
	if (error)
		return set_error(errmsg, -EINVAL, "%s", error);
	return 0;
}

struct vf_config *vf_config_new(void)
{
	struct vf_config *c = xcalloc(1, sizeof(*c));
	c->pool_network = xstrdup("direct-pool");
	c->pool_mode = xstrdup("passthrough");
	c->run_dir = xstrdup("/run/vfcap");
	c->reservation_ttl = 300;
	/* VDSM waits on the hook for a VM's start; a hung libvirtd must fail it, not hold it */
	c->libvirt_timeout = 30;
	c->serve_listen = xstrdup("127.0.0.1:18782");
	/* serve watches the host for changes: the interval is a safety net, under the filter's
	 * default max_report_age (300) so that an idle host's report never looks stale */
	c->serve_interval = 120;
	c->serve_watch = 1;
	/* a report is asked for by Prometheus and the filter, in one packet: few clients, short
	 * requests */
	c->serve_http = (struct vf_http_limits){
		.conn_timeout = 30, .request_timeout = 10, .max_conns = 256, .max_conns_per_ip = 64
	};
	c->tls = -1;
	c->hook_require_link = 1;
	c->hook_numa = VF_HOOK_NUMA_PREFERRED;
	c->filter = (struct vf_filter_config){
		.listen = xstrdup("127.0.0.1:18781"),
		.fetch_timeout_ms = 2000,
		.cache_max_age = 30,
		.fetch_parallel = 32,
		/* the engine gives up on a call after ExternalSchedulerResponseTimeout (120 s) and then
		 * lets every host pass; a call is one of two (filters, then scores) in a VM's start */
		.call_deadline = 10,
		.fetch_backoff_max = 300,
		/* below vfcap-report's 300 s cap, and well inside NAT and firewall idle timeouts */
		.follow_wait = 50,
		.rescan_interval = 2,
		.audit_interval = 600,
		.threads = 2,
		.max_body = 16 << 20,
		/* the engine is one address, with bodies of up to max_body */
		.http = { .conn_timeout = 30, .request_timeout = 30, .max_conns = 1024, .max_conns_per_ip = 256 },
	};
	c->engine = (struct vf_engine_config){ .timeout_ms = 5000, .cache_ttl = 60 };
	return c;
}

int vf_config_load(const char *path, struct vf_config **ret, char **errmsg)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = read_full_file(path, &text, &len, CONFIG_MAX_SIZE);
	if (r == -EFBIG)
		return set_error(errmsg, r, "%s: file too large (more than %d bytes)", path,
				 CONFIG_MAX_SIZE);
	if (r < 0)
		return set_error(errmsg, r, "%s: %s", path, strerror(-r));
	if (memchr(text, '\0', len))
		return set_error(errmsg, -EINVAL, "%s: not a text file (contains a NUL byte)", path);

	_cleanup_config_ struct vf_config *c = vf_config_new();
	c->path = xstrdup(path);
	r = parse_text(c, path, text, errmsg);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

int vf_config_load_chosen(const char *explicit_path, struct vf_config **ret, char **errmsg)
{
	const char *env = getenv("VFCAP_CONFIG");
	const char *path = explicit_path ?: (env && *env ? env : NULL);
	int r = vf_config_load(path ?: VF_CONFIG_DEFAULT_PATH, ret, errmsg);
	if (r == -ENOENT && !path) {
		if (errmsg) {
			free(*errmsg);
			*errmsg = NULL;
		}
		*ret = vf_config_new();
		return 0;
	}
	return r;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void vf_config_free(struct vf_config *c)
{
	if (!c)
		return;
	free(c->path);
	strv_free(c->pf_globs, c->n_pf_globs);
	strv_free(c->drivers, c->n_drivers);
	free(c->pool_network);
	free(c->pool_mode);
	free(c->hostname);
	free(c->sysfs_root);
	free(c->proc_root);
	free(c->netns_root);
	free(c->libvirt_uri);
	free(c->libvirt_auth_user);
	free(c->libvirt_password_file);
	free(c->netlink_file);
	free(c->run_dir);
	free(c->serve_listen);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_client_ca);
	for (size_t i = 0; i < c->n_pfs; i++)
		pf_config_clear(&c->pfs[i]);
	free(c->pfs);
	free(c->filter.listen);
	free(c->filter.reports_dir);
	free(c->filter.report_url);
	free(c->filter.report_ca_file);
	free(c->filter.report_cert);
	free(c->filter.report_key);
	free(c->engine.url);
	free(c->engine.ca_file);
	free(c->engine.user);
	free(c->engine.password_file);
	free(c);
}

static bool match_any(char *const *globs, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(globs[i], s, 0) == 0)
			return true;
	return false;
}

bool vf_config_pf_selected(const struct vf_config *c, const char *name, const char *driver)
{
	if (!c)
		return true;
	if (c->n_pf_globs > 0 && !match_any(c->pf_globs, c->n_pf_globs, name))
		return false;
	/* With a drivers= filter, a PF whose driver is unknown cannot be shown to match. */
	if (c->n_drivers > 0 && (!driver || !match_any(c->drivers, c->n_drivers, driver)))
		return false;
	return true;
}

const struct vf_pf_config *vf_config_find_pf(const struct vf_config *c, const char *name)
{
	if (!c || !name)
		return NULL;
	for (size_t i = 0; i < c->n_pfs; i++)
		if (fnmatch(c->pfs[i].pattern, name, 0) == 0)
			return &c->pfs[i];
	return NULL;
}

bool vf_config_vf_reserved(const struct vf_pf_config *pc, int index)
{
	if (!pc)
		return false;
	for (size_t i = 0; i < pc->n_reserved; i++)
		if (index >= pc->reserved[i].first && index <= pc->reserved[i].last)
			return true;
	return false;
}
