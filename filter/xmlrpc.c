/* SPDX-License-Identifier: MIT */
/* XML-RPC request parser (see xmlrpc.h); the reply writer is xmlrpc-write.c. */
#include "xmlrpc.h"

#include <errno.h>
#include <libxml/tree.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "xml.h"

/* ---- reading the XML ---- */

static int too_deep(char **errmsg, long line, int max_depth)
{
	return set_error(errmsg, -E2BIG, "XML-RPC: line %ld: values nested deeper than %d", line,
			 max_depth);
}

/* lib/xml.c's reader; BIG_LINES: line numbers past 65535 stay right in messages. utf8_only:
 * the body is UTF-8 whatever its declaration says. */
static int read_xml(const char *body, size_t len, int max_depth, xmlDoc **ret, char **errmsg)
{
	/* methodCall/params/param/value is 4 elements; each nested value adds 3 (value/array/
	 * data or value/struct/member), and a member's <name> one more. */
	const struct vf_xml_opts opts = {
		.options = XML_PARSE_BIG_LINES,
		.max_depth = max_depth > 0 ? 3 * max_depth + 4 : 4,
		.utf8_only = true,
	};
	struct vf_xml_where where;
	_cleanup_free_ char *err = NULL;
	int r = vf_xml_read_untrusted(body, len, &opts, ret, &where, &err);
	if (r == 0)
		return 0;
	if (where.what == VF_XML_TOO_DEEP) /* before any value is read: the same error as one */
		return too_deep(errmsg, where.line, max_depth);
	return set_error(errmsg, r, "%s: %s", where.what == VF_XML_DOCTYPE ? "XML-RPC" : "XML", err);
}

/* ---- the tree walk ---- */

struct walk {
	int max_depth;
	char **errmsg;
};

static bool is_text(const xmlNode *n)
{
	return n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE;
}

/* Elements are matched by local name whatever their namespace (ex:i8, ex:nil). */
static bool is_elem(const xmlNode *n, const char *name)
{
	return vf_xml_is(n, name, VF_XML_ANY_NS);
}

static _printf_(3, 4) int fail(struct walk *w, const xmlNode *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *what = xvasprintf(fmt, ap);
	va_end(ap);
	return set_error(w->errmsg, -EINVAL, "XML-RPC: line %ld: %s", xmlGetLineNo(n), what);
}

/* Containers are sized once, after counting; an empty one holds no allocation. */
static void *alloc_n(long n, size_t size)
{
	return n > 0 ? xcalloc((size_t)n, size) : NULL;
}

static const xmlNode *next_elem(const xmlNode *n)
{
	return vf_xml_next(n, NULL, VF_XML_ANY_NS);
}

/* How many element children parent has, each named child (NULL: any name); text that is not
 * blank is an error (comments and processing instructions are skipped). -EINVAL otherwise. */
static long count_children(struct walk *w, const xmlNode *parent, const char *child)
{
	long n = 0;
	for (const xmlNode *c = parent->children; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE) {
			if (child && !streq(vf_xml_name(c), child))
				return fail(w, c, "unexpected <%s> in <%s>", vf_xml_name(c), vf_xml_name(parent));
			n++;
		} else if (is_text(c) && !xmlIsBlankNode(c)) {
			return fail(w, c, "unexpected text in <%s>", vf_xml_name(parent));
		}
	}
	return n;
}

/* The text of an element that must hold text only, e.g. <string> or <name>. */
static int text_of(struct walk *w, const xmlNode *e, char **ret)
{
	const xmlNode *c = vf_xml_child(e, NULL, VF_XML_ANY_NS);
	if (c)
		return fail(w, c, "element <%s> inside <%s>, where text was expected", vf_xml_name(c), vf_xml_name(e));
	*ret = vf_xml_text(e);
	return 0;
}

/* Numbers and booleans may have blanks around them, as other XML-RPC readers allow. */
static const char *trim(char *s)
{
	s += strspn(s, " \t\r\n");
	size_t n = strlen(s);
	while (n > 0 && strchr(" \t\r\n", s[n - 1]))
		n--;
	s[n] = '\0';
	return s;
}

