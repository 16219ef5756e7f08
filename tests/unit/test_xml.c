/* SPDX-License-Identifier: MIT */
/* lib/xml.c: the one reader of outside XML (depth limit, DOCTYPE, entities, truncated and
 * oversized input, where an error is) in both its forms, and the element helpers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "quiet-stderr.h"
#include "util.h"
#include "xml-counters.h"
#include "xml.h"

/* n nested <e> elements inside <root>: depth n + 1. */
static char *nested(int n)
{
	char *s = xmalloc((size_t)n * 7 + 16), *p = stpcpy(s, "<root>");
	for (int i = 0; i < n; i++)
		p = stpcpy(p, "<e>");
	for (int i = 0; i < n; i++)
		p = stpcpy(p, "</e>");
	stpcpy(p, "</root>");
	return s;
}

/* Read xml, expecting r; returns the message (NULL on success). */
static char *read_as(const char *xml, size_t len, const struct vf_xml_opts *o, int r, struct vf_xml_where *w)
{
	xmlDocPtr doc = NULL;
	char *err = NULL;
	struct quiet q;
	quiet_begin(&q);
	int got = vf_xml_read_untrusted(xml, len, o, &doc, w, &err);
	quiet_end(&q);
	if (got != r)
		fail_msg("%.80s: got %d (%s), want %d", xml, got, err, r);
	if (got == 0) {
		assert_non_null(doc);
		assert_null(err);
		assert_int_equal(w->what, VF_XML_OK);
		xmlFreeDoc(doc);
		return NULL;
	}
	assert_null(doc);
	if (!err || strchr(err, '\n'))
		fail_msg("%.80s: message '%s' is not one line", xml, err);
	return err;
}

static char *fails(const char *xml, const struct vf_xml_opts *o, struct vf_xml_where *w)
{
	return read_as(xml, strlen(xml), o, -EINVAL, w);
}

static void reads(const char *xml, const struct vf_xml_opts *o)
{
	struct vf_xml_where w;
	assert_null(read_as(xml, strlen(xml), o, 0, &w));
}

/* ---- depth ---- */

static void depth_case(int max_depth, int limit)
{
	const struct vf_xml_opts o = { .max_depth = max_depth };
	_cleanup_free_ char *at = nested(limit - 1), *over = nested(limit);
	reads(at, &o);
	struct vf_xml_where w;
	_cleanup_free_ char *err = fails(over, &o, &w);
	_cleanup_free_ char *want =
		xasprintf("line 1: Excessive depth in document: elements nested deeper than %d", limit);
	assert_string_equal(err, want);
	assert_int_equal(w.what, VF_XML_TOO_DEEP);
	assert_int_equal(w.line, 1);
	/* the column is that of the '>' of the start tag that went one level too deep */
	assert_int_equal(w.column, (int)strlen("<root>") + 3 * limit);
}

static void test_depth(void **state)
{
	depth_case(1, 1);
	depth_case(5, 5);
	depth_case(0, VF_XML_MAX_DEPTH); /* the default */
	/* past libxml2's own 256 the cap answers, with the reader's message, not libxml2's */
	depth_case(1000, VF_XML_MAX_DEPTH_CAP);
	/* 10,000 deep: refused at once, at the limit */
	_cleanup_free_ char *deep = nested(10000);
	struct vf_xml_where w;
	_cleanup_free_ char *err = fails(deep, NULL, &w);
	assert_int_equal(w.what, VF_XML_TOO_DEEP);
	assert_non_null(strstr(err, "deeper than 128"));
	/* depth counts open elements, not all of them: many siblings are fine */
	_cleanup_free_ char *wide = xstrdup("<root>");
	for (int i = 0; i < 2000; i++) {
		_cleanup_free_ char *old = wide;
		wide = xasprintf("%s<e><f/></e>", old);
	}
	_cleanup_free_ char *whole = xasprintf("%s</root>", wide);
	const struct vf_xml_opts three = { .max_depth = 3 };
	reads(whole, &three);
}

/* ---- DOCTYPE and entities ---- */

