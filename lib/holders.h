/* SPDX-License-Identifier: MIT */
/* Who holds a VF outside libvirt: the process with its VFIO group or device open, the network
 * namespace its netdev was moved to. proc_root stands for /proc, netns_root for /run/netns. */
#pragma once

#include "libvirt.h"
#include "model.h"

/* The most distinct network namespaces examined per gather (named ones first, then those of
 * processes, each once): the cost bound on a host with thousands of containers. */
#define VF_NETNS_MAX 256

/* Which process held which VF at the last gather (a long-running caller's: serve). */
struct vf_holder_hint {
	char *pci_address;
	int pid;
};
struct vf_holder_hints {
	struct vf_holder_hint *v;
	size_t n;
};
void vf_holder_hints_clear(struct vf_holder_hints *hints);

/* Set vf->holder ("vfio pid N (comm)", "netns NAME", "netns of pid N") on the VFs that need a
 * name: vfio-pci VFs with enable >= 1 and VFs whose netdev left the host's namespace, unless
 * libvirt (u, when it could be read) holds them. /proc is read once, and only when some VF
 * needs it; what cannot be read (EACCES as vdsm, a process or namespace gone mid-scan) is
 * skipped, and the VF's holder stays unnamed (capacity.c says so in its owner).
 *
 * hints (NULL: none): the processes that held the VFs last time are asked first, with the same
 * evidence as the pass (the VFIO file among their fds, the VF's netdev in their namespace), and
 * the pass runs only for what they no longer hold; hints is then replaced by this gather's. A
 * VF two processes hold may so keep the name of the one found before. */
void vf_holders_name(struct vf_host *h, const struct vf_usage *u, const char *proc_root,
		     const char *netns_root, struct vf_holder_hints *hints);
