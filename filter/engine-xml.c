/* SPDX-License-Identifier: MIT */
/* The engine's XML answers (engine.h): nics, one vNIC profile, hosts. */
#include "engine.h"

#include <errno.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "util.h"
#include "xml.h"

/* lib/xml.c's reader, its defaults; BIG_LINES: a host list runs past 65535 lines, and
 * messages name lines. */
static const struct vf_xml_opts read_opts = { .options = XML_PARSE_BIG_LINES };

bool vf_engine_valid_id(const char *id)
{
	if (!id)
		return false;
	size_t n = strspn(id, "0123456789abcdefABCDEF-");
	return n >= 1 && n <= 64 && id[n] == '\0';
}

/* ---- parsing ---- */

/* Parse xml (len bytes) whose root must be <root> (local name); *top is its element. */
static int read_doc(const char *xml, size_t len, const char *root, xmlDoc **ret, xmlNode **top,
		    char **errmsg)
{
	if (!xml || len == 0)
		return set_error(errmsg, -EINVAL, "empty document");
	_cleanup_xmldoc_ xmlDoc *doc = NULL;
	int r = vf_xml_read_untrusted(xml, len, &read_opts, &doc, NULL, errmsg);
	if (r < 0)
		return r;
	xmlNode *n = xmlDocGetRootElement(doc);
	if (!n)
		return set_error(errmsg, -EINVAL, "line 1: no root element");
	if (!streq((const char *)n->name, root))
		return set_error(errmsg, -EINVAL, "line %ld: root is <%s>, expected <%s>",
				 xmlGetLineNo(n), (const char *)n->name, root);
	*top = n;
	*ret = TAKE_PTR(doc);
	return 0;
}

/* ---- walking ---- */

