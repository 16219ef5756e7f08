/* SPDX-License-Identifier: MIT */
/* Each VF's IOMMU group and how many devices share it, from sysfs: a group of more than one
 * cannot be given to a VM alone (oVirt's VfScheduler skips such VFs too).
 *
 * A group's members are listed in kernel/iommu_groups/N/devices/, and each member links to its
 * group (DEV/iommu_group). Three ways to learn the VFs' groups, chosen once per read, before
 * the first VF, by what each costs on this host (choose_mode):
 *   - each VF's own: its link, then its group's devices/ (unless an earlier VF's): about 5
 *     syscalls a VF; cheapest when the VFs are few beside the host's other devices;
 *   - every group's devices/ into a table (open, 2 getdents64, close per group); cheapest when
 *     groups are large (no ACS: a PF and its VFs, or a whole switch, in one group);
 *   - links: each VF's link as it is read (one readlink from the directory already held), then
 *     every other PCI device's (bus/pci/devices: the PFs, bridges, disks), and each group's
 *     size counted from them; cheapest with ACS, where every VF has a group of its own: 4,096
 *     VFs cost 4,096 readlinks instead of 16,384 syscalls.
 * The links count only PCI devices. The kernel builds a PCI device's group from PCI devices
 * alone (pci_device_group: DMA aliases, the bus path up to ACS, multifunction siblings), so a
 * group holding a VF holds nothing else. VFCAP_IOMMU_READ=each|table|links forces one (tests). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iommu.h"
#include "sysfs-path.h"
#include "sysfs-reader.h"
#include "util.h"

/* Group name's devices/, below the held kernel/iommu_groups: "N/devices" in one openat2 from
 * its fd, with no path built and no held directory looked for (4,096 groups on a host with
 * ACS); a symlink on the way, or no openat2, goes through sr_open_under and its resolver. */
