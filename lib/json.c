/* SPDX-License-Identifier: MIT */
#include "json.h"

#include <errno.h>
#include <string.h>

int vf_json_parse_one(const char *text, size_t len, int depth, json_object **ret, size_t *at, const char **desc)
{
	json_tokener *tok = json_tokener_new_ex(depth);
	if (!tok)
		return -ENOMEM;
	/* Trailing data is checked below, so that callers can say so more clearly than json-c. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
					    JSON_TOKENER_VALIDATE_UTF8);
	_cleanup_json_ json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	if (e == json_tokener_continue) {
		/* the whole text was read and the document is unfinished; a NUL tells the tokener
		 * the input ended (a bare number is complete only then) */
		o = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
		end = len;
	}
	json_tokener_free(tok);
	if (e != json_tokener_success) {
		*at = end, *desc = json_tokener_error_desc(e);
		return -EINVAL;
	}
	/* One document per input: anything but whitespace after it means a torn or doubled file. */
	while (end < len && vf_json_is_ws(text[end]))
		end++;
	if (end < len) {
		*at = end, *desc = NULL;
		return -EINVAL;
	}
	*ret = o;
	o = NULL;
	return 0;
}

/* ---- writing ----
 *
 * The report's JSON (vf_report_format_json). On a 4,096-VF host (bench/mkbench.py 16 256 500:
 * 2.3 MB of pretty JSON) json-c's serializer, a printbuf append per token, an snprintf per
 * integer and a strlen per string, and then the copy that added the "\n", took 9 to 10 ms of
 * the call's 12; building the tree takes 2.7. This writes the same bytes into one buffer that
 * doubles: 2.4 ms where json-c's serializer alone takes 4.3, 5.6 ms for the whole call (the
 * minimum of 40 runs each, 2 shared cores). */

struct jbuf {
	char *p;
	size_t len, cap;
};

static void jb_grow(struct jbuf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len < need)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

/* Room for n more bytes at the end; the caller writes them and moves len. */
static inline char *jb_room(struct jbuf *b, size_t n)
{
	if (b->cap - b->len < n)
		jb_grow(b, n);
	return b->p + b->len;
}

static inline void jb_put(struct jbuf *b, const char *s, size_t n)
{
	memcpy(jb_room(b, n), s, n);
	b->len += n;
}

static inline void jb_end(struct jbuf *b, const char *w)
{
	b->len = (size_t)(w - b->p);
}

static void jb_indent(struct jbuf *b, int level)
{
	size_t n = 2 * (size_t)level;
	memset(jb_room(b, n), ' ', n);
	b->len += n;
}

/* json-c 0.16's json_escape_str with NOSLASHESCAPE (checked on every byte by
 * tests/unit/test_json_format.c): these seven as two characters, the other bytes below 0x20 as
 * \u00xx in lowercase hex, everything else (0x7f, '/', UTF-8 or not) as it is. */
