/* SPDX-License-Identifier: MIT */
/* The report's JSON writer and reader (lib/report.c) and its table and Prometheus forms
 * (reporter/format.c, from the reporter's archive). */
#include <errno.h>
#include <math.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "format.h"
#include "model.h"
#include "report.h"
#include "util.h"
#include "fixture-dirs.h"
#include "report-hosts.h"

static struct vf_host *parse_ok(const char *text)
{
	struct vf_host *h = NULL;
	_cleanup_free_ char *err = NULL;
	int r = vf_report_parse(text, strlen(text), &h, &err);
	if (r < 0)
		fail_msg("parse failed: %d %s", r, err);
	assert_non_null(h);
	return h;
}

/* ---- round trip ---- */

static void round_trip(struct vf_host *(*make)(void))
{
	_cleanup_host_ struct vf_host *h = make();
	for (int pretty = 0; pretty <= 1; pretty++) {
		_cleanup_free_ char *a = vf_report_format_json(h, pretty);
		_cleanup_host_ struct vf_host *back = parse_ok(a);
		_cleanup_free_ char *b = vf_report_format_json(back, pretty);
		assert_string_equal(a, b);
		assert_int_equal(a[strlen(a) - 1], '\n');
	}
}

static void test_round_trip(_unused_ void **state)
{
	round_trip(host_full);
	round_trip(host_small);
	round_trip(host_empty);
}

/* The mapping of the model's unknowns and flags, checked on the model read back. */
/* Every golden report the reporter wrote reads back and re-serializes to the same bytes: the
 * filter reads exactly what the reporter writes. */
static void golden_case(const char *parent, const char *name)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	_cleanup_host_ struct vf_host *h = read_golden_report(parent, name, &path, &text);
	if (!h)
		return;
	_cleanup_free_ char *again = vf_report_format_json(h, true);
	if (!streq(again, text))
		fail_msg("%s: re-serialized report differs", path);
}

/* A version-1 report (intel64's golden before version 2) reads, with version 2's keys at their
 * defaults: unknown IOMMU groups, no shared_iommu count. */
static void test_version1(_unused_ void **state)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	assert_int_equal(read_full_file("tests/fixtures/reports-v1/intel64.json", &text, &len, 1 << 24), 0);
	assert_non_null(strstr(text, "\"schema_version\": 1,"));
	_cleanup_host_ struct vf_host *h = NULL;
	_cleanup_free_ char *err = NULL;
	if (vf_report_parse(text, len, &h, &err) < 0)
		fail_msg("version 1: %s", err);
	assert_int_equal(h->n_pfs, 2);
	assert_int_equal(h->pfs[0].free, 54);
	assert_int_equal(h->pfs[0].shared_iommu, UNKNOWN);
	assert_int_equal(h->totals.shared_iommu, UNKNOWN);
	assert_int_equal(h->pfs[0].vfs[0].iommu_group, UNKNOWN);
	assert_int_equal(h->pfs[0].vfs[0].iommu_group_devices, UNKNOWN);
	/* written again, it is a version-2 report, its new keys null */
	_cleanup_free_ char *again = vf_report_format_json(h, false);
	assert_non_null(strstr(again, "\"schema_version\":2"));
	assert_non_null(strstr(again, "\"shared_iommu\":null"));
}

static void test_golden_round_trip(_unused_ void **state)
{
	static const char *const dirs[] = { "tests/fixtures/hosts", "tests/fixtures/variants" };
	assert_true(for_each_fixture_dir(dirs, ARRAY_SIZE(dirs), golden_case) >= 8);
}

