/* SPDX-License-Identifier: MIT */
/* libxml2 helpers shared by the libvirt reader, the hook and the filter: cleanup attributes,
 * and one way to parse XML that comes from outside. */
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

/* Parse a document from outside (VDSM payloads, engine answers): never NOENT, DTDLOAD, DTDATTR,
 * XINCLUDE or HUGE whatever options say, NONET always, and a document with a DOCTYPE refused
 * before any declaration in it is read (-EPERM, "line N: DOCTYPE not allowed"). libxml2 prints
 * nothing: its first fatal error becomes -EINVAL with *errmsg "line N: what", its lines joined.
 * len > INT_MAX is -EFBIG. */
int vf_xml_read_untrusted(const char *buf, size_t len, int options, xmlDocPtr *ret, char **errmsg);

/* The same rules for a document that arrives in pieces and is too big to hold as a tree: a
 * push parser calling the caller's SAX2 handlers (startElementNs, endElementNs, characters;
 * their ctx is the parser context, whose _private is user) and building nothing. The bytes
 * are read as UTF-8 whatever an encoding declaration says. A DOCTYPE
 * stops it (-EPERM, "line N: DOCTYPE not allowed"); libxml2's first fatal error is -EINVAL
 * "line N: what"; a handler that calls vf_xml_push_fail stops it with its own message. */
struct vf_xml_push;
struct vf_xml_push *vf_xml_push_new(const xmlSAXHandler *sax, void *user);
/* Feed the next len bytes (last: the end of the document). 0, or -errno with *errmsg; once
 * failed, every later call fails the same way. */
int vf_xml_push_feed(struct vf_xml_push *p, const char *buf, size_t len, bool last, char **errmsg);
void vf_xml_push_free(struct vf_xml_push *p);
/* From a SAX handler (ctx is the parser context): the user pointer given to vf_xml_push_new. */
void *vf_xml_push_user(xmlParserCtxtPtr ctxt);
/* From a SAX handler: stop the parse with r and "line N: MESSAGE" (the current line). */
void vf_xml_push_fail(xmlParserCtxtPtr ctxt, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
