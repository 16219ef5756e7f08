/* SPDX-License-Identifier: MIT */
/* What libvirt holds: running domains' VFs (hostdev PCI addresses, direct source devs) and
 * pool networks (<forward mode='passthrough'|'hostdev'>) with their per-interface connections.
 * Read-only connection; XML walked with libxml2/XPath. */
#pragma once

#include <stddef.h>

enum vf_use_kind {
	VF_USE_DOMAIN_PCI,    /* key = PCI address "0000:03:10.1", owner = domain */
	VF_USE_DOMAIN_NETDEV, /* key = netdev (interface type='direct' source dev), owner = domain */
	VF_USE_POOL_NETDEV,   /* key = netdev listed in a passthrough pool, owner = network */
	VF_USE_POOL_PCI,      /* key = PCI address listed in a hostdev pool, owner = network */
};

struct vf_use {
	enum vf_use_kind kind;
	char *key;
	char *owner;
	int connections; /* pool entries: libvirt's connection count (0 when absent) */
};

struct vf_usage {
	struct vf_use *uses;
	size_t n_uses;
};

void vf_usage_clear(struct vf_usage *u);
const struct vf_use *vf_usage_find(const struct vf_usage *u, enum vf_use_kind kind, const char *key);

/* Connect read-only to uri (NULL = qemu:///system), read every running domain's live XML and
 * every network's XML. On failure returns negative errno and *errmsg = one line naming the URI
 * (and domain/network) and libvirt's own message. */
int vf_libvirt_read(const char *uri, struct vf_usage *u, char **errmsg);

/* The parsers behind it, over XML text (testable without a connection). */
int vf_libvirt_parse_domain(const char *xml, struct vf_usage *u, char **errmsg);
int vf_libvirt_parse_network(const char *xml, struct vf_usage *u, char **errmsg);

/* "0000:03:10.1" from libvirt's <address domain='0x0000' bus='0x03' slot='0x10' function='0x1'/>. */
int vf_pci_address_format(const char *domain, const char *bus, const char *slot, const char *function,
			  char **ret);