static void test_mapping(_unused_ void **state)
{
	_cleanup_host_ struct vf_host *h = host_full();
	_cleanup_free_ char *text = vf_report_format_json(h, false);
	_cleanup_host_ struct vf_host *b = parse_ok(text);

	assert_string_equal(b->uuid, "4c4c4544-0042-3510-8052-b4c04f4e3132");
	assert_int_equal(b->generated_at, T_2026_11_20);
	assert_int_equal(b->n_pfs, 4);
	assert_int_equal(b->pfs[1].n_vfs, 256);
	assert_true(b->pfs[1].nl.truncated);
	assert_int_equal(b->pfs[1].vfs[200].state, VF_STATE_UNREACHABLE);
	assert_string_equal(b->pfs[2].fabric, "fabric-a");
	assert_string_equal(b->pfs[2].vfs[0].port_profile, "Profile1");
	assert_int_equal(b->pfs[2].vfs[0].port_response, 256);
	assert_int_equal(b->pfs[2].vfs[1].port_response, UNKNOWN);
	assert_null(b->pfs[2].vfs[1].port_profile);
	assert_false(b->pfs[3].nl.valid);
	assert_int_equal(b->pfs[0].shared_iommu, 1);
	assert_int_equal(b->pfs[0].vfs[0].iommu_group, 17);
	assert_int_equal(b->pfs[0].vfs[0].iommu_group_devices, 2);
	assert_int_equal(b->pfs[0].vfs[1].iommu_group, UNKNOWN);
	assert_int_equal(b->pfs[3].free, UNKNOWN);
	assert_int_equal(b->pfs[3].ifindex, 0);
	assert_null(b->pfs[3].driver);
	assert_int_equal(b->pfs[3].vfs[1].trust, UNKNOWN);
	assert_int_equal(b->pfs[0].vfs[2].link_state, 2);
	assert_int_equal(b->pfs[0].vfs[3].link_state, UNKNOWN);
	assert_int_equal(b->pfs[0].vfs[1].vlan, 100);
	assert_string_equal(b->pfs[0].vfs[1].mac, "52:54:00:00:00:01");
	assert_string_equal(b->pfs[3].vfs[0].mac, "");
	assert_int_equal(b->n_errors, 2);
	assert_int_equal(b->errors[1].source, VF_SRC_LIBVIRT);
	assert_null(b->errors[1].object);
	assert_int_equal(b->totals.free, UNKNOWN);
	assert_int_equal(b->totals.unreachable, 222);

	/* the spelling of the same in the text */
	const char *want[] = {
		"\"schema_version\":2,\"host\":{\"hostname\":\"kvm1.example.com\",",
		"\"port_profile\":null,\"min_tx_rate\":0,\"max_tx_rate\":0,\"iommu_group\":17,\"iommu_group_devices\":2,"
		"\"dirty\":[],\"state\":\"free\"",
		"\"port_profile\":null,\"min_tx_rate\":100,\"max_tx_rate\":1000,\"iommu_group\":null,"
		"\"iommu_group_devices\":null,\"dirty\":[\"vlan\",\"rate\"],\"state\":\"assigned\"",
		"\"free\":1,\"dirty\":0,\"no_link\":0,\"shared_iommu\":1,\"vfs\":",
		"\"generated_at\":\"2026-11-20T10:00:00Z\"",
		"\"labels\":{\"physical_network\":\"physnet2\",\"fabric\":\"fabric-a\"}",
		"\"labels\":{}",
		"\"trust\":false,\"spoofchk\":true,\"link_state\":\"disable\"",
		"\"dirty\":[\"link_state\"],\"state\":\"pool\"",
		"\"link_state\":\"up\",\"carrier\":true,\"link_ok\":true,",
		"\"link_state\":\"down\",\"carrier\":false,\"link_ok\":false,",
		"\"link_state\":null,\"carrier\":null,\"link_ok\":true,",
		"\"free\":33,\"dirty\":0,\"no_link\":33,\"shared_iommu\":null,\"vfs\"",
		"\"link_state\":null,\"port_profile\":null",
		"\"port_profile\":{\"name\":\"Profile1\",\"response\":256,\"associated\":true}",
		"\"port_profile\":{\"name\":\"Profile2\",\"response\":null,\"associated\":false}",
		"\"port_profile\":{\"name\":null,\"response\":0,\"associated\":false}",
		"\"name\":\"eth9\",\"ifindex\":null,\"pci_address\":null,\"driver\":null,"
		"\"vendor_id\":null,\"device_id\":null,\"numa_node\":-1,\"link_state\":null,",
		"\"netlink\":null",
		"\"netlink\":{\"num_vf\":256,\"listed\":34,\"bytes_per_vf\":296,\"limit\":221,"
		"\"bytes_per_vf_no_stats\":196,\"limit_no_stats\":334,\"truncated\":true,\"vfinfo\":true,\"ports\":false}",
		"{\"source\":\"libvirt\",\"object\":null,\"message\":\"cannot connect to qemu:///system\"}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		if (!strstr(text, want[i]))
			fail_msg("missing in the JSON: %s", want[i]);
}

/* Pretty output: two-space indent, "key": value, keys in schema order. */
static void test_pretty(_unused_ void **state)
{
	_cleanup_host_ struct vf_host *h = host_empty();
	_cleanup_free_ char *s = vf_report_format_json(h, true);
	assert_string_equal(s, "{\n"
			       "  \"schema_version\": 2,\n"
			       "  \"host\": {\n"
			       "    \"hostname\": \"empty\",\n"
			       "    \"uuid\": null\n"
			       "  },\n"
			       "  \"generated_at\": \"1970-01-01T00:00:00Z\",\n"
			       "  \"reporter_version\": \"" VFCAP_VERSION "\",\n"
			       "  \"pfs\": [\n"
			       "  ],\n"
			       "  \"totals\": {\n"
			       "    \"pfs\": 0,\n"
			       "    \"vfs\": 0,\n"
			       "    \"usable\": 0,\n"
			       "    \"used\": 0,\n"
			       "    \"free\": 0,\n"
			       "    \"reserved\": 0,\n"
			       "    \"unreachable\": 0,\n"
			       "    \"dirty\": null,\n"
			       "    \"no_link\": null,\n"
			       "    \"shared_iommu\": null\n"
			       "  },\n"
			       "  \"numa\": [\n"
			       "  ],\n"
			       "  \"errors\": [\n"
			       "  ]\n"
			       "}\n");
}

/* ---- malformed input ---- */

/* Parse the JSON of o (consumed) and expect exactly msg. */
static void expect_error(json_object *o, const char *msg)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	struct vf_host *h = NULL;
	_cleanup_free_ char *err = NULL;
	int r = vf_report_parse(text, strlen(text), &h, &err);
	if (r != -EINVAL || !err || !streq(err, msg))
		fail_msg("want '%s', got %d '%s'", msg, r, err ? err : "(null)");
	assert_null(h);
	json_object_put(o);
}

