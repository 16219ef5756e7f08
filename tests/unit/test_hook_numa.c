/* SPDX-License-Identifier: MIT */
/* hook/domain-numa.c: libvirt's cpuset/nodeset lists, a domain's NUMA nodes from <numatune> and from
 * <cputune> vcpupin through the fixture host numa's node topology. Run from the repository root. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain-numa.h"
#include "rewrite.h"
#include "util.h"
#include "xml.h"

#define NUMA_SYSFS "tests/fixtures/hosts/numa/sysfs"

static void test_bitmap(_unused_ void **state)
{
	bool s[16] = { false };
	assert_int_equal(vf_parse_bitmap("0-3,^2,8", s, 16), 0);
	assert_true(s[0] && s[1] && !s[2] && s[3] && !s[4] && s[8]);
	const char *bad[] = { "", "a", "3-1", "16", "0-16", "1,,2", "1-", "^", "-1", "0 1" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		bool t[16] = { false };
		if (vf_parse_bitmap(bad[i], t, 16) != -EINVAL)
			fail_msg("'%s' was taken", bad[i]);
	}
}

/* the nodes of a domain with body inside <domain>, formatted; NULL on error (msg in *err) */
static char *nodes_of(const char *body, char **err)
{
	_cleanup_free_ char *xml = xasprintf("<domain type='kvm'><name>t</name>%s</domain>", body);
	xmlDocPtr doc = NULL;
	assert_int_equal(vf_payload_parse(xml, strlen(xml), "test", &doc, NULL), 0);
	struct vf_nodeset *s = xcalloc(1, sizeof(*s));
	int r = vf_domain_nodes(doc, NUMA_SYSFS, s, err);
	xmlFreeDoc(doc);
	char *out = r < 0 ? NULL : s->pinned ? vf_nodeset_format(s) : xstrdup("unpinned");
	free(s);
	return out;
}

static void expect_nodes(const char *body, const char *want)
{
	_cleanup_free_ char *err = NULL;
	_cleanup_free_ char *got = nodes_of(body, &err);
	if (!got || !streq(got, want))
		fail_msg("%s: want %s, got %s (%s)", body, want, got ? got : "error", err ? err : "");
}

static void test_domain_nodes(_unused_ void **state)
{
	expect_nodes("", "unpinned");
	expect_nodes("<numatune><memory mode='strict' nodeset='0'/></numatune>", "0");
	expect_nodes("<numatune><memory mode='interleave' nodeset='0-1'/></numatune>", "0,1");
	expect_nodes("<numatune><memory mode='strict' placement='auto'/></numatune>", "unpinned");
	expect_nodes("<numatune><memnode cellid='0' mode='strict' nodeset='1'/></numatune>", "1");
	/* node 0 holds CPUs 0-7,16-23, node 1 8-15,24-31 (mkhosts.py numa()) */
	expect_nodes("<cputune><vcpupin vcpu='0' cpuset='2'/><vcpupin vcpu='1' cpuset='17'/></cputune>", "0");
	expect_nodes("<cputune><vcpupin vcpu='0' cpuset='7-8'/></cputune>", "0,1");
	expect_nodes("<cputune><vcpupin vcpu='0' cpuset='24-31,^25'/></cputune>", "1");
	/* numatune wins over vcpupin, as vNUMA pins do in the filter */
	expect_nodes("<numatune><memory nodeset='1'/></numatune><cputune><vcpupin vcpu='0' cpuset='0'/></cputune>",
		     "1");
	/* a CPU no node lists pins nothing */
	expect_nodes("<cputune><vcpupin vcpu='0' cpuset='100'/></cputune>", "unpinned");

	_cleanup_free_ char *err = NULL;
	assert_null(nodes_of("<numatune><memory nodeset='0-'/></numatune>", &err));
	assert_string_equal(err, "domain numatune nodeset '0-': not a list of numbers below 1024");
}

static void test_no_topology(_unused_ void **state)
{
	const char *xml = "<domain><cputune><vcpupin vcpu='0' cpuset='1'/></cputune></domain>";
	xmlDocPtr doc = NULL;
	assert_int_equal(vf_payload_parse(xml, strlen(xml), "test", &doc, NULL), 0);
	struct vf_nodeset *s = xcalloc(1, sizeof(*s));
	_cleanup_free_ char *err = NULL;
	assert_int_equal(vf_domain_nodes(doc, "/nonexistent", s, &err), -ENOENT);
	assert_string_equal(err, "/nonexistent/devices/system/node: No such file or directory");
	/* a device payload is never pinned */
	xmlFreeDoc(doc);
	xml = "<interface type='bridge'/>";
	assert_int_equal(vf_payload_parse(xml, strlen(xml), "test", &doc, NULL), 0);
	assert_int_equal(vf_domain_nodes(doc, NUMA_SYSFS, s, NULL), 0);
	assert_false(s->pinned);
	xmlFreeDoc(doc);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitmap),
		cmocka_unit_test(test_domain_nodes),
		cmocka_unit_test(test_no_topology),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
