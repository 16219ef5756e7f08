/* SPDX-License-Identifier: MIT */
/* The netlink parser over kernel-layout replies (tests/fixtures/netlink, made by mknlmsg), the
 * wrap included, plus broken and mutated messages, the file reader and the live socket. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <linux/rtnetlink.h>

#include "netlink.h"
#include "util.h"

struct blob {
	char *data;
	size_t len;
};

static struct blob load(const char *name)
{
	struct blob b;
	_cleanup_free_ char *path = xasprintf("tests/fixtures/netlink/%s.bin", name);
	assert_int_equal(read_full_file(path, &b.data, &b.len, 1 << 24), 0);
	return b;
}

struct expect {
	const char *file;
	uint32_t num_vf, listed, bytes, limit;
	bool truncated;
};

/* Linux 6.1 (docs/design.md, 'The netlink limit'): 296 bytes per VF with stats, 196 without;
 * the size without stats is measured on every reply, those without stats included (where it is
 * the size itself), and on vfs222, where no entry survives the wrap. */
static const struct expect table[] = {
	{ "vfs4", 4, 4, 296, 221, false },        { "vfs64", 64, 64, 296, 221, false },
	{ "vfs220", 220, 220, 296, 221, false },  { "vfs221", 221, 221, 296, 221, false },
	{ "vfs222", 222, 0, 296, 221, true },     { "vfs230", 230, 8, 296, 221, true },
	{ "vfs256", 256, 34, 296, 221, true },    { "vfs512", 512, 69, 296, 221, true },
	{ "skipstats334", 334, 334, 196, 334, false }, { "skipstats400", 400, 65, 196, 334, true },
};

static void test_counts(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		const struct expect *e = &table[i];
		struct blob b = load(e->file);
		struct vf_nl_link l;
		char *err = NULL;
		assert_int_equal(vf_nl_parse_link(b.data, b.len, &l, &err), 0);
		assert_null(err);
		assert_string_equal(l.ifname, "ens1f0");
		assert_int_equal(l.ifindex, 4);
		assert_true(l.nl.valid && l.nl.has_vfinfo && !l.nl.has_ports);
		assert_int_equal(l.nl.num_vf, e->num_vf);
		assert_int_equal(l.nl.listed, e->listed);
		assert_int_equal(l.nl.bytes_per_vf, e->bytes);
		assert_int_equal(l.nl.limit, e->limit);
		assert_int_equal(l.nl.bytes_per_vf_no_stats, 196);
		assert_int_equal(l.nl.limit_no_stats, 334);
		assert_int_equal(l.nl.truncated, e->truncated);
		assert_int_equal(l.n_vfs, e->listed);
		for (size_t k = 0; k < l.n_vfs; k++)
			assert_int_equal(l.vfs[k].index, (int)k);
		vf_nl_link_clear(&l);
		free(b.data);
	}
}

static void test_vf_values(void **state)
{
	struct blob b = load("vfs256");
	struct vf_nl_link l;
	assert_int_equal(vf_nl_parse_link(b.data, b.len, &l, NULL), 0);
	const struct vf_vf *v1 = &l.vfs[1], *v3 = &l.vfs[3], *v0 = &l.vfs[0];
	assert_string_equal(v1->mac, "52:54:00:00:01:01");
	assert_int_equal(v1->vlan, 100);
	assert_int_equal(v1->qos, 3);
	assert_int_equal(v1->trust, 1);
	assert_int_equal(v1->spoofchk, 0);
	assert_int_equal(v1->link_state, 1);
	assert_string_equal(v3->mac, "52:54:00:00:01:03");
	assert_string_equal(v0->mac, "00:00:00:00:00:00");
	assert_int_equal(v0->vlan, 0);
	assert_int_equal(v0->spoofchk, 1);
	assert_int_equal(v0->trust, 0);
	vf_nl_link_clear(&l);
	free(b.data);
}

/* IFLA_VF_RATE gives both rates (0 included: a clean VF); without it, IFLA_VF_TX_RATE the
 * maximum alone; without either, both unknown. */
