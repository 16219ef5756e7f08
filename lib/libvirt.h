/* SPDX-License-Identifier: MIT */
/* What libvirt holds: running domains' VFs (hostdev PCI addresses, direct source devs) and
 * pool networks (<forward mode='passthrough'|'hostdev'>) with their per-interface connections.
 * Read-only connection; XML walked with libxml2/XPath. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* libvirt_uri's default: the system daemon, for the reporter, the hook and its watchdog alike. */
#define VF_LIBVIRT_DEFAULT_URI "qemu:///system"

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
	bool sorted; /* by kind, key, owner: lookups bisect (set by vf_usage_sort) */
};

void vf_usage_clear(struct vf_usage *u);
/* Append from's uses to to (unsorted then), leaving from empty. */
void vf_usage_move(struct vf_usage *to, struct vf_usage *from);
/* Sort for fast lookups: capacity asks up to four questions per VF, and a host of 4096 VFs with
 * 500 domains made the linear scan millions of string compares. vf_libvirt_read() sorts. */
void vf_usage_sort(struct vf_usage *u);
/* The use of key of that kind (with several, the one of the smallest owner when sorted, the
 * first added otherwise), or NULL. */
const struct vf_use *vf_usage_find(const struct vf_usage *u, enum vf_use_kind kind, const char *key);
/* Does anyone but owner hold key (of that kind)? The hook's pool must not list a VF that
 * another pool network lists, connected or not. */
bool vf_usage_held_by_other(const struct vf_usage *u, enum vf_use_kind kind, const char *key, const char *owner);

/* Connect read-only to uri (NULL = VF_LIBVIRT_DEFAULT_URI), read every running domain's live XML and
 * every active network's XML, and append what they hold to u. A domain or network that goes
 * away meanwhile is skipped. On failure returns negative errno (the system error libvirt hit,
 * e.g. -ENOENT for a missing daemon socket, else -EIO; -EINVAL for XML it cannot use), leaves
 * u as it was and sets *errmsg (when not NULL; caller frees) to one line naming the URI (and
 * domain/network) with libvirt's own message:
 *   "libvirt qemu:///system: Failed to connect socket to '…': No such file or directory".
 * Never prints: it replaces libvirt's default error printer with a no-op (virSetErrorFunc, for
 * the whole process) and mutes libxml2's generic error output while it runs. */
int vf_libvirt_read(const char *uri, struct vf_usage *u, char **errmsg);

/* The same with a deadline: a daemon that does not answer within timeout seconds (hung, or
 * stopped) fails the read with -ETIMEDOUT and "libvirt URI: no answer within N s
 * (libvirt_timeout): ...". libvirt calls cannot be cancelled, so that read goes on in its own
 * thread until libvirt returns (then it frees what it read); meanwhile every call fails at once
 * ("a read started N s ago has not returned") rather than start another thread. */
int vf_libvirt_read_within(const char *uri, int timeout, struct vf_usage *u, char **errmsg);

/* Replace libvirt's default error printer (stderr) with a no-op, for the whole process: callers
 * turn virGetLastErrorMessage() into their own one-line messages. */
void vf_libvirt_quiet(void);

/* The parsers behind it, over XML text (testable without a connection). They append to u in
 * document order and leave it unsorted: a pool network's order is the order in which libvirt
 * hands out its VFs (the first free one wins), and vf_libvirt_read() sorts once, after the last
 * domain and network rather than after each. On failure (-EINVAL) u is unchanged and *errmsg says
 * what, with the XML line. Read by lib/xml.c's reader with an inert DOCTYPE: entities are never
 * expanded and nothing external is loaded ("&x;" in a value stays "&x;"), depth is bounded.
 * Domain: <interface type='hostdev'> and <hostdev mode='subsystem' type='pci'> PCI source
 * addresses, <interface type='direct'> source devs. Network: only forward mode 'passthrough'
 * (interface devs) and 'hostdev' (PCI addresses), with connections='N' (0 when absent). */
int vf_libvirt_parse_domain(const char *xml, struct vf_usage *u, char **errmsg);
int vf_libvirt_parse_network(const char *xml, struct vf_usage *u, char **errmsg);

/* "0000:03:10.1" from libvirt's <address domain='0x0000' bus='0x03' slot='0x10' function='0x1'/>.
 * Numbers are read as libvirt does (strtoul base 0: hex, decimal, octal); domain may be NULL (0).
 * Out of range (domain > 0xffffffff, bus > 0xff, slot > 0x1f, function > 7), missing or
 * malformed parts are -EINVAL. *ret is the kernel's PCI name (caller frees). */
int vf_pci_address_format(const char *domain, const char *bus, const char *slot, const char *function,
			  char **ret);
