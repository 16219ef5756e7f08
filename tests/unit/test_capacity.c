/* SPDX-License-Identifier: MIT */
/* VF states and counts: precedence, pool connections (which the libvirt test driver cannot
 * show), unknowns when a source failed, and the identities usable = reachable - reserved,
 * free = usable - used. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <linux/if_link.h>

#include "capacity.h"
#include "util.h"

/* A PF of n VFs, netlink listing the first `listed`; VF i has netdev pfvI and PCI 0000:03:00.I+1. */
static struct vf_host *host(int n, int listed)
{
	struct vf_host *h = vf_host_new();
	struct vf_pf *pf = vf_host_add_pf(h, "pf");
	pf->numvfs = n;
	vf_pf_set_vfs(pf, (size_t)n);
	pf->nl = (struct vf_netlink){ .valid = true, .num_vf = (uint32_t)n, .listed = (uint32_t)listed,
				      .bytes_per_vf = 296, .limit = 221, .truncated = listed < n,
				      .has_vfinfo = true };
	for (int i = 0; i < n; i++) {
		pf->vfs[i].netdev = xasprintf("pfv%d", i);
		pf->vfs[i].pci_address = xasprintf("0000:03:00.%d", i + 1);
		pf->vfs[i].listed = i < listed;
	}
	return h;
}

static void use(struct vf_usage *u, enum vf_use_kind kind, const char *key, const char *owner, int conns)
{
	struct vf_use *x = array_append(&u->uses, &u->n_uses, sizeof(*x));
	*x = (struct vf_use){ .kind = kind, .key = xstrdup(key), .owner = xstrdup(owner), .connections = conns };
}

static void assert_identities(const struct vf_pf *pf)
{
	assert_int_equal(pf->usable, pf->reachable - pf->reserved);
	assert_int_equal(pf->free, pf->usable - pf->used);
	assert_int_equal(pf->reachable + pf->unreachable, (int)pf->n_vfs);
}

static void test_states_and_precedence(void **state)
{
	_cleanup_host_ struct vf_host *h = host(8, 6);
	struct vf_pf *pf = &h->pfs[0];
	struct vf_usage u = { 0 };
	use(&u, VF_USE_DOMAIN_PCI, "0000:03:00.1", "vm-a", 0);   /* VF 0 */
	use(&u, VF_USE_DOMAIN_NETDEV, "pfv1", "vm-b", 0);        /* VF 1 */
	use(&u, VF_USE_POOL_NETDEV, "pfv2", "direct-pool", 1);   /* VF 2: connected */
	use(&u, VF_USE_POOL_NETDEV, "pfv3", "direct-pool", 0);   /* VF 3: in the pool, idle */
	use(&u, VF_USE_DOMAIN_PCI, "0000:03:00.5", "vm-c", 0);   /* VF 4, but reserved */
	use(&u, VF_USE_DOMAIN_PCI, "0000:03:00.7", "vm-d", 0);   /* VF 6, but unreachable */
	pf->vfs[5].master = xstrdup("bond0");
	_cleanup_config_ struct vf_config *cfg = vf_config_new();
	cfg->pfs = xcalloc(1, sizeof(*cfg->pfs));
	cfg->n_pfs = 1;
	cfg->pfs[0].pattern = xstrdup("p*");
	cfg->pfs[0].reserved = xcalloc(1, sizeof(struct vf_range));
	cfg->pfs[0].reserved[0] = (struct vf_range){ 4, 4 };
	cfg->pfs[0].n_reserved = 1;
	cfg->pfs[0].fabric = xstrdup("A");

	vf_capacity_compute(h, &u, cfg);
	const enum vf_state want[] = { VF_STATE_ASSIGNED, VF_STATE_ASSIGNED, VF_STATE_POOL, VF_STATE_FREE,
				       VF_STATE_RESERVED, VF_STATE_HOST, VF_STATE_UNREACHABLE,
				       VF_STATE_UNREACHABLE };
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(pf->vfs[i].state, want[i]);
	assert_string_equal(pf->vfs[0].owner, "vm-a");
	assert_string_equal(pf->vfs[2].owner, "direct-pool");
	assert_string_equal(pf->vfs[5].owner, "master bond0");
	assert_string_equal(pf->fabric, "A");
	assert_int_equal(pf->reachable, 6);
	assert_int_equal(pf->unreachable, 2);
	assert_int_equal(pf->reserved, 1);
	assert_int_equal(pf->usable, 5);
	assert_int_equal(pf->used, 4);
	assert_int_equal(pf->free, 1);
	assert_identities(pf);
	assert_int_equal(h->totals.free, 1);
	assert_int_equal(h->totals.vfs, 8);
	vf_usage_clear(&u);
}

