/* SPDX-License-Identifier: MIT */
/* The links of one network namespace with their parent devices (IFLA_PARENT_DEV_NAME, Linux
 * 5.17+): which namespace holds a VF netdev that left the host's. */
#pragma once

#include <stddef.h>

struct vf_ns_link {
	char *ifname;
	char *parent;     /* "0000:03:10.0"; NULL when the kernel names none (virtual, < 5.17) */
	char *parent_bus; /* "pci", or NULL */
};

struct vf_ns_links {
	struct vf_ns_link *v;
	size_t n;
};

void vf_ns_links_clear(struct vf_ns_links *l);

/* The links of the namespace at path: a namespace file (/run/netns/NAME, /proc/PID/ns/net) is
 * entered by a short-lived thread (setns(2), CAP_SYS_ADMIN) whose rtnetlink socket dumps the
 * links there; a regular file is taken as recorded RTM_NEWLINK replies (fixtures, as
 * --netlink-file). -errno when it cannot be asked (EPERM as vdsm, ENOENT when it vanished). */
int vf_netns_links(const char *path, struct vf_ns_links *ret);

/* Parse a dump of RTM_NEWLINK messages (anything else is skipped; NLMSG_DONE ends it) into
 * ret. -EBADMSG on a message that does not fit. */
int vf_netns_parse_links(const void *buf, size_t len, struct vf_ns_links *ret);
