/* SPDX-License-Identifier: MIT */
/* `vfcap-report serve` (serve.h). One gather at a time, on demand: the request that finds the
 * report older than the interval starts a gather and waits for it; requests meanwhile get the
 * previous report at once. A gather's result is an immutable snapshot (JSON, its ETag, the
 * Prometheus text, the problems), reference-counted, so a request keeps its snapshot while a
 * gather replaces it.
 * Threads: MHD's SERVE_THREADS epoll threads serve every connection and never read the host;
 * the gatherer thread does, while the request that asked waits suspended
 * (MHD_suspend_connection), so a slow gather holds up no other connection and a connection
 * costs no thread. */
#include "log.h"
#include "net.h"
#include "serve.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>

#include <gnutls/crypto.h>
#include <microhttpd.h>

#include "format.h"
#include "http.h"
#include "report.h"
#include "serve-tls.h"
#include "util.h"

#define TYPE_JSON "application/json"
#define TYPE_TEXT "text/plain; charset=utf-8"
#define TYPE_PROM "text/plain; version=0.0.4; charset=utf-8"
/* Clients are few (Prometheus, the filter) and answers come from memory; two threads keep up
 * with the thread per connection this replaced (0.86-0.98x its req/s from 50 keep-alive
 * clients here, 3.8 MB less peak RSS). */
#define SERVE_THREADS 2

struct snapshot {
	int refs;
	char *json; /* NULL: no report (sysfs unreadable since the start) */
	size_t json_len;
	char etag[2 + 32 + 1];
	char *prom;
	time_t generated_at;
	char *problem; /* NULL: the gather had no error; else one "source: message\n" line each */
};

struct server {
	const struct vf_serve_opts *o;
	int interval;
	pthread_mutex_t lock; /* guards what follows */
	pthread_cond_t cond;  /* wakes the gatherer; tells stop_gatherer() the waiter was answered */
	struct snapshot *cur;
	struct timespec gathered; /* when cur's gather began (CLOCK_MONOTONIC) */
	bool gathering;           /* asked for or under way */
	bool quit;
	struct MHD_Connection *waiter; /* suspended until the gather it asked for ends */
	int waiting;              /* waiters suspended, or resumed with their answer not yet sent
				   * (more than one when a gather outlasts the interval) */
	uint64_t gathers, scrapes;
	char *logged; /* the problem last logged; only the gatherer touches it */
	pthread_t gatherer;
	struct serve_tls tls;
	struct vf_http_guard *guard;
	struct MHD_Daemon *mhd;
};

/* ---- snapshots ---- */

static struct snapshot *snapshot_ref(struct snapshot *s)
{
	if (s)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return s;
}

static void snapshot_unref(struct snapshot *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	free(s->json);
	free(s->prom);
	free(s->problem);
	free(s);
}

/* A strong ETag: the first 128 bits of the body's SHA-256, so equal bodies share a tag across
 * gathers and restarts (a client's If-None-Match stays good while nothing changed). Should
 * hashing fail, no tag at all: a wrong one would answer 304 for a changed report. */
static void set_etag(struct snapshot *s)
{
	unsigned char d[32];
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, s->json, s->json_len, d) < 0)
		return;
	char *o = s->etag;
	*o++ = '"';
	for (size_t i = 0; i < 16; i++)
		o += sprintf(o, "%02x", d[i]);
	strcpy(o, "\"");
}

static char *problems_of(const struct vf_host *h)
{
	char *text = NULL;
	for (size_t i = 0; i < h->n_errors; i++) {
		char *t = xasprintf("%s%s: %s\n", text ? text : "", vf_source_to_string(h->errors[i].source) ?: "?",
				    h->errors[i].message ?: "");
		free(text);
		text = t;
	}
	return text;
}

static struct snapshot *snapshot_of(const struct vf_host *h)
{
	struct snapshot *s = xcalloc(1, sizeof *s);
	s->refs = 1;
	s->json = vf_report_format_json(h, true);
	s->json_len = strlen(s->json);
	s->prom = vf_format_prometheus(h);
	if (!s->prom) {
		fputs("vfcap: out of memory\n", stderr);
		abort();
	}
	s->generated_at = h->generated_at;
	s->problem = problems_of(h);
	set_etag(s);
	return s;
}

/* Nothing could be read: the previous report, if any, stays served (its age tells how old it
 * is), and the problem says why it is not new. */
