/* SPDX-License-Identifier: MIT */
/* What test_filter_xmlrpc.c (the parser) and test_filter_xmlrpc_write.c (the writer, whose replies
 * are read back with the parser) share: the XML declaration, the engine's host ids, and parsing a
 * call that must succeed. Include after <cmocka.h>. */
#pragma once

#include <stddef.h>
#include <string.h>

#include "util.h"
#include "xmlrpc.h"

#define DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"

static const char *const host_ids[] = {
	"0b8c4f6e-2a1d-4e5f-9a3b-1c2d3e4f5a6b",
	"5d7e9f10-3b2c-4d6e-8f1a-2b3c4d5e6f70",
	"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
};

static inline void parse_n(const char *body, size_t len, struct rpc_call *c)
{
	_cleanup_free_ char *err = NULL;
	int r = rpc_parse_call(body, len, NULL, c, &err);
	if (r < 0)
		fail_msg("%d %s\n%.*s", r, err, (int)len, body);
	assert_null(err);
}

static inline void parse_ok(const char *body, struct rpc_call *c)
{
	parse_n(body, strlen(body), c);
}
