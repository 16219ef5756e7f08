/* SPDX-License-Identifier: MIT */
/* The services' shared HTTP pieces (http.h): connection limits, MHD's log, the request-time
 * guard. */
#include "http.h"

#include <errno.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_received (glibc's lacks it) */
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "util.h"

#define TICK_MS 500
#define LOG_EVERY_MS 10000 /* a kind of log line is written at most this often */

/* One open connection, from MHD's STARTED notice to its CLOSED notice. The lock covers every
 * field but the constant ones (g, fd, peer). The peer is kept as an address and written out
 * only for a log line: accepting a connection formats nothing. */
struct conn {
	struct conn *prev, *next;
	struct vf_http_guard *g;
	int fd;
	uint64_t idle_bytes; /* bytes received when the last request completed: more = a new one */
	int64_t began_ms;    /* when the janitor saw the current request begin; 0: not yet */
	bool answering;      /* the request is complete: its answer is being made or sent */
	bool cut;
	struct sockaddr_storage peer; /* AF_UNSPEC: unknown */
};

struct vf_http_guard {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* CLOCK_MONOTONIC: stop */
	bool stop;
	pthread_t thread;
	int64_t timeout_ms;
	const char *prog;
	struct conn *head;
	uint64_t closed;
	unsigned unlogged; /* cuts since the last log line */
	int64_t logged_ms; /* when that line was written; 0: never */
	struct sockaddr_storage last_peer;
};

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The kernel's count of bytes received on fd; false when it cannot tell (then the
 * connection is left to MHD's idle timeout). */
static bool bytes_received(int fd, uint64_t *n)
{
	struct tcp_info ti;
	socklen_t len = sizeof ti;
	memset(&ti, 0, sizeof ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received)
		return false;
	*n = ti.tcpi_bytes_received;
	return true;
}

/* ---- the janitor ---- */

/* Has c's request outlived the budget? Marks when it began, the first time bytes are seen
 * after the last completed request. Under g->lock. */
static bool overdue(struct conn *c, int64_t now)
{
	if (c->answering || c->cut)
		return false;
	if (!c->began_ms) {
		uint64_t n;
		if (!bytes_received(c->fd, &n) || n <= c->idle_bytes)
			return false;
		c->began_ms = now; /* the first byte came after the previous tick: never early */
	}
	return now - c->began_ms >= c->g->timeout_ms;
}

/* The cuts since the last line, at most one line per LOG_EVERY_MS (a flood of slow clients
 * would otherwise write two lines a second for as long as it lasts). Under g->lock; the caller
 * prints *line (when set) after unlocking. */
static void cuts_line(struct vf_http_guard *g, int64_t now, bool flush, char **line)
{
	if (!g->unlogged || (!flush && now - g->logged_ms < LOG_EVERY_MS && g->logged_ms))
		return;
	char peer[NI_MAXHOST];
	const struct sockaddr *sa = (const struct sockaddr *)&g->last_peer;
	socklen_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (sa->sa_family == AF_UNSPEC || getnameinfo(sa, len, peer, sizeof peer, NULL, 0, NI_NUMERICHOST) != 0)
		strcpy(peer, "?");
	*line = xasprintf("%s: http: closed %u connection(s) whose request was incomplete %lld s after its first "
			  "byte (request_timeout; last from %s)\n",
			  g->prog, g->unlogged, (long long)(g->timeout_ms / 1000), peer);
	g->unlogged = 0;
	g->logged_ms = now;
}

/* One pass: shut down the overdue connections (their fds stay valid: MHD closes a socket only
 * after its CLOSED notice, which waits for the lock). */
static void sweep(struct vf_http_guard *g, bool flush)
{
	_cleanup_free_ char *line = NULL;
	int64_t now = now_ms();
	pthread_mutex_lock(&g->lock);
	for (struct conn *c = g->head; c && !flush; c = c->next) {
		if (!overdue(c, now))
			continue;
		shutdown(c->fd, SHUT_RDWR);
		c->cut = true;
		g->closed++;
		g->unlogged++;
		g->last_peer = c->peer;
	}
	cuts_line(g, now, flush, &line);
	pthread_mutex_unlock(&g->lock);
	if (line)
		fputs(line, stderr);
}

