/* SPDX-License-Identifier: MIT */
/* SR-IOV topology from sysfs. root stands for /sys (a fixture tree in tests). */
#pragma once

#include "config.h"
#include "model.h"

/* Add every selected PF (a netdev under ROOT/class/net whose device/ has sriov_numvfs) with its
 * VFs to h. only (NULL-terminated, may be NULL) further restricts PFs by exact name.
 * Per-PF and per-VF problems become host errors (source sysfs) naming the file; the PF stays in
 * the report with the affected counts unknown. Returns -errno only when ROOT/class/net cannot
 * be read at all (nothing could be read). */
int vf_sysfs_read(const char *root, const struct vf_config *cfg, char *const *only, struct vf_host *h);

/* ROOT/class/dmi/id/product_uuid (what VDSM reports as host UUID), NULL when missing. */
char *vf_sysfs_host_uuid(const char *root);