/* A value from the input, for an error message: one line, and not the whole of a huge one. */
static char *quote(const char *s)
{
	enum { MAX = 40 };
	size_t n = strnlen(s, MAX + 1);
	char *q = xasprintf("'%.*s'%s", (int)(n > MAX ? MAX : n), s, n > MAX ? "..." : "");
	for (char *p = q; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return q;
}

static int parse_int(struct walk *w, const xmlNode *e, const char *s, int64_t min, int64_t max,
		     int64_t *ret)
{
	_cleanup_free_ char *q = NULL;
	/* strtoll alone would take blanks inside, "0x", or nothing at all */
	const char *digits = s + (*s == '+' || *s == '-');
	if (!*digits || digits[strspn(digits, "0123456789")])
		return fail(w, e, "<%s> %s is not an integer", vf_xml_name(e), (q = quote(s)));
	errno = 0;
	long long v = strtoll(s, NULL, 10);
	if (errno == ERANGE || v < min || v > max)
		return fail(w, e, "<%s> %s is out of range", vf_xml_name(e), (q = quote(s)));
	*ret = v;
	return 0;
}

static int parse_double(struct walk *w, const xmlNode *e, const char *s, double *ret)
{
	_cleanup_free_ char *q = NULL;
	/* decimal only: strtod would also take inf, nan and hex floats */
	if (!*s || s[strspn(s, "0123456789+-.eE")])
		return fail(w, e, "<double> %s is not a number", (q = quote(s)));
	char *end;
	double d = strtod(s, &end);
	if (*end || !isfinite(d))
		return fail(w, e, "<double> %s is not a finite number", (q = quote(s)));
	*ret = d;
	return 0;
}

static const struct scalar {
	const char *name;
	enum rpc_type type;
	int bits; /* of an integer */
} scalars[] = {
	{ "string", RPC_STRING, 0 }, { "dateTime.iso8601", RPC_STRING, 0 }, /* kept as text */
	{ "base64", RPC_STRING, 0 }, { "i4", RPC_INT, 32 },	 { "int", RPC_INT, 32 },
	{ "i8", RPC_INT, 64 },	     { "boolean", RPC_BOOL, 0 }, { "double", RPC_DOUBLE, 0 },
	{ "nil", RPC_NIL, 0 },
};

/* Takes *text for a string. */
static int scalar_from_text(struct walk *w, const xmlNode *e, const struct scalar *sc, char **text,
			    struct rpc_value *out)
{
	const char *t = sc->type == RPC_STRING ? *text : trim(*text);
	_cleanup_free_ char *q = NULL;
	out->type = sc->type;
	switch (sc->type) {
	case RPC_INT:
		return parse_int(w, e, t, sc->bits == 32 ? INT32_MIN : INT64_MIN,
				 sc->bits == 32 ? INT32_MAX : INT64_MAX, &out->i);
	case RPC_DOUBLE:
		return parse_double(w, e, t, &out->d);
	case RPC_BOOL:
		if (!streq(t, "0") && !streq(t, "1"))
			return fail(w, e, "<boolean> %s is not 0 or 1", (q = quote(t)));
		out->b = t[0] == '1';
		return 0;
	case RPC_NIL:
		return *t ? fail(w, e, "<nil> is not empty") : 0;
	default:
		out->s = TAKE_PTR(*text);
		return 0;
	}
}

static int parse_scalar(struct walk *w, const xmlNode *e, struct rpc_value *out)
{
	const char *type = vf_xml_name(e);
	for (size_t i = 0; i < ARRAY_SIZE(scalars); i++) {
		if (!streq(type, scalars[i].name))
			continue;
		_cleanup_free_ char *text = NULL;
		int r = text_of(w, e, &text);
		return r < 0 ? r : scalar_from_text(w, e, &scalars[i], &text, out);
	}
	return fail(w, e, "unknown value type <%s>", type);
}

static int parse_value(struct walk *w, const xmlNode *value, int depth, struct rpc_value *out);

/* Before each recursion: the depth is checked here, not in the callee. */
static int parse_nested(struct walk *w, const xmlNode *value, int depth, struct rpc_value *out)
{
	if (depth + 1 > w->max_depth)
		return too_deep(w->errmsg, xmlGetLineNo(value), w->max_depth);
	return parse_value(w, value, depth + 1, out);
}

static int parse_array(struct walk *w, const xmlNode *array, int depth, struct rpc_value *out)
{
	const xmlNode *data = next_elem(array->children);
	long n = count_children(w, array, "data");
	if (n < 0)
		return (int)n;
	if (n != 1)
		return fail(w, array, "<array> needs one <data>, not %ld", n);
	n = count_children(w, data, "value");
	if (n < 0)
		return (int)n;
	/* sized once; zeroed elements are empty strings, so clearing a half-filled one is safe */
	out->type = RPC_ARRAY;
	out->array.v = alloc_n(n, sizeof *out->array.v);
	out->array.n = (size_t)n;
	const xmlNode *c = next_elem(data->children);
	for (long i = 0; i < n; i++, c = next_elem(c->next)) {
		int r = parse_nested(w, c, depth, &out->array.v[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The children of a <member> or a <methodCall>: two names, each at most once, in any order. */
static int pair_of(struct walk *w, const xmlNode *parent, const char *a, const char *b,
		   const xmlNode *found[2])
{
	long n = count_children(w, parent, NULL);
	if (n < 0)
		return (int)n;
	found[0] = found[1] = NULL;
	for (const xmlNode *c = next_elem(parent->children); c; c = next_elem(c->next)) {
		int i = is_elem(c, a) ? 0 : is_elem(c, b) ? 1 : -1;
		if (i < 0)
			return fail(w, c, "unexpected <%s> in <%s>", vf_xml_name(c), vf_xml_name(parent));
		if (found[i])
			return fail(w, c, "<%s> with two <%s>", vf_xml_name(parent), vf_xml_name(c));
		found[i] = c;
	}
	return 0;
}

static int parse_member(struct walk *w, const xmlNode *member, int depth, struct rpc_member *out)
{
	const xmlNode *nv[2];
	int r = pair_of(w, member, "name", "value", nv);
	if (r < 0)
		return r;
	if (!nv[0])
		return fail(w, member, "<member> without <name>");
	r = text_of(w, nv[0], &out->name);
	if (r < 0)
		return r;
	_cleanup_free_ char *q = NULL;
	if (!nv[1])
		return fail(w, member, "<member> %s without <value>", (q = quote(out->name)));
	return parse_nested(w, nv[1], depth, &out->value);
}

static int parse_struct(struct walk *w, const xmlNode *st, int depth, struct rpc_value *out)
{
	long n = count_children(w, st, "member");
	if (n < 0)
		return (int)n;
	out->type = RPC_STRUCT;
	out->st.m = alloc_n(n, sizeof *out->st.m);
	out->st.n = (size_t)n;
	const xmlNode *c = next_elem(st->children);
	for (long i = 0; i < n; i++, c = next_elem(c->next)) {
		int r = parse_member(w, c, depth, &out->st.m[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* One <value>: a single typed element, or text only (a bare string, Apache XML-RPC's way). */
static int parse_typed(struct walk *w, const xmlNode *value, int depth, struct rpc_value *out)
{
	const xmlNode *type = NULL;
	bool text = false;
	for (const xmlNode *c = value->children; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE) {
			if (type)
				return fail(w, c, "<value> with two types, <%s> and <%s>",
					    vf_xml_name(type), vf_xml_name(c));
			type = c;
		} else if (is_text(c) && !xmlIsBlankNode(c)) {
			text = true;
		}
	}
	if (!type) {
		out->type = RPC_STRING;
		return text_of(w, value, &out->s);
	}
	if (text)
		return fail(w, type, "text beside <%s> in <value>", vf_xml_name(type));
	if (is_elem(type, "array"))
		return parse_array(w, type, depth, out);
	if (is_elem(type, "struct"))
		return parse_struct(w, type, depth, out);
	return parse_scalar(w, type, out);
}

/* On failure, out is left empty: whatever was filled in is freed here. */
static int parse_value(struct walk *w, const xmlNode *value, int depth, struct rpc_value *out)
{
	*out = (struct rpc_value){ 0 };
	int r = parse_typed(w, value, depth, out);
	if (r < 0)
		rpc_value_clear(out);
	return r;
}

static int parse_params(struct walk *w, const xmlNode *params, struct rpc_call *c)
{
	long n = count_children(w, params, "param");
	if (n < 0)
		return (int)n;
	c->params = alloc_n(n, sizeof *c->params);
	c->n_params = (size_t)n;
	const xmlNode *p = next_elem(params->children);
	for (long i = 0; i < n; i++, p = next_elem(p->next)) {
		long k = count_children(w, p, "value");
		if (k < 0)
			return (int)k;
		if (k != 1)
			return fail(w, p, "<param> needs one <value>, not %ld", k);
		int r = parse_nested(w, next_elem(p->children), 0, &c->params[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_method_call(struct walk *w, const xmlNode *root, struct rpc_call *c)
{
	if (!root) /* libxml2 hands back no document without one; kept for safety */
		return set_error(w->errmsg, -EINVAL, "XML-RPC: no root element");
	if (!is_elem(root, "methodCall"))
		return fail(w, root, "root is <%s>, not <methodCall>", vf_xml_name(root));
	const xmlNode *np[2];
	int r = pair_of(w, root, "methodName", "params", np);
	if (r < 0)
		return r;
	if (!np[0])
		return fail(w, root, "<methodCall> without <methodName>");
	r = text_of(w, np[0], &c->method);
	if (r < 0)
		return r;
	if (!*c->method)
		return fail(w, np[0], "empty <methodName>");
	return np[1] ? parse_params(w, np[1], c) : 0; /* no <params>: no parameters */
}

int rpc_parse_call(const char *body, size_t len, const struct rpc_limits *lim, struct rpc_call *ret,
		   char **errmsg)
{
	struct rpc_limits l = lim ? *lim
				  : (struct rpc_limits){ .max_body = RPC_DEFAULT_MAX_BODY,
							 .max_depth = RPC_DEFAULT_MAX_DEPTH };
	if (l.max_depth > RPC_MAX_DEPTH_CAP)
		l.max_depth = RPC_MAX_DEPTH_CAP;
	size_t max = l.max_body < INT_MAX ? l.max_body : INT_MAX; /* libxml2 takes an int */
	if (len > max)
		return set_error(errmsg, -E2BIG, "XML-RPC: request body of %zu bytes is over the %zu limit",
				 len, max);
	if (!body || len == 0)
		return set_error(errmsg, -EINVAL, "XML-RPC: empty request body");
	/* libxml2 2.9 takes a NUL after the root element for the end and ignores what follows */
	if (memchr(body, '\0', len))
		return set_error(errmsg, -EINVAL, "XML-RPC: NUL byte in request body");
	_cleanup_free_ char *joined = NULL;
	size_t joined_len = 0;
	int r = rpc_join_surrogate_refs(body, len, &joined, &joined_len, errmsg);
	if (r < 0)
		return r;
	if (r > 0) {
		body = joined;
		len = joined_len;
	}
	_cleanup_xmldoc_ xmlDoc *doc = NULL;
	r = read_xml(body, len, l.max_depth, &doc, errmsg);
	if (r < 0)
		return r;
	struct walk w = { .max_depth = l.max_depth, .errmsg = errmsg };
	_cleanup_(rpc_call_clear) struct rpc_call c = { 0 };
	r = parse_method_call(&w, xmlDocGetRootElement(doc), &c);
	if (r < 0)
		return r;
	*ret = c;
	c = (struct rpc_call){ 0 };
	return 0;
}

void rpc_value_clear(struct rpc_value *v)
{
	if (!v)
		return;
	switch (v->type) {
	case RPC_STRING:
		free(v->s);
		break;
	case RPC_ARRAY:
		for (size_t i = 0; i < v->array.n; i++)
			rpc_value_clear(&v->array.v[i]);
		free(v->array.v);
		break;
	case RPC_STRUCT:
		for (size_t i = 0; i < v->st.n; i++) {
			free(v->st.m[i].name);
			rpc_value_clear(&v->st.m[i].value);
		}
		free(v->st.m);
		break;
	default:
		break;
	}
	*v = (struct rpc_value){ 0 };
}

void rpc_call_clear(struct rpc_call *c)
{
	if (!c)
		return;
	free(c->method);
	for (size_t i = 0; i < c->n_params; i++)
		rpc_value_clear(&c->params[i]);
	free(c->params);
	*c = (struct rpc_call){ 0 };
}

const char *rpc_string(const struct rpc_value *v)
{
	return v && v->type == RPC_STRING ? v->s : NULL;
}

const struct rpc_value *rpc_struct_get(const struct rpc_value *v, const char *name)
{
	if (!v || v->type != RPC_STRUCT || !name)
		return NULL;
	for (size_t i = 0; i < v->st.n; i++)
		if (streq(v->st.m[i].name, name))
			return &v->st.m[i].value;
	return NULL;
}
