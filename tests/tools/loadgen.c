/* SPDX-License-Identifier: MIT */
/* loadgen: the load test's client (tests/load.sh, tests/load/load.py). One run against one
 * HTTP/1.1 service on 127.0.0.1:
 *
 *   loadgen PORT [-c CLIENTS] [-n REQUESTS] [-s SLOW] [-v VANISH] [-t TIMEOUT] [-w HOLD_MAX]
 *           [-a ADDR] [-f] [-d LEAD] -k REQUEST_FILE EXPECT ...
 *
 * -k (repeatable) names a raw HTTP request and what its answer must be: "=FILE" the body
 * equals FILE's bytes, "~FILE" the body holds every line of FILE; always status 200. The
 * REQUESTS well-formed requests (request j is of kind j % kinds) are shared by CLIENTS
 * keep-alive clients (threads, one connection each, a new one only when the service closed it).
 * At the same time, from source address ADDR (default 127.0.0.1; any 127/8 address is loopback):
 *   SLOW clients each send one request 1 byte per second, from before the first well-formed
 *   request (LEAD seconds before it), until the service cuts the connection (its
 *   request_timeout): each must be cut before its request is complete, within HOLD_MAX (30) s.
 *   With -f (a flood) each reconnects 0.1 s after it is cut or refused, until the last
 *   well-formed request is answered, and nothing is expected of them; a connection closed
 *   within 0.5 s of its first byte counts as refused (a connection limit);
 *   VANISH clients, spread over the run by requests answered, connect, send part of a request
 *   and close (every other one with an RST).
 * A request is answered in time when its answer is complete within TIMEOUT seconds.
 * Prints one line of key=value (see the printf at the end); exit 0 when every well-formed
 * request was answered correctly in time and (without -f) every slow client was cut, 1
 * otherwise, 2 on usage. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define MAX_KINDS 16

struct kind {
	char *req;
	size_t req_len;
	char *want;
	size_t want_len;
	bool contains; /* want holds lines that must each be in the body */
};

static struct kind kinds[MAX_KINDS];
static int nkinds;
static struct sockaddr_in server;
static int timeout_s = 5;
static long total = 10000;
static atomic_long issued, answered, good, bad_answer, lost, late;
static atomic_int fast_done;
static double *lat_us;
static pthread_mutex_t msg_lock = PTHREAD_MUTEX_INITIALIZER;
static int msgs;

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* the first few problems, on stderr */
static void note(const char *fmt, const char *a, long b)
{
	pthread_mutex_lock(&msg_lock);
	if (msgs++ < 10) {
		fprintf(stderr, "loadgen: ");
		fprintf(stderr, fmt, a, b);
		fputc('\n', stderr);
	}
	pthread_mutex_unlock(&msg_lock);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	struct stat st;
	fstat(fileno(f), &st);
	char *p = malloc((size_t)st.st_size + 1);
	*len = fread(p, 1, (size_t)st.st_size, f);
	p[*len] = '\0';
	fclose(f);
	return p;
}

/* from: the source address, or NULL for any */
static int connect_server(int timeout, const struct sockaddr_in *from)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (from && bind(fd, (const struct sockaddr *)from, sizeof *from) < 0) {
		close(fd);
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct timeval tv = { .tv_sec = timeout };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&server, sizeof server) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One answer: 1 right, 0 wrong (status or body), -1 connection lost or timed out (errno
 * EAGAIN). *closing: the service said Connection: close. */
