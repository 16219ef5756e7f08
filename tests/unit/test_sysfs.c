/* SPDX-License-Identifier: MIT */
/* The sysfs reader over the fixture hosts (tests/fixtures/hosts), the odd trees
 * (tests/fixtures/bad) and small trees built here. Run from the repository root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "config.h"
#include "model.h"
#include "sysfs.h"
#include "util.h"
#include "fixture-dirs.h"

#define HOSTS "tests/fixtures/hosts/"
#define BAD "tests/fixtures/bad/"
#define IXGBE_PF "devices/pci0000:00/0000:00:02.0/0000:03:00.0"

/* NULL-safe string comparison with a readable failure. */
#define assert_str(got, want)                                                                      \
	do {                                                                                       \
		const char *_g = (got), *_w = (want);                                              \
		if (!streq_ptr(_g, _w))                                                            \
			fail_msg("%s: got '%s', want '%s'", #got, _g ? _g : "(null)",              \
				 _w ? _w : "(null)");                                              \
	} while (0)

static struct vf_host *read_tree(const char *root, const struct vf_config *cfg, char *const *only)
{
	struct vf_host *h = vf_host_new();
	int r = vf_sysfs_read(root, cfg, only, h);
	if (r < 0)
		fail_msg("vf_sysfs_read(%s): %s", root, strerror(-r));
	return h;
}

static void assert_no_errors(const struct vf_host *h)
{
	for (size_t i = 0; i < h->n_errors; i++)
		print_error("unexpected error: %s\n", h->errors[i].message);
	assert_int_equal(h->n_errors, 0);
}

/* PF names, in order, NULL-terminated. */
static void assert_pf_names(const struct vf_host *h, const char *const *names)
{
	size_t n = 0;
	for (; names[n]; n++) {
		assert_true(n < h->n_pfs);
		assert_str(h->pfs[n].name, names[n]);
	}
	assert_int_equal(h->n_pfs, n);
}

struct pf_want {
	const char *name, *pci, *driver, *vendor, *device, *link;
	int ifindex, numa, totalvfs, numvfs;
};

static void assert_pf(const struct vf_pf *pf, const struct pf_want *w)
{
	assert_str(pf->name, w->name);
	assert_str(pf->pci_address, w->pci);
	assert_str(pf->driver, w->driver);
	assert_str(pf->vendor_id, w->vendor);
	assert_str(pf->device_id, w->device);
	assert_str(pf->link_state, w->link);
	assert_int_equal(pf->ifindex, w->ifindex);
	assert_int_equal(pf->numa_node, w->numa);
	assert_int_equal(pf->totalvfs, w->totalvfs);
	assert_int_equal(pf->numvfs, w->numvfs);
	assert_int_equal(pf->n_vfs, w->numvfs == UNKNOWN ? 0 : (size_t)w->numvfs);
	assert_null(pf->physical_network); /* labels come from the config, not from sysfs */
	for (size_t i = 0; i < pf->n_vfs; i++)
		assert_int_equal(pf->vfs[i].index, (int)i);
}

struct vf_want {
	const char *pci, *driver, *netdev, *master, *macvtap;
	int ifindex;
};

static void assert_vf(const struct vf_vf *vf, const struct vf_want *w)
{
	assert_str(vf->pci_address, w->pci);
	assert_str(vf->driver, w->driver);
	assert_str(vf->netdev, w->netdev);
	assert_str(vf->master, w->master);
	assert_str(vf->macvtap_upper, w->macvtap);
	assert_int_equal(vf->ifindex, w->ifindex);
	assert_false(vf->broken);
	/* sysfs leaves the netlink and derived facts alone */
	assert_false(vf->listed);
	assert_int_equal(vf->state, VF_STATE_UNKNOWN);
	assert_null(vf->owner);
}

/* The PCI address of routing ID rid (bus << 8 | devfn), as the generator lays VFs out. */
static char *bdf(int rid)
{
	return xasprintf("0000:%02x:%02x.%x", rid >> 8, (rid >> 3) & 0x1f, rid & 7);
}

static void assert_host_uuid(const char *root, const char *want)
{
	_cleanup_free_ char *u = vf_sysfs_host_uuid(root);
	assert_str(u, want);
}

/* ---- fixture hosts ---- */

