/* SPDX-License-Identifier: MIT */
/* serve's snapshots: what one gather made (the JSON report, its ETag, the Prometheus text, the
 * problems), immutable and reference-counted, so that a request keeps the one it took while a
 * gather replaces it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "model.h"

struct snapshot {
	int refs;
	char *json; /* NULL: no report (sysfs unreadable since the start) */
	size_t json_len;
	char etag[2 + 32 + 1];
	char *prom;
	time_t generated_at;
	char *problem; /* NULL: the gather had no error; else one "source: message\n" line each */
};

struct snapshot *snapshot_ref(struct snapshot *s);
void snapshot_unref(struct snapshot *s);

/* The snapshot of a gathered host. */
struct snapshot *snapshot_of(const struct vf_host *h);
/* Nothing could be read (problem, taken): the previous report, if any, stays served with its
 * age and ETag, and the problem says why it is not new. */
struct snapshot *snapshot_failed(const struct snapshot *prev, char *problem);

/* Would h's snapshot serve what prev serves, but for the report time? Then publishing it would
 * change nothing but generated_at (and with it the ETag): a change that is none. h's
 * generated_at is borrowed for the comparison and put back. */
bool snapshot_same(const struct snapshot *prev, struct vf_host *h);
