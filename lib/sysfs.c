/* SPDX-License-Identifier: MIT */
/* SR-IOV topology from a sysfs tree.
 *
 * Nothing outside ROOT is read: a fixture tree, or a copy of a host's /sys, must not make us read
 * the real / through an absolute or escaping symlink. A path with symlinks in it is resolved
 * component by component inside ROOT (vf_sysfs_resolve), never with realpath(3), into a
 * canonical path (no symlink left) that is then used as is.
 *
 * That costs a syscall per component, ~80,000 on a 16 x 256 VF host. But sysfs has links only
 * where we expect them (class/net/X, device, virtfnN -> "../FUNCTION", driver, master); every
 * other step goes from a canonical directory to a plain entry, in ONE syscall that refuses
 * symlinks: openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, so that the kernel checks
 * every component itself. Without openat2 (before Linux 5.6, e.g. EL8's 4.18, or under a seccomp
 * filter that refuses it with EPERM) it is openat(O_NOFOLLOW): the directory is canonical, as
 * the resolver left it, and the last component is not followed. Where that syscall meets a
 * symlink, or fails but with ENOENT, the resolver takes over: results are always the resolver's.
 *
 * Problems become host errors (source sysfs, object = the PF) whose message starts with the
 * file; the PF stays with the affected counts UNKNOWN, because a report that omits a broken PF
 * would read as "no VFs there". */
#include "sysfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "iommu.h"
#include "sysfs-path.h"
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

static void listing_done(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	free(l->dir);
	if (l->fd >= 0)
		close(l->fd);
	*l = (struct listing)LISTING_INIT;
}
#define _cleanup_listing_ _cleanup_(listing_done)

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
	/* every device's IOMMU group, read when the first VF needs it */
	struct vf_iommu groups;
	bool groups_read;
};
enum { HELD_PF, HELD_SIBS, HELD_NET, HELD_GROUPS };

static void reader_done(struct reader *rd)
{
	if (rd->rootfd >= 0)
		close(rd->rootfd);
	for (size_t i = 0; i < ARRAY_SIZE(rd->held); i++)
		listing_done(&rd->held[i]);
	free(rd->dirbuf);
	vf_iommu_clear(&rd->groups);
}

/* Where to walk canonical path canon from: the deepest held directory above it, or ROOT;
 * *rest is the path from there. */
static int walk_from(const struct reader *rd, const char *canon, const char **rest)
{
	int fd = rd->rootfd;
	size_t best = 0;
	*rest = canon;
	for (size_t i = 0; i < ARRAY_SIZE(rd->held); i++) {
		const struct listing *l = &rd->held[i];
		size_t n = l->fd >= 0 ? strlen(l->dir) : 0;
		if (n > best && strncmp(canon, l->dir, n) == 0 && (!canon[n] || canon[n] == '/')) {
			best = n;
			fd = l->fd;
			*rest = canon[n] ? canon + n + 1 : "";
		}
	}
	return fd;
}

/* ---- one syscall per step ---- */

static int sys_openat2(int dirfd, const char *path, int flags, uint64_t resolve)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC), .resolve = resolve };
	/* EAGAIN: a rename raced with a ".." lookup below RESOLVE_BENEATH; retry, as asked. */
	for (int i = 0; i < 8; i++) {
		long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != EAGAIN)
			return -errno;
	}
	return -EAGAIN;
}

