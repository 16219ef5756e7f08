/* SPDX-License-Identifier: MIT */
/* The hook's payload rewrite: golden input -> output pairs (inline, and tests/unit/rewrite/ for
 * whole domains), idempotence, and what the parser refuses. Run from the repository root. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "xml-counters.h"
#include "quiet-stderr.h"
#include "read-fixture.h"
#include "rewrite.h"
#include "util.h"
#include "xml.h"

#define GOLDEN "tests/unit/rewrite"
/* What every serialized document starts with. */
#define DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
/* What VDSM writes (Python's ElementTree). */
#define VDSM_DECL "<?xml version='1.0' encoding='utf-8'?>\n"

/* ---- helpers ---- */

static xmlDocPtr parse_ok(const char *xml)
{
	xmlDocPtr doc = NULL;
	_cleanup_free_ char *err = NULL;
	int r = vf_payload_parse(xml, strlen(xml), "test", &doc, &err);
	if (r < 0)
		fail_msg("parse: %d %s", r, err);
	assert_null(err);
	return doc;
}

static char *dump(xmlDocPtr doc)
{
	char *out = NULL;
	size_t len = 0;
	assert_int_equal(vf_payload_serialize(doc, &out, &len), 0);
	assert_int_equal(len, strlen(out));
	return out;
}

static void same_text(const char *got, const char *want)
{
	if (streq(got, want))
		return;
	size_t i = 0;
	while (got[i] && got[i] == want[i])
		i++;
	fail_msg("differs at byte %zu\n--- got ---\n%s\n--- want ---\n%s", i, got, want);
}

static char *golden(const char *name)
{
	return read_fixture_file(GOLDEN, name, NULL);
}

/* The interface whose MAC is mac; with mac NULL, the only one. */
static xmlNodePtr find_iface(xmlDocPtr doc, const char *mac)
{
	_cleanup_free_ xmlNodePtr *ifaces = NULL;
	size_t n = vf_payload_interfaces(doc, &ifaces);
	if (!mac) {
		assert_int_equal(n, 1);
		return ifaces[0];
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *m = vf_iface_mac(ifaces[i]);
		if (streq_ptr(m, mac))
			return ifaces[i];
	}
	fail_msg("no interface with MAC %s", mac);
	return NULL;
}

enum op_kind { VMFEX, EXTNET };
struct op {
	enum op_kind kind;
	const char *a, *b; /* pool and profile, or network and portgroup */
};

static int apply(xmlNodePtr iface, struct op op)
{
	return op.kind == VMFEX ? vf_iface_set_vmfex(iface, op.a, op.b)
				: vf_iface_set_extnet(iface, op.a, op.b);
}

/* Rewrite the interface with MAC mac (NULL: the only one) of in: the output must be want, and
 * rewriting again, on the same tree or on the output read back, must change nothing. */
static void check_rewrite(const char *in, const char *mac, struct op op, int changed, const char *want)
{
	_cleanup_xmldoc_ xmlDocPtr doc = parse_ok(in);
	xmlNodePtr iface = find_iface(doc, mac);
	assert_int_equal(apply(iface, op), changed);
	_cleanup_free_ char *out = dump(doc);
	same_text(out, want);
	if (op.kind == VMFEX)
		assert_true(vf_iface_is_vmfex(iface, op.a, op.b));

	assert_int_equal(apply(iface, op), 0);
	_cleanup_free_ char *again = dump(doc);
	same_text(again, want);

	_cleanup_xmldoc_ xmlDocPtr back = parse_ok(out);
	iface = find_iface(back, mac);
	if (op.kind == VMFEX)
		assert_true(vf_iface_is_vmfex(iface, op.a, op.b));
	assert_int_equal(apply(iface, op), 0);
	_cleanup_free_ char *third = dump(back);
	same_text(third, want);
}

/* The same with input and output in GOLDEN files. */
static void check_golden(const char *in_name, const char *mac, struct op op, const char *want_name)
{
	_cleanup_free_ char *in = golden(in_name);
	_cleanup_free_ char *want = golden(want_name);
	check_rewrite(in, mac, op, 1, want);
}

static const struct op vmfex = { VMFEX, "direct-pool", "Profile1" };

/* ---- vmfex ---- */

/* The device payload VDSM sends for a hot-plugged oVirt vNIC. */
#define SEED_DEVICE                                                                                \
	VDSM_DECL "<interface type=\"bridge\"><mac address=\"00:1a:4a:16:01:b0\"/>"                \
		  "<model type=\"virtio\"/><source bridge=\"ovirtmgmt\"/>"                         \
		  "<filterref filter=\"vdsm-no-mac-spoofing\"/><link state=\"up\"/>"               \
		  "<boot order=\"1\"/></interface>"
#define SEED_DEVICE_VMFEX                                                                          \
	DECL "<interface type=\"network\"><mac address=\"00:1a:4a:16:01:b0\"/>"                     \
	     "<model type=\"virtio\"/><source network=\"direct-pool\"/>"                            \
	     "<virtualport type=\"802.1Qbh\"><parameters profileid=\"Profile1\"/></virtualport>"    \
	     "<link state=\"up\"/><boot order=\"1\"/></interface>\n"

static void test_vmfex_seed(void **state)
{
	check_rewrite(SEED_DEVICE, NULL, vmfex, 1, SEED_DEVICE_VMFEX);
}

