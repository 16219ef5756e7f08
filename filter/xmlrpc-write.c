/* SPDX-License-Identifier: MIT */
/* XML-RPC reply writer (see xmlrpc.h): an append-only buffer, escaped strings, no nil. */
#include "xmlrpc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum frame { FRAME_ARRAY = 1, FRAME_STRUCT };

void rpc_writer_init(struct rpc_writer *w)
{
	*w = (struct rpc_writer){ 0 };
}

void rpc_writer_free(struct rpc_writer *w)
{
	free(w->buf);
	rpc_writer_init(w);
}

char *rpc_writer_take(struct rpc_writer *w, size_t *len)
{
	char *buf = w->buf ? w->buf : xstrdup("");
	if (len)
		*len = w->len;
	rpc_writer_init(w);
	return buf;
}

static void grow(struct rpc_writer *w, size_t n)
{
	size_t cap = w->cap ? w->cap : 4096;
	while (cap - w->len <= n)
		cap *= 2;
	w->buf = xrealloc(w->buf, cap);
	w->cap = cap;
}

/* Room for n more bytes and the terminating NUL; returns where they go. */
static inline char *reserve(struct rpc_writer *w, size_t n)
{
	if (w->cap - w->len <= n)
		grow(w, n);
	return w->buf + w->len;
}

static inline void put(struct rpc_writer *w, const char *s, size_t n)
{
	memcpy(reserve(w, n), s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}
#define PUT(w, lit) put(w, lit, sizeof(lit) - 1)

/* Length of the UTF-8 sequence at s (s[0] >= 0x80) if it is well formed and an XML character,
 * else 0 with *bad = how many bytes one U+FFFD replaces (the maximal ill-formed prefix). */
static size_t utf8_char(const unsigned char *s, const unsigned char *end, size_t *bad)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t need;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		lo = c == 0xE0 ? 0xA0 : 0x80; /* overlong */
		hi = c == 0xED ? 0x9F : 0xBF; /* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		lo = c == 0xF0 ? 0x90 : 0x80; /* overlong */
		hi = c == 0xF4 ? 0x8F : 0xBF; /* past U+10FFFF */
	} else {
		*bad = 1;
		return 0;
	}
	for (size_t i = 1; i <= need; i++) {
		if (s + i >= end || s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xBF)) {
			*bad = i;
			return 0;
		}
	}
	if (c == 0xEF && s[1] == 0xBF && s[2] >= 0xBE) { /* U+FFFE, U+FFFF: not XML characters */
		*bad = 3;
		return 0;
	}
	return need + 1;
}

/* Writes the escaped text to o, which has room for 5 bytes per input byte; returns the end. */
static char *escape(char *o, const unsigned char *s, size_t n)
{
	const unsigned char *end = s + n;
	while (s < end) {
		unsigned char c = *s;
		if (c >= 0x80) {
			size_t bad, k = utf8_char(s, end, &bad);
			if (k) {
				memcpy(o, s, k);
				o += k;
				s += k;
			} else {
				o = mempcpy(o, "\xEF\xBF\xBD", 3);
				s += bad;
			}
			continue;
		}
		s++;
		if (c >= 0x20 && c != '&' && c != '<' && c != '>')
			*o++ = (char)c;
		else if (c == '&')
			o = mempcpy(o, "&amp;", 5);
		else if (c == '<')
			o = mempcpy(o, "&lt;", 4);
		else if (c == '>')
			o = mempcpy(o, "&gt;", 4);
		else if (c == '\r') /* a raw CR would be read back as LF */
			o = mempcpy(o, "&#xD;", 5);
		else if (c == '\t' || c == '\n')
			*o++ = (char)c;
		else /* C0 controls: XML 1.0 has no way to carry them */
			o = mempcpy(o, "\xEF\xBF\xBD", 3);
	}
	return o;
}

