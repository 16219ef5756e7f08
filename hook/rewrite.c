/* SPDX-License-Identifier: MIT */
/* Reading, rewriting and writing back the VDSM payload (see rewrite.h). */
#include "rewrite.h"

#include <ctype.h>
#include <errno.h>
#include <libxml/chvalid.h>
#include <libxml/parser.h>
#include <libxml/xmlsave.h>
#include <limits.h>
#include <string.h>

#include "util.h"
#include "xml.h"

/* libxml2 reports allocation failure by returning NULL; like xmalloc, the hook does not go on. */
static void *xml_alloc_check(void *p)
{
	if (!p) {
		fputs("out of memory\n", stderr);
		abort();
	}
	return p;
}

/* ---- parsing ---- */

static size_t line_at(const char *buf, const char *p)
{
	size_t line = 1;
	for (const char *q = buf; (q = memchr(q, '\n', (size_t)(p - q))); q++)
		line++;
	return line;
}

static int check_bytes(const char *buf, size_t len, const char *where, char **errmsg)
{
	if (!buf || len == 0)
		return set_error(errmsg, -EINVAL, "%s: empty payload", where);
	if (len > INT_MAX)
		return set_error(errmsg, -EFBIG, "%s: payload too large (%zu bytes)", where, len);
	/* libxml2 would stop at a NUL and call what follows "extra content": say what it is. */
	const char *nul = memchr(buf, '\0', len);
	if (nul)
		return set_error(errmsg, -EINVAL, "%s: line %zu: NUL byte in payload", where,
				 line_at(buf, nul));
	return 0;
}

int vf_payload_parse(const char *buf, size_t len, const char *where, xmlDocPtr *ret, char **errmsg)
{
	if (!where)
		where = "payload";
	int r = check_bytes(buf, len, where, errmsg);
	if (r < 0)
		return r;
	/* lib/xml.c's reader with its defaults: no NOBLANKS, so the indentation read is the
	 * indentation written */
	_cleanup_free_ char *err = NULL;
	struct vf_xml_where at;
	r = vf_xml_read_untrusted(buf, len, NULL, ret, &at, &err);
	if (at.what == VF_XML_DOCTYPE)
		return set_error(errmsg, r, "%s: %s (VDSM never sends one)", where, err);
	if (r < 0)
		return set_error(errmsg, r, "%s: %s", where, err);
	return 0;
}

/* ---- writing ---- */

int vf_payload_serialize(xmlDocPtr doc, char **out, size_t *len)
{
	if (!doc)
		return -EINVAL;
	/* Naming UTF-8 makes libxml2 write non-ASCII text and attribute values as UTF-8 (without an
	 * encoding it writes &#xE9; references); format 0 adds no indentation. */
	xmlChar *mem = NULL;
	int n = 0;
	xmlDocDumpFormatMemoryEnc(doc, &mem, &n, "UTF-8", 0);
	if (!mem)
		return -ENOMEM;
	if (n < 0) {
		xmlFree(mem);
		return -EIO;
	}
	/* Copied so that the caller frees with free(), whatever allocator libxml2 was given. */
	char *s = xmalloc((size_t)n + 1);
	memcpy(s, mem, (size_t)n);
	s[n] = '\0';
	xmlFree(mem);
	*out = s;
	if (len)
		*len = (size_t)n;
	return 0;
}

/* ---- finding things ---- */

/* Elements are matched by local name in no namespace (rewrite.h). */
static bool is_elem(const xmlNode *n, const char *name)
{
	return vf_xml_is(n, name, VF_XML_NO_NS);
}

/* n itself or its first following sibling that is the element name (NULL: none). */
static xmlNodePtr next_elem(xmlNodePtr n, const char *name)
{
	return vf_xml_next(n, name, VF_XML_NO_NS);
}

static xmlNodePtr child(const xmlNode *parent, const char *name)
{
	return vf_xml_child(parent, name, VF_XML_NO_NS);
}

