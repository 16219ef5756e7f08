/* SPDX-License-Identifier: MIT */
/* Reading one JSON document with json-c, strictly: the report reader and the hook's caps merge
 * both take exactly one document with nothing but whitespace after it. Writing a json-c tree as
 * json-c does, faster (the report's JSON). */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

static inline void vf_json_putp(json_object **o)
{
	json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(vf_json_putp)

/* RFC 8259's four; json-c's strict mode takes no other (no \v, no \f). */
static inline bool vf_json_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parse text[0..len) (len < INT32_MAX) as one document, nested at most depth deep: strict (no
 * trailing commas, comments or single-quoted values; json-c 0.16 still takes single-quoted keys
 * and NaN), UTF-8 validated. Returns 0 with *ret (caller puts), -ENOMEM, or -EINVAL with *at the
 * byte offset and *desc json-c's description of the syntax error, or NULL when a complete
 * document is followed by more than whitespace (callers word that themselves). */
int vf_json_parse_one(const char *text, size_t len, int depth, json_object **ret, size_t *at, const char **desc);

/* What json_object_to_json_string_ext(o, flags) writes, byte for byte, followed by "\n": flags
 * NOSLASHESCAPE | PRETTY | SPACED when pretty, else NOSLASHESCAPE | PLAIN. Returns a malloc'ed,
 * NUL-terminated string (the caller frees it) and, when len is not NULL, its length in *len. */
char *vf_json_format(json_object *o, bool pretty, size_t *len);