/* libvirt down: what would be free is unknown, never free; definite uses stay known. */
static void test_libvirt_failed(void **state)
{
	_cleanup_host_ struct vf_host *h = host(4, 4);
	struct vf_pf *pf = &h->pfs[0];
	pf->vfs[1].macvtap_upper = xstrdup("macvtap0");
	vf_capacity_compute(h, NULL, NULL);
	assert_int_equal(pf->vfs[0].state, VF_STATE_UNKNOWN);
	assert_int_equal(pf->vfs[1].state, VF_STATE_HOST);
	assert_int_equal(pf->usable, 4);
	assert_int_equal(pf->used, UNKNOWN);
	assert_int_equal(pf->free, UNKNOWN);
	assert_int_equal(h->totals.free, UNKNOWN);
	assert_int_equal(h->totals.usable, 4);
}

/* netlink down for the PF: reachability unknown, so usable/free unknown too. */
static void test_netlink_failed(void **state)
{
	_cleanup_host_ struct vf_host *h = host(4, 4);
	struct vf_pf *pf = &h->pfs[0];
	pf->nl.valid = false;
	struct vf_usage u = { 0 };
	vf_capacity_compute(h, &u, NULL);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(pf->vfs[i].state, VF_STATE_UNKNOWN);
	assert_int_equal(pf->usable, UNKNOWN);
	assert_int_equal(pf->unreachable, UNKNOWN);
	assert_int_equal(pf->free, UNKNOWN);
}

/* A VF whose sysfs entry could not be read might be exactly what holds it. */
static void test_broken_vf_not_free(void **state)
{
	_cleanup_host_ struct vf_host *h = host(3, 3);
	struct vf_pf *pf = &h->pfs[0];
	pf->vfs[2].broken = true;
	struct vf_usage u = { 0 };
	vf_capacity_compute(h, &u, NULL);
	assert_int_equal(pf->vfs[2].state, VF_STATE_UNKNOWN);
	assert_int_equal(pf->free, UNKNOWN);
}

/* VM-FEX: an associated (or associating) port profile without a domain is host use. */
static void test_port_profiles(void **state)
{
	_cleanup_host_ struct vf_host *h = host(4, 4);
	struct vf_pf *pf = &h->pfs[0];
	pf->vfs[0].port_response = 0x100;
	pf->vfs[0].port_profile = xstrdup("Profile1");
	pf->vfs[1].port_response = 0x101;
	pf->vfs[2].port_response = 0x103; /* BADSTATE: not associated */
	struct vf_usage u = { 0 };
	vf_capacity_compute(h, &u, NULL);
	assert_int_equal(pf->vfs[0].state, VF_STATE_HOST);
	assert_string_equal(pf->vfs[0].owner, "802.1Qbh Profile1");
	assert_int_equal(pf->vfs[1].state, VF_STATE_HOST);
	assert_int_equal(pf->vfs[2].state, VF_STATE_FREE);
	assert_int_equal(pf->free, 2);
}

/* Recomputing is idempotent (the hook computes after the reporter's model is reused). */
static void test_recompute(void **state)
{
	_cleanup_host_ struct vf_host *h = host(2, 2);
	struct vf_usage u = { 0 };
	use(&u, VF_USE_DOMAIN_NETDEV, "pfv0", "vm", 0);
	vf_capacity_compute(h, &u, NULL);
	vf_capacity_compute(h, &u, NULL);
	assert_int_equal(h->pfs[0].used, 1);
	assert_int_equal(h->pfs[0].free, 1);
	assert_int_equal(h->totals.pfs, 1);
	vf_usage_clear(&u);
}

/* Dirty reasons in their order, whatever the state; dirty counts only free VFs; `dirty = used`
 * makes such a VF used (state dirty, owner the settings). A VF netlink did not describe has no
 * reasons. */
