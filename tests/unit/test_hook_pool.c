/* SPDX-License-Identifier: MIT */
/* The hook's pool plan: which VFs go in, in which order, and the network XML; the plan against
 * libvirt's test driver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/if_link.h>

#include "pool.h"
#include "util.h"

/* PF with n VFs, all free with netdevs "<pf>v<i>" and PCI addresses. */
static struct vf_pf *add_pf(struct vf_host *h, const char *name, const char *fabric, int n, int bus)
{
	struct vf_pf *pf = vf_host_add_pf(h, name);
	pf->fabric = fabric ? xstrdup(fabric) : NULL;
	pf->numvfs = n;
	vf_pf_set_vfs(pf, (size_t)n);
	for (int i = 0; i < n; i++) {
		pf->vfs[i].netdev = xasprintf("%sv%d", name, i);
		pf->vfs[i].pci_address = xasprintf("0000:%02x:10.%d", bus, i);
		pf->vfs[i].state = VF_STATE_FREE;
	}
	return pf;
}

static void expect_plan(const struct vf_pool_plan *p, const char *const *want, size_t n)
{
	assert_int_equal(p->n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(p->keys[i], want[i]);
}

/* Two fabrics: A has PFs a0 and a1, B has b0. Fabrics alternate; within A the PFs alternate. */
static void test_round_robin(void **state)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	add_pf(h, "a0", "A", 3, 1);
	add_pf(h, "b0", "B", 2, 2);
	add_pf(h, "a1", "A", 1, 3);
	struct vf_usage u = { 0 };
	struct vf_pool_plan p;
	vf_pool_plan(h, &u, "direct-pool", false, true, &p);
	static const char *const want[] = { "a0v0", "b0v0", "a1v0", "b0v1", "a0v1", "a0v2" };
	expect_plan(&p, want, ARRAY_SIZE(want));
	vf_pool_plan_clear(&p);
}

/* Held VFs stay out; VFs our pool lends stay in; a VF another pool lists stays out; passthrough
 * needs a netdev, hostdev a PCI address. */
static void test_membership(void **state)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	struct vf_pf *pf = add_pf(h, "p", NULL, 6, 4);
	pf->vfs[0].state = VF_STATE_ASSIGNED;
	pf->vfs[1].state = VF_STATE_POOL, pf->vfs[1].owner = xstrdup("direct-pool");
	pf->vfs[2].state = VF_STATE_POOL, pf->vfs[2].owner = xstrdup("other");
	pf->vfs[3].state = VF_STATE_UNREACHABLE;
	free(pf->vfs[5].netdev), pf->vfs[5].netdev = NULL; /* bound to vfio-pci */
	struct vf_usage u = { 0 };
	assert_int_equal(vf_libvirt_parse_network("<network><name>other2</name><forward mode='passthrough'>"
						  "<interface dev='pv4'/></forward></network>", &u, NULL), 0);
	struct vf_pool_plan p;
	vf_pool_plan(h, &u, "direct-pool", false, true, &p);
	static const char *const pass[] = { "pv1" };
	expect_plan(&p, pass, 1);
	vf_pool_plan_clear(&p);
	vf_pool_plan(h, &u, "direct-pool", true, true, &p);
	static const char *const hostdev[] = { "0000:04:10.1", "0000:04:10.4", "0000:04:10.5" };
	expect_plan(&p, hostdev, 3);
	_cleanup_free_ char *xml = vf_pool_xml("direct-pool", "8f2e2b8e-6f0b-4a63-a3a5-3c7f1f7a9b10", true, &p);
	assert_string_equal(xml, "<network>\n"
				 "  <name>direct-pool</name>\n"
				 "  <uuid>8f2e2b8e-6f0b-4a63-a3a5-3c7f1f7a9b10</uuid>\n"
				 "  <forward mode=\"hostdev\" managed=\"yes\">\n"
				 "    <address type=\"pci\" domain=\"0x0000\" bus=\"0x04\" slot=\"0x10\" function=\"0x1\"/>\n"
				 "    <address type=\"pci\" domain=\"0x0000\" bus=\"0x04\" slot=\"0x10\" function=\"0x4\"/>\n"
				 "    <address type=\"pci\" domain=\"0x0000\" bus=\"0x04\" slot=\"0x10\" function=\"0x5\"/>\n"
				 "  </forward>\n"
				 "</network>\n");
	vf_pool_plan_clear(&p);
	vf_usage_clear(&u);
}

/* With require_link, free VFs of a PF whose link is down and a VF forced down by link_state
 * disable stay out; the VF our pool lends stays in (it is its vNIC's already). Without, all in. */
static void test_require_link(void **state)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	struct vf_pf *up = add_pf(h, "up", NULL, 3, 4);
	struct vf_pf *down = add_pf(h, "down", NULL, 2, 5);
	up->vfs[1].link_state = IFLA_VF_LINK_STATE_DISABLE;
	down->link_ok = false;
	down->vfs[0].state = VF_STATE_POOL, down->vfs[0].owner = xstrdup("direct-pool");
	struct vf_usage u = { 0 };
	struct vf_pool_plan p;
	vf_pool_plan(h, &u, "direct-pool", false, true, &p);
	static const char *const linked[] = { "upv0", "downv0", "upv2" };
	expect_plan(&p, linked, ARRAY_SIZE(linked));
	vf_pool_plan_clear(&p);
	vf_pool_plan(h, &u, "direct-pool", false, false, &p);
	static const char *const all[] = { "upv0", "downv0", "upv1", "downv1", "upv2" };
	expect_plan(&p, all, ARRAY_SIZE(all));
	vf_pool_plan_clear(&p);
}

