/* SPDX-License-Identifier: MIT */
/* The engine client (engine.h): GETs with libcurl, the answers cached in memory. */
#include "engine.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "http-client.h"
#include "util.h"

/* An engine answers a VM's nics or one profile in a few KB; the host list is ~5 KB per host
 * before gzip. Anything past this is not an engine answer worth holding in memory. */
#define BODY_MAX ((size_t)16 << 20)
#define HOSTS_MAX ((size_t)512 << 20) /* a streamed host list: about 100,000 hosts */
/* Entries per cache table by default: far above an engine's VMs or profiles. */
#define CACHE_MAX 65536
/* Idle handles kept for reuse: each keeps its connection to the engine open. */
#define IDLE_HANDLES 8

/* ---- cache tables: id -> (value, text, time), chained hash ---- */

struct centry {
	struct centry *next;
	time_t at;
	int value;
	char *text;
	void *blob; /* a copy of a struct (placement, topology), blob_len bytes */
	size_t blob_len;
	char key[];
};

struct table {
	struct centry **b;
	size_t nb, n;
};

static bool fresh(time_t at, time_t now, int ttl)
{
	return now >= at && now - at < ttl;
}

static uint64_t hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct centry *table_get(const struct table *t, const char *key)
{
	if (!t->nb)
		return NULL;
	for (struct centry *c = t->b[hash(key) & (t->nb - 1)]; c; c = c->next)
		if (streq(c->key, key))
			return c;
	return NULL;
}

static void *xmemdup(const void *p, size_t n)
{
	void *c = xmalloc(n ? n : 1);
	return memcpy(c, p, n);
}

static void centry_free(struct centry *c)
{
	free(c->text);
	free(c->blob);
	free(c);
}

static void table_clear(struct table *t)
{
	for (size_t i = 0; i < t->nb; i++)
		for (struct centry *c = t->b[i], *next; c; c = next) {
			next = c->next;
			centry_free(c);
		}
	free(t->b);
	*t = (struct table){ 0 };
}

/* Keep the load factor at most 1: double the buckets (a power of two) and rehash. */
static void table_grow(struct table *t)
{
	size_t nb = t->nb ? t->nb * 2 : 64;
	struct centry **b = xcalloc(nb, sizeof(*b));
	for (size_t i = 0; i < t->nb; i++)
		for (struct centry *c = t->b[i], *next; c; c = next) {
			next = c->next;
			size_t k = hash(c->key) & (nb - 1);
			c->next = b[k];
			b[k] = c;
		}
	free(t->b);
	t->b = b;
	t->nb = nb;
}

/* Drop the entries no longer fresh. */
static void table_sweep(struct table *t, time_t now, int ttl)
{
	for (size_t i = 0; i < t->nb; i++)
		for (struct centry **p = &t->b[i]; *p;) {
			struct centry *c = *p;
			if (fresh(c->at, now, ttl)) {
				p = &c->next;
				continue;
			}
			*p = c->next;
			centry_free(c);
			t->n--;
		}
}

/* What an entry holds besides its value: text and blob are copied (NULL is fine). */
struct cvalue {
	int value;
	const char *text;
	const void *blob;
	size_t blob_len;
};

/* Set key's value. */
static void table_set(struct table *t, const char *key, const struct cvalue *v, time_t now)
{
	struct centry *c = table_get(t, key);
	if (!c) {
		if (t->n >= t->nb)
			table_grow(t);
		size_t len = strlen(key);
		c = xcalloc(1, sizeof(*c) + len + 1);
		memcpy(c->key, key, len);
		size_t k = hash(key) & (t->nb - 1);
		c->next = t->b[k];
		t->b[k] = c;
		t->n++;
	}
	free(c->text);
	free(c->blob);
	c->text = v->text ? xstrdup(v->text) : NULL;
	c->blob = v->blob ? xmemdup(v->blob, v->blob_len) : NULL;
	c->blob_len = v->blob ? v->blob_len : 0;
	c->value = v->value;
	c->at = now;
}

/* table_set for a cache: when the table is full even after a sweep of stale entries, the
 * answer is not kept. The table stays bounded, and the caller still has its answer (it is
 * just fetched again next time). */
