/* SPDX-License-Identifier: MIT */
/* Reading XML that comes from outside, and walking its tree (see xml.h). */
#include "xml.h"

#include <ctype.h>
#include <errno.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>
#include <limits.h>
#include <stdarg.h>
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
#define FORBIDDEN_OPTIONS                                                                          \
	(XML_PARSE_NOENT | XML_PARSE_DTDLOAD | XML_PARSE_DTDATTR | XML_PARSE_XINCLUDE | XML_PARSE_HUGE)
#define ALWAYS_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

/* What one parse saw; the parser context's _private. */
struct parse_state {
	int max_depth;
	int depth; /* elements open now */
	startElementNsSAX2Func start; /* the handlers the counting ones hand on to */
	endElementNsSAX2Func end;
	enum vf_xml_refusal stopped; /* by a SAX handler here: DOCTYPE or TOO_DEEP */
	int stop_line, stop_column;
	int err_line, err_column;
	char *err_msg; /* libxml2's first fatal error; the later ones mostly follow from it */
	void *user;    /* a push parser's caller's */
	int fail_r;    /* set by vf_xml_push_fail */
	char *fail_msg;
};

static struct parse_state *state_of(void *ctx)
{
	return ((xmlParserCtxtPtr)ctx)->_private;
}

static void parse_state_clear(struct parse_state *st)
{
	free(st->err_msg);
	free(st->fail_msg);
}

static int depth_limit(const struct vf_xml_opts *o)
{
	int d = o && o->max_depth > 0 ? o->max_depth : VF_XML_MAX_DEPTH;
	return d > VF_XML_MAX_DEPTH_CAP ? VF_XML_MAX_DEPTH_CAP : d;
}

static size_t size_limit(const struct vf_xml_opts *o)
{
	return o && o->max_bytes > 0 && o->max_bytes < INT_MAX ? o->max_bytes : INT_MAX;
}

static int parse_options(const struct vf_xml_opts *o)
{
	int extra = o ? o->options : 0;
	if (o && o->utf8_only)
		extra |= XML_PARSE_IGNORE_ENC;
	return (extra & ~FORBIDDEN_OPTIONS) | ALWAYS_OPTIONS;
}

/* ---- what the SAX handlers see ---- */

static void capture_error(void *ctx, XML_ERROR_CONST xmlError *e)
{
	struct parse_state *st = state_of(ctx);
	if (!e || e->level != XML_ERR_FATAL || st->err_msg)
		return;
	st->err_msg = xstrdup(e->message ? e->message : "malformed XML");
	st->err_line = e->line;
	st->err_column = e->int2; /* libxml2 keeps the column there */
}

static void stop(void *ctx, enum vf_xml_refusal why)
{
	struct parse_state *st = state_of(ctx);
	if (st->stopped)
		return;
	st->stopped = why;
	st->stop_line = xmlSAX2GetLineNumber(ctx);
	st->stop_column = xmlSAX2GetColumnNumber(ctx);
	xmlStopParser(ctx);
}

/* SAX internalSubset runs for every <!DOCTYPE ...>, right after its name and external id and
 * before any declaration in it: stopping here means no entity is ever declared, let alone
 * expanded (billion laughs) or fetched. */
static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
	stop(ctx, VF_XML_DOCTYPE);
}

/* Counting open elements as they start stops a 10,000-deep document at once, before libxml2's
 * own limit and with an error that names ours. */
static void count_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
			int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
			const xmlChar **attributes)
{
	struct parse_state *st = state_of(ctx);
	if (++st->depth > st->max_depth)
		return stop(ctx, VF_XML_TOO_DEEP);
	if (st->start)
		st->start(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted,
			  attributes);
}

static void count_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
	struct parse_state *st = state_of(ctx);
	st->depth--;
	if (st->end)
		st->end(ctx, localname, prefix, uri);
}

/* Put the counting and refusing handlers in sax, in front of the ones it has. */
static void hook_sax(xmlSAXHandler *sax, struct parse_state *st, const struct vf_xml_opts *o)
{
	st->max_depth = depth_limit(o);
	st->start = sax->startElementNs;
	st->end = sax->endElementNs;
	sax->startElementNs = count_start;
	sax->endElementNs = count_end;
	if (!(o && o->inert_doctype))
		sax->internalSubset = refuse_doctype;
}

/* ---- libxml2's handlers, for the length of a call ---- */

static void discard_generic(void *ctx, const char *fmt, ...)
{
}

/* libxml2 prints through its generic handler, or a structured one when the program set one,
 * and a few errors (encoding conversion) are raised without the parser context: for the parse,
 * send everything to capture_error (whose data is the context), then put back what was there.
 * Both are per-thread in libxml2, so this does not disturb another thread. */
struct xml_handlers {
	xmlGenericErrorFunc generic;
	void *generic_ctx;
	xmlStructuredErrorFunc structured;
	void *structured_ctx;
};

