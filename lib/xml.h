/* SPDX-License-Identifier: MIT */
/* libxml2 for the whole project: cleanup attributes, the one reader of XML that comes from
 * outside (whole documents and documents that arrive in pieces), and the element helpers the
 * walkers of every format share. No other file sets up a libxml2 parser. */
#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

static inline void vf_xml_doc_freep(xmlDoc **d)
{
	if (*d)
		xmlFreeDoc(*d);
}
#define _cleanup_xmldoc_ _cleanup_(vf_xml_doc_freep)

static inline void vf_xml_ctxt_freep(xmlParserCtxt **c)
{
	if (*c)
		xmlFreeParserCtxt(*c);
}
#define _cleanup_xmlctxt_ _cleanup_(vf_xml_ctxt_freep)

static inline void vf_xml_strfreep(xmlChar **s)
{
	if (*s)
		xmlFree(*s);
}
#define _cleanup_xmlstr_ _cleanup_(vf_xml_strfreep)

/* ---- reading ---- */

/* How many elements may be open at once by default. The formats read here stay far below:
 * a libvirt domain about 10, an engine answer about 6, an XML-RPC call at its value limit
 * 3 * 32 + 4. */
#define VF_XML_MAX_DEPTH 128
/* libxml2's own limit without XML_PARSE_HUGE (never set): a larger max_depth is read as this,
 * so that the reader's own error, which names the limit, always comes first. */
#define VF_XML_MAX_DEPTH_CAP 256

/* What a read allows; all zero is the default. */
struct vf_xml_opts {
	int options;        /* XML_PARSE_* to add (BIG_LINES, ...); NOENT, DTDLOAD, DTDATTR, XINCLUDE
			     * and HUGE are dropped, NONET, NOERROR and NOWARNING always added */
	int max_depth;      /* elements open at once; 0: VF_XML_MAX_DEPTH, at most the cap */
	size_t max_bytes;   /* a longer document is -EFBIG; 0 or more than INT_MAX: INT_MAX */
	bool utf8_only;     /* the bytes are UTF-8 whatever a declaration or BOM says: no iconv
			     * converter runs (none can print, none can read pieces differently) */
	bool inert_doctype; /* XML from the local libvirt daemon only: a DOCTYPE is read instead of
			     * refused; nothing is loaded, and entity references stay references
			     * (vf_xml_text writes them as "&name;") */
};

/* Why a document was refused. */
enum vf_xml_refusal { VF_XML_OK, VF_XML_MALFORMED, VF_XML_DOCTYPE, VF_XML_TOO_DEEP, VF_XML_TOO_LARGE };

struct vf_xml_where {
	enum vf_xml_refusal what;
	int line, column; /* from 1; 0 when unknown (too large) */
};

/* Parse a document from outside (VDSM payloads, engine answers, XML-RPC calls, libvirt's XML).
 * Nothing is substituted, loaded, included or fetched, and a DOCTYPE is refused as soon as the
 * parser reaches it, before any declaration in it is read. libxml2 prints nothing: its handlers
 * are swapped for the call (per thread) and put back. opts NULL: the defaults. where (may be
 * NULL) says why and where a document was refused. Returns 0 and *ret (xmlFreeDoc), or
 *   -EINVAL  "line N: DOCTYPE not allowed",
 *            "line N: Excessive depth in document: elements nested deeper than D",
 *            "line N: <libxml2's first fatal error, its lines joined by a space>";
 *   -EFBIG   "document too large (N bytes, at most M)"; -ENOMEM.
 * One errno for every refusal of the content, -EINVAL: a DOCTYPE, a depth, a syntax error are
 * all a malformed document to the protocols read here, which answer -EINVAL for bad input
 * (vf_payload_parse, rpc_parse_call, vf_engine_parse_*); -EPERM would speak of permissions.
 * where->what tells a caller that words its own message (XML-RPC's "values nested deeper"). */
