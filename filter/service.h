/* SPDX-License-Identifier: MIT */
/* `vfcap-filter serve`: XML-RPC over HTTP/1.1 (keep-alive) with libmicrohttpd.
 *
 * POST to any path is a call (the engine posts to the path of ExternalSchedulerServiceURL);
 * GET /healthz answers "ok", GET /metrics the service's metrics and the cluster view (metrics.h);
 * another GET, 405 (HEAD as GET, without the body). A body over max_body is refused with HTTP 413 before it is read;
 * a body that does not parse, or a call that cannot be answered, gets an XML-RPC fault (HTTP
 * 200, as the protocol wants). A connection idle for conn_timeout is closed, and so is one
 * whose request is incomplete request_timeout seconds after its first byte (lib/http.h). One
 * log line per request on stderr: method, hosts in/out, HTTP status, milliseconds. */
#pragma once

#include <stddef.h>

#include "config.h"
#include "methods.h"

struct vf_service_opts {
	const char *listen;  /* "ADDR:PORT" or "[V6ADDR]:PORT"; port 0 picks one */
	unsigned threads;    /* worker threads, >= 1 */
	size_t max_body;     /* bytes */
	struct vf_http_limits http;
	bool quiet;          /* no per-request log lines (benchmarks) */
};

struct vf_service;

/* Bind and start serving in background threads. -errno with *errmsg ("listen 1.2.3.4:x: ...").
 * *port (when not NULL) = the port bound. */
int vf_service_start(const struct vf_service_opts *o, struct vf_filter_ctx *ctx, struct vf_service **ret,
		     unsigned *port, char **errmsg);
void vf_service_stop(struct vf_service *s); /* NULL is fine */
