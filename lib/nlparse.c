/* SPDX-License-Identifier: MIT */
/* Parse one RTM_NEWLINK the way the kernel builds it, wrapped VF list included.
 *
 * The kernel closes a nest by storing its length in the u16 nla_len and does not check for
 * overflow, so a VF list longer than 65535 bytes arrives with length (true length mod 65536).
 * A naive walker then stops inside the list and resumes parsing top-level attributes in the
 * middle of some VF's data. We find the true end of the list instead (see resolve_vfinfo()),
 * count the entries that the wrapped length still covers (what libvirt can decode), and hand
 * libnl a rebuilt message that holds exactly those entries, so libnl never reads garbage. */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/link/sriov.h>
#include <string.h>

#include "netlink.h"
#include "util.h"

#define NEST_MAX 65535u
/* Largest IFLA_VF_PORT entry enic emits (VF, REQUEST, RESPONSE, PROFILE[40], two UUIDs): the
 * per-VF cost of a port list when no entry is present to measure. */
#define PORT_ENTRY_MAX 112u

struct span {
	size_t off;      /* of the attribute header, from the message start */
	size_t true_len; /* nla_len as the kernel meant it */
	size_t wire_len; /* nla_len as stored (u16, maybe wrapped) */
};

struct walk {
	const uint8_t *msg;
	size_t end; /* nlmsg_len */
	size_t attrs; /* offset of the first IFLA_* attribute */
	uint32_t num_vf;
	bool have_num_vf;
	struct span vfinfo, ports;
	bool have_vfinfo, have_ports;
	uint32_t vfinfo_listed; /* entries the stored length covers */
	size_t vfinfo_entry;    /* the first one's aligned size, 0 when none */
};

static const struct nlattr *attr_at(const struct walk *w, size_t off)
{
	return (const struct nlattr *)(w->msg + off);
}

/* Does a well-formed chain of attributes run from off exactly to the end of the message? */
static bool chain_valid(const struct walk *w, size_t off)
{
	while (off < w->end) {
		if (w->end - off < NLA_HDRLEN)
			return false;
		const struct nlattr *a = attr_at(w, off);
		uint16_t type = a->nla_type & NLA_TYPE_MASK;
		if (a->nla_len < NLA_HDRLEN || a->nla_len > w->end - off || type == 0 || type > 255)
			return false;
		off += NLA_ALIGN(a->nla_len);
	}
	return off == w->end || off == NLA_ALIGN(w->end);
}

/* Entries of a nest that lie wholly inside its stored (maybe wrapped) length: what a parser
 * that trusts nla_len can decode. Returns their count; *first = the first one's aligned size. */
static uint32_t count_entries(const struct walk *w, const struct span *s, size_t *first)
{
	const struct nlattr *pos;
	int rem;
	uint32_t n = 0;
	*first = 0;
	nla_for_each_nested(pos, (struct nlattr *)attr_at(w, s->off), rem) {
		if (n == 0)
			*first = NLA_ALIGN(pos->nla_len);
		n++;
	}
	return n;
}

/* Search for k >= 1 with true length = wire + k*65536 such that the attributes after the nest
 * form a valid chain to the message end and, when per_vf, the list splits into num_vf equal
 * entries. */
static int search_wrap(const struct walk *w, const struct span *s, bool per_vf, size_t *true_len)
{
	for (size_t len = s->wire_len + NEST_MAX + 1; len <= w->end - s->off; len += NEST_MAX + 1) {
		if (per_vf && (len - NLA_HDRLEN) % w->num_vf != 0)
			continue;
		if (chain_valid(w, s->off + NLA_ALIGN(len))) {
			*true_len = len;
			return 0;
		}
	}
	return -EBADMSG;
}

/* The kernel lists every VF (rtnl_fill_vf() fails the whole message otherwise) and all entries
 * of one PF have the same size, so an intact list is 4 + num_vf * entry bytes. A chain check
 * alone is not enough: 4 bytes past a wrapped length of 180 (222 VFs) sit exactly on an
 * IFLA_VF_VLAN_INFO header, and from there VF data walks like a valid attribute chain. */
