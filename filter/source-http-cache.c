/* SPDX-License-Identifier: MIT */
/* The HTTP source's cache and lookups (source-http-internal.h). A lookup takes what the cache
 * has fresh, hands the rest to the fetcher thread (source-http.c) and waits for the answers
 * until its deadline: call_deadline_ms from its start, so that the engine gets its answer long
 * before its own ExternalSchedulerResponseTimeout (120 s) makes it give up and let every host
 * pass. A host without an answer by then counts as missing (an error entry; on_missing
 * decides), and its fetch goes on and fills the cache.
 *
 * Backoff: a lookup never waits for a host whose last fetch failed, nor for one whose fetch
 * already missed a deadline. A failure is cached for cache_max_age, doubled with each failure
 * in a row up to backoff_max; once stale it is fetched again in the background while lookups
 * go on answering with it. So 2,000 dead reporters cost the first call its deadline and the
 * later ones nothing, and a reporter that comes back is seen one fetch after its backoff ends.
 *
 * The cache is bounded (cache_max): any client of the service can ask about any host id, and
 * hosts leave the cluster; when it is full, its stale entries go (entries being fetched stay),
 * and if none is stale an answer is given but not kept. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "source-http-internal.h"
#include "util.h"

#define FAILURES_MAX 32 /* in a row, counted: enough to reach any backoff_max */

/* Seconds a failure is cached: cache_max_age doubled per earlier failure in a row, up to
 * backoff_max (but never below cache_max_age). */
static long backoff_delay(const struct vf_http *h, unsigned failures)
{
	long d = h->cache_max_age, cap = h->backoff_max > d ? h->backoff_max : d;
	for (unsigned i = 1; i < failures && d > 0 && d < cap; i++)
		d *= 2;
	return d < cap ? d : cap;
}

static bool fresh(const struct vf_http *h, const struct vf_slot *s, time_t now)
{
	if (s->http.none)
		return false;
	long max_age = s->cap->error ? backoff_delay(h, s->http.failures) : h->cache_max_age;
	return now >= s->http.fetched && now - s->http.fetched < max_age;
}

void vf_http_slot_clear(struct vf_slot *s)
{
	free(s->http.etag);
	s->http.etag = NULL;
	vf_job_unref(s->http.job);
	s->http.job = NULL;
}

/* Keep only the fresh entries and those being fetched. Under h->lock. */
static void cache_sweep(struct vf_http *h, time_t now)
{
	struct vf_table *old = h->cache, *t = vf_table_new(old->n / 2);
	for (size_t i = 0; i <= old->mask; i++) {
		struct vf_slot *s = &old->slots[i];
		if (!s->cap || (!s->http.job && !fresh(h, s, now)))
			continue;
		*vf_table_insert(t, s->hash) = *s;
		s->cap = NULL; /* moved: not freed with the old table */
	}
	vf_table_free(old, vf_http_slot_clear);
	h->cache = t;
}

/* A new empty slot (cap NULL) for an id known to be absent, or NULL when the cache is full of
 * fresh entries and entries being fetched. Under h->lock. */
static struct vf_slot *cache_insert(struct vf_http *h, uint32_t hash, time_t now)
{
	if (h->cache->n >= h->cache_max)
		cache_sweep(h, now);
	if (h->cache->n >= h->cache_max)
		return NULL;
	struct vf_slot *s = vf_table_insert(h->cache, hash);
	s->cap = NULL;
	s->http.etag = NULL;
	s->http.job = NULL;
	s->http.failures = 0;
	s->http.none = false;
	return s;
}

/* When the answer came, on the clock of the lookup that asked (tests pass their own). */
static time_t answered_at(const struct vf_job *j)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return j->now + (t.tv_sec - j->asked.tv_sec - (t.tv_nsec < j->asked.tv_nsec));
}

void vf_http_cache_store(struct vf_http *h, struct vf_job *j)
{
	uint32_t hash = vf_table_hash(j->id);
	time_t at = answered_at(j);
	struct vf_slot *s = vf_table_find(h->cache, j->id, hash);
	if (s && s->http.job != j)
		return; /* a fetch started when the cache was full; the slot's own fetch will answer */
	if (s) {
		vf_entry_unref(s->cap);
		vf_http_slot_clear(s);
	} else if (!(s = cache_insert(h, hash, at))) {
		h->uncached++;
		return;
	}
	s->cap = vf_entry_ref(j->result);
	if (j->etag && !j->result->error)
		s->http.etag = TAKE_PTR(j->etag);
	else if (j->result == j->cached) /* a 304 need not repeat the ETag */
		s->http.etag = TAKE_PTR(j->etag_sent);
	s->http.fetched = at;
	s->http.none = false;
	if (!j->result->error)
		s->http.failures = 0;
	else if (s->http.failures < FAILURES_MAX)
		s->http.failures++;
}

/* ---- a lookup ---- */

struct wait {
	size_t idx; /* into the lookup's ids and out */
	struct vf_job *job;
};

/* What one lookup does besides taking fresh entries. */
struct plan {
	struct wait *waits;
	size_t n_waits;
	struct vf_job **jobs; /* those it starts (a reference each), to be queued */
	bool *retry;          /* jobs[i] is a failing host's: the retry queue */
	size_t n_jobs;
	size_t late;
};

/* A job for id, named by its slot (s, or a placeholder when there is none and the cache has
 * room) so that other lookups wait for it rather than fetch the host again. Under h->lock. */