static void test_vic(void **state)
{
	_cleanup_host_ struct vf_host *h = read_tree(HOSTS "vic/sysfs", NULL, NULL);
	assert_no_errors(h);
	assert_pf_names(h, (const char *[]){ "enp7s0", "enp8s0", NULL });
	assert_pf(&h->pfs[0], &(struct pf_want){ "enp7s0", "0000:07:00.0", "enic", "0x1137",
						 "0x0043", "up", 2, 0, 16, 16 });
	assert_pf(&h->pfs[1], &(struct pf_want){ "enp8s0", "0000:08:00.0", "enic", "0x1137",
						 "0x0043", "up", 3, 0, 16, 8 });
	for (int p = 0; p < 2; p++) {
		const struct vf_pf *pf = &h->pfs[p];
		for (int i = 0; i < (int)pf->n_vfs; i++) {
			/* offset 1, stride 1: 07:00.1 .. 07:00.7, 07:01.0 ... */
			_cleanup_free_ char *pci = bdf((p ? 0x800 : 0x700) + 1 + i);
			_cleanup_free_ char *dev = xasprintf("%sv%d", pf->name, i);
			assert_vf(&pf->vfs[i], &(struct vf_want){ pci, "enic", dev, NULL, NULL,
								  (p ? 200 : 100) + i });
		}
	}
	assert_str(h->pfs[0].vfs[6].pci_address, "0000:07:00.7");
	assert_str(h->pfs[0].vfs[7].pci_address, "0000:07:01.0");
	assert_str(h->pfs[0].vfs[15].pci_address, "0000:07:02.0");
	/* upper case in the file, lower case out */
	assert_host_uuid(HOSTS "vic/sysfs", "c678e4e0-de0c-5525-99f7-efa17a74d7b4");
}

static void test_intel64(void **state)
{
	_cleanup_host_ struct vf_host *h = read_tree(HOSTS "intel64/sysfs", NULL, NULL);
	assert_no_errors(h);
	/* not eno1 (no SR-IOV), bond0, macvtap0, lo, nor the VF netdevs */
	assert_pf_names(h, (const char *[]){ "ens1f0", "ens1f1", NULL });
	assert_pf(&h->pfs[0], &(struct pf_want){ "ens1f0", "0000:03:00.0", "ixgbe", "0x8086",
						 "0x10fb", "up", 3, 0, 64, 64 });
	assert_pf(&h->pfs[1], &(struct pf_want){ "ens1f1", "0000:03:00.1", "ixgbe", "0x8086",
						 "0x10fb", "down", 4, 0, 64, 0 });
	const struct vf_pf *pf = &h->pfs[0];
	for (int i = 0; i < 64; i++) {
		_cleanup_free_ char *pci = bdf(0x380 + 2 * i); /* offset 0x80, stride 2 */
		_cleanup_free_ char *dev = xasprintf("ens1f0v%d", i);
		if (i < 8) {
			assert_vf(&pf->vfs[i],
				  &(struct vf_want){ pci, "vfio-pci", NULL, NULL, NULL, 0 });
			continue;
		}
		assert_vf(&pf->vfs[i],
			  &(struct vf_want){ pci, "ixgbevf", dev, i == 20 ? "bond0" : NULL,
					     i == 21 ? "macvtap0" : NULL, 100 + i });
	}
	assert_str(pf->vfs[0].pci_address, "0000:03:10.0");
	assert_str(pf->vfs[63].pci_address, "0000:03:1f.6");
	assert_host_uuid(HOSTS "intel64/sysfs", "e20954c6-9293-5bbe-88c8-633b2a190561");
}

static void test_wrap256(void **state)
{
	_cleanup_host_ struct vf_host *h = read_tree(HOSTS "wrap256/sysfs", NULL, NULL);
	assert_no_errors(h);
	assert_pf_names(h, (const char *[]){ "ens2f0", NULL });
	assert_pf(&h->pfs[0], &(struct pf_want){ "ens2f0", "0000:5e:00.0", "mlx5_core", "0x15b3",
						 "0x1017", "up", 2, 1, 256, 256 });
	for (int i = 0; i < 256; i++) {
		_cleanup_free_ char *pci = bdf(0x5e02 + i);
		assert_vf(&h->pfs[0].vfs[i],
			  &(struct vf_want){ pci, "vfio-pci", NULL, NULL, NULL, 0 });
	}
	/* the VFs run over into the next bus number */
	assert_str(h->pfs[0].vfs[255].pci_address, "0000:5f:00.1");
	assert_host_uuid(HOSTS "wrap256/sysfs", "d9825a8c-55de-5d26-a460-b7bce2e7f464");
}

