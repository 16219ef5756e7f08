/* SPDX-License-Identifier: MIT */
/* The filter's one libcurl policy (http-client.h): handles, their checked options, the body cap. */
#include "http-client.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "util.h"

/* ---- the body ---- */

bool vf_http_body_add(struct vf_http_body *b, const char *p, size_t n)
{
	if (b->len > b->max || n > b->max - b->len) {
		b->too_big = true;
		return false;
	}
	if (b->len + n + 1 > b->cap) {
		b->cap = b->cap ? b->cap : 16384;
		while (b->cap < b->len + n + 1)
			b->cap *= 2;
		b->data = xrealloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

size_t vf_http_body_write(char *p, size_t size, size_t nmemb, void *body)
{
	size_t n = size * nmemb; /* size is 1 */
	return vf_http_body_add(body, p, n) ? n : 0; /* 0: curl stops with CURLE_WRITE_ERROR */
}

void vf_http_body_clear(struct vf_http_body *b)
{
	free(b->data);
	*b = (struct vf_http_body){ .max = b->max };
}

bool vf_http_too_big(CURLcode rc, const struct vf_http_body *body)
{
	return rc == CURLE_FILESIZE_EXCEEDED || (rc == CURLE_WRITE_ERROR && body && body->too_big);
}

/* ---- options ---- */

int vf_curl_set_result(const struct vf_curl_set *st, const char *what, char **errmsg)
{
	if (st->rc == CURLE_OK)
		return 0;
	return set_error(errmsg, st->rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EIO, "%s: libcurl: %s: %s", what,
			 st->opt, curl_easy_strerror(st->rc));
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int vf_http_global_init(char **errmsg)
{
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return set_error(errmsg, -EIO, "libcurl: %s", curl_easy_strerror(global_rc));
	return 0;
}

int vf_http_policy_check(const struct vf_http_policy *p, char **errmsg)
{
	if (p->timeout_ms < 1)
		return set_error(errmsg, -EINVAL, "HTTP timeout %d ms: must be at least 1", p->timeout_ms);
	if (p->connect_timeout_ms < 0)
		return set_error(errmsg, -EINVAL, "HTTP connect timeout %d ms: must not be negative",
				 p->connect_timeout_ms);
	if (p->body_max < 1)
		return set_error(errmsg, -EINVAL, "HTTP body cap: must be at least 1 byte");
	if (p->max_redirects < 0)
		return set_error(errmsg, -EINVAL, "HTTP redirects %d: must not be negative", p->max_redirects);
	return 0;
}

/* Protocols, redirects and TLS: what a handle may reach and whom it trusts. */
static void set_reach(struct vf_curl_set *st, CURL *h, const struct vf_http_policy *p)
{
	VF_CURL_SET(st, h, CURLOPT_PROTOCOLS_STR, VF_HTTP_PROTOCOLS);
	VF_CURL_SET(st, h, CURLOPT_REDIR_PROTOCOLS_STR, VF_HTTP_PROTOCOLS);
	VF_CURL_SET(st, h, CURLOPT_FOLLOWLOCATION, p->max_redirects > 0 ? 1L : 0L);
	VF_CURL_SET(st, h, CURLOPT_MAXREDIRS, (long)p->max_redirects);
	VF_CURL_SET(st, h, CURLOPT_UNRESTRICTED_AUTH, 0L); /* credentials never go to another host */
	VF_CURL_SET(st, h, CURLOPT_SSL_VERIFYPEER, 1L);
	VF_CURL_SET(st, h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (p->ca_file)
		VF_CURL_SET(st, h, CURLOPT_CAINFO, p->ca_file);
	if (p->cert_file)
		VF_CURL_SET(st, h, CURLOPT_SSLCERT, p->cert_file);
	if (p->key_file)
		VF_CURL_SET(st, h, CURLOPT_SSLKEY, p->key_file);
}

int vf_http_apply(CURL *h, const struct vf_http_policy *p, const char *url, curl_write_callback write,
		  void *data, char *errbuf, const char *what, char **errmsg)
{
	struct vf_curl_set st = { CURLE_OK, NULL };
	if (!write) {
		struct vf_http_body *b = data;
		if (!b->max)
			b->max = p->body_max;
		write = vf_http_body_write;
	}
	VF_CURL_SET(&st, h, CURLOPT_URL, url);
	VF_CURL_SET(&st, h, CURLOPT_HTTPGET, 1L);
	set_reach(&st, h, p);
	VF_CURL_SET(&st, h, CURLOPT_TIMEOUT_MS, (long)p->timeout_ms);
	VF_CURL_SET(&st, h, CURLOPT_CONNECTTIMEOUT_MS,
		    (long)(p->connect_timeout_ms ? p->connect_timeout_ms : p->timeout_ms));
	VF_CURL_SET(&st, h, CURLOPT_NOSIGNAL, 1L); /* several threads: no SIGALRM for DNS timeouts */
	VF_CURL_SET(&st, h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)p->body_max); /* by Content-Length */
	VF_CURL_SET(&st, h, CURLOPT_ACCEPT_ENCODING, ""); /* whatever this libcurl decodes (gzip) */
	VF_CURL_SET(&st, h, CURLOPT_USERAGENT, VF_HTTP_USER_AGENT);
	VF_CURL_SET(&st, h, CURLOPT_WRITEFUNCTION, write);
	VF_CURL_SET(&st, h, CURLOPT_WRITEDATA, data);
	if (errbuf) {
		errbuf[0] = '\0';
		VF_CURL_SET(&st, h, CURLOPT_ERRORBUFFER, errbuf);
	}
	return vf_curl_set_result(&st, what, errmsg);
}

CURL *vf_http_easy_new(const struct vf_http_policy *p, const char *url, curl_write_callback write,
		       void *data, char *errbuf, const char *what, char **errmsg)
{
	CURL *h = curl_easy_init();
	if (!h) {
		set_error(errmsg, -ENOMEM, "%s: libcurl: out of memory", what);
		return NULL;
	}
	if (vf_http_apply(h, p, url, write, data, errbuf, what, errmsg) < 0) {
		curl_easy_cleanup(h);
		return NULL;
	}
	return h;
}
