/* SPDX-License-Identifier: MIT */
/* XML-RPC for oVirt's external-scheduler protocol (docs/interfaces.md, 'The engine's external
 * scheduler', and under 'Calls' what the engine's client puts on the wire): a request parser
 * and a reply writer.
 *
 * The parser reads with lib/xml.c's reader of outside XML (no network, no entity expansion, no
 * DTD loading, no huge-node relaxation; a DOCTYPE is refused outright; element depth bounded by
 * the value depth) and accepts what Apache XML-RPC 3.x sends: a bare
 * <value>text</value> is a string, <params/> or no <params> is an empty list, elements in the
 * extensions namespace (ex:i8, ex:nil, ...) are read by local name. The body is read as UTF-8
 * whatever its XML declaration names (the engine sends UTF-8; no converter runs), and a pair of
 * surrogate references is read as the one character it encodes (rpc_join_surrogate_refs). Thread-safe:
 * no shared state. The writer never emits nil (the engine's client rejects <nil/>). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rpc_type { RPC_STRING, RPC_INT, RPC_BOOL, RPC_DOUBLE, RPC_ARRAY, RPC_STRUCT, RPC_NIL };

struct rpc_member;

struct rpc_value {
	enum rpc_type type;
	union {
		char *s;   /* RPC_STRING (also dateTime.iso8601 and base64 text, kept as text) */
		int64_t i; /* RPC_INT: i4, int, ex:i8 */
		bool b;    /* RPC_BOOL */
		double d;  /* RPC_DOUBLE */
		struct {
			struct rpc_value *v;
			size_t n;
		} array;   /* RPC_ARRAY */
		struct {
			struct rpc_member *m;
			size_t n;
		} st;      /* RPC_STRUCT, members in document order */
	};
};

struct rpc_member {
	char *name;
	struct rpc_value value;
};

struct rpc_call {
	char *method;
	struct rpc_value *params; /* the <param> values, in order */
	size_t n_params;
};

struct rpc_limits {
	size_t max_body;  /* bytes; the service refuses larger bodies before parsing */
	int max_depth;    /* nesting of <value> inside arrays/structs (a param's value is depth 1);
			   * deeper is an error; at most RPC_MAX_DEPTH_CAP */
};
#define RPC_DEFAULT_MAX_BODY (16u << 20)
#define RPC_DEFAULT_MAX_DEPTH 32
/* The XML reader refuses elements nested past VF_XML_MAX_DEPTH_CAP (256, libxml2's own limit)
 * and each value level takes 3 (value/array/data): a larger max_depth is read as this one, so
 * that a deep document always gets -E2BIG. */
#define RPC_MAX_DEPTH_CAP 80

/* Parse one methodCall; lim NULL means the defaults. Blanks around numbers and booleans are
 * allowed; i4/int must fit int32, i8 int64; doubles are decimal and finite. On error returns
 * -EINVAL (-E2BIG for the body or depth limit), *ret untouched, and *errmsg (caller frees) one
 * line naming what and where, e.g. "XML-RPC: line 1: <int> 'x1' is not an integer" or
 * "XML: line 3: Opening and ending tag mismatch: value line 1 and data". Text must be valid
 * UTF-8 (libxml2 checks it). */
int rpc_parse_call(const char *body, size_t len, const struct rpc_limits *lim, struct rpc_call *ret,
		   char **errmsg);
void rpc_call_clear(struct rpc_call *c);
/* What rpc_parse_call does first (xmlrpc-refs.c): a reference to a UTF-16 high surrogate
 * followed at once by one to a low surrogate ("&#55357;&#56334;", "&#xD83D;&#xDC0E;", as the
 * engine's XML writer escapes a character outside the BMP) becomes the UTF-8 of the character
 * they encode, in character data and attribute values (never in CDATA sections, comments or
 * processing instructions). Returns 0 when there is none (*ret untouched), 1 with the
 * rewritten body in *ret (caller frees; *ret_len <= len), or -EINVAL with *errmsg for any other
 * reference to a surrogate (a lone or reversed half). */
int rpc_join_surrogate_refs(const char *body, size_t len, char **ret, size_t *ret_len,
			    char **errmsg);
void rpc_value_clear(struct rpc_value *v);

/* Typed access for the methods' argument checks; NULL when v is not of that shape. */
const char *rpc_string(const struct rpc_value *v);
/* The first member of that name; NULL when there is none or v is not a struct. */
const struct rpc_value *rpc_struct_get(const struct rpc_value *v, const char *name);

/* Reply writer: an append-only buffer that builds one methodResponse. Usage:
 *   struct rpc_writer w; rpc_writer_init(&w);
 *   rpc_begin_response(&w); rpc_begin_struct(&w); rpc_key(&w, "result_code"); rpc_int_value(&w, 0);
 *   ... rpc_end_struct(&w); rpc_end_response(&w);
 *   send w.buf, w.len; rpc_writer_free(&w);
 * Strings are escaped (& < > and control characters that XML 1.0 cannot carry are replaced by
 * U+FFFD); invalid UTF-8 in a string is replaced by U+FFFD too, so a reply is always well-formed.
 * CR is written as &#xD; (a raw one would be read back as LF). A NULL string is written as "".
 * Members and values are written as <member><name>..</name><value><string>..</string></value>.
 * Output is compact (one line). Misuse (an end without its begin, containers nested past the
 * stack) is a bug in the caller, not bad input: it aborts with a message on stderr. */
struct rpc_writer {
	char *buf;
	size_t len, cap;
	unsigned char stack[RPC_DEFAULT_MAX_DEPTH + 4]; /* open containers, for closing members */
	int depth;
};
void rpc_writer_init(struct rpc_writer *w);
void rpc_writer_free(struct rpc_writer *w);
char *rpc_writer_take(struct rpc_writer *w, size_t *len); /* caller frees ("" when nothing was
							     * written, never NULL); w is empty after */
void rpc_begin_response(struct rpc_writer *w);            /* <?xml ...?><methodResponse><params><param> */
void rpc_end_response(struct rpc_writer *w);
void rpc_begin_array(struct rpc_writer *w);
void rpc_end_array(struct rpc_writer *w);
void rpc_begin_struct(struct rpc_writer *w);
void rpc_end_struct(struct rpc_writer *w);
/* Inside a struct every value is preceded by rpc_key(); the writer keeps a small stack of open
 * containers and closes </member> after the value (or after the array/struct that is the value). */
void rpc_key(struct rpc_writer *w, const char *name);
void rpc_string_value(struct rpc_writer *w, const char *s);
/* <int>: the engine's client reads i4 only; values outside int32 are clamped to its range. */
void rpc_int_value(struct rpc_writer *w, int64_t i);
void rpc_bool_value(struct rpc_writer *w, bool b);
/* A whole fault response: <fault><value><struct> faultCode (int), faultString (string). Whatever
 * was written before (a half-built response) is dropped, so it may be called at any point. */
void rpc_fault(struct rpc_writer *w, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