static const char short_escape[256] = {
	['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r', ['"'] = '"', ['\\'] = '\\',
};

static void put_string(struct jbuf *b, const char *s, size_t n)
{
	char *w = jb_room(b, 6 * n + 2);
	*w++ = '"';
	for (const unsigned char *c = (const unsigned char *)s, *e = c + n; c < e; c++) {
		if (*c >= 0x20 && *c != '"' && *c != '\\') {
			*w++ = (char)*c;
		} else if (short_escape[*c]) {
			*w++ = '\\';
			*w++ = short_escape[*c];
		} else {
			memcpy(w, "\\u00", 4);
			w[4] = "0123456789abcdef"[*c >> 4];
			w[5] = "0123456789abcdef"[*c & 0xf];
			w += 6;
		}
	}
	*w++ = '"';
	jb_end(b, w);
}

static void put_u64(struct jbuf *b, uint64_t v, bool minus)
{
	char tmp[20], *e = tmp + sizeof(tmp), *d = e;
	do
		*--d = (char)('0' + v % 10);
	while (v /= 10);
	char *w = jb_room(b, 21);
	if (minus)
		*w++ = '-';
	memcpy(w, d, (size_t)(e - d));
	jb_end(b, w + (e - d));
}

/* json-c holds an int64 or a uint64; it reads a uint64 above INT64_MAX as INT64_MAX. */
static void put_int(struct jbuf *b, json_object *o)
{
	int64_t v = json_object_get_int64(o);
	if (v == INT64_MAX)
		put_u64(b, json_object_get_uint64(o), false);
	else
		put_u64(b, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
}

#define JSON_FLAGS(pretty)                                                                         \
	(JSON_C_TO_STRING_NOSLASHESCAPE |                                                          \
	 ((pretty) ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN))

/* A double, and a value with userdata (json_object_new_double_s, or a serializer set with
 * json_object_set_serializer, which sets userdata), as json-c writes it. A serializer set with
 * no userdata goes unseen, and one that indents is given level 0: the report sets none. */
static void put_json_c(struct jbuf *b, json_object *o, bool pretty)
{
	size_t n;
	const char *s = json_object_to_json_string_length(o, JSON_FLAGS(pretty), &n);
	jb_put(b, s ?: "", s ? n : 0);
}

/* json-c's layout of objects and arrays alike: pretty, a newline after the opening bracket,
 * ",\n" and the indentation before each member after the first, and before the closing bracket
 * a newline (after members only) and the container's own indentation: "{\n}" when empty. */
static void open_container(struct jbuf *b, char bracket, bool pretty)
{
	char s[2] = { bracket, '\n' };
	jb_put(b, s, pretty ? 2 : 1);
}

static void start_member(struct jbuf *b, bool first, int level, bool pretty)
{
	if (!first)
		jb_put(b, ",\n", pretty ? 2 : 1);
	if (pretty)
		jb_indent(b, level);
}

static void close_container(struct jbuf *b, char bracket, bool any, int level, bool pretty)
{
	if (pretty && any)
		jb_put(b, "\n", 1);
	if (pretty)
		jb_indent(b, level);
	jb_put(b, &bracket, 1);
}

static void put_value(struct jbuf *b, json_object *o, int level, bool pretty);

static void put_object(struct jbuf *b, json_object *o, int level, bool pretty)
{
	bool first = true;
	open_container(b, '{', pretty);
	json_object_object_foreach(o, key, val) {
		start_member(b, first, level + 1, pretty);
		first = false;
		put_string(b, key, strlen(key));
		jb_put(b, ": ", pretty ? 2 : 1);
		put_value(b, val, level + 1, pretty);
	}
	close_container(b, '}', !first, level, pretty);
}

static void put_array(struct jbuf *b, json_object *o, int level, bool pretty)
{
	size_t n = json_object_array_length(o);
	open_container(b, '[', pretty);
	for (size_t i = 0; i < n; i++) {
		start_member(b, i == 0, level + 1, pretty);
		put_value(b, json_object_array_get_idx(o, i), level + 1, pretty);
	}
	close_container(b, ']', n > 0, level, pretty);
}

static void put_value(struct jbuf *b, json_object *o, int level, bool pretty)
{
	if (json_object_get_userdata(o)) {
		put_json_c(b, o, pretty);
		return;
	}
	switch (json_object_get_type(o)) {
	case json_type_null: jb_put(b, "null", 4); break;
	case json_type_boolean:
		if (json_object_get_boolean(o))
			jb_put(b, "true", 4);
		else
			jb_put(b, "false", 5);
		break;
	case json_type_int: put_int(b, o); break;
	case json_type_string:
		put_string(b, json_object_get_string(o), (size_t)json_object_get_string_len(o));
		break;
	case json_type_object: put_object(b, o, level, pretty); break;
	case json_type_array: put_array(b, o, level, pretty); break;
	default: put_json_c(b, o, pretty); break;
	}
}

char *vf_json_format(json_object *o, bool pretty, size_t *len)
{
	struct jbuf b = {};
	put_value(&b, o, 0, pretty);
	jb_put(&b, "\n", 2); /* and the NUL */
	if (len)
		*len = b.len - 1;
	return xrealloc(b.p, b.len);
}