/* The attribute's value as the tree holds it: no DTD default can apply (there is no DTD). */
static bool attr_is(const xmlNode *n, const char *name, const char *value)
{
	_cleanup_free_ char *v = vf_xml_attr_value(n, name);
	return v && streq(v, value);
}

static size_t count_attrs(const xmlNode *n)
{
	size_t k = 0;
	for (xmlAttrPtr a = n->properties; a; a = a->next)
		k++;
	return k;
}

bool vf_payload_is_domain(xmlDocPtr doc)
{
	return doc && is_elem(xmlDocGetRootElement(doc), "domain");
}

static void push_node(xmlNodePtr **arr, size_t *n, xmlNodePtr node)
{
	*(xmlNodePtr *)array_append(arr, n, sizeof(node)) = node;
}

size_t vf_payload_interfaces(xmlDocPtr doc, xmlNodePtr **out)
{
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	xmlNodePtr *found = NULL;
	size_t n = 0;
	if (is_elem(root, "interface")) {
		push_node(&found, &n, root);
	} else if (is_elem(root, "domain")) {
		vf_xml_for_each_child(devices, root, "devices", VF_XML_NO_NS)
			vf_xml_for_each_child(iface, devices, "interface", VF_XML_NO_NS)
				push_node(&found, &n, iface);
	}
	*out = found;
	return n;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* libvirt's virMacAddrParse accepts one or two hex digits per byte and anything blank after the
 * sixth: read the same addresses libvirt does, so that the hook and libvirt agree on a NIC. */
static bool parse_mac(const char *s, unsigned char mac[6])
{
	for (int i = 0; i < 6; i++) {
		int digits = 0, v = 0;
		for (int d; digits < 3 && (d = hex_digit(*s)) >= 0; s++, digits++)
			v = v * 16 + d;
		if (digits < 1 || digits > 2)
			return false;
		mac[i] = (unsigned char)v;
		if (i < 5 && *s++ != ':')
			return false;
	}
	return s[strspn(s, " \t\r\n")] == '\0';
}

char *vf_iface_mac(xmlNodePtr iface)
{
	xmlNodePtr mac = iface ? child(iface, "mac") : NULL;
	_cleanup_free_ char *v = mac ? vf_xml_attr_value(mac, "address") : NULL;
	unsigned char m[6];
	if (!v || !parse_mac(v, m))
		return NULL;
	return xasprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* ---- editing, keeping the layout ---- */

/* Unlink and free n with the indentation before it, so no blank line is left behind. */
static void drop_node(xmlNodePtr n)
{
	if (vf_xml_is_blank(n->prev)) {
		xmlNodePtr ws = n->prev;
		xmlUnlinkNode(ws);
		xmlFreeNode(ws);
	}
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

/* Drop every element name among the siblings after n (n itself stays); returns how many. */
static int drop_following(xmlNodePtr n, const char *name)
{
	int k = 0;
	for (xmlNodePtr c = next_elem(n->next, name), next; c; c = next, k++) {
		next = next_elem(c->next, name);
		drop_node(c);
	}
	return k;
}

/* A copy of the indentation before ref, or NULL when ref has none (a one-line document). */
static xmlNodePtr indent_like(xmlNodePtr ref)
{
	if (!vf_xml_is_blank(ref->prev))
		return NULL;
	return xml_alloc_check(xmlNewDocText(ref->doc, ref->prev->content));
}

/* Insert n right after ref on a line of its own when ref has one: ref, ref's indentation, n. */
static void insert_after(xmlNodePtr ref, xmlNodePtr n)
{
	xmlNodePtr ws = indent_like(ref);
	xmlAddNextSibling(ref, n);
	if (ws)
		xmlAddNextSibling(ref, ws); /* element neighbours on both sides: no text merge */
}

/* Insert n before parent's first element child (indented like it), or as its only child. */
static void insert_first(xmlNodePtr parent, xmlNodePtr n)
{
	xmlNodePtr first = vf_xml_child(parent, NULL, VF_XML_ANY_NS);
	if (!first) {
		xmlAddChild(parent, n);
		return;
	}
	xmlNodePtr ws = indent_like(first);
	xmlAddPrevSibling(first, n);
	if (ws)
		xmlAddNextSibling(n, ws);
}

static xmlNodePtr new_elem(xmlDocPtr doc, const char *name)
{
	return xml_alloc_check(xmlNewDocNode(doc, NULL, BAD_CAST name, NULL));
}

static void add_attr(xmlNodePtr n, const char *name, const char *value)
{
	xml_alloc_check(xmlNewProp(n, BAD_CAST name, BAD_CAST value));
}

/* Set an attribute (no namespace) unless it already has the value; an existing one keeps its
 * place among the attributes. Returns 1 when changed. */
static int set_attr(xmlNodePtr n, const char *name, const char *value)
{
	if (attr_is(n, name, value))
		return 0;
	xml_alloc_check(xmlSetNsProp(n, NULL, BAD_CAST name, BAD_CAST value));
	return 1;
}

/* Remove every attribute but name1 and name2 (either may be NULL), and any in a namespace. */
static int keep_attrs(xmlNodePtr n, const char *name1, const char *name2)
{
	int k = 0;
	for (xmlAttrPtr a = n->properties, next; a; a = next) {
		next = a->next;
		const char *an = (const char *)a->name;
		if (a->ns || !(streq_ptr(an, name1) || streq_ptr(an, name2))) {
			xmlRemoveProp(a);
			k++;
		}
	}
	return k;
}

static int drop_content(xmlNodePtr n)
{
	int k = 0;
	for (xmlNodePtr c; (c = n->children); k++) {
		xmlUnlinkNode(c);
		xmlFreeNode(c);
	}
	return k;
}

/* ---- the rewrites ---- */

/* Names go into attributes: refuse what VDSM could not read back. Every character must be
 * UTF-8 in its shortest form (libxml2's decoder lets "\xc0\xaf" through as '/'), one XML 1.0
 * allows (no U+FFFE, no surrogate), and no control character: libxml2 would write &#x1;, and a
 * tab or newline would not survive attribute value normalization. */
static bool valid_value(const char *s)
{
	if (!s || !*s)
		return false;
	const xmlChar *p = BAD_CAST s;
	for (int left = (int)strlen(s), n; left > 0; p += n, left -= n) {
		n = left;
		int c = xmlGetUTF8Char(p, &n);
		int shortest = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
		if (c < 0x20 || c == 0x7f || n != shortest || !xmlIsCharQ(c))
			return false;
	}
	return true;
}

static bool is_iface(xmlNodePtr n)
{
	return is_elem(n, "interface");
}

/* The <source> of a type='network' interface: the attributes network (and portgroup) and
 * nothing else. libvirt reads only the first <source>, so the first is the one that was in
 * effect and is the one rewritten, where it stands; the others are removed rather than left to
 * mislead a reader (or a tool that, like the old hooks, takes the last or every one). Content of
 * the old source (vhostuser's <reconnect>, udp's <local>) means nothing for a network and goes. */
static int fix_source(xmlNodePtr iface, const char *network, const char *portgroup)
{
	xmlNodePtr src = child(iface, "source");
	if (!src) {
		src = new_elem(iface->doc, "source");
		add_attr(src, "network", network);
		if (portgroup)
			add_attr(src, "portgroup", portgroup);
		/* Where libvirt writes it: right after <mac>, or first when there is no <mac>. */
		xmlNodePtr mac = child(iface, "mac");
		if (mac)
			insert_after(mac, src);
		else
			insert_first(iface, src);
		return 1;
	}
	int k = drop_following(src, "source");
	k += keep_attrs(src, "network", portgroup ? "portgroup" : NULL);
	k += set_attr(src, "network", network);
	if (portgroup)
		k += set_attr(src, "portgroup", portgroup);
	k += drop_content(src);
	return k;
}

static bool source_is(xmlNodePtr iface, const char *network)
{
	xmlNodePtr src = child(iface, "source");
	return src && !next_elem(src->next, "source") && count_attrs(src) == 1 &&
	       attr_is(src, "network", network) && !src->children;
}

/* Exactly <virtualport type='802.1Qbh'><parameters profileid='PROFILE'/></virtualport>, blanks
 * inside allowed (a pretty-printed one is as good). */
static bool virtualport_is(xmlNodePtr vp, const char *profile)
{
	if (count_attrs(vp) != 1 || !attr_is(vp, "type", "802.1Qbh"))
		return false;
	xmlNodePtr params = NULL;
	for (xmlNodePtr c = vp->children; c; c = c->next) {
		if (vf_xml_is_blank(c))
			continue;
		if (params || !is_elem(c, "parameters"))
			return false;
		params = c;
	}
	return params && count_attrs(params) == 1 && attr_is(params, "profileid", profile) &&
	       !params->children;
}

static xmlNodePtr new_virtualport(xmlDocPtr doc, const char *profile)
{
	xmlNodePtr vp = new_elem(doc, "virtualport");
	add_attr(vp, "type", "802.1Qbh");
	xmlNodePtr params = new_elem(doc, "parameters");
	add_attr(params, "profileid", profile);
	xml_alloc_check(xmlAddChild(vp, params));
	return vp;
}

/* One <virtualport>, the first one's place kept, written on one line when it has to be built:
 * the old one's parameters (an Open vSwitch interfaceid, an 802.1Qbg instanceid) belong to
 * another kind of port and must not be carried over. Runs after fix_source: <source> exists. */
static int fix_virtualport(xmlNodePtr iface, const char *profile)
{
	xmlNodePtr vp = child(iface, "virtualport");
	if (!vp) {
		insert_after(child(iface, "source"), new_virtualport(iface->doc, profile));
		return 1;
	}
	int k = drop_following(vp, "virtualport");
	if (virtualport_is(vp, profile))
		return k;
	xmlReplaceNode(vp, new_virtualport(iface->doc, profile));
	xmlFreeNode(vp);
	return k + 1;
}

static int drop_filterrefs(xmlNodePtr iface)
{
	int k = 0;
	for (xmlNodePtr f = child(iface, "filterref"), next; f; f = next, k++) {
		next = next_elem(f->next, "filterref");
		drop_node(f);
	}
	return k;
}

int vf_iface_set_vmfex(xmlNodePtr iface, const char *pool, const char *profile)
{
	if (!is_iface(iface) || !valid_value(pool) || !valid_value(profile))
		return -EINVAL;
	int k = set_attr(iface, "type", "network");
	k += fix_source(iface, pool, NULL);
	k += drop_filterrefs(iface);
	k += fix_virtualport(iface, profile);
	return k > 0;
}

int vf_iface_set_extnet(xmlNodePtr iface, const char *network, const char *portgroup)
{
	if (!is_iface(iface) || !valid_value(network) || (portgroup && !valid_value(portgroup)))
		return -EINVAL;
	int k = set_attr(iface, "type", "network");
	k += fix_source(iface, network, portgroup);
	return k > 0;
}

bool vf_iface_is_vmfex(xmlNodePtr iface, const char *pool, const char *profile)
{
	if (!is_iface(iface) || !valid_value(pool) || !valid_value(profile))
		return false;
	xmlNodePtr vp = child(iface, "virtualport");
	return attr_is(iface, "type", "network") && source_is(iface, pool) &&
	       !child(iface, "filterref") && vp && !next_elem(vp->next, "virtualport") &&
	       virtualport_is(vp, profile);
}

bool vf_iface_on_network(xmlNodePtr iface, const char *network)
{
	xmlNodePtr src = is_iface(iface) ? child(iface, "source") : NULL;
	return src && network && *network && attr_is(src, "network", network);
}
