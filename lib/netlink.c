/* SPDX-License-Identifier: MIT */
/* Netlink source: the kernel (one RTM_GETLINK per PF, as libvirt asks, plus one RTM_GETADDR
 * dump) or a file of recorded replies. Both end in the same handler, feed(). */
#include "netlink.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <string.h>

#include "util.h"

#define NL_FILE_MAX (64u << 20)
/* libvirt's receive buffer; the receive itself peeks at the size first. */
#define NL_SOCKBUF (128 * 1024)

struct feed_state {
	struct vf_host *h;
	const char *where;  /* "netlink", "netlink PF" or the file name, for messages */
	const char *object; /* what an error is about: the PF asked for, or the file */
	struct vf_nl_addrs addrs;
	bool *seen;        /* per PF: a reply arrived */
	uint32_t seq;      /* live: the request being answered; 0 for a file */
	bool answered;     /* live: a reply to `seq` arrived */
	bool recording;    /* keep every datagram received, byte for byte */
	uint8_t *rec;
	size_t rec_len;
};

void vf_nl_addrs_clear(struct vf_nl_addrs *a)
{
	free(a->ifindexes);
	*a = (struct vf_nl_addrs){ 0 };
}

static void merge_vf(struct vf_vf *dst, const struct vf_vf *src)
{
	if (src->listed) {
		memcpy(dst->mac, src->mac, sizeof(dst->mac));
		dst->vlan = src->vlan;
		dst->qos = src->qos;
		dst->trust = src->trust;
		dst->spoofchk = src->spoofchk;
		dst->link_state = src->link_state;
		dst->min_tx_rate = src->min_tx_rate;
		dst->max_tx_rate = src->max_tx_rate;
	}
	if (src->port_profile) {
		free(dst->port_profile);
		dst->port_profile = xstrdup(src->port_profile);
	}
	if (src->port_response != UNKNOWN)
		dst->port_response = src->port_response;
}

/* A PF whose sysfs count was unreadable still gets its VFs from IFLA_NUM_VF. */
static void grow_vfs(struct vf_pf *pf, size_t n)
{
	if (n <= pf->n_vfs)
		return;
	pf->vfs = xrealloc(pf->vfs, n * sizeof(*pf->vfs));
	for (size_t i = pf->n_vfs; i < n; i++)
		vf_vf_init(&pf->vfs[i], (int)i);
	pf->n_vfs = n;
}

static void merge_link(struct feed_state *st, struct vf_pf *pf, const struct vf_nl_link *l)
{
	pf->nl = l->nl;
	if (pf->numvfs == UNKNOWN)
		grow_vfs(pf, l->nl.num_vf);
	else if ((uint32_t)pf->numvfs != l->nl.num_vf)
		vf_host_add_error(st->h, VF_SRC_NETLINK, pf->name,
				  "%s: IFLA_NUM_VF %u differs from sriov_numvfs %d", st->where, l->nl.num_vf,
				  pf->numvfs);
	/* The kernel lists VFs from 0, so the first `listed` VFs are the describable ones. */
	for (size_t i = 0; i < pf->n_vfs; i++)
		pf->vfs[i].listed = (uint32_t)pf->vfs[i].index < l->nl.listed;
	for (size_t i = 0; i < l->n_vfs; i++) {
		int idx = l->vfs[i].index;
		if (idx >= 0 && (size_t)idx < pf->n_vfs && pf->vfs[idx].index == idx)
			merge_vf(&pf->vfs[idx], &l->vfs[i]);
	}
}

static int feed_link(struct feed_state *st, const void *msg, size_t len, size_t at)
{
	struct vf_nl_link l;
	_cleanup_free_ char *err = NULL;
	int r = vf_nl_parse_link(msg, len, &l, &err);
	if (r < 0) {
		vf_host_add_error(st->h, VF_SRC_NETLINK, st->object, "%s: message at offset %zu: %s", st->where,
				  at, err);
		return r;
	}
	for (size_t i = 0; i < st->h->n_pfs; i++) {
		struct vf_pf *pf = &st->h->pfs[i];
		if (streq(pf->name, l.ifname) && !st->seen[i]) {
			merge_link(st, pf, &l);
			st->seen[i] = true;
		}
	}
	vf_nl_link_clear(&l);
	return 0;
}

/* RTM_NEWADDR: note ifindexes with an address the admin configured. IPv6 link-local addresses
 * come with any interface that is up and say nothing about use. */
