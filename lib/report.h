/* SPDX-License-Identifier: MIT */
/* The report as JSON (schema/vfcap-report.schema.json), written and read back with json-c. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "model.h"

/* Build the JSON object of h (caller owns; json_object_put). Keys in schema order; UNKNOWN
 * counts, NULL strings, an empty MAC, an invalid netlink block become null. */
json_object *vf_report_to_json(const struct vf_host *h);
/* Serialize: pretty (2-space indent, "key": value) or compact, with a trailing newline.
 * Caller frees. */
char *vf_report_format_json(const struct vf_host *h, bool pretty);

/* Read a report back (what the filter does): every field, with its type and range checked.
 * Every field of the schema is required (null where the schema allows it); unknown keys are
 * errors except at the top level, where a later version may add some; schema_version must be 1.
 * On error returns -EINVAL, *ret untouched, and *errmsg (when errmsg is not NULL; caller frees)
 * = "FIELD-PATH: what is wrong", e.g. "pfs[1].vfs[3].state: unknown state 'fre'". */
int vf_report_from_json(json_object *o, struct vf_host **ret, char **errmsg);
/* The same from text: one JSON document (trailing whitespace allowed), nesting at most 32 deep,
 * UTF-8 checked by json-c. Syntax errors read "JSON: byte N: what". */
int vf_report_parse(const char *text, size_t len, struct vf_host **ret, char **errmsg);

/* RFC 3339 UTC ("2026-11-20T10:00:00Z") <-> time_t. Formatting returns NULL for years outside
 * 0000..9999. Parsing also takes "+00:00"/"-00:00" and fractional seconds (dropped); any other
 * offset is -EINVAL. */
char *vf_format_rfc3339(time_t t);
int vf_parse_rfc3339(const char *s, time_t *ret);
