/* SPDX-License-Identifier: MIT */
/* libFuzzer: lib/report.c's vf_report_parse (the report JSON the filter reads back); a report
 * that parses is written out again (vf_report_format_json) to exercise the round trip. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "model.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vf_host *h = NULL;
	char *err = NULL;
	if (vf_report_parse((const char *)data, size, &h, &err) == 0) {
		free(vf_report_format_json(h, false));
		vf_host_free(h);
	}
	free(err);
	return 0;
}