static void feed_addr(struct feed_state *st, const struct nlmsghdr *h)
{
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
		return;
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	if (ifa->ifa_family == AF_INET6 && ifa->ifa_scope == RT_SCOPE_LINK)
		return;
	int *slot = array_append(&st->addrs.ifindexes, &st->addrs.n, sizeof(int));
	*slot = (int)ifa->ifa_index;
}

/* An NLMSG_ERROR with error 0 acknowledges a request and carries nothing. */
static bool is_ack(const struct nlmsghdr *h)
{
	return h->nlmsg_type == NLMSG_ERROR && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr)) &&
	       ((const struct nlmsgerr *)NLMSG_DATA(h))->error == 0;
}

/* Walk a buffer of netlink messages. Returns 1 when NLMSG_DONE was seen. */
static int feed(struct feed_state *st, const uint8_t *buf, size_t len, size_t base)
{
	size_t off = 0;
	while (off < len) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)(buf + off);
		if (len - off < NLMSG_HDRLEN || h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len - off) {
			vf_host_add_error(st->h, VF_SRC_NETLINK, st->object,
					  "%s: offset %zu: truncated or malformed netlink message header", st->where,
					  base + off);
			return -EBADMSG;
		}
		off += NLMSG_ALIGN(h->nlmsg_len);
		/* A reply to an earlier request (after a timeout or an overrun) is not this one's. */
		if (st->seq && h->nlmsg_seq != st->seq)
			continue;
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (is_ack(h))
			continue;
		if (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == NLMSG_ERROR) {
			feed_link(st, h, h->nlmsg_len, base + off - NLMSG_ALIGN(h->nlmsg_len));
			st->answered = true;
		} else if (h->nlmsg_type == RTM_NEWADDR) {
			feed_addr(st, h);
		}
	}
	return 0;
}

static bool addr_has(const struct vf_nl_addrs *a, int ifindex)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->ifindexes[i] == ifindex)
			return true;
	return false;
}

static void finish(struct feed_state *st, const char *source)
{
	for (size_t i = 0; i < st->h->n_pfs; i++) {
		struct vf_pf *pf = &st->h->pfs[i];
		if (!st->seen[i] && !vf_host_has_error(st->h, VF_SRC_NETLINK, pf->name))
			vf_host_add_error(st->h, VF_SRC_NETLINK, pf->name, "%s: no RTM_NEWLINK for %s", source,
					  pf->name);
		for (size_t k = 0; k < pf->n_vfs; k++)
			if (pf->vfs[k].ifindex > 0 && addr_has(&st->addrs, pf->vfs[k].ifindex))
				pf->vfs[k].has_addresses = true;
	}
	vf_nl_addrs_clear(&st->addrs);
	free(st->seen);
}

static int read_file(struct vf_host *h, const char *file)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_full_file(file, &buf, &len, NL_FILE_MAX);
	if (r < 0) {
		vf_host_add_error(h, VF_SRC_NETLINK, file, "%s: %s", file,
				  r == -EFBIG ? "larger than 64 MiB" : strerror(-r));
		return r;
	}
	struct feed_state st = { .h = h, .where = file, .object = file, .seen = xcalloc(h->n_pfs + 1, sizeof(bool)) };
	feed(&st, (const uint8_t *)buf, len, 0);
	finish(&st, file);
	return 0;
}

static void nl_socket_freep(struct nl_sock **s)
{
	if (*s)
		nl_socket_free(*s);
}

static void nlmsg_freep(struct nl_msg **m)
{
	if (*m)
		nlmsg_free(*m);
}

/* The -errno of a failed libnl call: the system call's own errno when it set one (libnl's
 * codes lose it: ENOBUFS would read "Out of memory"), else -EIO. Clear errno before the call. */
static int nl_failure(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* Send, and note the sequence number that the reply must carry. */
static int send_request(struct nl_sock *sk, struct feed_state *st, struct nl_msg *m)
{
	int r;
	do { /* a signal before anything was sent: send again (libnl does not) */
		errno = 0;
		r = nl_send_auto(sk, m) < 0 ? nl_failure() : 0;
	} while (r == -EINTR);
	if (r < 0)
		return r;
	st->seq = nlmsg_hdr(m)->nlmsg_seq;
	st->answered = false;
	return 0;
}

static int send_getlink(struct nl_sock *sk, struct feed_state *st, const struct vf_pf *pf)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = pf->ifindex > 0 ? pf->ifindex : 0 };
	_cleanup_(nlmsg_freep) struct nl_msg *m = nlmsg_alloc_simple(RTM_GETLINK, 0);
	if (!m || nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(m, IFLA_IFNAME, pf->name) < 0 || nla_put_u32(m, IFLA_EXT_MASK, RTEXT_FILTER_VF) < 0)
		return -ENOMEM;
	return send_request(sk, st, m);
}