/* An oVirt vNIC with everything libvirt may hold: only type, source, filterrefs change. */
static void test_vmfex_ovirt_device(void **state)
{
	check_golden("ovirt-device.xml", "00:1a:4a:16:01:b1", vmfex, "ovirt-device.vmfex.xml");
}

/* No <source>: created after <mac> (where libvirt writes it), or first without a <mac>. */
static void test_vmfex_no_source(void **state)
{
	check_rewrite("<interface type=\"bridge\">\n"
		      "  <mac address=\"00:1a:4a:16:01:b0\"/>\n"
		      "  <model type=\"virtio\"/>\n"
		      "</interface>",
		      NULL, vmfex, 1,
		      DECL "<interface type=\"network\">\n"
			   "  <mac address=\"00:1a:4a:16:01:b0\"/>\n"
			   "  <source network=\"direct-pool\"/>\n"
			   "  <virtualport type=\"802.1Qbh\"><parameters profileid=\"Profile1\"/></virtualport>\n"
			   "  <model type=\"virtio\"/>\n"
			   "</interface>\n");
	check_rewrite("<interface type=\"user\">\n"
		      "\t<!-- no mac yet -->\n"
		      "\t<model type=\"virtio\"/>\n"
		      "</interface>",
		      NULL, vmfex, 1,
		      DECL "<interface type=\"network\">\n"
			   "\t<!-- no mac yet -->\n"
			   "\t<source network=\"direct-pool\"/>\n"
			   "\t<virtualport type=\"802.1Qbh\"><parameters profileid=\"Profile1\"/></virtualport>\n"
			   "\t<model type=\"virtio\"/>\n"
			   "</interface>\n");
	check_rewrite("<interface type=\"ethernet\"/>", NULL, vmfex, 1,
		      DECL "<interface type=\"network\"><source network=\"direct-pool\"/>"
			   "<virtualport type=\"802.1Qbh\"><parameters profileid=\"Profile1\"/>"
			   "</virtualport></interface>\n");
	/* No type at all (libvirt would refuse it): one is added. */
	check_rewrite("<interface><mac address=\"00:1a:4a:16:01:b0\"/></interface>", NULL, vmfex, 1,
		      DECL "<interface type=\"network\"><mac address=\"00:1a:4a:16:01:b0\"/>"
			   "<source network=\"direct-pool\"/>"
			   "<virtualport type=\"802.1Qbh\"><parameters profileid=\"Profile1\"/>"
			   "</virtualport></interface>\n");
}

/* An Open vSwitch port: its virtualport is replaced where it stood, its interfaceid dropped. */
static void test_vmfex_openvswitch(void **state)
{
	check_rewrite("<interface type=\"bridge\">\n"
		      "  <mac address=\"52:54:00:12:34:56\"/>\n"
		      "  <source bridge=\"ovsbr0\"/>\n"
		      "  <vlan><tag id=\"7\"/></vlan>\n"
		      "  <virtualport type=\"openvswitch\">\n"
		      "    <parameters interfaceid=\"09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f\"/>\n"
		      "  </virtualport>\n"
		      "  <model type=\"virtio\"/>\n"
		      "  <virtualport type=\"802.1Qbh\"><parameters profileid=\"Profile1\"/></virtualport>\n"
		      "</interface>\n",
		      NULL, vmfex, 1,
		      DECL "<interface type=\"network\">\n"
			   "  <mac address=\"52:54:00:12:34:56\"/>\n"
			   "  <source network=\"direct-pool\"/>\n"
			   "  <vlan><tag id=\"7\"/></vlan>\n"
			   "  <virtualport type=\"802.1Qbh\"><parameters profileid=\"Profile1\"/></virtualport>\n"
			   "  <model type=\"virtio\"/>\n"
			   "</interface>\n");
}

/* Several <source>: the first (the one libvirt reads) rewritten in place, the others removed,
 * with every attribute but network and any content; attributes of <interface> kept. */
static void test_vmfex_messy_source(void **state)
{
	check_rewrite("<interface xmlns:x=\"urn:x\" type=\"direct\" trustGuestRxFilters=\"yes\" x:note=\"n\">\n"
		      " <source dev=\"ens1f0v3\" mode=\"passthrough\" x:y=\"1\"><local address=\"1.2.3.4\"/></source>\n"
		      " <mac address=\"00:1a:4a:16:01:b0\"/>\n"
		      " <filterref filter=\"a\"/>\n"
		      " <source bridge=\"br0\"/>\n"
		      " <filterref filter=\"b\"/>\n"
		      " <x:source keep=\"me\"/>\n"
		      "</interface>",
		      NULL, vmfex, 1,
		      DECL "<interface xmlns:x=\"urn:x\" type=\"network\" trustGuestRxFilters=\"yes\" x:note=\"n\">\n"
			   " <source network=\"direct-pool\"/>\n"
			   " <virtualport type=\"802.1Qbh\"><parameters profileid=\"Profile1\"/></virtualport>\n"
			   " <mac address=\"00:1a:4a:16:01:b0\"/>\n"
			   " <x:source keep=\"me\"/>\n"
			   "</interface>\n");
}