static struct snapshot *snapshot_failed(const struct snapshot *prev, char *problem)
{
	struct snapshot *s = xcalloc(1, sizeof *s);
	s->refs = 1;
	s->problem = problem;
	if (prev && prev->json) {
		s->json = xstrdup(prev->json);
		s->json_len = prev->json_len;
		s->prom = xstrdup(prev->prom);
		s->generated_at = prev->generated_at;
		memcpy(s->etag, prev->etag, sizeof s->etag);
	}
	return s;
}

/* ---- gathering ---- */

static struct snapshot *gather(const struct server *s, const struct snapshot *prev)
{
	struct vf_gather_opts g = s->o->gather;
	g.now = vf_now();
	_cleanup_host_ struct vf_host *h = vf_host_new();
	int r = vf_gather(h, s->o->cfg, &g, NULL);
	if (r >= 0)
		return snapshot_of(h);
	return snapshot_failed(prev, xasprintf("sysfs: cannot read %s/class/net: %s\n",
					       vf_gather_sysfs_root(s->o->cfg, &g), strerror(-r)));
}

/* Scrapes come every few seconds: a failing source is logged when it starts failing (or fails
 * differently) and when it recovers, not at every gather. */
static void log_transition(struct server *s, const char *problem)
{
	if (streq_ptr(problem, s->logged))
		return;
	if (!problem)
		log_info("gather: every source reads again");
	for (const char *l = problem; l && *l;) {
		const char *nl = strchr(l, '\n');
		int n = nl ? (int)(nl - l) : (int)strlen(l);
		log_warning("gather failed: %.*s", n, l);
		l += n + (nl != NULL);
	}
	free(s->logged);
	s->logged = xstrdup(problem);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Read the host and make the result current. */
static void gather_now(struct server *s)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	pthread_mutex_lock(&s->lock);
	struct snapshot *prev = snapshot_ref(s->cur);
	pthread_mutex_unlock(&s->lock);
	struct snapshot *fresh = gather(s, prev);
	snapshot_unref(prev);
	log_transition(s, fresh->problem);

	pthread_mutex_lock(&s->lock);
	struct snapshot *old = s->cur;
	s->cur = fresh;
	s->gathered = start;
	s->gathers++;
	pthread_mutex_unlock(&s->lock);
	snapshot_unref(old);
}

/* Gathers when asked, then resumes the request that asked: under the lock, as it was suspended,
 * so the two can never cross. Ends on quit once no gather is asked for. */
static void *gatherer(void *arg)
{
	struct server *s = arg;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->gathering && !s->quit)
			pthread_cond_wait(&s->cond, &s->lock);
		if (!s->gathering)
			break;
		pthread_mutex_unlock(&s->lock);
		gather_now(s);
		pthread_mutex_lock(&s->lock);
		s->gathering = false;
		if (s->waiter)
			MHD_resume_connection(s->waiter);
		s->waiter = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Is the report older than the interval, with no gather under way? Then this request asks for
 * one and waits for it, suspended (true); otherwise it is answered now with the report there is. */
