/* SPDX-License-Identifier: MIT */
/* What libvirt holds, from the live XML of running domains and active networks. */
#include "libvirt.h"

#include <errno.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <limits.h>
#include <string.h>

#include "util.h"
#include "xml.h"

/* ---- the usage list ---- */

void vf_usage_clear(struct vf_usage *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n_uses; i++) {
		free(u->uses[i].key);
		free(u->uses[i].owner);
	}
	free(u->uses);
	u->uses = NULL;
	u->n_uses = 0;
	u->sorted = false;
}

#define _cleanup_usage_ _cleanup_(vf_usage_clear)

static int use_cmp_key(const struct vf_use *a, enum vf_use_kind kind, const char *key)
{
	if (a->kind != kind)
		return a->kind < kind ? -1 : 1;
	return strcmp(a->key, key);
}

static int use_cmp(const void *pa, const void *pb)
{
	const struct vf_use *a = pa, *b = pb;
	int c = use_cmp_key(a, b->kind, b->key);
	return c ? c : strcmp(a->owner, b->owner);
}

void vf_usage_sort(struct vf_usage *u)
{
	if (u->n_uses > 1)
		qsort(u->uses, u->n_uses, sizeof(*u->uses), use_cmp);
	u->sorted = true;
}

static const struct vf_use *find_sorted(const struct vf_usage *u, enum vf_use_kind kind, const char *key)
{
	size_t lo = 0, hi = u->n_uses;
	while (lo < hi) { /* the first entry not below (kind, key) */
		size_t mid = lo + (hi - lo) / 2;
		if (use_cmp_key(&u->uses[mid], kind, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < u->n_uses && use_cmp_key(&u->uses[lo], kind, key) == 0 ? &u->uses[lo] : NULL;
}

const struct vf_use *vf_usage_find(const struct vf_usage *u, enum vf_use_kind kind, const char *key)
{
	if (!u || !key)
		return NULL;
	if (u->sorted)
		return find_sorted(u, kind, key);
	for (size_t i = 0; i < u->n_uses; i++)
		if (u->uses[i].kind == kind && streq(u->uses[i].key, key))
			return &u->uses[i];
	return NULL;
}

bool vf_usage_held_by_other(const struct vf_usage *u, enum vf_use_kind kind, const char *key, const char *owner)
{
	const struct vf_use *use = vf_usage_find(u, kind, key);
	if (!use)
		return false;
	if (!u->sorted) {
		for (size_t i = 0; i < u->n_uses; i++)
			if (u->uses[i].kind == kind && streq(u->uses[i].key, key) && !streq(u->uses[i].owner, owner))
				return true;
		return false;
	}
	/* sorted: the uses of this key follow the first one */
	for (const struct vf_use *end = u->uses + u->n_uses; use < end && use_cmp_key(use, kind, key) == 0; use++)
		if (!streq(use->owner, owner))
			return true;
	return false;
}

/* Takes key; copies owner. */
static void usage_add(struct vf_usage *u, enum vf_use_kind kind, char *key, const char *owner,
		      int connections)
{
	struct vf_use *use = array_append(&u->uses, &u->n_uses, sizeof(*use));
	*use = (struct vf_use){ kind, key, xstrdup(owner), connections };
	u->sorted = false;
}

/* Move every use of from to the end of to; from is left empty. */
void vf_usage_move(struct vf_usage *to, struct vf_usage *from)
{
	for (size_t i = 0; i < from->n_uses; i++)
		*(struct vf_use *)array_append(&to->uses, &to->n_uses, sizeof(struct vf_use)) =
			from->uses[i];
	free(from->uses);
	from->uses = NULL;
	from->n_uses = 0;
	to->sorted = false;
}

/* ---- PCI addresses ---- */

/* libvirt reads these attributes with strtoul base 0: "0x1f", "31" and "037" are the same. */
static int parse_pci_part(const char *s, unsigned long max, unsigned long *ret)
{
	if (!s || !(*s >= '0' && *s <= '9'))
		return -EINVAL; /* strtoul would skip blanks and accept signs */
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 0);
	if (*end || errno == ERANGE || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int vf_pci_address_format(const char *domain, const char *bus, const char *slot, const char *function,
			  char **ret)
{
	unsigned long d = 0, b, s, f;
	/* A missing domain is 0, as in libvirt; the kernel's PCI names allow 32-bit domains. */
	if ((domain && parse_pci_part(domain, 0xffffffffUL, &d) < 0) ||
	    parse_pci_part(bus, 0xff, &b) < 0 || parse_pci_part(slot, 0x1f, &s) < 0 ||
	    parse_pci_part(function, 7, &f) < 0)
		return -EINVAL;
	*ret = xasprintf("%04lx:%02lx:%02lx.%lu", d, b, s, f);
	return 0;
}

/* ---- reading XML without expanding entities ---- */

/* lib/xml.c's reader. libvirt writes no DOCTYPE, but one is read rather than refused, as
 * before the reader was shared: nothing in it is loaded or expanded. */
static int parse_xml(const char *xml, const char *root, xmlDoc **ret, char **errmsg)
{
	if (!xml)
		return set_error(errmsg, -EINVAL, "no XML");
	static const struct vf_xml_opts opts = { .inert_doctype = true };
	_cleanup_xmldoc_ xmlDoc *doc = NULL;
	_cleanup_free_ char *err = NULL;
	int r = vf_xml_read_untrusted(xml, strlen(xml), &opts, &doc, NULL, &err);
	if (r == -EFBIG)
		return set_error(errmsg, r, "XML too large");
	if (r < 0)
		return set_error(errmsg, r, "malformed XML at %s", err);
	xmlNode *top = xmlDocGetRootElement(doc);
	if (!top || !streq((const char *)top->name, root))
		return set_error(errmsg, -EINVAL, "not a <%s> document (root is <%s>)", root,
				 top ? (const char *)top->name : "");
	*ret = TAKE_PTR(doc);
	return 0;
}

static int address_key(const xmlNode *addr, char **ret, char **errmsg)
{
	_cleanup_free_ char *d = vf_xml_attr_value(addr, "domain");
	_cleanup_free_ char *b = vf_xml_attr_value(addr, "bus");
	_cleanup_free_ char *s = vf_xml_attr_value(addr, "slot");
	_cleanup_free_ char *f = vf_xml_attr_value(addr, "function");
	if (vf_pci_address_format(d, b, s, f, ret) < 0)
		return set_error(errmsg, -EINVAL,
				 "line %ld: invalid PCI address domain='%s' bus='%s' slot='%s' function='%s'",
				 xmlGetLineNo(addr), d ? d : "(none)", b ? b : "(none)", s ? s : "(none)",
				 f ? f : "(none)");
	return 0;
}

/* The text of the top element's first <name> child: the domain's or network's name. The XML
 * is walked, not searched with XPath: 500 domains cost 1,500 XPath compilations otherwise.
 * Elements are matched in no namespace, as XPath's unprefixed steps match them. */
static int owner_name(xmlDoc *doc, char **ret, char **errmsg)
{
	const xmlNode *top = xmlDocGetRootElement(doc);
	const xmlNode *n = vf_xml_child(top, "name", VF_XML_NO_NS);
	_cleanup_free_ char *name = n ? vf_xml_text(n) : NULL;
	if (!name || !*name)
		return set_error(errmsg, -EINVAL, "no /%s/name", (const char *)top->name);
	*ret = TAKE_PTR(name);
	return 0;
}

static bool attr_is(const xmlNode *n, const char *name, const char *value)
{
	const xmlAttr *a = vf_xml_attr(n, name);
	_cleanup_free_ char *v = a ? vf_xml_attr_value(n, name) : NULL;
	return value ? streq_ptr(v, value) : !a;
}

/* ---- domains ---- */

/* The PCI addresses a domain holds, in document order:
 *   /domain/devices/interface[@type='hostdev']/source/address[@type='pci' or not(@type)]
 *   /domain/devices/hostdev[@mode='subsystem'][@type='pci']/source/address */
static int domain_pci(const xmlNode *dev, const char *owner, struct vf_usage *u, char **errmsg)
{
	bool iface = vf_xml_is(dev, "interface", VF_XML_NO_NS) && attr_is(dev, "type", "hostdev");
	if (!iface && !(vf_xml_is(dev, "hostdev", VF_XML_NO_NS) && attr_is(dev, "mode", "subsystem") &&
			attr_is(dev, "type", "pci")))
		return 0;
	vf_xml_for_each_child(src, dev, "source", VF_XML_NO_NS)
		vf_xml_for_each_child(addr, src, "address", VF_XML_NO_NS) {
			if (iface && !attr_is(addr, "type", "pci") && !attr_is(addr, "type", NULL))
				continue;
			char *key = NULL;
			int r = address_key(addr, &key, errmsg);
			if (r < 0)
				return r;
			usage_add(u, VF_USE_DOMAIN_PCI, key, owner, 0);
		}
	return 0;
}

/* /domain/devices/interface[@type='direct']/source: a type='network' interface on a
 * passthrough pool shows as type='direct' in the live XML. */
static int domain_direct(const xmlNode *dev, const char *owner, struct vf_usage *u, char **errmsg)
{
	if (!vf_xml_is(dev, "interface", VF_XML_NO_NS) || !attr_is(dev, "type", "direct"))
		return 0;
	vf_xml_for_each_child(src, dev, "source", VF_XML_NO_NS) {
		char *name = vf_xml_attr_value(src, "dev");
		if (!name || !*name) {
			free(name);
			return set_error(errmsg, -EINVAL, "line %ld: interface type='direct' without source dev",
					 xmlGetLineNo(src));
		}
		usage_add(u, VF_USE_DOMAIN_NETDEV, name, owner, 0);
	}
	return 0;
}

int vf_libvirt_parse_domain(const char *xml, struct vf_usage *u, char **errmsg)
{
	_cleanup_xmldoc_ xmlDoc *doc = NULL;
	int r = parse_xml(xml, "domain", &doc, errmsg);
	if (r < 0)
		return r;
	_cleanup_free_ char *owner = NULL;
	r = owner_name(doc, &owner, errmsg);
	if (r < 0)
		return r;
	/* the PCI addresses first, then the direct sources, each in document order */
	_cleanup_usage_ struct vf_usage found = { 0 };
	const xmlNode *top = xmlDocGetRootElement(doc);
	for (int pass = 0; pass < 2; pass++)
		vf_xml_for_each_child(devices, top, "devices", VF_XML_NO_NS)
			vf_xml_for_each_child(dev, devices, NULL, VF_XML_NO_NS) {
				r = pass == 0 ? domain_pci(dev, owner, &found, errmsg)
					      : domain_direct(dev, owner, &found, errmsg);
				if (r < 0)
					return r;
			}
	vf_usage_move(u, &found);
	return 0;
}

/* ---- networks ---- */

static int parse_connections(const xmlNode *n, int *ret, char **errmsg)
{
	_cleanup_free_ char *s = vf_xml_attr_value(n, "connections");
	long v = 0;
	if (s && parse_long(s, 0, INT_MAX, &v) < 0)
		return set_error(errmsg, -EINVAL, "line %ld: invalid connections='%s'", xmlGetLineNo(n), s);
	*ret = (int)v;
	return 0;
}

/* One pool entry: <interface dev=…> of a passthrough pool or <address type='pci' …> of a hostdev
 * pool. */
static int pool_entry(const xmlNode *n, bool pci, const char *owner, struct vf_usage *u,
		      char **errmsg)
{
	int connections = 0;
	int r = parse_connections(n, &connections, errmsg);
	if (r < 0)
		return r;
	char *key = NULL;
	if (pci) {
		r = address_key(n, &key, errmsg);
		if (r < 0)
			return r;
	} else {
		key = vf_xml_attr_value(n, "dev");
		if (!key || !*key) {
			free(key);
			return set_error(errmsg, -EINVAL, "line %ld: forward interface without dev",
					 xmlGetLineNo(n));
		}
	}
	usage_add(u, pci ? VF_USE_POOL_PCI : VF_USE_POOL_NETDEV, key, owner, connections);
	return 0;
}

int vf_libvirt_parse_network(const char *xml, struct vf_usage *u, char **errmsg)
{
	_cleanup_xmldoc_ xmlDoc *doc = NULL;
	int r = parse_xml(xml, "network", &doc, errmsg);
	if (r < 0)
		return r;
	_cleanup_free_ char *owner = NULL;
	r = owner_name(doc, &owner, errmsg);
	if (r < 0)
		return r;

	/* /network/forward[1]: its address[@type='pci'] (hostdev) or interface (passthrough) */
	const xmlNode *fwd = vf_xml_child(xmlDocGetRootElement(doc), "forward", VF_XML_NO_NS);
	if (!fwd)
		return 0; /* isolated network */
	_cleanup_free_ char *mode = vf_xml_attr_value(fwd, "mode");
	bool pci = streq_ptr(mode, "hostdev");
	if (!pci && !streq_ptr(mode, "passthrough"))
		return 0; /* nat, route, bridge, …: no exclusive VFs */

	_cleanup_usage_ struct vf_usage found = { 0 };
	vf_xml_for_each_child(n, fwd, pci ? "address" : "interface", VF_XML_NO_NS) {
		if (pci && !attr_is(n, "type", "pci"))
			continue;
		r = pool_entry(n, pci, owner, &found, errmsg);
		if (r < 0)
			return r;
	}
	vf_usage_move(u, &found); /* in document order: a pool's order is libvirt's order of choice */
	return 0;
}

/* ---- the connection ---- */

/* The library does not print: errors go to the caller through errmsg. */
static void discard_error(void *data, virErrorPtr err)
{
}

void vf_libvirt_quiet(void)
{
	virSetErrorFunc(NULL, discard_error);
}

/* libvirt's last error as -errno: the system error it wraps (e.g. ENOENT for a missing
 * socket), else EIO. */
static int libvirt_errno(void)
{
	virErrorPtr e = virGetLastError();
	if (e && e->code == VIR_ERR_SYSTEM_ERROR && e->int1 > 0)
		return -e->int1;
	return -EIO;
}

/* "libvirt URI: [WHAT[ NAME]: ]libvirt's message" */
static int libvirt_error(char **errmsg, const char *uri, const char *what, const char *name)
{
	int r = libvirt_errno();
	_cleanup_free_ char *prefix = !what ? xstrdup("")
				    : name ? xasprintf("%s %s: ", what, name)
					   : xasprintf("%s: ", what);
	return set_error(errmsg, r, "libvirt %s: %s%s", uri, prefix, virGetLastErrorMessage());
}

static void conn_closep(virConnectPtr *c)
{
	if (*c)
		virConnectClose(*c);
}

struct domain_list {
	virDomainPtr *v;
	int n;
};

static void domain_list_clear(struct domain_list *l)
{
	for (int i = 0; i < l->n; i++)
		virDomainFree(l->v[i]);
	free(l->v);
}

struct network_list {
	virNetworkPtr *v;
	int n;
};

static void network_list_clear(struct network_list *l)
{
	for (int i = 0; i < l->n; i++)
		virNetworkFree(l->v[i]);
	free(l->v);
}

static int read_domain(virDomainPtr dom, const char *uri, struct vf_usage *u, char **errmsg)
{
	const char *name = virDomainGetName(dom);
	_cleanup_free_ char *xml = virDomainGetXMLDesc(dom, 0);
	/* A domain that went away since the listing holds nothing; one that stopped meanwhile
	 * would give its inactive config, so it is asked again after the dump. */
	if (!xml && virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
		return 0;
	if (!xml)
		return libvirt_error(errmsg, uri, "domain", name);
	int active = virDomainIsActive(dom);
	if (active == 0 || (active < 0 && virGetLastErrorCode() == VIR_ERR_NO_DOMAIN))
		return 0;
	_cleanup_free_ char *err = NULL;
	int r = vf_libvirt_parse_domain(xml, u, &err);
	if (r < 0)
		return set_error(errmsg, r, "libvirt %s: domain %s: %s", uri, name, err);
	return 0;
}

static int read_domains(virConnectPtr conn, const char *uri, struct vf_usage *u, char **errmsg)
{
	_cleanup_(domain_list_clear) struct domain_list l = { 0 };
	int n = virConnectListAllDomains(conn, &l.v, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (n < 0)
		return libvirt_error(errmsg, uri, "listing domains", NULL);
	l.n = n;
	for (int i = 0; i < l.n; i++) {
		int r = read_domain(l.v[i], uri, u, errmsg);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_network(virNetworkPtr net, const char *uri, struct vf_usage *u, char **errmsg)
{
	const char *name = virNetworkGetName(net);
	_cleanup_free_ char *xml = virNetworkGetXMLDesc(net, 0);
	if (!xml && virGetLastErrorCode() == VIR_ERR_NO_NETWORK)
		return 0;
	if (!xml)
		return libvirt_error(errmsg, uri, "network", name);
	_cleanup_free_ char *err = NULL;
	int r = vf_libvirt_parse_network(xml, u, &err);
	if (r < 0)
		return set_error(errmsg, r, "libvirt %s: network %s: %s", uri, name, err);
	return 0;
}

static int read_networks(virConnectPtr conn, const char *uri, struct vf_usage *u, char **errmsg)
{
	_cleanup_(network_list_clear) struct network_list l = { 0 };
	int n = virConnectListAllNetworks(conn, &l.v, VIR_CONNECT_LIST_NETWORKS_ACTIVE);
	if (n < 0)
		return libvirt_error(errmsg, uri, "listing networks", NULL);
	l.n = n;
	for (int i = 0; i < l.n; i++) {
		int r = read_network(l.v[i], uri, u, errmsg);
		if (r < 0)
			return r;
	}
	return 0;
}

int vf_libvirt_read(const char *uri, struct vf_usage *u, char **errmsg)
{
	if (!uri)
		uri = VF_LIBVIRT_DEFAULT_URI;
	vf_libvirt_quiet();
	/* libvirt parses XML with libxml2 in this thread, and libxml2 prints some warnings (the
	 * test driver's "I/O warning : failed to load external entity") */
	_cleanup_(vf_xml_quiet_end) struct vf_xml_quiet quiet = vf_xml_quiet_begin();
	_cleanup_(conn_closep) virConnectPtr conn = virConnectOpenReadOnly(uri);
	if (!conn)
		return libvirt_error(errmsg, uri, NULL, NULL);
	_cleanup_usage_ struct vf_usage found = { 0 };
	int r = read_domains(conn, uri, &found, errmsg);
	if (r >= 0)
		r = read_networks(conn, uri, &found, errmsg);
	if (r < 0)
		return r;
	vf_usage_move(u, &found);
	vf_usage_sort(u);
	return 0;
}
