/* SPDX-License-Identifier: MIT */
/* The sysfs reader over small trees the test builds in a temporary directory: path resolution,
 * bad attributes, link and carrier, extra and missing virtfn links, symlinked steps, IOMMU groups,
 * the macvtap class; each with openat2 and without. Run from the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture-dirs.h"
#include "sysfs-helpers.h"

#define TMP_TEMPLATE "/tmp/vfcap-test-sysfs.XXXXXX"
static char tmproot[sizeof(TMP_TEMPLATE)];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup_tmp(void **state)
{
	memcpy(tmproot, TMP_TEMPLATE, sizeof(TMP_TEMPLATE));
	return mkdtemp(tmproot) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	return nftw(tmproot, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void mkparents(char *path)
{
	for (char *p = path + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
}

static void put(const char *rel, const char *text)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", tmproot, rel);
	mkparents(path);
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
}

static void ln(const char *rel, const char *target)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", tmproot, rel);
	mkparents(path);
	(void)unlink(path);
	assert_int_equal(symlink(target, path), 0);
}

/* A PF p0 at devices/d/p0dev and a VF function 0000:01:00.1 that no virtfn links to yet. */
static void mk_tree(const char *numvfs)
{
	ln("class/net/p0", "../../devices/d/p0dev/net/p0");
	put("devices/d/p0dev/net/p0/ifindex", "7\n");
	ln("devices/d/p0dev/net/p0/device", "../../../p0dev");
	put("devices/d/p0dev/sriov_numvfs", numvfs);
	put("devices/d/p0dev/sriov_totalvfs", "8\n");
	put("devices/d/0000:01:00.1/vendor", "0x8086\n");
}

static void test_resolve(void **state)
{
	mk_tree("1\n");
	ln("loop/a", "b");
	ln("loop/b", "a");
	ln("abs", "/tmp");
	ln("up", "../x");
	char *ret = NULL;
	assert_int_equal(vf_sysfs_resolve(tmproot, "class/net/p0/device/sriov_numvfs", &ret), 0);
	assert_str(ret, "devices/d/p0dev/sriov_numvfs");
	free(ret);
	assert_int_equal(vf_sysfs_resolve(tmproot, "./class//net/p0/../p0/", &ret), 0);
	assert_str(ret, "devices/d/p0dev/net/p0");
	free(ret);
	assert_int_equal(vf_sysfs_resolve(tmproot, "", &ret), 0);
	assert_str(ret, "");
	free(ret);
	ret = NULL;
	assert_int_equal(vf_sysfs_resolve(tmproot, "loop/a", &ret), -ELOOP);
	assert_int_equal(vf_sysfs_resolve(tmproot, "abs", &ret), -EXDEV);
	assert_int_equal(vf_sysfs_resolve(tmproot, "up", &ret), -EXDEV);
	assert_int_equal(vf_sysfs_resolve(tmproot, "..", &ret), -EXDEV);
	assert_int_equal(vf_sysfs_resolve(tmproot, "nope/x", &ret), -ENOENT);
	assert_int_equal(vf_sysfs_resolve(tmproot, "devices/d/p0dev/sriov_numvfs/x", &ret),
			 -ENOTDIR);
	assert_null(ret);
}

/* Malformed optional attributes are errors naming the file; the rest of the PF is still read. */
static void test_bad_attributes(void **state)
{
	mk_tree("0\n");
	put("devices/d/p0dev/vendor", "8086\n");
	put("devices/d/p0dev/device", "0x10fb0\n");
	put("devices/d/p0dev/numa_node", "node0\n");
	put("devices/d/p0dev/sriov_totalvfs", "lots\n");
	put("class/dmi/id/product_uuid", "\n");
	_cleanup_host_ struct vf_host *h = read_tree(tmproot, NULL, NULL);
	assert_pf_names(h, (const char *[]){ "p0", NULL });
	assert_null(h->pfs[0].pci_address); /* p0dev is no PCI address */
	assert_null(h->pfs[0].vendor_id);
	assert_null(h->pfs[0].device_id);
	assert_null(h->pfs[0].driver);
	assert_int_equal(h->pfs[0].numa_node, -1);
	assert_int_equal(h->pfs[0].totalvfs, UNKNOWN);
	assert_int_equal(h->pfs[0].numvfs, 0);
	static const char *const want[] = {
		"devices/d/p0dev/vendor: not a PCI id: '8086'",
		"devices/d/p0dev/device: not a PCI id: '0x10fb0'",
		"devices/d/p0dev/numa_node: not a number: 'node0'",
		"devices/d/p0dev/sriov_totalvfs: not a number: 'lots'",
	};
	assert_int_equal(h->n_errors, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		_cleanup_free_ char *msg = xasprintf("%s/%s", tmproot, want[i]);
		assert_str(h->errors[i].message, msg);
		assert_str(h->errors[i].object, "p0");
	}
	assert_host_uuid(tmproot, NULL); /* empty product_uuid: no identity */
}

