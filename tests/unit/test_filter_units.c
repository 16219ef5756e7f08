/* SPDX-License-Identifier: MIT */
/* filter/units.c: policy properties as the engine sends them, the per-host decision and the
 * headroom score, over report entries (filter/host-entry.h) built from parsed reports. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"
#include "source.h"
#include "methods.h"
#include "util.h"

#define NOW 1795000000

/* A host with PFs (name, physnet, fabric, free) as the report reader would give it. */
static struct vf_host_entry *host(const char *id, time_t generated, int total_free, int n, ...)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	h->generated_at = generated;
	h->totals.free = total_free;
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		struct vf_pf *pf = vf_host_add_pf(h, va_arg(ap, const char *));
		const char *physnet = va_arg(ap, const char *), *fabric = va_arg(ap, const char *);
		pf->physical_network = physnet ? xstrdup(physnet) : NULL;
		pf->fabric = fabric ? xstrdup(fabric) : NULL;
		pf->free = va_arg(ap, int);
	}
	va_end(ap);
	return vf_entry_from_host(h, id);
}

static struct rpc_value props(size_t n, struct rpc_member *m)
{
	return (struct rpc_value){ .type = RPC_STRUCT, .st = { m, n } };
}

static struct rpc_member prop(const char *name, const char *value)
{
	return (struct rpc_member){ (char *)name, { .type = RPC_STRING, .s = (char *)value } };
}

static void test_policy_defaults_and_props(void **state)
{
	struct vf_policy p;
	assert_int_equal(vf_policy_from_props(NULL, &p, NULL), 0);
	assert_int_equal(p.demand, 1);
	assert_false(p.accept_missing);
	assert_int_equal(p.max_report_age, 300);
	assert_string_equal(p.label, "");
	assert_int_equal(p.require_link, 1);
	assert_int_equal(p.numa, VF_NUMA_PREFERRED);

	struct rpc_member m[] = { prop("vf_demand", "12"), prop("on_missing", "accept"),
				  prop("max_report_age", "0"), prop("label", "physnet1"),
				  prop("other_units_prop", "whatever"), prop("numa", "required") };
	struct rpc_value v = props(6, m);
	assert_int_equal(vf_policy_from_props(&v, &p, NULL), 0);
	assert_int_equal(p.demand, 12);
	assert_true(p.accept_missing);
	assert_int_equal(p.max_report_age, 0);
	assert_string_equal(p.label, "physnet1");
	assert_int_equal(p.numa, VF_NUMA_REQUIRED);
	assert_false(p.iommu_isolation);

	struct rpc_member m2[] = { prop("iommu_isolation", "yes") };
	v = props(1, m2);
	assert_int_equal(vf_policy_from_props(&v, &p, NULL), 0);
	assert_true(p.iommu_isolation);
}

static void policy_fails(const char *name, const char *value, const char *want)
{
	struct vf_policy p;
	struct rpc_member m[] = { prop(name, value) };
	struct rpc_value v = props(1, m);
	_cleanup_free_ char *err = NULL;
	assert_int_equal(vf_policy_from_props(&v, &p, &err), -EINVAL);
	if (!err || !strstr(err, want) || strchr(err, '\n'))
		fail_msg("%s=%s: got '%s', want '%s'", name, value, err, want);
}

