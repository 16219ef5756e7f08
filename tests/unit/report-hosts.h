/* SPDX-License-Identifier: MIT */
/* Hosts built through the model API (lib/model.h) for the report's tests: test_report.c (JSON,
 * table, Prometheus) and test_numa.c (lib/numa.c). host_full: an ixgbe PF, a PF whose netlink
 * list wrapped, a VM-FEX enic and a PF whose netlink query failed. */
#pragma once

#include <string.h>

#include "model.h"
#include "util.h"

#define T_2026_11_20 1795168800 /* 2026-11-20T10:00:00Z */

/* The sysfs identity of a PF; numa_node 0, link up. */
static inline struct vf_pf *add_pf(struct vf_host *h, const char *name, int ifindex, const char *pci,
			    const char *driver, const char *vendor, const char *device)
{
	struct vf_pf *pf = vf_host_add_pf(h, name);
	pf->ifindex = ifindex;
	pf->pci_address = xstrdup(pci);
	pf->driver = xstrdup(driver);
	pf->vendor_id = xstrdup(vendor);
	pf->device_id = xstrdup(device);
	pf->numa_node = 0;
	pf->link_state = xstrdup("up");
	return pf;
}

static inline void set_vf(struct vf_vf *vf, enum vf_state st, const char *owner)
{
	vf->state = st;
	vf->owner = xstrdup(owner);
}

/* ixgbe PF: everything known, VFs in several states, a label. */
static inline void add_ixgbe(struct vf_host *h)
{
	struct vf_pf *pf = add_pf(h, "ens1f0", 4, "0000:3b:00.0", "ixgbe", "0x8086", "0x10fb");
	pf->physical_network = xstrdup("physnet1");
	pf->totalvfs = 63;
	pf->numvfs = 4;
	pf->nl = (struct vf_netlink){ .valid = true, .num_vf = 4, .listed = 4, .bytes_per_vf = 296,
				      .limit = 221, .has_vfinfo = true };
	pf->reachable = 4, pf->unreachable = 0, pf->reserved = 1;
	pf->usable = 3, pf->used = 2, pf->free = 1, pf->shared_iommu = 1;
	vf_pf_set_vfs(pf, 4);
	for (int i = 0; i < 4; i++) {
		struct vf_vf *vf = &pf->vfs[i];
		vf->pci_address = xasprintf("0000:3b:10.%d", i * 2);
		vf->listed = true;
		snprintf(vf->mac, sizeof(vf->mac), "52:54:00:00:00:%02x", i);
		vf->vlan = i == 1 ? 100 : 0;
		vf->qos = 0;
		vf->trust = 0;
		vf->spoofchk = 1;
		vf->link_state = i; /* auto, enable, disable, and 3: newer than this code -> null */
	}
	pf->vfs[0].netdev = xstrdup("ens1f0v0");
	pf->vfs[0].driver = xstrdup("ixgbevf");
	pf->vfs[0].iommu_group = 17, pf->vfs[0].iommu_group_devices = 2;
	set_vf(&pf->vfs[0], VF_STATE_FREE, NULL);
	pf->vfs[1].driver = xstrdup("vfio-pci");
	set_vf(&pf->vfs[1], VF_STATE_ASSIGNED, "vm1");
	set_vf(&pf->vfs[2], VF_STATE_POOL, "direct-pool");
	set_vf(&pf->vfs[3], VF_STATE_RESERVED, NULL);
	pf->carrier = 1;
	pf->link_ok = true;
	pf->vfs[0].min_tx_rate = 0, pf->vfs[0].max_tx_rate = 0;
	pf->vfs[1].min_tx_rate = 100, pf->vfs[1].max_tx_rate = 1000;
	pf->vfs[1].dirty = 1u << VF_DIRTY_VLAN | 1u << VF_DIRTY_RATE;
	pf->vfs[2].dirty = 1u << VF_DIRTY_LINK_STATE;
	pf->dirty = 0, pf->no_link = 0;
}

