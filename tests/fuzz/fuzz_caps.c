/* SPDX-License-Identifier: MIT */
/* libFuzzer: hook/caps.c's vf_caps_merge. The input is the caps document; when it holds a NUL,
 * the bytes after the first NUL are the report instead of a fixed one (both are fuzzed). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_report[] = "{\n  \"schema_version\": 1,\n  \"host\": \"node1\",\n  \"pfs\": []\n}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t caps_len = nul ? (size_t)(nul - data) : size;
	/* exact-size copies, so ASan sees a read past either end */
	char *caps = malloc(caps_len ? caps_len : 1);
	char *report = NULL;
	if (!caps)
		return 0;
	memcpy(caps, data, caps_len);
	if (nul) {
		size_t rlen = size - caps_len - 1;
		report = malloc(rlen + 1);
		if (!report) {
			free(caps);
			return 0;
		}
		memcpy(report, nul + 1, rlen);
		report[rlen] = '\0';
	}
	char *out = NULL, *err = NULL;
	size_t out_len = 0;
	if (vf_caps_merge(caps, caps_len, report ? report : fixed_report, &out, &out_len, &err) == 0)
		free(out);
	free(err);
	free(report);
	free(caps);
	return 0;
}
