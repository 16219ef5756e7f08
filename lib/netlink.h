/* SPDX-License-Identifier: MIT */
/* Per-PF VF facts from rtnetlink, the way libvirt asks for them: RTM_GETLINK with
 * IFLA_EXT_MASK = RTEXT_FILTER_VF (stats included). The reply's IFLA_VFINFO_LIST length is a
 * u16 that the kernel lets wrap past 65535 bytes; the parser detects the wrap, counts the VF
 * entries that are still decodable and never reads past the wrapped nest. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* One PF's parsed RTM_NEWLINK. */
struct vf_nl_link {
	char *ifname;
	int ifindex;
	struct vf_netlink nl;
	struct vf_vf *vfs; /* the listed VFs, by position; vfs[i].index = the VF number */
	size_t n_vfs;
};

void vf_nl_link_clear(struct vf_nl_link *l);

/* Parse one RTM_NEWLINK message (nlmsghdr included, len = what was received). Returns 0, or
 * -EBADMSG with *errmsg saying what is malformed and at which offset. */
int vf_nl_parse_link(const void *msg, size_t len, struct vf_nl_link *out, char **errmsg);

/* Ifindexes that have configured addresses, from RTM_NEWADDR messages (IPv6 link-local ignored). */
struct vf_nl_addrs {
	int *ifindexes;
	size_t n;
};
void vf_nl_addrs_clear(struct vf_nl_addrs *a);

/* Fill the netlink facts of every PF of h, from the kernel (file == NULL) or from a file of
 * recorded messages (RTM_NEWLINK, optionally RTM_NEWADDR). With record != NULL, a live read
 * also writes every datagram it received to that file (temp + rename), replayable as `file`.
 * Problems become host errors (source netlink); returns -errno only when no netlink data could
 * be had at all. */
int vf_netlink_read(struct vf_host *h, const char *file, const char *record);

/* The smallest number of VFs whose list no longer fits a u16 nest length is limit + 1. */
static inline uint32_t vf_nl_limit(uint32_t bytes_per_vf)
{
	return bytes_per_vf ? 65531u / bytes_per_vf : 0;
}