/* Already on the pool: nothing changes, byte for byte, even pretty-printed. */
static void test_vmfex_already(void **state)
{
	static const char pretty[] = DECL "<interface type=\"network\">\n"
					  "  <mac address=\"00:1a:4a:16:01:b0\"/>\n"
					  "  <source network=\"direct-pool\"/>\n"
					  "  <virtualport type=\"802.1Qbh\">\n"
					  "    <parameters profileid=\"Profile1\"/>\n"
					  "  </virtualport>\n"
					  "</interface>\n";
	check_rewrite(SEED_DEVICE_VMFEX, NULL, vmfex, 0, SEED_DEVICE_VMFEX);
	check_rewrite(pretty, NULL, vmfex, 0, pretty);

	_cleanup_xmldoc_ xmlDocPtr done = parse_ok(SEED_DEVICE_VMFEX);
	xmlNodePtr iface = find_iface(done, NULL);
	assert_true(vf_iface_is_vmfex(iface, "direct-pool", "Profile1"));
	assert_false(vf_iface_is_vmfex(iface, "direct-pool", "Profile2"));
	assert_false(vf_iface_is_vmfex(iface, "other-pool", "Profile1"));
	assert_false(vf_iface_is_vmfex(iface, "direct-pool", ""));
	assert_false(vf_iface_is_vmfex(NULL, "direct-pool", "Profile1"));

	/* On the pool but not in the form set_vmfex leaves: not "already". */
	static const char *const almost[] = {
		"<interface type=\"network\"><source network=\"direct-pool\"/><filterref filter=\"f\"/>"
		"<virtualport type=\"802.1Qbh\"><parameters profileid=\"Profile1\"/></virtualport></interface>",
		"<interface type=\"network\"><source network=\"direct-pool\" bridge=\"b\"/>"
		"<virtualport type=\"802.1Qbh\"><parameters profileid=\"Profile1\"/></virtualport></interface>",
		"<interface type=\"network\"><source network=\"direct-pool\"/><source network=\"x\"/>"
		"<virtualport type=\"802.1Qbh\"><parameters profileid=\"Profile1\"/></virtualport></interface>",
		"<interface type=\"network\"><source network=\"direct-pool\"/><virtualport type=\"802.1Qbh\">"
		"<parameters profileid=\"Profile1\" instanceid=\"i\"/></virtualport></interface>",
		"<interface type=\"network\"><source network=\"direct-pool\"/><virtualport type=\"802.1Qbh\">"
		"<parameters profileid=\"Profile1\"/><parameters/></virtualport></interface>",
		"<interface type=\"network\"><source network=\"direct-pool\"/><virtualport type=\"802.1Qbh\">"
		"<parameters profileid=\"Profile1\"/></virtualport><virtualport/></interface>",
		"<interface type=\"direct\"><source network=\"direct-pool\"/><virtualport type=\"802.1Qbh\">"
		"<parameters profileid=\"Profile1\"/></virtualport></interface>",
		"<interface type=\"network\"><source network=\"direct-pool\"/></interface>",
		SEED_DEVICE,
	};
	for (size_t i = 0; i < ARRAY_SIZE(almost); i++) {
		_cleanup_xmldoc_ xmlDocPtr doc = parse_ok(almost[i]);
		iface = find_iface(doc, NULL);
		if (vf_iface_is_vmfex(iface, "direct-pool", "Profile1"))
			fail_msg("case %zu taken as already on the pool", i);
		assert_int_equal(vf_iface_set_vmfex(iface, "direct-pool", "Profile1"), 1);
		assert_true(vf_iface_is_vmfex(iface, "direct-pool", "Profile1"));
		assert_int_equal(vf_iface_set_vmfex(iface, "direct-pool", "Profile1"), 0);
	}
}

static void test_bad_arguments(void **state)
{
	_cleanup_xmldoc_ xmlDocPtr doc = parse_ok("<domain><devices><interface type=\"bridge\"/></devices></domain>");
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xmlNodePtr iface = find_iface(doc, NULL);
	assert_int_equal(vf_iface_set_vmfex(root, "p", "x"), -EINVAL);
	assert_int_equal(vf_iface_set_extnet(root, "n", NULL), -EINVAL);
	assert_int_equal(vf_iface_set_vmfex(NULL, "p", "x"), -EINVAL);
	/* Empty, control characters, not UTF-8, U+FFFF, a surrogate, an overlong '/'. */
	static const char *const bad[] = {
		NULL,	"",	    "a\nb",	      "tab\there",   "\x7f",
		"caf\xe9", "\xc3", "\xef\xbf\xbf", "\xed\xa0\x80", "\xc0\xaf",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(vf_iface_set_vmfex(iface, bad[i], "x"), -EINVAL);
		assert_int_equal(vf_iface_set_vmfex(iface, "p", bad[i]), -EINVAL);
		assert_int_equal(vf_iface_set_extnet(iface, bad[i], NULL), -EINVAL);
		if (bad[i])
			assert_int_equal(vf_iface_set_extnet(iface, "n", bad[i]), -EINVAL);
	}
	/* Nothing was touched by the refusals. */
	_cleanup_free_ char *out = dump(doc);
	same_text(out, DECL "<domain><devices><interface type=\"bridge\"/></devices></domain>\n");
	/* Names are written escaped, and UTF-8 ones as UTF-8. */
	assert_int_equal(vf_iface_set_extnet(iface, "a&b\"<c>", "réseau-网"), 1);
	_cleanup_free_ char *esc = dump(doc);
	same_text(esc, DECL "<domain><devices><interface type=\"network\"><source network=\"a&amp;b&quot;&lt;c&gt;\" "
			    "portgroup=\"réseau-网\"/></interface></devices></domain>\n");
}