static void test_policy_errors(void **state)
{
	policy_fails("vf_demand", "-1", "property vf_demand: '-1' is not a count 0..9999");
	policy_fails("vf_demand", "10000", "is not a count");
	policy_fails("vf_demand", "", "is not a count");
	policy_fails("vf_demand", " 2", "is not a count");
	policy_fails("on_missing", "Reject", "property on_missing: 'Reject' is not reject or accept");
	policy_fails("max_report_age", "1e3", "is not seconds");
	policy_fails("require_link", "true", "property require_link: 'true' is not no or yes");
	policy_fails("iommu_isolation", "true", "property iommu_isolation: 'true' is not no or yes");
	policy_fails("label", "a b", "property label: 'a b' is not 1-64");
	policy_fails("numa", "strict", "property numa: 'strict' is not ignore, preferred or required");
	/* a hostile value is cut short and cannot break the line */
	policy_fails("label", "x\ny\rz" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		     "'x?y?zaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
	struct vf_policy p;
	struct rpc_member m[] = { { (char *)"vf_demand", { .type = RPC_INT, .i = 2 } } };
	struct rpc_value v = props(1, m);
	_cleanup_free_ char *err = NULL;
	assert_int_equal(vf_policy_from_props(&v, &p, &err), -EINVAL);
	assert_string_equal(err, "property vf_demand: not a string");
}

static void judge(const struct vf_host_entry *c, const char *label, int demand, int max_age, bool accept,
		  enum vf_decision want, int want_free, const char *want_reason)
{
	struct vf_policy p;
	vf_policy_default(&p);
	snprintf(p.label, sizeof p.label, "%s", label);
	p.max_report_age = max_age;
	p.accept_missing = accept;
	struct vf_verdict v;
	vf_judge(c, &p, demand, 0, NOW, &v);
	if (v.decision != want || v.free != want_free || !strstr(vf_verdict_reason(&v, &p, demand), want_reason))
		fail_msg("%s: got %d free %d '%s', want %d free %d '%s'", c ? c->host_id : "-", v.decision, v.free,
			 v.reason, want, want_free, want_reason);
}

static void test_judge(void **state)
{
	struct vf_host_entry *a = host("a", NOW - 10, 5, 2, "p0", "physnet1", "A", 3, "p1", "physnet2", "A", 2);
	judge(a, "", 5, 300, false, VF_PASS, 5, "5 free, 5 needed");
	judge(a, "", 6, 300, false, VF_REJECT, 5, "5 free, 6 needed");
	judge(a, "physnet2", 2, 300, false, VF_PASS, 2, "2 free on physnet2, 2 needed");
	judge(a, "A", 5, 300, false, VF_PASS, 5, "on A");               /* fabric labels count too */
	judge(a, "physnet9", 1, 300, false, VF_REJECT, 0, "no PF labeled physnet9");
	judge(a, "", 0, 300, false, VF_PASS, -1, "needs no VF");
	judge(NULL, "", 0, 300, false, VF_PASS, -1, "needs no VF");     /* no lookup for demand 0 */
	judge(a, "", 1, 5, false, VF_REJECT, -1, "report is 10 s old (max_report_age 5)");
	judge(a, "", 1, 5, true, VF_PASS, -1, "report is 10 s old");
	judge(a, "", 1, 0, false, VF_PASS, 5, "5 free");                 /* 0: any age */
	vf_entry_unref(a);

	struct vf_host_entry *u =
		host("u", NOW, UNKNOWN, 2, "p0", "physnet1", NULL, UNKNOWN, "p1", "physnet2", NULL, 4);
	judge(u, "", 1, 300, false, VF_REJECT, -1, "report has no free count");
	judge(u, "physnet1", 1, 300, false, VF_REJECT, -1, "PF p0 (label physnet1) has no free count");
	judge(u, "physnet2", 4, 300, false, VF_PASS, 4, "4 free on physnet2");
	vf_entry_unref(u);

	struct vf_host_entry *e = vf_entry_error("e", "reports/e.json: JSON: byte 3: unexpected end");
	judge(e, "", 1, 300, false, VF_REJECT, -1, "reports/e.json: JSON: byte 3");
	judge(e, "", 1, 300, true, VF_PASS, -1, "reports/e.json");
	vf_entry_unref(e);
}

/* require_link (default yes): the report's no_link comes off the free count, per labeled PF or
 * in all; no: every free VF counts. A version-1 report (no_link absent) loses nothing. */
static void test_require_link(void **state)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	h->generated_at = NOW;
	h->totals.free = 9, h->totals.no_link = 5;
	struct vf_pf *up = vf_host_add_pf(h, "p0"), *down = vf_host_add_pf(h, "p1");
	up->physical_network = xstrdup("physnet1"), up->free = 5, up->no_link = 1;
	down->physical_network = xstrdup("physnet2"), down->free = 4, down->no_link = 4;
	struct vf_host_entry *c = vf_entry_from_host(h, "c");
	judge(c, "", 4, 300, false, VF_PASS, 4, "4 free, 4 needed (5 more without link, not counted)");
	judge(c, "", 5, 300, false, VF_REJECT, 4, "4 free, 5 needed");
	judge(c, "physnet2", 1, 300, false, VF_REJECT, 0, "0 free on physnet2, 1 needed (4 more without link");
	judge(c, "physnet1", 4, 300, false, VF_PASS, 4, "4 free on physnet1");
	struct vf_policy p;
	vf_policy_default(&p);
	assert_int_equal(vf_policy_set(&p, "require_link", "no", NULL), 0);
	struct vf_verdict v;
	vf_judge(c, &p, 9, 0, NOW, &v);
	assert_int_equal(v.decision, VF_PASS);
	assert_int_equal(v.free, 9);
	assert_string_equal(vf_verdict_reason(&v, &p, 9), "9 free, 9 needed");
	vf_entry_unref(c);

	/* as a version-1 report reads: no_link unknown */
	h->totals.no_link = up->no_link = down->no_link = UNKNOWN;
	c = vf_entry_from_host(h, "old");
	judge(c, "", 9, 300, false, VF_PASS, 9, "9 free, 9 needed");
	judge(c, "physnet2", 4, 300, false, VF_PASS, 4, "4 free on physnet2, 4 needed");
	vf_entry_unref(c);

	/* a report claiming more VFs without link than free ones counts 0, not less */
	h->totals.no_link = 20;
	c = vf_entry_from_host(h, "odd");
	judge(c, "", 1, 300, false, VF_REJECT, 0, "0 free, 1 needed");
	vf_entry_unref(c);
}