/* Receive until the reply is complete; libnl peeks at each datagram's size first, so a 77 KB
 * reply (256 VFs) arrives whole. A single-link reply is one RTM_NEWLINK (or an error);
 * datagrams of a dump end with NLMSG_DONE. */
static int receive(struct nl_sock *sk, struct feed_state *st, bool dump)
{
	for (;;) {
		struct sockaddr_nl peer;
		unsigned char *buf = NULL;
		errno = 0;
		int n = nl_recv(sk, &peer, &buf, NULL);
		if (n <= 0) {
			int r = n == 0 ? -ENODATA : nl_failure();
			free(buf);
			return r;
		}
		if (st->recording) {
			st->rec = xrealloc(st->rec, st->rec_len + (size_t)n);
			memcpy(st->rec + st->rec_len, buf, (size_t)n);
			st->rec_len += (size_t)n;
		}
		int r = feed(st, buf, (size_t)n, 0);
		free(buf);
		if (r < 0 || r == 1 || (!dump && st->answered))
			return r < 0 ? r : 0;
	}
}

static void query_addrs(struct nl_sock *sk, struct feed_state *st)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_UNSPEC };
	_cleanup_(nlmsg_freep) struct nl_msg *m = nlmsg_alloc_simple(RTM_GETADDR, NLM_F_DUMP);
	int r = !m || nlmsg_append(m, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0 ? -ENOMEM : send_request(sk, st, m);
	if (r >= 0)
		r = receive(sk, st, true);
	if (r < 0)
		vf_host_add_error(st->h, VF_SRC_NETLINK, NULL, "netlink: RTM_GETADDR dump failed: %s", strerror(-r));
}

/* The datagrams exactly as the kernel sent them: a file --netlink-file replays through the
 * same feed(), and kernel-made bytes for tests and bug reports. */
static void write_record(struct feed_state *st, const char *path)
{
	int r = write_file_atomic(path, st->rec, st->rec_len, 0644);
	if (r < 0)
		vf_host_add_error(st->h, VF_SRC_NETLINK, path, "cannot write the netlink record %s: %s", path,
				  strerror(-r));
	free(st->rec);
}

static int read_live(struct vf_host *h, const char *record)
{
	_cleanup_(nl_socket_freep) struct nl_sock *sk = nl_socket_alloc();
	int r = sk ? nl_connect(sk, NETLINK_ROUTE) : -NLE_NOMEM;
	if (r < 0) {
		vf_host_add_error(h, VF_SRC_NETLINK, NULL, "netlink: cannot open a NETLINK_ROUTE socket: %s",
				  nl_geterror(r));
		return -EIO;
	}
	nl_socket_set_buffer_size(sk, NL_SOCKBUF, NL_SOCKBUF);
	nl_socket_enable_msg_peek(sk);
	/* libnl asks for an ACK by default. Behind a 150 KB reply (512 VFs) that ACK overruns the
	 * receive buffer and the next read fails with ENOBUFS; libvirt asks for none either. Found
	 * by the kernel rig (tests/kernel). */
	nl_socket_disable_auto_ack(sk);
	struct feed_state st = { .h = h, .where = "netlink", .object = "netlink", .seen = xcalloc(h->n_pfs + 1, sizeof(bool)),
				 .recording = record != NULL };
	for (size_t i = 0; i < h->n_pfs; i++) {
		_cleanup_free_ char *where = xasprintf("netlink %s", h->pfs[i].name);
		st.where = where;
		st.object = h->pfs[i].name;
		r = send_getlink(sk, &st, &h->pfs[i]);
		if (r >= 0)
			r = receive(sk, &st, false);
		if (r < 0 && !vf_host_has_error(h, VF_SRC_NETLINK, h->pfs[i].name))
			vf_host_add_error(h, VF_SRC_NETLINK, h->pfs[i].name, "%s: RTM_GETLINK failed: %s", where,
					  strerror(-r));
	}
	st.where = st.object = "netlink";
	query_addrs(sk, &st);
	finish(&st, "netlink");
	if (record)
		write_record(&st, record);
	return 0;
}

int vf_netlink_read(struct vf_host *h, const char *file, const char *record)
{
	return file ? read_file(h, file) : read_live(h, record);
}
