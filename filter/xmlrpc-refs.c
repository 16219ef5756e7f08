/* SPDX-License-Identifier: MIT */
/* Surrogate-pair character references, joined before libxml2 reads the body (xmlrpc.h,
 * rpc_join_surrogate_refs).
 *
 * The engine's XML writer (ws-commons-util 1.0.2, under Apache XML-RPC 3.1.3) escapes a
 * character outside the BMP as two references to its UTF-16 halves: U+1F40E becomes
 * "&#55357;&#56334;". XML forbids a reference to a surrogate and libxml2 refuses the document;
 * the service would answer a fault, and the engine lets every host pass on a fault. So a high
 * half's reference followed at once by a low half's is rewritten into the UTF-8 of the one
 * character they encode; any other surrogate reference (a lone half, a low one first) is an
 * error of its own, clearer than libxml2's "invalid xmlChar value".
 *
 * Only where XML reads references: character data and attribute values. CDATA sections,
 * comments and processing instructions (the XML declaration among them) are copied as they
 * are, since there "&#55357;" is literal text (the engine never sends them, but a client may).
 * A DOCTYPE is not special-cased: the parser refuses any DOCTYPE afterwards. Everything else is
 * libxml2's to judge: a reference that is malformed or not a surrogate is left alone. The
 * output is never longer than the input: two references take at least 16 bytes, the character
 * 4. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "util.h"
#include "xmlrpc.h"

#define HIGH_MIN 0xD800u
#define LOW_MIN 0xDC00u
#define LOW_MAX 0xDFFFu

/* A character reference "&#DDDD;" or "&#xHHHH;" at p: its value (capped past U+10FFFF, which
 * is no surrogate) and length, or 0 when p holds none. */
static size_t char_ref(const char *p, const char *end, uint32_t *value)
{
	if (end - p < 4 || p[0] != '&' || p[1] != '#')
		return 0;
	bool hex = p[2] == 'x';
	const char *q = p + 2 + hex, *digits = q;
	uint32_t v = 0;
	for (; q < end; q++) {
		int d = *q >= '0' && *q <= '9'		 ? *q - '0'
			: hex && *q >= 'a' && *q <= 'f' ? *q - 'a' + 10
			: hex && *q >= 'A' && *q <= 'F' ? *q - 'A' + 10
							 : -1;
		if (d < 0)
			break;
		v = v > 0x10FFFF ? v : v * (hex ? 16 : 10) + (uint32_t)d;
	}
	if (q == digits || q == end || *q != ';')
		return 0;
	*value = v;
	return (size_t)(q + 1 - p);
}

static bool is_surrogate(uint32_t v)
{
	return v >= HIGH_MIN && v <= LOW_MAX;
}

static size_t put_utf8(char *out, uint32_t c) /* c in U+10000..U+10FFFF */
{
	out[0] = (char)(0xF0 | c >> 18);
	out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
	out[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

/* Where markup whose content XML does not read references in ends: past "]]>", "-->" or "?>"
 * for a CDATA section, a comment or a processing instruction starting at p; p itself for any
 * other '<'; end when it is not closed (libxml2 will say so). */
static const char *skip_literal(const char *p, const char *end)
{
	static const struct {
		const char *open, *close;
	} kinds[] = { { "<![CDATA[", "]]>" }, { "<!--", "-->" }, { "<?", "?>" } };
	size_t left = (size_t)(end - p);
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		size_t lo = strlen(kinds[i].open), lc = strlen(kinds[i].close);
		if (left < lo || memcmp(p, kinds[i].open, lo))
			continue;
		const char *c = memmem(p + lo, left - lo, kinds[i].close, lc);
		return c ? c + lc : end;
	}
	return p;
}

static long line_of(const char *body, const char *p)
{
	long line = 1;
	for (const char *c = body; c < p; c++)
		line += *c == '\n';
	return line;
}

static int lone_half(const char *body, const char *p, size_t n, uint32_t v, char **errmsg)
{
	return set_error(errmsg, -EINVAL,
			 "XML-RPC: line %ld: character reference %.*s is %s UTF-16 surrogate half without "
			 "its %s half %s it",
			 line_of(body, p), (int)n, p, v < LOW_MIN ? "a high" : "a low",
			 v < LOW_MIN ? "low" : "high", v < LOW_MIN ? "right after" : "right before");
}

/* At p, a reference to a surrogate of n bytes: a pair is written to *o (the character, 4
 * bytes) and its length returned; anything else is an error. */
static long join_pair(const char *body, const char *p, const char *end, size_t n, uint32_t hi,
		      char **o, char **errmsg)
{
	uint32_t lo = 0;
	size_t m = hi < LOW_MIN ? char_ref(p + n, end, &lo) : 0;
	if (!m || lo < LOW_MIN || lo > LOW_MAX)
		return lone_half(body, p, n, hi, errmsg);
	*o += put_utf8(*o, 0x10000 + ((hi - HIGH_MIN) << 10) + (lo - LOW_MIN));
	return (long)(n + m);
}

/* Is there a "&#" anywhere? memchr for the rare '&' (glibc's memmem walks every byte). */
static bool has_char_ref(const char *p, size_t len)
{
	const char *end = p + len;
	while ((p = memchr(p, '&', (size_t)(end - p))) && ++p < end)
		if (*p == '#')
			return true;
	return false;
}

int rpc_join_surrogate_refs(const char *body, size_t len, char **ret, size_t *ret_len,
			    char **errmsg)
{
	/* most requests have no character reference at all: skip the byte-wise walk for them */
	if (!has_char_ref(body, len))
		return 0;
	const char *end = body + len, *copied = body;
	_cleanup_free_ char *out = NULL;
	char *o = NULL;
	for (const char *p = body; p < end;) {
		const char *next = p + 1;
		uint32_t v;
		size_t n;
		if (*p == '<') {
			const char *after = skip_literal(p, end);
			next = after > p ? after : next;
		} else if (*p == '&' && (n = char_ref(p, end, &v)) && is_surrogate(v)) {
			if (!out)
				o = out = xmalloc(len);
			memcpy(o, copied, (size_t)(p - copied));
			o += p - copied;
			long r = join_pair(body, p, end, n, v, &o, errmsg);
			if (r < 0)
				return (int)r;
			copied = next = p + r;
		}
		p = next;
	}
	if (!out)
		return 0;
	memcpy(o, copied, (size_t)(end - copied));
	o += end - copied;
	*ret_len = (size_t)(o - out);
	*ret = TAKE_PTR(out);
	return 1;
}
