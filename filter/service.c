/* SPDX-License-Identifier: MIT */
/* The HTTP side of `vfcap-filter serve` (service.h). libmicrohttpd owns sockets, keep-alive,
 * timeouts and the worker threads; this file collects a request body within the limit, hands
 * it to the XML-RPC parser and the methods, and queues the reply. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "http.h"
#include "log.h"
#include "metrics.h"
#include "net.h"
#include "service.h"
#include "util.h"

struct vf_service {
	struct MHD_Daemon *mhd;
	struct vf_http_guard *guard;
	struct vf_filter_ctx *ctx;
	struct vf_service_opts opts;
	struct vf_metrics metrics;
};

/* One request's state between the handler's calls. */
struct request {
	struct timespec start;
	char *body;
	size_t len, cap;
	bool too_big;
	bool responded; /* an early 413 is queued; whatever else arrives is dropped */
};

static double ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The log line, and for a POST the call's place in /metrics. */
static void log_request(struct vf_service *s, const struct request *rq, const struct vf_call_stats *st,
			unsigned status)
{
	if (status != MHD_HTTP_METHOD_NOT_ALLOWED && !streq(st->method, "GET")) /* a call, or one too big */
		vf_metrics_call(&s->metrics, st, ms_since(&rq->start) / 1e3);
	if (s->opts.quiet)
		return;
	/* one fprintf: one write(2) per line on an unbuffered stderr, lines never interleave */
	log_info("method=%s hosts_in=%zu hosts_out=%zu status=%u%s ms=%.3f",
		st->method[0] ? st->method : "-", st->hosts_in, st->hosts_out, status, st->fault ? " fault=1" : "",
		ms_since(&rq->start));
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, char *body, size_t len, const char *type)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "POST");
	enum MHD_Result r = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result queue_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	return queue(c, status, xstrdup(text), strlen(text), "text/plain; charset=utf-8");
}

/* Parse, answer, queue: the whole XML-RPC exchange of one request. */
static enum MHD_Result answer_call(struct vf_service *s, struct MHD_Connection *c, struct request *rq)
{
	struct vf_call_stats st = { 0 };
	struct rpc_writer w;
	rpc_writer_init(&w);
	struct rpc_limits lim = { .max_body = s->opts.max_body, .max_depth = RPC_DEFAULT_MAX_DEPTH };
	struct rpc_call call = { 0 };
	_cleanup_free_ char *err = NULL;
	if (rpc_parse_call(rq->body ? rq->body : "", rq->len, &lim, &call, &err) < 0) {
		st.fault = true;
		rpc_fault(&w, VF_FAULT_PARSE, "%s", err);
	} else {
		vf_filter_call(s->ctx, &call, vf_now(), &w, &st);
		rpc_call_clear(&call);
	}
	size_t len;
	char *reply = rpc_writer_take(&w, &len);
	log_request(s, rq, &st, MHD_HTTP_OK);
	return queue(c, MHD_HTTP_OK, reply, len, "text/xml");
}

static void unref_all(struct vf_host_entry **caps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vf_entry_unref(caps[i]);
	free(caps);
}

/* The text is made at each scrape from the sources' tables (references, no copy): 10,000 hosts
 * cost a few ms and ~4 MB of text, for one scrape a minute or so. */
static enum MHD_Result answer_metrics(struct vf_service *s, struct MHD_Connection *c)
{
	struct vf_policy p;
	vf_policy_default(&p);
	struct vf_metrics_input in = { .now = vf_now(), .stale_after = p.max_report_age,
				       .slow_closed = vf_http_guard_closed(s->guard) };
	vf_sources_stats(s->ctx->sources, &in.sources);
	struct vf_host_entry **caps = NULL;
	in.n_hosts = vf_sources_all(s->ctx->sources, &caps);
	in.hosts = caps;
	char *text = vf_metrics_text(&s->metrics, &in);
	unref_all(caps, in.n_hosts);
	if (!text)
		return queue_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "vfcap-filter: out of memory\n");
	return queue(c, MHD_HTTP_OK, text, strlen(text), "text/plain; version=0.0.4; charset=utf-8");
}

static enum MHD_Result answer_get(struct vf_service *s, struct MHD_Connection *c, const char *url,
				  struct request *rq)
{
	struct vf_call_stats st = { .method = "GET" };
	bool health = streq(url, "/healthz"), metrics = streq(url, "/metrics");
	log_request(s, rq, &st, health || metrics ? MHD_HTTP_OK : MHD_HTTP_METHOD_NOT_ALLOWED);
	if (health)
		return queue_text(c, MHD_HTTP_OK, "ok\n");
	if (metrics)
		return answer_metrics(s, c);
	return queue_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "vfcap-filter: XML-RPC wants POST\n");
}