/* ---- extnet ---- */

#define SEED_ADDRESS_DEVICE                                                                        \
	VDSM_DECL "<interface type=\"bridge\"><address bus=\"0x00\" domain=\"0x0000\" "            \
		  "function=\"0x0\" slot=\"0x03\" type=\"pci\"/><mac address=\"00:1a:4a:16:01:b0\"/>" \
		  "<model type=\"virtio\"/><source bridge=\"ovirtmgmt\"/>"                         \
		  "<filterref filter=\"vdsm-no-mac-spoofing\"/><link state=\"up\"/>"               \
		  "<boot order=\"1\"/></interface>"

static void test_extnet(void **state)
{
	const struct op pg = { EXTNET, "ext-net", "vlan-42" }, nopg = { EXTNET, "ext-net", NULL };
#define EXTNET_OUT(SOURCE)                                                                         \
	DECL "<interface type=\"network\"><address bus=\"0x00\" domain=\"0x0000\" function=\"0x0\" " \
	     "slot=\"0x03\" type=\"pci\"/><mac address=\"00:1a:4a:16:01:b0\"/>"                     \
	     "<model type=\"virtio\"/>" SOURCE "<filterref filter=\"vdsm-no-mac-spoofing\"/>"        \
	     "<link state=\"up\"/><boot order=\"1\"/></interface>\n"
	check_rewrite(SEED_ADDRESS_DEVICE, NULL, pg, 1,
		      EXTNET_OUT("<source network=\"ext-net\" portgroup=\"vlan-42\"/>"));
	check_rewrite(SEED_ADDRESS_DEVICE, NULL, nopg, 1, EXTNET_OUT("<source network=\"ext-net\"/>"));
	/* From one network and portgroup to another: values replaced in place, portgroup dropped. */
	static const char on_net[] = "<interface type=\"network\"><source portgroup=\"old-pg\" network=\"old\"/></interface>";
	check_rewrite(on_net, NULL, pg, 1,
		      DECL "<interface type=\"network\"><source portgroup=\"vlan-42\" network=\"ext-net\"/></interface>\n");
	check_rewrite(on_net, NULL, nopg, 1,
		      DECL "<interface type=\"network\"><source network=\"ext-net\"/></interface>\n");
	/* No source; the virtualport of an Open vSwitch network stays. */
	check_rewrite("<interface type=\"bridge\">\n"
		      "  <mac address=\"00:1a:4a:16:01:b0\"/>\n"
		      "  <virtualport type=\"openvswitch\"/>\n"
		      "</interface>",
		      NULL, pg, 1,
		      DECL "<interface type=\"network\">\n"
			   "  <mac address=\"00:1a:4a:16:01:b0\"/>\n"
			   "  <source network=\"ext-net\" portgroup=\"vlan-42\"/>\n"
			   "  <virtualport type=\"openvswitch\"/>\n"
			   "</interface>\n");
	/* A vmfex interface moved to a network keeps its virtualport: extnet touches nothing else. */
	check_rewrite(SEED_DEVICE_VMFEX, NULL, nopg, 1,
		      DECL "<interface type=\"network\"><mac address=\"00:1a:4a:16:01:b0\"/>"
			   "<model type=\"virtio\"/><source network=\"ext-net\"/>"
			   "<virtualport type=\"802.1Qbh\"><parameters profileid=\"Profile1\"/></virtualport>"
			   "<link state=\"up\"/><boot order=\"1\"/></interface>\n");
}

/* ---- domains ---- */

static void test_domain_three_interfaces(void **state)
{
#define IFACE(MAC, SRC) "  <interface type=\"bridge\"><mac address=\"" MAC "\"/>" SRC "</interface>\n"
	static const char in[] = "<domain type=\"kvm\"><name>three</name><devices>\n"
		IFACE("00:1a:4a:16:01:01", "<source bridge=\"a\"/><filterref filter=\"f\"/>")
		IFACE("00:1a:4a:16:01:02", "<source bridge=\"b\"/><filterref filter=\"f\"/>")
		IFACE("00:1a:4a:16:01:03", "<source bridge=\"c\"/><filterref filter=\"f\"/>")
		"</devices></domain>\n";
	static const char want[] = DECL "<domain type=\"kvm\"><name>three</name><devices>\n"
		IFACE("00:1a:4a:16:01:01", "<source bridge=\"a\"/><filterref filter=\"f\"/>")
		"  <interface type=\"network\"><mac address=\"00:1a:4a:16:01:02\"/><source network=\"direct-pool\"/>"
		"<virtualport type=\"802.1Qbh\"><parameters profileid=\"Profile1\"/></virtualport></interface>\n"
		IFACE("00:1a:4a:16:01:03", "<source bridge=\"c\"/><filterref filter=\"f\"/>")
		"</devices></domain>\n";
	check_rewrite(in, "00:1a:4a:16:01:02", vmfex, 1, want);
	_cleanup_xmldoc_ xmlDocPtr doc = parse_ok(want);
	_cleanup_free_ xmlNodePtr *ifaces = NULL;
	assert_int_equal(vf_payload_interfaces(doc, &ifaces), 3);
	assert_false(vf_iface_is_vmfex(ifaces[0], "direct-pool", "Profile1"));
	assert_true(vf_iface_is_vmfex(ifaces[1], "direct-pool", "Profile1"));
	assert_false(vf_iface_is_vmfex(ifaces[2], "direct-pool", "Profile1"));
}