static void *janitor(void *arg)
{
	struct vf_http_guard *g = arg;
	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		struct timespec t = monotonic_after_ms(TICK_MS);
		if (pthread_cond_timedwait(&g->wake, &g->lock, &t) != ETIMEDOUT)
			continue;
		pthread_mutex_unlock(&g->lock);
		sweep(g, false);
		pthread_mutex_lock(&g->lock);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

struct vf_http_guard *vf_http_guard_new(unsigned request_timeout, const char *prog)
{
	struct vf_http_guard *g = xcalloc(1, sizeof *g);
	cond_init_monotonic(&g->wake);
	pthread_mutex_init(&g->lock, NULL);
	g->timeout_ms = (int64_t)request_timeout * 1000;
	g->prog = prog;
	if (pthread_create(&g->thread, NULL, janitor, g) != 0) {
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return NULL;
	}
	return g;
}

void vf_http_guard_free(struct vf_http_guard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = true;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	sweep(g, true); /* the cuts not logged yet */
	while (g->head) { /* none after MHD_stop_daemon; kept safe anyway */
		struct conn *c = g->head;
		g->head = c->next;
		free(c);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

uint64_t vf_http_guard_closed(struct vf_http_guard *g)
{
	pthread_mutex_lock(&g->lock);
	uint64_t n = g->closed;
	pthread_mutex_unlock(&g->lock);
	return n;
}

/* ---- MHD's notices ---- */

static void conn_started(struct vf_http_guard *g, struct MHD_Connection *mc, void **socket_context)
{
	const union MHD_ConnectionInfo *fd = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *addr = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!fd)
		return;
	struct conn *c = xcalloc(1, sizeof *c);
	c->g = g;
	c->fd = fd->connect_fd;
	const struct sockaddr *sa = addr ? addr->client_addr : NULL;
	if (sa && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6))
		memcpy(&c->peer, sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	pthread_mutex_lock(&g->lock);
	c->next = g->head;
	if (g->head)
		g->head->prev = c;
	g->head = c;
	pthread_mutex_unlock(&g->lock);
	*socket_context = c;
}

static void conn_closed(struct vf_http_guard *g, void **socket_context)
{
	struct conn *c = *socket_context;
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&g->lock);
	free(c);
	*socket_context = NULL;
}

static void notify(void *cls, struct MHD_Connection *mc, void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		conn_started(cls, mc, socket_context);
	else if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
		conn_closed(cls, socket_context);
}

static struct conn *conn_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return i ? i->socket_context : NULL;
}

void vf_http_guard_answering(struct MHD_Connection *mc)
{
	struct conn *c = conn_of(mc);
	if (!c)
		return;
	pthread_mutex_lock(&c->g->lock);
	c->answering = true;
	pthread_mutex_unlock(&c->g->lock);
}

void vf_http_guard_completed(struct MHD_Connection *mc)
{
	struct conn *c = conn_of(mc);
	uint64_t n;
	if (!c)
		return;
	if (!bytes_received(c->fd, &n))
		n = UINT64_MAX; /* cannot tell when the next request begins: never cut it */
	pthread_mutex_lock(&c->g->lock);
	c->answering = false;
	c->began_ms = 0;
	c->idle_bytes = n;
	pthread_mutex_unlock(&c->g->lock);
}

void vf_http_fd_budget(struct vf_http_limits *l, const char *prog)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || (rlim_t)l->max_conns + VF_HTTP_FD_RESERVE <= rl.rlim_cur)
		return;
	int fit = rl.rlim_cur > 2 * VF_HTTP_FD_RESERVE ? (int)(rl.rlim_cur - VF_HTTP_FD_RESERVE) : (int)(rl.rlim_cur / 2);
	fprintf(stderr, "%s: http: %d connections at most, not %d: the file descriptor limit is %llu (LimitNOFILE=)\n",
		prog, fit > 0 ? fit : 1, l->max_conns, (unsigned long long)rl.rlim_cur);
	l->max_conns = fit > 0 ? fit : 1;
}

void vf_http_options(const struct vf_http_limits *l, struct vf_http_guard *g,
		     struct MHD_OptionItem opts[VF_HTTP_OPTIONS])
{
	opts[0] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, l->conn_timeout, NULL };
	opts[1] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, l->max_conns, NULL };
	opts[2] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT, l->max_conns_per_ip, NULL };
	opts[3] = (struct MHD_OptionItem){ g ? MHD_OPTION_NOTIFY_CONNECTION : MHD_OPTION_END, (intptr_t)notify, g };
	opts[4] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
}

/* MHD says the same things again and again under a flood (every connection over a limit, every
 * client gone mid-request): one line per message, by its format, per LOG_EVERY_MS; the next
 * one says how many were left out. */
#define LOG_KINDS 32

static struct {
	const char *fmt;
	int64_t at;
	unsigned dropped;
} log_kinds[LOG_KINDS];
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* Should this message go out? *dropped: how many of its kind did not, since the last one. */
static bool log_due(const char *fmt, unsigned *dropped)
{
	int64_t now = now_ms();
	bool due = true;
	*dropped = 0;
	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < LOG_KINDS; i++) {
		if (log_kinds[i].fmt && log_kinds[i].fmt != fmt)
			continue;
		if (log_kinds[i].fmt && now - log_kinds[i].at < LOG_EVERY_MS) {
			log_kinds[i].dropped++;
			due = false;
		} else {
			*dropped = log_kinds[i].dropped;
			log_kinds[i] = (__typeof__(log_kinds[i])){ fmt, now, 0 };
		}
		break; /* a kind past the table's size is always printed */
	}
	pthread_mutex_unlock(&log_lock);
	return due;
}

void vf_http_log(void *prog, const char *fmt, va_list ap)
{
	unsigned dropped;
	if (!log_due(fmt, &dropped))
		return;
	_cleanup_free_ char *msg = xvasprintf(fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (dropped)
		fprintf(stderr, "%s: http: %s (and %u more like it since the last one shown)\n", (const char *)prog, msg,
			dropped);
	else
		fprintf(stderr, "%s: http: %s\n", (const char *)prog, msg);
}