static void test_rates(void **state)
{
	struct blob b = load("vfs4");
	struct vf_nl_link l;
	assert_int_equal(vf_nl_parse_link(b.data, b.len, &l, NULL), 0);
	assert_int_equal(l.vfs[0].min_tx_rate, 0);
	assert_int_equal(l.vfs[0].max_tx_rate, 0);
	assert_int_equal(l.vfs[3].min_tx_rate, 100);
	assert_int_equal(l.vfs[3].max_tx_rate, 1000);
	vf_nl_link_clear(&l);
	/* retype VF 3's IFLA_VF_RATE (a type nobody knows is skipped), then its TX_RATE too */
	for (int pass = 0; pass < 2; pass++) {
		uint16_t victim = pass == 0 ? IFLA_VF_RATE : IFLA_VF_TX_RATE;
		size_t hits = 0;
		for (size_t off = 0; off + 16 <= b.len; off += 4) {
			struct nlattr *a = (struct nlattr *)(b.data + off);
			uint32_t vf;
			memcpy(&vf, b.data + off + NLA_HDRLEN, sizeof(vf));
			if (a->nla_type == victim && vf == 3 &&
			    a->nla_len == NLA_HDRLEN + (victim == IFLA_VF_RATE ? sizeof(struct ifla_vf_rate)
									 : sizeof(struct ifla_vf_tx_rate))) {
				a->nla_type = 0x3ff0;
				hits++;
			}
		}
		assert_int_equal(hits, 1);
		assert_int_equal(vf_nl_parse_link(b.data, b.len, &l, NULL), 0);
		assert_int_equal(l.vfs[3].min_tx_rate, UNKNOWN);
		assert_int_equal(l.vfs[3].max_tx_rate, pass == 0 ? 1000 : UNKNOWN);
		assert_int_equal(l.vfs[2].max_tx_rate, 0);
		vf_nl_link_clear(&l);
	}
	free(b.data);
}

static void expect_error(const char *name, const char *needle)
{
	struct blob b = load(name);
	struct vf_nl_link l;
	char *err = NULL;
	assert_int_equal(vf_nl_parse_link(b.data, b.len, &l, &err), -EBADMSG);
	assert_non_null(err);
	if (!strstr(err, needle))
		fail_msg("'%s' does not contain '%s'", err, needle);
	free(err);
	free(b.data);
}

static void test_zero_length_attributes(void **state)
{
	expect_error("bad-numvf-zero", "IFLA_NUM_VF at offset");
	expect_error("bad-vfmac-zero", "IFLA_VF_INFO #0: attribute type 1 of 0 bytes, need 36");
}

/* Every prefix of a valid reply is an error (nlmsg_len then overruns) and never a crash. */
static void test_truncations(void **state)
{
	struct blob b = load("vfs4");
	for (size_t len = 0; len < b.len; len++) {
		struct vf_nl_link l;
		char *err = NULL;
		_cleanup_free_ char *copy = xmalloc(len + 1);
		memcpy(copy, b.data, len);
		assert_true(vf_nl_parse_link(copy, len, &l, &err) < 0);
		assert_non_null(err);
		free(err);
	}
	free(b.data);
}

/* The same prefixes with nlmsg_len set to match: attributes are then cut anywhere. */
static void test_consistent_truncations(void **state)
{
	struct blob b = load("vfs256");
	for (size_t len = 16; len < b.len; len += 7) {
		struct vf_nl_link l;
		char *err = NULL;
		_cleanup_free_ char *copy = xmalloc(len);
		memcpy(copy, b.data, len);
		((struct nlmsghdr *)copy)->nlmsg_len = (uint32_t)len;
		if (vf_nl_parse_link(copy, len, &l, &err) == 0)
			vf_nl_link_clear(&l);
		free(err);
	}
	free(b.data);
}

/* Deterministic random byte flips: every outcome is a parse or a clean error. */
static void test_mutations(void **state)
{
	const char *names[] = { "vfs64", "vfs256", "vfs222" };
	uint32_t seed = 12345;
	for (size_t f = 0; f < ARRAY_SIZE(names); f++) {
		struct blob b = load(names[f]);
		for (int iter = 0; iter < 300; iter++) {
			_cleanup_free_ char *copy = xmalloc(b.len);
			memcpy(copy, b.data, b.len);
			for (int k = 0; k < 4; k++) {
				seed = seed * 1103515245u + 12345u;
				size_t at = 16 + (seed >> 8) % (b.len - 16);
				copy[at] = (char)(seed >> 24);
			}
			struct vf_nl_link l;
			char *err = NULL;
			if (vf_nl_parse_link(copy, b.len, &l, &err) == 0)
				vf_nl_link_clear(&l);
			free(err);
		}
		free(b.data);
	}
}

static void test_kernel_error_message(void **state)
{
	struct {
		struct nlmsghdr h;
		struct nlmsgerr e;
	} msg = { .h = { .nlmsg_len = sizeof(msg), .nlmsg_type = NLMSG_ERROR }, .e = { .error = -ENODEV } };
	struct vf_nl_link l;
	char *err = NULL;
	assert_int_equal(vf_nl_parse_link(&msg, sizeof(msg), &l, &err), -ENODEV);
	assert_non_null(strstr(err, "No such device"));
	free(err);
}

static void test_not_newlink(void **state)
{
	struct nlmsghdr h = { .nlmsg_len = sizeof(h), .nlmsg_type = RTM_NEWADDR };
	struct vf_nl_link l;
	char *err = NULL;
	assert_int_equal(vf_nl_parse_link(&h, sizeof(h), &l, &err), -EBADMSG);
	assert_non_null(strstr(err, "not RTM_NEWLINK"));
	free(err);
}

