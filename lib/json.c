/* SPDX-License-Identifier: MIT */
#include "json.h"

#include <errno.h>

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