static void test_doctype(void **state)
{
	static const struct {
		const char *xml;
		int line;
	} cases[] = {
		{ "<!DOCTYPE a>\n<a/>", 1 },
		{ "<?xml version='1.0'?>\n<!DOCTYPE a [<!ENTITY x 'boom'>]>\n<a>&x;</a>", 2 },
		{ "<!-- c -->\n\n<!DOCTYPE a SYSTEM 'http://127.0.0.1:1/a.dtd'><a/>", 3 },
		{ "<!DOCTYPE a [<!ENTITY % p SYSTEM '/etc/passwd'> %p;]><a/>", 1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vf_xml_where w;
		_cleanup_free_ char *err = fails(cases[i].xml, NULL, &w);
		_cleanup_free_ char *want = xasprintf("line %d: DOCTYPE not allowed", cases[i].line);
		assert_string_equal(err, want);
		assert_int_equal(w.what, VF_XML_DOCTYPE);
		assert_int_equal(w.line, cases[i].line);
	}
}

/* Without a DOCTYPE nothing can declare an entity: a reference is an error, and asking for
 * substitution changes nothing. */
static void test_entities(void **state)
{
	struct vf_xml_where w;
	_cleanup_free_ char *err = fails("<a>\n&foo;</a>", NULL, &w);
	assert_string_equal(err, "line 2: Entity 'foo' not defined");
	assert_int_equal(w.what, VF_XML_MALFORMED);
	const struct vf_xml_opts noent = { .options = XML_PARSE_NOENT | XML_PARSE_DTDLOAD };
	_cleanup_free_ char *err2 = fails("<!DOCTYPE a [<!ENTITY x 'boom'>]><a>&x;</a>", &noent, &w);
	assert_int_equal(w.what, VF_XML_DOCTYPE);
	/* predefined entities and character references are text */
	xmlDocPtr doc = NULL;
	assert_int_equal(vf_xml_read_untrusted("<a>&lt;&#x41;&amp;</a>", 22, NULL, &doc, NULL, NULL), 0);
	_cleanup_free_ char *text = vf_xml_text(xmlDocGetRootElement(doc));
	assert_string_equal(text, "<A&");
	xmlFreeDoc(doc);
}

/* libvirt's own XML: a DOCTYPE is read, its entities stay references, even when the caller
 * asks for substitution. */
static void test_inert_doctype(void **state)
{
	const struct vf_xml_opts o = { .options = XML_PARSE_NOENT, .inert_doctype = true };
	static const char xml[] = "<!DOCTYPE a [<!ENTITY x 'boom'>]><a v='1&x;'>&x;<b/>t</a>";
	xmlDocPtr doc = NULL;
	_cleanup_free_ char *err = NULL;
	assert_int_equal(vf_xml_read_untrusted(xml, strlen(xml), &o, &doc, NULL, &err), 0);
	xmlNode *a = xmlDocGetRootElement(doc);
	_cleanup_free_ char *text = vf_xml_text(a), *v = vf_xml_attr_value(a, "v");
	assert_string_equal(text, "&x;t");
	assert_string_equal(v, "1&x;");
	xmlFreeDoc(doc);
}

/* ---- broken and oversized input ---- */

/* Every proper prefix of a document is refused with one line naming a line. */
static void test_truncated(void **state)
{
	static const char xml[] = "<?xml version='1.0'?>\n<a x='1'>\n <b>t&amp;u</b>\n <![CDATA[c]]>\n</a>";
	reads(xml, NULL);
	for (size_t n = 0; n < strlen(xml); n++) {
		struct vf_xml_where w;
		_cleanup_free_ char *err = read_as(xml, n, NULL, -EINVAL, &w);
		assert_int_equal(w.what, VF_XML_MALFORMED);
		if (!startswith(err, "line ") || w.line < 1)
			fail_msg("cut at %zu: %s (line %d)", n, err, w.line);
	}
}

static void test_too_large(void **state)
{
	static const char xml[] = "<a>0123456789</a>";
	const struct vf_xml_opts exact = { .max_bytes = sizeof(xml) - 1 };
	reads(xml, &exact);
	const struct vf_xml_opts small = { .max_bytes = sizeof(xml) - 2 };
	struct vf_xml_where w;
	_cleanup_free_ char *err = read_as(xml, strlen(xml), &small, -EFBIG, &w);
	assert_string_equal(err, "document too large (17 bytes, at most 16)");
	assert_int_equal(w.what, VF_XML_TOO_LARGE);
	_cleanup_free_ char *huge = read_as(xml, (size_t)INT32_MAX + 1, NULL, -EFBIG, &w);
	assert_non_null(strstr(huge, "at most 2147483647"));
}

/* The message and where name the line (and the column) of libxml2's first fatal error; its
 * two-line messages become one line. */
static void test_where(void **state)
{
	struct vf_xml_where w;
	_cleanup_free_ char *err = fails("<a>\n  <b>\n</a>", NULL, &w);
	assert_string_equal(err, "line 3: Opening and ending tag mismatch: b line 2 and a");
	assert_int_equal(w.what, VF_XML_MALFORMED);
	assert_int_equal(w.line, 3);
	assert_int_equal(w.column, 5);
	_cleanup_free_ char *utf = fails("<a>\n\n<b>caf\xe9</b></a>", NULL, &w);
	assert_string_equal(utf, "line 3: Input is not proper UTF-8, indicate encoding ! Bytes: 0xE9 0x3C 0x2F 0x62");
	assert_int_equal(w.line, 3);
	/* utf8_only: a declared encoding is not looked at */
	const struct vf_xml_opts u8 = { .utf8_only = true };
	reads("<?xml version='1.0' encoding='ISO-8859-1'?><a>caf\xc3\xa9</a>", &u8);
	_cleanup_free_ char *bad = fails("<?xml version='1.0' encoding='x-no-such'?><a/>", NULL, &w);
	assert_string_equal(bad, "line 1: Unsupported encoding x-no-such");
}

/* The program's libxml2 handlers are neither called nor lost. */
static void test_handlers_restored(void **state)
{
	int token;
	xmlSetGenericErrorFunc(&token, count_generic);
	xmlSetStructuredErrorFunc(&token, count_structured);
	static const char *const bad[] = { "<a><b></a>", "<!DOCTYPE a>\n<a/>", "<a>\xe9</a>",
					   "<?xml version='1.0' encoding='bogus'?><a/>" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		xmlDocPtr doc = NULL;
		assert_int_equal(vf_xml_read_untrusted(bad[i], strlen(bad[i]), NULL, &doc, NULL, NULL), -EINVAL);
	}
	assert_int_equal(generic_calls, 0);
	assert_int_equal(structured_calls, 0);
	assert_ptr_equal(xmlGenericError, count_generic);
	assert_ptr_equal(xmlStructuredError, count_structured);
	assert_ptr_equal(xmlStructuredErrorContext, &token);
	xmlSetGenericErrorFunc(NULL, NULL);
	xmlSetStructuredErrorFunc(NULL, NULL);
}

/* ---- push ---- */

static void on_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri, int n_ns,
		     const xmlChar **ns, int n_attrs, int n_defaulted, const xmlChar **attrs)
{
	int *count = vf_xml_push_user(ctx);
	if (++*count == 3 && streq((const char *)name, "stop"))
		vf_xml_push_fail(ctx, -EBADMSG, "stopped at <%s>", name);
}

