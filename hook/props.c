/* SPDX-License-Identifier: MIT */
/* The hook's custom properties: vmfex (a profile, or a Python dict MAC -> profile) and extnet.
 * The dict is a Python literal, as the VM-FEX hook's users have always written it into the
 * engine. Python is not here to read it, and it must never be evaluated, so it has a small
 * recursive-descent grammar of its own (see props.h); every error names its column, since the
 * engine shows the property as one long line. */
#include "props.h"

#include <errno.h>
#include <string.h>

#define EXCERPT_MAX 40

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_ctrl(char c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

/* Quote n bytes of user text in a message: printable ASCII as is, any other byte as \xNN, cut
 * after EXCERPT_MAX bytes, so that a message stays one readable line. Caller frees. */
static char *excerpt(const char *s, size_t n)
{
	size_t m = n > EXCERPT_MAX ? EXCERPT_MAX : n;
	char *out = xmalloc(m * 4 + 4), *o = out;
	for (size_t i = 0; i < m; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f)
			*o++ = (char)c;
		else
			o += sprintf(o, "\\x%02x", c);
	}
	strcpy(o, n > m ? "..." : "");
	return out;
}

bool vf_profile_valid(const char *s)
{
	if (!s)
		return false;
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
	return s[n] == '\0' && n >= 2 && n <= 32;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int vf_mac_normalize(const char *in, char out[VF_MAC_STRLEN])
{
	static const char hex[] = "0123456789abcdef";
	char buf[VF_MAC_STRLEN];
	if (!in)
		return -EINVAL;
	/* Position i of "xx:xx:xx:xx:xx:xx" is a separator when i % 3 == 2; the NUL must follow. */
	for (size_t i = 0; i < VF_MAC_STRLEN - 1; i++) {
		if (i % 3 == 2) {
			if (in[i] != ':')
				return -EINVAL;
			buf[i] = ':';
			continue;
		}
		int d = hex_digit(in[i]); /* also stops at the NUL of a short string */
		if (d < 0)
			return -EINVAL;
		buf[i] = hex[d];
	}
	if (in[VF_MAC_STRLEN - 1] != '\0')
		return -EINVAL;
	buf[VF_MAC_STRLEN - 1] = '\0';
	memcpy(out, buf, VF_MAC_STRLEN);
	return 0;
}

bool vf_vmfex_is_dict(const char *value)
{
	if (!value)
		return false;
	while (is_ws(*value))
		value++;
	return *value == '{';
}

/* ---- the dict ---- */

struct dict_parser {
	const char *s;
	size_t pos; /* byte offset of the next token; columns are pos + 1 */
	char **errmsg;
	struct vf_vmfex_map map;
};

static void dict_parser_done(struct dict_parser *p)
{
	vf_vmfex_map_clear(&p->map);
}

static int _printf_(3, 4) dict_fail(struct dict_parser *p, size_t at, const char *fmt, ...)
{
	if (!p->errmsg)
		return -EINVAL;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *what = xvasprintf(fmt, ap);
	va_end(ap);
	return set_error(p->errmsg, -EINVAL, "vmfex: column %zu: %s", at + 1, what);
}

/* What stands at the parser's position, for "expected X, found Y" messages. Caller frees. */
static char *found(const struct dict_parser *p)
{
	if (p->s[p->pos] == '\0')
		return xstrdup("the end of the value");
	if (p->s[p->pos] == '\'')
		return xstrdup("\"'\"");
	_cleanup_free_ char *c = excerpt(p->s + p->pos, 1);
	return xasprintf("'%s'", c);
}

static void skip_ws(struct dict_parser *p)
{
	while (is_ws(p->s[p->pos]))
		p->pos++;
}

/* Check the string token at p->pos (what: how the error names the expected token) and find
 * its body [*body, *end) between the quotes. p->pos moves past the closing quote. */
static int scan_string(struct dict_parser *p, const char *what, size_t *body, size_t *end)
{
	const char *s = p->s;
	size_t start = p->pos, i = start;
	if (s[i] == 'u' || s[i] == 'U') /* Python 2's repr() of a unicode string */
		i++;
	char q = s[i];
	if (q != '\'' && q != '"') {
		_cleanup_free_ char *f = found(p);
		return dict_fail(p, start, "expected %s, found %s", what, f);
	}
	*body = ++i;
	for (; s[i] != q; i++) {
		if (s[i] == '\0')
			return dict_fail(p, start, "unterminated string");
		if (is_ctrl(s[i]))
			return dict_fail(p, i, "control character 0x%02x in a string", (unsigned char)s[i]);
		if (s[i] != '\\')
			continue;
		i++;
		if (s[i] == '\0')
			return dict_fail(p, start, "unterminated string");
		if (s[i] != '\\' && s[i] != '\'' && s[i] != '"') {
			_cleanup_free_ char *e = excerpt(s + i, 1);
			return dict_fail(p, i - 1,
					 "invalid escape '\\%s' (only \\\\, \\' and \\\" are allowed)", e);
		}
	}
	*end = i;
	p->pos = i + 1;
	return 0;
}

/* Read a string token (see scan_string) into *ret with its escapes resolved. */
static int parse_string(struct dict_parser *p, const char *what, char **ret)
{
	size_t body = 0, end = 0;
	int r = scan_string(p, what, &body, &end);
	if (r < 0)
		return r;
	char *out = xmalloc(end - body + 1), *o = out;
	for (size_t i = body; i < end; i++) {
		if (p->s[i] == '\\')
			i++; /* scan_string let only \\ \' \" through */
		*o++ = p->s[i];
	}
	*o = '\0';
	*ret = out;
	return 0;
}

static struct vf_vmfex_entry *map_lookup(const struct vf_vmfex_map *m, const char *mac)
{
	for (size_t i = 0; i < m->n; i++)
		if (streq(m->entries[i].mac, mac))
			return &m->entries[i];
	return NULL;
}

/* entry = string ':' string; the MAC is returned in mac for the caller's next message. */
static int parse_entry(struct dict_parser *p, char mac[VF_MAC_STRLEN])
{
	_cleanup_free_ char *key = NULL, *profile = NULL;
	size_t key_at = p->pos;
	int r = parse_string(p, "a quoted MAC address", &key);
	if (r < 0)
		return r;
	if (vf_mac_normalize(key, mac) < 0) {
		_cleanup_free_ char *k = excerpt(key, strlen(key));
		return dict_fail(p, key_at,
				 "'%s' is not a MAC address (six hex pairs like 00:1a:4a:16:01:b0)", k);
	}
	skip_ws(p);
	if (p->s[p->pos] != ':') {
		_cleanup_free_ char *f = found(p);
		return dict_fail(p, p->pos, "expected ':' after key '%s', found %s", key, f);
	}
	p->pos++;
	skip_ws(p);
	size_t profile_at = p->pos;
	r = parse_string(p, "a quoted profile name", &profile);
	if (r < 0)
		return r;
	if (!vf_profile_valid(profile)) {
		_cleanup_free_ char *v = excerpt(profile, strlen(profile));
		return dict_fail(p, profile_at, "profile '%s' must match ^[a-zA-Z0-9_.-]{2,32}$", v);
	}
	const struct vf_vmfex_entry *old = map_lookup(&p->map, mac);
	if (old && !streq(old->profile, profile))
		return dict_fail(p, key_at, "MAC %s is given twice, with profiles '%s' and '%s'", mac,
				 old->profile, profile);
	if (!old) {
		struct vf_vmfex_entry *e = array_append(&p->map.entries, &p->map.n, sizeof(*e));
		memcpy(e->mac, mac, VF_MAC_STRLEN);
		e->profile = TAKE_PTR(profile);
	}
	return 0;
}

/* The entries after '{' up to and including '}': [entry (',' entry)* [',']] '}'. */
static int parse_entries(struct dict_parser *p)
{
	skip_ws(p);
	while (p->s[p->pos] != '}') {
		char mac[VF_MAC_STRLEN];
		int r = parse_entry(p, mac);
		if (r < 0)
			return r;
		skip_ws(p);
		if (p->s[p->pos] == '}')
			break;
		if (p->s[p->pos] != ',') {
			_cleanup_free_ char *f = found(p);
			return dict_fail(p, p->pos, "expected ',' or '}' after the entry of %s, found %s",
					 mac, f);
		}
		p->pos++;
		skip_ws(p);
	}
	p->pos++;
	return 0;
}

int vf_vmfex_dict_parse(const char *s, struct vf_vmfex_map *out, char **errmsg)
{
	if (!s)
		return set_error(errmsg, -EINVAL, "vmfex: no value");
	size_t len = strnlen(s, VF_VMFEX_MAX_LEN + 1);
	if (len > VF_VMFEX_MAX_LEN)
		return set_error(errmsg, -EINVAL, "vmfex: value too long (more than %d bytes)",
				 VF_VMFEX_MAX_LEN);
	_cleanup_(dict_parser_done) struct dict_parser p = { .s = s, .errmsg = errmsg };
	skip_ws(&p);
	if (s[p.pos] != '{') {
		_cleanup_free_ char *f = found(&p);
		return dict_fail(&p, p.pos,
				 "expected '{' of a dict like {'00:1a:4a:16:01:b0': 'Profile1'}, found %s",
				 f);
	}
	p.pos++;
	int r = parse_entries(&p);
	if (r < 0)
		return r;
	skip_ws(&p);
	if (s[p.pos] != '\0') {
		_cleanup_free_ char *t = excerpt(s + p.pos, len - p.pos);
		return dict_fail(&p, p.pos, "unexpected text after the closing '}': '%s'", t);
	}
	*out = p.map;
	p.map = (struct vf_vmfex_map){ 0 };
	return 0;
}

const char *vf_vmfex_map_find(const struct vf_vmfex_map *m, const char *mac)
{
	char norm[VF_MAC_STRLEN];
	if (!m || vf_mac_normalize(mac, norm) < 0)
		return NULL;
	const struct vf_vmfex_entry *e = map_lookup(m, norm);
	return e ? e->profile : NULL;
}

void vf_vmfex_map_clear(struct vf_vmfex_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->entries[i].profile);
	free(m->entries);
	*m = (struct vf_vmfex_map){ 0 };
}

