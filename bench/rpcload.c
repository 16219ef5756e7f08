/* SPDX-License-Identifier: MIT */
/* rpcload: a small HTTP/1.1 keep-alive load generator for `make bench` (bench/bench_filter.py).
 *
 *   rpcload HOST PORT BODY_FILE CLIENTS REQUESTS_PER_CLIENT [PATH]
 *
 * Each client is a thread with one connection that POSTs BODY_FILE (or GETs PATH when
 * BODY_FILE is "-") REQUESTS_PER_CLIENT times, waiting for each answer. Prints one line:
 *   requests=N errors=N median_us=N p99_us=N rps=N
 * An answer that is not "HTTP/1.1 200" or whose body holds "<fault>" counts as an error.
 * Python's client costs more per request than the service does, hence C. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

struct client {
	pthread_t thread;
	const char *request;
	size_t request_len;
	int requests;
	double *lat_us;
	int errors;
};

static struct sockaddr_in server;

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* Read one response into *buf (grown as needed); 1 when it is a 200 without a fault. */
static int read_response(int fd, char **buf, size_t *cap)
{
	size_t len = 0, want = 0;
	char *body = NULL;
	for (;;) {
		if (len + 4096 > *cap) {
			*cap = (*cap ? *cap * 2 : 65536) + 4096;
			*buf = xrealloc(*buf, *cap);
		}
		ssize_t k = recv(fd, *buf + len, *cap - len - 1, 0);
		if (k <= 0)
			return -1;
		len += (size_t)k;
		(*buf)[len] = '\0';
		if (!body && (body = strstr(*buf, "\r\n\r\n"))) {
			body += 4;
			const char *cl = strcasestr(*buf, "\r\nContent-Length:");
			if (!cl)
				return -1;
			want = (size_t)(body - *buf) + strtoul(cl + 17, NULL, 10);
		}
		if (body && len >= want)
			break;
	}
	return startswith(*buf, "HTTP/1.1 200") && !strstr(*buf, "<fault>");
}

static int connect_server(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&server, sizeof server) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void *run_client(void *arg)
{
	struct client *c = arg;
	int fd = connect_server();
	char *buf = NULL;
	size_t cap = 0;
	for (int i = 0; i < c->requests; i++) {
		double t0 = now_us();
		int ok = fd >= 0 && write_all(fd, c->request, c->request_len) == 0 ? read_response(fd, &buf, &cap) : -1;
		c->lat_us[i] = now_us() - t0;
		if (ok != 1)
			c->errors++;
		if (ok < 0) { /* connection lost: a new one for the next request */
			if (fd >= 0)
				close(fd);
			fd = connect_server();
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static char *build_request(const char *host, const char *body_file, const char *path, size_t *len)
{
	if (strcmp(body_file, "-") == 0) {
		char *get = xasprintf("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host);
		*len = strlen(get);
		return get;
	}
	_cleanup_free_ char *body = NULL;
	size_t n;
	if (read_full_file(body_file, &body, &n, 1u << 30) < 0) {
		perror(body_file);
		exit(2);
	}
	char *head = xasprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/xml\r\nContent-Length: %zu\r\n\r\n",
			       path, host, n);
	size_t h = strlen(head);
	char *req = xmalloc(h + n);
	memcpy(req, head, h);
	memcpy(req + h, body, n);
	free(head);
	*len = h + n;
	return req;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN); /* a service closing on us is an error to count, not our death */
	if (argc < 6) {
		fprintf(stderr, "usage: rpcload HOST PORT BODY_FILE|- CLIENTS REQUESTS [PATH]\n");
		return 2;
	}
	const char *path = argc > 6 ? argv[6] : "/";
	server.sin_family = AF_INET;
	server.sin_port = htons((uint16_t)atoi(argv[2]));
	inet_pton(AF_INET, argv[1], &server.sin_addr);
	int clients = atoi(argv[4]), each = atoi(argv[5]);
	size_t len = 0;
	char *req = build_request(argv[1], argv[3], path, &len);
	struct client *c = xcalloc((size_t)clients, sizeof *c);
	double t0 = now_us();
	for (int i = 0; i < clients; i++) {
		c[i] = (struct client){ .request = req, .request_len = len, .requests = each,
					.lat_us = xcalloc((size_t)each, sizeof(double)) };
		pthread_create(&c[i].thread, NULL, run_client, &c[i]);
	}
	size_t total = (size_t)clients * (size_t)each, k = 0;
	double *all = xcalloc(total, sizeof(double));
	int errors = 0;
	for (int i = 0; i < clients; i++) {
		pthread_join(c[i].thread, NULL);
		memcpy(all + k, c[i].lat_us, (size_t)each * sizeof(double));
		k += (size_t)each;
		errors += c[i].errors;
		free(c[i].lat_us);
	}
	double secs = (now_us() - t0) / 1e6;
	qsort(all, total, sizeof(double), cmp_double);
	printf("requests=%zu errors=%d median_us=%.0f p99_us=%.0f rps=%.0f\n", total, errors, all[total / 2],
	       all[(size_t)(total * 0.99)], total / secs);
	free(all);
	free(c);
	free(req);
	return errors ? 1 : 0;
}
