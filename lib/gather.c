/* SPDX-License-Identifier: MIT */
#include "gather.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "capacity.h"
#include "holders.h"
#include "netlink.h"
#include "sysfs.h"
#include "util.h"

const char *vf_gather_sysfs_root(const struct vf_config *cfg, const struct vf_gather_opts *o)
{
	return o->sysfs_root ? o->sysfs_root : cfg->sysfs_root ? cfg->sysfs_root : "/sys";
}

static void identify(struct vf_host *h, const struct vf_config *cfg, const char *root, time_t now)
{
	char name[256] = "";
	h->uuid = vf_sysfs_host_uuid(root);
	if (cfg->hostname)
		h->hostname = xstrdup(cfg->hostname);
	else if (gethostname(name, sizeof(name) - 1) == 0)
		h->hostname = xstrdup(name);
	else
		h->hostname = xstrdup("localhost");
	h->generated_at = now;
}

static void check_requested_pfs(struct vf_host *h, char *const *pfs)
{
	for (size_t i = 0; pfs && pfs[i]; i++)
		if (!vf_host_find_pf(h, pfs[i]))
			vf_host_add_error(h, VF_SRC_SYSFS, pfs[i], "%s: no such SR-IOV PF (or excluded by the config)",
					  pfs[i]);
}

static void judge(struct vf_host *h, const struct vf_config *cfg, const struct vf_gather_opts *o,
		  struct vf_usage *usage)
{
	if (h->n_pfs == 0) {
		vf_capacity_compute(h, NULL, cfg); /* nothing for netlink or libvirt to tell */
		return;
	}
	const char *file = o->netlink_file ? o->netlink_file : o->netlink_record ? NULL : cfg->netlink_file;
	vf_netlink_read(h, file, o->netlink_record);
	const char *uri = o->libvirt_uri ? o->libvirt_uri : cfg->libvirt_uri;
	_cleanup_free_ char *err = NULL;
	bool ok = vf_libvirt_read_within(uri, cfg->libvirt_timeout, usage, &err) >= 0;
	if (!ok)
		vf_host_add_error(h, VF_SRC_LIBVIRT, uri ?: VF_LIBVIRT_DEFAULT_URI, "%s", err);
	/* after libvirt: a VF a domain holds needs no other name, and /proc is not read for it */
	const char *proc = o->proc_root ?: cfg->proc_root ?: "/proc";
	const char *netns = o->netns_root ?: cfg->netns_root ?: "/run/netns";
	if (!o->skip_holder_names)
		vf_holders_name(h, ok ? usage : NULL, proc, netns, o->holder_hints);
	vf_capacity_compute(h, ok ? usage : NULL, cfg);
}

int vf_gather(struct vf_host *h, const struct vf_config *cfg, const struct vf_gather_opts *o,
	      struct vf_usage *usage)
{
	const char *root = vf_gather_sysfs_root(cfg, o);
	int r = vf_sysfs_read(root, cfg, o->pfs, h);
	if (r < 0)
		return r;
	identify(h, cfg, root, o->now);
	check_requested_pfs(h, o->pfs);
	struct vf_usage local = { 0 };
	judge(h, cfg, o, usage ? usage : &local);
	vf_usage_clear(&local);
	return 0;
}