static void table_put(struct table *t, const char *key, const struct cvalue *v, time_t now, int ttl,
		      size_t max)
{
	if (t->n >= max && !table_get(t, key))
		table_sweep(t, now, ttl);
	if (t->n < max || table_get(t, key))
		table_set(t, key, v, now);
}

/* ---- the engine ---- */

struct vf_engine {
	char *url; /* API root without trailing '/' */
	char *ca_file, *user, *password;
	int timeout_ms, ttl;
	struct vf_http_policy policy; /* body_max: BODY_MAX; no redirect followed */
	size_t cache_max;
	struct curl_slist *headers;

	/* Guards everything below; never held across a request. */
	pthread_mutex_t lock;
	struct table vms;      /* vm id -> demand */
	struct table profiles; /* profile id -> needs a VF (0/1) */
	struct table hosts;    /* host id -> address (text), all from one list read */
	struct table placements; /* vm id -> struct vf_vm_placement (blob) */
	struct table topologies; /* host id -> struct vf_host_numa_node[] (blob) */
	bool have_hosts;       /* hosts holds a list read at hosts_at */
	time_t hosts_at;
	bool hosts_tried;      /* a list read started at tried_at */
	time_t tried_at;
	int hosts_errno;       /* the last read failed so, or 0 */
	char *hosts_err;
	CURL *idle[IDLE_HANDLES];
	size_t n_idle;
};

static int check_opts(const struct vf_engine_opts *o, char **errmsg)
{
	if (!o || !o->url || !(startswith(o->url, "http://") || startswith(o->url, "https://")))
		return set_error(errmsg, -EINVAL, "engine URL must start with http:// or https://");
	if (o->url[strcspn(o->url, "?# \t\r\n")])
		return set_error(errmsg, -EINVAL,
				 "engine URL must be the API root, without query or fragment");
	if (o->timeout_ms < 1)
		return set_error(errmsg, -EINVAL, "engine timeout must be at least 1 ms");
	if (o->cache_ttl < 0)
		return set_error(errmsg, -EINVAL, "engine cache_ttl must not be negative");
	if (o->cache_max < 0)
		return set_error(errmsg, -EINVAL, "engine cache_max must not be negative");
	return 0;
}

static char *strdup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* The engine answers XML only when asked (JSON otherwise), and API v4 only with Version: 4. */
static struct curl_slist *request_headers(void)
{
	struct curl_slist *h = curl_slist_append(NULL, "Accept: application/xml");
	struct curl_slist *all = h ? curl_slist_append(h, "Version: 4") : NULL;
	if (!all)
		curl_slist_free_all(h);
	return all;
}

int vf_engine_new(const struct vf_engine_opts *o, struct vf_engine **ret, char **errmsg)
{
	int r = check_opts(o, errmsg);
	if (r < 0)
		return r;
	_cleanup_free_ char *why = NULL;
	if (vf_http_global_init(&why) < 0)
		return set_error(errmsg, -EIO, "engine: %s", why);
	struct vf_engine *e = xcalloc(1, sizeof(*e));
	size_t len = strlen(o->url);
	while (len > 0 && o->url[len - 1] == '/')
		len--;
	e->url = xstrndup(o->url, len);
	e->ca_file = strdup_or_null(o->ca_file);
	e->user = strdup_or_null(o->user);
	e->password = xstrdup(o->password ? o->password : "");
	e->timeout_ms = o->timeout_ms;
	e->ttl = o->cache_ttl;
	e->cache_max = o->cache_max ? (size_t)o->cache_max : CACHE_MAX;
	/* A redirect is an error, never a fetch elsewhere: the API root is configured, and
	 * credentials go with every request. */
	e->policy = (struct vf_http_policy){ .ca_file = e->ca_file, .timeout_ms = e->timeout_ms,
					     .body_max = BODY_MAX, .max_redirects = 0 };
	pthread_mutex_init(&e->lock, NULL);
	e->headers = request_headers();
	if (!e->headers) {
		vf_engine_free(e);
		return set_error(errmsg, -ENOMEM, "engine: out of memory");
	}
	*ret = e;
	return 0;
}