/* A host with PFs (name, NUMA node, free, physnet) and the total of their free VFs. */
static struct vf_host_entry *numa_host(int n, ...)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	h->generated_at = NOW;
	h->totals.free = 0;
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		struct vf_pf *pf = vf_host_add_pf(h, va_arg(ap, const char *));
		pf->numa_node = va_arg(ap, int);
		pf->free = va_arg(ap, int);
		pf->physical_network = xstrdup(va_arg(ap, const char *));
		h->totals.free += pf->free;
	}
	va_end(ap);
	return vf_entry_from_host(h, "n");
}

static void judge_numa(const struct vf_host_entry *c, const char *numa, const char *label, uint64_t nodes, int demand,
		       enum vf_decision want, int want_local, const char *want_reason)
{
	struct vf_policy p;
	vf_policy_default(&p);
	assert_int_equal(vf_policy_set(&p, "numa", numa, NULL), 0);
	snprintf(p.label, sizeof p.label, "%s", label);
	struct vf_verdict v;
	vf_judge(c, &p, demand, nodes, NOW, &v);
	const char *why = vf_verdict_reason(&v, &p, demand);
	if (v.decision != want || (v.numa_nodes ? v.local : -1) != want_local || !streq(why, want_reason))
		fail_msg("numa=%s nodes %#llx demand %d: got %d local %d '%s', want %d local %d '%s'", numa,
			 (unsigned long long)nodes, demand, v.decision, v.numa_nodes ? v.local : -1, why, want,
			 want_local, want_reason);
}

