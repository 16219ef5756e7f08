/* SPDX-License-Identifier: MIT */
/* libFuzzer: filter/xmlrpc.c's rpc_parse_call; a call that parses has its params written back
 * by the reply writer (filter/xmlrpc-write.c), as the methods echo engine data. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpc_call c;
	char *err = NULL;
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
	rpc_call_clear(&c);
	return 0;
}