/* The first call of a request: its state, and an early 413 when Content-Length says it all. */
static enum MHD_Result begin(struct vf_service *s, struct MHD_Connection *c, void **con_cls)
{
	struct request *rq = xcalloc(1, sizeof *rq);
	clock_gettime(CLOCK_MONOTONIC, &rq->start);
	*con_cls = rq;
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > s->opts.max_body) {
		rq->too_big = rq->responded = true;
		struct vf_call_stats st = { .method = "-", .fault = true };
		log_request(s, rq, &st, MHD_HTTP_CONTENT_TOO_LARGE);
		return queue_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "vfcap-filter: request body over the limit\n");
	}
	return MHD_YES;
}

static void append_body(struct vf_service *s, struct request *rq, const char *data, size_t n)
{
	if (rq->too_big)
		return;
	if (n > s->opts.max_body - rq->len) {
		rq->too_big = true; /* chunked or lying Content-Length: drop what came, refuse at the end */
		free(rq->body);
		rq->body = NULL;
		rq->len = rq->cap = 0;
		return;
	}
	if (rq->len + n + 1 > rq->cap) {
		rq->cap = rq->cap ? rq->cap * 2 : 4096;
		while (rq->cap < rq->len + n + 1)
			rq->cap *= 2;
		rq->body = xrealloc(rq->body, rq->cap);
	}
	memcpy(rq->body + rq->len, data, n);
	rq->len += n;
	rq->body[rq->len] = '\0';
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct vf_service *s = cls;
	struct request *rq = *con_cls;
	if (!rq)
		return begin(s, c, con_cls);
	if (rq->responded) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	bool post = streq(method, MHD_HTTP_METHOD_POST);
	if (post && *upload_data_size) {
		append_body(s, rq, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	/* Whatever comes next answers: the request is whole (its time is no longer counted), or
	 * its method has no body worth waiting for. */
	vf_http_guard_answering(c);
	if (streq(method, MHD_HTTP_METHOD_GET) || streq(method, MHD_HTTP_METHOD_HEAD))
		return answer_get(s, c, url, rq);
	if (!post) {
		struct vf_call_stats st = { .method = "-" };
		log_request(s, rq, &st, MHD_HTTP_METHOD_NOT_ALLOWED);
		return queue_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "vfcap-filter: XML-RPC wants POST\n");
	}
	if (rq->too_big) {
		struct vf_call_stats st = { .method = "-", .fault = true };
		log_request(s, rq, &st, MHD_HTTP_CONTENT_TOO_LARGE);
		return queue_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "vfcap-filter: request body over the limit\n");
	}
	return answer_call(s, c, rq);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;
	if (rq)
		free(rq->body);
	free(rq);
	*con_cls = NULL;
	vf_http_guard_completed(c);
}

int vf_service_start(const struct vf_service_opts *o, struct vf_filter_ctx *ctx, struct vf_service **ret,
		     unsigned *port, char **errmsg)
{
	struct sockaddr_storage ss;
	int r = vf_parse_listen(o->listen, &ss, errmsg);
	if (r < 0)
		return r;
	_cleanup_free_ struct vf_service *s = xcalloc(1, sizeof *s);
	s->ctx = ctx;
	s->opts = *o;
	vf_metrics_init(&s->metrics);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->guard = vf_http_guard_new(o->http.request_timeout, "vfcap-filter");
	if (!s->guard) {
		vf_metrics_destroy(&s->metrics);
		return set_error(errmsg, -EAGAIN, "listen %s: cannot start a thread", o->listen);
	}
	struct vf_http_limits http = o->http;
	vf_http_fd_budget(&http, "vfcap-filter");
	struct MHD_OptionItem limits[VF_HTTP_OPTIONS];
	vf_http_options(&http, s->guard, limits);
	/* the logger must come first, or MHD prints its early messages its own way */
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
				  MHD_OPTION_EXTERNAL_LOGGER, vf_http_log, "vfcap-filter",
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads ? o->threads : 1),
				  MHD_OPTION_ARRAY, limits,
				  MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
				  MHD_OPTION_END);
	if (!s->mhd) {
		vf_http_guard_free(s->guard);
		vf_metrics_destroy(&s->metrics);
		return set_error(errmsg, -EADDRNOTAVAIL, "listen %s: cannot start the HTTP server (address in use?)",
				 o->listen);
	}
	if (port) {
		const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
		*port = info ? info->port : 0;
	}
	*ret = TAKE_PTR(s);
	return 0;
}

void vf_service_stop(struct vf_service *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->mhd);
	vf_http_guard_free(s->guard);
	vf_metrics_destroy(&s->metrics);
	free(s);
}
