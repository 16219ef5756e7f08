/* SPDX-License-Identifier: MIT */
/* `vfcap-report serve`: the report over HTTP (libmicrohttpd), optionally TLS with client
 * certificates (gnutls), read-only:
 *
 *   GET /v1/report  the JSON report (what --format json prints), strong ETag, If-None-Match -> 304
 *   GET /metrics    Prometheus text 0.0.4: --format prometheus plus the service's own families
 *   GET /healthz    200 "ok" when the last gather had no error, else 503 and the reasons
 *
 * HEAD works on each; other methods get 405, other paths 404. On a live host serve watches
 * what changes the answer (watch.h) and reads the host after a change, publishing a new
 * report (and ETag) only when its content differs, and at least once per interval besides.
 * Not watching (serve_watch = no, or recorded sources) the host is read at most once per
 * interval, on demand: the request that finds the report stale gathers, one at a time, while
 * the others are answered at once with the previous report. */
#pragma once

#include "config.h"
#include "gather.h"
#include "report-exit.h"

struct vf_serve_opts {
	const struct vf_config *cfg;
	struct vf_gather_opts gather; /* the sources; .now is set at every gather */
	const char *listen;           /* NULL: cfg->serve_listen */
	int interval;                 /* seconds; 0: cfg->serve_interval */
};

/* Serve until SIGTERM or SIGINT. Prints "... (port N) ..." on stderr once listening. Returns
 * the exit code: 0 after a signal, 1 for a bad listen address or contradicting TLS settings,
 * 2 when a TLS file cannot be read or used, or the address cannot be bound. */
int vf_report_serve(const struct vf_serve_opts *o);
