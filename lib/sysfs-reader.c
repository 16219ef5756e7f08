/* SPDX-License-Identifier: MIT */
/* The sysfs reader's primitives (sysfs-reader.h): paths below ROOT opened, listed and read.
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
#include "sysfs-reader.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "sysfs-path.h"
#include "sysfs.h"

void sr_listing_done(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	free(l->dir);
	if (l->fd >= 0)
		close(l->fd);
	*l = (struct listing)LISTING_INIT;
}

void sr_reader_done(struct reader *rd)
{
	if (rd->rootfd >= 0)
		close(rd->rootfd);
	for (size_t i = 0; i < ARRAY_SIZE(rd->held); i++)
		sr_listing_done(&rd->held[i]);
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

int sr_sys_openat2(int dirfd, const char *path, int flags, uint64_t resolve)
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
	int fd = sr_sys_openat2(AT_FDCWD, "/", O_PATH, 0); /* ENOSYS, or EPERM from seccomp */
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Open canon, a canonical path below ROOT, following no symlink: -ELOOP (or -ENOTDIR with
 * O_DIRECTORY, without openat2) where there is one. */
int sr_open_plain(const struct reader *rd, const char *canon, int flags)
{
	const char *rest;
	int dirfd = walk_from(rd, canon, &rest);
	if (!*rest)
		rest = ".";
	if (rd->openat2)
		return sr_sys_openat2(dirfd, rest, flags, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
	int fd = openat(dirfd, rest, flags | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Open dir/rel (dir canonical; rel may hold symlinks): one syscall when rel is plain and no
 * symlink is met, else the resolver. Returns the fd or -errno; *ret_canon is set when
 * resolving succeeded, so a failure with it set is the open's, without it the resolver's. */
int sr_open_under(const struct reader *rd, const char *dir, const char *rel, int flags,
		      char **ret_canon)
{
	_cleanup_free_ char *canon = vf_path_join(dir, rel);
	*ret_canon = NULL;
	if (vf_path_is_plain(rel)) {
		int fd = sr_open_plain(rd, canon, flags);
		if (fd == -ENOENT)
			return fd; /* no symlink on the way: the resolver would find the same gap */
		if (fd >= 0) {
			*ret_canon = TAKE_PTR(canon);
			return fd;
		}
	}
	int r = vf_resolve_under(rd->root, dir, rel, ret_canon);
	return r < 0 ? r : sr_open_plain(rd, *ret_canon, flags);
}

/* Does dir/name exist (as anything, a dangling link included)? dir is canonical. */
bool sr_entry_exists(const struct reader *rd, const char *dir, const char *name)
{
	_cleanup_free_ char *rel = vf_path_join(dir, name);
	const char *rest;
	int dirfd = walk_from(rd, rel, &rest);
	struct stat st;
	return fstatat(dirfd, rest, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The target of link dir/name (dir canonical), not followed. */
int sr_read_link_in(const struct reader *rd, const char *dir, const char *name, char **ret)
{
	_cleanup_free_ char *rel = vf_path_join(dir, name);
	const char *rest;
	int dirfd = walk_from(rd, rel, &rest);
	return vf_read_link_at(dirfd, rest, ret);
}

/* The basename of the target of link dir/name, without following it (driver, master, device):
 * the name is the fact, the target need not be inside ROOT or exist. dir is canonical. */
int sr_link_basename(const struct reader *rd, const char *dir, const char *name, char **ret)
{
	_cleanup_free_ char *target = NULL;
	int r = sr_read_link_in(rd, dir, name, &target);
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
int sr_list_dir(const struct reader *rd, const char *dir, const char *rel, struct listing *l,
		    bool hold)
{
	_cleanup_free_ char *canon = NULL;
	_cleanup_close_ int fd = sr_open_under(rd, dir, rel, O_RDONLY | O_DIRECTORY, &canon);
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

/* The sr_smallest entry starting with prefix: readdir order is the file system's, and the report
 * must not depend on it. */
const struct entry *sr_smallest(const struct listing *l, const char *prefix)
{
	const struct entry *best = NULL;
	for (size_t i = 0; i < l->n; i++)
		if (startswith(l->v[i].name, prefix) && (!best || strcmp(l->v[i].name, best->name) < 0))
			best = &l->v[i];
	return best;
}

/* The sr_smallest entry of parent/dir (parent canonical) starting with prefix. */
int sr_first_entry(const struct reader *rd, const char *parent, const char *dir,
		       const char *prefix, char **ret)
{
	_cleanup_listing_ struct listing l = LISTING_INIT;
	int r = sr_list_dir(rd, parent, dir, &l, false);
	if (r < 0)
		return r;
	const struct entry *e = sr_smallest(&l, prefix);
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
const struct entry *sr_sibling(struct reader *rd, const char *dir, const char *name)
{
	struct listing *l = &rd->held[HELD_SIBS];
	if (!l->dir || !streq(l->dir, dir)) {
		sr_listing_done(l);
		if (sr_list_dir(rd, dir, "", l, true) < 0) {
			sr_listing_done(l);
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

void sr_add_error(const struct reader *rd, const char *rel, const char *fmt, ...)
	_printf_(3, 4);
void sr_add_error(const struct reader *rd, const char *rel, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *what = xvasprintf(fmt, ap);
	va_end(ap);
	vf_host_add_error(rd->h, VF_SRC_SYSFS, rd->pf, "%s/%s: %s", rd->root, rel, what);
}

/* Read attribute dir/name. -ENOENT when missing (callers pick the default, silently); any other
 * failure is a host error. *ret_rel (optional) gets the canonical file for later messages. */
int sr_attr_read(const struct reader *rd, const char *dir, const char *name, char **ret,
		     char **ret_rel)
{
	_cleanup_free_ char *canon = NULL;
	_cleanup_close_ int fd = sr_open_under(rd, dir, name, O_RDONLY, &canon);
	if (fd == -ENOENT)
		return fd;
	if (fd < 0 && !canon) {
		_cleanup_free_ char *rel = vf_path_join(dir, name);
		sr_add_error(rd, rel, "cannot resolve: %s", strerror(-fd));
		return fd;
	}
	int r = fd < 0 ? fd : read_one_line_fd(fd, ret, ATTR_MAX);
	if (r < 0) {
		sr_add_error(rd, canon, "cannot read: %s", strerror(-r));
		return r;
	}
	if (ret_rel)
		*ret_rel = TAKE_PTR(canon);
	return 0;
}

/* A decimal attribute in [min, max]. A malformed value is a host error naming file and value. */
int sr_attr_int(const struct reader *rd, const char *dir, const char *name, long min, long max,
		    long *ret)
{
	_cleanup_free_ char *s = NULL, *rel = NULL;
	int r = sr_attr_read(rd, dir, name, &s, &rel);
	if (r < 0)
		return r;
	r = parse_long(s, min, max, ret);
	if (r == -EINVAL)
		sr_add_error(rd, rel, "not a number: '%s'", s);
	else if (r < 0)
		sr_add_error(rd, rel, "out of range [%ld, %ld]: '%s'", min, max, s);
	return r;
}

/* "0x8086": the text is kept (it is what lspci and the report show), but it must be a
 * 16-bit hex id. */
char *sr_attr_pci_id(const struct reader *rd, const char *dir, const char *name)
{
	_cleanup_free_ char *s = NULL, *rel = NULL;
	if (sr_attr_read(rd, dir, name, &s, &rel) < 0)
		return NULL;
	size_t n = startswith(s, "0x") ? strspn(s + 2, "0123456789abcdefABCDEF") : 0;
	if (n < 1 || n > 4 || s[2 + n]) {
		sr_add_error(rd, rel, "not a PCI id: '%s'", s);
		return NULL;
	}
	return TAKE_PTR(s);
}

/* DDDD:BB:SS.F */
bool sr_is_pci_address(const char *s)
{
	static const char pattern[] = "xxxx:xx:xx.x";
	if (strlen(s) != sizeof(pattern) - 1)
		return false;
	for (size_t i = 0; pattern[i]; i++)
		if (pattern[i] == 'x' ? !isxdigit((unsigned char)s[i]) : s[i] != pattern[i])
			return false;
	return true;
}

