/* SPDX-License-Identifier: MIT */
/* The directory source (source-dir.c): a thread keeps a table of every `<host-id>.json` in the
 * reports directory (source.h says how). Used by the facade, source.c. */
#pragma once

#include <stddef.h>

#include "host-entry.h"
#include "source-opts.h"

struct vf_dir;
int vf_dir_new(const char *path, int rescan_interval, struct vf_dir **ret, char **errmsg);
void vf_dir_free(struct vf_dir *d);
/* out[i] = a reference to ids[i]'s entry, or NULL when the directory has no such file. */
void vf_dir_lookup(struct vf_dir *d, const char *const *ids, size_t n, struct vf_host_entry **out);
void vf_dir_rescan(struct vf_dir *d);
void vf_dir_stats(struct vf_dir *d, struct vf_source_stats *st);
const char *vf_dir_path(const struct vf_dir *d);
/* References to every entry of the published table (appended to *out, *n). */
void vf_dir_all(struct vf_dir *d, struct vf_host_entry ***out, size_t *n);
