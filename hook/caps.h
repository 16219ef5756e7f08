/* SPDX-License-Identifier: MIT */
/* after_get_caps: VDSM hands the hook its whole getCapabilities dict as a JSON file and reads the
 * file back; the hook adds the host's vfcap report under the key "vfcap"
 * (schema/vfcap-caps.schema.json). */
#pragma once

#include <stddef.h>

/* Largest caps document (and report) accepted. VDSM's caps are some hundred kilobytes. */
#define VF_CAPS_MAX_SIZE (64 * 1024 * 1024)
/* Deepest nesting of arrays and objects accepted in either document (json-c's default is 32). */
#define VF_CAPS_MAX_DEPTH 64

/* Return in *out (malloc'ed, NUL-terminated, *out_len bytes without the NUL; out_len may be
 * NULL) the caps_len bytes of caps with "vfcap": report_json added.
 *
 * caps must be one JSON object (RFC 8259 as json-c's strict mode reads it, UTF-8 checked, only
 * whitespace after it) without NUL bytes, at most VF_CAPS_MAX_SIZE bytes; report_json (a
 * NUL-terminated JSON object, lib/report.c's output) is checked the same way.
 *
 * Without a "vfcap" key the output is caps with `, "vfcap": REPORT` (no comma for an empty object)
 * inserted right after the last non-whitespace byte before the object's closing brace, so every
 * byte VDSM wrote stays as it was, layout and number spelling included; REPORT is report_json
 * without its leading and trailing whitespace. With a "vfcap" key already there (the hook ran on
 * this file before) its value is replaced and the whole object re-serialized compactly by json-c,
 * followed by a newline when caps ended with one.
 *
 * Errors are -EINVAL with one line in *errmsg (when errmsg is not NULL; the caller frees it), e.g.
 * "caps: JSON: byte 17: unexpected character" (byte offsets count from 0, as json-c's and
 * lib/report.c's do) or "caps: the top level is an array, not an object"; *out and *out_len are
 * then untouched. The inputs are never modified. */
int vf_caps_merge(const char *caps, size_t caps_len, const char *report_json, char **out, size_t *out_len,
		  char **errmsg);