static struct xml_handlers handlers_capture(xmlParserCtxtPtr ctxt)
{
	struct xml_handlers h = { xmlGenericError, xmlGenericErrorContext, xmlStructuredError,
				  xmlStructuredErrorContext };
	xmlSetGenericErrorFunc(NULL, discard_generic);
	xmlSetStructuredErrorFunc(ctxt, capture_error);
	return h;
}

static void handlers_restore(struct xml_handlers *h)
{
	xmlSetGenericErrorFunc(h->generic_ctx, h->generic);
	xmlSetStructuredErrorFunc(h->structured_ctx, h->structured);
}

struct vf_xml_quiet vf_xml_quiet_begin(void)
{
	struct vf_xml_quiet q = { xmlGenericError, xmlGenericErrorContext };
	xmlSetGenericErrorFunc(NULL, discard_generic);
	return q;
}

void vf_xml_quiet_end(struct vf_xml_quiet *q)
{
	xmlSetGenericErrorFunc(q->ctx, q->func);
}

/* ---- the verdict ---- */

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

static int refused(struct vf_xml_where *w, enum vf_xml_refusal what, int line, int column)
{
	*w = (struct vf_xml_where){ what, line, column };
	return -EINVAL;
}

/* Why a parse that stopped or failed did, in *w and *errmsg; 0 when it did neither. A stopped
 * parser may still hand back the part it built: the flags decide, not the document. */
static int verdict(xmlParserCtxtPtr ctxt, const struct parse_state *st, bool failed, struct vf_xml_where *w,
		   char **errmsg)
{
	if (st->stopped == VF_XML_DOCTYPE)
		return set_error(errmsg, refused(w, VF_XML_DOCTYPE, st->stop_line, st->stop_column),
				 "line %d: DOCTYPE not allowed", st->stop_line);
	if (st->stopped == VF_XML_TOO_DEEP)
		return set_error(errmsg, refused(w, VF_XML_TOO_DEEP, st->stop_line, st->stop_column),
				 "line %d: Excessive depth in document: elements nested deeper than %d",
				 st->stop_line, st->max_depth);
	if (st->fail_r) {
		refused(w, VF_XML_MALFORMED, xmlSAX2GetLineNumber(ctxt), xmlSAX2GetColumnNumber(ctxt));
		return set_error(errmsg, st->fail_r, "%s", st->fail_msg);
	}
	if (!failed)
		return 0;
	const char *msg = st->err_msg;
	int line = st->err_line, column = st->err_column;
	if (!msg) {
		const xmlError *last = xmlCtxtGetLastError(ctxt);
		msg = last && last->message ? last->message : "malformed XML";
		line = last ? last->line : 0;
		column = last ? last->int2 : 0;
	}
	_cleanup_free_ char *text = one_line(msg);
	return set_error(errmsg, refused(w, VF_XML_MALFORMED, line, column), "line %d: %s", line, text);
}

static int too_large(size_t len, size_t max, struct vf_xml_where *w, char **errmsg)
{
	*w = (struct vf_xml_where){ VF_XML_TOO_LARGE, 0, 0 };
	return set_error(errmsg, -EFBIG, "document too large (%zu bytes, at most %zu)", len, max);
}

/* ---- whole documents ---- */

int vf_xml_read_untrusted(const char *buf, size_t len, const struct vf_xml_opts *opts, xmlDocPtr *ret,
			  struct vf_xml_where *where, char **errmsg)
{
	struct vf_xml_where ignored;
	struct vf_xml_where *w = where ? where : &ignored;
	*w = (struct vf_xml_where){ VF_XML_OK, 0, 0 };
	if (len > size_limit(opts))
		return too_large(len, size_limit(opts), w, errmsg);
	_cleanup_(parse_state_clear) struct parse_state st = { 0 };
	_cleanup_xmlctxt_ xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return set_error(errmsg, -ENOMEM, "out of memory");
	ctxt->_private = &st;
	hook_sax(ctxt->sax, &st, opts);
	/* with utf8_only the encoding is named too: no BOM or declaration is looked at */
	const char *encoding = opts && opts->utf8_only ? "UTF-8" : NULL;
	_cleanup_xmldoc_ xmlDocPtr doc = NULL;
	{
		_cleanup_(handlers_restore) struct xml_handlers saved = handlers_capture(ctxt);
		doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, encoding, parse_options(opts));
	}
	bool doctype_left = doc && (doc->intSubset || doc->extSubset) && !(opts && opts->inert_doctype);
	if (doctype_left && !st.stopped) /* never seen: the flag should have caught it */
		st.stopped = VF_XML_DOCTYPE;
	int r = verdict(ctxt, &st, !doc, w, errmsg);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(doc);
	return 0;
}

/* ---- push parsing ---- */

#define PUSH_PIECE (1 << 20)

struct vf_xml_push {
	struct parse_state st;
	xmlParserCtxtPtr ctxt;
	size_t fed, max_bytes;
	int r;        /* the first failure, for every later call */
	char *failed; /* its message */
};

