/* SPDX-License-Identifier: MIT */
/* The sysfs reader over the fixture hosts (tests/fixtures/hosts) and the odd trees
 * (tests/fixtures/bad), with openat2 and without; trees built by the test are test_sysfs_tree.c.
 * Run from the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sysfs-helpers.h"

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

/* The PCI address of routing ID rid (bus << 8 | devfn), as the generator lays VFs out. */
static char *bdf(int rid)
{
	return xasprintf("0000:%02x:%02x.%x", rid >> 8, (rid >> 3) & 0x1f, rid & 7);
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

/* ---- with and without openat2 ---- */


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
	};
	return cmocka_run_group_tests_name("sysfs", tests, NULL, NULL);
}