/* The first child element of parent named name (local name, any namespace), or NULL. */
static xmlNode *child(const xmlNode *parent, const char *name)
{
	return vf_xml_child(parent, name, VF_XML_ANY_NS);
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* s[0, len) without the blanks around it (caller frees). */
static char *trimmed(const char *s, size_t len)
{
	size_t a = 0;
	while (a < len && blank(s[a]))
		a++;
	while (len > a && blank(s[len - 1]))
		len--;
	return xstrndup(s + a, len - a);
}

/* The element's text, blanks around it dropped; "" when it has none (caller frees). */
static char *text_of(const xmlNode *n)
{
	_cleanup_free_ char *raw = vf_xml_text(n);
	return trimmed(raw, strlen(raw));
}

/* The child's text, NULL when the child is absent. */
static char *child_text(const xmlNode *parent, const char *name)
{
	xmlNode *c = child(parent, name);
	return c ? text_of(c) : NULL;
}

/* The element's id attribute (no namespace), checked as vf_engine_valid_id(). */
static int id_of(const xmlNode *n, char **ret, char **errmsg)
{
	_cleanup_free_ char *id = vf_xml_attr_value(n, "id");
	if (!id || !*id)
		return set_error(errmsg, -EINVAL, "line %ld: <%s> without id", xmlGetLineNo(n),
				 (const char *)n->name);
	if (!vf_engine_valid_id(id))
		return set_error(errmsg, -EINVAL, "line %ld: <%s> has an invalid id",
				 xmlGetLineNo(n), (const char *)n->name);
	*ret = TAKE_PTR(id);
	return 0;
}

/* ---- nics ---- */

void vf_engine_nics_free(struct vf_engine_nic *nics, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(nics[i].profile_id);
	free(nics);
}

static int parse_plugged(const xmlNode *nic, bool *plugged, char **errmsg)
{
	xmlNode *p = child(nic, "plugged");
	_cleanup_free_ char *v = p ? text_of(p) : NULL;
	if (!v || streq(v, "true"))
		*plugged = true;
	else if (streq(v, "false"))
		*plugged = false;
	else
		return set_error(errmsg, -EINVAL, "line %ld: <plugged> is neither true nor false",
				 xmlGetLineNo(p));
	return 0;
}

static int parse_nic(const xmlNode *n, struct vf_engine_nic *nic, char **errmsg)
{
	_cleanup_free_ char *id = NULL;
	int r = id_of(n, &id, errmsg);
	if (r < 0)
		return r;
	r = parse_plugged(n, &nic->plugged, errmsg);
	if (r < 0)
		return r;
	xmlNode *profile = child(n, "vnic_profile");
	return profile ? id_of(profile, &nic->profile_id, errmsg) : 0;
}

int vf_engine_parse_nics(const char *xml, size_t len, struct vf_engine_nic **ret, size_t *n,
			 char **errmsg)
{
	_cleanup_xmldoc_ xmlDoc *doc = NULL;
	xmlNode *top = NULL;
	int r = read_doc(xml, len, "nics", &doc, &top, errmsg);
	if (r < 0)
		return r;
	struct vf_engine_nic *nics = NULL;
	size_t count = 0;
	vf_xml_for_each_child(c, top, "nic", VF_XML_ANY_NS) {
		struct vf_engine_nic *nic = array_append(&nics, &count, sizeof(*nics));
		r = parse_nic(c, nic, errmsg);
		if (r < 0) {
			vf_engine_nics_free(nics, count);
			return r;
		}
	}
	*ret = nics;
	*n = count;
	return 0;
}

/* ---- one vNIC profile ---- */

/* A custom property named vmfex with a non-empty value (vfcap-hook's vmfex property). */
static bool has_vmfex(const xmlNode *profile)
{
	vf_xml_for_each_child(c, child(profile, "custom_properties"), "custom_property", VF_XML_ANY_NS) {
		_cleanup_free_ char *name = child_text(c, "name");
		_cleanup_free_ char *value = child_text(c, "value");
		if (streq_ptr(name, "vmfex") && value && *value)
			return true;
	}
	return false;
}

int vf_engine_parse_profile(const char *xml, size_t len, bool *needs_vf, char **errmsg)
{
	_cleanup_xmldoc_ xmlDoc *doc = NULL;
	xmlNode *top = NULL;
	int r = read_doc(xml, len, "vnic_profile", &doc, &top, errmsg);
	if (r < 0)
		return r;
	_cleanup_free_ char *mode = child_text(child(top, "pass_through"), "mode");
	*needs_vf = streq_ptr(mode, "enabled") || has_vmfex(top);
	return 0;
}

/* ---- hosts ---- */

void vf_engine_hosts_free(struct vf_engine_host *hosts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(hosts[i].id);
		free(hosts[i].address);
	}
	free(hosts);
}

/* The host list is parsed as it arrives (SAX, push): an engine with thousands of hosts sends tens
 * of megabytes, and only each host's id and first <address> are kept, never a tree. */
struct vf_engine_hosts_parser {
	struct vf_xml_push *push;
	int depth; /* of the element open now: 1 the root */
	struct vf_engine_host *hosts;
	size_t n;
	bool in_host, in_address, address_seen;
	char *text; /* the <address> being read */
	size_t text_len, text_cap;
};

/* SAX2's attributes come 5 pointers each: localname, prefix, URI, value, end. */
static char *attr_value(int n, const xmlChar **attrs, const char *name)
{
	for (int i = 0; i < n; i++, attrs += 5)
		if (!attrs[2] && streq((const char *)attrs[0], name))
			return xstrndup((const char *)attrs[3], (size_t)(attrs[4] - attrs[3]));
	return NULL;
}

