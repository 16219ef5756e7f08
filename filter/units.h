/* SPDX-License-Identifier: MIT */
/* The scheduling units vfcap offers the engine (docs/interfaces.md, 'The engine's external
 * scheduler'; docs/design.md, 'The filter's part') and the decision behind them: a policy
 * (policy.h) and hosts' report entries (source.h) in, verdicts and scores out. No wire format
 * here: the XML-RPC methods (methods.h) and `vfcap-filter run` (run.c) both call it.
 *
 *   filter vfcap_vf_capacity  a host passes when its free VFs (on PFs with the label, when asked;
 *                             with link, unless require_link is no) cover the VM's demand
 *   score  vfcap_vf_headroom  per host, how many fewer VFs it would have left after placement
 *                             than the best host: 0 for the best, lower is better; sent
 *                             unweighted, named, so that the engine applies the policy's factor
 *                             (methods.c, run_cost_functions)
 *
 * NUMA (the policy's numa; docs/design.md, 'NUMA'): for a VM pinned to host NUMA nodes, the
 * local VFs are the free VFs of the PFs on those nodes, and of the PFs whose node is unknown
 * (-1: a host without NUMA, or one that did not say), which count as local as in Nova's legacy
 * PCI NUMA policy: a host that cannot tell is not held against. required: a host passes only
 * when its local VFs cover the demand. preferred: it passes on all its free VFs, and the score
 * ranks every host that can place each VF locally before every host that cannot (by headroom
 * within each group). ignore, or a VM without pins: as without NUMA. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "policy.h"
#include "source.h"

#define VF_FILTER_UNIT "vfcap_vf_capacity"
#define VF_SCORE_UNIT "vfcap_vf_headroom"

enum vf_decision { VF_PASS, VF_REJECT };

/* Why a host has no usable count, by kind: what the engine is told (vf_missing_text: no
 * server-side detail, the same words every time) and what keys its audit messages; the
 * verdict's reason holds the detail, for the service's log. */
enum vf_missing {
	VF_COUNTED,        /* not missing */
	VF_NO_REPORT,      /* the source's error: no report, unreadable, broken, fetch failed */
	VF_STALE,          /* older than max_report_age */
	VF_NO_FREE_COUNT,  /* free null, on the host or on a labeled PF */
};
const char *vf_missing_text(enum vf_missing m);

struct vf_verdict {
	enum vf_decision decision;
	bool missing;   /* no usable count: decided by on_missing */
	enum vf_missing kind;
	int free;       /* counted free VFs (without those of no_link); -1 when missing */
	int no_link;    /* free VFs left out for want of link (require_link); 0 when not */
	int left;       /* free - demand, when not missing */
	/* NUMA, when it was considered (a counted host, numa not ignore, the VM pinned): */
	uint64_t numa_nodes; /* the VM's host NUMA nodes on this host; 0: not considered */
	int local;           /* free VFs on PFs local to them (an unknown node counts) */
	int node_free[4];    /* free VFs on each of the first 4 of numa_nodes, for the reason */
	int unknown_free;    /* free VFs on PFs of unknown node (included in local) */
	char reason[192];
};

/* Judge one host for a VM that needs `demand` VFs (demand 0: every host passes) and runs on the
 * host NUMA nodes numa_nodes there (bit i: node i; 0: not pinned). The reason is written when the
 * host has no usable count (or none is needed, or no PF has the label); for a counted host it is
 * left empty and vf_verdict_reason() writes it when asked. */
void vf_judge(const struct vf_host_entry *c, const struct vf_policy *p, int demand, uint64_t numa_nodes, time_t now,
	      struct vf_verdict *v);
/* The verdict's reason, "5 free on physnet1, 2 needed" for a counted host, with NUMA
 * "6 free, 3 on NUMA node 0 (node 0: 2, unknown node: 1), 4 needed". */
const char *vf_verdict_reason(struct vf_verdict *v, const struct vf_policy *p, int demand);

/* The score of each judged host: (best host's VFs left) - (this host's VFs left), so 0 for the
 * best; hosts where NUMA was considered and the local VFs fall short after every host without
 * that shortfall; hosts without a usable report after all of them. */
void vf_headroom_scores(const struct vf_verdict *v, size_t n, int64_t *score);

/* Why runFilters passed or rejected a host, for /metrics: a fixed set, never the verdict's
 * text (its words name files and URLs, and would make a series per host). */
enum vf_host_reason {
	VF_REASON_ENOUGH_FREE,   /* counted: free >= demand */
	VF_REASON_TOO_FEW_FREE,  /* counted: free < demand (numa=required: local free < demand) */
	VF_REASON_NO_REPORT,     /* enum vf_missing's three, decided by on_missing */
	VF_REASON_STALE,
	VF_REASON_NO_FREE_COUNT,
	VF_REASON_NO_DEMAND,     /* the VM needs no VF: every host passes */
	VF_REASON_UNDECIDED,     /* the unit could not decide (bad properties): none filtered */
	VF_HOST_REASONS
};
const char *vf_host_reason_name(enum vf_host_reason r);