/* PFs on node 0 (2 free), node 1 (3 free), unknown node (1 free), node 5 (4 free): 10 free. */
static void test_judge_numa(void **state)
{
	struct vf_host_entry *c = numa_host(4, "p0", 0, 2, "physnet1", "p1", 1, 3, "physnet2", "p2", -1, 1, "physnet1",
					    "p5", 5, 4, "physnet1");
	/* ignore, and an unpinned VM: as without NUMA */
	judge_numa(c, "ignore", "", 1, 9, VF_PASS, -1, "10 free, 9 needed");
	judge_numa(c, "required", "", 0, 10, VF_PASS, -1, "10 free, 10 needed");
	/* required: the VM's nodes and the unknown one count, node 5 does not */
	judge_numa(c, "required", "", 1, 3, VF_PASS, 3, "10 free, 3 on NUMA node 0 (node 0: 2, unknown node: 1), 3 needed");
	judge_numa(c, "required", "", 1, 4, VF_REJECT, 3, "10 free, 3 on NUMA node 0 (node 0: 2, unknown node: 1), 4 needed");
	judge_numa(c, "required", "", 2, 4, VF_PASS, 4, "10 free, 4 on NUMA node 1 (node 1: 3, unknown node: 1), 4 needed");
	judge_numa(c, "required", "", 3, 7, VF_REJECT, 6,
		   "10 free, 6 on NUMA nodes 0,1 (node 0: 2, node 1: 3, unknown node: 1), 7 needed");
	judge_numa(c, "required", "", 1u << 5 | 1, 7, VF_PASS, 7,
		   "10 free, 7 on NUMA nodes 0,5 (node 0: 2, node 5: 4, unknown node: 1), 7 needed");
	/* a node with no PF: only the unknown one is local */
	judge_numa(c, "required", "", 1u << 3, 1, VF_PASS, 1,
		   "10 free, 1 on NUMA node 3 (node 3: 0, unknown node: 1), 1 needed");
	/* preferred passes on every free VF and still says how many are local */
	judge_numa(c, "preferred", "", 1, 9, VF_PASS, 3,
		   "10 free, 3 on NUMA node 0 (node 0: 2, unknown node: 1), 9 needed");
	judge_numa(c, "preferred", "", 1, 11, VF_REJECT, 3,
		   "10 free, 3 on NUMA node 0 (node 0: 2, unknown node: 1), 11 needed");
	/* with a label, only its PFs count, locally too */
	judge_numa(c, "required", "physnet1", 1, 4, VF_REJECT, 3,
		   "7 free on physnet1, 3 on NUMA node 0 (node 0: 2, unknown node: 1), 4 needed");
	judge_numa(c, "required", "physnet2", 2, 3, VF_PASS, 3, "3 free on physnet2, 3 on NUMA node 1 (node 1: 3), 3 needed");
	vf_entry_unref(c);
}

/* iommu_isolation: free VFs in shared IOMMU groups do not count; a report without the count
 * (version 1) counts as 0 such VFs. */
static void test_judge_iommu(void **state)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	h->generated_at = NOW;
	h->totals.free = 5, h->totals.shared_iommu = 2;
	struct vf_pf *pf = vf_host_add_pf(h, "p0");
	pf->physical_network = xstrdup("physnet1");
	pf->free = 3, pf->shared_iommu = 2;
	pf = vf_host_add_pf(h, "p1");
	pf->physical_network = xstrdup("physnet2");
	pf->free = 2; /* shared_iommu UNKNOWN: 0 */
	struct vf_host_entry *c = vf_entry_from_host(h, "c");
	struct vf_policy p;
	vf_policy_default(&p);
	p.iommu_isolation = 1;
	struct vf_verdict v;
	vf_judge(c, &p, 3, 0, NOW, &v);
	assert_int_equal(v.decision, VF_PASS);
	assert_int_equal(v.free, 3);
	assert_string_equal(vf_verdict_reason(&v, &p, 3), "3 free alone in their IOMMU group, 3 needed");
	vf_judge(c, &p, 4, 0, NOW, &v);
	assert_int_equal(v.decision, VF_REJECT);
	snprintf(p.label, sizeof p.label, "physnet1");
	vf_judge(c, &p, 1, 0, NOW, &v);
	assert_int_equal(v.free, 1);
	snprintf(p.label, sizeof p.label, "physnet2");
	vf_judge(c, &p, 2, 0, NOW, &v);
	assert_int_equal(v.free, 2);
	p.iommu_isolation = 0, p.label[0] = '\0';
	vf_judge(c, &p, 5, 0, NOW, &v);
	assert_int_equal(v.free, 5);
	vf_entry_unref(c);
}