static int resolve_vfinfo(struct walk *w, struct span *s)
{
	size_t first;
	uint32_t n = count_entries(w, s, &first);
	w->vfinfo_listed = n;
	w->vfinfo_entry = first;
	s->true_len = s->wire_len;
	if (!w->have_num_vf || w->num_vf <= n)
		return chain_valid(w, s->off + NLA_ALIGN(s->wire_len)) ? 0 : -EBADMSG;
	if (n > 0) {
		size_t len = NLA_HDRLEN + (size_t)w->num_vf * first;
		if (len % (NEST_MAX + 1) == s->wire_len && len <= w->end - s->off &&
		    chain_valid(w, s->off + NLA_ALIGN(len))) {
			s->true_len = len;
			return 0;
		}
	} else if (search_wrap(w, s, true, &s->true_len) == 0)
		return 0;
	/* Fewer entries than VFs, yet no wrap explains it: a short list (not kernel-made, but
	 * walkable); reported as truncated by listed < num_vf. */
	return chain_valid(w, s->off + NLA_ALIGN(s->wire_len)) ? 0 : -EBADMSG;
}

/* Port entries vary in size (only VFs with an applied profile have one), so only the chain
 * tells where the nest ends. */
static int resolve_ports(const struct walk *w, struct span *s)
{
	s->true_len = s->wire_len;
	if (chain_valid(w, s->off + NLA_ALIGN(s->wire_len)))
		return 0;
	return search_wrap(w, s, false, &s->true_len);
}

static int walk_attr(struct walk *w, size_t off, size_t *next, char **errmsg)
{
	const struct nlattr *a = attr_at(w, off);
	uint16_t type = a->nla_type & NLA_TYPE_MASK;
	if (a->nla_len < NLA_HDRLEN)
		return set_error(errmsg, -EBADMSG, "attribute type %u at offset %zu: length %u shorter than its header",
			    type, off, a->nla_len);
	if (type == IFLA_VFINFO_LIST || type == IFLA_VF_PORTS) {
		bool vfinfo = type == IFLA_VFINFO_LIST;
		struct span *s = vfinfo ? &w->vfinfo : &w->ports;
		if (vfinfo ? w->have_vfinfo : w->have_ports)
			return set_error(errmsg, -EBADMSG, "attribute type %u at offset %zu: duplicate VF list", type, off);
		*s = (struct span){ .off = off, .wire_len = a->nla_len };
		if (s->wire_len > w->end - off)
			s->wire_len = 0; /* cannot be a wrap: the stored length itself overruns */
		int r = s->wire_len == 0 ? -EBADMSG
			: vfinfo         ? resolve_vfinfo(w, s)
					 : resolve_ports(w, s);
		if (r < 0)
			return set_error(errmsg, -EBADMSG, "%s at offset %zu: length %u does not fit the message",
				    vfinfo ? "IFLA_VFINFO_LIST" : "IFLA_VF_PORTS", off, a->nla_len);
		*(vfinfo ? &w->have_vfinfo : &w->have_ports) = true;
		*next = off + NLA_ALIGN(s->true_len);
		return 0;
	}
	if (a->nla_len > w->end - off)
		return set_error(errmsg, -EBADMSG, "attribute type %u at offset %zu: length %u runs past the message end %zu",
			    type, off, a->nla_len, w->end);
	if (type == IFLA_NUM_VF) {
		if (a->nla_len < NLA_HDRLEN + sizeof(uint32_t))
			return set_error(errmsg, -EBADMSG, "IFLA_NUM_VF at offset %zu: %u bytes, need 8", off,
				    a->nla_len);
		memcpy(&w->num_vf, (const uint8_t *)a + NLA_HDRLEN, sizeof(uint32_t));
		if (w->num_vf > VF_COUNT_MAX)
			return set_error(errmsg, -EBADMSG, "IFLA_NUM_VF at offset %zu: %u VFs, more than the %d a PCI function can have",
				    off, w->num_vf, VF_COUNT_MAX);
		w->have_num_vf = true;
	}
	*next = off + NLA_ALIGN(a->nla_len);
	return 0;
}