/* Found by tests/fuzz (fuzz_netlink, tests/fuzz/regressions/netlink): a VF list whose
 * IFLA_NUM_VF libnl does not see (its type has NLA_F_NET_BYTEORDER set, or any other type) left
 * libnl without a VF list, and rtnl_link_vf_get() dereferenced it: a SEGV. Now no VF is read. */
static void test_vfinfo_without_num_vf(void **state)
{
	static const uint16_t types[] = { IFLA_NUM_VF | 0x4100, 0x4000 | 0x115, 0x3fff };
	for (size_t t = 0; t < ARRAY_SIZE(types); t++) {
		struct blob b = load("vfs4");
		size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ifinfomsg));
		bool found = false;
		while (off + sizeof(struct rtattr) <= b.len) {
			struct rtattr *a = (struct rtattr *)(b.data + off);
			if (a->rta_len < sizeof(*a))
				break;
			if (a->rta_type == IFLA_NUM_VF) {
				a->rta_type = types[t];
				found = true;
				break;
			}
			off += RTA_ALIGN(a->rta_len);
		}
		assert_true(found);
		struct vf_nl_link l;
		char *err = NULL;
		int r = vf_nl_parse_link(b.data, b.len, &l, &err);
		if (r == 0) {
			assert_true(l.n_vfs <= l.nl.listed);
			vf_nl_link_clear(&l);
		} else {
			assert_int_equal(r, -EBADMSG);
		}
		free(err);
		free(b.data);
	}
	/* the fuzzer's own input (vfs64 with IFLA_NUM_VF's type 0x4115) */
	_cleanup_free_ char *data = NULL;
	size_t len;
	assert_int_equal(read_full_file("tests/fuzz/regressions/netlink/vfinfo-without-num-vf.bin", &data,
					&len, 1 << 24), 0);
	struct vf_nl_link l;
	char *err = NULL;
	if (vf_nl_parse_link(data, len, &l, &err) == 0)
		vf_nl_link_clear(&l);
	free(err);
}

/* Found by tests/fuzz (regressions/netlink/huge-num-vf-timeout.bin): an IFLA_NUM_VF of about
 * 2^32 whose listed VFs carry numbers no lookup finds made extract_vfs() ask libnl for every
 * number up to it (minutes), and the file reader then grew a PF of unknown VF count to it (out
 * of memory). A PCI function has at most 65535 VFs: a larger count is refused at once. */
static void test_huge_num_vf(void **state)
{
	struct blob b = load("vfs4");
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ifinfomsg));
	int macs = 0;
	bool num = false;
	while (off + sizeof(struct rtattr) <= b.len) {
		struct rtattr *a = (struct rtattr *)(b.data + off);
		if (a->rta_len < sizeof(*a))
			break;
		if (a->rta_type == IFLA_NUM_VF) {
			uint32_t huge = 0xfffffff0u;
			memcpy(RTA_DATA(a), &huge, sizeof(huge));
			num = true;
		} else if (a->rta_type == IFLA_VFINFO_LIST) {
			struct rtattr *e;
			int rem = (int)RTA_PAYLOAD(a);
			for (e = RTA_DATA(a); RTA_OK(e, rem); e = RTA_NEXT(e, rem)) {
				struct rtattr *v;
				int vrem = (int)RTA_PAYLOAD(e);
				for (v = RTA_DATA(e); RTA_OK(v, vrem); v = RTA_NEXT(v, vrem))
					if (v->rta_type == IFLA_VF_MAC) {
						uint32_t n = 0xffff0000u + (uint32_t)macs++;
						memcpy(RTA_DATA(v), &n, sizeof(n));
					}
			}
		}
		off += RTA_ALIGN(a->rta_len);
	}
	assert_true(num);
	assert_int_equal(macs, 4);
	struct vf_nl_link l;
	char *err = NULL;
	assert_int_equal(vf_nl_parse_link(b.data, b.len, &l, &err), -EBADMSG);
	assert_non_null(strstr(err, "4294967280 VFs, more than the 65535 a PCI function can have"));
	free(err);
	free(b.data);
}

/* Found by tests/fuzz (CI, fuzz_netlink): a port entry for a VF that the wrapped VF info list
 * does not reach was appended to an array sized for the listed VFs only (65 here), past its end:
 * a heap overflow. The spec is the shape an enic-like driver with 400 VFs would send. */