/* A hostdev takes its whole IOMMU group: free VFs whose group holds other devices stay out of a
 * hostdev pool, unless our pool already lends them; passthrough (a netdev) does not care. */
static void test_shared_iommu(void **state)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	struct vf_pf *pf = add_pf(h, "p", NULL, 5, 5);
	for (int i = 0; i < 5; i++)
		pf->vfs[i].iommu_group = 60 + i, pf->vfs[i].iommu_group_devices = 1;
	pf->vfs[1].iommu_group_devices = 2;
	pf->vfs[2].iommu_group_devices = 3;
	pf->vfs[2].state = VF_STATE_POOL, pf->vfs[2].owner = xstrdup("direct-pool");
	pf->vfs[3].iommu_group = pf->vfs[3].iommu_group_devices = UNKNOWN; /* no IOMMU: nothing to share */
	struct vf_usage u = { 0 };
	struct vf_pool_plan p;
	vf_pool_plan(h, &u, "direct-pool", true, true, &p);
	static const char *const hostdev[] = { "0000:05:10.0", "0000:05:10.2", "0000:05:10.3", "0000:05:10.4" };
	expect_plan(&p, hostdev, ARRAY_SIZE(hostdev));
	vf_pool_plan_clear(&p);
	vf_pool_plan(h, &u, "direct-pool", false, true, &p);
	static const char *const pass[] = { "pv0", "pv1", "pv2", "pv3", "pv4" };
	expect_plan(&p, pass, ARRAY_SIZE(pass));
	vf_pool_plan_clear(&p);
}

/* Names are escaped by the tree API, whatever they hold. */
static void test_xml_escaping(void **state)
{
	char *keys[] = { (char *)"we'ird\"<&>" };
	struct vf_pool_plan p = { keys, 1 };
	_cleanup_free_ char *xml = vf_pool_xml("po<ol", NULL, false, &p);
	assert_string_equal(xml, "<network>\n  <name>po&lt;ol</name>\n  <forward mode=\"passthrough\">\n"
				 "    <interface dev=\"we'ird&quot;&lt;&amp;&gt;\"/>\n  </forward>\n</network>\n");
}

/* A test-driver node holding only direct-pool, its members in the order given. */
static virConnectPtr node_with_pool(char *path, char *const *devs, size_t n)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("<node><network><name>direct-pool</name><forward mode='passthrough'>", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "<interface dev='%s'/>", devs[i]);
	fputs("</forward></network></node>\n", f);
	assert_int_equal(fclose(f), 0);
	_cleanup_free_ char *uri = xasprintf("test://%s", path);
	virConnectPtr c = virConnectOpen(uri);
	assert_non_null(c);
	return c;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The pool's members are compared with the plan in libvirt's order, whatever order their names
 * sort in: a pool in use (here a reservation pending) that lists the plan as planned is no
 * drift; the same VFs in name order are, and the line says so rather than "11 VFs, has 11". */
static void test_apply_order(void **state)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	add_pf(h, "enp7s0", NULL, 11, 7);
	add_pf(h, "enp8s0", NULL, 3, 8);
	struct vf_usage u = { 0 };
	struct vf_pool_plan p;
	vf_pool_plan(h, &u, "direct-pool", false, true, &p);
	assert_string_equal(p.keys[1], "enp8s0v0");
	_cleanup_free_ char **sorted = xmalloc(p.n * sizeof(char *));
	memcpy(sorted, p.keys, p.n * sizeof(char *));
	qsort(sorted, p.n, sizeof(char *), by_name);
	vf_libvirt_quiet();
	for (int by_name_order = 0; by_name_order < 2; by_name_order++) {
		char path[] = "/tmp/vfcap-test-pool.XXXXXX";
		virConnectPtr c = node_with_pool(path, by_name_order ? sorted : p.keys, p.n);
		struct vf_pool_state st;
		_cleanup_free_ char *drift = NULL, *err = NULL;
		assert_int_equal(vf_pool_read(c, "direct-pool", &st, &err), 0);
		assert_int_equal(vf_pool_apply(c, "direct-pool", false, &p, 1, &st, &drift, &err), 0);
		if (!by_name_order)
			assert_null(drift);
		else
			assert_string_equal(drift, "pool direct-pool is in use (0 connections, 0 ports, 1 reservations): its "
						   "running definition lists the computed pool's 14 VFs in another order; "
						   "the persistent definition is updated and applies when the pool is idle");
		vf_pool_state_clear(&st);
		virConnectClose(c);
		unlink(path);
	}
	vf_pool_plan_clear(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_robin),
		cmocka_unit_test(test_membership),
		cmocka_unit_test(test_require_link),
		cmocka_unit_test(test_shared_iommu),
		cmocka_unit_test(test_xml_escaping),
		cmocka_unit_test(test_apply_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
