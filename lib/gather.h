/* SPDX-License-Identifier: MIT */
/* One host's VF picture from all sources: sysfs, then netlink, then libvirt, judged by the
 * capacity rules. vfcap-report and vfcap-hook both call this, so they never count differently. */
#pragma once

#include <time.h>

#include "config.h"
#include "libvirt.h"
#include "model.h"

struct vf_holder_hints; /* holders.h */

struct vf_gather_opts {
	const char *sysfs_root;     /* NULL: the config's, else /sys */
	const char *netlink_file;   /* NULL: the config's, else the kernel */
	const char *netlink_record; /* live replies also written here (implies the kernel) */
	const char *libvirt_uri;    /* NULL: the config's, else qemu:///system */
	const char *proc_root;      /* NULL: the config's, else /proc (VFIO holders, netns pids) */
	const char *netns_root;     /* NULL: the config's, else /run/netns (named namespaces) */
	char *const *pfs;           /* only these PFs (NULL-terminated), or NULL for all */
	/* who held which VF outside libvirt at the last gather, asked first and then replaced
	 * (holders.h); NULL: none (a one-shot run) */
	struct vf_holder_hints *holder_hints;
	/* only which VFs are free matters (the hook placing vNICs): /proc is not read, and a VF
	 * held outside libvirt stays "host" with its holder unnamed */
	bool skip_holder_names;
	time_t now;                 /* the report time */
};

/* Fill h. Returns 0, also when a source failed (then h->errors says which and the counts it
 * affects are unknown), or -errno when sysfs itself could not be read (nothing to report).
 * When usage is not NULL it receives what libvirt holds (empty if libvirt failed; the caller
 * clears it), for callers that need more than the counts (the hook's pool upkeep). */
int vf_gather(struct vf_host *h, const struct vf_config *cfg, const struct vf_gather_opts *o,
	      struct vf_usage *usage);


/* The sysfs root vf_gather reads for these options and config. */
const char *vf_gather_sysfs_root(const struct vf_config *cfg, const struct vf_gather_opts *o);
