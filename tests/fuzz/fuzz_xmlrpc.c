/* SPDX-License-Identifier: MIT */
/* libFuzzer: filter/xmlrpc.c's rpc_parse_call; a call that parses has its params written back
 * by the reply writer (filter/xmlrpc-write.c), as the methods echo engine data, and is then
 * answered by the filter's methods (vf_filter_call: argument checks, scheduling properties,
 * verdicts, scores) over a directory of three fixture hosts' reports, named by host ids of the
 * seeds (the captured engine requests, tests/fixtures/xmlrpc/engine-captured/: hosts 0 and 1
 * are in every call, 6 in the weight-5 one too), at a fixed time 30 s after those reports were
 * made. The seeds hold surrogate-pair references, which rpc_parse_call joins first. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz-common.h"
#include "source.h"
#include "methods.h"
#include "util.h"

#include "xmlrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_value(struct rpc_writer *w, const struct rpc_value *v)
{
	switch (v->type) {
	case RPC_STRING:
		rpc_string_value(w, v->s);
		break;
	case RPC_INT:
		rpc_int_value(w, v->i);
		break;
	case RPC_BOOL:
		rpc_bool_value(w, v->b);
		break;
	case RPC_DOUBLE:
		/* the writer has no double; clamp before converting (out of range is UB) */
		rpc_int_value(w, v->d >= 9.2e18 ? INT64_MAX : v->d <= -9.2e18 ? INT64_MIN : (int64_t)v->d);
		break;
	case RPC_NIL:
		rpc_string_value(w, NULL);
		break;
	case RPC_ARRAY:
		rpc_begin_array(w);
		for (size_t i = 0; i < v->array.n; i++)
			write_value(w, &v->array.v[i]);
		rpc_end_array(w);
		break;
	case RPC_STRUCT:
		rpc_begin_struct(w);
		for (size_t i = 0; i < v->st.n; i++) {
			rpc_key(w, v->st.m[i].name);
			write_value(w, &v->st.m[i].value);
		}
		rpc_end_struct(w);
		break;
	}
}

static const char *const reports[][2] = {
	{ "intel64", "00000001-0000-4000-8000-000000000001" },
	{ "vic", "00000006-0000-4000-8000-000000000006" },
	{ "wrap256", "00000000-0000-4000-8000-000000000000" },
};

static char reports_dir[] = "/tmp/fuzz-xmlrpc.XXXXXX";

static void remove_reports(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(reports); i++) {
		_cleanup_free_ char *f = xasprintf("%s/%s.json", reports_dir, reports[i][1]);
		unlink(f);
	}
	rmdir(reports_dir);
}

/* Made once and kept for the process (the directory thread with it): never freed; the
 * directory goes at exit. */
static struct vf_filter_ctx *filter_ctx(void)
{
	static struct vf_filter_ctx ctx;
	if (ctx.sources)
		return &ctx;
	char *tmpl = reports_dir;
	if (!mkdtemp(tmpl))
		abort();
	atexit(remove_reports);
	for (size_t i = 0; i < ARRAY_SIZE(reports); i++) {
		_cleanup_free_ char *src = xasprintf("%s/tests/fixtures/hosts/%s/expected.json", FUZZ_TOP, reports[i][0]);
		_cleanup_free_ char *dst = xasprintf("%s/%s.json", tmpl, reports[i][1]);
		_cleanup_free_ char *buf = NULL;
		size_t len;
		if (read_full_file(src, &buf, &len, 1 << 24) < 0 || write_file_atomic(dst, buf, len, 0644) < 0)
			abort();
	}
	struct vf_source_opts o = { .reports_dir = tmpl, .rescan_interval = 3600 };
	char *err = NULL;
	if (vf_sources_new(&o, &ctx.sources, &err) < 0) {
		fprintf(stderr, "fuzz_xmlrpc: %s\n", err);
		abort();
	}
	return &ctx;
}

static void answer(const struct rpc_call *c)
{
	struct rpc_writer w;
	struct vf_call_stats st = { 0 };
	rpc_writer_init(&w);
	vf_filter_call(filter_ctx(), c, FUZZ_FIXTURE_NOW, &w, &st);
	size_t len = 0;
	free(rpc_writer_take(&w, &len));
	rpc_writer_free(&w);
}

/* The surrogate-reference pass on its own: never longer, and done in one go (what it writes
 * holds no reference to a surrogate, so a second pass finds nothing). */
static void join_refs(const char *data, size_t size)
{
	char *out = NULL, *again = NULL, *err = NULL;
	size_t n = 0, m = 0;
	if (rpc_join_surrogate_refs(data, size, &out, &n, &err) == 1 &&
	    (n > size || rpc_join_surrogate_refs(out, n, &again, &m, NULL) != 0))
		abort();
	free(out);
	free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpc_call c;
	char *err = NULL;
	join_refs((const char *)data, size);
	if (rpc_parse_call((const char *)data, size, NULL, &c, &err) < 0) {
		free(err);
		return 0;
	}
	struct rpc_writer w;
	rpc_writer_init(&w);
	rpc_begin_response(&w);
	rpc_begin_array(&w);
	for (size_t i = 0; i < c.n_params; i++) {
		(void)rpc_string(&c.params[i]);
		(void)rpc_struct_get(&c.params[i], "id");
		write_value(&w, &c.params[i]);
	}
	rpc_end_array(&w);
	rpc_end_response(&w);
	size_t len = 0;
	free(rpc_writer_take(&w, &len));
	rpc_fault(&w, 1, "%s", c.method ? c.method : "");
	rpc_writer_free(&w);
	answer(&c);
	rpc_call_clear(&c);
	return 0;
}