/* open, escaped text, close in one reservation */
static void put_escaped(struct rpc_writer *w, const char *open, size_t open_len, const char *s,
			const char *close, size_t close_len)
{
	size_t n = s ? strlen(s) : 0;
	char *o = reserve(w, open_len + 5 * n + close_len);
	o = mempcpy(o, open, open_len);
	o = escape(o, (const unsigned char *)(s ? s : ""), n);
	o = mempcpy(o, close, close_len);
	*o = '\0';
	w->len = (size_t)(o - w->buf);
}

#define PUT_ESCAPED(w, open, s, close)                                                             \
	put_escaped(w, open, sizeof(open) - 1, s, close, sizeof(close) - 1)

/* The callers' nesting is fixed by their code, never by input: misuse is a bug. */
static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "rpc_writer: %s\n", what);
		abort();
	}
}

static void push(struct rpc_writer *w, enum frame f)
{
	check(w->depth < (int)sizeof w->stack, "containers nested too deep");
	w->stack[w->depth++] = (unsigned char)f;
}

static void pop(struct rpc_writer *w, enum frame f)
{
	check(w->depth > 0 && w->stack[w->depth - 1] == f, "end of a container that is not open");
	w->depth--;
}

static bool in_struct(const struct rpc_writer *w)
{
	return w->depth > 0 && w->stack[w->depth - 1] == FRAME_STRUCT;
}

/* A value inside a struct closes the member that rpc_key() opened. */
static void close_value(struct rpc_writer *w)
{
	if (in_struct(w))
		PUT(w, "</value></member>");
	else
		PUT(w, "</value>");
}

void rpc_begin_response(struct rpc_writer *w)
{
	PUT(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodResponse><params><param>");
}

void rpc_end_response(struct rpc_writer *w)
{
	PUT(w, "</param></params></methodResponse>");
}

void rpc_begin_array(struct rpc_writer *w)
{
	PUT(w, "<value><array><data>");
	push(w, FRAME_ARRAY);
}

void rpc_end_array(struct rpc_writer *w)
{
	pop(w, FRAME_ARRAY);
	PUT(w, "</data></array>");
	close_value(w);
}

void rpc_begin_struct(struct rpc_writer *w)
{
	PUT(w, "<value><struct>");
	push(w, FRAME_STRUCT);
}

void rpc_end_struct(struct rpc_writer *w)
{
	pop(w, FRAME_STRUCT);
	PUT(w, "</struct>");
	close_value(w);
}

void rpc_key(struct rpc_writer *w, const char *name)
{
	PUT_ESCAPED(w, "<member><name>", name, "</name>");
}

void rpc_string_value(struct rpc_writer *w, const char *s)
{
	PUT_ESCAPED(w, "<value><string>", s, "</string>");
	close_value(w);
}

static void put_int(struct rpc_writer *w, int64_t i)
{
	char digits[24], *end = digits + sizeof digits, *p = end;
	uint64_t u = i < 0 ? -(uint64_t)i : (uint64_t)i;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (i < 0)
		*--p = '-';
	put(w, p, (size_t)(end - p));
}

void rpc_int_value(struct rpc_writer *w, int64_t i)
{
	PUT(w, "<value><int>");
	put_int(w, i < INT32_MIN ? INT32_MIN : i > INT32_MAX ? INT32_MAX : i);
	PUT(w, "</int>");
	close_value(w);
}

void rpc_bool_value(struct rpc_writer *w, bool b)
{
	put(w, b ? "<value><boolean>1</boolean>" : "<value><boolean>0</boolean>",
	    sizeof("<value><boolean>1</boolean>") - 1);
	close_value(w);
}

void rpc_fault(struct rpc_writer *w, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	/* whatever was written before is dropped: a reply is a response or a fault */
	w->len = 0;
	w->depth = 0;
	PUT(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodResponse><fault><value><struct>"
	       "<member><name>faultCode</name><value><int>");
	put_int(w, code);
	PUT(w, "</int></value></member>");
	PUT_ESCAPED(w, "<member><name>faultString</name><value><string>", msg,
		    "</string></value></member>");
	PUT(w, "</struct></value></fault></methodResponse>");
}