static int read_answer(int fd, const struct kind *k, char **buf, size_t *cap, bool *closing, double deadline)
{
	size_t len = 0, want = 0;
	char *body = NULL;
	*closing = false;
	for (;;) {
		if (len + 4096 > *cap) {
			*cap = (*cap ? *cap * 2 : 65536) + 4096;
			*buf = realloc(*buf, *cap);
		}
		if (now_s() > deadline) {
			errno = EAGAIN;
			return -1;
		}
		ssize_t n = recv(fd, *buf + len, *cap - len - 1, 0);
		if (n <= 0) {
			if (n == 0)
				errno = ECONNRESET;
			return -1;
		}
		len += (size_t)n;
		(*buf)[len] = '\0';
		if (!body && (body = strstr(*buf, "\r\n\r\n"))) {
			*body = '\0';
			const char *cl = strcasestr(*buf, "\r\nContent-Length:");
			*closing = strcasestr(*buf, "\r\nConnection: close") != NULL;
			*body = '\r';
			body += 4;
			if (!cl) {
				errno = EPROTO;
				return -1;
			}
			want = (size_t)(body - *buf) + strtoul(cl + 17, NULL, 10);
		}
		if (body && len >= want)
			break;
	}
	size_t blen = want - (size_t)(body - *buf);
	if (strncmp(*buf, "HTTP/1.1 200 ", 13) != 0)
		return 0;
	if (!k->contains)
		return blen == k->want_len && memcmp(body, k->want, blen) == 0;
	char saved = body[blen];
	body[blen] = '\0';
	int ok = 1;
	for (const char *l = k->want; *l && ok;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		if (n) {
			char *line = strndup(l, n);
			ok = strstr(body, line) != NULL;
			free(line);
		}
		l += n + (e != NULL);
	}
	body[blen] = saved;
	return ok;
}

