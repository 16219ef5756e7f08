/* SPDX-License-Identifier: MIT */
/* mknlmsg SPEC OUT: build the kernel's RTM_NEWLINK (and RTM_NEWADDR) replies described by a
 * netlink.spec (grammar: tests/fixtures/README.md) into OUT, byte for byte as Linux 6.1's
 * rtnl_fill_ifinfo()/rtnl_fill_vfinfo() lay them out on x86_64. Messages are built with libnl;
 * the VF list nest is closed the way the kernel closes it: its length stored as a u16, so past
 * 65535 bytes it wraps exactly as the kernel's does (libnl's nla_nest_end would refuse). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <string.h>

#include "util.h"

#define MAX_VFS 4096

struct vfspec {
	uint8_t mac[6];
	uint32_t vlan, qos, trust, spoofchk, link_state;
	uint32_t min_tx_rate, max_tx_rate;
	bool port;
	char profile[PORT_PROFILE_MAX];
	uint16_t request, response;
	uint8_t instance[PORT_UUID_MAX], host[PORT_UUID_MAX];
	bool has_instance, has_host;
};

struct linkspec {
	char name[IFNAMSIZ];
	int ifindex;
	uint32_t num_vf;
	bool vfinfo, stats, ports;
	uint8_t mac[6];
	const char *defect; /* a deliberate flaw, for bad-input tests */
	struct vfspec *vfs;
};

static int lineno;
static const char *specname;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "mknlmsg: %s:%d: ", specname, lineno);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static long num(const char *v, long max)
{
	char *end;
	long n = strtol(v, &end, 0);
	if (*end || end == v || n < 0 || n > max)
		die("bad number '%s'", v);
	return n;
}

