/* SPDX-License-Identifier: MIT */
/* `vfcap-report serve` (serve.h): HTTP, start and stop. When the host is read is
 * serve-gather.c's; a gather's result is an immutable snapshot (serve-snapshot.h), so a request
 * keeps its snapshot while a gather replaces it.
 * Threads: MHD's SERVE_THREADS epoll threads serve every connection and never read the host;
 * the gatherer thread does, while a request that asked (on demand, when not watching) waits
 * suspended (MHD_suspend_connection), so a slow gather holds up no other connection and a
 * connection costs no thread. The main thread takes signals and the kernel's notifications;
 * libvirt's events have a thread of their own (watch-libvirt.c). */
#include "log.h"
#include "net.h"
#include "serve.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http.h"
#include "serve-int.h"
#include "util.h"

#define TYPE_JSON "application/json"
#define TYPE_TEXT "text/plain; charset=utf-8"
#define TYPE_PROM "text/plain; version=0.0.4; charset=utf-8"
/* Clients are few (Prometheus, the filter) and answers come from memory; two threads keep up
 * with the thread per connection this replaced (0.86-0.98x its req/s from 50 keep-alive
 * clients here, 3.8 MB less peak RSS). */
#define SERVE_THREADS 2

/* ---- HTTP ---- */

/* applied: a Preference-Applied value, or "" */
static enum MHD_Result reply_ex(struct MHD_Connection *c, unsigned status, const char *type, const void *body,
				size_t len, const char *etag, const char *applied)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (etag)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	if (applied[0])
		MHD_add_response_header(resp, "Preference-Applied", applied);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result r = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, const void *body,
			     size_t len, const char *etag)
{
	return reply_ex(c, status, type, body, len, etag, "");
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	return reply(c, status, TYPE_TEXT, text, strlen(text), NULL);
}

/* wait: the seconds a long-poll was held for (Preference-Applied), 0 for none. */
static enum MHD_Result answer_report(struct server *s, struct MHD_Connection *c, int wait, bool held)
{
	struct snapshot *snap = current(s);
	enum MHD_Result r;
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	const char *etag = snap->etag[0] ? snap->etag : NULL;
	bool same = inm && etag && etag_matches(inm, etag);
	if (held) {
		pthread_mutex_lock(&s->lock);
		s->polls[!same]++;
		pthread_mutex_unlock(&s->lock);
	}
	char applied[32] = "";
	if (wait > 0)
		snprintf(applied, sizeof applied, "wait=%d", wait);
	if (!snap->json)
		r = reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, snap->problem);
	else if (same)
		r = reply_ex(c, MHD_HTTP_NOT_MODIFIED, NULL, "", 0, etag, applied);
	else
		r = reply_ex(c, MHD_HTTP_OK, TYPE_JSON, snap->json, snap->json_len, etag, applied);
	snapshot_unref(snap);
	return r;
}

/* The service's own families, after the report's: the age is taken at scrape time (a file
 * carries vfcap_report_timestamp_seconds instead, which stays true however late it is read). */
static enum MHD_Result answer_metrics(struct server *s, struct MHD_Connection *c)
{
	struct snapshot *snap = current(s);
	pthread_mutex_lock(&s->lock);
	uint64_t scrapes = ++s->scrapes;
	pthread_mutex_unlock(&s->lock);
	enum MHD_Result r;
	if (!snap->prom) {
		r = reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, snap->problem);
		snapshot_unref(snap);
		return r;
	}
	_cleanup_free_ char *text = serve_metrics(s, snap, scrapes, vf_http_guard_closed(s->guard));
	snapshot_unref(snap);
	return reply(c, MHD_HTTP_OK, TYPE_PROM, text, strlen(text), NULL);
}

static enum MHD_Result answer_health(struct server *s, struct MHD_Connection *c)
{
	struct snapshot *snap = current(s);
	enum MHD_Result r = snap->problem ? reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, snap->problem)
					  : reply_text(c, MHD_HTTP_OK, "ok\n");
	snapshot_unref(snap);
	return r;
}

/* The first call of a request sees its headers: a refused client or method is answered there,
 * which also makes MHD drop the connection unread. A GET is answered at the last call, after
 * any body (discarded): answered earlier, MHD 0.9.75 would close the connection too, and
 * Prometheus keeps its connection alive between scrapes. */