static void host_start(xmlParserCtxtPtr ctxt, struct vf_engine_hosts_parser *hp, int n_attrs, const xmlChar **attrs)
{
	_cleanup_free_ char *id = attr_value(n_attrs, attrs, "id");
	if (!id || !*id)
		return vf_xml_push_fail(ctxt, -EINVAL, "<host> without id");
	if (!vf_engine_valid_id(id))
		return vf_xml_push_fail(ctxt, -EINVAL, "<host> has an invalid id");
	struct vf_engine_host *h = array_append(&hp->hosts, &hp->n, sizeof(*hp->hosts));
	h->id = TAKE_PTR(id);
	hp->in_host = true;
	hp->address_seen = false;
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri, int n_ns,
		     const xmlChar **ns, int n_attrs, int n_defaulted, const xmlChar **attrs)
{
	struct vf_engine_hosts_parser *hp = vf_xml_push_user(ctx);
	const char *local = (const char *)name;
	hp->depth++;
	if (hp->depth == 1 && !streq(local, "hosts"))
		vf_xml_push_fail(ctx, -EINVAL, "root is <%s>, expected <hosts>", local);
	else if (hp->depth == 2 && streq(local, "host"))
		host_start(ctx, hp, n_attrs, attrs);
	else if (hp->depth == 3 && hp->in_host && !hp->address_seen && streq(local, "address")) {
		hp->in_address = true;
		hp->text_len = 0;
	}
}

static void on_chars(void *ctx, const xmlChar *ch, int len)
{
	struct vf_engine_hosts_parser *hp = vf_xml_push_user(ctx);
	if (!hp->in_address || len <= 0)
		return;
	if (hp->text_len + (size_t)len + 1 > hp->text_cap) {
		hp->text_cap = 2 * (hp->text_len + (size_t)len + 1);
		hp->text = xrealloc(hp->text, hp->text_cap);
	}
	memcpy(hp->text + hp->text_len, ch, (size_t)len);
	hp->text_len += (size_t)len;
}

/* The first <address> counts (not power_management's, one level further down); blanks
 * around it are dropped, and an empty one is none. */
static void address_end(struct vf_engine_hosts_parser *hp)
{
	char *a = trimmed(hp->text ? hp->text : "", hp->text_len);
	if (*a)
		hp->hosts[hp->n - 1].address = a;
	else
		free(a);
	hp->in_address = false;
	hp->address_seen = true;
}

static void on_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
	struct vf_engine_hosts_parser *hp = vf_xml_push_user(ctx);
	if (hp->depth == 3 && hp->in_address)
		address_end(hp);
	else if (hp->depth == 2)
		hp->in_host = false;
	hp->depth--;
}

struct vf_engine_hosts_parser *vf_engine_hosts_parser_new(void)
{
	static const xmlSAXHandler sax = { .startElementNs = on_start, .endElementNs = on_end,
					   .characters = on_chars, .cdataBlock = on_chars };
	struct vf_engine_hosts_parser *hp = xcalloc(1, sizeof *hp);
	/* utf8_only: through iconv (a declared "UTF08" is one to glibc) libxml2's push parser can
	 * take the same bytes differently when they come in other pieces (found by
	 * tests/fuzz/fuzz_engine.c) */
	static const struct vf_xml_opts opts = { .options = XML_PARSE_BIG_LINES, .utf8_only = true };
	hp->push = vf_xml_push_new(&sax, hp, &opts);
	if (!hp->push) {
		free(hp);
		return NULL;
	}
	return hp;
}

int vf_engine_hosts_parser_feed(struct vf_engine_hosts_parser *hp, const char *buf, size_t len, bool last,
				char **errmsg)
{
	return vf_xml_push_feed(hp->push, buf, len, last, errmsg);
}

void vf_engine_hosts_parser_take(struct vf_engine_hosts_parser *hp, struct vf_engine_host **ret, size_t *n)
{
	*ret = TAKE_PTR(hp->hosts);
	*n = hp->n;
	hp->n = 0;
}

void vf_engine_hosts_parser_free(struct vf_engine_hosts_parser *hp)
{
	if (!hp)
		return;
	vf_xml_push_free(hp->push);
	vf_engine_hosts_free(hp->hosts, hp->n);
	free(hp->text);
	free(hp);
}

int vf_engine_parse_hosts(const char *xml, size_t len, struct vf_engine_host **ret, size_t *n,
			  char **errmsg)
{
	if (!xml || len == 0)
		return set_error(errmsg, -EINVAL, "empty document");
	struct vf_engine_hosts_parser *hp = vf_engine_hosts_parser_new();
	if (!hp)
		return set_error(errmsg, -ENOMEM, "out of memory");
	int r = vf_engine_hosts_parser_feed(hp, xml, len, true, errmsg);
	if (r == 0)
		vf_engine_hosts_parser_take(hp, ret, n);
	vf_engine_hosts_parser_free(hp);
	return r;
}

