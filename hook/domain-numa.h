/* SPDX-License-Identifier: MIT */
/* The host NUMA nodes a domain is pinned to (issue 19), from its libvirt XML and the host's
 * topology: <numatune> memory/memnode nodesets, else <cputune> vcpupin cpusets mapped to nodes
 * through SYSFS/devices/system/node/nodeN/cpulist. */
#pragma once

#include <libxml/tree.h>
#include <stdbool.h>

/* Node and CPU numbers past these are refused as malformed (Linux: MAX_NUMNODES 1024 at most,
 * NR_CPUS 8192 at most). */
#define VF_NODES_MAX 1024
#define VF_CPUS_MAX 8192

struct vf_nodeset {
	bool pinned; /* false: the domain gives no placement (every node is fine) */
	bool node[VF_NODES_MAX];
};

/* Parse a libvirt cpuset/nodeset list ("0-3,^2,8"; '^' excludes) into set[0..max). -EINVAL
 * for anything else (empty, a number >= max, a reversed range). */
int vf_parse_bitmap(const char *s, bool *set, int max);

/* The domain's nodes (doc's root must be <domain>; anything else: not pinned). A vcpupin CPU
 * that no node lists is skipped. Returns 0, or -EINVAL/-errno with *errmsg one line ("domain
 * numatune nodeset '0-': not a list of numbers", "SYSFS/devices/system/node: ..."). */
int vf_domain_nodes(xmlDocPtr doc, const char *sysfs_root, struct vf_nodeset *ret, char **errmsg);

/* "0" or "0,1": the pinned nodes, for messages (caller frees). */
char *vf_nodeset_format(const struct vf_nodeset *s);
