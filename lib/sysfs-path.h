/* SPDX-License-Identifier: MIT */
/* Paths inside a sysfs ROOT, for lib/sysfs.c: relative paths ("" is ROOT itself), symlinks
 * resolved by this code one component at a time, never by realpath(3) (see sysfs.c's top). */
#pragma once

#include <stdbool.h>

/* ROOT/rel; rel "" is ROOT itself. Caller frees. */
char *vf_full_path(const char *root, const char *rel);
/* dir/name, either may be "". Caller frees. */
char *vf_path_join(const char *dir, const char *name);
/* One component that names an entry of its directory ("" names the directory itself). */
bool vf_path_is_plain(const char *name);
/* The target of the link at dirfd/path (any length). */
int vf_read_link_at(int dirfd, const char *path, char **ret);
/* Drop the last component of a canonical relative path; -EXDEV above ROOT. */
int vf_path_pop(char *p);
/* Resolve rel below base (canonical, relative to root) into *ret: canonical, no symlink left.
 * -EXDEV when a link leaves ROOT (absolute, or climbing above it), -ELOOP past 40 hops. */
int vf_resolve_under(const char *root, const char *base, const char *rel, char **ret);