/* A whole oVirt domain: UTF-8 names and aliases, metadata in other namespaces (holding an
 * <interface> of its own that is not a device), comments, CDATA and a processing instruction. */
static void test_domain_ovirt(void **state)
{
	_cleanup_free_ char *in = golden("ovirt-domain.xml");
	_cleanup_xmldoc_ xmlDocPtr doc = parse_ok(in);
	assert_true(vf_payload_is_domain(doc));
	_cleanup_free_ xmlNodePtr *ifaces = NULL;
	assert_int_equal(vf_payload_interfaces(doc, &ifaces), 3);
	static const char *const macs[] = { "00:1a:4a:16:01:b0", "00:1a:4a:16:01:b1", "00:1a:4a:16:01:b2" };
	for (size_t i = 0; i < 3; i++) {
		_cleanup_free_ char *mac = vf_iface_mac(ifaces[i]);
		assert_string_equal(mac, macs[i]);
	}
	/* Unchanged, it comes back as it went in but for the declaration. */
	_cleanup_free_ char *out = dump(doc);
	const char *body = strchr(in, '\n') + 1;
	assert_true(startswith(out, DECL));
	same_text(out + strlen(DECL), body);

	check_golden("ovirt-domain.xml", "00:1a:4a:16:01:b1", vmfex, "ovirt-domain.vmfex.xml");
	check_golden("ovirt-domain.xml", "00:1a:4a:16:01:b2", (struct op){ EXTNET, "ext-net", "vlan-42" },
		     "ovirt-domain.extnet.xml");
}

/* ---- which interfaces ---- */

static size_t count_ifaces(const char *xml)
{
	_cleanup_xmldoc_ xmlDocPtr doc = parse_ok(xml);
	_cleanup_free_ xmlNodePtr *ifaces = NULL;
	size_t n = vf_payload_interfaces(doc, &ifaces);
	assert_true((n == 0) == (ifaces == NULL));
	for (size_t i = 0; i < n; i++)
		assert_string_equal((const char *)ifaces[i]->name, "interface");
	return n;
}

static void test_interfaces(void **state)
{
	assert_int_equal(count_ifaces(SEED_DEVICE), 1);
	assert_int_equal(count_ifaces("<disk type=\"file\"><source file=\"/x\"/></disk>"), 0);
	assert_int_equal(count_ifaces("<hostdev mode=\"subsystem\" type=\"pci\"/>"), 0);
	assert_int_equal(count_ifaces("<domain/>"), 0);
	assert_int_equal(count_ifaces("<domain><devices/></domain>"), 0);
	/* Every <devices>, as libvirt's ./devices/interface; nothing deeper or elsewhere. */
	assert_int_equal(count_ifaces("<domain><devices><interface/><disk><interface/></disk></devices>"
				      "<interface/><metadata><m:x xmlns:m=\"urn:m\"><interface/></m:x></metadata>"
				      "<devices><interface/></devices></domain>"),
			 2);
	/* Names in a namespace are someone else's. */
	assert_int_equal(count_ifaces("<domain xmlns=\"urn:not-libvirt\"><devices><interface/></devices></domain>"), 0);
	assert_int_equal(count_ifaces("<domain xmlns:n=\"urn:n\"><devices><n:interface/></devices></domain>"), 0);
	assert_int_equal(count_ifaces("<n:interface xmlns:n=\"urn:n\"/>"), 0);
	assert_int_equal(count_ifaces("<n:domain xmlns:n=\"urn:n\"><devices><interface/></devices></n:domain>"), 0);

	_cleanup_xmldoc_ xmlDocPtr dev = parse_ok(SEED_DEVICE);
	_cleanup_xmldoc_ xmlDocPtr dom = parse_ok("<domain/>");
	assert_false(vf_payload_is_domain(dev));
	assert_true(vf_payload_is_domain(dom));
	assert_false(vf_payload_is_domain(NULL));
}

static char *mac_of(const char *address)
{
	_cleanup_free_ char *xml = xasprintf("<interface><mac address=\"%s\"/></interface>", address);
	_cleanup_xmldoc_ xmlDocPtr doc = parse_ok(xml);
	return vf_iface_mac(find_iface(doc, NULL));
}