/* ---- NUMA placement ---- */

/* The element's text as an integer in [min, max]; -EINVAL with "line N: <name> ..." otherwise. */
static int int_of(const xmlNode *n, long min, long max, const char *what, long *ret, char **errmsg)
{
	_cleanup_free_ char *v = text_of(n);
	if (parse_long(v, min, max, ret) < 0) {
		char q[48];
		vf_quote_value(q, sizeof q, v);
		return set_error(errmsg, -EINVAL, "line %ld: <%s> '%s' is not %s %ld..%ld", xmlGetLineNo(n),
				 vf_xml_name(n), q, what, min, max);
	}
	return 0;
}

/* The child's text into buf (cut short), "" when absent. */
static void child_copy(const xmlNode *parent, const char *name, char *buf, size_t size)
{
	_cleanup_free_ char *v = child_text(parent, name);
	snprintf(buf, size, "%s", v ? v : "");
}

int vf_engine_parse_vm_numa(const char *xml, size_t len, uint64_t *nodes, char *tune, size_t tune_size,
			    char **errmsg)
{
	_cleanup_xmldoc_ xmlDoc *doc = NULL;
	xmlNode *top = NULL;
	int r = read_doc(xml, len, "vm_numa_nodes", &doc, &top, errmsg);
	if (r < 0)
		return r;
	uint64_t set = 0;
	tune[0] = '\0';
	vf_xml_for_each_child(vn, top, "vm_numa_node", VF_XML_ANY_NS) {
		if (!tune[0])
			child_copy(vn, "numa_tune_mode", tune, tune_size);
		vf_xml_for_each_child(pin, child(vn, "numa_node_pins"), "numa_node_pin", VF_XML_ANY_NS) {
			xmlNode *idx = child(pin, "index");
			long v;
			if (!idx)
				continue; /* a pin by the deprecated host_numa_node id alone: no index to use */
			r = int_of(idx, 0, VF_NUMA_NODES - 1, "a NUMA node", &v, errmsg);
			if (r < 0)
				return r;
			set |= UINT64_C(1) << v;
		}
	}
	*nodes = set;
	return 0;
}

/* "N" or "N-M" (N <= M), each 0..VF_CPUS_MAX-1 */
static bool cpu_range(const char *s, long *lo, long *hi)
{
	const char *dash = strchr(s, '-');
	_cleanup_free_ char *a = dash ? xstrndup(s, (size_t)(dash - s)) : xstrdup(s);
	if (parse_long(a, 0, VF_CPUS_MAX - 1, lo) < 0)
		return false;
	if (!dash) {
		*hi = *lo;
		return true;
	}
	return parse_long(dash + 1, *lo, VF_CPUS_MAX - 1, hi) == 0;
}

static void cpus_mark(struct vf_cpuset *set, long lo, long hi, bool on)
{
	for (long c = lo; c <= hi; c++) {
		uint64_t bit = UINT64_C(1) << (c % 64);
		set->bits[c / 64] = on ? set->bits[c / 64] | bit : set->bits[c / 64] & ~bit;
	}
}

/* As libvirt reads a cpuset: the listed CPUs, then the ^ ones taken out, whatever the order. */
int vf_cpuset_parse(const char *s, struct vf_cpuset *set)
{
	struct vf_cpuset add = { 0 }, del = { 0 };
	_cleanup_free_ char *copy = xstrdup(s);
	bool any = false;
	char *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		bool neg = *tok == '^';
		long lo, hi;
		if (!cpu_range(tok + neg, &lo, &hi))
			return -EINVAL;
		cpus_mark(neg ? &del : &add, lo, hi, true);
		any = true;
	}
	if (!any || s[strlen(s) - 1] == ',' || *s == ',' || strstr(s, ",,"))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(set->bits); i++)
		set->bits[i] = add.bits[i] & ~del.bits[i];
	return 0;
}