static void parse_mac(const char *v, uint8_t *mac)
{
	unsigned m[6];
	if (sscanf(v, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		die("bad MAC '%s'", v);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
}

static void parse_uuid(const char *v, uint8_t *out)
{
	int n = 0;
	for (const char *p = v; *p && n < 16; p++) {
		unsigned b;
		if (*p == '-')
			continue;
		if (sscanf(p, "%2x", &b) != 1)
			die("bad UUID '%s'", v);
		out[n++] = (uint8_t)b;
		p++;
	}
	if (n != 16)
		die("bad UUID '%s'", v);
}

static bool yes(const char *v)
{
	if (streq(v, "yes"))
		return true;
	if (streq(v, "no"))
		return false;
	die("expected yes or no, got '%s'", v);
}

static uint32_t link_state(const char *v)
{
	if (streq(v, "auto"))
		return IFLA_VF_LINK_STATE_AUTO;
	if (streq(v, "enable"))
		return IFLA_VF_LINK_STATE_ENABLE;
	if (streq(v, "disable"))
		return IFLA_VF_LINK_STATE_DISABLE;
	die("bad link_state '%s'", v);
}

static void link_init(struct linkspec *l, char **tok, int n)
{
	memset(l, 0, sizeof(*l));
	l->vfinfo = l->stats = true;
	l->vfs = xcalloc(MAX_VFS, sizeof(*l->vfs));
	for (int i = 0; i < MAX_VFS; i++)
		l->vfs[i].spoofchk = 1;
	if (n < 2 || strlen(tok[1]) >= IFNAMSIZ)
		die("link needs an interface name");
	strcpy(l->name, tok[1]);
	for (int i = 2; i < n; i++) {
		char *v = strchr(tok[i], '=');
		if (!v)
			die("expected key=value, got '%s'", tok[i]);
		*v++ = '\0';
		if (streq(tok[i], "ifindex"))
			l->ifindex = (int)num(v, INT32_MAX);
		else if (streq(tok[i], "num_vf"))
			l->num_vf = (uint32_t)num(v, MAX_VFS);
		else if (streq(tok[i], "vfinfo"))
			l->vfinfo = yes(v);
		else if (streq(tok[i], "stats"))
			l->stats = yes(v);
		else if (streq(tok[i], "ports"))
			l->ports = yes(v);
		else if (streq(tok[i], "mac"))
			parse_mac(v, l->mac);
		else if (streq(tok[i], "defect"))
			l->defect = xstrdup(v);
		else
			die("unknown link key '%s'", tok[i]);
	}
}

static void vf_line(struct linkspec *l, char **tok, int n, bool port)
{
	if (n < 2)
		die("missing VF index");
	long idx = num(tok[1], MAX_VFS - 1);
	struct vfspec *vf = &l->vfs[idx];
	vf->port |= port;
	for (int i = 2; i < n; i++) {
		char *v = strchr(tok[i], '=');
		if (!v)
			die("expected key=value, got '%s'", tok[i]);
		*v++ = '\0';
		const char *k = tok[i];
		if (!port && streq(k, "mac"))
			parse_mac(v, vf->mac);
		else if (!port && streq(k, "vlan"))
			vf->vlan = (uint32_t)num(v, 4095);
		else if (!port && streq(k, "qos"))
			vf->qos = (uint32_t)num(v, 7);
		else if (!port && streq(k, "trust"))
			vf->trust = (uint32_t)num(v, 1);
		else if (!port && streq(k, "spoofchk"))
			vf->spoofchk = (uint32_t)num(v, 1);
		else if (!port && streq(k, "max_tx_rate"))
			vf->max_tx_rate = (uint32_t)num(v, 1000000);
		else if (!port && streq(k, "min_tx_rate"))
			vf->min_tx_rate = (uint32_t)num(v, 1000000);
		else if (!port && streq(k, "link_state"))
			vf->link_state = link_state(v);
		else if (port && streq(k, "profile") && strlen(v) < PORT_PROFILE_MAX)
			strcpy(vf->profile, v);
		else if (port && streq(k, "request"))
			vf->request = (uint16_t)num(v, 255);
		else if (port && streq(k, "response"))
			vf->response = (uint16_t)num(v, 65535);
		else if (port && streq(k, "instance"))
			parse_uuid(v, vf->instance), vf->has_instance = true;
		else if (port && streq(k, "host"))
			parse_uuid(v, vf->host), vf->has_host = true;
		else
			die("unknown or bad key '%s'", k);
	}
}

#define PUT(msg, type, len, data)                                                                  \
	do {                                                                                       \
		if (nla_put(msg, type, len, data) < 0)                                             \
			die("message too large");                                                  \
	} while (0)

static void put_u32(struct nl_msg *m, int type, uint32_t v) { PUT(m, type, 4, &v); }
static void put_u8(struct nl_msg *m, int type, uint8_t v) { PUT(m, type, 1, &v); }

/* rtnl_fill_vfinfo() of Linux 6.1, attribute for attribute. */

/* The kernel's rtnl_fill_ifinfo() opens every nest with nla_nest_start_noflag(): no
 * NLA_F_NESTED bit, unlike libnl's nla_nest_start() (seen in the kernel rig's replies). */
static struct nlattr *nest_start(struct nl_msg *m, int type)
{
	struct nlattr *a = nla_nest_start(m, type);
	if (a)
		a->nla_type &= (uint16_t)~NLA_F_NESTED;
	return a;
}
static void put_vfinfo(struct nl_msg *m, const struct linkspec *l, uint32_t i)
{
	const struct vfspec *s = &l->vfs[i];
	struct ifla_vf_mac mac = { .vf = i };
	struct ifla_vf_broadcast bcast;
	struct ifla_vf_vlan vlan = { .vf = i, .vlan = s->vlan, .qos = s->qos };
	/* the kernel fills both from ndo_get_vf_config's max_tx_rate and min_tx_rate */
	struct ifla_vf_rate rate = { .vf = i, .min_tx_rate = s->min_tx_rate, .max_tx_rate = s->max_tx_rate };
	struct ifla_vf_tx_rate txrate = { .vf = i, .rate = s->max_tx_rate };
	struct ifla_vf_spoofchk spoof = { .vf = i, .setting = s->spoofchk };
	struct ifla_vf_link_state ls = { .vf = i, .link_state = s->link_state };
	struct ifla_vf_rss_query_en rss = { .vf = i, .setting = 0 };
	struct ifla_vf_trust trust = { .vf = i, .setting = s->trust };
	struct ifla_vf_vlan_info vinfo = { .vf = i, .vlan = s->vlan, .qos = s->qos,
					   .vlan_proto = htons(ETH_P_8021Q) };
	memcpy(mac.mac, s->mac, 6);
	memset(&bcast, 0, sizeof(bcast));
	memset(bcast.broadcast, 0xff, ETH_ALEN);

	struct nlattr *vf = nest_start(m, IFLA_VF_INFO);
	if (i == 0 && l->defect && streq(l->defect, "vfmac-empty"))
		PUT(m, IFLA_VF_MAC, 0, NULL);
	else
		PUT(m, IFLA_VF_MAC, sizeof(mac), &mac);
	PUT(m, IFLA_VF_BROADCAST, sizeof(bcast), &bcast);
	PUT(m, IFLA_VF_VLAN, sizeof(vlan), &vlan);
	PUT(m, IFLA_VF_RATE, sizeof(rate), &rate);
	PUT(m, IFLA_VF_TX_RATE, sizeof(txrate), &txrate);
	PUT(m, IFLA_VF_SPOOFCHK, sizeof(spoof), &spoof);
	PUT(m, IFLA_VF_LINK_STATE, sizeof(ls), &ls);
	PUT(m, IFLA_VF_RSS_QUERY_EN, sizeof(rss), &rss);
	PUT(m, IFLA_VF_TRUST, sizeof(trust), &trust);
	struct nlattr *vl = nest_start(m, IFLA_VF_VLAN_LIST);
	PUT(m, IFLA_VF_VLAN_INFO, sizeof(vinfo), &vinfo);
	nla_nest_end(m, vl);
	if (l->stats) {
		/* nla_put_u64_64bit() needs no pad attribute on x86_64 */
		static const int order[] = { IFLA_VF_STATS_RX_PACKETS, IFLA_VF_STATS_TX_PACKETS,
					     IFLA_VF_STATS_RX_BYTES,   IFLA_VF_STATS_TX_BYTES,
					     IFLA_VF_STATS_BROADCAST,  IFLA_VF_STATS_MULTICAST,
					     IFLA_VF_STATS_RX_DROPPED, IFLA_VF_STATS_TX_DROPPED };
		struct nlattr *st = nest_start(m, IFLA_VF_STATS);
		for (size_t k = 0; k < ARRAY_SIZE(order); k++) {
			uint64_t zero = 0;
			PUT(m, order[k], sizeof(zero), &zero);
		}
		nla_nest_end(m, st);
	}
	nla_nest_end(m, vf);
}

/* The kernel's nla_nest_end(): tail minus start, stored in a u16 without any check. */
static void kernel_nest_end(struct nl_msg *m, struct nlattr *start)
{
	uint8_t *tail = (uint8_t *)nlmsg_hdr(m) + NLMSG_ALIGN(nlmsg_hdr(m)->nlmsg_len);
	start->nla_len = (uint16_t)(tail - (uint8_t *)start);
}

static void put_ports(struct nl_msg *m, const struct linkspec *l)
{
	struct nlattr *ports = nest_start(m, IFLA_VF_PORTS);
	for (uint32_t i = 0; i < l->num_vf; i++) {
		const struct vfspec *s = &l->vfs[i];
		if (!s->port)
			continue; /* enic_get_vf_port(): -ENODATA, the entry is cancelled */
		struct nlattr *p = nest_start(m, IFLA_VF_PORT);
		put_u32(m, IFLA_PORT_VF, i);
		PUT(m, IFLA_PORT_REQUEST, 2, &s->request);
		PUT(m, IFLA_PORT_RESPONSE, 2, &s->response);
		if (s->profile[0])
			PUT(m, IFLA_PORT_PROFILE, PORT_PROFILE_MAX, s->profile);
		if (s->has_instance)
			PUT(m, IFLA_PORT_INSTANCE_UUID, PORT_UUID_MAX, s->instance);
		if (s->has_host)
			PUT(m, IFLA_PORT_HOST_UUID, PORT_UUID_MAX, s->host);
		nla_nest_end(m, p);
	}
	kernel_nest_end(m, ports);
}

/* The attributes rtnl_fill_ifinfo() puts before the VF list, in its order (values typical). */
static void put_head(struct nl_msg *m, const struct linkspec *l)
{
	struct rtnl_link_ifmap map;
	struct rtnl_link_stats64 st64;
	struct rtnl_link_stats st;
	uint8_t bcast[6];
	memset(&map, 0, sizeof(map));
	memset(&st64, 0, sizeof(st64));
	memset(&st, 0, sizeof(st));
	memset(bcast, 0xff, sizeof(bcast));
	PUT(m, IFLA_IFNAME, strlen(l->name) + 1, l->name);
	put_u32(m, IFLA_TXQLEN, 1000);
	put_u8(m, IFLA_OPERSTATE, IF_OPER_UP);
	put_u8(m, IFLA_LINKMODE, 0);
	put_u32(m, IFLA_MTU, 1500);
	put_u32(m, IFLA_MIN_MTU, 68);
	put_u32(m, IFLA_MAX_MTU, 9710);
	put_u32(m, IFLA_GROUP, 0);
	put_u32(m, IFLA_PROMISCUITY, 0);
	put_u32(m, IFLA_NUM_TX_QUEUES, 64);
	put_u32(m, IFLA_GSO_MAX_SEGS, 65535);
	put_u32(m, IFLA_GSO_MAX_SIZE, 65536);
	put_u32(m, IFLA_NUM_RX_QUEUES, 64);
	put_u8(m, IFLA_CARRIER, 1);
	PUT(m, IFLA_QDISC, 3, "mq");
	put_u32(m, IFLA_CARRIER_CHANGES, 2);
	put_u8(m, IFLA_PROTO_DOWN, 0);
	PUT(m, IFLA_MAP, sizeof(map), &map);
	PUT(m, IFLA_ADDRESS, 6, l->mac);
	PUT(m, IFLA_BROADCAST, 6, bcast);
	PUT(m, IFLA_STATS64, sizeof(st64), &st64);
	PUT(m, IFLA_STATS, sizeof(st), &st);
}

/* What follows the VF lists: XDP, AF_SPEC, PERM_ADDRESS, parent device. A wrapped list is only
 * dangerous because these come after it. */
static void put_tail(struct nl_msg *m, const struct linkspec *l)
{
	struct nlattr *xdp = nest_start(m, IFLA_XDP);
	put_u8(m, IFLA_XDP_ATTACHED, 0);
	nla_nest_end(m, xdp);
	struct nlattr *af = nest_start(m, IFLA_AF_SPEC);
	struct nlattr *in6 = nest_start(m, AF_INET6);
	put_u32(m, IFLA_INET6_FLAGS, 0x80000000);
	nla_nest_end(m, in6);
	nla_nest_end(m, af);
	PUT(m, IFLA_PERM_ADDRESS, 6, l->mac);
	PUT(m, IFLA_PARENT_DEV_NAME, 13, "0000:00:00.0");
	PUT(m, IFLA_PARENT_DEV_BUS_NAME, 4, "pci");
}

static struct nl_msg *build_link(const struct linkspec *l)
{
	struct nl_msg *m = nlmsg_alloc_size(8192 + (size_t)l->num_vf * 420);
	struct nlmsghdr *h = nlmsg_put(m, 0, 0, RTM_NEWLINK, sizeof(struct ifinfomsg), 0);
	struct ifinfomsg *ifi = nlmsg_data(h);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_type = 1; /* ARPHRD_ETHER */
	ifi->ifi_index = l->ifindex;
	ifi->ifi_flags = IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST | IFF_LOWER_UP;
	put_head(m, l);
	if (l->defect && streq(l->defect, "numvf-empty"))
		PUT(m, IFLA_NUM_VF, 0, NULL);
	else
		put_u32(m, IFLA_NUM_VF, l->num_vf);
	if (l->vfinfo) {
		struct nlattr *list = nest_start(m, IFLA_VFINFO_LIST);
		for (uint32_t i = 0; i < l->num_vf; i++)
			put_vfinfo(m, l, i);
		kernel_nest_end(m, list);
	}
	if (l->ports)
		put_ports(m, l);
	put_tail(m, l);
	return m;
}

static struct nl_msg *build_addr(char **tok, int n)
{
	int ifindex = -1, family = -1;
	const char *addr = NULL;
	for (int i = 1; i < n; i++) {
		if (startswith(tok[i], "ifindex="))
			ifindex = (int)num(tok[i] + 8, INT32_MAX);
		else if (streq(tok[i], "family=inet"))
			family = AF_INET;
		else if (streq(tok[i], "family=inet6"))
			family = AF_INET6;
		else
			addr = tok[i];
	}
	char *slash = addr ? strchr(addr, '/') : NULL;
	if (ifindex < 0 || family < 0 || !slash)
		die("addr needs ifindex=, family= and ADDRESS/PREFIX");
	*slash = '\0';
	uint8_t bin[16];
	if (inet_pton(family, addr, bin) != 1)
		die("bad address '%s'", addr);
	struct nl_msg *m = nlmsg_alloc_size(4096);
	struct nlmsghdr *h = nlmsg_put(m, 0, 0, RTM_NEWADDR, sizeof(struct ifaddrmsg), NLM_F_MULTI);
	struct ifaddrmsg *ifa = nlmsg_data(h);
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = (uint8_t)num(slash + 1, family == AF_INET ? 32 : 128);
	ifa->ifa_flags = IFA_F_PERMANENT;
	/* the kernel gives IPv6 link-local addresses link scope */
	ifa->ifa_scope = family == AF_INET6 && bin[0] == 0xfe && (bin[1] & 0xc0) == 0x80 ? RT_SCOPE_LINK
										      : RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	size_t alen = family == AF_INET ? 4 : 16;
	PUT(m, IFA_ADDRESS, alen, bin);
	if (family == AF_INET)
		PUT(m, IFA_LOCAL, alen, bin);
	put_u32(m, IFA_FLAGS, IFA_F_PERMANENT);
	return m;
}

static void emit(FILE *out, struct nl_msg *m)
{
	struct nlmsghdr *h = nlmsg_hdr(m);
	if (fwrite(h, 1, h->nlmsg_len, out) != h->nlmsg_len)
		die("write failed");
	nlmsg_free(m);
}

static int split(char *line, char **tok, int max)
{
	int n = 0;
	for (char *s = strtok(line, " \t\r\n"); s && n < max; s = strtok(NULL, " \t\r\n"))
		tok[n++] = s;
	return n;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: mknlmsg SPEC OUT\n");
		return 2;
	}
	specname = argv[1];
	_cleanup_fclose_ FILE *in = fopen(argv[1], "re");
	if (!in)
		die("cannot open: %s", strerror(errno));
	_cleanup_free_ char *tmp = xasprintf("%s.tmp", argv[2]);
	FILE *out = fopen(tmp, "we");
	if (!out)
		die("cannot create %s: %s", tmp, strerror(errno));
	struct linkspec l = { 0 };
	bool open_link = false;
	char line[1024], *tok[32];
	while (fgets(line, sizeof(line), in)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		int n = split(line, tok, 32);
		if (n == 0)
			continue;
		if (streq(tok[0], "link")) {
			if (open_link)
				emit(out, build_link(&l));
			free(l.vfs);
			free((char *)l.defect);
			link_init(&l, tok, n);
			open_link = true;
		} else if (streq(tok[0], "vf") || streq(tok[0], "port")) {
			if (!open_link)
				die("'%s' before any 'link'", tok[0]);
			vf_line(&l, tok, n, streq(tok[0], "port"));
		} else if (streq(tok[0], "addr")) {
			emit(out, build_addr(tok, n));
		} else
			die("unknown directive '%s'", tok[0]);
	}
	if (open_link)
		emit(out, build_link(&l));
	free(l.vfs);
	free((char *)l.defect);
	if (fclose(out) != 0 || rename(tmp, argv[2]) != 0)
		die("cannot write %s: %s", argv[2], strerror(errno));
	return 0;
}