static int open_group_devices(const struct reader *rd, const struct listing *gl, const char *name)
{
	char rel[32];
	if (rd->openat2 && gl->fd >= 0 && snprintf(rel, sizeof(rel), "%s/devices", name) < (int)sizeof(rel)) {
		int fd = sr_sys_openat2(gl->fd, rel, O_RDONLY | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
		if (fd >= 0 || fd == -ENOENT)
			return fd;
	}
	_cleanup_free_ char *gdir = vf_path_join(gl->dir, name);
	_cleanup_free_ char *canon = NULL;
	return sr_open_under(rd, gdir, "devices", O_RDONLY | O_DIRECTORY, &canon);
}

/* Every group's devices/ (the listing held in HELD_GROUPS) into the table, sorted for
 * vf_iommu_find; then kernel/iommu_groups is let go. */
static void read_iommu_groups(struct reader *rd)
{
	struct listing *gl = &rd->held[HELD_GROUPS];
	for (size_t i = 0; i < gl->n; i++) {
		long g;
		if (parse_long(gl->v[i].name, 0, INT_MAX, &g) < 0)
			continue;
		_cleanup_close_ int fd = open_group_devices(rd, gl, gl->v[i].name);
		if (fd >= 0)
			(void)vf_iommu_add_group(&rd->groups, (int)g, fd, rd->dirbuf, DIRBUF);
	}
	vf_iommu_sort(&rd->groups);
	sr_listing_done(gl);
}

/* The VF's group and its size from the table; UNKNOWN both when the VF is in none. */
static void table_lookup(const struct reader *rd, struct vf_vf *vf)
{
	const struct vf_iommu_dev *d = vf_iommu_find(&rd->groups, vf->pci_address);
	vf->iommu_group = d ? d->group : UNKNOWN;
	vf->iommu_group_devices = d ? d->devices : UNKNOWN;
}

/* The group number of canonical dir's iommu_group link: -ENOENT when in no group. */
static int group_link(const struct reader *rd, const char *dir, int *ret)
{
	_cleanup_free_ char *name = NULL;
	long g;
	int r = sr_link_basename(rd, dir, "iommu_group", &name);
	if (r < 0)
		return r;
	r = parse_long(name, 0, INT_MAX, &g);
	if (r < 0)
		return r;
	*ret = (int)g;
	return 0;
}

/* The VF's group through its link, that group's devices/ read unless an earlier VF's was. */
static void read_own_group(struct reader *rd, const char *vfdir, struct vf_vf *vf)
{
	int g;
	if (group_link(rd, vfdir, &g) < 0)
		return;
	const struct vf_iommu_group *known = vf_iommu_group_read(&rd->groups, g);
	int devices = known ? known->devices : -ENOENT;
	if (!known) {
		char name[16];
		snprintf(name, sizeof(name), "%d", g);
		_cleanup_close_ int fd = open_group_devices(rd, &rd->held[HELD_GROUPS], name);
		devices = fd < 0 ? fd : vf_iommu_add_group(&rd->groups, g, fd, rd->dirbuf, DIRBUF);
		if (devices < 0)
			return;
		vf_iommu_mark_read(&rd->groups, g, devices);
	}
	vf->iommu_group = g;
	vf->iommu_group_devices = devices;
}

/* ---- choosing ---- */

/* Every PF's VFs (their counts are all read before the first VF is). */
static size_t host_vfs(const struct vf_host *h)
{
	size_t n = 0;
	for (size_t i = 0; i < h->n_pfs; i++)
		n += h->pfs[i].numvfs > 0 ? (size_t)h->pfs[i].numvfs : 0;
	return n;
}

/* How many groups, without listing them: a directory's link count is 2 + its subdirectories,
 * on sysfs (kernfs) as on tmpfs and ext4. 0: no kernel/iommu_groups (no IOMMU, or it is off).
 * -1: not counted this way (a symlink on the way, a file system that counts 1, as btrfs). */
static long count_groups(const struct reader *rd)
{
	struct stat st;
	int fd = sr_open_plain(rd, "kernel/iommu_groups", O_PATH | O_DIRECTORY);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return -1;
	int r = fstat(fd, &st);
	close(fd);
	return r == 0 && st.st_nlink >= 2 ? (long)st.st_nlink - 2 : -1;
}

static int forced_mode(void)
{
	const char *e = getenv("VFCAP_IOMMU_READ");
	if (!e || !*e)
		return GROUPS_UNLISTED;
	return streq(e, "each") ? GROUPS_EACH : streq(e, "table") ? GROUPS_ALL
	       : streq(e, "links") ? GROUPS_LINKS : GROUPS_UNLISTED;
}

/* Costs in syscalls, V VFs and G groups (other devices about G - V with ACS): each VF's own
 * 5V; the table 4G; the links V + 4 per other device, about 4G - 3V with ACS, and at least V.
 * So the table when groups are large (4G <= V), each VF's own when VFs are few (G >= 2V), else
 * the links. */
static int choose_mode(struct reader *rd)
{
	struct listing *gl = &rd->held[HELD_GROUPS];
	long groups = count_groups(rd);
	bool listed = false;
	if (groups < 0) {
		listed = sr_list_dir(rd, "", "kernel/iommu_groups", gl, true) == 0;
		groups = listed ? (long)gl->n : 0;
	}
	if (groups == 0) {
		sr_listing_done(gl);
		return GROUPS_NONE;
	}
	size_t vfs = host_vfs(rd->h), g = (size_t)groups;
	int mode = forced_mode();
	if (mode == GROUPS_UNLISTED)
		mode = g * 4 <= vfs ? GROUPS_ALL : g >= 2 * vfs ? GROUPS_EACH : GROUPS_LINKS;
	if (mode == GROUPS_LINKS)
		return mode;
	if (!listed && (sr_list_dir(rd, "", "kernel/iommu_groups", gl, true) < 0 || !gl->n)) {
		sr_listing_done(gl);
		return GROUPS_NONE;
	}
	if (mode == GROUPS_ALL)
		read_iommu_groups(rd);
	return mode;
}

void sr_read_vf_iommu(struct reader *rd, const char *vfdir, struct vf_vf *vf)
{
	if (rd->groups_mode == GROUPS_UNLISTED)
		rd->groups_mode = choose_mode(rd);
	if (rd->groups_mode == GROUPS_EACH) {
		read_own_group(rd, vfdir, vf);
	} else if (rd->groups_mode == GROUPS_LINKS) {
		(void)group_link(rd, vfdir, &vf->iommu_group); /* sized in sr_iommu_done */
	} else if (rd->groups_mode == GROUPS_ALL) {
		table_lookup(rd, vf);
	}
}

/* ---- the links ---- */

/* Components that only go down: none empty, "." or "..". */
static bool goes_down(const char *p)
{
	if (!*p)
		return false;
	for (const char *c = p; c; c = strchr(c, '/')) {
		c += *c == '/';
		size_t n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
	}
	return true;
}

/* The group of the PCI device bus/pci/devices/name. The kernel links it to
 * "../../../devices/...": that path, once openat2 has found no symlink on it (canonical, as
 * the resolver would leave it), has its link read; any other shape goes through the resolver. */
static int device_group(const struct reader *rd, const struct listing *bus, const char *name, int *ret)
{
	_cleanup_free_ char *target = NULL, *canon = NULL;
	if (rd->openat2 && streq(bus->dir, "bus/pci/devices") && sr_read_link_in(rd, bus->dir, name, &target) == 0 &&
	    startswith(target, "../../../") && goes_down(target + 9)) {
		int fd = sr_open_plain(rd, target + 9, O_PATH | O_DIRECTORY);
		if (fd >= 0) {
			close(fd);
			return group_link(rd, target + 9, ret);
		}
	}
	int r = vf_resolve_under(rd->root, bus->dir, name, &canon);
	return r < 0 ? r : group_link(rd, canon, ret);
}

static int vf_addr_cmp(const void *a, const void *b)
{
	return strcmp((*(struct vf_vf *const *)a)->pci_address, (*(struct vf_vf *const *)b)->pci_address);
}

static int vf_key_cmp(const void *key, const void *e)
{
	return strcmp(key, (*(struct vf_vf *const *)e)->pci_address);
}

static int int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* How many of sorted v[0..n) equal x. */
static int count_of(const int *v, size_t n, int x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (end < n && v[end] == x)
		end++;
	return (int)(end - lo);
}

/* No bus/pci/devices to list (a tree without it): the table, and each VF looked up in it. */
static void links_fallback(struct reader *rd, struct vf_vf **vfs, size_t n)
{
	struct listing *gl = &rd->held[HELD_GROUPS];
	if (sr_list_dir(rd, "", "kernel/iommu_groups", gl, true) == 0)
		read_iommu_groups(rd);
	sr_listing_done(gl);
	for (size_t i = 0; i < n; i++)
		table_lookup(rd, vfs[i]);
}

void sr_iommu_done(struct reader *rd)
{
	if (rd->groups_mode != GROUPS_LINKS)
		return;
	struct vf_host *h = rd->h;
	_cleanup_free_ struct vf_vf **vfs = NULL;
	_cleanup_free_ int *groups = NULL;
	size_t n = 0, n_groups = 0;
	for (size_t p = 0; p < h->n_pfs; p++)
		for (size_t i = 0; i < h->pfs[p].n_vfs; i++)
			if (h->pfs[p].vfs[i].pci_address)
				*(struct vf_vf **)array_append(&vfs, &n, sizeof(*vfs)) = &h->pfs[p].vfs[i];
	if (n)
		qsort(vfs, n, sizeof(*vfs), vf_addr_cmp);
	_cleanup_listing_ struct listing bus = LISTING_INIT;
	if (sr_list_dir(rd, "", "bus/pci/devices", &bus, false) < 0) {
		links_fallback(rd, vfs, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (vfs[i]->iommu_group >= 0)
			*(int *)array_append(&groups, &n_groups, sizeof(int)) = vfs[i]->iommu_group;
	/* The VFs' links are read; every other device's now. One not in a group, or gone: none. */
	for (size_t i = 0; i < bus.n; i++) {
		int g;
		if (n && bsearch(bus.v[i].name, vfs, n, sizeof(*vfs), vf_key_cmp))
			continue;
		if (device_group(rd, &bus, bus.v[i].name, &g) == 0)
			*(int *)array_append(&groups, &n_groups, sizeof(int)) = g;
	}
	if (n_groups)
		qsort(groups, n_groups, sizeof(int), int_cmp);
	for (size_t i = 0; i < n; i++)
		if (vfs[i]->iommu_group >= 0)
			vfs[i]->iommu_group_devices = count_of(groups, n_groups, vfs[i]->iommu_group);
}
