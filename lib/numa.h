/* SPDX-License-Identifier: MIT */
/* Usable and free VFs per NUMA node of a host, and per label within a node (issue 19): derived
 * from the PFs' numa_node and counts, for the report's `numa` block, the table and Prometheus. */
#pragma once

#include <json-c/json.h>
#include <stddef.h>

#include "model.h"

/* PFs whose numa_node is -1 (no NUMA, or the firmware did not say) are grouped under node -1. */
#define VF_NUMA_UNKNOWN (-1)

struct vf_numa_label {
	char *label; /* a physical_network or fabric value: a PF counts under each of its labels */
	int pfs, usable, free; /* usable/free UNKNOWN when one PF's is */
};

struct vf_numa_node {
	int node;
	int pfs, usable, free;
	struct vf_numa_label *labels; /* sorted by name */
	size_t n_labels;
};

struct vf_numa {
	struct vf_numa_node *nodes; /* ascending, node -1 last */
	size_t n;
};

void vf_numa_count(const struct vf_host *h, struct vf_numa *ret);
void vf_numa_clear(struct vf_numa *n);
#define _cleanup_numa_ _cleanup_(vf_numa_clear)

/* The report's `numa` array (schema/vfcap-report.schema.json): one object per node,
 * {"node", "pfs", "usable", "free", "labels": [{"label", "pfs", "usable", "free"}]}, unknown
 * counts null. Caller owns. */
json_object *vf_numa_to_json(const struct vf_host *h);