static char headers_seen, waited; /* what *con_cls points to: where a request is */

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct server *s = cls;
	if (!*con_cls) {
		*con_cls = &headers_seen;
		_cleanup_free_ char *why = s->tls.ca ? serve_tls_refusal(c) : NULL;
		_cleanup_free_ char *text = why ? xasprintf("vfcap-report: %s\n", why) : NULL;
		bool read = streq(method, MHD_HTTP_METHOD_GET) || streq(method, MHD_HTTP_METHOD_HEAD);
		if (text || !read)
			vf_http_guard_answering(c); /* refused here, whatever else comes */
		if (text)
			return reply_text(c, MHD_HTTP_FORBIDDEN, text);
		if (!read)
			return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "vfcap-report: read-only: GET or HEAD\n");
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	/* the request is whole: a gather that takes longer than serve_request_timeout must not
	 * get it cut */
	vf_http_guard_answering(c);
	/* resumed, the request is answered with what the gather made; it stays &waited until
	 * completed() */
	if (*con_cls == &headers_seen && wait_for_gather(s, c)) {
		*con_cls = &waited;
		return MHD_YES;
	}
	if (streq(url, "/v1/report")) {
		/* a long-poll resumed, or one to hold (it stays *con_cls until completed()) */
		if (*con_cls != &headers_seen && *con_cls != &waited)
			return answer_report(s, c, poll_wait_of(*con_cls), true);
		int wait = prefer_wait(c);
		struct poller *p = *con_cls == &headers_seen ? poll_start(s, c, wait) : NULL;
		if (p) {
			*con_cls = p;
			return MHD_YES;
		}
		return answer_report(s, c, wait, false);
	}
	if (streq(url, "/metrics"))
		return answer_metrics(s, c);
	if (streq(url, "/healthz"))
		return answer_health(s, c);
	return reply_text(c, MHD_HTTP_NOT_FOUND, "vfcap-report: no such path (/v1/report, /metrics, /healthz)\n");
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	if (*con_cls == &waited)
		waiter_done(cls);
	else if (*con_cls && *con_cls != &headers_seen)
		poll_done(cls, *con_cls);
	vf_http_guard_completed(c);
}

/* ---- start and stop ---- */

/* The socket is bound here rather than by MHD, whose bind error names no address. */
static int open_listener(const struct sockaddr_storage *ss, const char *where, unsigned *port)
{
	socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	_cleanup_close_ int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int on = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
	    bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, SOMAXCONN) < 0) {
		int e = errno;
		log_error("listen %s: %s", where, strerror(e));
		return -e;
	}
	struct sockaddr_storage bound;
	len = sizeof bound;
	if (getsockname(fd, (struct sockaddr *)&bound, &len) < 0)
		return -errno;
	*port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						  : ((struct sockaddr_in *)&bound)->sin_port);
	return TAKE_FD(fd);
}