struct vf_xml_push *vf_xml_push_new(const xmlSAXHandler *sax, void *user, const struct vf_xml_opts *opts)
{
	xmlSAXHandler h = *sax;
	h.initialized = XML_SAX2_MAGIC;
	struct vf_xml_push *p = xcalloc(1, sizeof *p);
	struct vf_xml_opts o = opts ? *opts : (struct vf_xml_opts){ 0 };
	o.inert_doctype = false;
	hook_sax(&h, &p->st, &o);
	p->st.user = user;
	p->max_bytes = size_limit(&o);
	p->ctxt = xmlCreatePushParserCtxt(&h, NULL, NULL, 0, NULL);
	if (!p->ctxt) {
		free(p);
		return NULL;
	}
	xmlCtxtUseOptions(p->ctxt, parse_options(&o));
	p->ctxt->_private = &p->st;
	return p;
}

void *vf_xml_push_user(xmlParserCtxtPtr ctxt)
{
	return state_of(ctxt)->user;
}

void vf_xml_push_fail(xmlParserCtxtPtr ctxt, int r, const char *fmt, ...)
{
	struct parse_state *st = state_of(ctxt);
	if (st->fail_r)
		return;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	st->fail_r = r;
	st->fail_msg = xasprintf("line %d: %s", xmlSAX2GetLineNumber(ctxt), msg);
	xmlStopParser(ctxt);
}

/* One piece through the parser; the first failure is kept in p. */
static void push_piece(struct vf_xml_push *p, const char *buf, int n, bool end)
{
	int rc;
	{
		_cleanup_(handlers_restore) struct xml_handlers saved = handlers_capture(p->ctxt);
		rc = xmlParseChunk(p->ctxt, buf, n, end);
	}
	struct vf_xml_where w;
	p->r = verdict(p->ctxt, &p->st, rc != 0 || !p->ctxt->wellFormed, &w, &p->failed);
}

int vf_xml_push_feed(struct vf_xml_push *p, const char *buf, size_t len, bool last, char **errmsg)
{
	if (!p->r && len > p->max_bytes - p->fed) {
		struct vf_xml_where w;
		p->r = too_large(p->fed + len, p->max_bytes, &w, &p->failed);
	}
	/* libxml2 refuses to look ahead over more than 10 MB at once ("Huge input lookup")
	 * without XML_PARSE_HUGE: a big buffer goes in 1 MiB pieces */
	while (!p->r && (len > 0 || last)) {
		int n = len > PUSH_PIECE ? PUSH_PIECE : (int)len;
		bool end = last && (size_t)n == len;
		push_piece(p, buf, n, end);
		p->fed += (size_t)n;
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

/* ---- walking a tree ---- */

const char *vf_xml_name(const xmlNode *n)
{
	const char *name = (const char *)n->name;
	const char *colon = n->ns ? NULL : strchr(name, ':');
	return colon ? colon + 1 : name;
}

bool vf_xml_is(const xmlNode *n, const char *name, enum vf_xml_ns ns)
{
	if (!n || n->type != XML_ELEMENT_NODE)
		return false;
	if (ns == VF_XML_NO_NS)
		return !n->ns && (!name || streq((const char *)n->name, name));
	return !name || streq(vf_xml_name(n), name);
}

xmlNode *vf_xml_next(const xmlNode *n, const char *name, enum vf_xml_ns ns)
{
	while (n && !vf_xml_is(n, name, ns))
		n = n->next;
	return (xmlNode *)n;
}

xmlNode *vf_xml_child(const xmlNode *parent, const char *name, enum vf_xml_ns ns)
{
	return parent ? vf_xml_next(parent->children, name, ns) : NULL;
}

xmlAttr *vf_xml_attr(const xmlNode *n, const char *name)
{
	for (xmlAttr *a = n ? n->properties : NULL; a; a = a->next)
		if (!a->ns && streq((const char *)a->name, name))
			return a;
	return NULL;
}

static void append(char **s, size_t *len, const char *add, size_t n)
{
	*s = xrealloc(*s, *len + n + 1);
	memcpy(*s + *len, add, n);
	*len += n;
	(*s)[*len] = '\0';
}

/* The text of a list of sibling nodes (an element's children or an attribute's value). */
static char *nodes_text(const xmlNode *n)
{
	char *s = xstrdup("");
	size_t len = 0;
	for (; n; n = n->next) {
		const char *text = (const char *)n->content;
		const char *name = (const char *)n->name;
		if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && text) {
			append(&s, &len, text, strlen(text));
		} else if (n->type == XML_ENTITY_REF_NODE) {
			append(&s, &len, "&", 1);
			append(&s, &len, name, strlen(name));
			append(&s, &len, ";", 1);
		}
	}
	return s;
}

char *vf_xml_attr_value(const xmlNode *n, const char *name)
{
	const xmlAttr *a = vf_xml_attr(n, name);
	return a ? nodes_text(a->children) : NULL;
}

char *vf_xml_text(const xmlNode *n)
{
	return nodes_text(n ? n->children : NULL);
}

bool vf_xml_is_blank(const xmlNode *n)
{
	if (!n || n->type != XML_TEXT_NODE || !n->content)
		return false;
	return n->content[strspn((const char *)n->content, " \t\r\n")] == '\0';
}
