/* SPDX-License-Identifier: MIT */
#include "capacity.h"

#include <linux/if_link.h>
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

/* Settings a previous tenant may have left on a VF (docs/design.md, 'Dirty VFs'): none when
 * netlink did not describe it. */
static unsigned dirty_bits(const struct vf_vf *vf)
{
	if (!vf->listed)
		return 0;
	unsigned b = 0;
	b |= (unsigned)(vf->vlan > 0) << VF_DIRTY_VLAN;
	b |= (unsigned)(vf->qos > 0) << VF_DIRTY_QOS;
	b |= (unsigned)(vf->max_tx_rate > 0 || vf->min_tx_rate > 0) << VF_DIRTY_RATE;
	b |= (unsigned)(vf->trust == 1) << VF_DIRTY_TRUST;
	b |= (unsigned)(vf->spoofchk == 0) << VF_DIRTY_SPOOFCHK;
	b |= (unsigned)(vf->link_state == IFLA_VF_LINK_STATE_DISABLE) << VF_DIRTY_LINK_STATE;
	return b;
}

/* "vlan 100, spoofchk off": the dirty settings with their values, the owner of a dirty VF. */
char *vf_dirty_describe(const struct vf_vf *vf)
{
	_cleanup_free_ char *s = xstrdup("");
	for (int r = 0; r < _VF_DIRTY_MAX; r++) {
		if (!(vf->dirty & (1u << r)))
			continue;
		_cleanup_free_ char *item =
			r == VF_DIRTY_VLAN	  ? xasprintf("vlan %d", vf->vlan)
			: r == VF_DIRTY_QOS	  ? xasprintf("qos %d", vf->qos)
			: r == VF_DIRTY_RATE	  ? xasprintf("max_tx_rate %d, min_tx_rate %d", vf->max_tx_rate > 0 ? vf->max_tx_rate : 0,
						      vf->min_tx_rate > 0 ? vf->min_tx_rate : 0)
			: r == VF_DIRTY_TRUST	  ? xstrdup("trust on")
			: r == VF_DIRTY_SPOOFCHK ? xstrdup("spoofchk off")
						  : xstrdup("link_state disable");
		char *more = xasprintf("%s%s%s", s, *s ? ", " : "", item);
		free(s);
		s = more;
	}
	return TAKE_PTR(s);
}

/* Precedence: unreachable > reserved > assigned > pool > host > free/dirty. A VFIO user or a
 * netns that libvirt also names is libvirt's (assigned/pool): host owners come after. A VF
 * libvirt cannot describe is unusable whoever holds it; a reserved one is out of the count
 * either way. A dirty VF is free unless the config counts it used (`dirty = used`). */
static void judge_vf(const struct vf_pf *pf, struct vf_vf *vf, const struct vf_usage *u,
		     const struct vf_pf_config *pc, bool dirty_used)
{
	set_state(vf, VF_STATE_UNKNOWN, NULL);
	vf->dirty = dirty_bits(vf);
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
	if (!u || !pf->nl.valid || vf->broken)
		return;
	if (dirty_used && vf->dirty)
		set_state(vf, VF_STATE_DIRTY, vf_dirty_describe(vf));
	else
		set_state(vf, VF_STATE_FREE, NULL);
}

/* Free VFs with a dirty set, and free VFs a VM would get with a dead link (all of them when the
 * PF's link is down, else those forced down by link_state disable). */
static void count_link_and_dirty(struct vf_pf *pf)
{
	int dirty = 0, no_link = 0;
	for (size_t i = 0; i < pf->n_vfs; i++) {
		const struct vf_vf *vf = &pf->vfs[i];
		bool free = vf->state == VF_STATE_FREE;
		dirty += (free || vf->state == VF_STATE_DIRTY) && vf->dirty;
		no_link += free && (!pf->link_ok || vf->link_state == IFLA_VF_LINK_STATE_DISABLE);
	}
	pf->dirty = pf->free == UNKNOWN ? UNKNOWN : dirty;
	pf->no_link = pf->free == UNKNOWN ? UNKNOWN : no_link;
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
	pf->used = known ? n[VF_STATE_ASSIGNED] + n[VF_STATE_POOL] + n[VF_STATE_HOST] + n[VF_STATE_DIRTY] : UNKNOWN;
	pf->free = known ? n[VF_STATE_FREE] : UNKNOWN;
	count_link_and_dirty(pf);
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
		add(&t->dirty, pf->dirty);
		add(&t->no_link, pf->no_link);
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
	bool dirty_used = cfg && cfg->dirty_used;
	for (size_t i = 0; i < h->n_pfs; i++) {
		struct vf_pf *pf = &h->pfs[i];
		const struct vf_pf_config *pc = cfg ? vf_config_find_pf(cfg, pf->name) : NULL;
		apply_labels(pf, pc);
		for (size_t k = 0; k < pf->n_vfs; k++)
			judge_vf(pf, &pf->vfs[k], usage, pc, dirty_used);
		count_pf(pf);
	}
	count_host(h);
}
