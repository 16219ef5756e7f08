/* SPDX-License-Identifier: MIT */
/* The VDSM custom properties the vfcap hook reads from its environment:
 *
 *   vmfex=Profile1                        device level: a Cisco VM-FEX port profile
 *   vmfex={'00:1a:4a:16:01:b0': 'P1'}     VM level: a Python-literal dict MAC -> port profile
 *   extnet=NETWORK  or  NETWORK:PORTGROUP a libvirt network, optionally one of its portgroups
 *
 * Everything is checked, nothing is eval'ed: the dict has a grammar of its own here (below).
 * Errors are -EINVAL with one line in *errmsg (when errmsg is not NULL; the caller frees it),
 * naming the property and, for the dict, the 1-based byte column in the value, e.g.
 *   vmfex: column 2: '00:11:22:33:44:55:66' is not a MAC address (six hex pairs like 00:1a:4a:16:01:b0)
 * Text quoted from the value in a message is cut after 40 bytes, and any byte that is not
 * printable ASCII is shown as \xNN, so a message is always one printable line.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* "aa:bb:cc:dd:ee:ff" and its NUL */
#define VF_MAC_STRLEN 18
/* Longest vmfex value read (the dict of a VM with many NICs stays far below). */
#define VF_VMFEX_MAX_LEN 65536
/* Longest extnet network and portgroup name, in bytes. libvirt sets no limit of its own; the
 * bridges and files named after a network are better served by short names, and a longer value
 * is far more likely a pasted mistake than a real name. */
#define VF_EXTNET_NAME_MAX 64

/* A port profile name as the VM-FEX hook always required: ^[a-zA-Z0-9_.-]{2,32}$ (ASCII only).
 * NULL is not valid. */
bool vf_profile_valid(const char *s);

/* Exactly six groups of two hex digits separated by ':' (either case; nothing around them) into
 * out as lower case "aa:bb:cc:dd:ee:ff". -EINVAL, out untouched, for anything else (and NULL). */
int vf_mac_normalize(const char *in, char out[VF_MAC_STRLEN]);

struct vf_vmfex_entry {
	char mac[VF_MAC_STRLEN]; /* normalized: lower case */
	char *profile;		 /* valid per vf_profile_valid() */
};

struct vf_vmfex_map {
	struct vf_vmfex_entry *entries; /* in the order of the dict, each MAC once */
	size_t n;
};

/* True when the first byte that is not a space, tab, CR or LF is '{': the VM-level form of
 * vmfex. A device-level profile can never start with '{', so this decides the form. */
bool vf_vmfex_is_dict(const char *value);

/* Parse the VM-level vmfex dict, the repr() of a Python dict of str:
 *
 *   dict   = '{' [entry (',' entry)* [',']] '}'      with space, tab, CR, LF allowed between tokens
 *   entry  = string ':' string                       key a MAC, value a valid profile
 *   string = ['u'|'U'] ( "'" ... "'" | '"' ... '"' ) with the escapes \\ \' \" only
 *
 * '{}' is a valid, empty map. The same MAC twice (in any case) is accepted when both profiles are
 * equal and is an error otherwise. The value may be at most VF_VMFEX_MAX_LEN bytes, and nothing
 * but whitespace may follow the '}'. On success *out (whose previous contents are not freed)
 * holds the map; on error *out is untouched and nothing is allocated. */
int vf_vmfex_dict_parse(const char *s, struct vf_vmfex_map *out, char **errmsg);

/* The profile of mac (any case) in m; NULL when m is NULL, mac is not a valid MAC or absent. */
const char *vf_vmfex_map_find(const struct vf_vmfex_map *m, const char *mac);

/* Free the entries and leave m empty (reusable). NULL is a no-op. */
void vf_vmfex_map_clear(struct vf_vmfex_map *m);

static inline void vf_vmfex_map_clearp(struct vf_vmfex_map *m)
{
	vf_vmfex_map_clear(m);
}
#define _cleanup_vmfex_map_ _cleanup_(vf_vmfex_map_clearp)

/* Parse extnet=NETWORK[:PORTGROUP]. The network must be non-empty, contain no '/' (libvirt
 * refuses it in a network name) and no ':' (it separates the portgroup); the portgroup, when a
 * ':' is there, must be non-empty. Neither may hold a control character (bytes below 0x20 and
 * 0x7f), start or end with a space or tab (a pasted blank would silently name another network),
 * or be longer than VF_EXTNET_NAME_MAX bytes. On success *network and *portgroup (NULL when there
 * is no ':') are set, both malloc'ed; on error -EINVAL and both are untouched. */
int vf_extnet_parse(const char *s, char **network, char **portgroup, char **errmsg);
