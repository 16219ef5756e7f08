/* SPDX-License-Identifier: MIT */
/* What the HTTP source's two files share: source-http.c fetches (URLs, transfers, the fetcher
 * thread and its queues); source-http-cache.c keeps the answers and serves the lookups (what to
 * fetch, what to wait for, the deadline, the backoff). */
#pragma once

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "host-table.h"
#include "http-client.h"
#include "source-http.h"

/* One host's fetch: queued, then running in the fetcher thread, then done. Shared by the queue
 * (then the fetcher), the cache slot that names it (slot->http.job) and the lookups that wait
 * for it, each with a reference. refs, url, result, done and late are under h->lock; the
 * transfer's fields belong to the fetcher thread. */
struct vf_job {
	int refs;
	struct vf_job *next;        /* in a queue */
	char *id;
	time_t now;                 /* the clock of the lookup that asked */
	struct timespec asked;      /* CLOCK_MONOTONIC, then */
	char *url;                  /* set before it is queued */
	char *etag_sent;            /* the cached report's, sent as If-None-Match */
	struct vf_host_entry *cached; /* the cached report (a reference), for a 304 */
	size_t running_idx;         /* in h->running, while it runs */
	CURL *easy;                 /* its transfer, while it runs */

	/* the transfer's */
	struct curl_slist *headers;
	struct vf_http_body body; /* up to VF_REPORT_HTTP_MAX */
	char *etag; /* the answer's */
	char errbuf[CURL_ERROR_SIZE];

	struct vf_host_entry *result; /* once done */
	bool done;
	bool late; /* a lookup's deadline passed before it ended: lookups no longer wait for it */
};

struct vf_job_queue {
	struct vf_job *head, *tail;
};

struct vf_http {
	char *tmpl;
	int timeout_ms, cache_max_age, max_parallel, call_deadline_ms, backoff_max;
	size_t cache_max;
	char *ca_file;
	char *cert_file, *key_file;
	struct vf_http_policy policy; /* the strings above; no redirect followed */
	int (*resolve)(void *ctx, const char *host_id, time_t now, char **address, char **errmsg);
	void *resolve_ctx;
	void (*on_late)(size_t late, size_t n, int call_deadline_ms);

	pthread_mutex_t lock;   /* the cache, the queues, the jobs' shared fields */
	pthread_cond_t done;    /* broadcast when jobs end; CLOCK_MONOTONIC */
	struct vf_table *cache; /* slots' http part */

	/* Hosts never failed first: lookups wait for them, while a retry is waited for by none. */
	struct vf_job_queue first, retry;
	size_t fetching; /* queued or running */
	bool stop;
	pthread_t thread;
	CURLM *multi;            /* the fetcher thread's */
	struct vf_job **running; /* max_parallel slots, the fetcher thread's */
	size_t n_running;

	/* DNS answers and TLS sessions outlive a transfer: the next one to the same host resumes */
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

	unsigned long requests, not_modified, errors; /* __atomic */
	unsigned long uncached, late, late_lookups, backoff; /* under lock */
};

/* source-http.c */
struct vf_job *vf_job_new(const char *id, time_t now);
void vf_job_unref(struct vf_job *j); /* under h->lock, or alone (vf_http_free) */
/* The URL of id, or NULL and *result = why there is none. Without h->lock (resolve() may ask
 * the engine). */
char *vf_http_url(struct vf_http *h, const char *id, time_t now, struct vf_host_entry **result);
/* Hand a job whose url is set to the fetcher (takes the caller's reference). Under h->lock. */
void vf_http_enqueue(struct vf_http *h, struct vf_job *j, bool retry);
/* End a job with its result (taken): into the cache, done, waiters woken. Under h->lock. */
void vf_http_job_end(struct vf_http *h, struct vf_job *j, struct vf_host_entry *result);
int vf_http_fetcher_start(struct vf_http *h, char **errmsg);
void vf_http_fetcher_stop(struct vf_http *h);

/* source-http-cache.c */
/* The answer of a job that ended: into its slot (or a new one). Under h->lock. */
void vf_http_cache_store(struct vf_http *h, struct vf_job *j);
void vf_http_slot_clear(struct vf_slot *s);
