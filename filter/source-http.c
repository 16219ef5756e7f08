/* SPDX-License-Identifier: MIT */
/* The HTTP source: each host's reporter serves its report (url_template). A lookup takes what
 * the cache has when it is younger than cache_max_age and fetches the rest at once, in
 * parallel (one libcurl multi handle per lookup, at most max_parallel transfers at a time).
 * The cache's mutex is held to read the cache and to store the answers, never across the
 * network wait; so two lookups that want the same stale host at the same time both fetch it
 * (the later answer stays). A failed fetch is cached like a report, so that a host whose
 * reporter is down costs one timeout per cache_max_age, not one per scheduling call. The cache
 * is bounded (cache_max): any client of the service can ask about any host id, and hosts leave
 * the cluster; when it is full, its stale entries go, and if none is stale the answer is not
 * kept. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "model.h"
#include "report.h"
#include "source-internal.h"
#include "util.h"

#define HTTP_CACHE_MAX 65536 /* hosts: an engine manages a few thousand */

struct vf_http {
	char *tmpl;
	int timeout_ms, cache_max_age, max_parallel;
	size_t cache_max;
	char *ca_file;
	char *cert_file, *key_file;
	int (*resolve)(void *ctx, const char *host_id, time_t now, char **address, char **errmsg);
	void *resolve_ctx;

	pthread_mutex_t lock;   /* the cache */
	struct vf_table *cache; /* slots' http part: etag, fetched */

	/* DNS answers and TLS sessions outlive a lookup: the next one to the same host resumes */
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

	unsigned long requests, not_modified, errors; /* __atomic */
	unsigned long uncached;                       /* under lock */
};

/* One host to fetch in this lookup. */
struct fetch {
	size_t idx;                 /* into the lookup's ids and out */
	char *url;                  /* NULL when the address could not be resolved */
	char *etag_sent;            /* the cached report's, sent as If-None-Match */
	struct vf_capacity *cached; /* the cached report (a reference), for a 304 */
	struct curl_slist *headers;
	char *body;
	size_t len, cap;
	bool too_big;
	char *etag; /* the answer's */
	char errbuf[CURL_ERROR_SIZE];
	struct vf_capacity *result;
};

static int global_init_result;
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	global_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

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

/* f->url for host id, or f->result = why there is none. */
static void make_url(struct vf_http *h, struct fetch *f, const char *id, time_t now)
{
	_cleanup_free_ char *address = NULL, *err = NULL, *host = NULL;
	if (h->resolve && strstr(h->tmpl, "{address}")) {
		int r = h->resolve(h->resolve_ctx, id, now, &address, &err);
		if (r < 0) {
			f->result = vf_capacity_error(id, "address of host %s: %s", id, err ? err : strerror(-r));
			return;
		}
		host = address ? url_address(address) : NULL;
		if (!host) {
			f->result = vf_capacity_error(id, "address of host %s: '%s' is not a host name or IP address",
						      id, address ? address : "");
			return;
		}
	}
	f->url = expand(h->tmpl, id, host);
}

/* ---- one transfer ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *p)
{
	struct fetch *f = p;
	size_t n = size * nmemb;
	if (n > VF_REPORT_HTTP_MAX - f->len) {
		f->too_big = true;
		return 0; /* aborts the transfer */
	}
	if (f->len + n + 1 > f->cap) {
		f->cap = f->cap ? f->cap : 16384;
		while (f->len + n + 1 > f->cap)
			f->cap *= 2;
		f->body = xrealloc(f->body, f->cap);
	}
	memcpy(f->body + f->len, data, n);
	f->len += n;
	f->body[f->len] = '\0';
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *p)
{
	struct fetch *f = p;
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

static CURL *easy_new(struct vf_http *h, struct fetch *f)
{
	CURL *c = curl_easy_init();
	if (!c)
		abort(); /* allocation failure, like xmalloc */
	curl_easy_setopt(c, CURLOPT_URL, f->url);
	curl_easy_setopt(c, CURLOPT_PRIVATE, f);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)VF_REPORT_HTTP_MAX);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* whatever this libcurl decodes */
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vfcap-filter/" VFCAP_VERSION);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, f->errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, f);
	curl_easy_setopt(c, CURLOPT_SHARE, h->share);
	if (h->ca_file) /* verification itself is libcurl's default and never turned off */
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
	if (h->cert_file)
		curl_easy_setopt(c, CURLOPT_SSLCERT, h->cert_file);
	if (h->key_file)
		curl_easy_setopt(c, CURLOPT_SSLKEY, h->key_file);
	f->headers = curl_slist_append(NULL, "Accept: application/json");
	if (f->etag_sent) {
		_cleanup_free_ char *inm = xasprintf("If-None-Match: %s", f->etag_sent);
		f->headers = curl_slist_append(f->headers, inm);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, f->headers);
	return c;
}