bool vf_sysfs_openat2(void)
{
	const char *off = getenv("VFCAP_NO_OPENAT2");
	if (off && *off && !streq(off, "0"))
		return false;
	int fd = sys_openat2(AT_FDCWD, "/", O_PATH, 0); /* ENOSYS, or EPERM from seccomp */
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Open canon, a canonical path below ROOT, following no symlink: -ELOOP (or -ENOTDIR with
 * O_DIRECTORY, without openat2) where there is one. */
static int open_plain(const struct reader *rd, const char *canon, int flags)
{
	const char *rest;
	int dirfd = walk_from(rd, canon, &rest);
	if (!*rest)
		rest = ".";
	if (rd->openat2)
		return sys_openat2(dirfd, rest, flags, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
	int fd = openat(dirfd, rest, flags | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Open dir/rel (dir canonical; rel may hold symlinks): one syscall when rel is plain and no
 * symlink is met, else the resolver. Returns the fd or -errno; *ret_canon is set when
 * resolving succeeded, so a failure with it set is the open's, without it the resolver's. */
static int open_under(const struct reader *rd, const char *dir, const char *rel, int flags,
		      char **ret_canon)
{
	_cleanup_free_ char *canon = vf_path_join(dir, rel);
	*ret_canon = NULL;
	if (vf_path_is_plain(rel)) {
		int fd = open_plain(rd, canon, flags);
		if (fd == -ENOENT)
			return fd; /* no symlink on the way: the resolver would find the same gap */
		if (fd >= 0) {
			*ret_canon = TAKE_PTR(canon);
			return fd;
		}
	}
	int r = vf_resolve_under(rd->root, dir, rel, ret_canon);
	return r < 0 ? r : open_plain(rd, *ret_canon, flags);
}

/* Does dir/name exist (as anything, a dangling link included)? dir is canonical. */
static bool entry_exists(const struct reader *rd, const char *dir, const char *name)
{
	_cleanup_free_ char *rel = vf_path_join(dir, name);
	const char *rest;
	int dirfd = walk_from(rd, rel, &rest);
	struct stat st;
	return fstatat(dirfd, rest, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The target of link dir/name (dir canonical), not followed. */
static int read_link_in(const struct reader *rd, const char *dir, const char *name, char **ret)
{
	_cleanup_free_ char *rel = vf_path_join(dir, name);
	const char *rest;
	int dirfd = walk_from(rd, rel, &rest);
	return vf_read_link_at(dirfd, rest, ret);
}

/* The basename of the target of link dir/name, without following it (driver, master, device):
 * the name is the fact, the target need not be inside ROOT or exist. dir is canonical. */
static int link_basename(const struct reader *rd, const char *dir, const char *name, char **ret)
{
	_cleanup_free_ char *target = NULL;
	int r = read_link_in(rd, dir, name, &target);
	if (r < 0)
		return r;
	size_t len = strlen(target);
	while (len > 1 && target[len - 1] == '/')
		target[--len] = '\0';
	const char *slash = strrchr(target, '/');
	const char *base = slash ? slash + 1 : target;
	if (!*base || streq(base, ".") || streq(base, ".."))
		return -EINVAL;
	*ret = xstrdup(base);
	return 0;
}

/* ---- directories ---- */

/* getdents64(2) directly: glibc's opendir() adds an fstat per directory. */
static int list_fd(const struct reader *rd, int fd, struct listing *l)
{
	char *buf = rd->dirbuf;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, DIRBUF);
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		for (long off = 0; off < n;) {
			const struct dirent64 *de = (const struct dirent64 *)(buf + off);
			off += de->d_reclen;
			if (de->d_name[0] == '.')
				continue;
			struct entry *e = array_append(&l->v, &l->n, sizeof(*e));
			e->name = xstrdup(de->d_name);
			e->type = de->d_type;
		}
	}
}

/* The entries of dir/rel (dir canonical) into empty l, and the directory, kept open if hold. */
static int list_dir(const struct reader *rd, const char *dir, const char *rel, struct listing *l,
		    bool hold)
{
	_cleanup_free_ char *canon = NULL;
	_cleanup_close_ int fd = open_under(rd, dir, rel, O_RDONLY | O_DIRECTORY, &canon);
	if (fd < 0)
		return fd;
	int r = list_fd(rd, fd, l);
	if (r < 0)
		return r;
	l->dir = TAKE_PTR(canon);
	if (hold)
		l->fd = TAKE_FD(fd);
	return 0;
}

/* The smallest entry starting with prefix: readdir order is the file system's, and the report
 * must not depend on it. */
static const struct entry *smallest(const struct listing *l, const char *prefix)
{
	const struct entry *best = NULL;
	for (size_t i = 0; i < l->n; i++)
		if (startswith(l->v[i].name, prefix) && (!best || strcmp(l->v[i].name, best->name) < 0))
			best = &l->v[i];
	return best;
}

/* The smallest entry of parent/dir (parent canonical) starting with prefix. */
static int first_entry(const struct reader *rd, const char *parent, const char *dir,
		       const char *prefix, char **ret)
{
	_cleanup_listing_ struct listing l = LISTING_INIT;
	int r = list_dir(rd, parent, dir, &l, false);
	if (r < 0)
		return r;
	const struct entry *e = smallest(&l, prefix);
	if (!e)
		return -ENOENT;
	*ret = xstrdup(e->name);
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* Entry name of canonical directory dir, from a sorted listing kept for the next call: the VFs
 * of a PF share their directory. NULL when missing or unreadable. */
static const struct entry *sibling(struct reader *rd, const char *dir, const char *name)
{
	struct listing *l = &rd->held[HELD_SIBS];
	if (!l->dir || !streq(l->dir, dir)) {
		listing_done(l);
		if (list_dir(rd, dir, "", l, true) < 0) {
			listing_done(l);
			l->dir = xstrdup(dir); /* remembered as empty */
		}
		if (l->n)
			qsort(l->v, l->n, sizeof(struct entry), entry_cmp);
	}
	if (!l->n)
		return NULL;
	struct entry key = { .name = (char *)name };
	return bsearch(&key, l->v, l->n, sizeof(struct entry), entry_cmp);
}

/* ---- attributes ---- */

static void add_error(const struct reader *rd, const char *rel, const char *fmt, ...)
	_printf_(3, 4);
static void add_error(const struct reader *rd, const char *rel, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *what = xvasprintf(fmt, ap);
	va_end(ap);
	vf_host_add_error(rd->h, VF_SRC_SYSFS, rd->pf, "%s/%s: %s", rd->root, rel, what);
}

/* Read attribute dir/name. -ENOENT when missing (callers pick the default, silently); any other
 * failure is a host error. *ret_rel (optional) gets the canonical file for later messages. */
static int attr_read(const struct reader *rd, const char *dir, const char *name, char **ret,
		     char **ret_rel)
{
	_cleanup_free_ char *canon = NULL;
	_cleanup_close_ int fd = open_under(rd, dir, name, O_RDONLY, &canon);
	if (fd == -ENOENT)
		return fd;
	if (fd < 0 && !canon) {
		_cleanup_free_ char *rel = vf_path_join(dir, name);
		add_error(rd, rel, "cannot resolve: %s", strerror(-fd));
		return fd;
	}
	int r = fd < 0 ? fd : read_one_line_fd(fd, ret, ATTR_MAX);
	if (r < 0) {
		add_error(rd, canon, "cannot read: %s", strerror(-r));
		return r;
	}
	if (ret_rel)
		*ret_rel = TAKE_PTR(canon);
	return 0;
}

/* A decimal attribute in [min, max]. A malformed value is a host error naming file and value. */
static int attr_int(const struct reader *rd, const char *dir, const char *name, long min, long max,
		    long *ret)
{
	_cleanup_free_ char *s = NULL, *rel = NULL;
	int r = attr_read(rd, dir, name, &s, &rel);
	if (r < 0)
		return r;
	r = parse_long(s, min, max, ret);
	if (r == -EINVAL)
		add_error(rd, rel, "not a number: '%s'", s);
	else if (r < 0)
		add_error(rd, rel, "out of range [%ld, %ld]: '%s'", min, max, s);
	return r;
}

/* "0x8086": the text is kept (it is what lspci and the report show), but it must be a
 * 16-bit hex id. */
static char *attr_pci_id(const struct reader *rd, const char *dir, const char *name)
{
	_cleanup_free_ char *s = NULL, *rel = NULL;
	if (attr_read(rd, dir, name, &s, &rel) < 0)
		return NULL;
	size_t n = startswith(s, "0x") ? strspn(s + 2, "0123456789abcdefABCDEF") : 0;
	if (n < 1 || n > 4 || s[2 + n]) {
		add_error(rd, rel, "not a PCI id: '%s'", s);
		return NULL;
	}
	return TAKE_PTR(s);
}

/* DDDD:BB:SS.F */
static bool is_pci_address(const char *s)
{
	static const char pattern[] = "xxxx:xx:xx.x";
	if (strlen(s) != sizeof(pattern) - 1)
		return false;
	for (size_t i = 0; pattern[i]; i++)
		if (pattern[i] == 'x' ? !isxdigit((unsigned char)s[i]) : s[i] != pattern[i])
			return false;
	return true;
}

/* ---- VFs ---- */

static void virtfn_error(const struct reader *rd, const char *rel, int err)
{
	_cleanup_free_ char *full = vf_full_path(rd->root, rel);
	_cleanup_free_ char *target = NULL;
	if (vf_read_link_at(AT_FDCWD, full, &target) < 0)
		add_error(rd, rel, "missing (other VFs have their link)");
	else if (err == -ENOENT || err == -ENOTDIR)
		add_error(rd, rel, "dangling link to '%s'", target);
	else if (err == -EXDEV)
		add_error(rd, rel, "dangling link: '%s' leaves the sysfs root", target);
	else
		add_error(rd, rel, "cannot resolve link to '%s': %s", target, strerror(-err));
}

/* The canonical VF dir behind pfdir/link, in one readlink: the kernel links virtfnN to
 * "../FUNCTION", FUNCTION a directory beside the PF's. false: the resolver must tell.
 * *is_dir: the PF's siblings were listed with FUNCTION a directory. */
static bool vf_dir_fast(struct reader *rd, const char *pfdir, const char *link, char **ret,
			bool *is_dir)
{
	_cleanup_free_ char *target = NULL;
	if (!*pfdir || read_link_in(rd, pfdir, link, &target) < 0 || !startswith(target, "../"))
		return false;
	const char *fn = target + 3;
	if (!*fn || !vf_path_is_plain(fn))
		return false;
	_cleanup_free_ char *parent = xstrdup(pfdir);
	(void)vf_path_pop(parent);
	const struct entry *e = sibling(rd, parent, fn);
	if (!e || e->type == DT_LNK || e->type == DT_UNKNOWN)
		return false;
	*ret = vf_path_join(parent, fn);
	*is_dir = e->type == DT_DIR;
	return true;
}

/* vf_netdev_dir: net/ exists but lists no netdev (not an errno: no syscall returns it). */
#define NET_DIR_EMPTY (-4096)

/* Drivers that never give a VF a netdev: an empty net/ means nothing under them. */
static bool is_stub_driver(const char *driver)
{
	return !driver || streq(driver, "vfio-pci") || streq(driver, "pci-stub");
}

/* The VF's host netdev: the smallest entry of its net/ dir (held open for what follows), and
 * that netdev's canonical dir. */
static int vf_netdev_dir(struct reader *rd, const char *vfdir, char **ret_name, char **ret_dir)
{
	struct listing *l = &rd->held[HELD_NET];
	int r = list_dir(rd, vfdir, "net", l, true);
	if (r < 0)
		return r;
	const struct entry *e = smallest(l, "");
	if (!e)
		return NET_DIR_EMPTY;
	if (e->type == DT_DIR) {
		*ret_dir = vf_path_join(l->dir, e->name);
	} else {
		_cleanup_free_ char *sub = xasprintf("net/%s", e->name);
		r = vf_resolve_under(rd->root, vfdir, sub, ret_dir);
		if (r < 0)
			return r;
	}
	*ret_name = xstrdup(e->name);
	return 0;
}

static void read_vf_netdev(struct reader *rd, const char *vfdir, struct vf_vf *vf)
{
	_cleanup_free_ char *name = NULL, *ndir = NULL, *upper = NULL;
	int r = vf_netdev_dir(rd, vfdir, &name, &ndir);
	if (r == NET_DIR_EMPTY) {
		/* The kernel keeps net/ but lists a netdev only in the netns it lives in: a VF
		 * netdev moved into a container's netns leaves it empty here. */
		vf->net_hidden = !is_stub_driver(vf->driver);
		r = -ENOENT;
	}
	if (r < 0) {
		/* ENOENT: no host netdev (vfio-pci, another stub driver, unbound); anything else
		 * (EIO, EACCES) leaves the VF's use unknown */
		if (r != -ENOENT)
			add_error(rd, vfdir, "net: cannot be read: %s", strerror(-r));
		listing_done(&rd->held[HELD_NET]);
		return;
	}

	long ifindex;
	r = attr_int(rd, ndir, "ifindex", 1, INT_MAX, &ifindex);
	if (r == 0)
		vf->ifindex = (int)ifindex;
	else if (r == -ENOENT) /* the netdev went away while read: whose it was is unknown */
		add_error(rd, ndir, "ifindex: missing (the netdev vanished while read)");
	(void)link_basename(rd, ndir, "master", &vf->master);
	/* Neutron's SR-IOV agent reads the same link: a macvtap stacked on the VF. */
	if (rd->macvtaps && first_entry(rd, ndir, "", "upper_macvtap", &upper) == 0)
		vf->macvtap_upper = xstrdup(upper + strlen("upper_"));
	vf->netdev = TAKE_PTR(name);
	listing_done(&rd->held[HELD_NET]);
}

/* Each group's devices/ once: per VF, its iommu_group link and then its group would cost a
 * readlink more (and the same listing, as with ACS every VF has a group of its own). A group
 * dir as a canonical dir and "devices" as a plain name: one openat2 from the held
 * kernel/iommu_groups, without symlinks; a symlink on the way still falls back to the
 * resolver. No kernel/iommu_groups, or an empty one: no IOMMU (or it is off). */
static void read_iommu_groups(struct reader *rd)
{
	struct listing *gl = &rd->held[HELD_GROUPS];
	rd->groups_read = true;
	if (list_dir(rd, "", "kernel/iommu_groups", gl, true) == 0) {
		for (size_t i = 0; i < gl->n; i++) {
			long g;
			if (parse_long(gl->v[i].name, 0, INT_MAX, &g) < 0)
				continue;
			_cleanup_free_ char *gdir = vf_path_join(gl->dir, gl->v[i].name);
			_cleanup_free_ char *canon = NULL;
			_cleanup_close_ int fd = open_under(rd, gdir, "devices", O_RDONLY | O_DIRECTORY, &canon);
			if (fd >= 0)
				(void)vf_iommu_add_group(&rd->groups, (int)g, fd, rd->dirbuf, DIRBUF);
		}
		vf_iommu_sort(&rd->groups);
	}
	listing_done(gl);
}

/* The VF's IOMMU group and how many devices share it: a group of more than one cannot be
 * given to a VM alone. */
static void read_vf_iommu(struct reader *rd, struct vf_vf *vf)
{
	if (!rd->groups_read)
		read_iommu_groups(rd);
	const struct vf_iommu_dev *d = vf_iommu_find(&rd->groups, vf->pci_address);
	if (d) {
		vf->iommu_group = d->group;
		vf->iommu_group_devices = d->devices;
	}
}

/* vfio-pci enables the device while a user holds it open (vfio_pci_core_enable), so enable
 * reads 0 for an idle VF and >= 1 for one in use. Unreadable or missing: a host error, so the
 * VF is never counted free. In use: its VFIO cdev's name, for lib/holders.c. */
static void read_vf_enable(struct reader *rd, const char *vfdir, struct vf_vf *vf)
{
	long v;
	int r = attr_int(rd, vfdir, "enable", 0, INT_MAX, &v);
	if (r == -ENOENT) {
		_cleanup_free_ char *rel = vf_path_join(vfdir, "enable");
		add_error(rd, rel, "missing (a vfio-pci VF without it may be in use)");
	}
	if (r < 0)
		return;
	vf->enable = (int)v;
	if (v >= 1)
		(void)first_entry(rd, vfdir, "vfio-dev", "vfio", &vf->vfio_dev);
}

/* The VF's directory is there (and a directory); else an error on the VF. */
static bool vf_dir_present(struct reader *rd, const char *vfdir)
{
	int fd = open_plain(rd, vfdir, O_PATH | O_DIRECTORY);
	if (fd >= 0) {
		close(fd);
		return true;
	}
	if (fd == -ENOTDIR)
		add_error(rd, vfdir, "not a directory");
	else if (fd == -ENOENT)
		add_error(rd, vfdir, "vanished while it was read (VF removed?)");
	else
		add_error(rd, vfdir, "cannot be opened: %s", strerror(-fd));
	return false;
}

static void read_vf(struct reader *rd, const char *pfdir, struct vf_vf *vf)
{
	_cleanup_free_ char *name = xasprintf("virtfn%d", vf->index);
	_cleanup_free_ char *link = vf_path_join(pfdir, name);
	_cleanup_free_ char *vfdir = NULL;
	bool listed_dir = false;
	if (!vf_dir_fast(rd, pfdir, name, &vfdir, &listed_dir)) {
		int r = vf_resolve_under(rd->root, pfdir, name, &vfdir);
		if (r < 0) {
			virtfn_error(rd, link, r);
			return;
		}
	}
	const char *slash = strrchr(vfdir, '/');
	const char *base = slash ? slash + 1 : vfdir;
	if (!is_pci_address(base)) {
		add_error(rd, link, "link to '%s' is not a PCI function", vfdir);
		return;
	}
	vf->pci_address = xstrdup(base);
	/* Listed as a directory a moment ago (with its PF's VFs): a VF gone since then reads as
	 * unbound and without netdev, which the check below catches, so an open and a close per
	 * VF are saved here. Otherwise, check first: not a directory, or cannot be opened. */
	if (!listed_dir && !vf_dir_present(rd, vfdir))
		return;
	int r = link_basename(rd, vfdir, "driver", &vf->driver);
	if (r < 0 && r != -ENOENT) /* ENOENT: unbound */
		add_error(rd, vfdir, "driver: cannot read the link: %s", strerror(-r));
	read_vf_iommu(rd, vf);
	if (streq_ptr(vf->driver, "vfio-pci"))
		read_vf_enable(rd, vfdir, vf);
	read_vf_netdev(rd, vfdir, vf);
	/* A VF removed while it was read (sriov_numvfs lowered, hot unplug) leaves "no driver, no
	 * netdev", which looks free: its directory gone now says it was not. */
	(void)vf_dir_present(rd, vfdir);
}

/* Some drivers create VFs without PCI functions of their own (netdevsim; VFs known to netlink
 * only). They have no virtfn link at all, which is not an error; a partial set is. */
static bool has_virtfn_links(const struct reader *rd, const char *pfdir, int numvfs)
{
	for (int i = 0; i < numvfs; i++) {
		_cleanup_free_ char *name = xasprintf("virtfn%d", i);
		if (entry_exists(rd, pfdir, name))
			return true;
	}
	return false;
}

static void read_vfs(struct reader *rd, struct vf_pf *pf, const char *pfdir)
{
	vf_pf_set_vfs(pf, (size_t)pf->numvfs);
	if (!has_virtfn_links(rd, pfdir, pf->numvfs))
		return;
	int fd = open_plain(rd, pfdir, O_PATH | O_DIRECTORY);
	rd->held[HELD_PF] = (struct listing){ .dir = xstrdup(pfdir), .fd = fd < 0 ? -1 : fd };
	for (size_t i = 0; i < pf->n_vfs; i++) {
		size_t errors = rd->h->n_errors;
		read_vf(rd, pfdir, &pf->vfs[i]);
		/* What we could not read might be exactly what holds the VF. */
		pf->vfs[i].broken = rd->h->n_errors > errors;
	}
	listing_done(&rd->held[HELD_PF]);
}

/* ---- PFs ---- */

static void read_vf_counts(const struct reader *rd, struct vf_pf *pf, const char *pfdir)
{
	long v;
	/* Optional: systemd tolerates its absence, and netdevsim has none. */
	if (attr_int(rd, pfdir, "sriov_totalvfs", 0, VF_COUNT_MAX, &v) == 0)
		pf->totalvfs = (int)v;

	_cleanup_free_ char *s = NULL, *rel = NULL;
	if (attr_read(rd, pfdir, "sriov_numvfs", &s, &rel) < 0)
		return;
	int r = parse_long(s, LONG_MIN, LONG_MAX, &v);
	if (r == -EINVAL)
		add_error(rd, rel, "not a number: '%s'", s);
	else if (r < 0 || v < 0 || v > VF_COUNT_MAX)
		add_error(rd, rel, "not a valid VF count: '%s'", s);
	else if (pf->totalvfs != UNKNOWN && v > pf->totalvfs)
		add_error(rd, rel, "'%s' exceeds sriov_totalvfs %d", s, pf->totalvfs);
	else
		pf->numvfs = (int)v;
}

/* carrier: the kernel's read fails with EINVAL while the netdev is administratively down (no
 * carrier to speak of: false). Missing or otherwise unreadable: unknown, and no host error, as
 * the counts do not depend on it alone (operstate decides first). */
static int read_carrier(const struct reader *rd, const char *netdir)
{
	_cleanup_free_ char *canon = NULL, *s = NULL;
	_cleanup_close_ int fd = open_under(rd, netdir, "carrier", O_RDONLY, &canon);
	int r = fd < 0 ? fd : read_one_line_fd(fd, &s, ATTR_MAX);
	if (r == -EINVAL)
		return 0;
	if (r < 0)
		return UNKNOWN;
	return streq(s, "1") ? 1 : streq(s, "0") ? 0 : UNKNOWN;
}

/* Can the PF's VFs carry traffic? operstate "up"; "unknown" (drivers that do not track it) only
 * with carrier. An unreadable operstate counts as "unknown". */
static bool link_ok(const char *operstate, int carrier)
{
	if (operstate && streq(operstate, "up"))
		return true;
	return (!operstate || streq(operstate, "unknown")) && carrier == 1;
}

static void read_pf(struct reader *rd, struct vf_pf *pf, const char *netdir, const char *pfdir)
{
	long v;
	if (attr_int(rd, netdir, "ifindex", 1, INT_MAX, &v) == 0)
		pf->ifindex = (int)v;
	(void)attr_read(rd, netdir, "operstate", &pf->link_state, NULL);
	pf->carrier = read_carrier(rd, netdir);
	pf->link_ok = link_ok(pf->link_state, pf->carrier);

	_cleanup_free_ char *dev = NULL;
	if (link_basename(rd, netdir, "device", &dev) == 0 && is_pci_address(dev))
		pf->pci_address = TAKE_PTR(dev);
	pf->vendor_id = attr_pci_id(rd, pfdir, "vendor");
	pf->device_id = attr_pci_id(rd, pfdir, "device");
	if (attr_int(rd, pfdir, "numa_node", -1, INT_MAX, &v) == 0)
		pf->numa_node = (int)v;

	read_vf_counts(rd, pf, pfdir);
	if (pf->numvfs != UNKNOWN)
		read_vfs(rd, pf, pfdir);
}

static bool strv_contains(char *const *strv, const char *s)
{
	for (; *strv; strv++)
		if (streq(*strv, s))
			return true;
	return false;
}

/* Switchdev representors (mlx5 "pf0vf3", "c1pf0vf3", "pf0sf1") have the PF as their parent
 * device, so they look like PFs; their phys_port_name tells them apart from the uplink ("p0"). */
static bool is_representor(const struct reader *rd, const char *netdir)
{
	_cleanup_free_ char *canon = NULL, *s = NULL;
	_cleanup_close_ int fd = open_under(rd, netdir, "phys_port_name", O_RDONLY, &canon);
	if (fd < 0 || read_one_line_fd(fd, &s, ATTR_MAX) < 0)
		return false;
	const char *p = s;
	if (*p == 'c')
		p += 1 + strspn(p + 1, "0123456789");
	if (!startswith(p, "pf"))
		return false;
	p += 2 + strspn(p + 2, "0123456789");
	if (!startswith(p, "vf") && !startswith(p, "sf"))
		return false;
	size_t n = strspn(p + 2, "0123456789");
	return n > 0 && !p[2 + n];
}

/* One syscall per netdev (most are VFs): has classdir/NAME/device a sriov_numvfs (lstat)? Without
 * openat2 the kernel follows the links unconfined: only a negative filter, as a link that stays
 * inside ROOT leads the kernel where it leads the resolver (within 40 links), which then
 * resolves whatever passes, inside ROOT. */
static bool maybe_pf(const struct reader *rd, const char *classdir, const char *name)
{
	_cleanup_free_ char *dir = vf_path_join(classdir, name);
	_cleanup_free_ char *rel = xasprintf("%s/device/sriov_numvfs", dir);
	if (!rd->openat2) {
		struct stat st;
		return fstatat(rd->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
	}
	int fd = sys_openat2(rd->rootfd, rel, O_PATH | O_NOFOLLOW,
			     RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Is class/net/NAME a PF we report? Returns its canonical netdev and PCI function dirs. */
static bool pf_candidate(const struct reader *rd, const char *classdir, const char *name,
			 char **ret_netdir, char **ret_pfdir)
{
	_cleanup_free_ char *netdir = NULL, *pfdir = NULL;
	if (!maybe_pf(rd, classdir, name) || vf_resolve_under(rd->root, classdir, name, &netdir) < 0)
		return false;
	/* No parent device (lo, bond0, macvtap) or a broken one: nothing to count. */
	if (vf_resolve_under(rd->root, netdir, "device", &pfdir) < 0)
		return false;
	if (!entry_exists(rd, pfdir, "sriov_numvfs") || entry_exists(rd, pfdir, "physfn"))
		return false;
	if (is_representor(rd, netdir))
		return false;
	*ret_netdir = TAKE_PTR(netdir);
	*ret_pfdir = TAKE_PTR(pfdir);
	return true;
}

static void scan_netdev(struct reader *rd, const char *classdir, const char *name,
			const struct vf_config *cfg, char *const *only)
{
	_cleanup_free_ char *netdir = NULL, *pfdir = NULL, *driver = NULL;
	if (only && !strv_contains(only, name))
		return;
	if (!pf_candidate(rd, classdir, name, &netdir, &pfdir))
		return;
	(void)link_basename(rd, pfdir, "driver", &driver);
	if (cfg && !vf_config_pf_selected(cfg, name, driver))
		return;

	struct vf_pf *pf = vf_host_add_pf(rd->h, name);
	pf->driver = TAKE_PTR(driver);
	rd->pf = pf->name;
	read_pf(rd, pf, netdir, pfdir);
	rd->pf = NULL;
}

int vf_sysfs_read(const char *root, const struct vf_config *cfg, char *const *only,
		  struct vf_host *h)
{
	_cleanup_(reader_done) struct reader rd = {
		.root = root, .h = h, .held = { LISTING_INIT, LISTING_INIT, LISTING_INIT, LISTING_INIT },
		.dirbuf = xmalloc(DIRBUF), .openat2 = vf_sysfs_openat2(),
	};
	rd.rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rd.rootfd < 0)
		return -errno;
	_cleanup_listing_ struct listing nets = LISTING_INIT;
	int r = list_dir(&rd, "", "class/net", &nets, false);
	if (r < 0)
		return r;
	/* The kernel lists every macvtap of the netns whose sysfs this is (the VF netdevs') as
	 * class/macvtap/tapN: with none there, no VF has an upper_macvtap* link to look for. */
	_cleanup_free_ char *tap = NULL;
	rd.macvtaps = first_entry(&rd, "", "class/macvtap", "", &tap) == 0;

	for (size_t i = 0; i < nets.n; i++)
		scan_netdev(&rd, nets.dir, nets.v[i].name, cfg, only);
	vf_host_sort(h);
	return 0;
}

char *vf_sysfs_host_uuid(const char *root)
{
	_cleanup_free_ char *canon = NULL, *full = NULL, *s = NULL;
	if (vf_sysfs_resolve(root, "class/dmi/id/product_uuid", &canon) < 0)
		return NULL;
	full = vf_full_path(root, canon);
	if (read_one_line(full, &s, ATTR_MAX) < 0 || !*s)
		return NULL;
	/* Older kernels print it in upper case; VDSM and the engine use lower case. */
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return TAKE_PTR(s);
}