static void test_wrap222(void **state)
{
	_cleanup_host_ struct vf_host *h = read_tree(HOSTS "wrap222/sysfs", NULL, NULL);
	assert_no_errors(h);
	assert_pf_names(h, (const char *[]){ "ens3f0", NULL });
	assert_pf(&h->pfs[0], &(struct pf_want){ "ens3f0", "0000:3b:00.0", "i40e", "0x8086",
						 "0x1572", "up", 2, 0, 256, 222 });
	for (int i = 0; i < 222; i++) {
		_cleanup_free_ char *pci = bdf(0x3b10 + i);
		_cleanup_free_ char *dev = xasprintf("ens3f0v%d", i);
		assert_vf(&h->pfs[0].vfs[i],
			  &(struct vf_want){ pci, "iavf", dev, NULL, NULL, 1000 + i });
	}
	assert_str(h->pfs[0].vfs[221].pci_address, "0000:3b:1d.5");
}

static void test_nosriov(void **state)
{
	_cleanup_host_ struct vf_host *h = read_tree(HOSTS "nosriov/sysfs", NULL, NULL);
	assert_no_errors(h);
	assert_int_equal(h->n_pfs, 0);
	assert_null(h->uuid); /* host identity is the caller's business */
	_cleanup_free_ char *u = vf_sysfs_host_uuid(HOSTS "nosriov/sysfs");
	assert_non_null(u);
	assert_int_equal(strlen(u), 36);
}

/* Every fixture host's vfcap.conf loads, and its filters keep the PFs of the fixture. */
static void test_fixture_configs(void **state)
{
	static const struct {
		const char *host;
		size_t n_pfs;
	} hosts[] = {
		{ "vic", 2 }, { "intel64", 2 }, { "wrap256", 1 }, { "wrap222", 1 }, { "nosriov", 0 }
	};
	for (size_t i = 0; i < ARRAY_SIZE(hosts); i++) {
		_cleanup_free_ char *conf = xasprintf(HOSTS "%s/vfcap.conf", hosts[i].host);
		_cleanup_free_ char *root = xasprintf(HOSTS "%s/sysfs", hosts[i].host);
		_cleanup_free_ char *err = NULL;
		_cleanup_config_ struct vf_config *c = NULL;
		if (vf_config_load(conf, &c, &err) < 0)
			fail_msg("%s", err);
		assert_str(c->hostname, hosts[i].host);
		_cleanup_host_ struct vf_host *h = read_tree(root, c, NULL);
		assert_int_equal(h->n_pfs, hosts[i].n_pfs);
	}
}

/* ---- filters ---- */

static void test_only(void **state)
{
	char *only[] = { "ens1f1", "eno1", "bond0", "ens1f0v8", "nope", NULL };
	_cleanup_host_ struct vf_host *h = read_tree(HOSTS "intel64/sysfs", NULL, only);
	assert_no_errors(h);
	assert_pf_names(h, (const char *[]){ "ens1f1", NULL });

	char *none[] = { NULL };
	_cleanup_host_ struct vf_host *h2 = read_tree(HOSTS "intel64/sysfs", NULL, none);
	assert_int_equal(h2->n_pfs, 0);
}

static char **strv(const char *s)
{
	char **v = xcalloc(1, sizeof(char *));
	v[0] = xstrdup(s);
	return v;
}

static void test_config_filter(void **state)
{
	_cleanup_config_ struct vf_config *c = vf_config_new();
	c->pf_globs = strv("*f1");
	c->n_pf_globs = 1;
	_cleanup_host_ struct vf_host *h = read_tree(HOSTS "intel64/sysfs", c, NULL);
	assert_pf_names(h, (const char *[]){ "ens1f1", NULL });

	_cleanup_config_ struct vf_config *d = vf_config_new();
	d->drivers = strv("mlx5_core");
	d->n_drivers = 1;
	_cleanup_host_ struct vf_host *h2 = read_tree(HOSTS "intel64/sysfs", d, NULL);
	assert_int_equal(h2->n_pfs, 0);
	_cleanup_host_ struct vf_host *h3 = read_tree(HOSTS "wrap256/sysfs", d, NULL);
	assert_pf_names(h3, (const char *[]){ "ens2f0", NULL });
}

/* ---- odd trees ---- */