/* Feed xml one byte at a time; returns the first failure and its message. */
static int push_bytes(const char *xml, const struct vf_xml_opts *o, int *elements, char **err)
{
	static const xmlSAXHandler sax = { .startElementNs = on_start };
	struct vf_xml_push *p = vf_xml_push_new(&sax, elements, o);
	assert_non_null(p);
	size_t len = strlen(xml);
	int r = 0;
	for (size_t i = 0; i < len && r == 0; i++)
		r = vf_xml_push_feed(p, xml + i, 1, i + 1 == len, err);
	if (r < 0) { /* once failed, always failed */
		_cleanup_free_ char *again = NULL;
		assert_int_equal(vf_xml_push_feed(p, "", 0, true, &again), r);
		assert_string_equal(again, *err);
	}
	vf_xml_push_free(p);
	return r;
}

static void test_push(void **state)
{
	int n = 0;
	_cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL, *e5 = NULL;
	assert_int_equal(push_bytes("<a><b/><c/></a>", NULL, &n, &e1), 0);
	assert_int_equal(n, 3);
	const struct vf_xml_opts three = { .max_depth = 3 };
	n = 0;
	assert_int_equal(push_bytes("<a><b><c/></b></a>", &three, &n, &e1), 0);
	n = 0;
	assert_int_equal(push_bytes("<a>\n<b><c><d/></c></b></a>", &three, &n, &e2), -EINVAL);
	assert_string_equal(e2, "line 2: Excessive depth in document: elements nested deeper than 3");
	assert_int_equal(n, 3); /* <d> never reached the caller */
	n = 0;
	assert_int_equal(push_bytes("<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", NULL, &n, &e3), -EINVAL);
	assert_string_equal(e3, "line 1: DOCTYPE not allowed");
	n = 0;
	assert_int_equal(push_bytes("<a><b/>\n<stop/></a>", NULL, &n, &e4), -EBADMSG);
	assert_string_equal(e4, "line 2: stopped at <stop>");
	n = 0;
	assert_int_equal(push_bytes("<a><b>", NULL, &n, &e5), -EINVAL);
	assert_true(startswith(e5, "line 1: "));
	/* max_bytes counts every byte fed */
	const struct vf_xml_opts small = { .max_bytes = 8 };
	_cleanup_free_ char *e6 = NULL;
	n = 0;
	assert_int_equal(push_bytes("<a><b/></a>", &small, &n, &e6), -EFBIG);
	assert_string_equal(e6, "document too large (9 bytes, at most 8)");
}

