/* SPDX-License-Identifier: MIT */
/* What test_sysfs.c (fixture trees) and test_sysfs_tree.c (trees built by the test) share: the
 * fixture roots, the reader called and its result held to what a test wants, and running a test
 * without openat2 ($VFCAP_NO_OPENAT2). Include after <cmocka.h>; run from the repository root. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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

static inline struct vf_host *read_tree(const char *root, const struct vf_config *cfg, char *const *only)
{
	struct vf_host *h = vf_host_new();
	int r = vf_sysfs_read(root, cfg, only, h);
	if (r < 0)
		fail_msg("vf_sysfs_read(%s): %s", root, strerror(-r));
	return h;
}

static inline void assert_no_errors(const struct vf_host *h)
{
	for (size_t i = 0; i < h->n_errors; i++)
		print_error("unexpected error: %s\n", h->errors[i].message);
	assert_int_equal(h->n_errors, 0);
}

/* PF names, in order, NULL-terminated. */
static inline void assert_pf_names(const struct vf_host *h, const char *const *names)
{
	size_t n = 0;
	for (; names[n]; n++) {
		assert_true(n < h->n_pfs);
		assert_str(h->pfs[n].name, names[n]);
	}
	assert_int_equal(h->n_pfs, n);
}

struct vf_want {
	const char *pci, *driver, *netdev, *master, *macvtap;
	int ifindex;
};

static inline void assert_vf(const struct vf_vf *vf, const struct vf_want *w)
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

static inline void assert_host_uuid(const char *root, const char *want)
{
	_cleanup_free_ char *u = vf_sysfs_host_uuid(root);
	assert_str(u, want);
}


/* Every test of both files runs twice: with openat2 where the kernel has it, and without. */
#define NO_OPENAT2 "VFCAP_NO_OPENAT2"
static inline int no_openat2(void **state)
{
	(void)state;
	return setenv(NO_OPENAT2, "1", 1);
}

static inline int openat2_again(void **state)
{
	(void)state;
	return unsetenv(NO_OPENAT2);
}

#define BOTH(t) cmocka_unit_test(t), { #t " (no openat2)", t, no_openat2, openat2_again, NULL }