static void test_port_past_listed_vfs(void **state)
{
	struct blob b = load("ports-past-limit");
	struct vf_nl_link l;
	char *err = NULL;
	assert_int_equal(vf_nl_parse_link(b.data, b.len, &l, &err), 0);
	assert_null(err);
	assert_true(l.nl.has_vfinfo && l.nl.has_ports && l.nl.truncated);
	assert_int_equal(l.nl.num_vf, 400);
	assert_int_equal(l.nl.listed, 65);
	assert_int_equal(l.n_vfs, 66);
	const struct vf_vf *last = &l.vfs[65];
	assert_int_equal(last->index, 100);
	assert_string_equal(last->port_profile, "prof-100");
	for (size_t i = 0; i < 65; i++)
		assert_int_equal(l.vfs[i].index, (int)i);
	vf_nl_link_clear(&l);
	free(b.data);
}

static struct vf_host *host_with_pf(const char *name, int ifindex, int numvfs)
{
	struct vf_host *h = vf_host_new();
	struct vf_pf *pf = vf_host_add_pf(h, name);
	pf->ifindex = ifindex;
	pf->numvfs = numvfs;
	if (numvfs > 0)
		vf_pf_set_vfs(pf, (size_t)numvfs);
	return h;
}

static void test_file_reader_merges(void **state)
{
	_cleanup_host_ struct vf_host *h = host_with_pf("ens1f0", 4, 256);
	assert_int_equal(vf_netlink_read(h, "tests/fixtures/netlink/vfs256.bin", NULL), 0);
	assert_int_equal(h->n_errors, 0);
	const struct vf_pf *pf = &h->pfs[0];
	assert_true(pf->nl.valid && pf->nl.truncated);
	assert_int_equal(pf->nl.listed, 34);
	assert_true(pf->vfs[33].listed);
	assert_false(pf->vfs[34].listed);
	assert_string_equal(pf->vfs[1].mac, "52:54:00:00:01:01");
	assert_int_equal(pf->vfs[1].vlan, 100);
}

static void test_file_reader_mismatch_and_missing(void **state)
{
	_cleanup_host_ struct vf_host *h = host_with_pf("ens1f0", 4, 60);
	vf_host_add_pf(h, "ens9f9");
	assert_int_equal(vf_netlink_read(h, "tests/fixtures/netlink/vfs64.bin", NULL), 0);
	assert_int_equal(h->n_errors, 2);
	assert_non_null(strstr(h->errors[0].message, "IFLA_NUM_VF 64 differs from sriov_numvfs 60"));
	assert_non_null(strstr(h->errors[1].message, "no RTM_NEWLINK for ens9f9"));
	assert_false(h->pfs[1].nl.valid);
}

/* The fuzz input of test_huge_num_vf through the file reader, for a PF whose sriov_numvfs was
 * unreadable: one error naming the count, and no VF array grown to it (that aborted). */
static void test_file_reader_huge_num_vf(void **state)
{
	_cleanup_host_ struct vf_host *h = host_with_pf("ens1f0", 4, UNKNOWN);
	assert_int_equal(vf_netlink_read(h, "tests/fuzz/regressions/netlink/huge-num-vf-timeout.bin", NULL), 0);
	assert_int_equal(h->pfs[0].n_vfs, 0);
	assert_false(h->pfs[0].nl.valid);
	assert_true(h->n_errors >= 1);
	assert_non_null(strstr(h->errors[0].message, "VFs, more than the 65535 a PCI function can have"));
}

/* The live path on the real kernel: loopback has no parent device, so no IFLA_NUM_VF at all.
 * Exactly one error, for the missing link: no stray ACK or earlier reply may be taken for an
 * answer (libnl asks for ACKs by default; the kernel rig caught that). */
static void test_live_loopback(void **state)
{
	_cleanup_host_ struct vf_host *h = host_with_pf("lo", 1, 0);
	vf_host_add_pf(h, "nosuch0");
	vf_host_add_pf(h, "lo");
	assert_int_equal(vf_netlink_read(h, NULL, NULL), 0);
	assert_true(h->pfs[0].nl.valid);
	assert_int_equal(h->pfs[0].nl.num_vf, 0);
	assert_false(h->pfs[1].nl.valid);
	assert_true(h->pfs[2].nl.valid);
	assert_int_equal(h->n_errors, 1);
	assert_non_null(strstr(h->errors[0].message, "nosuch0"));
	assert_non_null(strstr(h->errors[0].message, "No such device"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_vf_values),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_zero_length_attributes),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_consistent_truncations),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_kernel_error_message),
		cmocka_unit_test(test_not_newlink),
		cmocka_unit_test(test_vfinfo_without_num_vf),
		cmocka_unit_test(test_huge_num_vf),
		cmocka_unit_test(test_port_past_listed_vfs),
		cmocka_unit_test(test_file_reader_merges),
		cmocka_unit_test(test_file_reader_mismatch_and_missing),
		cmocka_unit_test(test_file_reader_huge_num_vf),
		cmocka_unit_test(test_live_loopback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
