/* SPDX-License-Identifier: MIT */
/* filter/engine.c and engine-xml.c without a network: the XML readers on engine-shaped
 * documents (tests/fixtures/engine/api), malformed and hostile documents, id checks, and
 * vf_engine_new's option errors. The HTTP/HTTPS client is tested in test_filter_engine_http.c.
 * Run from the repository root. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine-fixtures.h"
#include "engine.h"
#include "quiet-stderr.h"
#include "read-fixture.h"
#include "util.h"

static char *read_fixture(const char *rel, size_t *len)
{
	return read_fixture_file(FIXTURES, rel, len);
}

/* ---- nics ---- */

static void test_parse_nics(void **state)
{
	size_t len = 0;
	_cleanup_free_ char *xml = read_fixture("vms/" VM1 "/nics", &len);
	struct vf_engine_nic *nics = NULL;
	size_t n = 0;
	_cleanup_free_ char *err = NULL;
	assert_int_equal(vf_engine_parse_nics(xml, len, &nics, &n, &err), 0);
	assert_null(err);
	assert_int_equal(n, 6);
	const struct {
		const char *profile;
		bool plugged;
	} want[] = { { PT, true },     { VMFEX, true }, { PLAIN, true },
		     { PT2, false },   { NULL, true },  { PT, true } /* no <plugged>: plugged */ };
	for (size_t i = 0; i < n; i++) {
		if (!streq_ptr(nics[i].profile_id, want[i].profile) || nics[i].plugged != want[i].plugged)
			fail_msg("nic %zu: %s %d", i, nics[i].profile_id, nics[i].plugged);
	}
	vf_engine_nics_free(nics, n);

	_cleanup_free_ char *empty = read_fixture("vms/" VM3 "/nics", &len);
	assert_int_equal(vf_engine_parse_nics(empty, len, &nics, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(nics);
}

/* By local name, direct children only, first of a name, unknown elements ignored. */
static void test_parse_nics_shapes(void **state)
{
	const char *xml =
		"<nics xmlns='urn:x'>\n"
		" <nic id='A1'><future><vnic_profile id='bad/../x'/></future>"
		"<plugged> false </plugged><plugged>true</plugged>"
		"<vnic_profile id='AB-01'/><vnic_profile/></nic>\n"
		" <comment>not a nic</comment><nicx id='zz'/>\n"
		" <nic id='a2'><plugged>true</plugged></nic>\n"
		"</nics>";
	struct vf_engine_nic *nics = NULL;
	size_t n = 0;
	assert_int_equal(vf_engine_parse_nics(xml, strlen(xml), &nics, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(nics[0].profile_id, "AB-01");
	assert_false(nics[0].plugged);
	assert_null(nics[1].profile_id);
	assert_true(nics[1].plugged);
	vf_engine_nics_free(nics, n);
}

/* ---- profiles ---- */

static bool profile_needs_vf(const char *xml, size_t len)
{
	bool needs = false;
	_cleanup_free_ char *err = NULL;
	int r = vf_engine_parse_profile(xml, len, &needs, &err);
	if (r < 0)
		fail_msg("%d %s", r, err);
	return needs;
}

static void test_parse_profiles(void **state)
{
	const struct {
		const char *id;
		bool needs;
	} want[] = { { PT, true }, { PT2, true }, { VMFEX, true }, { PLAIN, false }, { DISABLED, false } };
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		size_t len = 0;
		_cleanup_free_ char *p = xasprintf("vnicprofiles/%s", want[i].id);
		_cleanup_free_ char *xml = read_fixture(p, &len);
		if (profile_needs_vf(xml, len) != want[i].needs)
			fail_msg("%s: want needs_vf %d", want[i].id, want[i].needs);
	}
	const struct {
		const char *xml;
		bool needs;
	} inline_cases[] = {
		{ "<vnic_profile id='p'><name>n</name></vnic_profile>", false },
		{ "<vnic_profile><pass_through><mode>\n  enabled\n</mode></pass_through></vnic_profile>", true },
		{ "<vnic_profile><pass_through><mode>ENABLED</mode></pass_through></vnic_profile>", false },
		{ "<vnic_profile><pass_through/></vnic_profile>", false },
		{ "<vnic_profile><x><pass_through><mode>enabled</mode></pass_through></x></vnic_profile>", false },
		{ "<vnic_profile><custom_properties><custom_property><name>vmfex</name><value> </value>"
		  "</custom_property></custom_properties></vnic_profile>", false },
		{ "<vnic_profile><custom_properties><custom_property><name>vmfex</name>"
		  "</custom_property></custom_properties></vnic_profile>", false },
		{ "<vnic_profile><custom_properties><!-- c --><custom_property><name>a</name><value>b</value>"
		  "</custom_property>\n<custom_property><value>P&amp;1</value><name>vmfex</name>"
		  "</custom_property></custom_properties></vnic_profile>", true },
		{ "<p:vnic_profile xmlns:p='urn:p'><p:pass_through><p:mode>enabled</p:mode></p:pass_through>"
		  "</p:vnic_profile>", true },
	};
	for (size_t i = 0; i < ARRAY_SIZE(inline_cases); i++) {
		const char *x = inline_cases[i].xml;
		if (profile_needs_vf(x, strlen(x)) != inline_cases[i].needs)
			fail_msg("case %zu: want needs_vf %d", i, inline_cases[i].needs);
	}
}

/* ---- hosts ---- */

static void test_parse_hosts(void **state)
{
	size_t len = 0;
	_cleanup_free_ char *xml = read_fixture("hosts/self", &len);
	struct vf_engine_host *hosts = NULL;
	size_t n = 0;
	assert_int_equal(vf_engine_parse_hosts(xml, len, &hosts, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_string_equal(hosts[0].id, HOST1);
	assert_string_equal(hosts[0].address, "node1.example.com"); /* not power_management's */
	assert_string_equal(hosts[1].id, HOST2);
	assert_string_equal(hosts[1].address, "192.0.2.12");
	assert_string_equal(hosts[2].id, HOST3);
	assert_string_equal(hosts[2].address, "2001:db8::13");
	vf_engine_hosts_free(hosts, n);

	const char *odd = "<hosts><host id='a'/><host id='b'><address> </address></host>"
			  "<host id='c'><address>\n\tc.example\n</address></host></hosts>";
	assert_int_equal(vf_engine_parse_hosts(odd, strlen(odd), &hosts, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_null(hosts[0].address);
	assert_null(hosts[1].address);
	assert_string_equal(hosts[2].address, "c.example");
	vf_engine_hosts_free(hosts, n);

	assert_int_equal(vf_engine_parse_hosts("<hosts/>", 8, &hosts, &n, NULL), 0);
	assert_int_equal(n, 0);
}

/* The list fed in pieces of any size parses the same; a failure stays (every later feed says
 * it again); a document over libxml2's 10 MB look-ahead parses whole too. */
static void test_parse_hosts_pieces(void **state)
{
	size_t len = 0;
	_cleanup_free_ char *xml = read_fixture("hosts/self", &len);
	static const size_t pieces[] = { 1, 2, 7, 64, 4096 };
	for (size_t k = 0; k < ARRAY_SIZE(pieces); k++) {
		struct vf_engine_hosts_parser *hp = vf_engine_hosts_parser_new();
		for (size_t at = 0; at < len; at += pieces[k]) {
			size_t n = len - at < pieces[k] ? len - at : pieces[k];
			assert_int_equal(vf_engine_hosts_parser_feed(hp, xml + at, n, at + n == len, NULL), 0);
		}
		struct vf_engine_host *hosts = NULL;
		size_t n = 0;
		vf_engine_hosts_parser_take(hp, &hosts, &n);
		assert_int_equal(n, 3);
		assert_string_equal(hosts[0].address, "node1.example.com");
		assert_string_equal(hosts[2].id, HOST3);
		assert_string_equal(hosts[2].address, "2001:db8::13");
		vf_engine_hosts_free(hosts, n);
		vf_engine_hosts_parser_free(hp);
	}

	/* UTF-8 whatever the declaration says (the engine's is UTF-8; iconv's readings of other
	 * encodings could differ with the pieces) */
	const char *latin = "<?xml version='1.0' encoding='ISO-8859-1'?><hosts><host id='a'><address>\xc3\xa9.example"
			    "</address></host></hosts>";
	struct vf_engine_host *l1 = NULL;
	size_t ln = 0;
	assert_int_equal(vf_engine_parse_hosts(latin, strlen(latin), &l1, &ln, NULL), 0);
	assert_string_equal(l1[0].address, "\xc3\xa9.example");
	vf_engine_hosts_free(l1, ln);

	const char *dt = "<!DOCTYPE hosts [<!ENTITY a 'x'>]><hosts/>";
	struct vf_engine_hosts_parser *hp = vf_engine_hosts_parser_new();
	_cleanup_free_ char *err = NULL, *again = NULL;
	int r = 0;
	for (size_t at = 0; dt[at] && r == 0; at++)
		r = vf_engine_hosts_parser_feed(hp, dt + at, 1, !dt[at + 1], &err);
	assert_int_equal(r, -EINVAL);
	assert_string_equal(err, "line 1: DOCTYPE not allowed");
	assert_int_equal(vf_engine_hosts_parser_feed(hp, "<hosts/>", 8, true, &again), -EINVAL);
	assert_string_equal(again, err);
	vf_engine_hosts_parser_free(hp);

	enum { MANY = 2500 };
	_cleanup_free_ char *pad = xmalloc(4097);
	memset(pad, 'x', 4096);
	pad[4096] = '\0';
	size_t cap = (size_t)MANY * 4300 + 64, off = 0;
	_cleanup_free_ char *big = xmalloc(cap);
	off += (size_t)snprintf(big, cap, "<hosts>");
	for (int i = 0; i < MANY; i++)
		off += (size_t)snprintf(big + off, cap - off, "<host id='%d'><comment>%s</comment><address>h%d</address></host>\n",
					i, pad, i);
	off += (size_t)snprintf(big + off, cap - off, "</hosts>");
	assert_true(off > 10000000);
	struct vf_engine_host *hosts = NULL;
	size_t n = 0;
	assert_int_equal(vf_engine_parse_hosts(big, off, &hosts, &n, NULL), 0);
	assert_int_equal(n, MANY);
	assert_string_equal(hosts[MANY - 1].address, "h2499");
	vf_engine_hosts_free(hosts, n);
}

/* ---- NUMA placement ---- */

static uint64_t vm_numa(const char *rel, char *tune)
{
	size_t len = 0;
	_cleanup_free_ char *xml = read_fixture(rel, &len);
	uint64_t nodes = 99;
	_cleanup_free_ char *err = NULL;
	if (vf_engine_parse_vm_numa(xml, len, &nodes, tune, 16, &err) < 0)
		fail_msg("%s: %s", rel, err);
	return nodes;
}

static bool has_cpu(const struct vf_cpuset *s, int c)
{
	return (s->bits[c / 64] >> (c % 64)) & 1;
}

/* CPUs 0..63 of s as a mask */
static uint64_t low_cpus(const struct vf_cpuset *s)
{
	return s->bits[0];
}

static void test_parse_vm_numa(void **state)
{
	char tune[16];
	assert_int_equal(vm_numa("vms/" VM_NODE0 "/numanodes", tune), 1);
	assert_string_equal(tune, "strict");
	assert_int_equal(vm_numa("vms/" VM_NODE01 "/numanodes", tune), 3);
	assert_string_equal(tune, "interleave");
	assert_int_equal(vm_numa("vms/" VM_VCPU "/numanodes", tune), 0); /* a vNUMA node, no pin */
	assert_string_equal(tune, "");
	assert_int_equal(vm_numa("vms/" VM1 "/numanodes", tune), 0);      /* <vm_numa_nodes/> */
	/* a default namespace, a pin without index (the deprecated host_numa_node id alone), the
	 * highest node, a tune mode cut to the buffer */
	const char *x = "<vm_numa_nodes xmlns='urn:x'><vm_numa_node><numa_tune_mode>preferred-and-more-words"
			"</numa_tune_mode><numa_node_pins><numa_node_pin><host_numa_node id='a'/></numa_node_pin>"
			"<numa_node_pin><index> 63 </index></numa_node_pin></numa_node_pins></vm_numa_node>"
			"</vm_numa_nodes>";
	uint64_t nodes = 0;
	assert_int_equal(vf_engine_parse_vm_numa(x, strlen(x), &nodes, tune, sizeof tune, NULL), 0);
	assert_true(nodes == UINT64_C(1) << 63);
	assert_string_equal(tune, "preferred-and-m");
}

static void test_parse_vm(void **state)
{
	struct {
		const char *vm;
		bool any;
		uint64_t cpus;
		const char *tune;
	} cases[] = {
		{ VM_VCPU, true, 0xf0, "interleave" }, /* 4-5 and 6,^5,7: the ^ takes out of its own set only */
		{ VM_UNPINNED, false, 0, "" },
		{ VM1, false, 0, "" },
		{ VM_NODE0, false, 0, "strict" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *rel = xasprintf("vms/%s/self", cases[i].vm);
		size_t len = 0;
		_cleanup_free_ char *xml = read_fixture(rel, &len);
		struct vf_cpuset cpus;
		bool any = !cases[i].any;
		char tune[16];
		assert_int_equal(vf_engine_parse_vm(xml, len, &cpus, &any, tune, sizeof tune, NULL), 0);
		assert_int_equal(any, cases[i].any);
		assert_true(low_cpus(&cpus) == cases[i].cpus);
		assert_string_equal(tune, cases[i].tune);
	}
}

static void test_parse_host_numa(void **state)
{
	size_t len = 0;
	_cleanup_free_ char *xml = read_fixture("hosts/" HOST1 "/numanodes", &len);
	struct vf_host_numa_node *nodes = NULL;
	size_t n = 0;
	assert_int_equal(vf_engine_parse_host_numa(xml, len, &nodes, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_int_equal(nodes[0].index, 0);
	assert_true(low_cpus(&nodes[0].cpus) == 0x0f);
	assert_int_equal(nodes[1].index, 1);
	assert_true(low_cpus(&nodes[1].cpus) == 0xf0);
	free(nodes);
	const char *x = "<host_numa_nodes><host_numa_node><index>7</index><cpu><cores><core><index>4095</index>"
			"</core><core/></cores></cpu></host_numa_node><host_numa_node><index>6</index>"
			"</host_numa_node></host_numa_nodes>";
	assert_int_equal(vf_engine_parse_host_numa(x, strlen(x), &nodes, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_int_equal(nodes[0].index, 7);
	assert_true(has_cpu(&nodes[0].cpus, 4095));
	assert_true(low_cpus(&nodes[1].cpus) == 0);
	free(nodes);
}

static void test_cpuset(void **state)
{
	struct {
		const char *s;
		int r;
		uint64_t low;
	} cases[] = {
		{ "0", 0, 1 },           { "1-4,6", 0, 0x5e }, { "0-3,^2", 0, 0xb }, { "^2,0-3", 0, 0xb },
		{ "^3", 0, 0 },          { "63", 0, UINT64_C(1) << 63 },         { "4095", 0, 0 },
		{ "4096", -EINVAL, 0 },  { "3-1", -EINVAL, 0 }, { "", -EINVAL, 0 }, { "1,,2", -EINVAL, 0 },
		{ ",1", -EINVAL, 0 },    { "1,", -EINVAL, 0 },  { "a", -EINVAL, 0 }, { "1-", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },    { "1-2-3", -EINVAL, 0 }, { "^", -EINVAL, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vf_cpuset set = { 0 };
		int r = vf_cpuset_parse(cases[i].s, &set);
		if (r != cases[i].r || (r == 0 && low_cpus(&set) != cases[i].low))
			fail_msg("'%s': got %d %#llx", cases[i].s, r, (unsigned long long)low_cpus(&set));
	}
	struct vf_cpuset set;
	assert_int_equal(vf_cpuset_parse("4000-4095", &set), 0);
	assert_true(has_cpu(&set, 4000) && has_cpu(&set, 4095) && !has_cpu(&set, 3999));
}

static void test_numa_nodes_text(void **state)
{
	char buf[40];
	vf_numa_nodes_text(0, buf, sizeof buf);
	assert_string_equal(buf, "-");
	vf_numa_nodes_text(1, buf, sizeof buf);
	assert_string_equal(buf, "0");
	vf_numa_nodes_text(UINT64_C(1) << 63 | 6, buf, sizeof buf);
	assert_string_equal(buf, "1,2,63");
	char small[12];
	vf_numa_nodes_text(~UINT64_C(0), small, sizeof small);
	assert_string_equal(small, "0,1,2,3,...");
}

/* ---- malformed documents ---- */

enum doc_kind { NICS, PROFILE, HOSTS, VM_NUMA, VM, HOST_NUMA };

static int parse_numa_kind(enum doc_kind k, const char *xml, size_t len, char **err)
{
	char tune[16];
	if (k == VM_NUMA) {
		uint64_t nodes;
		return vf_engine_parse_vm_numa(xml, len, &nodes, tune, sizeof tune, err);
	}
	if (k == VM) {
		struct vf_cpuset cpus;
		bool any;
		return vf_engine_parse_vm(xml, len, &cpus, &any, tune, sizeof tune, err);
	}
	struct vf_host_numa_node *nodes = NULL;
	size_t n = 0;
	int r = vf_engine_parse_host_numa(xml, len, &nodes, &n, err);
	free(nodes);
	return r;
}

static int parse_kind(enum doc_kind k, const char *xml, size_t len, char **err)
{
	if (k >= VM_NUMA)
		return parse_numa_kind(k, xml, len, err);
	if (k == NICS) {
		struct vf_engine_nic *nics = NULL;
		size_t n = 0;
		int r = vf_engine_parse_nics(xml, len, &nics, &n, err);
		vf_engine_nics_free(nics, r < 0 ? 0 : n);
		return r;
	}
	if (k == HOSTS) {
		struct vf_engine_host *hosts = NULL;
		size_t n = 0;
		int r = vf_engine_parse_hosts(xml, len, &hosts, &n, err);
		vf_engine_hosts_free(hosts, r < 0 ? 0 : n);
		return r;
	}
	bool needs;
	return vf_engine_parse_profile(xml, len, &needs, err);
}

/* The parse fails with -EINVAL and exactly want, or (want ending in '*') a message starting
 * with it; one line, and nothing printed. */
static void fails_len(enum doc_kind k, const char *xml, size_t len, const char *want)
{
	_cleanup_free_ char *err = NULL;
	struct quiet q;
	quiet_begin(&q);
	int r = parse_kind(k, xml, len, &err);
	quiet_end(&q);
	assert_int_equal(r, -EINVAL);
	assert_non_null(err);
	size_t n = strlen(want);
	bool ok = want[n - 1] == '*' ? strncmp(err, want, n - 1) == 0 : streq(err, want);
	if (!ok || strchr(err, '\n'))
		fail_msg("got '%s', want '%s'", err, want);
}

static void fails(enum doc_kind k, const char *xml, const char *want)
{
	fails_len(k, xml, strlen(xml), want);
}

static void test_parse_errors(void **state)
{
	fails(NICS, "", "empty document");
	fails_len(NICS, NULL, 0, "empty document");
	fails(NICS, "upstream connect error\n", "line 1: Start tag expected, '<' not found");
	fails(NICS, "<nics>\n<nic id='a'>\n</nics>", "line 3: Opening and ending tag mismatch: nic line 2 and nics");
	fails(NICS, "<nics>\n<nic id='a'>", "line 2: *");
	fails(NICS, "<foo/>", "line 1: root is <foo>, expected <nics>");
	fails(NICS, "\n\n<nic id='a'/>", "line 3: root is <nic>, expected <nics>");
	fails(NICS, "<nics>\n  <nic>\n  </nic>\n</nics>", "line 2: <nic> without id");
	fails(NICS, "<nics><nic id=''/></nics>", "line 1: <nic> without id");
	fails(NICS, "<nics><nic xmlns:o='urn:o' o:id='a'/></nics>", "line 1: <nic> without id");
	fails(NICS, "<nics><nic id='a'/><nic id='a/b'/></nics>", "line 1: <nic> has an invalid id");
	fails(NICS, "<nics>\n<nic id='a'>\n<vnic_profile/>\n</nic></nics>", "line 3: <vnic_profile> without id");
	fails(NICS, "<nics><nic id='a'>\n<vnic_profile id='../../hosts'/></nic></nics>",
	      "line 2: <vnic_profile> has an invalid id");
	fails(NICS, "<nics><nic id='a'><vnic_profile id='a?b'/></nic></nics>",
	      "line 1: <vnic_profile> has an invalid id");
	fails(NICS, "<nics><nic id='a'>\n\n<plugged>yes</plugged></nic></nics>",
	      "line 3: <plugged> is neither true nor false");
	fails(NICS, "<nics>&foo;</nics>", "line 1: Entity 'foo' not defined");
	fails(NICS, "<nics><nic id='a\xff'/></nics>", "line 1: Input is not proper UTF-8, indicate encoding ! Bytes: 0xFF 0x27 0x2F 0x3E");
	fails(NICS, "<?xml version='1.0' encoding='x-no-such'?><nics/>", "line 1: Unsupported encoding x-no-such");
	fails_len(NICS, "<nics>\0</nics>", 14, "line 1: *");
	fails(PROFILE, "<nics/>", "line 1: root is <nics>, expected <vnic_profile>");
	fails(PROFILE, "<vnic_profile><name>a</vnic_profile>", "line 1: Opening and ending tag mismatch: name line 1 and vnic_profile");
	fails(HOSTS, "<hosts>\n<host><address>a</address></host></hosts>", "line 2: <host> without id");
	fails(HOSTS, "<hosts><host id='a'><address>a</address></host></hosts>trailing",
	      "line 1: Extra content at the end of the document");
	fails(HOSTS, "<?xml version='1.0'?><hosts/><!-- ok --><hosts/>", "line 1: Extra content at the end of the document");
}

static void test_parse_numa_errors(void **state)
{
	size_t len = 0;
	_cleanup_free_ char *bad_pin = read_fixture("vms/" VM_BAD_PIN "/numanodes", &len);
	fails(VM_NUMA, bad_pin, "line 18: <index> '64' is not a NUMA node 0..63");
	_cleanup_free_ char *bad_cpus = read_fixture("vms/" VM_BAD_CPUS "/self", &len);
	fails(VM, bad_cpus, "line 16: <cpu_set> '4-x' is not a CPU list of 0..4095");
	fails(VM_NUMA, "<vm_numa_nodes><vm_numa_node><numa_node_pins><numa_node_pin><index>-1</index>"
		       "</numa_node_pin></numa_node_pins></vm_numa_node></vm_numa_nodes>",
	      "line 1: <index> '-1' is not a NUMA node 0..63");
	fails(VM_NUMA, "<vm_numa_nodes><vm_numa_node><numa_node_pins><numa_node_pin><index></index>"
		       "</numa_node_pin></numa_node_pins></vm_numa_node></vm_numa_nodes>",
	      "line 1: <index> '' is not a NUMA node 0..63");
	fails(VM_NUMA, "<vm/>", "line 1: root is <vm>, expected <vm_numa_nodes>");
	fails(VM, "<vms/>", "line 1: root is <vms>, expected <vm>");
	fails(VM, "<vm><cpu><cpu_tune><vcpu_pins><vcpu_pin><cpu_set>0-99999</cpu_set></vcpu_pin></vcpu_pins>"
		  "</cpu_tune></cpu></vm>",
	      "line 1: <cpu_set> '0-99999' is not a CPU list of 0..4095");
	fails(HOST_NUMA, "<host_numa_nodes>\n<host_numa_node/></host_numa_nodes>",
	      "line 2: <host_numa_node> without <index>");
	fails(HOST_NUMA, "<host_numa_nodes><host_numa_node><index>0</index><cpu><cores><core><index>4096</index>"
			 "</core></cores></cpu></host_numa_node></host_numa_nodes>",
	      "line 1: <index> '4096' is not a CPU 0..4095");
	fails(HOST_NUMA, "<!DOCTYPE host_numa_nodes><host_numa_nodes/>", "line 1: DOCTYPE not allowed");
	fails(HOST_NUMA, "<host_numa_nodes>", "line 1: *");
}

/* No DOCTYPE at all: nothing is declared, expanded or fetched. */
static void test_parse_doctype(void **state)
{
	fails(NICS, "<?xml version='1.0'?>\n<!DOCTYPE nics>\n<nics/>", "line 2: DOCTYPE not allowed");
	fails(NICS, "<!DOCTYPE nics [<!ENTITY a 'x'>]><nics>&a;</nics>", "line 1: DOCTYPE not allowed");
	fails(HOSTS, "<!DOCTYPE hosts SYSTEM 'file:///etc/passwd'><hosts/>", "line 1: DOCTYPE not allowed");
	fails(HOSTS,
	      "<?xml version='1.0'?>\n<!DOCTYPE hosts [\n<!ENTITY x SYSTEM 'http://127.0.0.1:1/x'>\n]>\n"
	      "<hosts><host id='a'><address>&x;</address></host></hosts>",
	      "line 2: DOCTYPE not allowed");
	/* billion laughs */
	_cleanup_free_ char *lol = xstrdup("<?xml version='1.0'?>\n<!DOCTYPE lolz [\n<!ENTITY l0 'lol'>\n");
	for (int i = 1; i < 10; i++) {
		_cleanup_free_ char *old = lol;
		lol = xasprintf("%s<!ENTITY l%d '&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;'>\n", old,
				i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	}
	_cleanup_free_ char *doc = xasprintf("%s]>\n<vnic_profile><name>&l9;</name></vnic_profile>", lol);
	fails(PROFILE, doc, "line 2: DOCTYPE not allowed");
}

/* libxml2's limits stay on (no XML_PARSE_HUGE): a 300-deep document is refused. */
static void test_parse_depth(void **state)
{
	_cleanup_free_ char *doc = xstrdup("<nics>");
	for (int i = 0; i < 300; i++) {
		_cleanup_free_ char *old = doc;
		doc = xasprintf("%s<a>", old);
	}
	fails(NICS, doc, "line 1: Excessive depth in document*");
}

static void test_valid_id(void **state)
{
	assert_true(vf_engine_valid_id(VM1));
	assert_true(vf_engine_valid_id("ABCDEF-0123456789"));
	assert_true(vf_engine_valid_id("0"));
	char id[66];
	memset(id, 'a', 65);
	id[65] = '\0';
	assert_false(vf_engine_valid_id(id));
	id[64] = '\0';
	assert_true(vf_engine_valid_id(id));
	const char *bad[] = { "", "../x", "a?b", "a/b", "..", "x", "a b", "a%2fb", "a#b", "a\nb", "a;b" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (vf_engine_valid_id(bad[i]))
			fail_msg("'%s' passed", bad[i]);
	assert_false(vf_engine_valid_id(NULL));
}

static void test_new_errors(void **state)
{
	const struct {
		const char *url;
		int timeout_ms, ttl;
		const char *want;
	} cases[] = {
		{ NULL, 1000, 60, "engine URL must start with http:// or https://" },
		{ "ftp://e/api", 1000, 60, "engine URL must start with http:// or https://" },
		{ "file:///etc/passwd", 1000, 60, "engine URL must start with http:// or https://" },
		{ "engine.example/api", 1000, 60, "engine URL must start with http:// or https://" },
		{ "https://e/api?x=1", 1000, 60, "engine URL must be the API root, without query or fragment" },
		{ "https://e/api#f", 1000, 60, "engine URL must be the API root, without query or fragment" },
		{ "https://e/api", 0, 60, "engine timeout must be at least 1 ms" },
		{ "https://e/api", 1000, -1, "engine cache_ttl must not be negative" },
		{ "https://e/api", 1000, 60, "engine cache_max must not be negative" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vf_engine_opts o = { .url = cases[i].url, .timeout_ms = cases[i].timeout_ms,
					    .cache_ttl = cases[i].ttl,
					    .cache_max = i == ARRAY_SIZE(cases) - 1 ? -1 : 0 };
		struct vf_engine *e = NULL;
		_cleanup_free_ char *err = NULL;
		assert_int_equal(vf_engine_new(&o, &e, &err), -EINVAL);
		assert_null(e);
		assert_string_equal(err, cases[i].want);
	}
	vf_engine_free(NULL);
}

int main(void)
{
	const struct CMUnitTest parse[] = {
		cmocka_unit_test(test_parse_nics),     cmocka_unit_test(test_parse_nics_shapes),
		cmocka_unit_test(test_parse_profiles), cmocka_unit_test(test_parse_hosts),
		cmocka_unit_test(test_parse_hosts_pieces),
		cmocka_unit_test(test_parse_vm_numa),  cmocka_unit_test(test_parse_vm),
		cmocka_unit_test(test_parse_host_numa), cmocka_unit_test(test_cpuset),
		cmocka_unit_test(test_numa_nodes_text), cmocka_unit_test(test_parse_numa_errors),
		cmocka_unit_test(test_parse_errors),   cmocka_unit_test(test_parse_doctype),
		cmocka_unit_test(test_parse_depth),    cmocka_unit_test(test_valid_id),
		cmocka_unit_test(test_new_errors),
	};
	return cmocka_run_group_tests_name("engine XML", parse, NULL, NULL);
}