/* The entry a finished transfer gives. */
static struct vf_capacity *outcome(struct vf_http *h, struct fetch *f, const char *id, CURL *c,
				   CURLcode rc)
{
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return vf_capacity_error(id, "%s: timed out after %d ms", f->url, h->timeout_ms);
	if (f->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		return vf_capacity_error(id, "%s: report larger than %u bytes", f->url, VF_REPORT_HTTP_MAX);
	if (rc != CURLE_OK)
		return vf_capacity_error(id, "%s: %s", f->url, f->errbuf[0] ? f->errbuf : curl_easy_strerror(rc));
	if (status == 304 && f->cached) {
		count(&h->not_modified);
		return vf_capacity_ref(f->cached);
	}
	if (status != 200)
		return vf_capacity_error(id, "%s: HTTP %ld", f->url, status);
	_cleanup_host_ struct vf_host *host = NULL;
	_cleanup_free_ char *err = NULL;
	int r = vf_report_parse(f->body ? f->body : "", f->len, &host, &err);
	if (r < 0)
		return vf_capacity_error(id, "%s: %s", f->url, err ? err : strerror(-r));
	return vf_capacity_from_host(host, id);
}

/* ---- a lookup's transfers ---- */

static void finish(struct vf_http *h, CURLM *m, CURL *c, CURLcode rc, const char *const *ids)
{
	struct fetch *f = NULL;
	curl_easy_getinfo(c, CURLINFO_PRIVATE, (char **)&f);
	f->result = outcome(h, f, ids[f->idx], c, rc);
	count(&h->requests);
	curl_multi_remove_handle(m, c);
	curl_easy_cleanup(c);
	curl_slist_free_all(f->headers);
	f->headers = NULL;
}

/* Every fetch with a URL, at most max_parallel at a time; each ends by its own timeout. */
static void run(struct vf_http *h, struct fetch *fs, size_t n, const char *const *ids)
{
	CURLM *m = curl_multi_init();
	if (!m)
		abort();
	size_t next = 0, active = 0;
	for (;;) {
		for (; next < n && active < (size_t)h->max_parallel; next++) {
			if (!fs[next].url)
				continue;
			curl_multi_add_handle(m, easy_new(h, &fs[next]));
			active++;
		}
		if (active == 0)
			break;
		int running;
		curl_multi_perform(m, &running);
		bool done = false;
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			/* msg is invalid once its handle is removed: read it first */
			CURL *c = msg->easy_handle;
			finish(h, m, c, msg->data.result, ids);
			active--;
			done = true;
		}
		if (!done)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	}
	curl_multi_cleanup(m);
}

static bool fresh(const struct vf_http *h, const struct vf_slot *s, time_t now)
{
	return now >= s->http.fetched && now - s->http.fetched < h->cache_max_age;
}

/* Take what the cache has fresh; list the rest. Returns how many need fetching. */
static size_t from_cache(struct vf_http *h, const char *const *ids, size_t n, time_t now,
			 struct vf_capacity **out, struct fetch *fs)
{
	size_t k = 0;
	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; i < n; i++) {
		struct vf_slot *s = vf_table_find(h->cache, ids[i], vf_table_hash(ids[i]));
		if (s && fresh(h, s, now)) {
			out[i] = vf_capacity_ref(s->cap);
			continue;
		}
		struct fetch *f = &fs[k++];
		f->idx = i;
		if (s && !s->cap->error && s->http.etag) {
			f->etag_sent = xstrdup(s->http.etag);
			f->cached = vf_capacity_ref(s->cap);
		}
	}
	pthread_mutex_unlock(&h->lock);
	return k;
}

static void clear_slot(struct vf_slot *s)
{
	free(s->http.etag);
}

/* Keep only the fresh entries. Under h->lock. */
static void cache_sweep(struct vf_http *h, time_t now)
{
	struct vf_table *old = h->cache, *t = vf_table_new(old->n / 2);
	for (size_t i = 0; i <= old->mask; i++) {
		struct vf_slot *s = &old->slots[i];
		if (!s->cap || !fresh(h, s, now))
			continue;
		*vf_table_insert(t, s->hash) = *s;
		s->cap = NULL; /* moved: not freed with the old table */
	}
	vf_table_free(old, clear_slot);
	h->cache = t;
}

