/* SPDX-License-Identifier: MIT */
/* /etc/vfcap/vfcap.conf: an INI file read with inih.
 *
 *   [vfcap]
 *   pfs = ens1f*, enp3s0f0      ; which PFs count (fnmatch globs); default: all
 *   drivers = ixgbe, enic       ; which PF drivers count; default: all
 *   pool_network = direct-pool  ; libvirt pool network of the hook
 *   pool_mode = passthrough     ; passthrough | hostdev
 *   hostname = node1            ; override gethostname()
 *   sysfs_root = /sys           ; sources, for the hook (VDSM passes no arguments)
 *   libvirt_uri = qemu:///system
 *   netlink_file = FILE
 *   run_dir = /run/vfcap        ; the hook's lock and reservation ledger
 *   reservation_ttl = 300       ; seconds a vNIC's reservation waits for its pool connection
 *
 *   [pf ens1f0]                 ; section per PF; the name may be a glob (no ']'); first match wins
 *   reserved = 0-3, 7           ; VF indexes the admin keeps out of the pool
 *   physical_network = physnet1 ; labels
 *   fabric = A
 *
 * Keys start in column 0. An indented line continues the list of the key above it (long pfs=,
 * drivers= or reserved= lists); a line may hold at most inih's line buffer (198 characters on
 * Debian's build). Unknown sections or keys, a key set twice, a section given twice and invalid
 * values are errors, never ignored.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* VF indexes in reserved= are 0 .. VF_CONFIG_MAX_VFS - 1. */
#define VF_CONFIG_MAX_VFS 4096

struct vf_range {
	int first, last;
};

struct vf_pf_config {
	char *pattern;
	struct vf_range *reserved;
	size_t n_reserved;
	char *physical_network;
	char *fabric;
};

struct vf_config {
	char *path; /* NULL for the built-in defaults */
	char **pf_globs;
	size_t n_pf_globs;
	char **drivers;
	size_t n_drivers;
	char *pool_network;
	char *pool_mode;
	char *hostname;
	char *sysfs_root;
	char *libvirt_uri;
	char *netlink_file;
	char *run_dir;
	int reservation_ttl;
	struct vf_pf_config *pfs;
	size_t n_pfs;
};

/* Built-in defaults (pool_network "direct-pool", pool_mode "passthrough", run_dir "/run/vfcap",
 * reservation_ttl 300, everything else unset). */
struct vf_config *vf_config_new(void);
/* Load path over the defaults. A missing file is -ENOENT (callers decide whether that is fatal).
 * On a syntax or value error returns -EINVAL and *errmsg = "FILE:LINE: what is wrong".
 * Any failure sets *errmsg (when errmsg is not NULL; caller frees) and leaves *ret untouched. */
int vf_config_load(const char *path, struct vf_config **ret, char **errmsg);
void vf_config_free(struct vf_config *c);
static inline void vf_config_freep(struct vf_config **c)
{
	vf_config_free(*c);
}
#define _cleanup_config_ __attribute__((cleanup(vf_config_freep)))

/* Does the PF count, by the pfs= and drivers= filters (driver may be NULL)? */
bool vf_config_pf_selected(const struct vf_config *c, const char *name, const char *driver);
/* The first [pf GLOB] section matching name, or NULL. */
const struct vf_pf_config *vf_config_find_pf(const struct vf_config *c, const char *name);
bool vf_config_vf_reserved(const struct vf_pf_config *pc, int index);