void vf_engine_free(struct vf_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n_idle; i++)
		curl_easy_cleanup(e->idle[i]);
	curl_slist_free_all(e->headers);
	table_clear(&e->vms);
	table_clear(&e->profiles);
	table_clear(&e->hosts);
	table_clear(&e->placements);
	table_clear(&e->topologies);
	pthread_mutex_destroy(&e->lock);
	free(e->hosts_err);
	explicit_bzero(e->password, strlen(e->password));
	free(e->password);
	free(e->user);
	free(e->ca_file);
	free(e->url);
	free(e);
}

/* ---- HTTP ---- */

struct body {
	struct vf_http_body buf; /* any answer but a streamed list, up to BODY_MAX */
	size_t max; /* the answer's cap: BODY_MAX, or HOSTS_MAX for the host list */
	/* Streamed (the host list): a 200's bytes go to this parser as they come, not to buf */
	struct vf_engine_hosts_parser *hosts;
	size_t streamed; /* bytes fed to it */
	CURL *h;
	char *parse_err; /* the parser's failure, which stopped the transfer */
};

static void body_clear(struct body *b)
{
	vf_http_body_clear(&b->buf);
	vf_engine_hosts_parser_free(b->hosts);
	free(b->parse_err);
}

/* A streamed answer's bytes, once the status says it is the list (an error page is kept). */
static bool streamed(struct body *b)
{
	long status = 0;
	return b->hosts && curl_easy_getinfo(b->h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status == 200;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *userdata)
{
	struct body *b = userdata;
	size_t n = size * nmemb; /* size is 1 */
	if (!streamed(b))
		return vf_http_body_write(p, size, nmemb, &b->buf);
	if (n > b->max - b->streamed) {
		b->buf.too_big = true;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	b->streamed += n;
	return vf_engine_hosts_parser_feed(b->hosts, p, n, false, &b->parse_err) < 0 ? 0 : n;
}

/* An idle handle (its connection to the engine kept) or a new one; NULL when out of memory. */
static CURL *handle_take(struct vf_engine *e)
{
	pthread_mutex_lock(&e->lock);
	CURL *h = e->n_idle ? e->idle[--e->n_idle] : NULL;
	pthread_mutex_unlock(&e->lock);
	if (!h)
		return curl_easy_init();
	curl_easy_reset(h); /* options back to defaults; the open connection stays */
	return h;
}

static void handle_give(struct vf_engine *e, CURL *h)
{
	pthread_mutex_lock(&e->lock);
	if (e->n_idle < IDLE_HANDLES) {
		e->idle[e->n_idle++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&e->lock);
	if (h)
		curl_easy_cleanup(h);
}

/* The one policy (http-client.h), then what only the engine asks for: XML, API v4, Basic auth. */
static int set_options(const struct vf_engine *e, CURL *h, const char *url, struct body *b, char *errbuf,
		       char **errmsg)
{
	struct vf_http_policy p = e->policy;
	p.body_max = b->max;
	_cleanup_free_ char *what = xasprintf("engine %s", url);
	int r = vf_http_apply(h, &p, url, on_body, b, errbuf, what, errmsg);
	if (r < 0)
		return r;
	struct vf_curl_set st = { CURLE_OK, NULL };
	VF_CURL_SET(&st, h, CURLOPT_HTTPHEADER, e->headers);
	if (e->user) {
		VF_CURL_SET(&st, h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		VF_CURL_SET(&st, h, CURLOPT_USERNAME, e->user);
		VF_CURL_SET(&st, h, CURLOPT_PASSWORD, e->password);
	}
	return vf_curl_set_result(&st, what, errmsg);
}

static int status_error(const char *url, long status, char **errmsg)
{
	int r = status == 401 || status == 403 ? -EACCES : status == 404 ? -ENOENT : -EIO;
	return set_error(errmsg, r, "engine %s: HTTP %ld", url, status);
}

static int transfer_error(const struct vf_engine *e, const char *url, CURLcode rc,
			  const struct body *b, const char *errbuf, char **errmsg)
{
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return set_error(errmsg, -ETIMEDOUT, "engine %s: timed out after %d ms", url,
				 e->timeout_ms);
	if (vf_http_too_big(rc, &b->buf))
		return set_error(errmsg, -EFBIG, "engine %s: answer larger than %zu bytes", url, b->max);
	if (rc == CURLE_WRITE_ERROR && b->parse_err)
		return set_error(errmsg, -EINVAL, "engine %s: %s", url, b->parse_err);
	if (*errbuf)
		return set_error(errmsg, -EIO, "engine %s: %s (%.*s)", url, curl_easy_strerror(rc),
				 (int)strcspn(errbuf, "\r\n"), errbuf);
	return set_error(errmsg, -EIO, "engine %s: %s", url, curl_easy_strerror(rc));
}

/* GET url into *b; 0 only for HTTP 200. */
static int http_get(struct vf_engine *e, const char *url, struct body *b, char **errmsg)
{
	CURL *h = handle_take(e);
	if (!h)
		return set_error(errmsg, -ENOMEM, "engine %s: out of memory", url);
	b->max = b->max ? b->max : BODY_MAX;
	b->buf.max = BODY_MAX;
	b->h = h;
	char errbuf[CURL_ERROR_SIZE] = "";
	int r = set_options(e, h, url, b, errbuf, errmsg);
	if (r < 0) {
		curl_easy_cleanup(h);
		return r;
	}
	CURLcode rc = curl_easy_perform(h);
	long status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL); /* errbuf is about to go */
	handle_give(e, h);
	if (rc != CURLE_OK)
		return transfer_error(e, url, rc, b, errbuf, errmsg);
	if (status != 200)
		return status_error(url, status, errmsg);
	return 0;
}

/* ---- VF demand ---- */

/* Looks key up in t; true and *value when fresh. */
static bool cache_get(struct vf_engine *e, struct table *t, const char *key, time_t now, int *value)
{
	pthread_mutex_lock(&e->lock);
	struct centry *c = table_get(t, key);
	bool hit = c && fresh(c->at, now, e->ttl);
	if (hit)
		*value = c->value;
	pthread_mutex_unlock(&e->lock);
	return hit;
}

static void cache_put(struct vf_engine *e, struct table *t, const char *key, int value, time_t now)
{
	pthread_mutex_lock(&e->lock);
	table_put(t, key, &(struct cvalue){ .value = value }, now, e->ttl, e->cache_max);
	pthread_mutex_unlock(&e->lock);
}

/* A blob's copy into out (len bytes; *out malloc'd when len is 0: the blob's own length). */
static bool cache_get_blob(struct vf_engine *e, struct table *t, const char *key, time_t now, void **out,
			   size_t *len)
{
	pthread_mutex_lock(&e->lock);
	struct centry *c = table_get(t, key);
	bool hit = c && c->blob && fresh(c->at, now, e->ttl);
	if (hit) {
		*out = xmemdup(c->blob, c->blob_len);
		*len = c->blob_len;
	}
	pthread_mutex_unlock(&e->lock);
	return hit;
}

static void cache_put_blob(struct vf_engine *e, struct table *t, const char *key, const void *blob, size_t len,
			   time_t now)
{
	pthread_mutex_lock(&e->lock);
	table_put(t, key, &(struct cvalue){ .blob = blob, .blob_len = len }, now, e->ttl, e->cache_max);
	pthread_mutex_unlock(&e->lock);
}

static int profile_needs_vf(struct vf_engine *e, const char *id, time_t now, bool *needs,
			    char **errmsg)
{
	int v;
	if (cache_get(e, &e->profiles, id, now, &v)) {
		*needs = v;
		return 0;
	}
	_cleanup_free_ char *url = xasprintf("%s/vnicprofiles/%s", e->url, id);
	_cleanup_(body_clear) struct body b = { 0 };
	int r = http_get(e, url, &b, errmsg);
	if (r < 0)
		return r;
	_cleanup_free_ char *why = NULL;
	r = vf_engine_parse_profile(b.buf.data, b.buf.len, needs, &why);
	if (r < 0)
		return set_error(errmsg, r, "engine %s: %s", url, why);
	cache_put(e, &e->profiles, id, *needs, now);
	return 0;
}

/* The plugged vNICs whose profile needs a VF. A profile shared by several vNICs is asked for
 * once, even when nothing is cached (cache_ttl 0). */
static int count_demand(struct vf_engine *e, const struct vf_engine_nic *nics, size_t n,
			time_t now, int *demand, char **errmsg)
{
	_cleanup_free_ bool *needs = xcalloc(n ? n : 1, sizeof(*needs));
	int count = 0;
	for (size_t i = 0; i < n; i++) {
		if (!nics[i].plugged || !nics[i].profile_id)
			continue;
		size_t j = 0;
		while (j < i && !(nics[j].plugged && streq_ptr(nics[j].profile_id, nics[i].profile_id)))
			j++;
		if (j < i) {
			needs[i] = needs[j];
		} else {
			int r = profile_needs_vf(e, nics[i].profile_id, now, &needs[i], errmsg);
			if (r < 0)
				return r;
		}
		count += needs[i];
	}
	*demand = count;
	return 0;
}

static int fetch_nics(struct vf_engine *e, const char *vm_id, struct vf_engine_nic **nics,
		      size_t *n, char **errmsg)
{
	_cleanup_free_ char *url = xasprintf("%s/vms/%s/nics", e->url, vm_id);
	_cleanup_(body_clear) struct body b = { 0 };
	int r = http_get(e, url, &b, errmsg);
	if (r < 0)
		return r;
	_cleanup_free_ char *why = NULL;
	r = vf_engine_parse_nics(b.buf.data, b.buf.len, nics, n, &why);
	if (r < 0)
		return set_error(errmsg, r, "engine %s: %s", url, why);
	return 0;
}

int vf_engine_vm_demand(struct vf_engine *e, const char *vm_id, time_t now, int *demand,
			char **errmsg)
{
	/* The id goes into a URL path: nothing but a UUID's characters gets there. */
	if (!vf_engine_valid_id(vm_id))
		return set_error(errmsg, -EINVAL, "engine: invalid VM id");
	if (cache_get(e, &e->vms, vm_id, now, demand))
		return 0;
	struct vf_engine_nic *nics = NULL;
	size_t n = 0;
	int r = fetch_nics(e, vm_id, &nics, &n, errmsg);
	if (r < 0)
		return r;
	int count = 0;
	r = count_demand(e, nics, n, now, &count, errmsg);
	vf_engine_nics_free(nics, n);
	if (r < 0)
		return r;
	cache_put(e, &e->vms, vm_id, count, now);
	*demand = count;
	return 0;
}

/* ---- host addresses ---- */

/* What the cached host list says about one id. */
struct host_answer {
	int r;         /* 0 found, -ENOENT, or a failed list read's error */
	char *address; /* found */
	char *err;     /* r < 0 */
};

static void host_answer_clear(struct host_answer *a)
{
	free(a->address);
	free(a->err);
}

/* Under the lock: id's answer from the failure of the last list read. */
static void host_failed_locked(const struct vf_engine *e, struct host_answer *a)
{
	a->r = e->hosts_errno;
	a->err = xstrdup(e->hosts_err);
}

/* Under the lock: id's answer from the list. */
static void host_answer_locked(const struct vf_engine *e, const char *id, struct host_answer *a)
{
	const struct centry *c = table_get(&e->hosts, id);
	if (c && c->text)
		a->address = xstrdup(c->text);
	else
		a->r = -ENOENT;
	if (!c)
		a->err = xasprintf("engine: no host %s", id);
	else if (!c->text)
		a->err = xasprintf("engine: host %s has no address", id);
}

/* Under the lock: true (and *a) when the cached list answers id, false when it must be read
 * again: it is stale or lacks id, at most once per second. Within the second of the last read,
 * a stale list still answers, and a failed read's error is repeated: a down engine is not
 * asked once per host. */
static bool host_cached_locked(struct vf_engine *e, const char *id, time_t now,
			       struct host_answer *a)
{
	bool recent = e->hosts_tried && now >= e->tried_at && now - e->tried_at < 1;
	bool is_fresh = e->have_hosts && fresh(e->hosts_at, now, e->ttl);
	if ((is_fresh && table_get(&e->hosts, id)) || (recent && e->have_hosts && !e->hosts_errno)) {
		host_answer_locked(e, id, a);
		return true;
	}
	if (recent && e->hosts_errno) {
		host_failed_locked(e, a);
		return true;
	}
	/* Else a read is due (or, rarely, under way in another thread since this second). */
	e->hosts_tried = true;
	e->tried_at = now;
	return false;
}

/* The whole list, parsed as it arrives: at about 5 KB a host, thousands of hosts are tens of
 * megabytes, of which only ids and addresses are kept. */
static int fetch_hosts(struct vf_engine *e, struct table *t, char **errmsg)
{
	_cleanup_free_ char *url = xasprintf("%s/hosts", e->url);
	_cleanup_(body_clear) struct body b = { .max = HOSTS_MAX, .hosts = vf_engine_hosts_parser_new() };
	if (!b.hosts)
		return set_error(errmsg, -ENOMEM, "engine %s: out of memory", url);
	int r = http_get(e, url, &b, errmsg);
	if (r < 0)
		return r;
	_cleanup_free_ char *why = NULL;
	struct vf_engine_host *hosts = NULL;
	size_t n = 0;
	r = b.streamed ? vf_engine_hosts_parser_feed(b.hosts, "", 0, true, &why) : set_error(&why, -EINVAL, "empty document");
	if (r < 0)
		return set_error(errmsg, r, "engine %s: %s", url, why);
	vf_engine_hosts_parser_take(b.hosts, &hosts, &n);
	for (size_t i = 0; i < n; i++)
		if (!table_get(t, hosts[i].id)) /* a duplicate id: the first counts */
			table_set(t, hosts[i].id, &(struct cvalue){ .text = hosts[i].address }, 0);
	vf_engine_hosts_free(hosts, n);
	return 0;
}

/* Read the list, publish it (or its failure) and answer id from it. */
static void host_refresh(struct vf_engine *e, const char *id, time_t now, struct host_answer *a)
{
	_cleanup_(table_clear) struct table t = { 0 };
	_cleanup_free_ char *err = NULL;
	int r = fetch_hosts(e, &t, &err);
	pthread_mutex_lock(&e->lock);
	free(e->hosts_err);
	e->hosts_err = r < 0 ? TAKE_PTR(err) : NULL;
	e->hosts_errno = r < 0 ? r : 0;
	if (r >= 0) {
		struct table old = e->hosts;
		e->hosts = t;
		t = old; /* freed on return, outside the lock */
		e->have_hosts = true;
		e->hosts_at = now;
	}
	if (r < 0)
		host_failed_locked(e, a);
	else
		host_answer_locked(e, id, a);
	pthread_mutex_unlock(&e->lock);
}

int vf_engine_host_address(struct vf_engine *e, const char *host_id, time_t now, char **address,
			   char **errmsg)
{
	if (!vf_engine_valid_id(host_id))
		return set_error(errmsg, -EINVAL, "engine: invalid host id");
	_cleanup_(host_answer_clear) struct host_answer a = { 0 };
	pthread_mutex_lock(&e->lock);
	bool cached = host_cached_locked(e, host_id, now, &a);
	pthread_mutex_unlock(&e->lock);
	if (!cached)
		host_refresh(e, host_id, now, &a);
	if (a.r < 0)
		return set_error(errmsg, a.r, "%s", a.err);
	*address = TAKE_PTR(a.address);
	return 0;
}

/* ---- NUMA placement ---- */

static int fetch_placement(struct vf_engine *e, const char *vm_id, struct vf_vm_placement *p, char **errmsg)
{
	*p = (struct vf_vm_placement){ 0 };
	_cleanup_free_ char *url = xasprintf("%s/vms/%s/numanodes", e->url, vm_id);
	_cleanup_(body_clear) struct body b = { 0 };
	_cleanup_free_ char *why = NULL;
	int r = http_get(e, url, &b, errmsg);
	if (r < 0)
		return r;
	r = vf_engine_parse_vm_numa(b.buf.data, b.buf.len, &p->nodes, p->tune_mode, sizeof p->tune_mode, &why);
	if (r < 0)
		return set_error(errmsg, r, "engine %s: %s", url, why);
	if (p->nodes) {
		p->source = VF_PIN_VNUMA;
		return 0;
	}
	/* no vNUMA pin: the VM's own vCPU pins, and its tune mode */
	_cleanup_free_ char *vm_url = xasprintf("%s/vms/%s", e->url, vm_id);
	_cleanup_(body_clear) struct body vb = { 0 };
	r = http_get(e, vm_url, &vb, errmsg);
	if (r < 0)
		return r;
	bool any = false;
	r = vf_engine_parse_vm(vb.buf.data, vb.buf.len, &p->cpus, &any, p->tune_mode, sizeof p->tune_mode, &why);
	if (r < 0)
		return set_error(errmsg, r, "engine %s: %s", vm_url, why);
	p->source = any ? VF_PIN_VCPU : VF_PIN_NONE;
	return 0;
}

int vf_engine_vm_placement(struct vf_engine *e, const char *vm_id, time_t now, struct vf_vm_placement *p,
			   char **errmsg)
{
	if (!vf_engine_valid_id(vm_id))
		return set_error(errmsg, -EINVAL, "engine: invalid VM id");
	_cleanup_free_ void *blob = NULL;
	size_t len = 0;
	if (cache_get_blob(e, &e->placements, vm_id, now, &blob, &len) && len == sizeof *p) {
		memcpy(p, blob, sizeof *p);
		return 0;
	}
	int r = fetch_placement(e, vm_id, p, errmsg);
	if (r < 0)
		return r;
	cache_put_blob(e, &e->placements, vm_id, p, sizeof *p, now);
	return 0;
}

static int fetch_topology(struct vf_engine *e, const char *host_id, struct vf_host_numa_node **nodes, size_t *n,
			  char **errmsg)
{
	_cleanup_free_ char *url = xasprintf("%s/hosts/%s/numanodes", e->url, host_id);
	_cleanup_(body_clear) struct body b = { 0 };
	int r = http_get(e, url, &b, errmsg);
	if (r < 0)
		return r;
	_cleanup_free_ char *why = NULL;
	r = vf_engine_parse_host_numa(b.buf.data, b.buf.len, nodes, n, &why);
	if (r < 0)
		return set_error(errmsg, r, "engine %s: %s", url, why);
	return 0;
}

static uint64_t nodes_of_cpus(const struct vf_host_numa_node *nodes, size_t n, const struct vf_cpuset *cpus)
{
	uint64_t set = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t w = 0; w < ARRAY_SIZE(cpus->bits); w++)
			if (nodes[i].cpus.bits[w] & cpus->bits[w]) {
				set |= UINT64_C(1) << nodes[i].index;
				break;
			}
	return set;
}

int vf_engine_vm_nodes_on(struct vf_engine *e, const struct vf_vm_placement *p, const char *host_id,
			  time_t now, uint64_t *nodes, char **errmsg)
{
	if (p->source != VF_PIN_VCPU) {
		*nodes = p->source == VF_PIN_VNUMA ? p->nodes : 0;
		return 0;
	}
	if (!vf_engine_valid_id(host_id))
		return set_error(errmsg, -EINVAL, "engine: invalid host id");
	_cleanup_free_ void *blob = NULL;
	size_t len = 0;
	if (cache_get_blob(e, &e->topologies, host_id, now, &blob, &len)) {
		*nodes = nodes_of_cpus(blob, len / sizeof(struct vf_host_numa_node), &p->cpus);
		return 0;
	}
	_cleanup_free_ struct vf_host_numa_node *topo = NULL;
	size_t n = 0;
	int r = fetch_topology(e, host_id, &topo, &n, errmsg);
	if (r < 0)
		return r;
	/* a host without nodes still gets an entry: a blob of one empty byte is not kept, so an
	 * empty list is stored as zero nodes with a non-NULL blob */
	cache_put_blob(e, &e->topologies, host_id, n ? (void *)topo : (void *)"", n * sizeof *topo, now);
	*nodes = nodes_of_cpus(topo, n, &p->cpus);
	return 0;
}