/* The slot for a new answer about id (its old one emptied), or NULL when the cache is full of
 * fresh entries. Under h->lock. */
static struct vf_slot *cache_slot(struct vf_http *h, const char *id, time_t now)
{
	uint32_t hash = vf_table_hash(id);
	struct vf_slot *s = vf_table_find(h->cache, id, hash);
	if (s) {
		clear_slot(s);
		vf_capacity_unref(s->cap);
		return s;
	}
	if (h->cache->n >= h->cache_max)
		cache_sweep(h, now);
	if (h->cache->n >= h->cache_max) {
		h->uncached++;
		return NULL;
	}
	return vf_table_insert(h->cache, hash);
}

static void store(struct vf_http *h, const char *const *ids, struct fetch *fs, size_t n, time_t now)
{
	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; i < n; i++) {
		struct fetch *f = &fs[i];
		struct vf_slot *s = cache_slot(h, ids[f->idx], now);
		if (!s)
			continue;
		s->cap = vf_capacity_ref(f->result);
		s->http.etag = NULL;
		if (f->etag && !f->result->error)
			s->http.etag = TAKE_PTR(f->etag);
		else if (f->result == f->cached) /* a 304 need not repeat the ETag */
			s->http.etag = TAKE_PTR(f->etag_sent);
		s->http.fetched = now;
	}
	pthread_mutex_unlock(&h->lock);
}

void vf_http_lookup(struct vf_http *h, const char *const *ids, size_t n, time_t now,
		    struct vf_capacity **out)
{
	_cleanup_free_ struct fetch *fs = xcalloc(n, sizeof(*fs));
	size_t k = from_cache(h, ids, n, now, out, fs);
	if (k == 0)
		return;
	for (size_t i = 0; i < k; i++)
		make_url(h, &fs[i], ids[fs[i].idx], now);
	run(h, fs, k, ids);
	store(h, ids, fs, k, now);
	for (size_t i = 0; i < k; i++) {
		struct fetch *f = &fs[i];
		if (f->result->error)
			count(&h->errors);
		out[f->idx] = f->result;
		vf_capacity_unref(f->cached);
		free(f->url);
		free(f->etag_sent);
		free(f->etag);
		free(f->body);
	}
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

static void share_init(struct vf_http *h)
{
	for (size_t i = 0; i < ARRAY_SIZE(h->share_locks); i++)
		pthread_mutex_init(&h->share_locks[i], NULL);
	h->share = curl_share_init();
	if (!h->share)
		abort();
	curl_share_setopt(h->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(h->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(h->share, CURLSHOPT_USERDATA, h);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
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
	return 0;
}

int vf_http_new(const struct vf_source_opts *o, struct vf_http **ret, char **errmsg)
{
	int r = check_numbers(o, errmsg);
	if (r >= 0)
		r = check_template(o->url_template, o->resolve != NULL, errmsg);
	if (r < 0)
		return r;
	pthread_once(&global_once, global_init);
	if (global_init_result != CURLE_OK)
		return set_error(errmsg, -EIO, "libcurl: %s", curl_easy_strerror(global_init_result));
	struct vf_http *h = xcalloc(1, sizeof(*h));
	h->tmpl = xstrdup(o->url_template);
	h->timeout_ms = o->timeout_ms;
	h->cache_max_age = o->cache_max_age;
	h->cache_max = o->cache_max > 0 ? (size_t)o->cache_max : HTTP_CACHE_MAX;
	h->max_parallel = o->max_parallel;
	h->ca_file = xstrdup(o->ca_file);
	h->cert_file = xstrdup(o->cert_file);
	h->key_file = xstrdup(o->key_file);
	h->resolve = o->resolve;
	h->resolve_ctx = o->resolve_ctx;
	pthread_mutex_init(&h->lock, NULL);
	h->cache = vf_table_new(0);
	share_init(h);
	*ret = h;
	return 0;
}

void vf_http_free(struct vf_http *h)
{
	if (!h)
		return;
	curl_share_cleanup(h->share);
	for (size_t i = 0; i < ARRAY_SIZE(h->share_locks); i++)
		pthread_mutex_destroy(&h->share_locks[i]);
	vf_table_free(h->cache, clear_slot);
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
	pthread_mutex_unlock(&h->lock);
}