static bool wait_for_gather(struct server *s, struct MHD_Connection *c)
{
	pthread_mutex_lock(&s->lock);
	bool mine = !s->gathering && !s->quit && seconds_since(&s->gathered) >= s->interval;
	if (mine) {
		s->gathering = true;
		s->waiting++;
		s->waiter = c;
		MHD_suspend_connection(c);
		pthread_cond_broadcast(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
	return mine;
}

/* The waiter's request has ended: its answer sent, or its connection closed. A stop must wait for
 * that, not only for the resume: MHD_stop_daemon drops an answer still being sent. */
static void waiter_done(struct server *s)
{
	pthread_mutex_lock(&s->lock);
	s->waiting--;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* The current snapshot, a reference for the caller. */
static struct snapshot *current(struct server *s)
{
	pthread_mutex_lock(&s->lock);
	struct snapshot *snap = snapshot_ref(s->cur);
	pthread_mutex_unlock(&s->lock);
	return snap;
}

/* ---- HTTP ---- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, const void *body,
			     size_t len, const char *etag)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (etag)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result r = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	return reply(c, status, TYPE_TEXT, text, strlen(text), NULL);
}

/* If-None-Match: "*", or a comma-separated list of tags; weak comparison (RFC 9110 13.1.2). */
static bool etag_matches(const char *list, const char *etag)
{
	size_t n = strlen(etag);
	for (const char *p = list; *p;) {
		p += strspn(p, " \t,");
		if (*p == '*')
			return true;
		if (startswith(p, "W/"))
			p += 2;
		if (strncmp(p, etag, n) == 0 && (!p[n] || strchr(" \t,", p[n])))
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

static enum MHD_Result answer_report(struct server *s, struct MHD_Connection *c)
{
	struct snapshot *snap = current(s);
	enum MHD_Result r;
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	const char *etag = snap->etag[0] ? snap->etag : NULL;
	if (!snap->json)
		r = reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, snap->problem);
	else if (inm && etag && etag_matches(inm, etag))
		r = reply(c, MHD_HTTP_NOT_MODIFIED, NULL, "", 0, etag);
	else
		r = reply(c, MHD_HTTP_OK, TYPE_JSON, snap->json, snap->json_len, etag);
	snapshot_unref(snap);
	return r;
}

/* The service's own families, after the report's: the age is taken at scrape time (a file
 * carries vfcap_report_timestamp_seconds instead, which stays true however late it is read). */
static enum MHD_Result answer_metrics(struct server *s, struct MHD_Connection *c)
{
	struct snapshot *snap = current(s);
	pthread_mutex_lock(&s->lock);
	uint64_t gathers = s->gathers, scrapes = ++s->scrapes;
	pthread_mutex_unlock(&s->lock);
	uint64_t cut = vf_http_guard_closed(s->guard);
	enum MHD_Result r;
	if (!snap->prom) {
		r = reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, snap->problem);
		snapshot_unref(snap);
		return r;
	}
	_cleanup_free_ char *text = xasprintf(
		"%s# HELP vfcap_report_age_seconds Seconds since the served report was generated.\n"
		"# TYPE vfcap_report_age_seconds gauge\nvfcap_report_age_seconds %lld\n"
		"# HELP vfcap_gathers_total Reads of the host state since the service started.\n"
		"# TYPE vfcap_gathers_total counter\nvfcap_gathers_total %" PRIu64 "\n"
		"# HELP vfcap_scrapes_total Requests for /metrics since the service started.\n"
		"# TYPE vfcap_scrapes_total counter\nvfcap_scrapes_total %" PRIu64 "\n"
		"# HELP vfcap_slow_clients_closed_total Connections closed because their request was incomplete "
		"serve_request_timeout seconds after its first byte.\n"
		"# TYPE vfcap_slow_clients_closed_total counter\nvfcap_slow_clients_closed_total %" PRIu64 "\n",
		snap->prom, (long long)(vf_now() - snap->generated_at), gathers, scrapes, cut);
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
	if (*con_cls != &waited && wait_for_gather(s, c)) {
		*con_cls = &waited;
		return MHD_YES;
	}
	if (streq(url, "/v1/report"))
		return answer_report(s, c);
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

/* No request waits for a gather from here on: one under way ends, its waiter is resumed, and
 * this returns once the waiter's answer is sent (or its connection closed). */
static void stop_gatherer(struct server *s)
{
	pthread_mutex_lock(&s->lock);
	s->quit = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->gatherer, NULL);
	pthread_mutex_lock(&s->lock);
	while (s->waiting > 0)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

/* SIGTERM and SIGINT are blocked in every thread (threads started later inherit the mask) and
 * taken here by sigwait; SIGPIPE from a client that went away must not kill the service. */
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
	if (!s->tls.cert)
		log_info("serving http on %s (port %u), host read at most every %d s", where,
			port, s->interval);
	else
		log_info("serving https on %s (port %u), host read at most every %d s; "
				"certificate %s; client certificates %s%s",
			where, port, s->interval, s->tls.cert_path, s->tls.ca ? "signed by " : "not checked",
			s->tls.ca ? s->tls.ca_path : "");
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
	gather_now(s); /* the first gather, so that no client waits for it */
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
	/* SIGHUP (systemctl reload, an admin who just changed the host): the next request reads
	 * the host again instead of waiting out the interval */
	int sig = 0;
	while (sigwait(stop, &sig) != 0 || sig == SIGHUP) {
		if (sig != SIGHUP)
			continue;
		pthread_mutex_lock(&s->lock);
		s->gathered.tv_sec -= s->interval + 1;
		pthread_mutex_unlock(&s->lock);
		log_info("SIGHUP: the next request reads the host again");
	}
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
			    .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	int r = run(&s, o->listen ? o->listen : o->cfg->serve_listen, &set);
	vf_http_guard_free(s.guard); /* after MHD_stop_daemon, which ends its connections */
	serve_tls_clear(&s.tls);
	snapshot_unref(s.cur);
	free(s.logged);
	return r;
}
