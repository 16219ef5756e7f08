/* SPDX-License-Identifier: MIT */
/* libFuzzer: lib/report.c's vf_report_parse (the report JSON the filter reads back); a report
 * that parses is written out again (vf_report_format_json) to exercise the round trip, and is
 * judged as the filter judges a host (filter/host-entry.c's report entry, then filter/units.c's
 * verdict, reason and score) for a VM needing 1 VF, with the default policy and with a network
 * label and an age limit. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz-common.h"
#include "model.h"
#include "report.h"
#include "source.h"
#include "units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void judge(const struct vf_host *h)
{
	struct vf_host_entry *c = vf_entry_from_host(h, "fuzz-host");
	struct vf_policy p[2];
	struct vf_verdict v[2];
	int64_t score[2];
	vf_policy_default(&p[0]);
	vf_policy_default(&p[1]);
	if (vf_policy_set(&p[1], "label", "physnet1", NULL) < 0 ||
	    vf_policy_set(&p[1], "max_report_age", "60", NULL) < 0 ||
	    vf_policy_set(&p[1], "require_link", "no", NULL) < 0)
		abort();
	for (int i = 0; i < 2; i++) {
		vf_judge(c, &p[i], 1, 0, FUZZ_FIXTURE_NOW, &v[i]);
		(void)vf_verdict_reason(&v[i], &p[i], 1);
	}
	vf_headroom_scores(v, 2, score);
	vf_entry_unref(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vf_host *h = NULL;
	char *err = NULL;
	if (vf_report_parse((const char *)data, size, &h, &err) == 0) {
		free(vf_report_format_json(h, false));
		judge(h);
		vf_host_free(h);
	}
	free(err);
	return 0;
}
