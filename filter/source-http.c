/* SPDX-License-Identifier: MIT */
/* The HTTP source's fetches: each host's reporter serves its report (url_template). One
 * background thread drives every transfer (one libcurl multi handle, at most max_parallel at a
 * time, each ending by timeout_ms), from two queues: hosts never failed first, then retries of
 * hosts in backoff, which no lookup waits for. A lookup (source-http-cache.c) queues what it
 * needs and waits for the answers until its deadline; a transfer goes on after that, and its
 * answer goes into the cache for the next lookups. The thread holds h->lock only to take jobs
 * and to end them, never across the network wait. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "model.h"
#include "report.h"
#include "source-http-internal.h"
#include "util.h"

#define HTTP_CACHE_MAX 65536 /* hosts: an engine manages a few thousand */
#define BACKOFF_MAX 300       /* seconds, when not given */

static void count(unsigned long *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* ---- URLs ---- */

static int check_template(const char *t, bool has_resolve, char **errmsg)
{
	if (!startswith(t, "http://") && !startswith(t, "https://"))
		return set_error(errmsg, -EINVAL, "URL template %s: must start with http:// or https://",
				 t);
	bool any = false;
	for (const char *p = strchr(t, '{'); p; p = strchr(p + 1, '{')) {
		if (startswith(p, "{address}") && !has_resolve)
			return set_error(errmsg, -EINVAL,
					 "URL template %s: {address} needs the engine's host addresses", t);
		if (!startswith(p, "{address}") && !startswith(p, "{host_id}"))
			return set_error(errmsg, -EINVAL,
					 "URL template %s: unknown placeholder at '%.20s' (only {host_id} "
					 "and {address})", t, p);
		any = true;
	}
	if (!any)
		return set_error(errmsg, -EINVAL, "URL template %s: has neither {host_id} nor {address}",
				 t);
	return 0;
}

/* What may stand for the host in a URL: a DNS name or an IP address; nothing that could add
 * credentials, a port, a path or a query. An IPv6 address gets its brackets. */
static char *url_address(const char *a)
{
	if (!*a || strlen(a) > 255)
		return NULL;
	bool colon = false;
	for (const char *p = a; *p; p++) {
		bool ok = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
			  (*p >= 'A' && *p <= 'Z') || *p == '.' || *p == '-' || *p == '_' || *p == ':';
		if (!ok)
			return NULL;
		colon |= *p == ':';
	}
	return colon ? xasprintf("[%s]", a) : xstrdup(a);
}

/* Percent-encode all but RFC 3986's unreserved characters (a UUID passes unchanged). */
static char *url_escape(const char *s)
{
	char *out = xmalloc(3 * strlen(s) + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~')
			*o++ = (char)*p;
		else
			o += sprintf(o, "%%%02X", *p);
	}
	*o = '\0';
	return out;
}

static char *expand(const char *tmpl, const char *id, const char *address)
{
	_cleanup_free_ char *esc = url_escape(id);
	char *url = xstrdup("");
	for (const char *p = tmpl; *p;) {
		const char *brace = strchr(p, '{');
		size_t lit = brace ? (size_t)(brace - p) : strlen(p);
		bool is_id = brace && startswith(brace, "{host_id}");
		const char *sub = !brace ? "" : is_id ? esc : address;
		char *next = xasprintf("%s%.*s%s", url, (int)lit, p, sub);
		free(url);
		url = next;
		p += lit + (!brace ? 0 : is_id ? strlen("{host_id}") : strlen("{address}"));
	}
	return url;
}

char *vf_http_url(struct vf_http *h, const char *id, time_t now, struct vf_host_entry **result)
{
	_cleanup_free_ char *address = NULL, *err = NULL, *host = NULL;
	if (h->resolve && strstr(h->tmpl, "{address}")) {
		int r = h->resolve(h->resolve_ctx, id, now, &address, &err);
		if (r < 0) {
			*result = vf_entry_error(id, "address of host %s: %s", id, err ? err : strerror(-r));
			return NULL;
		}
		host = address ? url_address(address) : NULL;
		if (!host) {
			*result = vf_entry_error(id, "address of host %s: '%s' is not a host name or IP address", id,
						 address ? address : "");
			return NULL;
		}
	}
	return expand(h->tmpl, id, host);
}

/* ---- one transfer ---- */

static size_t on_header(char *data, size_t size, size_t nmemb, void *p)
{
	struct vf_job *f = p;
	size_t n = size * nmemb;
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) { /* a new response: forget the last one's */
		free(f->etag);
		f->etag = NULL;
	}
	if (n < 5 || strncasecmp(data, "etag:", 5) != 0)
		return n;
	const char *v = data + 5, *end = data + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	/* it goes back into a request header: printable ASCII only */
	for (const char *c = v; c < end; c++)
		if (*c < 0x20 || *c > 0x7e)
			return n;
	free(f->etag);
	f->etag = end > v ? xstrndup(v, (size_t)(end - v)) : NULL;
	return n;
}

