/* SPDX-License-Identifier: MIT */
/* SR-IOV topology from sysfs. root stands for /sys (a fixture tree in tests). */
#pragma once

#include "config.h"
#include "model.h"

/* Add every selected PF (a netdev under ROOT/class/net whose device/ has sriov_numvfs) with its
 * VFs to h. only (NULL-terminated, may be NULL) further restricts PFs by exact name.
 * Per-PF and per-VF problems become host errors (source sysfs, object = the PF name) whose
 * message starts with the file: "ROOT/devices/.../sriov_numvfs: not a number: 'abc'". The PF
 * stays in the report with the affected counts unknown. Returns -errno only when
 * ROOT/class/net cannot be read at all (nothing could be read). */
int vf_sysfs_read(const char *root, const struct vf_config *cfg, char *const *only, struct vf_host *h);

/* Resolve rel (a path relative to ROOT, symlinks anywhere in it) to the canonical path relative
 * to ROOT, without any symlink, the way the kernel would if ROOT were /. Never consults
 * anything outside ROOT: a link that climbs above ROOT or is absolute gives -EXDEV; a missing
 * component -ENOENT; a loop -ELOOP. "" stands for ROOT itself. */
int vf_sysfs_resolve(const char *root, const char *rel, char **ret);

/* Whether vf_sysfs_read lets the kernel check its paths with openat2(2) (Linux >= 5.6, and not
 * refused by seccomp) rather than trusting the paths it resolved itself; both give the same
 * results. VFCAP_NO_OPENAT2=1 in the environment forces the latter (tests, kernel bugs). */
bool vf_sysfs_openat2(void);

/* ROOT/class/dmi/id/product_uuid (what VDSM reports as host UUID), NULL when missing. */
char *vf_sysfs_host_uuid(const char *root);