static int walk_message(struct walk *w, const void *buf, size_t len, char **errmsg)
{
	const struct nlmsghdr *h = buf;
	if (len < NLMSG_HDRLEN)
		return set_error(errmsg, -EBADMSG, "message of %zu bytes is shorter than a netlink header", len);
	if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len)
		return set_error(errmsg, -EBADMSG, "nlmsg_len %u does not fit the %zu bytes received", h->nlmsg_len, len);
	if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
		const struct nlmsgerr *e = NLMSG_DATA(h);
		int err = e->error < 0 && e->error > -4096 ? e->error : -EPROTO;
		return set_error(errmsg, err, "kernel answered: %s", strerror(-err));
	}
	if (h->nlmsg_type != RTM_NEWLINK)
		return set_error(errmsg, -EBADMSG, "message type %u is not RTM_NEWLINK", h->nlmsg_type);
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return set_error(errmsg, -EBADMSG, "RTM_NEWLINK of %u bytes has no room for ifinfomsg", h->nlmsg_len);
	*w = (struct walk){ .msg = buf, .end = h->nlmsg_len };
	w->attrs = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ifinfomsg));
	for (size_t off = w->attrs, next = 0; off < w->end; off = next) {
		if (w->end - off < NLA_HDRLEN)
			return set_error(errmsg, -EBADMSG, "%zu stray bytes at offset %zu", w->end - off, off);
		int r = walk_attr(w, off, &next, errmsg);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Minimum payload per IFLA_VF_* type: the policy libnl's VF parser applies. */
static size_t vf_attr_min(uint16_t type)
{
	switch (type) {
	case IFLA_VF_MAC: return sizeof(struct ifla_vf_mac);
	case IFLA_VF_VLAN: return sizeof(struct ifla_vf_vlan);
	case IFLA_VF_TX_RATE: return sizeof(struct ifla_vf_tx_rate);
	case IFLA_VF_SPOOFCHK: return sizeof(struct ifla_vf_spoofchk);
	case IFLA_VF_RATE: return sizeof(struct ifla_vf_rate);
	case IFLA_VF_LINK_STATE: return sizeof(struct ifla_vf_link_state);
	case IFLA_VF_RSS_QUERY_EN: return sizeof(struct ifla_vf_rss_query_en);
	case IFLA_VF_TRUST: return sizeof(struct ifla_vf_trust);
	case IFLA_VF_IB_NODE_GUID:
	case IFLA_VF_IB_PORT_GUID: return sizeof(struct ifla_vf_guid);
	default: return 0;
	}
}

/* Nested entries of a VF attribute that libnl dereferences: VLAN infos (read with no length
 * check at all; at least one) and the u64 counters of VF_STATS. */
static int check_nested(const struct nlattr *a, uint32_t i, char **errmsg)
{
	const struct nlattr *v;
	int rem, n = 0;
	bool vlans = nla_type(a) == IFLA_VF_VLAN_LIST;
	nla_for_each_nested(v, (struct nlattr *)a, rem) {
		n++;
		size_t need = vlans ? sizeof(struct ifla_vf_vlan_info)
			      : nla_type(v) <= IFLA_VF_STATS_MULTICAST ? sizeof(uint64_t) : 0;
		if ((size_t)nla_len(v) < need)
			return set_error(errmsg, -EBADMSG, "IFLA_VF_INFO #%u: nested attribute type %u of %d bytes, need %zu",
				    i, nla_type(v), nla_len(v), need);
	}
	/* libnl 3.7 then hands this VF the previous VF's VLAN object: a double free later. */
	if (vlans && n == 0)
		return set_error(errmsg, -EBADMSG, "IFLA_VF_INFO #%u: empty IFLA_VF_VLAN_LIST", i);
	return 0;
}

/* Reject a VF entry that libnl's parser would reject: libnl 3.7 leaks the VFs it parsed so far
 * when it fails midway through the list, so it must only ever see entries it accepts. */
static int check_vf_entry(const struct nlattr *vf, uint32_t i, char **errmsg)
{
	const struct nlattr *a;
	int rem;
	bool mac = false;
	nla_for_each_nested(a, (struct nlattr *)vf, rem) {
		uint16_t type = nla_type(a);
		if ((size_t)nla_len(a) < vf_attr_min(type))
			return set_error(errmsg, -EBADMSG, "IFLA_VF_INFO #%u: attribute type %u of %d bytes, need %zu", i,
				    type, nla_len(a), vf_attr_min(type));
		mac |= type == IFLA_VF_MAC;
		if (type == IFLA_VF_VLAN_LIST || type == IFLA_VF_STATS) {
			int r = check_nested(a, i, errmsg);
			if (r < 0)
				return r;
		}
	}
	if (!mac)
		return set_error(errmsg, -EBADMSG, "IFLA_VF_INFO #%u: no IFLA_VF_MAC", i);
	return 0;
}

static void put_bytes(uint8_t *out, size_t *pos, const void *src, size_t len)
{
	memcpy(out + *pos, src, len);
	*pos += NLA_ALIGN(len);
}

/* A copy of the message whose VF info list holds only the decodable entries (its length then
 * fits its u16) and without IFLA_VF_PORTS, which libnl does not parse anyway. */
static int rebuild(const struct walk *w, uint8_t **ret, char **errmsg)
{
	/* room for the alignment padding after a last, unaligned attribute */
	_cleanup_free_ uint8_t *out = xcalloc(1, NLMSG_ALIGN(w->end) + NLA_HDRLEN);
	size_t pos = 0;
	put_bytes(out, &pos, w->msg, w->attrs);
	for (size_t off = w->attrs; off < w->end;) {
		const struct nlattr *a = attr_at(w, off);
		if (w->have_vfinfo && off == w->vfinfo.off) {
			size_t nest = pos, n = 0;
			pos += NLA_HDRLEN;
			const struct nlattr *e;
			int rem;
			nla_for_each_nested(e, (struct nlattr *)a, rem) {
				int r = check_vf_entry(e, (uint32_t)n++, errmsg);
				if (r < 0)
					return r;
				put_bytes(out, &pos, e, e->nla_len);
			}
			struct nlattr hdr = { .nla_len = (uint16_t)(pos - nest), .nla_type = a->nla_type };
			memcpy(out + nest, &hdr, sizeof(hdr));
			off += NLA_ALIGN(w->vfinfo.true_len);
		} else if (w->have_ports && off == w->ports.off) {
			off += NLA_ALIGN(w->ports.true_len);
		} else {
			put_bytes(out, &pos, a, a->nla_len);
			off += NLA_ALIGN(a->nla_len);
		}
	}
	struct nlmsghdr *h = (struct nlmsghdr *)out;
	h->nlmsg_len = (uint32_t)pos;
	*ret = TAKE_PTR(out);
	return 0;
}

static void take_link(struct nl_object *obj, void *arg)
{
	struct rtnl_link **link = arg;
	if (!*link) {
		nl_object_get(obj);
		*link = (struct rtnl_link *)obj;
	}
}

static int libnl_parse(const uint8_t *msg, struct rtnl_link **ret, char **errmsg)
{
	struct nl_msg *m = nlmsg_convert((struct nlmsghdr *)msg);
	if (!m)
		return set_error(errmsg, -ENOMEM, "out of memory");
	nlmsg_set_proto(m, NETLINK_ROUTE);
	struct rtnl_link *link = NULL;
	int r = nl_msg_parse(m, take_link, &link);
	nlmsg_free(m);
	if (r < 0 || !link) {
		if (link)
			rtnl_link_put(link);
		return set_error(errmsg, -EBADMSG, "libnl rejected the message: %s", nl_geterror(r));
	}
	*ret = link;
	return 0;
}

static void copy_vf(struct rtnl_link_vf *src, struct vf_vf *dst)
{
	struct nl_addr *addr;
	nl_vf_vlans_t *vlans;
	uint32_t v;
	dst->listed = true;
	if (rtnl_link_vf_get_addr(src, &addr) == 0 && nl_addr_get_len(addr) == 6) {
		const uint8_t *m = nl_addr_get_binary_addr(addr);
		snprintf(dst->mac, sizeof(dst->mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
			 m[4], m[5]);
	}
	dst->vlan = dst->qos = 0;
	if (rtnl_link_vf_get_vlans(src, &vlans) == 0) {
		if (vlans->size > 0) {
			dst->vlan = (int)(vlans->vlans[0].vf_vlan & 0xfff);
			dst->qos = (int)(vlans->vlans[0].vf_vlan_qos & 0x7);
		}
		rtnl_link_vf_vlan_put(vlans);
	}
	if (rtnl_link_vf_get_trust(src, &v) == 0)
		dst->trust = v ? 1 : 0;
	if (rtnl_link_vf_get_spoofchk(src, &v) == 0)
		dst->spoofchk = v ? 1 : 0;
	if (rtnl_link_vf_get_linkstate(src, &v) == 0 && v <= IFLA_VF_LINK_STATE_DISABLE)
		dst->link_state = (int)v;
}

/* Mbit/s as the model's int; a driver's value past INT_MAX is kept as INT_MAX (still "set"). */
static int rate_mbps(uint32_t v)
{
	return v > INT32_MAX ? INT32_MAX : (int)v;
}

/* IFLA_VF_RATE (min and max) or, alone, the older IFLA_VF_TX_RATE (max only). Read here, not
 * through libnl: libnl 3.7 records a rate only when it is non-zero, and a 0 is what tells a clean
 * VF from one the driver says nothing about. check_vf_entry() vouched for the lengths. */
static void entry_rates(const struct nlattr *entry, uint32_t *vf, int *min, int *max)
{
	const struct nlattr *a;
	int rem;
	bool have_rate = false;
	nla_for_each_nested(a, (struct nlattr *)entry, rem) {
		if (nla_type(a) == IFLA_VF_RATE) {
			const struct ifla_vf_rate *r = nla_data(a);
			*vf = r->vf;
			*min = rate_mbps(r->min_tx_rate);
			*max = rate_mbps(r->max_tx_rate);
			have_rate = true;
		} else if (nla_type(a) == IFLA_VF_TX_RATE && !have_rate) {
			const struct ifla_vf_tx_rate *r = nla_data(a);
			*vf = r->vf;
			*max = rate_mbps(r->rate);
		}
	}
}

/* The rates of the listed VFs. extract_vfs() appended them by VF number, so the entry at the
 * same position is almost always the VF; otherwise a search (an entry of a VF number nobody
 * listed describes nothing). */
static void parse_rates(const struct walk *w, struct vf_nl_link *out)
{
	const struct nlattr *e;
	int rem;
	size_t pos = 0;
	nla_for_each_nested(e, (struct nlattr *)attr_at(w, w->vfinfo.off), rem) {
		uint32_t vf = UINT32_MAX;
		int min = UNKNOWN, max = UNKNOWN;
		entry_rates(e, &vf, &min, &max);
		struct vf_vf *dst = pos < out->n_vfs && out->vfs[pos].index == (int)vf ? &out->vfs[pos] : NULL;
		for (size_t i = 0; !dst && vf != UINT32_MAX && i < out->n_vfs; i++)
			if (out->vfs[i].index == (int)vf)
				dst = &out->vfs[i];
		pos++;
		if (dst) {
			dst->min_tx_rate = min;
			dst->max_tx_rate = max;
		}
	}
}

/* The first VF entry's size without its IFLA_VF_STATS, from the bytes the kernel sent (the
 * entry lies inside the list's true length even when the wrapped length no longer covers it).
 * 0 when there is no well-formed first entry. */
static size_t entry_size_no_stats(const struct walk *w)
{
	const struct span *s = &w->vfinfo;
	if (s->true_len < 2 * NLA_HDRLEN)
		return 0;
	size_t start = s->off + NLA_HDRLEN, end = s->off + s->true_len;
	const struct nlattr *entry = attr_at(w, start);
	if (entry->nla_len < NLA_HDRLEN || entry->nla_len > end - start)
		return 0;
	size_t size = NLA_ALIGN(entry->nla_len), stop = start + entry->nla_len;
	for (size_t off = start + NLA_HDRLEN; stop - off >= NLA_HDRLEN;) {
		const struct nlattr *a = attr_at(w, off);
		if (a->nla_len < NLA_HDRLEN || a->nla_len > stop - off)
			return 0;
		if ((a->nla_type & NLA_TYPE_MASK) == IFLA_VF_STATS)
			return size - NLA_ALIGN(a->nla_len);
		off += NLA_ALIGN(a->nla_len);
	}
	return size;
}

/* The listed VFs, by VF number, through libnl's own parser. The kernel numbers them 0..n-1;
 * an entry numbered beyond the PF's VF count describes no VF and is ignored.
 * libnl builds its VF list only when the message has a non-zero IFLA_NUM_VF, and its
 * rtnl_link_vf_get() dereferences that list unchecked: without it, no VF is read. */
static void extract_vfs(struct rtnl_link *link, struct vf_nl_link *out)
{
	uint32_t want = out->nl.listed, libnl_num_vf = 0;
	/* at most VF_COUNT_MAX: the walk refused a larger IFLA_NUM_VF (a lookup per number up to
	 * 2^32 took minutes) */
	uint32_t max = out->nl.num_vf > want ? out->nl.num_vf : want;
	if (want == 0 || rtnl_link_get_num_vf(link, &libnl_num_vf) < 0 || libnl_num_vf == 0)
		return;
	/* Built with array_append() only: parse_ports() may append VFs the list does not reach,
	 * and array_append() takes the capacity from the count (a calloc'ed array overflowed). */
	for (uint32_t i = 0; i < max && out->n_vfs < want; i++) {
		struct rtnl_link_vf *vf = rtnl_link_vf_get(link, i);
		if (!vf)
			continue;
		struct vf_vf *dst = array_append(&out->vfs, &out->n_vfs, sizeof(*out->vfs));
		vf_vf_init(dst, (int)i);
		copy_vf(vf, dst);
		rtnl_link_vf_put(vf);
	}
}

static struct vf_vf *find_vf(struct vf_nl_link *l, uint32_t index)
{
	for (size_t i = 0; i < l->n_vfs; i++)
		if (l->vfs[i].index == (int)index)
			return &l->vfs[i];
	struct vf_vf *vf = array_append(&l->vfs, &l->n_vfs, sizeof(*vf));
	vf_vf_init(vf, (int)index);
	return vf;
}

static void parse_port(const struct nlattr *entry, struct vf_nl_link *out, uint32_t *max_vf, size_t *max_len)
{
	static struct nla_policy policy[IFLA_PORT_MAX + 1] = {
		[IFLA_PORT_VF] = { .type = NLA_U32 },
		[IFLA_PORT_RESPONSE] = { .type = NLA_U16 },
	};
	struct nlattr *tb[IFLA_PORT_MAX + 1];
	if (nla_parse_nested(tb, IFLA_PORT_MAX, (struct nlattr *)entry, policy) < 0 || !tb[IFLA_PORT_VF])
		return; /* not decodable: as if absent */
	uint32_t index = nla_get_u32(tb[IFLA_PORT_VF]);
	if (index >= VF_COUNT_MAX)
		return;
	struct vf_vf *vf = find_vf(out, index);
	if (tb[IFLA_PORT_PROFILE] && nla_len(tb[IFLA_PORT_PROFILE]) > 0) {
		const char *p = nla_data(tb[IFLA_PORT_PROFILE]);
		free(vf->port_profile);
		vf->port_profile = xstrndup(p, strnlen(p, (size_t)nla_len(tb[IFLA_PORT_PROFILE])));
	}
	if (tb[IFLA_PORT_RESPONSE])
		vf->port_response = nla_get_u16(tb[IFLA_PORT_RESPONSE]);
	if (index + 1 > *max_vf)
		*max_vf = index + 1;
	if ((size_t)NLA_ALIGN(entry->nla_len) > *max_len)
		*max_len = (size_t)NLA_ALIGN(entry->nla_len);
}

/* IFLA_VF_PORTS: libnl has no parser for it, so walk it with the nla_* helpers. */
static void parse_ports(const struct walk *w, struct vf_nl_link *out)
{
	const struct nlattr *e;
	int rem;
	uint32_t max_vf = 0;
	size_t max_len = 0;
	nla_for_each_nested(e, (struct nlattr *)attr_at(w, w->ports.off), rem)
		if (nla_type(e) == IFLA_VF_PORT)
			parse_port(e, out, &max_vf, &max_len);
	out->nl.has_ports = true;
	if (out->nl.has_vfinfo)
		return; /* the VF info list is what libvirt judges such a PF by */
	bool wrapped = w->ports.true_len != w->ports.wire_len;
	/* Only VFs with an applied profile have an entry, so an intact list describes every VF. */
	out->nl.listed = wrapped ? (max_vf < out->nl.num_vf ? max_vf : out->nl.num_vf) : out->nl.num_vf;
	out->nl.truncated = wrapped;
	out->nl.bytes_per_vf = (uint32_t)(max_len ? max_len : PORT_ENTRY_MAX);
	out->nl.limit = vf_nl_limit(out->nl.bytes_per_vf);
	/* port entries carry no statistics */
	out->nl.bytes_per_vf_no_stats = out->nl.bytes_per_vf;
	out->nl.limit_no_stats = out->nl.limit;
}

static void fill_vfinfo_counts(const struct walk *w, struct vf_nl_link *out)
{
	struct vf_netlink *nl = &out->nl;
	nl->has_vfinfo = true;
	nl->listed = w->vfinfo_listed;
	nl->truncated = nl->listed < nl->num_vf;
	size_t first = w->vfinfo_entry;
	if (nl->listed == 0 && nl->num_vf > 0 && w->vfinfo.true_len > NLA_HDRLEN)
		/* no entry survived the wrap: the true length still tells the entry size */
		first = (w->vfinfo.true_len - NLA_HDRLEN) / nl->num_vf;
	nl->bytes_per_vf = (uint32_t)first;
	nl->limit = vf_nl_limit(nl->bytes_per_vf);
	size_t bare = first ? entry_size_no_stats(w) : 0;
	nl->bytes_per_vf_no_stats = (uint32_t)(bare ? bare : first);
	nl->limit_no_stats = vf_nl_limit(nl->bytes_per_vf_no_stats);
}

void vf_nl_link_clear(struct vf_nl_link *l)
{
	for (size_t i = 0; i < l->n_vfs; i++) {
		free(l->vfs[i].port_profile);
	}
	free(l->vfs);
	free(l->ifname);
	*l = (struct vf_nl_link){ 0 };
}

int vf_nl_parse_link(const void *msg, size_t len, struct vf_nl_link *out, char **errmsg)
{
	struct walk w;
	*out = (struct vf_nl_link){ 0 };
	int r = walk_message(&w, msg, len, errmsg);
	if (r < 0)
		return r;
	_cleanup_free_ uint8_t *clean = NULL;
	r = rebuild(&w, &clean, errmsg);
	if (r < 0)
		return r;
	struct rtnl_link *link = NULL;
	r = libnl_parse(clean, &link, errmsg);
	if (r < 0)
		return r;
	const char *name = rtnl_link_get_name(link);
	out->ifname = xstrdup(name ? name : "");
	out->ifindex = rtnl_link_get_ifindex(link);
	out->nl.valid = true;
	out->nl.num_vf = w.num_vf;
	if (w.have_vfinfo) {
		fill_vfinfo_counts(&w, out);
		extract_vfs(link, out);
		parse_rates(&w, out);
	}
	rtnl_link_put(link);
	if (w.have_ports)
		parse_ports(&w, out);
	return 0;
}