/* carrier and link_ok (lib/sysfs.c): operstate up carries traffic; unknown (a driver that does
 * not track it) only with carrier 1; down never. carrier missing or unreadable is unknown, with
 * no error (operstate decides first). (EINVAL, the kernel's answer while the netdev is admin
 * down, cannot be made with files: the kernel rig checks it, tests/kernel/check-igb.py.) */
static void test_carrier_and_link(void **state)
{
	static const struct {
		const char *operstate, *carrier; /* NULL: no such file; "/": a directory */
		int want_carrier;
		bool want_ok;
	} cases[] = {
		{ "up\n", "1\n", 1, true },       { "up\n", NULL, UNKNOWN, true },
		{ "unknown\n", "1\n", 1, true },  { "unknown\n", "0\n", 0, false },
		{ "unknown\n", NULL, UNKNOWN, false }, { "down\n", "1\n", 1, false },
		{ "lowerlayerdown\n", "0\n", 0, false }, { NULL, "1\n", 1, true },
		{ "unknown\n", "2\n", UNKNOWN, false }, { "unknown\n", "/", UNKNOWN, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(teardown_tmp(state), 0);
		assert_int_equal(setup_tmp(state), 0);
		mk_tree("0\n");
		if (cases[i].operstate)
			put("devices/d/p0dev/net/p0/operstate", cases[i].operstate);
		if (cases[i].carrier && streq(cases[i].carrier, "/"))
			put("devices/d/p0dev/net/p0/carrier/x", "1\n");
		else if (cases[i].carrier)
			put("devices/d/p0dev/net/p0/carrier", cases[i].carrier);
		_cleanup_host_ struct vf_host *h = read_tree(tmproot, NULL, NULL);
		assert_pf_names(h, (const char *[]){ "p0", NULL });
		if (h->pfs[0].carrier != cases[i].want_carrier || h->pfs[0].link_ok != cases[i].want_ok)
			fail_msg("case %zu (operstate %s, carrier %s): carrier %d link_ok %d, want %d %d", i,
				 cases[i].operstate, cases[i].carrier, h->pfs[0].carrier, h->pfs[0].link_ok,
				 cases[i].want_carrier, cases[i].want_ok);
		assert_no_errors(h);
	}
}

/* virtfn links past numvfs are stale and ignored; a missing link among present ones is not. */
static void test_virtfn_extra_and_missing(void **state)
{
	mk_tree("1\n");
	ln("devices/d/p0dev/virtfn0", "../0000:01:00.1");
	ln("devices/d/p0dev/virtfn1", "../nowhere");
	_cleanup_host_ struct vf_host *h = read_tree(tmproot, NULL, NULL);
	assert_no_errors(h);
	assert_int_equal(h->pfs[0].n_vfs, 1);
	assert_str(h->pfs[0].vfs[0].pci_address, "0000:01:00.1");
	assert_null(h->pfs[0].vfs[0].driver);

	put("devices/d/p0dev/sriov_numvfs", "4\n");
	ln("devices/d/p0dev/virtfn1", "../0000:01:00.1/vendor");
	ln("devices/d/p0dev/virtfn2", "../0000:01:00.1");
	_cleanup_host_ struct vf_host *h2 = read_tree(tmproot, NULL, NULL);
	assert_int_equal(h2->pfs[0].n_vfs, 4);
	assert_int_equal(h2->n_errors, 2);
	_cleanup_free_ char *want1 =
		xasprintf("%s/devices/d/p0dev/virtfn1: link to "
			  "'devices/d/0000:01:00.1/vendor' is not a PCI function",
			  tmproot);
	_cleanup_free_ char *want3 = xasprintf("%s/devices/d/p0dev/virtfn3: %s", tmproot,
					       "missing (other VFs have their link)");
	assert_str(h2->errors[0].message, want1);
	assert_str(h2->errors[1].message, want3);
	for (int i = 0; i < 4; i++)
		assert_int_equal(h2->pfs[0].vfs[i].broken, i == 1 || i == 3);
	assert_null(h2->pfs[0].vfs[3].pci_address);
}

/* Steps the fast path takes in one syscall, made symlinks here (sibling function, net/, the
 * netdev dir, an attribute): the resolver takes over and the answers are its own, escapes
 * included. */
static void test_symlinked_steps(void **state)
{
	mk_tree("5\n");
	/* VF 0: virtfn0 -> ../vf0 -> 0000:01:00.1, whose net/ is a link */
	ln("devices/d/p0dev/virtfn0", "../vf0");
	ln("devices/d/vf0", "0000:01:00.1");
	ln("devices/d/0000:01:00.1/net", "netreal");
	put("devices/d/0000:01:00.1/netreal/eth0/ifindex", "11\n");
	/* VF 1: net/eth1 is a link, and so is its ifindex */
	ln("devices/d/p0dev/virtfn1", "../0000:01:00.2");
	ln("devices/d/0000:01:00.2/net/eth1", "../eth1dir");
	ln("devices/d/0000:01:00.2/eth1dir/ifindex", "ifindex.real");
	put("devices/d/0000:01:00.2/eth1dir/ifindex.real", "12\n");
	ln("devices/d/0000:01:00.2/eth1dir/master", "../../bond9");
	/* VF 2: its ifindex names the real /; VF 3 is a file; VF 4's net/ is the real /etc */
	ln("devices/d/p0dev/virtfn2", "../0000:01:00.4");
	ln("devices/d/0000:01:00.4/net/eth2/ifindex", "/etc/hostname");
	ln("devices/d/p0dev/virtfn3", "../0000:01:00.5");
	put("devices/d/0000:01:00.5", "not a directory\n");
	ln("devices/d/p0dev/virtfn4", "../0000:01:00.6");
	ln("devices/d/0000:01:00.6/net", "/etc");

	_cleanup_host_ struct vf_host *h = read_tree(tmproot, NULL, NULL);
	const struct vf_vf *v = h->pfs[0].vfs;
	assert_int_equal(h->pfs[0].n_vfs, 5);
	assert_vf(&v[0], &(struct vf_want){ "0000:01:00.1", NULL, "eth0", NULL, NULL, 11 });
	assert_vf(&v[1], &(struct vf_want){ "0000:01:00.2", NULL, "eth1", "bond9", NULL, 12 });
	assert_str(v[2].netdev, "eth2");
	assert_int_equal(v[2].ifindex, 0);
	/* a VF "directory" that is a file, a net/ that leaves the root: broken, never free */
	assert_str(v[3].pci_address, "0000:01:00.5");
	assert_null(v[3].netdev);
	assert_str(v[4].pci_address, "0000:01:00.6");
	assert_null(v[4].netdev);
	assert_true(v[2].broken && v[3].broken && v[4].broken);
	assert_int_equal(h->n_errors, 3);
	assert_non_null(strstr(h->errors[0].message, "0000:01:00.4/net/eth2/ifindex: cannot resolve: Invalid cross-device link"));
	assert_non_null(strstr(h->errors[1].message, "0000:01:00.5: not a directory"));
	assert_non_null(strstr(h->errors[2].message, "0000:01:00.6: net: cannot be read: Invalid cross-device link"));
}

/* A VF's IOMMU group and how many devices it holds: VFs 0, 1 and 3 share group 7 with the PF,
 * VF 2 (read between them) is alone in group 8, VF 4 has none (no IOMMU). With `others` groups
 * of other devices beside them (5 VFs, fewer than half of 22 groups) each VF's own group is
 * read; without, the links (lib/sysfs-iommu.c). Every way, forced (VFCAP_IOMMU_READ), gives
 * the same answers; so do the links without bus/pci/devices (then the table). One device's
 * bus link is not the kernel's plain "../../../devices/..." and goes through the resolver. */
static void iommu_groups(int others, bool bus)
{
	mk_tree("5\n");
	static const char *const addr[] = { "0000:01:00.1", "0000:01:00.2", "0000:01:00.3", "0000:01:00.4",
					     "0000:01:00.5" };
	static const int group[] = { 7, 7, 8, 7, -1 };
	ln("kernel/iommu_groups/7/devices/p0dev", "../../../../devices/d/p0dev");
	ln("devices/d/p0dev/iommu_group", "../../../kernel/iommu_groups/7");
	if (bus)
		ln("bus/pci/devices/p0dev", "../../../devices/d/p0dev");
	for (int i = 0; i < others; i++) {
		_cleanup_free_ char *dl = xasprintf("kernel/iommu_groups/%d/devices/0000:80:00.%d", 100 + i, i);
		_cleanup_free_ char *dt = xasprintf("../../../../devices/d/0000:80:00.%d", i);
		_cleanup_free_ char *gl = xasprintf("devices/d/0000:80:00.%d/iommu_group", i);
		_cleanup_free_ char *gt = xasprintf("../../../kernel/iommu_groups/%d", 100 + i);
		_cleanup_free_ char *bl = xasprintf("bus/pci/devices/0000:80:00.%d", i);
		_cleanup_free_ char *bt = xasprintf("../../../devices/%sd/0000:80:00.%d", i ? "" : "./", i);
		ln(dl, dt);
		ln(gl, gt);
		if (bus)
			ln(bl, bt);
	}
	for (int i = 0; i < 5; i++) {
		_cleanup_free_ char *fn = xasprintf("devices/d/p0dev/virtfn%d", i);
		_cleanup_free_ char *to = xasprintf("../%s", addr[i]);
		_cleanup_free_ char *vendor = xasprintf("devices/d/%s/vendor", addr[i]);
		_cleanup_free_ char *bl = xasprintf("bus/pci/devices/%s", addr[i]);
		_cleanup_free_ char *bt = xasprintf("../../../devices/d/%s", addr[i]);
		ln(fn, to);
		put(vendor, "0x8086\n");
		if (bus)
			ln(bl, bt);
		if (group[i] < 0)
			continue;
		_cleanup_free_ char *gl = xasprintf("devices/d/%s/iommu_group", addr[i]);
		_cleanup_free_ char *gt = xasprintf("../../../kernel/iommu_groups/%d", group[i]);
		_cleanup_free_ char *dl = xasprintf("kernel/iommu_groups/%d/devices/%s", group[i], addr[i]);
		_cleanup_free_ char *dt = xasprintf("../../../../devices/d/%s", addr[i]);
		ln(gl, gt);
		ln(dl, dt);
	}
	static const char *const ways[] = { NULL, "each", "table", "links" };
	for (size_t w = 0; w < ARRAY_SIZE(ways); w++) {
		if (ways[w])
			setenv("VFCAP_IOMMU_READ", ways[w], 1);
		_cleanup_host_ struct vf_host *h = read_tree(tmproot, NULL, NULL);
		unsetenv("VFCAP_IOMMU_READ");
		const struct vf_vf *v = h->pfs[0].vfs;
		assert_int_equal(h->pfs[0].n_vfs, 5);
		assert_int_equal(h->n_errors, 0);
		static const int devices[] = { 4, 4, 1, 4, UNKNOWN };
		for (int i = 0; i < 5; i++) {
			assert_int_equal(v[i].iommu_group, group[i] < 0 ? UNKNOWN : group[i]);
			assert_int_equal(v[i].iommu_group_devices, devices[i]);
		}
	}
}

static void test_iommu_groups(void **state)
{
	iommu_groups(0, true);
}

static void test_iommu_groups_few_vfs(void **state)
{
	iommu_groups(20, true);
}

static void test_iommu_groups_no_bus(void **state)
{
	iommu_groups(20, false);
}

/* Every fixture host's VFs get the same IOMMU answers whichever way they are read. */
static void iommu_ways_agree(const char *parent, const char *name)
{
	_cleanup_free_ char *root = xasprintf("%s/%s/sysfs", parent, name);
	_cleanup_host_ struct vf_host *want = read_tree(root, NULL, NULL);
	static const char *const ways[] = { "each", "table", "links" };
	for (size_t w = 0; w < ARRAY_SIZE(ways); w++) {
		setenv("VFCAP_IOMMU_READ", ways[w], 1);
		_cleanup_host_ struct vf_host *h = read_tree(root, NULL, NULL);
		unsetenv("VFCAP_IOMMU_READ");
		assert_int_equal(h->n_pfs, want->n_pfs);
		for (size_t p = 0; p < h->n_pfs; p++) {
			assert_int_equal(h->pfs[p].n_vfs, want->pfs[p].n_vfs);
			for (size_t i = 0; i < h->pfs[p].n_vfs; i++) {
				const struct vf_vf *a = &h->pfs[p].vfs[i], *b = &want->pfs[p].vfs[i];
				if (a->iommu_group != b->iommu_group || a->iommu_group_devices != b->iommu_group_devices)
					fail_msg("%s, %s VF %zu: %s gives group %d of %d, the default %d of %d", root,
						 h->pfs[p].name, i, ways[w], a->iommu_group, a->iommu_group_devices,
						 b->iommu_group, b->iommu_group_devices);
			}
		}
	}
}

static void test_iommu_ways_fixtures(void **state)
{
	static const char *const parents[] = { "tests/fixtures/hosts" };
	assert_true(for_each_fixture_dir(parents, ARRAY_SIZE(parents), iommu_ways_agree) >= 8);
}

/* The kernel lists every macvtap in class/macvtap; only then can a VF have an upper_macvtap
 * link, and only then is it looked for. */
static void test_macvtap_class(void **state)
{
	mk_tree("1\n");
	ln("devices/d/p0dev/virtfn0", "../0000:01:00.1");
	put("devices/d/0000:01:00.1/net/eth0/ifindex", "11\n");
	ln("devices/d/0000:01:00.1/net/eth0/upper_macvtap3", "../../../../virtual/net/macvtap3");
	put("devices/virtual/net/macvtap3/ifindex", "30\n");
	_cleanup_host_ struct vf_host *h = read_tree(tmproot, NULL, NULL);
	assert_null(h->pfs[0].vfs[0].macvtap_upper); /* a tree the kernel does not make */

	put("devices/virtual/net/macvtap3/tap30/dev", "241:1\n");
	ln("class/macvtap/tap30", "../../devices/virtual/net/macvtap3/tap30");
	_cleanup_host_ struct vf_host *h2 = read_tree(tmproot, NULL, NULL);
	assert_no_errors(h2);
	assert_vf(&h2->pfs[0].vfs[0],
		  &(struct vf_want){ "0000:01:00.1", NULL, "eth0", NULL, "macvtap3", 11 });
}

static int setup_tmp_no_openat2(void **state)
{
	return no_openat2(state) ?: setup_tmp(state);
}

static int teardown_tmp_openat2_again(void **state)
{
	int r = teardown_tmp(state);
	return openat2_again(state) ?: r;
}

#define BOTH_TMP(t)                                                                                \
	cmocka_unit_test_setup_teardown(t, setup_tmp, teardown_tmp),                               \
		{ #t " (no openat2)", t, setup_tmp_no_openat2, teardown_tmp_openat2_again, NULL }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resolve, setup_tmp, teardown_tmp),
		BOTH_TMP(test_bad_attributes),
		BOTH_TMP(test_carrier_and_link),
		BOTH_TMP(test_virtfn_extra_and_missing),
		BOTH_TMP(test_symlinked_steps),
		BOTH_TMP(test_iommu_groups),
		BOTH_TMP(test_iommu_groups_few_vfs),
		BOTH_TMP(test_iommu_groups_no_bus),
		BOTH_TMP(test_macvtap_class),
		cmocka_unit_test(test_iommu_ways_fixtures),
	};
	return cmocka_run_group_tests_name("sysfs_tree", tests, NULL, NULL);
}
