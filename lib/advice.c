/* SPDX-License-Identifier: MIT */
/* Advice lines shared by the table (reporter/format.c) and the hook (hook/take.c). */
#include "advice.h"

#include <inttypes.h>
#include <string.h>

#include "capacity.h"
#include "util.h"

char *vf_advice_netlink_limit(const struct vf_pf *pf)
{
	const struct vf_netlink *nl = &pf->nl;
	if (nl->limit == 0)
		return xasprintf("netlink lists %" PRIu32 " of %" PRIu32 " VFs: the VFs beyond the list are unreachable",
				 nl->listed, nl->num_vf);
	/* without statistics the entry is smaller and more VFs fit, but libvirt's query
	 * (RTEXT_FILTER_VF) always includes them: the limit with statistics is the one that binds */
	_cleanup_free_ char *bare =
		nl->bytes_per_vf_no_stats && nl->bytes_per_vf_no_stats != nl->bytes_per_vf
			? xasprintf("; without statistics %" PRIu32 " bytes/VF, limit %" PRIu32
				    ", but libvirt asks with statistics",
				    nl->bytes_per_vf_no_stats, nl->limit_no_stats)
			: xstrdup("");
	return xasprintf("netlink lists %" PRIu32 " of %" PRIu32 " VFs (%" PRIu32 " bytes/VF, limit %" PRIu32
			 "%s): lower sriov_numvfs to %" PRIu32,
			 nl->listed, nl->num_vf, nl->bytes_per_vf, nl->limit, bare, nl->limit);
}

/* The `ip link set PF vf N` arguments that undo each dirty setting. */
static char *reset_args(const struct vf_vf *vf)
{
	unsigned d = vf->dirty;
	bool vlan = d & (1u << VF_DIRTY_VLAN), qos = d & (1u << VF_DIRTY_QOS);
	/* iproute2 takes qos only after vlan */
	return xasprintf("%s%s%s%s%s%s", vlan || qos ? " vlan 0" : "", qos ? " qos 0" : "",
			 d & (1u << VF_DIRTY_RATE) ? " max_tx_rate 0 min_tx_rate 0" : "",
			 d & (1u << VF_DIRTY_TRUST) ? " trust off" : "",
			 d & (1u << VF_DIRTY_SPOOFCHK) ? " spoofchk on" : "",
			 d & (1u << VF_DIRTY_LINK_STATE) ? " state auto" : "");
}

char *vf_advice_dirty(const struct vf_pf *pf, const struct vf_vf *vf)
{
	if (!vf->dirty)
		return NULL;
	_cleanup_free_ char *what = vf_dirty_describe(vf), *args = reset_args(vf);
	return xasprintf("%s VF %d left dirty (%s): ip link set %s vf %d%s", pf->name, vf->index, what, pf->name,
			 vf->index, args);
}

char *vf_advice_link_down(const struct vf_pf *pf)
{
	if (pf->link_ok || pf->free == UNKNOWN || pf->free == 0)
		return NULL;
	return xasprintf("%s link %s: its %d free VF%s give%s dead NICs", pf->name,
			 pf->link_state ? pf->link_state : "state unknown", pf->free, pf->free == 1 ? "" : "s",
			 pf->free == 1 ? "s" : "");
}

char *vf_advice_no_link(const struct vf_pf *pf)
{
	if (pf->no_link == UNKNOWN || pf->no_link == 0)
		return NULL;
	bool one = pf->no_link == 1;
	return xasprintf("%d free VF%s on %s ha%s no link (%s)", pf->no_link, one ? "" : "s", pf->name,
			 one ? "s" : "ve", pf->link_ok ? "VF link_state disable" : "PF down");
}

char *vf_advice_dirty_used(const struct vf_pf *pf)
{
	int n = 0;
	for (size_t i = 0; i < pf->n_vfs; i++)
		n += pf->vfs[i].state == VF_STATE_DIRTY;
	if (n == 0)
		return NULL;
	return xasprintf("%d VF%s on %s left dirty count%s used (dirty = used)", n, n == 1 ? "" : "s", pf->name,
			 n == 1 ? "s" : "");
}