/* The request headers: JSON, and the cached report's ETag to revalidate. */
static struct curl_slist *request_headers(const struct vf_job *f)
{
	struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
	if (!h || !f->etag_sent)
		return h;
	_cleanup_free_ char *inm = xasprintf("If-None-Match: %s", f->etag_sent);
	struct curl_slist *all = curl_slist_append(h, inm);
	if (!all)
		curl_slist_free_all(h);
	return all;
}

/* The transfer of f: the one policy (http-client.h), then this client's own options. NULL and
 * *errmsg when an option failed. */
static CURL *easy_new(struct vf_http *h, struct vf_job *f, char **errmsg)
{
	CURL *c = vf_http_easy_new(&h->policy, f->url, NULL, &f->body, f->errbuf, f->url, errmsg);
	if (!c)
		return NULL;
	f->headers = request_headers(f);
	struct vf_curl_set st = { f->headers ? CURLE_OK : CURLE_OUT_OF_MEMORY, "CURLOPT_HTTPHEADER" };
	VF_CURL_SET(&st, c, CURLOPT_HTTPHEADER, f->headers);
	VF_CURL_SET(&st, c, CURLOPT_PRIVATE, f);
	VF_CURL_SET(&st, c, CURLOPT_HEADERFUNCTION, on_header);
	VF_CURL_SET(&st, c, CURLOPT_HEADERDATA, f);
	VF_CURL_SET(&st, c, CURLOPT_SHARE, h->share);
	if (vf_curl_set_result(&st, f->url, errmsg) < 0) {
		curl_easy_cleanup(c);
		return NULL;
	}
	return c;
}

/* The entry a finished transfer gives. */
static struct vf_host_entry *outcome(struct vf_http *h, struct vf_job *f, CURL *c, CURLcode rc)
{
	const char *id = f->id;
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return vf_entry_error(id, "%s: timed out after %d ms", f->url, h->timeout_ms);
	if (vf_http_too_big(rc, &f->body))
		return vf_entry_error(id, "%s: report larger than %u bytes", f->url, VF_REPORT_HTTP_MAX);
	if (rc != CURLE_OK)
		return vf_entry_error(id, "%s: %s", f->url, f->errbuf[0] ? f->errbuf : curl_easy_strerror(rc));
	if (status == 304 && f->cached) {
		count(&h->not_modified);
		return vf_entry_ref(f->cached);
	}
	if (status != 200)
		return vf_entry_error(id, "%s: HTTP %ld", f->url, status);
	_cleanup_host_ struct vf_host *host = NULL;
	_cleanup_free_ char *err = NULL;
	int r = vf_report_parse(f->body.data ? f->body.data : "", f->body.len, &host, &err);
	if (r < 0)
		return vf_entry_error(id, "%s: %s", f->url, err ? err : strerror(-r));
	return vf_entry_from_host(host, id);
}

/* ---- jobs ---- */

struct vf_job *vf_job_new(const char *id, time_t now)
{
	struct vf_job *j = xcalloc(1, sizeof(*j));
	j->refs = 1;
	j->id = xstrdup(id);
	j->now = now;
	clock_gettime(CLOCK_MONOTONIC, &j->asked);
	return j;
}