/* ---- walking ---- */

static void test_helpers(void **state)
{
	static const char xml[] =
		"<r xmlns:n='urn:n'>\n  <a k='1' n:k='2'/><n:a/><u:a/>text<!-- c --><b>x<![CDATA[<y>]]><i/>z</b>"
		"<a k=''/>\n</r>";
	xmlDocPtr doc = NULL;
	struct quiet q;
	quiet_begin(&q);
	assert_int_equal(vf_xml_read_untrusted(xml, strlen(xml), NULL, &doc, NULL, NULL), 0);
	quiet_end(&q);
	xmlNode *r = xmlDocGetRootElement(doc);
	int no_ns = 0, any_ns = 0, any = 0;
	vf_xml_for_each_child(c, r, "a", VF_XML_NO_NS)
		no_ns++;
	vf_xml_for_each_child(c, r, "a", VF_XML_ANY_NS)
		any_ns++;
	vf_xml_for_each_child(c, r, NULL, VF_XML_ANY_NS)
		any++;
	assert_int_equal(no_ns, 2);  /* <a k='1'>, <a k=''>; <u:a> (undeclared) is not */
	assert_int_equal(any_ns, 4); /* and <n:a>, <u:a> */
	assert_int_equal(any, 5);
	xmlNode *a = vf_xml_child(r, "a", VF_XML_NO_NS);
	assert_non_null(vf_xml_attr(a, "k"));
	_cleanup_free_ char *k = vf_xml_attr_value(a, "k"), *none = vf_xml_attr_value(a, "n");
	assert_string_equal(k, "1");
	assert_null(none);
	xmlNode *u = vf_xml_next(a->next->next, NULL, VF_XML_ANY_NS);
	assert_string_equal(vf_xml_name(u), "a"); /* the undeclared prefix dropped */
	assert_false(vf_xml_is(u, "a", VF_XML_NO_NS));
	xmlNode *b = vf_xml_child(r, "b", VF_XML_NO_NS);
	_cleanup_free_ char *text = vf_xml_text(b), *rtext = vf_xml_text(r);
	assert_string_equal(text, "x<y>z"); /* <i/> not looked into; CDATA kept */
	assert_string_equal(rtext, "\n  text\n");
	assert_true(vf_xml_is_blank(r->children));
	assert_false(vf_xml_is_blank(b->children));
	_cleanup_free_ char *empty = vf_xml_attr_value(vf_xml_next(b, "a", VF_XML_NO_NS), "k");
	assert_string_equal(empty, "");
	assert_null(vf_xml_child(NULL, "a", VF_XML_ANY_NS));
	assert_false(vf_xml_is(NULL, NULL, VF_XML_ANY_NS));
	xmlFreeDoc(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_depth),	      cmocka_unit_test(test_doctype),
		cmocka_unit_test(test_entities),      cmocka_unit_test(test_inert_doctype),
		cmocka_unit_test(test_truncated),     cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_where),	      cmocka_unit_test(test_handlers_restored),
		cmocka_unit_test(test_push),	      cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
