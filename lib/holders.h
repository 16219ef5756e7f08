/* SPDX-License-Identifier: MIT */
/* Who holds a VF outside libvirt: the process with its VFIO group or device open, the network
 * namespace its netdev was moved to. proc_root stands for /proc, netns_root for /run/netns. */
#pragma once

#include "libvirt.h"
#include "model.h"

/* The most distinct network namespaces examined per gather (named ones first, then those of
 * processes, each once): the cost bound on a host with thousands of containers. */
#define VF_NETNS_MAX 256

/* Set vf->holder ("vfio pid N (comm)", "netns NAME", "netns of pid N") on the VFs that need a
 * name: vfio-pci VFs with enable >= 1 and VFs whose netdev left the host's namespace, unless
 * libvirt (u, when it could be read) holds them. /proc is read once, and only when some VF
 * needs it; what cannot be read (EACCES as vdsm, a process or namespace gone mid-scan) is
 * skipped, and the VF's holder stays unnamed (capacity.c says so in its owner). */
void vf_holders_name(struct vf_host *h, const struct vf_usage *u, const char *proc_root,
		     const char *netns_root);