/* ---- extnet ---- */

/* One part of extnet= (what: "network" or "portgroup"), n bytes at s. */
static int check_name(const char *what, const char *s, size_t n, const char *value, char **errmsg)
{
	_cleanup_free_ char *v = excerpt(value, strlen(value));
	if (n == 0)
		return set_error(errmsg, -EINVAL,
				 "extnet: empty %s name in '%s' (expected NETWORK or NETWORK:PORTGROUP)",
				 what, v);
	_cleanup_free_ char *name = excerpt(s, n);
	if (n > VF_EXTNET_NAME_MAX)
		return set_error(errmsg, -EINVAL, "extnet: %s name '%s' is %zu bytes long (at most %d)", what,
				 name, n, VF_EXTNET_NAME_MAX);
	if (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t')
		return set_error(errmsg, -EINVAL, "extnet: %s name '%s' starts or ends with a blank", what,
				 name);
	return 0;
}

int vf_extnet_parse(const char *s, char **network, char **portgroup, char **errmsg)
{
	if (!s || !*s)
		return set_error(errmsg, -EINVAL,
				 "extnet: empty value (expected NETWORK or NETWORK:PORTGROUP)");
	for (const char *c = s; *c; c++)
		if (is_ctrl(*c))
			return set_error(errmsg, -EINVAL, "extnet: column %zu: control character 0x%02x",
					 (size_t)(c - s) + 1, (unsigned char)*c);
	const char *colon = strchr(s, ':');
	if (colon && strchr(colon + 1, ':')) {
		_cleanup_free_ char *v = excerpt(s, strlen(s));
		return set_error(errmsg, -EINVAL,
				 "extnet: more than one ':' in '%s' (expected NETWORK or NETWORK:PORTGROUP)",
				 v);
	}
	size_t net_len = colon ? (size_t)(colon - s) : strlen(s);
	int r = check_name("network", s, net_len, s, errmsg);
	if (r < 0)
		return r;
	const char *slash = memchr(s, '/', net_len);
	if (slash) {
		_cleanup_free_ char *name = excerpt(s, net_len);
		return set_error(errmsg, -EINVAL, "extnet: network name '%s' contains '/'", name);
	}
	if (colon) {
		r = check_name("portgroup", colon + 1, strlen(colon + 1), s, errmsg);
		if (r < 0)
			return r;
	}
	*network = xstrndup(s, net_len);
	*portgroup = colon ? xstrdup(colon + 1) : NULL;
	return 0;
}