int vf_xml_read_untrusted(const char *buf, size_t len, const struct vf_xml_opts *opts, xmlDocPtr *ret,
			  struct vf_xml_where *where, char **errmsg);

/* The same rules for a document that arrives in pieces and is too big to hold as a tree: a
 * push parser calling the caller's SAX2 handlers (startElementNs, endElementNs, characters;
 * their ctx is the parser context) and building nothing. opts as above (max_bytes counts every
 * byte fed; inert_doctype is ignored: a DOCTYPE is always refused). */
struct vf_xml_push;
struct vf_xml_push *vf_xml_push_new(const xmlSAXHandler *sax, void *user, const struct vf_xml_opts *opts);
/* Feed the next len bytes (last: the end of the document). 0, or -errno with *errmsg as
 * vf_xml_read_untrusted's; once failed, every later call fails the same way. */
int vf_xml_push_feed(struct vf_xml_push *p, const char *buf, size_t len, bool last, char **errmsg);
void vf_xml_push_free(struct vf_xml_push *p);
/* From a SAX handler (ctx is the parser context): the user pointer given to vf_xml_push_new. */
void *vf_xml_push_user(xmlParserCtxtPtr ctxt);
/* From a SAX handler: stop the parse with r and "line N: MESSAGE" (the current line). */
void vf_xml_push_fail(xmlParserCtxtPtr ctxt, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* libvirt parses its own XML with libxml2 in the calling thread, and libxml2 prints some of
 * its warnings (the test driver's "failed to load external entity") through the generic error
 * function: silence that function in this thread until vf_xml_quiet_end. libvirt's own
 * per-context handlers still run. */
struct vf_xml_quiet {
	xmlGenericErrorFunc func;
	void *ctx;
};
struct vf_xml_quiet vf_xml_quiet_begin(void);
void vf_xml_quiet_end(struct vf_xml_quiet *q);

/* ---- walking a tree ---- */

/* How element names are matched: by local name either way. VF_XML_NO_NS: in no namespace (as
 * libvirt writes its XML; oVirt's metadata elements in theirs are never taken). VF_XML_ANY_NS:
 * in any namespace, and a prefix left undeclared is dropped too (ex:i8 from Apache XML-RPC,
 * an engine answer with a default namespace). */
enum vf_xml_ns { VF_XML_NO_NS, VF_XML_ANY_NS };

/* The element's local name; a prefix that was never declared is dropped ("x:a" -> "a"). */
const char *vf_xml_name(const xmlNode *n);
/* Is n an element named name (NULL: any name), in ns's way? n may be NULL. */
bool vf_xml_is(const xmlNode *n, const char *name, enum vf_xml_ns ns);
/* n itself or the first sibling after it that vf_xml_is(.., name, ns); NULL when none. */
xmlNode *vf_xml_next(const xmlNode *n, const char *name, enum vf_xml_ns ns);
/* The first child element of parent named name (NULL: any); NULL when none or parent NULL. */
xmlNode *vf_xml_child(const xmlNode *parent, const char *name, enum vf_xml_ns ns);
#define vf_xml_for_each_child(c, parent, name, ns)                                                 \
	for (xmlNode *c = vf_xml_child(parent, name, ns); c; c = vf_xml_next(c->next, name, ns))

/* The attribute name in no namespace, as the tree holds it (no DTD default can apply); NULL
 * when absent. */
xmlAttr *vf_xml_attr(const xmlNode *n, const char *name);
/* Its value (caller frees), NULL when absent. */
char *vf_xml_attr_value(const xmlNode *n, const char *name);
/* The text directly inside n (its text and CDATA children, in order; "" when none; caller
 * frees). Child elements are not looked into. An entity reference (only with inert_doctype)
 * stays as written, "&name;": a DOCTYPE must not be able to change or inflate a value. */
char *vf_xml_text(const xmlNode *n);
/* A text node that is only blanks (indentation). */
bool vf_xml_is_blank(const xmlNode *n);