/* Exactly one error, from sysfs, about PF pf, with message ROOT/rel: what. */
static void assert_one_error(const struct vf_host *h, const char *pf, const char *root,
			     const char *rel, const char *what)
{
	if (h->n_errors != 1) {
		for (size_t i = 0; i < h->n_errors; i++)
			print_error("error: %s\n", h->errors[i].message);
		fail_msg("%zu errors, want 1", h->n_errors);
	}
	_cleanup_free_ char *want = xasprintf("%s/%s: %s", root, rel, what);
	assert_int_equal(h->errors[0].source, VF_SRC_SYSFS);
	assert_str(h->errors[0].object, pf);
	assert_str(h->errors[0].message, want);
	assert_true(vf_host_has_error(h, VF_SRC_SYSFS, pf));
}

static void test_bad_numvfs(void **state)
{
	static const struct {
		const char *name, *what;
	} cases[] = {
		{ "numvfs-nonnumeric", "not a number: 'abc'" },
		{ "numvfs-negative", "not a valid VF count: '-1'" },
		{ "numvfs-over-total", "'70' exceeds sriov_totalvfs 64" },
		{ "empty-numvfs", "not a number: ''" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *root = xasprintf(BAD "%s/sysfs", cases[i].name);
		_cleanup_host_ struct vf_host *h = read_tree(root, NULL, NULL);
		assert_pf_names(h, (const char *[]){ "ens1f0", NULL });
		/* the PF stays, with what is known, and its VF count unknown */
		assert_pf(&h->pfs[0],
			  &(struct pf_want){ "ens1f0", "0000:03:00.0", "ixgbe", "0x8086", "0x10fb",
					     "up", 2, 0, 64, UNKNOWN });
		assert_one_error(h, "ens1f0", root, IXGBE_PF "/sriov_numvfs", cases[i].what);
		assert_host_uuid(root, NULL);
	}
}

static void test_dangling_virtfn(void **state)
{
	const char *root = BAD "dangling-virtfn/sysfs";
	_cleanup_host_ struct vf_host *h = read_tree(root, NULL, NULL);
	assert_pf_names(h, (const char *[]){ "ens1f0", NULL });
	const struct vf_pf *pf = &h->pfs[0];
	assert_int_equal(pf->numvfs, 4);
	assert_int_equal(pf->n_vfs, 4);
	for (int i = 0; i < 3; i++) {
		_cleanup_free_ char *pci = bdf(0x380 + 2 * i);
		_cleanup_free_ char *dev = xasprintf("ens1f0v%d", i);
		assert_vf(&pf->vfs[i],
			  &(struct vf_want){ pci, "ixgbevf", dev, NULL, NULL, 100 + i });
	}
	assert_null(pf->vfs[3].pci_address);
	assert_null(pf->vfs[3].netdev);
	assert_true(pf->vfs[3].broken);
	assert_one_error(h, "ens1f0", root, IXGBE_PF "/virtfn3",
			 "dangling link to '../0000:03:10.6'");
}

/* Links that leave the tree are dangling, even where their target exists (outside/ beside the
 * tree, the real /etc): nothing outside ROOT is read. */
static void test_link_escape(void **state)
{
	const char *root = BAD "link-escape/sysfs";
	_cleanup_host_ struct vf_host *h = read_tree(root, NULL, NULL);
	assert_pf_names(h, (const char *[]){ "ens1f0", NULL }); /* not evil1, which lives outside */
	const struct vf_pf *pf = &h->pfs[0];
	assert_int_equal(pf->n_vfs, 4);
	assert_vf(&pf->vfs[0],
		  &(struct vf_want){ "0000:03:10.0", "ixgbevf", "ens1f0v0", NULL, NULL, 100 });
	static const char *const targets[] = { "/etc", "../../../../../outside/0000:03:10.4",
					       "../../../../../../../../../../../../etc" };
	assert_int_equal(h->n_errors, 3);
	for (int i = 1; i < 4; i++) {
		assert_null(pf->vfs[i].pci_address);
		assert_null(pf->vfs[i].netdev);
		assert_null(pf->vfs[i].driver);
		assert_true(pf->vfs[i].broken);
		_cleanup_free_ char *want = xasprintf(
			"%s/" IXGBE_PF "/virtfn%d: dangling link: '%s' leaves the sysfs root", root,
			i, targets[i - 1]);
		assert_str(h->errors[i - 1].message, want);
	}
}

static void test_netdevsim(void **state)
{
	_cleanup_host_ struct vf_host *h = read_tree(BAD "netdevsim-like/sysfs", NULL, NULL);
	assert_no_errors(h);
	assert_pf_names(h, (const char *[]){ "eni1np1", NULL });
	/* no PCI identity, no sriov_totalvfs, VFs known by index only */
	assert_pf(&h->pfs[0], &(struct pf_want){ "eni1np1", NULL, "netdevsim", NULL, NULL, "up", 3,
						 -1, UNKNOWN, 4 });
	for (int i = 0; i < 4; i++)
		assert_vf(&h->pfs[0].vfs[i], &(struct vf_want){ NULL, NULL, NULL, NULL, NULL, 0 });
}

static void test_switchdev(void **state)
{
	_cleanup_host_ struct vf_host *h =
		read_tree(BAD "switchdev-representors/sysfs", NULL, NULL);
	assert_no_errors(h);
	/* the uplink (phys_port_name p0) only, not the representors pf0vf0, pf0vf1 */
	assert_pf_names(h, (const char *[]){ "ens2f0np0", NULL });
	assert_int_equal(h->pfs[0].n_vfs, 2);
	assert_str(h->pfs[0].vfs[1].netdev, "ens2f0v1");
}

static void test_missing_root(void **state)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	assert_int_equal(vf_sysfs_read("tests/fixtures/no-such-root", NULL, NULL, h), -ENOENT);
	/* a tree without class/net */
	assert_int_equal(vf_sysfs_read("tests/fixtures", NULL, NULL, h), -ENOENT);
	assert_int_equal(h->n_pfs, 0);
	assert_int_equal(h->n_errors, 0);
	_cleanup_free_ char *u = vf_sysfs_host_uuid("tests/fixtures/no-such-root");
	assert_null(u);
}

