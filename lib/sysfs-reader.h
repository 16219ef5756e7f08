/* SPDX-License-Identifier: MIT */
/* The sysfs reader's primitives, internal to lib/: sysfs-reader.c opens, lists and reads paths
 * below ROOT without leaving it (its top comment says how); sysfs.c decides what to read (PFs,
 * VFs, their netdevs, drivers and IOMMU groups). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommu.h"
#include "model.h"
#include "util.h"

#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#else /* kernel headers older than 5.6 (EL8): the UAPI as 5.6 defined it */
struct open_how { uint64_t flags, mode, resolve; };
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#endif
#ifndef SYS_openat2
#define SYS_openat2 437 /* the same number on every architecture but alpha */
#endif

#define ATTR_MAX 4096      /* sysfs attributes are at most a page */
#define DIRBUF 32768       /* getdents64 buffer: class/net of a big host in a few calls */

/* A directory's entries, names starting with '.' left out (no caller wants them). */
struct entry {
	char *name;
	unsigned char type; /* DT_*: DT_LNK and DT_UNKNOWN may be symlinks */
};

struct listing {
	char *dir; /* canonical */
	int fd;    /* the directory held open, or -1 */
	struct entry *v;
	size_t n;
};
#define LISTING_INIT { .fd = -1 }

void sr_listing_done(struct listing *l);
#define _cleanup_listing_ _cleanup_(sr_listing_done)

struct reader {
	const char *root;
	int rootfd;    /* O_PATH of ROOT */
	bool openat2;  /* the kernel checks our paths (see the top of this file) */
	bool macvtaps; /* ROOT/class/macvtap has entries */
	/* Directories held open, so that the kernel walks a path below one from there, not a dozen
	 * components from ROOT: the PF's (no entries), the one its VFs are in (sorted), the net/
	 * dir of the VF being read, kernel/iommu_groups while its groups are read. */
	struct listing held[4]; /* [HELD_PF], [HELD_SIBS], [HELD_NET], [HELD_GROUPS] */
	char *dirbuf;           /* for getdents64 */
	struct vf_host *h;
	const char *pf; /* the PF being read: object of its errors */
	/* IOMMU groups (lib/sysfs-iommu.c): the groups read, one by one or all */
	struct vf_iommu groups;
	int groups_mode; /* GROUPS_UNLISTED, ... */
};
enum { HELD_PF, HELD_SIBS, HELD_NET, HELD_GROUPS };
/* How the VFs' IOMMU groups are read (lib/sysfs-iommu.c): not chosen yet; no IOMMU; each VF's
 * own group; every group into the table; every PCI device's link. */
enum { GROUPS_UNLISTED, GROUPS_NONE, GROUPS_EACH, GROUPS_ALL, GROUPS_LINKS };

void sr_listing_done(struct listing *l);
void sr_reader_done(struct reader *rd);
int sr_sys_openat2(int dirfd, const char *path, int flags, uint64_t resolve);
int sr_open_plain(const struct reader *rd, const char *canon, int flags);
int sr_open_under(const struct reader *rd, const char *dir, const char *rel, int flags,
		      char **ret_canon);
bool sr_entry_exists(const struct reader *rd, const char *dir, const char *name);
int sr_read_link_in(const struct reader *rd, const char *dir, const char *name, char **ret);
int sr_link_basename(const struct reader *rd, const char *dir, const char *name, char **ret);
int sr_list_dir(const struct reader *rd, const char *dir, const char *rel, struct listing *l,
		    bool hold);
const struct entry *sr_smallest(const struct listing *l, const char *prefix);
int sr_first_entry(const struct reader *rd, const char *parent, const char *dir,
		       const char *prefix, char **ret);
const struct entry *sr_sibling(struct reader *rd, const char *dir, const char *name);
void sr_add_error(const struct reader *rd, const char *rel, const char *fmt, ...) _printf_(3, 4);
int sr_attr_read(const struct reader *rd, const char *dir, const char *name, char **ret,
		     char **ret_rel);
int sr_attr_int(const struct reader *rd, const char *dir, const char *name, long min, long max,
		    long *ret);
char *sr_attr_pci_id(const struct reader *rd, const char *dir, const char *name);
bool sr_is_pci_address(const char *s);

/* lib/sysfs-iommu.c: the VF's IOMMU group (the way to read them is chosen at the first VF, when
 * every PF's VF count is known); sr_iommu_done once every VF is read, to size the groups. */
void sr_read_vf_iommu(struct reader *rd, const char *vfdir, struct vf_vf *vf);
void sr_iommu_done(struct reader *rd);