void vf_job_unref(struct vf_job *j)
{
	if (!j || --j->refs > 0)
		return;
	vf_entry_unref(j->cached);
	vf_entry_unref(j->result);
	curl_slist_free_all(j->headers);
	free(j->id);
	free(j->url);
	free(j->etag_sent);
	vf_http_body_clear(&j->body);
	free(j->etag);
	free(j);
}

static void queue_push(struct vf_job_queue *q, struct vf_job *j)
{
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
}

static struct vf_job *queue_pop(struct vf_job_queue *q)
{
	struct vf_job *j = q->head;
	if (j && !(q->head = j->next))
		q->tail = NULL;
	return j;
}

void vf_http_enqueue(struct vf_http *h, struct vf_job *j, bool retry)
{
	queue_push(retry ? &h->retry : &h->first, j);
	h->fetching++;
	curl_multi_wakeup(h->multi);
}

void vf_http_job_end(struct vf_http *h, struct vf_job *j, struct vf_host_entry *result)
{
	j->result = result;
	j->done = true;
	if (result->error)
		count(&h->errors);
	vf_http_cache_store(h, j);
	pthread_cond_broadcast(&h->done);
}

/* ---- the fetcher thread ---- */

/* The fetcher is done with j: it ends with result, the queue's reference goes. */
static void job_over(struct vf_http *h, struct vf_job *j, struct vf_host_entry *result)
{
	curl_slist_free_all(j->headers);
	j->headers = NULL;
	pthread_mutex_lock(&h->lock);
	h->fetching--;
	vf_http_job_end(h, j, result);
	vf_job_unref(j);
	pthread_mutex_unlock(&h->lock);
}

/* j's transfer into the multi handle; a job whose handle cannot be made ends at once, with the
 * option that failed as its error. */
static void start_job(struct vf_http *h, struct vf_job *j)
{
	_cleanup_free_ char *err = NULL;
	CURL *c = easy_new(h, j, &err);
	CURLMcode mc = c ? curl_multi_add_handle(h->multi, c) : CURLM_OK;
	if (mc != CURLM_OK) {
		curl_easy_cleanup(c);
		c = NULL;
		err = xasprintf("%s: libcurl: curl_multi_add_handle: %s", j->url, curl_multi_strerror(mc));
	}
	if (!c) {
		job_over(h, j, vf_entry_error(j->id, "%s", err));
		return;
	}
	j->easy = c;
	j->running_idx = h->n_running;
	h->running[h->n_running++] = j;
}

/* Start what the queues hold, up to max_parallel running. */
static void start_jobs(struct vf_http *h)
{
	struct vf_job *take = NULL, **tail = &take;
	pthread_mutex_lock(&h->lock);
	for (size_t n = h->n_running; n < (size_t)h->max_parallel; n++) {
		struct vf_job *j = queue_pop(&h->first);
		if (!j)
			j = queue_pop(&h->retry);
		if (!j)
			break;
		*tail = j;
		tail = &j->next;
	}
	*tail = NULL;
	pthread_mutex_unlock(&h->lock);
	for (struct vf_job *j = take, *next; j; j = next) {
		next = j->next;
		start_job(h, j);
	}
}

/* A transfer ended (rc) or was stopped (result given): its job ends, the queue's reference goes. */
static void finish(struct vf_http *h, CURL *c, CURLcode rc, struct vf_host_entry *result)
{
	struct vf_job *j = NULL;
	curl_easy_getinfo(c, CURLINFO_PRIVATE, (char **)&j);
	if (!result)
		result = outcome(h, j, c, rc);
	count(&h->requests);
	curl_multi_remove_handle(h->multi, c);
	curl_easy_cleanup(c);
	h->running[j->running_idx] = h->running[--h->n_running];
	h->running[j->running_idx]->running_idx = j->running_idx;
	job_over(h, j, result);
}

static bool stopping(struct vf_http *h)
{
	pthread_mutex_lock(&h->lock);
	bool stop = h->stop;
	pthread_mutex_unlock(&h->lock);
	return stop;
}

