/* SPDX-License-Identifier: MIT */
/* The hook's capacity step, all under the pool lock: read the host (sysfs, netlink, libvirt)
 * with the core, keep the pool network right, check that the pool can give every vNIC of the
 * request a VF, and reserve them in the ledger. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "domain-numa.h"

struct vf_take {
	const char *vm;       /* VDSM's vmId (or the domain UUID) */
	char *const *macs;    /* the vNICs asking, lower-case MACs ("-" when a vNIC has none) */
	size_t n;             /* 0: only keep the pool right (migration destination) */
	const char *what;     /* for the fail-fast line: "vmfex profile 'P'" */
	const char *point;    /* the hook point, for the line of a libvirt that does not answer */
	const struct vf_nodeset *nodes; /* the VM's NUMA nodes (hook/domain-numa.h); NULL: not pinned */
};

/* Returns 0 (reserved), -ENOSPC when the pool cannot serve the request (*errmsg is the one line
 * for VDSM: profile, usable/used counts, the usable VFs a pool in use does not list yet and, when
 * netlink is the reason, the limit), or another -errno when a source or libvirt failed (*errmsg
 * says which). On success *notice, when set, is a line worth logging (pool drift, skipped ledger
 * lines); on failure it is NULL: the caller's one line is the reason. */
int vf_take(const struct vf_config *cfg, const struct vf_take *req, char **notice, char **errmsg);

/* End reservations: the VM's (mac == NULL) or one vNIC's. */
int vf_release(const struct vf_config *cfg, const char *vm, const char *mac, char **errmsg);