static void *fast_client(void *arg)
{
	(void)arg;
	int fd = -1;
	char *buf = NULL;
	size_t cap = 0;
	for (;;) {
		long j = atomic_fetch_add(&issued, 1);
		if (j >= total)
			break;
		const struct kind *k = &kinds[j % nkinds];
		double t0 = now_s();
		if (fd < 0)
			fd = connect_server(timeout_s, NULL);
		bool closing = false;
		int r = -1;
		if (fd >= 0 && write_all(fd, k->req, k->req_len) == 0)
			r = read_answer(fd, k, &buf, &cap, &closing, t0 + timeout_s);
		double t = now_s() - t0;
		lat_us[j] = t * 1e6;
		if (r < 0) {
			atomic_fetch_add(&lost, 1);
			note("request %s%ld: no answer (lost or timed out)", "#", j);
		} else {
			atomic_fetch_add(&answered, 1);
			if (t > timeout_s) {
				atomic_fetch_add(&late, 1);
			} else if (r == 1) {
				atomic_fetch_add(&good, 1);
			} else {
				atomic_fetch_add(&bad_answer, 1);
				note("wrong answer to request %2$ld: %1$.300s", buf, j);
			}
		}
		if ((r < 0 || closing) && fd >= 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static struct sockaddr_in attacker; /* source of the slow and vanishing clients */
static bool flood;
static double lead; /* seconds the slow clients run before the well-formed requests start */
static double hold_max = 30; /* seconds a slow client trickles at most (not cut: a failure) */
static atomic_int slow_started, slow_cut, slow_uncut, slow_failed, slow_conns, slow_refused;
static atomic_long slow_bytes;
static double slow_first_cut = -1, slow_last_cut = -1;
static pthread_mutex_t slow_lock = PTHREAD_MUTEX_INITIALIZER;

static void sleep_s(double d)
{
	if (d <= 0)
		return;
	struct timespec ts = { .tv_sec = (time_t)d, .tv_nsec = (long)((d - (long)d) * 1e9) };
	nanosleep(&ts, NULL);
}

/* Does the service close fd (or answer on it, which for a request not yet whole is wrong)
 * before the time `until`? Waits until then otherwise. */
static bool closed_by_service(int fd, double until)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	int ms;
	do {
		ms = (int)((until - now_s()) * 1000);
	} while (poll(&p, 1, ms > 0 ? ms : 0) < 0 && errno == EINTR);
	return p.revents != 0;
}

/* One connection sending k's request 1 byte per second: the seconds from its first byte to the
 * service's close; -1 when the request was all but sent and it was still open (or, in a flood,
 * the well-formed requests are done); -2 when it could not connect. */
static double trickle(const struct kind *k, bool *first)
{
	int fd = connect_server(timeout_s, &attacker);
	double t0 = now_s(), held = fd < 0 ? -2 : -1;
	for (size_t sent = 0; fd >= 0 && sent < k->req_len - 1; sent++) {
		bool ok = send(fd, k->req + sent, 1, MSG_NOSIGNAL) == 1;
		if (*first) /* its first connection is up: the well-formed requests may start */
			atomic_fetch_add(&slow_started, 1);
		*first = false;
		/* the next byte one second from the start of this one's slot */
		if (!ok || closed_by_service(fd, t0 + (double)(sent + 1))) {
			held = now_s() - t0;
			break;
		}
		atomic_fetch_add(&slow_bytes, 1);
		if ((flood && atomic_load(&fast_done)) || now_s() - t0 > hold_max)
			break;
	}
	if (*first) /* it could not connect */
		atomic_fetch_add(&slow_started, 1);
	*first = false;
	if (fd >= 0)
		close(fd);
	return held;
}

static void slow_record(double held)
{
	atomic_fetch_add(&slow_conns, 1);
	if (held == -2) {
		atomic_fetch_add(&slow_failed, 1);
	} else if (held < 0) {
		atomic_fetch_add(&slow_uncut, 1);
	} else if (flood && held < 0.5) {
		atomic_fetch_add(&slow_refused, 1);
	} else {
		atomic_fetch_add(&slow_cut, 1);
		pthread_mutex_lock(&slow_lock);
		if (slow_first_cut < 0 || held < slow_first_cut)
			slow_first_cut = held;
		if (held > slow_last_cut)
			slow_last_cut = held;
		pthread_mutex_unlock(&slow_lock);
	}
}

static void *slow_client(void *arg)
{
	const struct kind *k = &kinds[(long)arg % nkinds];
	bool first = true;
	do {
		if (!first)
			sleep_s(0.1);
		double held = trickle(k, &first);
		if (!(flood && atomic_load(&fast_done) && held == -1))
			slow_record(held);
	} while (flood && !atomic_load(&fast_done));
	return NULL;
}

static int nvanish;
static atomic_int vanished, vanish_refused;

/* spread over the run: vanisher v goes when (v + 1) / (nvanish + 1) of the requests are in */
static void *vanishers(void *arg)
{
	(void)arg;
	unsigned seed = 7;
	for (int v = 0; v < nvanish; v++) {
		long at = (long)((double)(v + 1) * total / (nvanish + 1));
		while (atomic_load(&answered) + atomic_load(&lost) < at && !atomic_load(&fast_done))
			sleep_s(0.0002);
		const struct kind *k = &kinds[v % nkinds];
		int fd = connect_server(timeout_s, &attacker);
		if (fd < 0) {
			atomic_fetch_add(&vanish_refused, 1);
			continue;
		}
		size_t part = 1 + (size_t)rand_r(&seed) % (k->req_len - 1);
		write_all(fd, k->req, part);
		if (v % 4 == 2) /* a moment for the service to read what came */
			sleep_s((rand_r(&seed) % 20) / 1000.0);
		if (v % 2) {
			struct linger l = { .l_onoff = 1, .l_linger = 0 }; /* RST */
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
		}
		close(fd);
		atomic_fetch_add(&vanished, 1);
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN); /* a service closing on us is a lost request, not our death */
	int clients = 50, nslow = 50;
	if (argc < 2) {
		fprintf(stderr, "usage: loadgen PORT [-c N] [-n N] [-s N] [-v N] [-t S] [-w S] [-a ADDR] [-f] [-d S] "
				"-k REQ =BODY|~LINES ...\n");
		return 2;
	}
	server.sin_family = AF_INET;
	server.sin_port = htons((uint16_t)atoi(argv[1]));
	inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
	attacker = server;
	attacker.sin_port = 0;
	nvanish = 200;
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i];
		if (!strcmp(o, "-f")) {
			flood = true;
			continue;
		}
		if (i + 1 >= argc)
			goto usage;
		if (!strcmp(o, "-c"))
			clients = atoi(argv[++i]);
		else if (!strcmp(o, "-n"))
			total = atol(argv[++i]);
		else if (!strcmp(o, "-s"))
			nslow = atoi(argv[++i]);
		else if (!strcmp(o, "-v"))
			nvanish = atoi(argv[++i]);
		else if (!strcmp(o, "-t"))
			timeout_s = atoi(argv[++i]);
		else if (!strcmp(o, "-d"))
			lead = atof(argv[++i]);
		else if (!strcmp(o, "-w"))
			hold_max = atof(argv[++i]);
		else if (!strcmp(o, "-a")) {
			if (inet_pton(AF_INET, argv[++i], &attacker.sin_addr) != 1)
				goto usage;
		}
		else if (!strcmp(o, "-k") && i + 2 < argc && nkinds < MAX_KINDS) {
			struct kind *k = &kinds[nkinds++];
			k->req = slurp(argv[++i], &k->req_len);
			const char *e = argv[++i];
			if ((e[0] != '=' && e[0] != '~') || k->req_len < 2)
				goto usage;
			k->contains = e[0] == '~';
			k->want = slurp(e + 1, &k->want_len);
		} else
			goto usage;
	}
	if (!nkinds || clients < 1 || total < 1)
		goto usage;
	lat_us = calloc((size_t)total, sizeof *lat_us);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_t *slow = calloc((size_t)nslow + 1, sizeof *slow), *fast = calloc((size_t)clients, sizeof *fast), vt;
	double t0 = now_s();
	for (long i = 0; i < nslow; i++)
		pthread_create(&slow[i], &attr, slow_client, (void *)i);
	while (atomic_load(&slow_started) < nslow)
		sleep_s(0.001);
	sleep_s(lead);
	double t1 = now_s();
	pthread_create(&vt, &attr, vanishers, NULL);
	for (int i = 0; i < clients; i++)
		pthread_create(&fast[i], &attr, fast_client, NULL);
	for (int i = 0; i < clients; i++)
		pthread_join(fast[i], NULL);
	double secs = now_s() - t1;
	atomic_store(&fast_done, 1);
	pthread_join(vt, NULL);
	for (int i = 0; i < nslow; i++)
		pthread_join(slow[i], NULL);
	qsort(lat_us, (size_t)total, sizeof *lat_us, cmp_double);
	printf("requests=%ld answered=%ld correct=%ld wrong=%ld lost=%ld late=%ld secs=%.2f rps=%.0f "
	       "p50_us=%.0f p99_us=%.0f max_us=%.0f slow=%d slow_conns=%d slow_cut=%d slow_uncut=%d "
	       "slow_refused=%d slow_failed=%d slow_bytes=%ld slow_first_cut=%.1f slow_last_cut=%.1f vanished=%d "
	       "vanish_refused=%d wall=%.2f\n",
	       total, (long)answered, (long)good, (long)bad_answer, (long)lost, (long)late, secs, total / secs,
	       lat_us[total / 2], lat_us[(size_t)(total * 0.99)], lat_us[total - 1], nslow, (int)slow_conns,
	       (int)slow_cut, (int)slow_uncut, (int)slow_refused, (int)slow_failed, (long)slow_bytes, slow_first_cut,
	       slow_last_cut, (int)vanished, (int)vanish_refused, now_s() - t0);
	fflush(stdout);
	free(slow);
	free(fast);
	free(lat_us);
	for (int i = 0; i < nkinds; i++) {
		free(kinds[i].req);
		free(kinds[i].want);
	}
	pthread_attr_destroy(&attr);
	return good == total && (flood || slow_cut == nslow) ? 0 : 1;
usage:
	fprintf(stderr, "loadgen: bad usage\n");
	return 2;
}
