/* SPDX-License-Identifier: MIT */
/* lib/advice.c: the one-line advice the table and the hook share, word for word. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <linux/if_link.h>

#include "advice.h"
#include "capacity.h"
#include "util.h"

static void expect(char *got, const char *want)
{
	_cleanup_free_ char *g = got;
	if (!want) {
		if (g)
			fail_msg("got '%s', want nothing", g);
		return;
	}
	if (!g || strcmp(g, want) != 0)
		fail_msg("got '%s', want '%s'", g ? g : "(null)", want);
}

static struct vf_pf *pf_of(struct vf_host *h, const char *name, int n)
{
	struct vf_pf *pf = vf_host_add_pf(h, name);
	pf->numvfs = n;
	vf_pf_set_vfs(pf, (size_t)n);
	return pf;
}

/* The reset command undoes only what is dirty; iproute2 takes qos only after vlan, so a qos
 * alone still says "vlan 0 qos 0". */
static void test_dirty(void **state)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	struct vf_pf *pf = pf_of(h, "ens4f0", 4);
	struct vf_vf *vf = &pf->vfs[2];
	vf->index = 2;
	expect(vf_advice_dirty(pf, vf), NULL);
	vf->qos = 3;
	vf->dirty = 1u << VF_DIRTY_QOS;
	expect(vf_advice_dirty(pf, vf), "ens4f0 VF 2 left dirty (qos 3): ip link set ens4f0 vf 2 vlan 0 qos 0");
	vf->vlan = 100, vf->spoofchk = 0, vf->trust = 1, vf->link_state = IFLA_VF_LINK_STATE_DISABLE;
	vf->max_tx_rate = 1000, vf->min_tx_rate = 0;
	vf->dirty = ~0u & ((1u << _VF_DIRTY_MAX) - 1);
	expect(vf_advice_dirty(pf, vf),
	       "ens4f0 VF 2 left dirty (vlan 100, qos 3, max_tx_rate 1000, min_tx_rate 0, trust on, spoofchk off, "
	       "link_state disable): ip link set ens4f0 vf 2 vlan 0 qos 0 max_tx_rate 0 min_tx_rate 0 trust off "
	       "spoofchk on state auto");
}

/* No-link lines: none when the count is 0 or unknown; the cause by the PF's link; one VF said
 * in the singular. A PF down with free VFs gets the table's line; a PF up, none. */
static void test_link(void **state)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	struct vf_pf *pf = pf_of(h, "ens4f1", 4);
	pf->free = 4, pf->no_link = 0;
	expect(vf_advice_no_link(pf), NULL);
	expect(vf_advice_link_down(pf), NULL);
	pf->no_link = UNKNOWN;
	expect(vf_advice_no_link(pf), NULL);
	pf->no_link = 1;
	expect(vf_advice_no_link(pf), "1 free VF on ens4f1 has no link (VF link_state disable)");
	pf->link_ok = false, pf->no_link = 4;
	pf->link_state = xstrdup("down");
	expect(vf_advice_no_link(pf), "4 free VFs on ens4f1 have no link (PF down)");
	expect(vf_advice_link_down(pf), "ens4f1 link down: its 4 free VFs give dead NICs");
	pf->free = 1;
	expect(vf_advice_link_down(pf), "ens4f1 link down: its 1 free VF gives dead NICs");
	pf->free = UNKNOWN;
	expect(vf_advice_link_down(pf), NULL);
}

/* Both limits when the entry without statistics is smaller; the one with statistics binds. */
static void test_netlink_limit(void **state)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	struct vf_pf *pf = pf_of(h, "ens2f0", 0);
	pf->nl = (struct vf_netlink){ .valid = true, .num_vf = 256, .listed = 34, .bytes_per_vf = 296, .limit = 221,
				      .bytes_per_vf_no_stats = 196, .limit_no_stats = 334, .truncated = true };
	expect(vf_advice_netlink_limit(pf),
	       "netlink lists 34 of 256 VFs (296 bytes/VF, limit 221; without statistics 196 bytes/VF, limit 334, but "
	       "libvirt asks with statistics): lower sriov_numvfs to 221");
	pf->nl.bytes_per_vf_no_stats = 296, pf->nl.limit_no_stats = 221; /* a driver without statistics */
	expect(vf_advice_netlink_limit(pf),
	       "netlink lists 34 of 256 VFs (296 bytes/VF, limit 221): lower sriov_numvfs to 221");
	pf->nl.limit = 0, pf->nl.listed = 0;
	expect(vf_advice_netlink_limit(pf), "netlink lists 0 of 256 VFs: the VFs beyond the list are unreachable");
}

/* VFs `dirty = used` keeps out, for the hook's refusal. */
static void test_dirty_used(void **state)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	struct vf_pf *pf = pf_of(h, "ens4f0", 3);
	expect(vf_advice_dirty_used(pf), NULL);
	pf->vfs[1].state = VF_STATE_DIRTY;
	expect(vf_advice_dirty_used(pf), "1 VF on ens4f0 left dirty counts used (dirty = used)");
	pf->vfs[2].state = VF_STATE_DIRTY;
	expect(vf_advice_dirty_used(pf), "2 VFs on ens4f0 left dirty count used (dirty = used)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dirty),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_netlink_limit),
		cmocka_unit_test(test_dirty_used),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
