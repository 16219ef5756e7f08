/* SPDX-License-Identifier: MIT */
/* The VF pool: a libvirt network that hands VFs to vNICs (first free interface wins).
 *
 *   passthrough (default): <forward mode='passthrough'> listing VF netdevs; macvtap in
 *                          passthrough mode, live-migratable.
 *   hostdev:               <forward mode='hostdev' managed='yes'> listing VF PCI addresses.
 *
 * The pool holds exactly the VFs the core judges usable (reachable over netlink, not reserved by
 * the config, not held by the host, a domain or another pool), in an order that spreads
 * libvirt's first-free choice over fabrics and PFs. A pool without connections may be
 * redefined and restarted; a pool with connections never has its live definition changed
 * (libvirt 9.0 then forgets every connection count and hands an in-use VF to the next vNIC:
 * docs/interfaces.md, 'Pool networks'): only its persistent definition is updated, and the
 * drift reported. */
#pragma once

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>

#include "libvirt.h"
#include "model.h"

struct vf_pool_plan {
	char **keys; /* netdevs (passthrough) or PCI addresses (hostdev), in pool order */
	size_t n;
};

/* The members the pool should have, from a judged host and what libvirt holds. With
 * require_link, a free VF a VM would get with a dead link (its PF's link down, or its own
 * link_state disable: what the PF's no_link counts) is left out. */
void vf_pool_plan(const struct vf_host *h, const struct vf_usage *u, const char *pool, bool hostdev,
		  bool require_link, struct vf_pool_plan *out);
void vf_pool_plan_clear(struct vf_pool_plan *p);
/* The network XML for the plan (caller frees); uuid keeps an existing network's identity
 * (libvirt refuses a redefinition under another UUID), NULL lets libvirt pick one. */
char *vf_pool_xml(const char *pool, const char *uuid, bool hostdev, const struct vf_pool_plan *p);

/* What libvirt has now. */
struct vf_pool_state {
	bool exists, active, autostart;
	char uuid[VIR_UUID_STRING_BUFLEN];
	struct vf_usage live;       /* members of the running definition, in its order, with connections */
	struct vf_usage persistent; /* members of the persistent definition, in its order */
	char **port_macs;           /* MACs of the network's ports (allocated vNICs) */
	size_t n_ports;
	int connections;            /* sum over live members */
};

int vf_pool_read(virConnectPtr c, const char *pool, struct vf_pool_state *st, char **errmsg);
void vf_pool_state_clear(struct vf_pool_state *st);

/* Make libvirt's pool match the plan as far as it is safe: define, autostart, start; redefine
 * and restart only when idle (no connection, no port, no pending reservation). Sets *drift
 * (caller frees) to one line when the live pool keeps a definition that differs from the plan.
 * Re-reads st when it changed anything. */
int vf_pool_apply(virConnectPtr c, const char *pool, bool hostdev, const struct vf_pool_plan *p, size_t pending,
		  struct vf_pool_state *st, char **drift, char **errmsg);

/* Members of the live pool that are in the plan and have no connection: what libvirt would hand
 * out next and the core still calls usable. */
int vf_pool_free_members(const struct vf_pool_state *st, const struct vf_pool_plan *p, bool hostdev, int *usable);
