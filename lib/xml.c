/* SPDX-License-Identifier: MIT */
/* Parsing XML that comes from outside (see xml.h). */
#include "xml.h"

#include <ctype.h>
#include <errno.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>
#include <limits.h>
#include <string.h>

#include "util.h"

/* libxml2 2.12 made the structured error handler take a const error. */
#if LIBXML_VERSION >= 21200
#define XML_ERROR_CONST const
#else
#define XML_ERROR_CONST
#endif

/* Whatever the caller asks for, nothing is substituted, loaded, included or fetched, and
 * libxml2's own limits stay on. */
#define FORBIDDEN_OPTIONS (XML_PARSE_NOENT | XML_PARSE_DTDLOAD | XML_PARSE_DTDATTR | XML_PARSE_XINCLUDE | XML_PARSE_HUGE)

/* What one parse saw: a DOCTYPE, and libxml2's first fatal error (the later ones are mostly
 * consequences of it, e.g. "Premature end of data" after a tag mismatch). */
struct parse_state {
	bool doctype;
	int doctype_line;
	int err_line;
	char *err_msg;
};

static void parse_state_clear(struct parse_state *st)
{
	free(st->err_msg);
}

static void capture_error(void *data, XML_ERROR_CONST xmlError *e)
{
	struct parse_state *st = data;
	if (!e || e->level != XML_ERR_FATAL || st->err_msg)
		return;
	st->err_msg = xstrdup(e->message ? e->message : "malformed XML");
	st->err_line = e->line;
}

static void discard_generic(void *ctx, const char *fmt, ...)
{
}

/* libxml2 prints through its generic handler, or a structured one when the program set one,
 * and a few errors (encoding conversion) are raised without the parser context: for the parse,
 * send everything to capture_error, then put back what was there. Both are per-thread in
 * libxml2, so this does not disturb another thread. */
struct xml_handlers {
	xmlGenericErrorFunc generic;
	void *generic_ctx;
	xmlStructuredErrorFunc structured;
	void *structured_ctx;
};

static struct xml_handlers handlers_capture(struct parse_state *st)
{
	struct xml_handlers h = { xmlGenericError, xmlGenericErrorContext, xmlStructuredError,
				  xmlStructuredErrorContext };
	xmlSetGenericErrorFunc(NULL, discard_generic);
	xmlSetStructuredErrorFunc(st, capture_error);
	return h;
}

static void handlers_restore(struct xml_handlers *h)
{
	xmlSetGenericErrorFunc(h->generic_ctx, h->generic);
	xmlSetStructuredErrorFunc(h->structured_ctx, h->structured);
}

/* SAX internalSubset runs for every <!DOCTYPE ...>, right after its name and external id and
 * before any declaration in it: stopping here means no entity is ever declared, let alone
 * expanded or fetched. */
static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct parse_state *st = ctxt->_private;
	st->doctype = true;
	st->doctype_line = xmlSAX2GetLineNumber(ctxt);
	xmlStopParser(ctxt);
}

/* libxml2's messages end in a newline and some have two lines ("Input is not proper UTF-8,
 * indicate encoding !\nBytes: 0xE9 ..."): keep every line, joined by a space. */
static char *one_line(const char *msg)
{
	char *s = xstrdup(msg);
	size_t n = 0;
	for (const char *p = msg; *p; p++) {
		if (*p == '\n' || *p == '\r') {
			if (n > 0 && s[n - 1] != ' ')
				s[n++] = ' ';
		} else {
			s[n++] = iscntrl((unsigned char)*p) ? '?' : *p;
		}
	}
	while (n > 0 && s[n - 1] == ' ')
		n--;
	s[n] = '\0';
	return s;
}

static int parse_error(xmlParserCtxtPtr ctxt, const struct parse_state *st, char **errmsg)
{
	const char *msg = st->err_msg;
	int line = st->err_line;
	if (!msg) {
		const xmlError *last = xmlCtxtGetLastError(ctxt);
		msg = last && last->message ? last->message : "malformed XML";
		line = last ? last->line : 0;
	}
	_cleanup_free_ char *text = one_line(msg);
	return set_error(errmsg, -EINVAL, "line %d: %s", line, text);
}

