/* SPDX-License-Identifier: MIT */
/* Paths inside a sysfs ROOT (sysfs-path.h): joining, and resolving symlinks component by
 * component without ever leaving ROOT. */
#include "sysfs-path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysfs.h"
#include "util.h"

#define MAX_LINK_HOPS 40 /* what the kernel allows (ELOOP) */

/* ROOT/rel; rel "" is ROOT itself. */
char *vf_full_path(const char *root, const char *rel)
{
	return *rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
}

char *vf_path_join(const char *dir, const char *name)
{
	if (!*name)
		return xstrdup(dir);
	return *dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
}

/* One component that names an entry of its directory ("" names the directory itself). */
bool vf_path_is_plain(const char *name)
{
	return !strchr(name, '/') && !streq(name, ".") && !streq(name, "..");
}

int vf_read_link_at(int dirfd, const char *path, char **ret)
{
	for (size_t size = 256; size <= 16 * PATH_MAX; size *= 2) {
		_cleanup_free_ char *buf = xmalloc(size);
		ssize_t n = readlinkat(dirfd, path, buf, size);
		if (n < 0)
			return -errno;
		if ((size_t)n < size) {
			buf[n] = '\0';
			*ret = TAKE_PTR(buf);
			return 0;
		}
	}
	return -ENAMETOOLONG;
}

/* Drop the last component of a canonical relative path. Going above ROOT is how a link
 * leaves the tree: -EXDEV, which callers treat like a dangling link. */
int vf_path_pop(char *p)
{
	if (!*p)
		return -EXDEV;
	char *slash = strrchr(p, '/');
	*(slash ? slash : p) = '\0';
	return 0;
}

/* Resolve one component against *done (canonical so far). A symlink is not followed here:
 * its target is put in front of *todo, so it is resolved relative to where the link is. */
static int resolve_step(const char *root, char **done, char **todo, const char *comp,
			unsigned *hops)
{
	if (streq(comp, "."))
		return 0;
	if (streq(comp, ".."))
		return vf_path_pop(*done);

	_cleanup_free_ char *cand = vf_path_join(*done, comp);
	_cleanup_free_ char *full = vf_full_path(root, cand);
	struct stat st;
	if (lstat(full, &st) < 0)
		return -errno;
	if (!S_ISLNK(st.st_mode)) {
		free(*done);
		*done = TAKE_PTR(cand);
		return 0;
	}
	if (++*hops > MAX_LINK_HOPS)
		return -ELOOP;
	_cleanup_free_ char *target = NULL;
	int r = vf_read_link_at(AT_FDCWD, full, &target);
	if (r < 0)
		return r;
	/* sysfs makes only relative links; an absolute one would name the real /. */
	if (target[0] == '/')
		return -EXDEV;
	char *t = xasprintf("%s%s", target, *todo); /* *todo is "" or starts with '/' */
	free(*todo);
	*todo = t;
	return 0;
}

/* Resolve rel below base, a path already canonical, so only the new components cost an lstat
 * each. */
int vf_resolve_under(const char *root, const char *base, const char *rel, char **ret)
{
	_cleanup_free_ char *done = xstrdup(base);
	_cleanup_free_ char *todo = xstrdup(rel);
	unsigned hops = 0;

	for (;;) {
		const char *rest = todo + strspn(todo, "/");
		if (!*rest)
			break;
		size_t n = strcspn(rest, "/");
		_cleanup_free_ char *comp = xstrndup(rest, n);
		memmove(todo, rest + n, strlen(rest + n) + 1);
		int r = resolve_step(root, &done, &todo, comp, &hops);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(done);
	return 0;
}

int vf_sysfs_resolve(const char *root, const char *rel, char **ret)
{
	return vf_resolve_under(root, "", rel, ret);
}