static void test_dirty(void **state)
{
	_cleanup_host_ struct vf_host *h = host(6, 5);
	struct vf_pf *pf = &h->pfs[0];
	for (int i = 0; i < 6; i++) {
		struct vf_vf *vf = &pf->vfs[i];
		vf->vlan = vf->qos = vf->trust = 0, vf->spoofchk = 1, vf->link_state = IFLA_VF_LINK_STATE_AUTO;
		vf->min_tx_rate = vf->max_tx_rate = 0;
	}
	pf->vfs[0].vlan = 100, pf->vfs[0].qos = 3, pf->vfs[0].spoofchk = 0;
	pf->vfs[1].min_tx_rate = 100;
	pf->vfs[2].trust = 1, pf->vfs[2].link_state = IFLA_VF_LINK_STATE_DISABLE;
	pf->vfs[3].vlan = 5; /* held: reported, not counted */
	pf->vfs[5].vlan = 7; /* unreachable: not described */
	struct vf_usage u = { 0 };
	use(&u, VF_USE_DOMAIN_NETDEV, "pfv3", "vm", 0);
	vf_capacity_compute(h, &u, NULL);
	assert_int_equal(pf->vfs[0].dirty, 1u << VF_DIRTY_VLAN | 1u << VF_DIRTY_QOS | 1u << VF_DIRTY_SPOOFCHK);
	assert_int_equal(pf->vfs[1].dirty, 1u << VF_DIRTY_RATE);
	assert_int_equal(pf->vfs[2].dirty, 1u << VF_DIRTY_TRUST | 1u << VF_DIRTY_LINK_STATE);
	assert_int_equal(pf->vfs[3].dirty, 1u << VF_DIRTY_VLAN);
	assert_int_equal(pf->vfs[4].dirty, 0);
	assert_int_equal(pf->vfs[5].dirty, 0);
	assert_int_equal(pf->vfs[0].state, VF_STATE_FREE);
	assert_int_equal(pf->free, 4);
	assert_int_equal(pf->dirty, 3);
	assert_int_equal(pf->no_link, 1); /* VF 2: link_state disable */
	assert_int_equal(h->totals.dirty, 3);

	_cleanup_config_ struct vf_config *cfg = vf_config_new();
	cfg->dirty_used = 1;
	vf_capacity_compute(h, &u, cfg);
	assert_int_equal(pf->vfs[0].state, VF_STATE_DIRTY);
	assert_string_equal(pf->vfs[0].owner, "vlan 100, qos 3, spoofchk off");
	assert_string_equal(pf->vfs[1].owner, "max_tx_rate 0, min_tx_rate 100");
	assert_string_equal(pf->vfs[2].owner, "trust on, link_state disable");
	assert_int_equal(pf->vfs[3].state, VF_STATE_ASSIGNED);
	assert_int_equal(pf->vfs[4].state, VF_STATE_FREE);
	assert_int_equal(pf->used, 4);
	assert_int_equal(pf->free, 1);
	assert_int_equal(pf->dirty, 3);
	assert_int_equal(pf->no_link, 0);
	assert_identities(pf);
	vf_usage_clear(&u);
}

/* A PF whose link is down: every free VF is no_link; unknown when free is. */
static void test_no_link(void **state)
{
	_cleanup_host_ struct vf_host *h = host(3, 3);
	struct vf_pf *pf = &h->pfs[0];
	pf->link_ok = false;
	struct vf_usage u = { 0 };
	use(&u, VF_USE_DOMAIN_NETDEV, "pfv0", "vm", 0);
	vf_capacity_compute(h, &u, NULL);
	assert_int_equal(pf->free, 2);
	assert_int_equal(pf->no_link, 2);
	assert_int_equal(h->totals.no_link, 2);
	vf_capacity_compute(h, NULL, NULL);
	assert_int_equal(pf->no_link, UNKNOWN);
	assert_int_equal(pf->dirty, UNKNOWN);
	assert_int_equal(h->totals.no_link, UNKNOWN);
	vf_usage_clear(&u);
}

