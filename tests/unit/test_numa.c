/* SPDX-License-Identifier: MIT */
/* lib/numa.c: free and usable VFs per NUMA node (unknown node -1 last) and per label on each
 * node, as the report's numa block, table lines and Prometheus series show them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "format.h"
#include "model.h"
#include "numa.h"
#include "report-hosts.h"
#include "util.h"

/* host_full's PFs moved to nodes 1, 0, -1, 1: nodes ascending, -1 last, unknown counts sticky,
 * a PF under each of its labels */
static struct vf_host *host_numa(void)
{
	struct vf_host *h = host_full();
	const int nodes[] = { 1, 0, -1, 1 };
	for (size_t i = 0; i < h->n_pfs && i < ARRAY_SIZE(nodes); i++)
		h->pfs[i].numa_node = nodes[i];
	return h;
}

static void test_numa(_unused_ void **state)
{
	_cleanup_host_ struct vf_host *h = host_numa();
	_cleanup_numa_ struct vf_numa n = {};
	vf_numa_count(h, &n);
	assert_int_equal(n.n, 3);
	assert_int_equal(n.nodes[0].node, 0);
	assert_int_equal(n.nodes[1].node, 1);
	assert_int_equal(n.nodes[2].node, VF_NUMA_UNKNOWN);
	for (size_t i = 0; i < n.n; i++) {
		const struct vf_numa_node *x = &n.nodes[i];
		int free_ = 0, usable = 0;
		for (size_t k = 0; k < h->n_pfs; k++)
			if (h->pfs[k].numa_node == x->node) {
				free_ = free_ == UNKNOWN || h->pfs[k].free == UNKNOWN ? UNKNOWN : free_ + h->pfs[k].free;
				usable = usable == UNKNOWN || h->pfs[k].usable == UNKNOWN ? UNKNOWN : usable + h->pfs[k].usable;
			}
		assert_int_equal(x->free, free_);
		assert_int_equal(x->usable, usable);
	}
	/* ens1f0 (physnet1) is on node 1 with the netlink-failed PF: its label keeps its counts */
	const struct vf_numa_node *n1 = &n.nodes[1];
	assert_int_equal(n1->pfs, 2);
	assert_int_equal(n1->free, UNKNOWN);
	assert_int_equal(n1->n_labels, 1);
	assert_string_equal(n1->labels[0].label, "physnet1");
	assert_int_equal(n1->labels[0].free, 1);

	_cleanup_free_ char *t = vf_format_table(h, false);
	assert_non_null(strstr(t, "\nNUMA node 1: 2 PFs, ? usable, ? free (physnet1: 1 PF, 3 usable, 1 free)\n"));
	assert_non_null(strstr(t, "\nNUMA node -1 (unknown): 1 PF, "));
	_cleanup_free_ char *p = vf_format_prometheus(h);
	assert_non_null(strstr(p, "\nvfcap_numa_label_free_vfs{numa_node=\"1\",label=\"physnet1\"} 1\n"));
	assert_null(strstr(p, "\nvfcap_numa_free_vfs{numa_node=\"1\"}")); /* unknown: left out */

	/* one node: no NUMA lines in the table (they would repeat TOTAL) */
	_cleanup_host_ struct vf_host *one = host_full();
	for (size_t i = 0; i < one->n_pfs; i++)
		one->pfs[i].numa_node = 0;
	_cleanup_free_ char *t1 = vf_format_table(one, false);
	assert_null(strstr(t1, "NUMA node"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numa),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
