/* SPDX-License-Identifier: MIT */
/* Cleanup helpers for libxml2 objects, shared by the libvirt reader and the hook. */
#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>

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