/* mlx5 PF with 256 VFs: the netlink list wrapped and shows only 34. */
static inline void add_truncated(struct vf_host *h)
{
	struct vf_pf *pf = add_pf(h, "ens2f0", 6, "0000:5e:00.0", "mlx5_core", "0x15b3", "0x1017");
	pf->numa_node = 1;
	pf->totalvfs = 256;
	pf->numvfs = 256;
	pf->nl = (struct vf_netlink){ .valid = true, .num_vf = 256, .listed = 34, .bytes_per_vf = 296,
				      .limit = 221, .bytes_per_vf_no_stats = 196, .limit_no_stats = 334,
				      .truncated = true, .has_vfinfo = true };
	free(pf->link_state);
	pf->link_state = xstrdup("down");
	pf->carrier = 0;
	pf->link_ok = false;
	pf->dirty = 0, pf->no_link = 33;
	pf->reachable = 34, pf->unreachable = 222, pf->reserved = 0;
	pf->usable = 34, pf->used = 1, pf->free = 33;
	vf_pf_set_vfs(pf, 256);
	for (int i = 0; i < 256; i++)
		set_vf(&pf->vfs[i], i < 34 ? VF_STATE_FREE : VF_STATE_UNREACHABLE, NULL);
	set_vf(&pf->vfs[5], VF_STATE_HOST, "bond0");
}

/* enic (VM-FEX): no VF list, only IFLA_VF_PORTS; port profiles in every combination. */
static inline void add_enic(struct vf_host *h)
{
	struct vf_pf *pf = add_pf(h, "enic0", 8, "0000:0a:00.0", "enic", "0x1137", "0x0043");
	pf->physical_network = xstrdup("physnet2");
	pf->fabric = xstrdup("fabric-a");
	pf->numvfs = 4;
	pf->nl = (struct vf_netlink){ .valid = true, .num_vf = 4, .listed = 4, .has_ports = true };
	pf->reachable = 4, pf->unreachable = 0, pf->reserved = 0;
	pf->usable = 4, pf->used = 1, pf->free = 3;
	vf_pf_set_vfs(pf, 4);
	pf->vfs[0].port_profile = xstrdup("Profile1");
	pf->vfs[0].port_response = 256;
	set_vf(&pf->vfs[0], VF_STATE_HOST, "port profile Profile1");
	pf->vfs[2].port_profile = xstrdup("Profile2"); /* requested, no response yet */
	pf->vfs[3].port_response = 0;                  /* response without a profile */
	for (int i = 1; i < 4; i++)
		set_vf(&pf->vfs[i], VF_STATE_FREE, NULL);
}

/* netlink failed for this PF: everything it would have told is unknown. */
static inline void add_nl_failed(struct vf_host *h)
{
	struct vf_pf *pf = vf_host_add_pf(h, "eth9");
	pf->numvfs = 2;
	vf_pf_set_vfs(pf, 2);
	vf_host_add_error(h, VF_SRC_NETLINK, "eth9", "eth9: RTM_GETLINK: %s", "Operation not permitted");
}

static inline struct vf_host *host_full(void)
{
	struct vf_host *h = vf_host_new();
	h->hostname = xstrdup("kvm1.example.com");
	h->uuid = xstrdup("4c4c4544-0042-3510-8052-b4c04f4e3132");
	h->generated_at = T_2026_11_20;
	add_ixgbe(h);
	add_truncated(h);
	add_enic(h);
	add_nl_failed(h);
	vf_host_add_error(h, VF_SRC_LIBVIRT, NULL, "cannot connect to %s", "qemu:///system");
	h->totals = (struct vf_totals){ .pfs = 4, .vfs = 266, .usable = UNKNOWN, .used = UNKNOWN,
					.free = UNKNOWN, .reserved = 1, .unreachable = 222 };
	return h;
}

static inline struct vf_host *host_small(void)
{
	struct vf_host *h = vf_host_new();
	h->hostname = xstrdup("kvm2");
	h->generated_at = T_2026_11_20;
	add_ixgbe(h);
	add_truncated(h);
	h->totals = (struct vf_totals){ .pfs = 2, .vfs = 260, .usable = 37, .used = 3, .free = 34,
					.reserved = 1, .unreachable = 222 };
	return h;
}

static inline struct vf_host *host_empty(void)
{
	struct vf_host *h = vf_host_new();
	h->hostname = xstrdup("empty");
	return h;
}