int vf_xml_read_untrusted(const char *buf, size_t len, int options, xmlDocPtr *ret, char **errmsg)
{
	if (len > INT_MAX)
		return set_error(errmsg, -EFBIG, "document too large (%zu bytes)", len);
	_cleanup_(parse_state_clear) struct parse_state st = { 0 };
	_cleanup_xmlctxt_ xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return set_error(errmsg, -ENOMEM, "out of memory");
	ctxt->_private = &st;
	ctxt->sax->internalSubset = refuse_doctype;
	options = (options & ~FORBIDDEN_OPTIONS) | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
	_cleanup_xmldoc_ xmlDocPtr doc = NULL;
	{
		_cleanup_(handlers_restore) struct xml_handlers saved = handlers_capture(&st);
		doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, NULL, options);
	}
	/* A stopped parser may still hand back the part it built: the flag decides. */
	if (st.doctype || (doc && (doc->intSubset || doc->extSubset)))
		return set_error(errmsg, -EPERM, "line %d: DOCTYPE not allowed", st.doctype_line);
	if (!doc)
		return parse_error(ctxt, &st, errmsg);
	*ret = TAKE_PTR(doc);
	return 0;
}

/* ---- push parsing ---- */

#define PUSH_PIECE (1 << 20)

struct vf_xml_push {
	struct parse_state st; /* first: refuse_doctype takes _private for a parse_state */
	xmlParserCtxtPtr ctxt;
	int r;        /* set by vf_xml_push_fail, or the first failure */
	char *failed; /* its message */
	void *user;
};

struct vf_xml_push *vf_xml_push_new(const xmlSAXHandler *sax, void *user)
{
	xmlSAXHandler h = *sax;
	h.initialized = XML_SAX2_MAGIC;
	h.internalSubset = refuse_doctype;
	struct vf_xml_push *p = xcalloc(1, sizeof *p);
	p->user = user;
	p->ctxt = xmlCreatePushParserCtxt(&h, NULL, NULL, 0, NULL);
	if (!p->ctxt) {
		free(p);
		return NULL;
	}
	/* IGNORE_ENC: the bytes are UTF-8 whatever the declaration says. Through iconv (a
	 * declared "UTF08" is one to glibc) libxml2's push parser can take the same bytes
	 * differently when they come in other pieces (found by tests/fuzz/fuzz_engine.c). */
	xmlCtxtUseOptions(p->ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES |
					   XML_PARSE_IGNORE_ENC);
	p->ctxt->_private = p;
	return p;
}

/* The handlers' ctx is the parser context; its _private the push state, whose user the
 * caller's: one indirection the handlers take through vf_xml_push_user. */
void *vf_xml_push_user(xmlParserCtxtPtr ctxt)
{
	return ((struct vf_xml_push *)ctxt->_private)->user;
}

void vf_xml_push_fail(xmlParserCtxtPtr ctxt, int r, const char *fmt, ...)
{
	struct vf_xml_push *p = ctxt->_private;
	if (p->r)
		return;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	p->r = r;
	p->failed = xasprintf("line %d: %s", xmlSAX2GetLineNumber(ctxt), msg);
	xmlStopParser(ctxt);
}

int vf_xml_push_feed(struct vf_xml_push *p, const char *buf, size_t len, bool last, char **errmsg)
{
	/* libxml2 refuses to look ahead over more than 10 MB at once ("Huge input lookup")
	 * without XML_PARSE_HUGE: a big buffer goes in 1 MiB pieces */
	while (!p->r && (len > 0 || last)) {
		int n = len > PUSH_PIECE ? PUSH_PIECE : (int)len;
		bool end = last && (size_t)n == len;
		int rc;
		{
			_cleanup_(handlers_restore) struct xml_handlers saved = handlers_capture(&p->st);
			rc = xmlParseChunk(p->ctxt, buf, n, end);
		}
		if (p->st.doctype && !p->r) {
			p->r = -EPERM;
			p->failed = xasprintf("line %d: DOCTYPE not allowed", p->st.doctype_line);
		} else if ((rc != 0 || !p->ctxt->wellFormed) && !p->r) {
			p->r = parse_error(p->ctxt, &p->st, &p->failed);
		}
		buf += n;
		len -= (size_t)n;
		if (end)
			break;
	}
	return p->r ? set_error(errmsg, p->r, "%s", p->failed) : 0;
}

void vf_xml_push_free(struct vf_xml_push *p)
{
	if (!p)
		return;
	xmlFreeParserCtxt(p->ctxt);
	parse_state_clear(&p->st);
	free(p->failed);
	free(p);
}
