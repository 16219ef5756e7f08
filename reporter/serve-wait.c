/* SPDX-License-Identifier: MIT */
/* Long-poll on GET /v1/report (serve-int.h): a request with If-None-Match naming the served
 * ETag and `Prefer: wait=N` (RFC 7240's wait preference) is held until the report changes or N
 * seconds pass, then answered as any request is: 200 with the new report, or 304. A held
 * request is a suspended MHD connection on a list, no thread: the gatherer resumes them all
 * when a new ETag is published, and those whose time is up. The connection limits
 * (serve_max_conns, serve_max_conns_per_ip) bound how many are held. A header rather than
 * ?wait=N: the URL stays the report's one name (what caches and report_url templates key on),
 * and a server that does not know the preference ignores it and answers at once, which the
 * client sees by the absent Preference-Applied. */
#include <string.h>
#include <strings.h>

#include "serve-int.h"
#include "util.h"

struct poller {
	struct MHD_Connection *c;
	struct timespec deadline; /* CLOCK_MONOTONIC */
	int wait;                 /* seconds, as applied */
	bool listed;              /* on s->pollers, suspended */
	struct poller *next, *prev;
};

bool etag_matches(const char *list, const char *etag)
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

/* Prefer: a comma-separated list of preferences, each "token [= value] *(; param)"; the value
 * may be quoted. */
int prefer_wait_parse(const char *v)
{
	for (const char *p = v; p && *p;) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, ",");
		const char *q = p + 4;
		if (len > 4 && strncasecmp(p, "wait", 4) == 0 && *(q += strspn(q, " \t")) == '=') {
			q++;
			q += strspn(q, " \t");
			q += *q == '"';
			char num[12] = "";
			size_t d = strspn(q, "0123456789");
			long n = 0;
			/* whole seconds only: "5s" or "1.5" is no wait */
			if (d > 0 && d < sizeof num && (!q[d] || strchr("\"; \t,", q[d]))) {
				memcpy(num, q, d);
				if (parse_long(num, 1, 999999999, &n) == 0)
					return n > MAX_WAIT ? MAX_WAIT : (int)n;
			}
		}
		p += len;
	}
	return 0;
}

int prefer_wait(struct MHD_Connection *c)
{
	return prefer_wait_parse(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Prefer"));
}

static void unlink_poller(struct server *s, struct poller *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		s->pollers = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->next = p->prev = NULL;
	p->listed = false;
	s->held--;
}

struct poller *poll_start(struct server *s, struct MHD_Connection *c, int wait)
{
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (!inm || wait <= 0)
		return NULL;
	pthread_mutex_lock(&s->lock);
	const struct snapshot *cur = s->cur;
	if (s->quit || !cur || !cur->json || !cur->etag[0] || !etag_matches(inm, cur->etag)) {
		pthread_mutex_unlock(&s->lock);
		return NULL;
	}
	struct poller *p = xcalloc(1, sizeof *p);
	p->c = c;
	p->wait = wait;
	p->deadline = monotonic_after_ms((int64_t)wait * 1000);
	p->listed = true;
	p->next = s->pollers;
	if (p->next)
		p->next->prev = p;
	s->pollers = p;
	s->held++;
	s->waiting++;
	MHD_suspend_connection(c);
	pthread_cond_broadcast(&s->cond); /* the gatherer's sleep now ends at this deadline */
	pthread_mutex_unlock(&s->lock);
	return p;
}

void polls_wake(struct server *s)
{
	while (s->pollers) {
		struct poller *p = s->pollers;
		unlink_poller(s, p);
		MHD_resume_connection(p->c);
	}
}

void polls_expire(struct server *s, struct timespec *until)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (struct poller *p = s->pollers, *next; p; p = next) {
		next = p->next;
		if (p->deadline.tv_sec < now.tv_sec ||
		    (p->deadline.tv_sec == now.tv_sec && p->deadline.tv_nsec <= now.tv_nsec)) {
			unlink_poller(s, p);
			MHD_resume_connection(p->c);
		} else if (!until->tv_sec || p->deadline.tv_sec < until->tv_sec ||
			   (p->deadline.tv_sec == until->tv_sec && p->deadline.tv_nsec < until->tv_nsec)) {
			*until = p->deadline;
		}
	}
}

int poll_wait_of(const struct poller *p)
{
	return p->wait;
}

void poll_done(struct server *s, struct poller *p)
{
	pthread_mutex_lock(&s->lock);
	if (p->listed) /* not expected: every held request is resumed before MHD stops */
		unlink_poller(s, p);
	s->waiting--;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	free(p);
}
