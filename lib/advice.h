/* SPDX-License-Identifier: MIT */
/* One-line advice the reporter's table and the hook's refusals share (docs/design.md, 'Dirty
 * VFs', 'PFs that cannot carry traffic', 'The netlink limit'): the same words in both places. */
#pragma once

#include "model.h"

/* "netlink lists 34 of 256 VFs (296 bytes/VF, limit 221; without statistics 196 bytes/VF, limit
 * 334, but libvirt asks with statistics): lower sriov_numvfs to 221"; for a PF without a VF
 * info list (limit 0) what is unreachable instead. */
char *vf_advice_netlink_limit(const struct vf_pf *pf);

/* "ens4f0 VF 1 left dirty (vlan 100, qos 3): ip link set ens4f0 vf 1 vlan 0 qos 0", the command
 * resetting only what is dirty; NULL when the VF is clean. */
char *vf_advice_dirty(const struct vf_pf *pf, const struct vf_vf *vf);

/* "ens4f1 link down: its 4 free VFs give dead NICs" when the PF cannot carry traffic and has
 * free VFs; NULL otherwise. */
char *vf_advice_link_down(const struct vf_pf *pf);

/* Why a PF's free VFs are no use to a vNIC that needs a link: "4 free VFs on ens4f1 have no
 * link (PF down)" or "1 free VF on ens4f0 has no link (VF link_state disable)"; NULL when
 * no_link is 0 or unknown. */
char *vf_advice_no_link(const struct vf_pf *pf);

/* Why a PF's VFs left dirty are not in the pool: "5 VFs on ens4f0 left dirty count used (dirty
 * = used)"; NULL when none is in state dirty. */
char *vf_advice_dirty_used(const struct vf_pf *pf);