static void expect_text_error(const char *text, size_t len, const char *msg)
{
	struct vf_host *h = NULL;
	_cleanup_free_ char *err = NULL;
	int r = vf_report_parse(text, len, &h, &err);
	if (r != -EINVAL || !err || !streq(err, msg))
		fail_msg("want '%s', got %d '%s'", msg, r, err ? err : "(null)");
	assert_null(h);
}

static json_object *good(void)
{
	_cleanup_host_ struct vf_host *h = host_full();
	return vf_report_to_json(h);
}

static json_object *at(json_object *o, const char *key)
{
	json_object *v = NULL;
	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static json_object *pf_at(json_object *root, size_t i)
{
	return json_object_array_get_idx(at(root, "pfs"), i);
}

static json_object *vf_at(json_object *root, size_t pf, size_t vf)
{
	return json_object_array_get_idx(at(pf_at(root, pf), "vfs"), vf);
}

static void set(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

static void test_bad_types(_unused_ void **state)
{
	json_object *o = good();
	set(pf_at(o, 0), "free", json_object_new_string("3"));
	expect_error(o, "pfs[0].free: not an integer or null");

	o = good();
	set(pf_at(o, 0), "numa_node", NULL);
	expect_error(o, "pfs[0].numa_node: not an integer");

	o = good();
	set(pf_at(o, 0), "name", NULL);
	expect_error(o, "pfs[0].name: not a string");

	o = good();
	set(vf_at(o, 0, 1), "trust", json_object_new_int(1));
	expect_error(o, "pfs[0].vfs[1].trust: not a boolean or null");

	o = good();
	set(pf_at(o, 1), "netlink", json_object_new_array());
	expect_error(o, "pfs[1].netlink: not an object");

	o = good();
	set(o, "pfs", json_object_new_object());
	expect_error(o, "pfs: not an array");

	o = good();
	set(at(pf_at(o, 0), "netlink"), "limit", json_object_new_double(221.0));
	expect_error(o, "pfs[0].netlink.limit: not an integer");

	expect_error(json_object_new_array(), "(root): not an object");
}

static void test_bad_values(_unused_ void **state)
{
	json_object *o = good();
	set(vf_at(o, 1, 3), "state", json_object_new_string("fre"));
	expect_error(o, "pfs[1].vfs[3].state: unknown state 'fre'");

	o = good();
	set(pf_at(o, 0), "used", json_object_new_int(-3));
	expect_error(o, "pfs[0].used: -3 out of range 0..2147483647");

	o = good();
	set(vf_at(o, 0, 0), "vlan", json_object_new_int(4096));
	expect_error(o, "pfs[0].vfs[0].vlan: 4096 out of range 0..4095");

	o = good();
	set(at(pf_at(o, 1), "netlink"), "num_vf", json_object_new_int64(4294967296));
	expect_error(o, "pfs[1].netlink.num_vf: 4294967296 out of range 0..4294967295");

	o = good();
	set(o, "generated_at", json_object_new_string("2026-02-30T10:00:00Z"));
	expect_error(o, "generated_at: '2026-02-30T10:00:00Z' is not an RFC 3339 UTC time");

	o = good();
	set(o, "generated_at", json_object_new_string("2026-11-20T10:00:00+01:00"));
	expect_error(o, "generated_at: '2026-11-20T10:00:00+01:00' is not an RFC 3339 UTC time");

	o = good();
	set(pf_at(o, 0), "pci_address", json_object_new_string("0000:3b:00.8"));
	expect_error(o, "pfs[0].pci_address: '0000:3b:00.8' is not a PCI address");

	o = good();
	set(vf_at(o, 0, 0), "mac", json_object_new_string("52:54:00:00:00"));
	expect_error(o, "pfs[0].vfs[0].mac: '52:54:00:00:00' is not a MAC address");

	o = good();
	set(at(o, "host"), "uuid", json_object_new_string("not-a-uuid"));
	expect_error(o, "host.uuid: 'not-a-uuid' is not a UUID");

	o = good();
	set(json_object_array_get_idx(at(o, "errors"), 0), "source", json_object_new_string("dns"));
	expect_error(o, "errors[0].source: unknown source 'dns'");

	o = good();
	set(vf_at(o, 0, 0), "link_state", json_object_new_string("up"));
	expect_error(o, "pfs[0].vfs[0].link_state: unknown link state 'up'");

	o = good();
	set(at(vf_at(o, 2, 0), "port_profile"), "associated", json_object_new_boolean(false));
	expect_error(o, "pfs[2].vfs[0].port_profile.associated: false contradicts response");

	o = good();
	set(pf_at(o, 0), "name", json_object_new_string(""));
	expect_error(o, "pfs[0].name: '' is not a name");

	o = good();
	set(vf_at(o, 0, 0), "owner", json_object_new_string_len("a\0b", 3));
	expect_error(o, "pfs[0].vfs[0].owner: contains a NUL character");
}

static void test_structure(_unused_ void **state)
{
	json_object *o = good();
	json_object_object_del(pf_at(o, 1), "numvfs");
	expect_error(o, "pfs[1].numvfs: missing");

	o = good();
	json_object_object_del(o, "schema_version");
	expect_error(o, "schema_version: missing");

	o = good();
	set(o, "schema_version", json_object_new_int(3));
	expect_error(o, "schema_version: unsupported version 3 (this reader knows 1 to 2)");

	o = good();
	set(o, "schema_version", json_object_new_int(0));
	expect_error(o, "schema_version: unsupported version 0 (this reader knows 1 to 2)");

	/* a version-3 report fails on its version, whatever else changed */
	o = json_object_new_object();
	set(o, "schema_version", json_object_new_int(3));
	expect_error(o, "schema_version: unsupported version 3 (this reader knows 1 to 2)");

	/* a version-2 report must have the keys version 2 added */
	o = good();
	json_object_object_del(pf_at(o, 0), "no_link");
	expect_error(o, "pfs[0].no_link: missing");
	o = good();
	json_object_object_del(vf_at(o, 0, 0), "iommu_group");
	expect_error(o, "pfs[0].vfs[0].iommu_group: missing");
	o = good();
	json_object_object_del(pf_at(o, 0), "shared_iommu");
	expect_error(o, "pfs[0].shared_iommu: missing");
	o = good();
	set(vf_at(o, 0, 0), "iommu_group_devices", json_object_new_int(0));
	expect_error(o, "pfs[0].vfs[0].iommu_group_devices: 0 out of range 1..2147483647");

	o = good();
	set(vf_at(o, 0, 0), "colour", json_object_new_string("red"));
	expect_error(o, "pfs[0].vfs[0].colour: unknown field");

	o = good();
	set(at(pf_at(o, 0), "labels"), "rack", json_object_new_string("r1"));
	expect_error(o, "pfs[0].labels.rack: unknown field");

	/* unknown top-level keys are a later version's additions: ignored */
	o = good();
	set(o, "extensions", json_object_new_object());
	const char *text = json_object_to_json_string(o);
	_cleanup_host_ struct vf_host *h = parse_ok(text);
	assert_int_equal(h->n_pfs, 4);
	json_object_put(o);
}

static void test_bad_json(_unused_ void **state)
{
	_cleanup_host_ struct vf_host *h = host_empty();
	_cleanup_free_ char *ok = vf_report_format_json(h, false);
	size_t n = strlen(ok);

	/* trailing whitespace is fine, anything else is not */
	_cleanup_free_ char *ws = xasprintf("%s \r\n\t\n", ok);
	vf_host_free(parse_ok(ws));
	_cleanup_free_ char *trail = xasprintf("%sx", ok);
	_cleanup_free_ char *msg = xasprintf("JSON: byte %zu: trailing data after the report", n);
	expect_text_error(trail, n + 1, msg);
	_cleanup_free_ char *twice = xasprintf("%s%s", ok, ok);
	expect_text_error(twice, strlen(twice), msg);
	/* a NUL inside the given length is data too */
	expect_text_error(ok, n + 1, msg);

	_cleanup_free_ char *torn = xasprintf("JSON: byte %zu: unexpected end of data", n / 2);
	expect_text_error(ok, n / 2, torn);
	expect_text_error("", 0, "JSON: byte 0: unexpected end of data");
	expect_text_error("{\"a\":1,}", 8, "JSON: byte 7: unexpected character");
	expect_text_error("{a:1}", 5, "JSON: byte 1: quoted object property name expected");
	/* json-c's strict mode still takes NaN (and 'single-quoted' keys); the field checks refuse
	 * what reaches a field */
	json_object *o = json_tokener_parse(ok);
	json_object_object_add(o, "generated_at", json_object_new_double(NAN));
	_cleanup_free_ char *nan = xstrdup(json_object_to_json_string(o));
	json_object_put(o);
	assert_non_null(strstr(nan, "NaN"));
	expect_text_error(nan, strlen(nan), "generated_at: not a string");

	/* 10000 '[': stops at the depth limit, without recursion */
	_cleanup_free_ char *bomb = xmalloc(10000);
	memset(bomb, '[', 10000);
	expect_text_error(bomb, 10000, "JSON: byte 32: nesting too deep");

	/* invalid UTF-8: a lone continuation byte, 0xff and a cut sequence are refused... */
	expect_text_error("{\"x\":\"\x80\"}", 9, "JSON: byte 6: invalid utf-8 string");
	expect_text_error("{\"x\":\"\xff\"}", 9, "JSON: byte 6: invalid utf-8 string");
	expect_text_error("{\"x\":\"\xc3\"}", 9, "JSON: byte 7: invalid utf-8 string");
	expect_text_error("{\"\x80\":1}", 7, "JSON: byte 2: invalid utf-8 string");
	/* ...but json-c 0.16 checks only the byte pattern: an overlong '/' (c0 af), a surrogate
	 * (ed a0 80) pass and reach the model byte for byte, as does valid UTF-8 */
	const char *names[] = { "h\xc3\xb6st", "a\xc0\xaf", "b\xed\xa0\x80" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		_cleanup_free_ char *text = xasprintf(
			"{\"schema_version\":1,\"host\":{\"hostname\":\"%s\",\"uuid\":null},"
			"\"generated_at\":\"2026-11-20T10:00:00.5+00:00\",\"reporter_version\":\"x\","
			"\"pfs\":[],\"totals\":{\"pfs\":0,\"vfs\":0,\"usable\":0,\"used\":0,\"free\":0,"
			"\"reserved\":0,\"unreachable\":0},\"errors\":[]}",
			names[i]);
		_cleanup_host_ struct vf_host *u = parse_ok(text);
		assert_string_equal(u->hostname, names[i]);
		assert_int_equal(u->generated_at, T_2026_11_20);
	}

	/* errmsg may be NULL */
	struct vf_host *none = NULL;
	assert_int_equal(vf_report_parse("[", 1, &none, NULL), -EINVAL);
	assert_int_equal(vf_report_parse("[]", 2, &none, NULL), -EINVAL);
	assert_null(none);
}

/* ---- table ---- */

static void test_table(_unused_ void **state)
{
	_cleanup_host_ struct vf_host *h = host_small();
	_cleanup_free_ char *s = vf_format_table(h, false);
	assert_string_equal(
		s,
		"host kvm2  uuid -  generated 2026-11-20T10:00:00Z  vfcap " VFCAP_VERSION "\n"
		"\n"
		"name    driver     pci_address   numvfs  listed  limit  unreachable  reserved  usable  assigned  pool  host  dirty  free\n"
		"ens1f0  ixgbe      0000:3b:00.0       4       4    221            0         1       3         1     1     0      0     1\n"
		"  ! 1 free VF shares an IOMMU group with other devices: hostdev (PCI passthrough) needs the whole group, so it is left to macvtap/direct vNICs\n"
		"ens2f0  mlx5_core  0000:5e:00.0     256      34    221          222         0      34         0     0     1      0    33\n"
		"  ! netlink lists 34 of 256 VFs (296 bytes/VF, limit 221; without statistics 196 bytes/VF, limit "
		"334, but libvirt asks with statistics): lower sriov_numvfs to 221\n"
		"  ! ens2f0 link down: its 33 free VFs give dead NICs\n"
		"TOTAL                               260                         222         1      37         1     1     1      0    34\n"
		"\n"
		"NUMA node 0: 1 PF, 3 usable, 1 free (physnet1: 1 PF, 3 usable, 1 free)\n"
		"NUMA node 1: 1 PF, 34 usable, 33 free\n");
}

static void test_table_unknowns(_unused_ void **state)
{
	_cleanup_host_ struct vf_host *h = host_full();
	_cleanup_free_ char *s = vf_format_table(h, true);
	const char *want[] = {
		"host kvm1.example.com  uuid 4c4c4544-0042-3510-8052-b4c04f4e3132  generated "
		"2026-11-20T10:00:00Z",
		/* netlink failed: its counts unknown, and so the used split, as in the JSON */
		"\neth9    -          -                  2       ?      ?            ?         ?       ?         ?     ?     ?      ?     ?\n",
		"\nenic0   enic       0000:0a:00.0       4       4      -            0         0       4         0     0     1      0     3\n",
		/* one PF's used is unknown: so is the host's split */
		"\nTOTAL                               266                         222         1       ?         ?     ?     ?      ?     ?\n",
		"\n    index  pci_address   netdev    mac                vlan  state     owner\n"
		"        0  0000:3b:10.0  ens1f0v0  52:54:00:00:00:00     0  free      -\n"
		"        1  0000:3b:10.2  -         52:54:00:00:00:01   100  assigned  vm1\n",
		"\n        5  -            -       -       ?  host         bond0\n",
		"\n\nerror: netlink: eth9: RTM_GETLINK: Operation not permitted\n"
		"error: libvirt: cannot connect to qemu:///system\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		if (!strstr(s, want[i]))
			fail_msg("missing in the table: %s\n--- table:\n%s", want[i], s);
	assert_non_null(strstr(s, "  ! netlink lists 34 of 256 VFs"));
	assert_null(strstr(s, " \n")); /* no trailing blanks */
}

/* ---- the numa block ---- */

/* the numa block is derived: a report without it reads, one of the wrong shape does not */
static void test_numa_read(_unused_ void **state)
{
	json_object *o = good();
	assert_true(json_object_is_type(at(o, "numa"), json_type_array));
	json_object_object_del(o, "numa");
	struct vf_host *h = NULL;
	assert_int_equal(vf_report_from_json(o, &h, NULL), 0);
	vf_host_free(h);
	json_object_put(o);

	o = good();
	set(o, "numa", json_object_new_object());
	expect_error(o, "numa: not an array");
}

/* ---- Prometheus ---- */

static void test_prometheus(_unused_ void **state)
{
	_cleanup_host_ struct vf_host *h = host_small();
	_cleanup_free_ char *s = vf_format_prometheus(h);
	const char *labels = "pf=\"ens2f0\",pci_address=\"0000:5e:00.0\",driver=\"mlx5_core\","
			     "physical_network=\"\"";
	_cleanup_free_ char *want = xasprintf(
		"vfcap_pf_vfs{%1$s,state=\"unknown\"} 0\n"
		"vfcap_pf_vfs{%1$s,state=\"free\"} 33\n"
		"vfcap_pf_vfs{%1$s,state=\"assigned\"} 0\n"
		"vfcap_pf_vfs{%1$s,state=\"pool\"} 0\n"
		"vfcap_pf_vfs{%1$s,state=\"host\"} 1\n"
		"vfcap_pf_vfs{%1$s,state=\"reserved\"} 0\n"
		"vfcap_pf_vfs{%1$s,state=\"unreachable\"} 222\n"
		"vfcap_pf_vfs{%1$s,state=\"dirty\"} 0\n"
		"# HELP vfcap_pf_totalvfs",
		labels);
	if (!strstr(s, want))
		fail_msg("missing:\n%s\n--- in:\n%s", want, s);
	const char *lines[] = {
		"# HELP vfcap_info The reporter and the host it describes; always 1.\n"
		"# TYPE vfcap_info gauge\n"
		"vfcap_info{version=\"" VFCAP_VERSION "\",hostname=\"kvm2\",host_uuid=\"\"} 1\n",
		"\nvfcap_report_timestamp_seconds 1795168800\n",
		"\nvfcap_pf_totalvfs{%s} 256\n",
		"\nvfcap_pf_numvfs{%s} 256\n",
		"\nvfcap_pf_usable_vfs{%s} 34\n",
		"\nvfcap_pf_free_vfs{%s} 33\n",
		"\nvfcap_pf_netlink_num_vf{%s} 256\n",
		"\nvfcap_pf_netlink_listed_vfs{%s} 34\n",
		"\nvfcap_pf_netlink_limit_vfs{%s} 221\n",
		"\nvfcap_pf_netlink_limit_no_stats{%s} 334\n",
		"\nvfcap_pf_link_up{%s} 0\n",
		"\nvfcap_pf_vfs_dirty{%s} 0\n",
		"\nvfcap_pf_vfs_no_link{%s} 33\n",
		"\nvfcap_pf_netlink_vf_entry_bytes{%s} 296\n",
		"\nvfcap_pf_netlink_truncated{%s} 1\n",
		"\nvfcap_pf_netlink_truncated{pf=\"ens1f0\",pci_address=\"0000:3b:00.0\",driver=\"ixgbe\","
		"physical_network=\"physnet1\"} 0\n",
		"\nvfcap_read_errors{source=\"sysfs\"} 0\n"
		"vfcap_read_errors{source=\"netlink\"} 0\n"
		"vfcap_read_errors{source=\"libvirt\"} 0\n"
		"vfcap_read_errors{source=\"config\"} 0\n",
		"\n# HELP vfcap_host_usable_vfs Usable VFs of all PFs of the host.\n"
		"# TYPE vfcap_host_usable_vfs gauge\n"
		"vfcap_host_usable_vfs 37\n",
		"\nvfcap_host_free_vfs 34\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		_cleanup_free_ char *line = xasprintf(lines[i], labels);
		if (!strstr(s, line))
			fail_msg("missing:\n%s--- in:\n%s", line, s);
	}
	assert_null(strstr(s, "fabric=")); /* no PF has one: the label is left out */
}

/* Unknown values leave their series out; label values are escaped. */
static void test_prometheus_unknowns(_unused_ void **state)
{
	_cleanup_host_ struct vf_host *h = host_full();
	free(h->pfs[0].physical_network);
	h->pfs[0].physical_network = xstrdup("a\"b\\c\nd");
	_cleanup_free_ char *s = vf_format_prometheus(h);
	assert_non_null(strstr(s, "physical_network=\"a\\\"b\\\\c\\nd\",fabric=\"\"}"));
	assert_non_null(strstr(s, "fabric=\"fabric-a\""));
	assert_null(strstr(s, "vfcap_pf_free_vfs{pf=\"eth9\""));
	assert_null(strstr(s, "vfcap_pf_netlink_num_vf{pf=\"eth9\""));
	assert_non_null(strstr(s, "vfcap_pf_numvfs{pf=\"eth9\",pci_address=\"\",driver=\"\""));
	assert_non_null(strstr(s, "vfcap_pf_vfs{pf=\"eth9\",pci_address=\"\",driver=\"\","
				  "physical_network=\"\",fabric=\"\",state=\"unknown\"} 2\n"));
	/* enic sends no VF list: no limit, no entry size */
	assert_null(strstr(s, "vfcap_pf_netlink_limit_vfs{pf=\"enic0\""));
	assert_null(strstr(s, "vfcap_pf_netlink_vf_entry_bytes{pf=\"enic0\""));
	assert_non_null(strstr(s, "vfcap_pf_netlink_listed_vfs{pf=\"enic0\""));
	assert_non_null(strstr(s, "\nvfcap_read_errors{source=\"netlink\"} 1\n"));
	assert_non_null(strstr(s, "\nvfcap_read_errors{source=\"libvirt\"} 1\n"));
	assert_non_null(strstr(s, "# TYPE vfcap_host_free_vfs gauge\n"));
	assert_null(strstr(s, "\nvfcap_host_free_vfs "));
	assert_null(strstr(s, "\nvfcap_host_usable_vfs "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),   cmocka_unit_test(test_golden_round_trip),
		cmocka_unit_test(test_version1),
		cmocka_unit_test(test_mapping),
		cmocka_unit_test(test_pretty),       cmocka_unit_test(test_bad_types),
		cmocka_unit_test(test_bad_values),   cmocka_unit_test(test_structure),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_table),        cmocka_unit_test(test_table_unknowns),
		cmocka_unit_test(test_prometheus),   cmocka_unit_test(test_prometheus_unknowns),
		cmocka_unit_test(test_numa_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