/* Sorted lookups answer exactly as the linear scan does (owner ties aside). */
static void test_usage_sorted_lookup(void **state)
{
	struct vf_usage u = { 0 };
	char key[32];
	for (int i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "0000:%02x:00.%d", 299 - i, i % 8);
		use(&u, VF_USE_DOMAIN_PCI, key, "vm", 0);
		snprintf(key, sizeof(key), "ens%dv%d", i % 7, i);
		use(&u, i % 2 ? VF_USE_POOL_NETDEV : VF_USE_DOMAIN_NETDEV, key, "x", i);
	}
	struct vf_usage sorted = { 0 };
	for (size_t i = 0; i < u.n_uses; i++)
		use(&sorted, u.uses[i].kind, u.uses[i].key, u.uses[i].owner, u.uses[i].connections);
	vf_usage_sort(&sorted);
	for (size_t i = 0; i < u.n_uses; i++) {
		const struct vf_use *a = vf_usage_find(&u, u.uses[i].kind, u.uses[i].key);
		const struct vf_use *b = vf_usage_find(&sorted, u.uses[i].kind, u.uses[i].key);
		assert_non_null(b);
		assert_int_equal(a->connections, b->connections);
		assert_null(vf_usage_find(&sorted, VF_USE_POOL_PCI, u.uses[i].key));
	}
	assert_null(vf_usage_find(&sorted, VF_USE_DOMAIN_PCI, "0000:ff:00.0"));
	vf_usage_clear(&u);
	vf_usage_clear(&sorted);
}

/* Held outside libvirt (lib/holders.c): host, after assigned/pool; a vfio-pci VF whose enable
 * could not be read (broken) is never free; shared IOMMU groups count among the free. */
static void test_outside_libvirt(void **state)
{
	_cleanup_host_ struct vf_host *h = host(7, 7);
	struct vf_pf *pf = &h->pfs[0];
	for (int i = 0; i < 4; i++) {
		free(pf->vfs[i].netdev);
		pf->vfs[i].netdev = NULL;
		pf->vfs[i].driver = xstrdup("vfio-pci");
		pf->vfs[i].enable = 1;
	}
	pf->vfs[0].holder = xstrdup("vfio pid 7 (testpmd)"); /* named */
	/* VF 1: in use, holder unnamed */
	struct vf_usage u = { 0 };
	use(&u, VF_USE_DOMAIN_PCI, "0000:03:00.3", "vm-a", 0); /* VF 2: qemu holds it: assigned */
	pf->vfs[3].enable = UNKNOWN, pf->vfs[3].broken = true; /* enable unreadable */
	free(pf->vfs[4].netdev);
	pf->vfs[4].netdev = NULL;
	pf->vfs[4].driver = xstrdup("iavf");
	pf->vfs[4].net_hidden = true; /* netns, unnamed */
	pf->vfs[5].iommu_group = 9, pf->vfs[5].iommu_group_devices = 3; /* free, shared group */
	pf->vfs[6].iommu_group = 10, pf->vfs[6].iommu_group_devices = 1;

	vf_capacity_compute(h, &u, NULL);
	const enum vf_state want[] = { VF_STATE_HOST, VF_STATE_HOST, VF_STATE_ASSIGNED, VF_STATE_UNKNOWN,
				       VF_STATE_HOST, VF_STATE_FREE, VF_STATE_FREE };
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_int_equal(pf->vfs[i].state, want[i]);
	assert_string_equal(pf->vfs[0].owner, "vfio pid 7 (testpmd)");
	assert_string_equal(pf->vfs[1].owner, "vfio (holder unnamed)");
	assert_string_equal(pf->vfs[2].owner, "vm-a");
	assert_string_equal(pf->vfs[4].owner, "netns (unnamed)");
	assert_int_equal(pf->free, UNKNOWN); /* VF 3 */
	assert_int_equal(pf->shared_iommu, UNKNOWN);
	assert_int_equal(h->totals.shared_iommu, UNKNOWN);

	pf->vfs[3].enable = 0, pf->vfs[3].broken = false; /* readable after all: idle */
	vf_capacity_compute(h, &u, NULL);
	assert_int_equal(pf->vfs[3].state, VF_STATE_FREE);
	assert_int_equal(pf->free, 3);
	assert_int_equal(pf->used, 4);
	assert_int_equal(pf->shared_iommu, 1);
	assert_int_equal(h->totals.shared_iommu, 1);
	vf_usage_clear(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states_and_precedence), cmocka_unit_test(test_libvirt_failed),
		cmocka_unit_test(test_netlink_failed),        cmocka_unit_test(test_broken_vf_not_free),
		cmocka_unit_test(test_port_profiles),         cmocka_unit_test(test_recompute),
		cmocka_unit_test(test_usage_sorted_lookup),   cmocka_unit_test(test_dirty),
		cmocka_unit_test(test_no_link),               cmocka_unit_test(test_outside_libvirt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