static void *fetcher(void *p)
{
	struct vf_http *h = p;
	while (!stopping(h)) {
		start_jobs(h);
		int running;
		curl_multi_perform(h->multi, &running);
		CURLMsg *msg;
		int left;
		bool ended = false;
		while ((msg = curl_multi_info_read(h->multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			finish(h, msg->easy_handle, msg->data.result, NULL); /* msg dies with its handle */
			ended = true;
		}
		/* what ended makes room for what waits: start it before sleeping. The poll returns
		 * early on socket activity, libcurl's own timeouts and curl_multi_wakeup(). */
		if (!ended)
			curl_multi_poll(h->multi, NULL, 0, 1000, NULL);
	}
	/* vf_http_free: no lookup is left to wait for what runs or is queued */
	while (h->n_running) {
		struct vf_job *j = h->running[0];
		finish(h, j->easy, CURLE_OK, vf_entry_error(j->id, "%s: the service stopped", j->url));
	}
	pthread_mutex_lock(&h->lock);
	for (struct vf_job *j; (j = queue_pop(&h->first)) || (j = queue_pop(&h->retry));)
		vf_job_unref(j);
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

int vf_http_fetcher_start(struct vf_http *h, char **errmsg)
{
	h->multi = curl_multi_init();
	if (!h->multi)
		abort();
	h->running = xcalloc((size_t)h->max_parallel, sizeof(*h->running));
	int r = pthread_create(&h->thread, NULL, fetcher, h);
	if (r != 0) {
		curl_multi_cleanup(h->multi);
		h->multi = NULL;
		return set_error(errmsg, -r, "HTTP reports: cannot start the fetcher thread: %s", strerror(r));
	}
	return 0;
}

void vf_http_fetcher_stop(struct vf_http *h)
{
	if (!h->multi)
		return;
	pthread_mutex_lock(&h->lock);
	h->stop = true;
	pthread_mutex_unlock(&h->lock);
	curl_multi_wakeup(h->multi);
	pthread_join(h->thread, NULL);
	curl_multi_cleanup(h->multi);
	h->multi = NULL;
}

/* ---- setup ---- */

static void share_lock(CURL *c, curl_lock_data data, curl_lock_access access, void *p)
{
	struct vf_http *h = p;
	pthread_mutex_lock(&h->share_locks[data]);
}

static void share_unlock(CURL *c, curl_lock_data data, void *p)
{
	struct vf_http *h = p;
	pthread_mutex_unlock(&h->share_locks[data]);
}

#define SHARE_SET(rc, what, sh, opt, val)                                                          \
	do {                                                                                       \
		if ((rc) == CURLSHE_OK && ((rc) = curl_share_setopt(sh, opt, val)) != CURLSHE_OK)  \
			(what) = #opt " " #val;                                                    \
	} while (0)

static int share_init(struct vf_http *h, char **errmsg)
{
	for (size_t i = 0; i < ARRAY_SIZE(h->share_locks); i++)
		pthread_mutex_init(&h->share_locks[i], NULL);
	h->share = curl_share_init();
	if (!h->share)
		abort();
	CURLSHcode rc = CURLSHE_OK;
	const char *what = NULL;
	SHARE_SET(rc, what, h->share, CURLSHOPT_LOCKFUNC, share_lock);
	SHARE_SET(rc, what, h->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	SHARE_SET(rc, what, h->share, CURLSHOPT_USERDATA, h);
	SHARE_SET(rc, what, h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	SHARE_SET(rc, what, h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	if (rc != CURLSHE_OK)
		return set_error(errmsg, -EIO, "HTTP reports: libcurl: %s: %s", what, curl_share_strerror(rc));
	return 0;
}

static int check_numbers(const struct vf_source_opts *o, char **errmsg)
{
	if (o->timeout_ms < 1)
		return set_error(errmsg, -EINVAL, "HTTP timeout %d ms: must be at least 1", o->timeout_ms);
	if (o->cache_max_age < 0)
		return set_error(errmsg, -EINVAL, "HTTP cache max age %d: must not be negative",
				 o->cache_max_age);
	if (o->max_parallel < 1)
		return set_error(errmsg, -EINVAL, "HTTP max parallel %d: must be at least 1", o->max_parallel);
	if (o->cache_max < 0)
		return set_error(errmsg, -EINVAL, "HTTP cache size %d: must not be negative", o->cache_max);
	if (o->call_deadline_ms < 0)
		return set_error(errmsg, -EINVAL, "call deadline %d ms: must not be negative",
				 o->call_deadline_ms);
	if (o->backoff_max < 0)
		return set_error(errmsg, -EINVAL, "HTTP backoff max %d: must not be negative", o->backoff_max);
	return 0;
}

int vf_http_new(const struct vf_source_opts *o, struct vf_http **ret, char **errmsg)
{
	int r = check_numbers(o, errmsg);
	if (r >= 0)
		r = check_template(o->url_template, o->resolve != NULL, errmsg);
	if (r < 0)
		return r;
	r = vf_http_global_init(errmsg);
	if (r < 0)
		return r;
	struct vf_http *h = xcalloc(1, sizeof(*h));
	h->tmpl = xstrdup(o->url_template);
	h->timeout_ms = o->timeout_ms;
	h->cache_max_age = o->cache_max_age;
	h->cache_max = o->cache_max > 0 ? (size_t)o->cache_max : HTTP_CACHE_MAX;
	h->max_parallel = o->max_parallel;
	h->call_deadline_ms = o->call_deadline_ms;
	h->backoff_max = o->backoff_max > 0 ? o->backoff_max : BACKOFF_MAX;
	h->ca_file = xstrdup(o->ca_file);
	h->cert_file = xstrdup(o->cert_file);
	h->key_file = xstrdup(o->key_file);
	/* a reporter's answer is its report: a redirect is an error, never followed */
	h->policy = (struct vf_http_policy){ .ca_file = h->ca_file, .cert_file = h->cert_file,
					     .key_file = h->key_file, .timeout_ms = h->timeout_ms,
					     .body_max = VF_REPORT_HTTP_MAX, .max_redirects = 0 };
	h->resolve = o->resolve;
	h->resolve_ctx = o->resolve_ctx;
	h->on_late = o->on_late;
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* deadlines: not moved by clock steps */
	pthread_cond_init(&h->done, &ca);
	pthread_condattr_destroy(&ca);
	h->cache = vf_table_new(0);
	r = share_init(h, errmsg);
	if (r >= 0)
		r = vf_http_fetcher_start(h, errmsg);
	if (r < 0) {
		vf_http_free(h);
		return r;
	}
	*ret = h;
	return 0;
}

void vf_http_free(struct vf_http *h)
{
	if (!h)
		return;
	vf_http_fetcher_stop(h);
	curl_share_cleanup(h->share);
	for (size_t i = 0; i < ARRAY_SIZE(h->share_locks); i++)
		pthread_mutex_destroy(&h->share_locks[i]);
	vf_table_free(h->cache, vf_http_slot_clear);
	free(h->running);
	pthread_cond_destroy(&h->done);
	pthread_mutex_destroy(&h->lock);
	free(h->tmpl);
	free(h->ca_file);
	free(h->cert_file);
	free(h->key_file);
	free(h);
}

void vf_http_stats(struct vf_http *h, struct vf_source_stats *st)
{
	st->http_requests = __atomic_load_n(&h->requests, __ATOMIC_RELAXED);
	st->http_not_modified = __atomic_load_n(&h->not_modified, __ATOMIC_RELAXED);
	st->http_errors = __atomic_load_n(&h->errors, __ATOMIC_RELAXED);
	pthread_mutex_lock(&h->lock);
	st->http_cached = h->cache->n;
	st->http_uncached = h->uncached;
	st->http_late = h->late;
	st->http_late_lookups = h->late_lookups;
	st->http_backoff = h->backoff;
	st->http_fetching = h->fetching;
	pthread_mutex_unlock(&h->lock);
}

void vf_http_all(struct vf_http *h, struct vf_host_entry ***out, size_t *n)
{
	pthread_mutex_lock(&h->lock);
	const struct vf_table *t = h->cache;
	*out = xrealloc(*out, (*n + t->n + 1) * sizeof(**out));
	for (size_t i = 0; i <= t->mask; i++)
		if (t->slots[i].cap && !t->slots[i].http.none) /* a placeholder is no answer */
			(*out)[(*n)++] = vf_entry_ref(t->slots[i].cap);
	pthread_mutex_unlock(&h->lock);
}
