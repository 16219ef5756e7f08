/* SPDX-License-Identifier: MIT */
/* after_get_caps: the report goes into VDSM's caps document as a byte splice, not by parsing and
 * re-serializing it, so that whatever json-c would normalize (number spelling, escapes, key order,
 * layout) reaches the engine exactly as VDSM wrote it. json-c only checks both documents. */
#include "caps.h"

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "json.h"
#include "util.h"

static const char *article(const char *noun)
{
	return strchr("aeiou", noun[0]) ? "an" : "a";
}

/* Size, emptiness and NUL bytes, before json-c sees the text (it would stop at a NUL). */
static int check_text(const char *what, const char *text, size_t len, char **errmsg)
{
	if (len > VF_CAPS_MAX_SIZE)
		return set_error(errmsg, -EINVAL, "%s: too large (%zu bytes, at most %d)", what, len,
				 VF_CAPS_MAX_SIZE);
	const char *nul = memchr(text, '\0', len);
	if (nul)
		return set_error(errmsg, -EINVAL, "%s: byte %zu: NUL byte in the text", what,
				 (size_t)(nul - text));
	size_t i = 0;
	while (i < len && vf_json_is_ws(text[i]))
		i++;
	if (i == len)
		return set_error(errmsg, -EINVAL, "%s: empty input, expected a JSON object", what);
	return 0;
}

/* One JSON object, only whitespace after it, into *ret (caller puts). */
static int parse_object(const char *what, const char *text, size_t len, json_object **ret, char **errmsg)
{
	int r = check_text(what, text, len, errmsg);
	if (r < 0)
		return r;
	_cleanup_json_ json_object *o = NULL;
	size_t at;
	const char *desc;
	r = vf_json_parse_one(text, len, VF_CAPS_MAX_DEPTH, &o, &at, &desc);
	if (r == -ENOMEM)
		return set_error(errmsg, r, "%s: out of memory", what);
	if (r < 0 && desc)
		return set_error(errmsg, r, "%s: JSON: byte %zu: %s", what, at, desc);
	if (r < 0)
		return set_error(errmsg, r, "%s: JSON: byte %zu: trailing data after the top-level value", what, at);
	if (!json_object_is_type(o, json_type_object)) {
		const char *type = json_type_to_name(json_object_get_type(o)); /* "null" for NULL */
		return set_error(errmsg, -EINVAL, "%s: the top level is %s %s, not an object", what,
				 article(type), type);
	}
	*ret = TAKE_PTR(o);
	return 0;
}

/* [start, end) of text without its leading and trailing JSON whitespace. */
static void trim(const char *text, size_t len, size_t *start, size_t *end)
{
	*start = 0;
	*end = len;
	while (*start < *end && vf_json_is_ws(text[*start]))
		(*start)++;
	while (*end > *start && vf_json_is_ws(text[*end - 1]))
		(*end)--;
}

/* caps is one object with only whitespace after it, so its last non-whitespace byte is the
 * object's '}'. The report goes after the last non-whitespace byte before that brace: after the
 * last member's value, or right after the '{' of an empty object. */
static void splice(const char *caps, size_t caps_len, bool empty, const char *report, char **out,
		   size_t *out_len)
{
	size_t body, end, rs, re;
	trim(caps, caps_len, &body, &end);
	size_t at = end - 1; /* the closing brace */
	while (at > 0 && vf_json_is_ws(caps[at - 1]))
		at--;
	trim(report, strlen(report), &rs, &re);

	const char *sep = empty ? "\"vfcap\": " : ", \"vfcap\": ";
	size_t sep_len = strlen(sep), n = caps_len + sep_len + (re - rs);
	char *o = xmalloc(n + 1);
	memcpy(o, caps, at);
	memcpy(o + at, sep, sep_len);
	memcpy(o + at + sep_len, report + rs, re - rs);
	memcpy(o + at + sep_len + (re - rs), caps + at, caps_len - at);
	o[n] = '\0';
	*out = o;
	if (out_len)
		*out_len = n;
}

/* A "vfcap" key is there already: the hook ran on this document before. Splicing would need the
 * byte range of the old value, which json-c does not tell, so the object is re-serialized instead
 * (compact, '/' unescaped). This one case gives up VDSM's bytes: json-c collapses duplicate keys,
 * rewrites escapes, prints single-quoted keys double-quoted and clamps integers beyond 64 bits. */
static int replace(json_object *caps_obj, json_object *report_obj, bool newline, char **out, size_t *out_len)
{
	/* The key exists, so json-c swaps the value in place, keeping the key's position. */
	json_object *v = json_object_get(report_obj);
	if (json_object_object_add(caps_obj, "vfcap", v) < 0) {
		json_object_put(v); /* not taken on failure */
		return -ENOMEM;
	}
	size_t len;
	const char *s = json_object_to_json_string_length(
		caps_obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!s)
		return -ENOMEM;
	char *o = xmalloc(len + 2);
	memcpy(o, s, len);
	if (newline)
		o[len++] = '\n';
	o[len] = '\0';
	*out = o;
	if (out_len)
		*out_len = len;
	return 0;
}

int vf_caps_merge(const char *caps, size_t caps_len, const char *report_json, char **out, size_t *out_len,
		  char **errmsg)
{
	if (!caps || !report_json)
		return set_error(errmsg, -EINVAL, "caps: no input");
	_cleanup_json_ json_object *caps_obj = NULL, *report_obj = NULL;
	int r = parse_object("caps", caps, caps_len, &caps_obj, errmsg);
	if (r < 0)
		return r;
	r = parse_object("vfcap report", report_json, strlen(report_json), &report_obj, errmsg);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(caps_obj, "vfcap", NULL))
		return replace(caps_obj, report_obj, caps[caps_len - 1] == '\n', out, out_len);
	splice(caps, caps_len, json_object_object_length(caps_obj) == 0, report_json, out, out_len);
	return 0;
}