int vf_engine_parse_vm(const char *xml, size_t len, struct vf_cpuset *cpus, bool *any, char *tune,
		       size_t tune_size, char **errmsg)
{
	_cleanup_xmldoc_ xmlDoc *doc = NULL;
	xmlNode *top = NULL;
	int r = read_doc(xml, len, "vm", &doc, &top, errmsg);
	if (r < 0)
		return r;
	*cpus = (struct vf_cpuset){ 0 };
	*any = false;
	child_copy(top, "numa_tune_mode", tune, tune_size);
	xmlNode *pins = child(child(child(top, "cpu"), "cpu_tune"), "vcpu_pins");
	vf_xml_for_each_child(pin, pins, "vcpu_pin", VF_XML_ANY_NS) {
		xmlNode *cs = child(pin, "cpu_set");
		_cleanup_free_ char *v = cs ? text_of(cs) : NULL;
		struct vf_cpuset one;
		if (!v)
			continue;
		if (vf_cpuset_parse(v, &one) < 0) {
			char q[48];
			vf_quote_value(q, sizeof q, v);
			return set_error(errmsg, -EINVAL, "line %ld: <cpu_set> '%s' is not a CPU list of 0..%d",
					 xmlGetLineNo(cs), q, VF_CPUS_MAX - 1);
		}
		for (size_t i = 0; i < ARRAY_SIZE(one.bits); i++)
			cpus->bits[i] |= one.bits[i];
		*any = true;
	}
	return 0;
}

static int parse_host_node(const xmlNode *hn, struct vf_host_numa_node *node, char **errmsg)
{
	xmlNode *idx = child(hn, "index");
	long v;
	if (!idx)
		return set_error(errmsg, -EINVAL, "line %ld: <host_numa_node> without <index>", xmlGetLineNo(hn));
	int r = int_of(idx, 0, VF_NUMA_NODES - 1, "a NUMA node", &v, errmsg);
	if (r < 0)
		return r;
	node->index = (int)v;
	vf_xml_for_each_child(core, child(child(hn, "cpu"), "cores"), "core", VF_XML_ANY_NS) {
		xmlNode *ci = child(core, "index");
		if (!ci)
			continue;
		r = int_of(ci, 0, VF_CPUS_MAX - 1, "a CPU", &v, errmsg);
		if (r < 0)
			return r;
		cpus_mark(&node->cpus, v, v, true);
	}
	return 0;
}

int vf_engine_parse_host_numa(const char *xml, size_t len, struct vf_host_numa_node **ret, size_t *n,
			      char **errmsg)
{
	_cleanup_xmldoc_ xmlDoc *doc = NULL;
	xmlNode *top = NULL;
	int r = read_doc(xml, len, "host_numa_nodes", &doc, &top, errmsg);
	if (r < 0)
		return r;
	_cleanup_free_ struct vf_host_numa_node *nodes = NULL;
	size_t count = 0;
	vf_xml_for_each_child(hn, top, "host_numa_node", VF_XML_ANY_NS) {
		struct vf_host_numa_node *node = array_append(&nodes, &count, sizeof(*nodes));
		r = parse_host_node(hn, node, errmsg);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(nodes);
	*n = count;
	return 0;
}

void vf_numa_nodes_text(uint64_t nodes, char *buf, size_t size)
{
	size_t at = 0;
	buf[0] = '\0';
	for (int i = 0; i < VF_NUMA_NODES && nodes; i++) {
		if (!(nodes & (UINT64_C(1) << i)))
			continue;
		nodes &= ~(UINT64_C(1) << i);
		int w = snprintf(buf + at, size - at, "%s%d", at ? "," : "", i);
		if (w < 0 || (size_t)w >= size - at) {
			snprintf(buf + (size > 4 ? size - 4 : 0), size > 4 ? 4 : size, "...");
			return;
		}
		at += (size_t)w;
	}
	if (!at)
		snprintf(buf, size, "-");
}
