/* SPDX-License-Identifier: MIT */
/* What `vfcap-report serve` and `vfcap-filter serve` share around libmicrohttpd: the
 * connection limits from the config, MHD's log lines, and the request-time guard.
 *
 * MHD 0.9.75's connection timeout counts idle time only, so a client sending one byte a
 * second ("slowloris") keeps its connection, and its slot, for ever. The guard closes a
 * connection whose request is still incomplete request_timeout seconds after its first byte
 * (checked twice a second): a janitor thread keeps the list of open connections, learns from
 * the kernel (TCP_INFO's count of bytes received, against the count when the last request
 * completed) when a connection that was idle starts a request, and shuts the socket down when
 * that request outlives its budget; MHD then closes it as it would any dead connection. Idle
 * keep-alive connections are left to MHD's idle timeout; a request whose answer is being made
 * or sent is never cut. With TLS the handshake counts as the first request's first bytes. */
#pragma once

#include <stdint.h>

#include <microhttpd.h>

#include "config.h"

struct vf_http_guard;

/* A guard for request_timeout seconds (0: the guard starts no thread and closes nothing);
 * prog prefixes its log lines ("vfcap-report"). NULL when the thread cannot start. */
struct vf_http_guard *vf_http_guard_new(unsigned request_timeout, const char *prog);
/* After MHD_stop_daemon (MHD tells the guard about every connection it closes). */
void vf_http_guard_free(struct vf_http_guard *g);

/* The request on c is complete: its answer is being made (the handler queues it now). */
void vf_http_guard_answering(struct MHD_Connection *c);
/* From MHD_OPTION_NOTIFY_COMPLETED: the next request on c has not begun yet. */
void vf_http_guard_completed(struct MHD_Connection *c);
/* Connections the guard has closed since it started. */
uint64_t vf_http_guard_closed(struct vf_http_guard *g);

/* Connections need file descriptors, and so do the service's own reads (report files, libvirt,
 * curl): the soft RLIMIT_NOFILE is raised to the hard one (systemd's soft default is 1024,
 * below the filter's 1024 connections), and max_conns lowered, with a log line, when even that
 * leaves fewer than VF_HTTP_FD_RESERVE descriptors beside them. */
#define VF_HTTP_FD_RESERVE 128
void vf_http_fd_budget(struct vf_http_limits *l, const char *prog);

/* The MHD options for the limits and the guard (which must outlive the daemon), for
 * MHD_OPTION_ARRAY: idle timeout, connection limit, per-address limit, connection notices. */
#define VF_HTTP_OPTIONS 5
void vf_http_options(const struct vf_http_limits *l, struct vf_http_guard *g,
		     struct MHD_OptionItem opts[VF_HTTP_OPTIONS]);

/* MHD_OPTION_EXTERNAL_LOGGER with the program name as cls: "PROG: http: MESSAGE" lines. */
void vf_http_log(void *prog, const char *fmt, va_list ap);