/* numa and iommu_isolation together: the local VFs are those a VM can take. */
static void test_judge_numa_iommu(void **state)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	h->generated_at = NOW;
	h->totals.free = 6, h->totals.shared_iommu = 2;
	struct vf_pf *pf = vf_host_add_pf(h, "p0");
	pf->free = 3, pf->shared_iommu = 2, pf->numa_node = 0;
	pf = vf_host_add_pf(h, "p1");
	pf->free = 3, pf->shared_iommu = 0, pf->numa_node = 1;
	struct vf_host_entry *c = vf_entry_from_host(h, "c");
	struct vf_policy p;
	vf_policy_default(&p);
	p.iommu_isolation = 1;
	p.numa = VF_NUMA_REQUIRED;
	struct vf_verdict v;
	vf_judge(c, &p, 2, 1, NOW, &v);
	assert_int_equal(v.decision, VF_REJECT);
	assert_string_equal(vf_verdict_reason(&v, &p, 2),
			    "4 free alone in their IOMMU group, 1 on NUMA node 0 (node 0: 1), 2 needed");
	vf_judge(c, &p, 2, 2, NOW, &v);
	assert_int_equal(v.decision, VF_PASS);
	vf_entry_unref(c);
}

static void test_headroom(void **state)
{
	struct vf_verdict v[] = {
		{ .free = 5, .left = 4 }, { .free = 1, .left = 0 }, { .missing = true, .free = -1 },
		{ .free = 0, .left = -1 }, { .free = 9, .left = 8 },
	};
	int64_t s[5];
	vf_headroom_scores(v, 5, s);
	int64_t want[] = { 4, 8, 10, 9, 0 }; /* best left 8; missing after the worst (-1): 8 - (-1) + 1 */
	assert_memory_equal(s, want, sizeof want);

	struct vf_verdict none[] = { { .missing = true, .free = -1 }, { .missing = true, .free = -1 } };
	vf_headroom_scores(none, 2, s);
	assert_int_equal(s[0], 1);
	assert_int_equal(s[1], 1);

	/* NUMA: a host short of local VFs ranks after every host that is not, whatever its
	 * headroom; hosts without a report after both. Demand 1 (free - left). */
	struct vf_verdict numa[] = {
		{ .free = 5, .left = 4, .numa_nodes = 1, .local = 1 }, /* places its VF locally */
		{ .free = 9, .left = 8, .numa_nodes = 1, .local = 0 }, /* more headroom, none local */
		{ .missing = true, .free = -1 },
		{ .free = 2, .left = 1 },                              /* NUMA not considered */
	};
	vf_headroom_scores(numa, 4, s);
	int64_t want_numa[] = { 4, 0 + 8, 16, 7 }; /* spread 8 - 1 = 7: step 8 */
	assert_memory_equal(s, want_numa, sizeof want_numa);
	/* with NUMA counted in the call, a host without enough VFs at all (its nodes not worked
	 * out) cannot place them locally either */
	numa[3] = (struct vf_verdict){ .free = 0, .left = -1 };
	vf_headroom_scores(numa, 4, s);
	int64_t want_short[] = { 4, 0 + 10, 20, 9 + 10 }; /* spread 8 - (-1) = 9: step 10 */
	assert_memory_equal(s, want_short, sizeof want_short);
}

static void test_quote_value(void **state)
{
	char q[48];
	vf_quote_value(q, sizeof q, "ok");
	assert_string_equal(q, "ok");
	vf_quote_value(q, sizeof q, "\x1b[31mred\x7f");
	assert_string_equal(q, "?[31mred?");
	char small[8];
	vf_quote_value(small, sizeof small, "abcdefghijkl");
	assert_string_equal(small, "abcd...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_defaults_and_props),
		cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_judge), cmocka_unit_test(test_judge_iommu),
		cmocka_unit_test(test_require_link),
		cmocka_unit_test(test_judge_numa), cmocka_unit_test(test_judge_numa_iommu),
		cmocka_unit_test(test_headroom),
		cmocka_unit_test(test_quote_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
