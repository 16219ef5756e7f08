/* SPDX-License-Identifier: MIT */
/* Placing a pinned VM's pool vNICs on NUMA-local VFs (issue 19; docs/design.md, 'NUMA-local
 * pool vNICs'). libvirt gives a pool vNIC the first pool member without a connection, in the
 * pool's order, and a domain cannot ask for a given member: so the order is the placement. The
 * hook puts the VM's local VFs first in the plan (applied when the pool is idle), then checks
 * which members libvirt will really hand out. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "domain-numa.h"
#include "pool.h"

/* Stable partition of the plan: members on a node of s first, then those with no node (-1,
 * local to every node as the filter counts them), then the rest; the round robin over fabrics
 * and PFs stays within each part. */
void vf_numa_order_plan(const struct vf_host *h, bool hostdev, const struct vf_nodeset *s, struct vf_pool_plan *p);

/* How many of the n members libvirt hands out next (the live pool's free planned members, in
 * order, after the first `pending` that starting vNICs already reserved) are off s's nodes.
 * *line (caller frees): when all are local, "pinned to NUMA node 0: pool P hands out ens1f0v2
 * (node 0)"; else "pinned to NUMA node 1; pool P has free VFs on node 1: 0, node 0: 6, no
 * node: 0; 1 of the 1 VF libvirt hands out next (ens1f0v2 (node 0)) is off those nodes". */
size_t vf_numa_check(const struct vf_host *h, const struct vf_pool_state *st, const struct vf_pool_plan *p,
		     bool hostdev, size_t pending, size_t n, const struct vf_nodeset *s, const char *pool,
		     char **line);