/* ---- small trees built here ---- */

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
 * of other devices beside them, the VFs' groups are read one by one (through each VF's link);
 * without, VF 0's is, then every group (the table): the answers are the same. */
static void iommu_groups(int others)
{
	mk_tree("5\n");
	static const char *const addr[] = { "0000:01:00.1", "0000:01:00.2", "0000:01:00.3", "0000:01:00.4",
					     "0000:01:00.5" };
	static const int group[] = { 7, 7, 8, 7, -1 };
	ln("kernel/iommu_groups/7/devices/p0dev", "../../../../devices/d/p0dev");
	for (int i = 0; i < others; i++) {
		_cleanup_free_ char *dl = xasprintf("kernel/iommu_groups/%d/devices/0000:80:00.%d", 100 + i, i);
		_cleanup_free_ char *dt = xasprintf("../../../../devices/d/0000:80:00.%d", i);
		ln(dl, dt);
	}
	for (int i = 0; i < 5; i++) {
		_cleanup_free_ char *fn = xasprintf("devices/d/p0dev/virtfn%d", i);
		_cleanup_free_ char *to = xasprintf("../%s", addr[i]);
		_cleanup_free_ char *vendor = xasprintf("devices/d/%s/vendor", addr[i]);
		ln(fn, to);
		put(vendor, "0x8086\n");
		if (group[i] < 0)
			continue;
		_cleanup_free_ char *gl = xasprintf("devices/d/%s/iommu_group", addr[i]);
		_cleanup_free_ char *gt = xasprintf("../../../kernel/iommu_groups/%d", group[i]);
		_cleanup_free_ char *dl = xasprintf("kernel/iommu_groups/%d/devices/%s", group[i], addr[i]);
		_cleanup_free_ char *dt = xasprintf("../../../../devices/d/%s", addr[i]);
		ln(gl, gt);
		ln(dl, dt);
	}
	_cleanup_host_ struct vf_host *h = read_tree(tmproot, NULL, NULL);
	const struct vf_vf *v = h->pfs[0].vfs;
	assert_int_equal(h->pfs[0].n_vfs, 5);
	assert_int_equal(h->n_errors, 0);
	static const int devices[] = { 4, 4, 1, 4, UNKNOWN };
	for (int i = 0; i < 5; i++) {
		assert_int_equal(v[i].iommu_group, group[i] < 0 ? UNKNOWN : group[i]);
		assert_int_equal(v[i].iommu_group_devices, devices[i]);
	}
}

static void test_iommu_groups(void **state)
{
	iommu_groups(0);
}

