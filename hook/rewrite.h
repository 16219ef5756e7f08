/* SPDX-License-Identifier: MIT */
/* The hook's XML work: read a VDSM payload (a whole libvirt domain, or one device), find its
 * <interface> elements, rewrite one onto the VF pool (vmfex) or onto a libvirt network (extnet),
 * and write the document back without disturbing anything else in it.
 *
 * Elements are matched by local name in no namespace, as libvirt writes them; elements in other
 * namespaces (oVirt's <metadata> content) are never looked at. */
#pragma once

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>

/* Parse a payload of len bytes. where names it in messages (its file path; NULL: "payload").
 * Read by lib/xml.c's reader of outside XML, its defaults: nothing is fetched or expanded: no
 * network, no external DTD or entity, no XInclude; a DOCTYPE of any kind is refused as soon as
 * the parser reaches it (VDSM never sends one), so entity tricks never get a chance; more than
 * VF_XML_MAX_DEPTH (128) elements open at once is refused. libxml2 prints nothing: its generic
 * and structured error handlers are muted for the call and put back afterwards.
 * Returns 0 and *ret (free with xmlFreeDoc), or -EINVAL with *errmsg set to one line:
 *   "WHERE: empty payload", "WHERE: line N: NUL byte in payload",
 *   "WHERE: line N: DOCTYPE not allowed (VDSM never sends one)",
 *   "WHERE: line N: Excessive depth in document: elements nested deeper than 128",
 *   "WHERE: line N: <libxml2's first fatal error, its lines joined by a space>";
 * -EFBIG past INT_MAX bytes, -ENOMEM. */
int vf_payload_parse(const char *buf, size_t len, const char *where, xmlDocPtr *ret, char **errmsg);

/* Write doc as UTF-8: an XML declaration naming UTF-8, then the tree as it is, no indentation
 * added or removed (the whitespace text read stays), non-ASCII characters as UTF-8 bytes (never
 * character references), comments, processing instructions and CDATA sections kept.
 * libxml2 writes attributes with double quotes and childless elements as <x/>.
 * *out is malloc'ed and NUL-terminated; *len (when len is not NULL) excludes the NUL.
 * Returns 0 or -ENOMEM / -EIO. */
int vf_payload_serialize(xmlDocPtr doc, char **out, size_t *len);

/* Is the root element <domain>? (A device payload's root is the device itself.) */
bool vf_payload_is_domain(xmlDocPtr doc);

/* The interfaces a rewrite may apply to, in document order: the root element when it is
 * <interface> (a device payload), else every <interface> child of a <devices> child of the
 * <domain> root (all <devices> elements, as libvirt's ./devices/interface), else none (a <disk>
 * device payload, any other root). Returns the count; *out is malloc'ed (NULL when 0) and only
 * points into doc. */
size_t vf_payload_interfaces(xmlDocPtr doc, xmlNodePtr **out);

/* The address of the interface's first <mac>, as "aa:bb:cc:dd:ee:ff" (lower case, two digits
 * per byte). Read like libvirt's virMacAddrParse: six groups of one or two hex digits separated
 * by ':', trailing whitespace allowed. NULL when absent or not such an address (malloc'ed). */
char *vf_iface_mac(xmlNodePtr iface);

/* vmfex: put the interface on the VF pool network with an 802.1Qbh port profile.
 *   <interface type='network'>          other attributes of <interface> kept
 *     <source network='POOL'/>          the first <source>, rewritten in place: every other
 *                                       attribute and any content removed; further <source>
 *                                       elements removed; created after <mac> when missing
 *     <virtualport type='802.1Qbh'>     replaces the first <virtualport> in place (further ones
 *       <parameters profileid='PROFILE'/>  removed); created after <source> when missing
 *     </virtualport>
 * Every <filterref> is removed: libvirt refuses a filter on a direct (macvtap) interface.
 * Everything else (mac, model, driver, address, boot, link, mtu, bandwidth, alias, vlan, target,
 * rom, tune, coalesce, comments...) stays untouched and in place. A created element gets the
 * indentation of its neighbour; a removed element takes its indentation with it.
 * Idempotent: returns 1 when something changed, 0 when the interface was already in this form
 * (vf_iface_is_vmfex), -EINVAL (nothing touched) when iface is not an <interface> element or
 * pool/profile is empty, not shortest-form UTF-8, or holds a control character or a character
 * XML 1.0 does not allow. */
int vf_iface_set_vmfex(xmlNodePtr iface, const char *pool, const char *profile);

/* extnet: put the interface on a libvirt network, optionally one of its portgroups:
 * type='network', <source network='NETWORK' portgroup='PORTGROUP'/> (no portgroup when
 * portgroup is NULL) with the same <source> rules as vmfex. Nothing else is touched: a
 * <filterref> stays (libvirt allows filters on bridge-backed networks), a <virtualport> stays
 * (an Open vSwitch network uses it). Returns 1 changed, 0 already so, -EINVAL as vmfex. */
int vf_iface_set_extnet(xmlNodePtr iface, const char *network, const char *portgroup);

/* Is the interface on that network: its first <source> has network=NETWORK, whatever the
 * interface's type and the other attributes of <source>? The migration destination's test for
 * the incoming VM's pool vNICs: VDSM sends the source host's live XML, where libvirt may show
 * the actual type (direct, hostdev) and add dev, mode and portid to <source>. */
bool vf_iface_on_network(xmlNodePtr iface, const char *network);

/* Is the interface exactly as vf_iface_set_vmfex(iface, pool, profile) leaves it (type network,
 * one <source> with only network=POOL, no <filterref>, one <virtualport> of type 802.1Qbh with
 * only <parameters profileid=PROFILE/>)? True exactly when set_vmfex would change nothing;
 * whitespace inside <virtualport> does not matter. */
bool vf_iface_is_vmfex(xmlNodePtr iface, const char *pool, const char *profile);