static int start_http(struct server *s, struct sockaddr_storage *ss, const char *where, unsigned *port)
{
	int fd = open_listener(ss, where, port);
	if (fd < 0)
		return EXIT_CANNOT_START;
	s->guard = vf_http_guard_new(s->o->cfg->serve_http.request_timeout, "vfcap-report");
	if (!s->guard) {
		close(fd);
		log_error("listen %s: cannot start a thread", where);
		return EXIT_CANNOT_START;
	}
	/* epoll threads: answers come from a snapshot in memory, and the one request that waits
	 * for a gather is suspended, not blocking (see the top of the file) */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ERROR_LOG;
	if (ss->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (s->tls.cert)
		flags |= MHD_USE_TLS;
	/* MHD_OPTION_END ends the array early: without TLS, or without a client CA. TLS 1.2 and
	 * 1.3 only, as VDSM and the engine speak. */
	struct MHD_OptionItem tls[] = {
		{ s->tls.cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, s->tls.cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls.key },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" },
		{ s->tls.ca ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, s->tls.ca },
		{ MHD_OPTION_END, 0, NULL },
	};
	/* The logger must come first, or MHD prints its early messages its own way. MHD owns fd
	 * from here: MHD_stop_daemon closes it, and so do some of MHD's failure paths (not all:
	 * after a failure it is left to the exit that follows). */
	struct vf_http_limits http = s->o->cfg->serve_http;
	vf_http_fd_budget(&http, "vfcap-report");
	struct MHD_OptionItem limits[VF_HTTP_OPTIONS];
	vf_http_options(&http, s->guard, limits);
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, s, MHD_OPTION_EXTERNAL_LOGGER, vf_http_log,
				  "vfcap-report", MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
				  (unsigned)SERVE_THREADS, MHD_OPTION_ARRAY, limits,
				  MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
	if (!s->mhd) {
		log_error("listen %s: cannot start the HTTP server", where);
		return EXIT_CANNOT_START;
	}
	return 0;
}

/* SIGTERM, SIGINT and SIGHUP are blocked in every thread (threads started later inherit the
 * mask) and taken by the main loop (signalfd); SIGPIPE from a client that went away must not
 * kill the service. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void announce(const struct server *s, const char *where, unsigned port)
{
	_cleanup_free_ char *names = watch_names(s);
	_cleanup_free_ char *when = s->watching ? xasprintf("host read on change (%s) and at least every %d s", names, s->interval)
						: xasprintf("host read at most every %d s", s->interval);
	if (!s->tls.cert)
		log_info("serving http on %s (port %u), %s", where, port, when);
	else
		log_info("serving https on %s (port %u), %s; certificate %s; client certificates %s%s", where, port,
			 when, s->tls.cert_path, s->tls.ca ? "signed by " : "not checked", s->tls.ca ? s->tls.ca_path : "");
}

/* Until SIGTERM or SIGINT: SIGHUP (systemctl reload, an admin who just changed the host) forces
 * a read, and the kernel's notifications are taken as they come. */
static void main_loop(struct server *s, const sigset_t *set)
{
	_cleanup_close_ int sfd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		log_warning("signalfd: %s; the kernel's notifications are not read", strerror(errno));
	for (;;) {
		struct pollfd p[3] = { { sfd, POLLIN, 0 },
				       { vf_watch_rtnl_fd(&s->kernel), POLLIN, 0 },
				       { s->kernel.uevent_fd, POLLIN, 0 } };
		int sig = 0;
		if (sfd < 0) {
			if (sigwait(set, &sig) != 0)
				continue;
		} else {
			if (poll(p, 3, -1) < 0)
				continue; /* EINTR */
			watch_kernel_ready(s, p[1].revents, p[2].revents);
			struct signalfd_siginfo si;
			if (!p[0].revents || read(sfd, &si, sizeof si) != sizeof si)
				continue;
			sig = (int)si.ssi_signo;
		}
		if (sig != SIGHUP)
			return;
		sighup(s);
	}
}

static int run(struct server *s, const char *where, const sigset_t *stop)
{
	struct sockaddr_storage ss;
	if (vf_parse_listen(where, &ss, NULL) < 0) {
		log_error("listen %s: not ADDR:PORT (numeric IPv4 or [IPv6] address, port 0-65535)",
			where);
		return EXIT_USAGE;
	}
	int r = serve_tls_load(s->o->cfg, &s->tls);
	if (r)
		return r;
	watch_start(s); /* before the first read: a change during it is not missed */
	gather_now(s, R_START); /* the first gather, so that no client waits for it */
	if (pthread_create(&s->gatherer, NULL, gatherer, s) != 0) {
		log_error("listen %s: cannot start a thread", where);
		return EXIT_CANNOT_START;
	}
	unsigned port = 0;
	if ((r = start_http(s, &ss, where, &port))) {
		stop_gatherer(s);
		return r;
	}
	announce(s, where, port);
	main_loop(s, stop);
	stop_gatherer(s); /* MHD must hold no suspended connection when it stops */
	MHD_stop_daemon(s->mhd);
	log_info("stopped");
	return EXIT_STOPPED;
}

int vf_report_serve(const struct vf_serve_opts *o)
{
	sigset_t set;
	block_signals(&set); /* before libvirt or MHD start a thread */
	struct server s = { .o = o, .interval = o->interval > 0 ? o->interval : o->cfg->serve_interval,
			    .lock = PTHREAD_MUTEX_INITIALIZER };
	cond_init_monotonic(&s.cond);
	int r = run(&s, o->listen ? o->listen : o->cfg->serve_listen, &set);
	watch_stop(&s); /* after the gatherer: libvirt's thread calls into it */
	vf_http_guard_free(s.guard); /* after MHD_stop_daemon, which ends its connections */
	serve_tls_clear(&s.tls);
	snapshot_unref(s.cur);
	free(s.logged);
	vf_holder_hints_clear(&s.hints);
	pthread_cond_destroy(&s.cond);
	return r;
}
