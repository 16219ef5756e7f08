/* SPDX-License-Identifier: MIT */
/* The report as JSON (schema/vfcap-report.schema.json), written and read back with json-c. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "model.h"

/* Build the JSON object of h (caller owns; json_object_put). UNKNOWN counts become null. */
json_object *vf_report_to_json(const struct vf_host *h);
/* Serialize: pretty (2-space indent) or compact, with a trailing newline. Caller frees. */
char *vf_report_format_json(const struct vf_host *h, bool pretty);

/* Read a report back (what the filter does). Validates types and ranges of every field it uses;
 * on error returns -EINVAL and *errmsg = "FIELD-PATH: what is wrong" (e.g. "pfs[2].free: not an
 * integer"). */
int vf_report_from_json(json_object *o, struct vf_host **ret, char **errmsg);
int vf_report_parse(const char *text, size_t len, struct vf_host **ret, char **errmsg);

/* RFC 3339 UTC ("2026-11-20T10:00:00Z") <-> time_t. */
char *vf_format_rfc3339(time_t t);
int vf_parse_rfc3339(const char *s, time_t *ret);
