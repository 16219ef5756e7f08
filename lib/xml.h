/* SPDX-License-Identifier: MIT */
/* libxml2 helpers shared by the libvirt reader, the hook and the filter: cleanup attributes,
 * and one way to parse XML that comes from outside. */
#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stddef.h>

static inline void vf_xml_doc_freep(xmlDoc **d)
{
	if (*d)
		xmlFreeDoc(*d);
}
#define _cleanup_xmldoc_ __attribute__((cleanup(vf_xml_doc_freep)))

static inline void vf_xml_ctxt_freep(xmlParserCtxt **c)
{
	if (*c)
		xmlFreeParserCtxt(*c);
}
#define _cleanup_xmlctxt_ __attribute__((cleanup(vf_xml_ctxt_freep)))

static inline void vf_xml_strfreep(xmlChar **s)
{
	if (*s)
		xmlFree(*s);
}
#define _cleanup_xmlstr_ __attribute__((cleanup(vf_xml_strfreep)))

/* Parse a document from outside (VDSM payloads, engine answers): never NOENT, DTDLOAD, DTDATTR,
 * XINCLUDE or HUGE whatever options say, NONET always, and a document with a DOCTYPE refused
 * before any declaration in it is read (-EPERM, "line N: DOCTYPE not allowed"). libxml2 prints
 * nothing: its first fatal error becomes -EINVAL with *errmsg "line N: what", its lines joined.
 * len > INT_MAX is -EFBIG. */
int vf_xml_read_untrusted(const char *buf, size_t len, int options, xmlDocPtr *ret, char **errmsg);