static void test_iommu_groups_few_vfs(void **state)
{
	iommu_groups(20);
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

/* ---- with and without openat2 ---- */

#define NO_OPENAT2 "VFCAP_NO_OPENAT2"

static void test_openat2_probe(void **state)
{
	/* This kernel's answer, asked directly (ENOSYS before Linux 5.6). */
	struct { uint64_t flags, mode, resolve; } how = { O_PATH | O_CLOEXEC, 0, 0 };
	long fd = syscall(437 /* openat2 */, AT_FDCWD, "/", &how, sizeof(how));
	if (fd >= 0)
		close((int)fd);
	assert_int_equal(vf_sysfs_openat2(), fd >= 0);
	if (fd < 0)
		print_message("no openat2 here: both runs of every test take the fallback\n");
	assert_int_equal(setenv(NO_OPENAT2, "1", 1), 0);
	assert_false(vf_sysfs_openat2());
	assert_int_equal(unsetenv(NO_OPENAT2), 0);
}

/* Everything sysfs gave, as text. */
static char *dump_host(const struct vf_host *h)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	for (size_t p = 0; p < h->n_pfs; p++) {
		const struct vf_pf *pf = &h->pfs[p];
		fprintf(f, "pf %s %s %s %s %s %s %d %d %d %d\n", pf->name, pf->pci_address,
			pf->driver, pf->vendor_id, pf->device_id, pf->link_state, pf->ifindex,
			pf->numa_node, pf->totalvfs, pf->numvfs);
		for (size_t i = 0; i < pf->n_vfs; i++) {
			const struct vf_vf *v = &pf->vfs[i];
			fprintf(f, " vf %d %s %s %s %s %s %d %d\n", v->index, v->pci_address,
				v->driver, v->netdev, v->master, v->macvtap_upper, v->ifindex,
				v->broken);
		}
	}
	for (size_t i = 0; i < h->n_errors; i++)
		fprintf(f, "error %d %s %s\n", h->errors[i].source, h->errors[i].object,
			h->errors[i].message);
	fclose(f);
	return buf;
}

static void assert_modes_agree(const char *root)
{
	assert_int_equal(unsetenv(NO_OPENAT2), 0);
	_cleanup_host_ struct vf_host *h = read_tree(root, NULL, NULL);
	assert_int_equal(setenv(NO_OPENAT2, "1", 1), 0);
	_cleanup_host_ struct vf_host *h2 = read_tree(root, NULL, NULL);
	assert_int_equal(unsetenv(NO_OPENAT2), 0);
	_cleanup_free_ char *a = dump_host(h), *b = dump_host(h2);
	if (!streq(a, b))
		fail_msg("%s: with openat2:\n%s\nwithout:\n%s", root, a, b);
}

static void modes_case(const char *parent, const char *name)
{
	_cleanup_free_ char *root = xasprintf("%s%s/sysfs", parent, name);
	assert_modes_agree(root);
}

/* Every fixture host and odd tree reads the same with openat2 and without. */
static void test_modes_agree(void **state)
{
	static const char *const dirs[] = { HOSTS, BAD };
	assert_true(for_each_fixture_dir(dirs, ARRAY_SIZE(dirs), modes_case) >= 13);
}

/* Every other test runs twice: with openat2 where the kernel has it, and without. */
static int no_openat2(void **state)
{
	return setenv(NO_OPENAT2, "1", 1);
}

static int openat2_again(void **state)
{
	return unsetenv(NO_OPENAT2);
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

#define BOTH(t) cmocka_unit_test(t), { #t " (no openat2)", t, no_openat2, openat2_again, NULL }
#define BOTH_TMP(t)                                                                                \
	cmocka_unit_test_setup_teardown(t, setup_tmp, teardown_tmp),                               \
		{ #t " (no openat2)", t, setup_tmp_no_openat2, teardown_tmp_openat2_again, NULL }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openat2_probe),
		cmocka_unit_test(test_modes_agree),
		BOTH(test_vic),
		BOTH(test_intel64),
		BOTH(test_wrap256),
		BOTH(test_wrap222),
		BOTH(test_nosriov),
		BOTH(test_fixture_configs),
		BOTH(test_only),
		BOTH(test_config_filter),
		BOTH(test_bad_numvfs),
		BOTH(test_dangling_virtfn),
		BOTH(test_link_escape),
		BOTH(test_netdevsim),
		BOTH(test_switchdev),
		BOTH(test_missing_root),
		cmocka_unit_test_setup_teardown(test_resolve, setup_tmp, teardown_tmp),
		BOTH_TMP(test_bad_attributes),
		BOTH_TMP(test_carrier_and_link),
		BOTH_TMP(test_virtfn_extra_and_missing),
		BOTH_TMP(test_symlinked_steps),
		BOTH_TMP(test_iommu_groups),
		BOTH_TMP(test_iommu_groups_few_vfs),
		BOTH_TMP(test_macvtap_class),
	};
	return cmocka_run_group_tests_name("sysfs", tests, NULL, NULL);
}