static struct vf_job *start_job(struct vf_http *h, struct vf_slot *s, const char *id, uint32_t hash,
				time_t now, struct plan *p, bool retry)
{
	struct vf_job *j = vf_job_new(id, now);
	if (s && !s->http.none && !s->cap->error && s->http.etag) {
		j->etag_sent = xstrdup(s->http.etag);
		j->cached = vf_entry_ref(s->cap);
	}
	if (!s && (s = cache_insert(h, hash, now))) {
		s->cap = vf_entry_error(id, "no answer yet");
		s->http.none = true;
	}
	if (s) {
		s->http.job = j;
		j->refs++;
	}
	p->jobs[p->n_jobs] = j;
	p->retry[p->n_jobs++] = retry;
	return j;
}

static struct vf_host_entry *late_entry(const struct vf_http *h, const struct vf_job *j)
{
	_cleanup_free_ char *what = j->url ? xstrdup(j->url) : xasprintf("host %s", j->id);
	return vf_entry_error(j->id, "%s: no answer within call_deadline (%g s); still fetching", what,
			      h->call_deadline_ms / 1e3);
}

/* One host: a fresh entry, a host in backoff (not waited for: its last answer, or why there is
 * none yet), or a fetch to wait for (started when none runs). Under h->lock. */
static void plan_host(struct vf_http *h, const char *id, size_t i, time_t now, struct vf_host_entry **out,
		      struct plan *p)
{
	uint32_t hash = vf_table_hash(id);
	struct vf_slot *s = vf_table_find(h->cache, id, hash);
	if (s && fresh(h, s, now)) {
		out[i] = vf_entry_ref(s->cap);
		return;
	}
	/* read before start_job, whose placeholder may move the table's slots */
	struct vf_host_entry *failed = s && !s->http.none && s->cap->error ? s->cap : NULL;
	struct vf_job *j = s ? s->http.job : NULL;
	if (!j)
		j = start_job(h, s, id, hash, now, p, failed != NULL);
	if (failed || j->late) {
		out[i] = failed ? vf_entry_ref(failed) : late_entry(h, j);
		h->backoff++;
		return;
	}
	j->refs++;
	p->waits[p->n_waits++] = (struct wait){ i, j };
}

/* URLs for the jobs this lookup started, then into the queues. Called and returns with h->lock
 * held, drops it meanwhile: resolve() may ask the engine. */
static void queue_jobs(struct vf_http *h, struct plan *p, time_t now)
{
	if (!p->n_jobs)
		return;
	_cleanup_free_ char **urls = xcalloc(p->n_jobs, sizeof(*urls));
	_cleanup_free_ struct vf_host_entry **errs = xcalloc(p->n_jobs, sizeof(*errs));
	pthread_mutex_unlock(&h->lock);
	for (size_t k = 0; k < p->n_jobs; k++)
		urls[k] = vf_http_url(h, p->jobs[k]->id, now, &errs[k]);
	pthread_mutex_lock(&h->lock);
	for (size_t k = 0; k < p->n_jobs; k++) {
		struct vf_job *j = p->jobs[k];
		j->url = urls[k];
		/* a bound on the queue as on the cache: any client can name any host */
		if (j->url && h->fetching >= h->cache_max)
			errs[k] = vf_entry_error(j->id, "%s: not fetched: %zu fetches are waiting already", j->url,
						 h->fetching);
		if (errs[k]) {
			vf_http_job_end(h, j, errs[k]);
			vf_job_unref(j);
		} else {
			vf_http_enqueue(h, j, p->retry[k]);
		}
	}
}

/* Until every awaited job is done, or the deadline (NULL: none). Under h->lock. */
static void wait_jobs(struct vf_http *h, const struct plan *p, const struct timespec *deadline)
{
	size_t k = 0;
	for (;;) {
		while (k < p->n_waits && p->waits[k].job->done)
			k++;
		if (k == p->n_waits)
			return;
		if (!deadline)
			pthread_cond_wait(&h->done, &h->lock);
		else if (pthread_cond_timedwait(&h->done, &h->lock, deadline) == ETIMEDOUT)
			return;
	}
}

/* The answers, or for a job still running a late entry; the job is marked, so that no lookup
 * waits for it again. Under h->lock. */
static void collect(struct vf_http *h, struct plan *p, struct vf_host_entry **out)
{
	for (size_t k = 0; k < p->n_waits; k++) {
		struct vf_job *j = p->waits[k].job;
		if (j->done) {
			out[p->waits[k].idx] = vf_entry_ref(j->result);
		} else {
			j->late = true;
			out[p->waits[k].idx] = late_entry(h, j);
			p->late++;
		}
		vf_job_unref(j);
	}
	h->late += p->late;
	h->late_lookups += p->late > 0;
}

static void deadline_of(const struct vf_http *h, struct timespec *t)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += h->call_deadline_ms / 1000;
	t->tv_nsec += (long)(h->call_deadline_ms % 1000) * 1000000;
	if (t->tv_nsec >= 1000000000) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000;
	}
}

void vf_http_lookup(struct vf_http *h, const char *const *ids, size_t n, time_t now, struct vf_host_entry **out)
{
	struct timespec deadline;
	deadline_of(h, &deadline);
	_cleanup_free_ struct wait *waits = xcalloc(n ? n : 1, sizeof(*waits));
	_cleanup_free_ struct vf_job **jobs = xcalloc(n ? n : 1, sizeof(*jobs));
	_cleanup_free_ bool *retry = xcalloc(n ? n : 1, sizeof(*retry));
	struct plan p = { .waits = waits, .jobs = jobs, .retry = retry };
	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; i < n; i++)
		plan_host(h, ids[i], i, now, out, &p);
	queue_jobs(h, &p, now);
	wait_jobs(h, &p, h->call_deadline_ms ? &deadline : NULL);
	collect(h, &p, out);
	pthread_mutex_unlock(&h->lock);
	if (p.late && h->on_late)
		h->on_late(p.late, n, h->call_deadline_ms);
}
