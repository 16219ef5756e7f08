/* SPDX-License-Identifier: MIT */
#include "capacity.h"

#include <string.h>

#include "util.h"

/* IFLA_PORT_RESPONSE values meaning a VM-FEX port profile is (being) associated. */
#define PORT_PROFILE_RESPONSE_SUCCESS 0x100
#define PORT_PROFILE_RESPONSE_INPROGRESS 0x101

static void set_state(struct vf_vf *vf, enum vf_state s, char *owner)
{
	vf->state = s;
	free(vf->owner);
	vf->owner = owner;
}

static bool libvirt_claims(struct vf_vf *vf, const struct vf_usage *u)
{
	const struct vf_use *use = NULL;
	if (vf->pci_address)
		use = vf_usage_find(u, VF_USE_DOMAIN_PCI, vf->pci_address);
	if (!use && vf->netdev)
		use = vf_usage_find(u, VF_USE_DOMAIN_NETDEV, vf->netdev);
	if (use) {
		set_state(vf, VF_STATE_ASSIGNED, xstrdup(use->owner));
		return true;
	}
	if (vf->netdev)
		use = vf_usage_find(u, VF_USE_POOL_NETDEV, vf->netdev);
	if (!use && vf->pci_address)
		use = vf_usage_find(u, VF_USE_POOL_PCI, vf->pci_address);
	if (use && use->connections > 0) {
		set_state(vf, VF_STATE_POOL, xstrdup(use->owner));
		return true;
	}
	return false;
}

/* What the host itself does with the VF; the owner says what, for the admin. */
static char *host_use(const struct vf_vf *vf)
{
	if (vf->master)
		return xasprintf("master %s", vf->master);
	if (vf->macvtap_upper)
		return xasprintf("macvtap %s", vf->macvtap_upper);
	if (vf->has_addresses)
		return xasprintf("addresses on %s", vf->netdev ? vf->netdev : "netdev");
	if (vf->port_response == PORT_PROFILE_RESPONSE_SUCCESS ||
	    vf->port_response == PORT_PROFILE_RESPONSE_INPROGRESS)
		return xasprintf("802.1Qbh %s", vf->port_profile ? vf->port_profile : "port profile");
	/* held outside libvirt (lib/holders.c names them when it can) */
	if (vf->holder)
		return xstrdup(vf->holder);
	if (streq_ptr(vf->driver, "vfio-pci") && vf->enable >= 1)
		return xstrdup("vfio (holder unnamed)");
	if (vf->net_hidden)
		return xstrdup("netns (unnamed)");
	return NULL;
}

/* Precedence: unreachable > reserved > assigned > pool > host > free. A VFIO user or a netns
 * that libvirt also names is libvirt's (assigned/pool): host owners come after. A VF libvirt cannot
 * describe is unusable whoever holds it; a reserved one is out of the count either way. */
static void judge_vf(const struct vf_pf *pf, struct vf_vf *vf, const struct vf_usage *u,
		     const struct vf_pf_config *pc)
{
	set_state(vf, VF_STATE_UNKNOWN, NULL);
	if (pf->nl.valid && !vf->listed) {
		set_state(vf, VF_STATE_UNREACHABLE, NULL);
		return;
	}
	if (pc && vf_config_vf_reserved(pc, vf->index)) {
		set_state(vf, VF_STATE_RESERVED, xstrdup("config"));
		return;
	}
	if (u && libvirt_claims(vf, u))
		return;
	char *what = host_use(vf);
	if (what) {
		set_state(vf, VF_STATE_HOST, what);
		return;
	}
	if (u && pf->nl.valid && !vf->broken)
		set_state(vf, VF_STATE_FREE, NULL);
}

static void count_pf(struct vf_pf *pf)
{
	int n[_VF_STATE_MAX] = { 0 };
	for (size_t i = 0; i < pf->n_vfs; i++)
		n[pf->vfs[i].state]++;
	bool nl = pf->nl.valid;
	pf->reserved = n[VF_STATE_RESERVED];
	pf->unreachable = nl ? n[VF_STATE_UNREACHABLE] : UNKNOWN;
	pf->reachable = nl ? (int)pf->n_vfs - n[VF_STATE_UNREACHABLE] : UNKNOWN;
	pf->usable = nl ? pf->reachable - pf->reserved : UNKNOWN;
	bool known = nl && n[VF_STATE_UNKNOWN] == 0;
	pf->used = known ? n[VF_STATE_ASSIGNED] + n[VF_STATE_POOL] + n[VF_STATE_HOST] : UNKNOWN;
	pf->free = known ? n[VF_STATE_FREE] : UNKNOWN;
	int shared = 0;
	for (size_t i = 0; i < pf->n_vfs; i++)
		shared += pf->vfs[i].state == VF_STATE_FREE && pf->vfs[i].iommu_group_devices > 1;
	pf->shared_iommu = known ? shared : UNKNOWN;
}

static void add(int *total, int v)
{
	if (*total != UNKNOWN)
		*total = v == UNKNOWN ? UNKNOWN : *total + v;
}

static void count_host(struct vf_host *h)
{
	struct vf_totals *t = &h->totals;
	*t = (struct vf_totals){ .pfs = (int)h->n_pfs };
	for (size_t i = 0; i < h->n_pfs; i++) {
		const struct vf_pf *pf = &h->pfs[i];
		add(&t->vfs, pf->numvfs);
		add(&t->usable, pf->usable);
		add(&t->used, pf->used);
		add(&t->free, pf->free);
		add(&t->reserved, pf->reserved);
		add(&t->unreachable, pf->unreachable);
		add(&t->shared_iommu, pf->shared_iommu);
	}
}

static void apply_labels(struct vf_pf *pf, const struct vf_pf_config *pc)
{
	free(pf->physical_network);
	free(pf->fabric);
	pf->physical_network = pc ? xstrdup(pc->physical_network) : NULL;
	pf->fabric = pc ? xstrdup(pc->fabric) : NULL;
}

void vf_capacity_compute(struct vf_host *h, const struct vf_usage *usage, const struct vf_config *cfg)
{
	for (size_t i = 0; i < h->n_pfs; i++) {
		struct vf_pf *pf = &h->pfs[i];
		const struct vf_pf_config *pc = cfg ? vf_config_find_pf(cfg, pf->name) : NULL;
		apply_labels(pf, pc);
		for (size_t k = 0; k < pf->n_vfs; k++)
			judge_vf(pf, &pf->vfs[k], usage, pc);
		count_pf(pf);
	}
	count_host(h);
}