static void test_mac(void **state)
{
	static const char *const good[][2] = {
		{ "00:1a:4a:16:01:b0", "00:1a:4a:16:01:b0" },
		{ "00:1A:4A:16:01:B0", "00:1a:4a:16:01:b0" },
		{ "0:1a:4a:16:1:b", "00:1a:4a:16:01:0b" }, /* libvirt reads one digit too */
		{ "FF:FF:FF:FF:FF:FE", "ff:ff:ff:ff:ff:fe" },
		{ "00:1a:4a:16:01:b0 ", "00:1a:4a:16:01:b0" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		_cleanup_free_ char *m = mac_of(good[i][0]);
		if (!streq_ptr(m, good[i][1]))
			fail_msg("'%s' -> '%s', want '%s'", good[i][0], m, good[i][1]);
	}
	static const char *const bad[] = {
		"",		     "00:1a:4a:16:01",	    "00:1a:4a:16:01:b0:ff", "00-1a-4a-16-01-b0",
		"001a.4a16.01b0",    "g0:1a:4a:16:01:b0",   "000:1a:4a:16:01:b0",   " 00:1a:4a:16:01:b0",
		"00:1a:4a:16:01:b0x", "00:1a:4a:16:01:",    "00::4a:16:01:b0",	    "+0:1a:4a:16:01:b0",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_free_ char *m = mac_of(bad[i]);
		if (m)
			fail_msg("'%s' read as %s", bad[i], m);
	}
	static const char *const none[] = {
		"<interface type=\"bridge\"/>",
		"<interface><mac/></interface>",
		"<interface><mac addr=\"00:1a:4a:16:01:b0\"/></interface>",
		"<interface xmlns:n=\"urn:n\"><n:mac address=\"00:1a:4a:16:01:b0\"/></interface>",
	};
	for (size_t i = 0; i < ARRAY_SIZE(none); i++) {
		_cleanup_xmldoc_ xmlDocPtr doc = parse_ok(none[i]);
		assert_null(vf_iface_mac(find_iface(doc, NULL)));
	}
	assert_null(vf_iface_mac(NULL));
	/* The first <mac> counts, as in libvirt. */
	_cleanup_xmldoc_ xmlDocPtr two = parse_ok("<interface><mac address=\"00:00:00:00:00:01\"/>"
					       "<mac address=\"00:00:00:00:00:02\"/></interface>");
	_cleanup_free_ char *first = vf_iface_mac(find_iface(two, NULL));
	assert_string_equal(first, "00:00:00:00:00:01");
}

/* The migration destination's pool vNICs: the first <source> names the pool, whatever the
 * interface's type (the source host's live XML gives the actual one) and <source>'s other
 * attributes. */
static void test_on_network(void **state)
{
	static const struct {
		const char *xml;
		bool on;
	} cases[] = {
		{ "<interface type=\"network\"><source network=\"direct-pool\"/></interface>", true },
		{ "<interface type=\"direct\"><source network=\"direct-pool\" portid=\"0f4b\" dev=\"ens1f0v12\" "
		  "mode=\"passthrough\"/></interface>",
		  true },
		{ "<interface type=\"hostdev\"><source network=\"direct-pool\"><address type=\"pci\"/></source>"
		  "</interface>",
		  true },
		{ "<interface type=\"network\"><source network=\"direct-pool2\"/></interface>", false },
		{ "<interface type=\"bridge\"><source bridge=\"direct-pool\"/></interface>", false },
		{ "<interface type=\"network\"><source network=\"other\"/><source network=\"direct-pool\"/></interface>",
		  false },
		{ "<interface type=\"network\"/>", false },
		{ "<interface xmlns:n=\"urn:n\"><n:source network=\"direct-pool\"/></interface>", false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_xmldoc_ xmlDocPtr doc = parse_ok(cases[i].xml);
		if (vf_iface_on_network(find_iface(doc, NULL), "direct-pool") != cases[i].on)
			fail_msg("%s: want %s", cases[i].xml, cases[i].on ? "on the pool" : "not on it");
	}
	_cleanup_xmldoc_ xmlDocPtr doc = parse_ok(cases[0].xml);
	assert_false(vf_iface_on_network(find_iface(doc, NULL), ""));
	assert_false(vf_iface_on_network(find_iface(doc, NULL), NULL));
	assert_false(vf_iface_on_network(NULL, "direct-pool"));
}

/* ---- parsing: what is refused, and how ---- */

#define WHERE "/var/run/vdsm/hook.xml"

/* The parse must fail with want_r, print nothing and explain in one line (returned). */
static char *parse_fails(const char *buf, size_t len, int want_r)
{
	xmlDocPtr doc = NULL;
	char *err = NULL;
	struct quiet q;
	quiet_begin(&q);
	int r = vf_payload_parse(buf, len, WHERE, &doc, &err);
	assert_int_equal(vf_payload_parse(buf, len, WHERE, &doc, NULL), want_r); /* errmsg optional */
	quiet_end(&q);
	assert_int_equal(r, want_r);
	assert_null(doc);
	assert_non_null(err);
	if (strchr(err, '\n') || strchr(err, '\r'))
		fail_msg("more than one line: '%s'", err);
	return err;
}

/* The message must be "WHERE: line N: ...what...". */
static void malformed_n(const char *xml, size_t len, int line, const char *what)
{
	_cleanup_free_ char *err = parse_fails(xml, len, -EINVAL);
	_cleanup_free_ char *prefix = xasprintf(WHERE ": line %d: ", line);
	if (!startswith(err, prefix) || !strstr(err, what) || err[strlen(err) - 1] == ' ')
		fail_msg("got '%s', want '%s...%s...'", err, prefix, what);
}

static void malformed(const char *xml, int line, const char *what)
{
	malformed_n(xml, strlen(xml), line, what);
}

static void test_malformed(void **state)
{
	malformed("<domain>\n<devices>\n</domain>\n", 3,
		  "Opening and ending tag mismatch: devices line 2 and domain");
	malformed("<interface type=\"bridge\">\n<mac address=\"00:1a:4a:16:01:b0\"/>\n", 3,
		  "Premature end of data in tag interface line 1");
	malformed("<interface type=\"bridge\"><mac", 1, "Couldn't find end of Start Tag mac");
	malformed("<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<interface/>", 1,
		  "Document labelled UTF-16 but has UTF-8 content");
	malformed("<?xml version=\"1.0\" encoding=\"no-such-charset\"?>\n<interface/>", 1,
		  "Unsupported encoding no-such-charset");
	/* Invalid UTF-8: both lines of libxml2's message, on one. */
	malformed(VDSM_DECL "<interface type=\"bridge\">\n<alias name=\"caf\xe9\"/>\n</interface>", 3,
		  "Input is not proper UTF-8, indicate encoding ! Bytes: 0xE9 0x22 0x2F 0x3E");
	malformed("<domain>\n<name>\xff</name></domain>", 2, "not proper UTF-8");
	malformed("<domain><name>\xc3</name></domain>", 1, "not proper UTF-8");
	malformed("<a/>\n<b/>", 2, "Extra content at the end of the document");
	malformed("  \n\t", 2, "Start tag expected, '<' not found");
	malformed("<a x=\"1\" x=\"2\"/>", 1, "Attribute x redefined");
	malformed("<a>&nope;</a>", 1, "Entity 'nope' not defined");
	malformed_n("<a>\n<b/>\0</a>", sizeof("<a>\n<b/>\0</a>") - 1, 2, "NUL byte in payload");
	malformed_n("\0", 1, 1, "NUL byte in payload");

	_cleanup_free_ char *empty = parse_fails("", 0, -EINVAL);
	assert_string_equal(empty, WHERE ": empty payload");
	_cleanup_free_ char *null = parse_fails(NULL, 0, -EINVAL);
	assert_string_equal(null, WHERE ": empty payload");
	char *err = NULL;
	xmlDocPtr doc = NULL;
	assert_int_equal(vf_payload_parse("", 0, NULL, &doc, &err), -EINVAL);
	assert_string_equal(err, "payload: empty payload");
	free(err);
}

#define DOCTYPE_REFUSED(line) WHERE ": line " #line ": DOCTYPE not allowed (VDSM never sends one)"

static void test_doctype(void **state)
{
	static const char laughs[] =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE interface [\n"
		" <!ENTITY lol \"lol\">\n"
		" <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
		" <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
		" <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
		" <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
		" <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
		" <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
		" <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
		" <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
		" <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
		"]>\n"
		"<interface type=\"bridge\"><alias name=\"&lol9;\"/><model type=\"&lol9;\">&lol9;</model></interface>\n";
	static const char passwd[] =
		VDSM_DECL "<!DOCTYPE domain [\n<!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n]>\n"
		"<domain><description>&xxe;</description></domain>\n";
	static const char *const cases[][2] = {
		{ laughs, DOCTYPE_REFUSED(2) },
		{ passwd, DOCTYPE_REFUSED(2) },
		{ "<!DOCTYPE interface>\n<interface/>", DOCTYPE_REFUSED(1) },
		{ "<!-- one -->\n<!-- two -->\n<!DOCTYPE domain PUBLIC \"-//x//y\" \"http://example.invalid/d.dtd\">\n"
		  "<domain/>",
		  DOCTYPE_REFUSED(3) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *err = parse_fails(cases[i][0], strlen(cases[i][0]), -EINVAL);
		assert_string_equal(err, cases[i][1]);
	}
}

/* Nothing named in a DOCTYPE is opened, whatever the way of naming it (inotify sees opens). */
static void test_doctype_reads_nothing(void **state)
{
	char dir[] = "/tmp/vfcap-test-rewrite.XXXXXX";
	assert_non_null(mkdtemp(dir));
	_cleanup_free_ char *path = xasprintf("%s/secret.dtd", dir);
	static const char secret[] = "<!ENTITY leak \"SECRET\">";
	assert_int_equal(write_file_atomic(path, secret, strlen(secret), 0644), 0);
	_cleanup_close_ int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	assert_true(in >= 0);
	assert_true(inotify_add_watch(in, path, IN_OPEN | IN_ACCESS) >= 0);

	char *docs[] = {
		xasprintf("<!DOCTYPE domain SYSTEM \"file://%s\">\n<domain>&leak;</domain>", path),
		xasprintf("<!DOCTYPE domain SYSTEM \"%s\">\n<domain/>", path),
		xasprintf("<!DOCTYPE domain [<!ENTITY x SYSTEM \"file://%s\">]>\n<domain>&x;</domain>", path),
		xasprintf("<!DOCTYPE domain [<!ENTITY %% p SYSTEM \"%s\"> %%p;]>\n<domain>&leak;</domain>", path),
		xasprintf("<domain xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"%s\" "
			  "parse=\"text\"/></domain>", path),
	};
	for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
		xmlDocPtr doc = NULL;
		_cleanup_free_ char *err = NULL;
		int r = vf_payload_parse(docs[i], strlen(docs[i]), WHERE, &doc, &err);
		if (i < 4) {
			assert_int_equal(r, -EINVAL);
			assert_string_equal(err, DOCTYPE_REFUSED(1));
		} else { /* XInclude is not processed: the element is kept as it is */
			assert_int_equal(r, 0);
			_cleanup_free_ char *out = dump(doc);
			assert_non_null(strstr(out, "<xi:include"));
			assert_null(strstr(out, "SECRET"));
			xmlFreeDoc(doc);
		}
		free(docs[i]);
	}
	char ev[4096];
	assert_int_equal(read(in, ev, sizeof(ev)), -1);
	assert_int_equal(errno, EAGAIN);
	/* The watch does see an open. */
	_cleanup_free_ char *content = NULL;
	size_t len;
	assert_int_equal(read_full_file(path, &content, &len, 4096), 0);
	assert_true(read(in, ev, sizeof(ev)) > 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* The program's own libxml2 handlers are neither called nor lost. */
static void test_handlers_restored(void **state)
{
	int token;
	xmlSetGenericErrorFunc(&token, count_generic);
	xmlSetStructuredErrorFunc(&token, count_structured);
	static const char *const inputs[] = {
		"<a><b></a>", "<!DOCTYPE a>\n<a/>", "<?xml version=\"1.0\" encoding=\"bogus\"?><a/>",
		"<a>\xe9</a>", SEED_DEVICE,
	};
	for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
		xmlDocPtr doc = NULL;
		_cleanup_free_ char *err = NULL;
		if (vf_payload_parse(inputs[i], strlen(inputs[i]), WHERE, &doc, &err) == 0)
			xmlFreeDoc(doc);
	}
	assert_int_equal(generic_calls, 0);
	assert_int_equal(structured_calls, 0);
	assert_ptr_equal(xmlGenericError, count_generic);
	assert_ptr_equal(xmlGenericErrorContext, &token);
	assert_ptr_equal(xmlStructuredError, count_structured);
	assert_ptr_equal(xmlStructuredErrorContext, &token);
	xmlSetGenericErrorFunc(NULL, NULL);
	xmlSetStructuredErrorFunc(NULL, NULL);
}

/* ---- a 5 MB domain ---- */

#define BIG_DISKS 24000

/* Interface k of the big domain, as VDSM sends it or as rewritten: 0 and 3 go to the pool,
 * 1 to a network, 2 stays. */
static void big_iface(FILE *f, int k, bool rewritten)
{
	fprintf(f, "    <interface type=\"%s\"><mac address=\"00:1a:4a:16:02:%02x\"/><model type=\"virtio\"/>",
		rewritten && k != 2 ? "network" : "bridge", k);
	if (!rewritten || k == 2)
		fputs("<source bridge=\"ovirtmgmt\"/><filterref filter=\"vdsm-no-mac-spoofing\"/>", f);
	else if (k == 1)
		fputs("<source network=\"ext-net\"/><filterref filter=\"vdsm-no-mac-spoofing\"/>", f);
	else
		fprintf(f, "<source network=\"direct-pool\"/><virtualport type=\"802.1Qbh\">"
			   "<parameters profileid=\"P%d\"/></virtualport>", k);
	fputs("</interface>\n", f);
}

static char *big_domain(bool rewritten)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	assert_non_null(f);
	fputs(rewritten ? DECL : VDSM_DECL, f);
	fputs("<domain type=\"kvm\">\n  <name>big-ß</name>\n  <devices>\n", f);
	for (int i = 0; i < BIG_DISKS; i++) {
		if (i % (BIG_DISKS / 4) == BIG_DISKS / 8)
			big_iface(f, i / (BIG_DISKS / 4), rewritten);
		fprintf(f, "    <disk type=\"file\" device=\"disk\"><driver name=\"qemu\" type=\"qcow2\" "
			   "cache=\"none\"/><source file=\"/rhev/data-center/mnt/blockSD/%08d/images/%08d.img\"/>"
			   "<target dev=\"vd%d\" bus=\"virtio\"/><alias name=\"ua-disk-%d\"/></disk>\n",
			i, i, i, i);
	}
	fputs("    <channel type=\"unix\"><target name=\"org.qemu.guest_agent.0\" type=\"virtio\"/></channel>\n"
	      "  </devices>\n</domain>\n", f);
	assert_int_equal(fclose(f), 0);
	return s;
}

/* Time it with make bench (bench/bench_hook.py), not here. */
static void test_big_domain(void **state)
{
	_cleanup_free_ char *in = big_domain(false);
	_cleanup_free_ char *want = big_domain(true);
	size_t len = strlen(in);
	assert_true(len >= 5 * 1000 * 1000);
	_cleanup_xmldoc_ xmlDocPtr doc = NULL;
	_cleanup_free_ char *err = NULL;
	assert_int_equal(vf_payload_parse(in, len, WHERE, &doc, &err), 0);
	_cleanup_free_ xmlNodePtr *ifaces = NULL;
	assert_int_equal(vf_payload_interfaces(doc, &ifaces), 4);
	assert_int_equal(vf_iface_set_vmfex(ifaces[0], "direct-pool", "P0"), 1);
	assert_int_equal(vf_iface_set_extnet(ifaces[1], "ext-net", NULL), 1);
	assert_int_equal(vf_iface_set_vmfex(ifaces[3], "direct-pool", "P3"), 1);
	_cleanup_free_ char *out = dump(doc);
	same_text(out, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmfex_seed), cmocka_unit_test(test_vmfex_ovirt_device),
		cmocka_unit_test(test_vmfex_no_source), cmocka_unit_test(test_vmfex_openvswitch),
		cmocka_unit_test(test_vmfex_messy_source), cmocka_unit_test(test_vmfex_already),
		cmocka_unit_test(test_bad_arguments), cmocka_unit_test(test_extnet),
		cmocka_unit_test(test_domain_three_interfaces), cmocka_unit_test(test_domain_ovirt),
		cmocka_unit_test(test_interfaces), cmocka_unit_test(test_mac),
		cmocka_unit_test(test_on_network),
		cmocka_unit_test(test_malformed), cmocka_unit_test(test_doctype),
		cmocka_unit_test(test_doctype_reads_nothing), cmocka_unit_test(test_handlers_restored),
		cmocka_unit_test(test_big_domain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
