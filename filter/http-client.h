/* SPDX-License-Identifier: MIT */
/* The filter's one libcurl policy, for both of its HTTP clients: the engine's REST API
 * (engine.c) and the hosts' reports (source-http.c).
 *
 * Every handle gets the same rules, each option checked (a failed curl_easy_setopt is an error
 * naming the option): http and https only, for the request and for any redirect; redirects
 * followed only when the client asks (both clients follow none: a 3xx is their answer, never a
 * fetch elsewhere); TLS peer and host name verified, never turned off (ca_file replaces the
 * system's CA store); connect and total timeouts; a size cap, enforced on the bytes as they
 * arrive (a body without Content-Length, or a gzip bomb, stops at the cap); no signals (several
 * threads); any encoding this libcurl decodes; one user agent. What differs between the clients
 * (headers, credentials, the connection share, header callbacks) each sets after, with the same
 * checked VF_CURL_SET. */
#pragma once

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "model.h"

#define VF_HTTP_USER_AGENT "vfcap-filter/" VFCAP_VERSION
/* The only protocols a handle speaks, first request and redirects alike. */
#define VF_HTTP_PROTOCOLS "http,https"

struct vf_http_policy {
	const char *ca_file;   /* the CAs to verify against; NULL: the system's store */
	const char *cert_file; /* a client certificate (PEM), or NULL */
	const char *key_file;  /* its key, or NULL: in cert_file */
	int timeout_ms;        /* the whole transfer; at least 1 */
	int connect_timeout_ms; /* the connection (TCP and TLS); 0: timeout_ms */
	size_t body_max;       /* bytes: a larger answer stops the transfer; at least 1 */
	int max_redirects;     /* 0: none followed (a 3xx is the answer); else at most this many */
};

/* An answer's body, kept up to max bytes: the bytes that would pass it are refused, too_big
 * is set and the transfer stops (CURLE_WRITE_ERROR). */
struct vf_http_body {
	char *data; /* NUL-terminated; NULL while nothing came */
	size_t len, cap;
	size_t max;   /* 0 until vf_http_apply sets the policy's body_max */
	bool too_big;
};

/* Append n bytes; false (and too_big) when they would pass max. */
bool vf_http_body_add(struct vf_http_body *b, const char *p, size_t n);
/* A CURLOPT_WRITEFUNCTION over a struct vf_http_body (the WRITEDATA). */
size_t vf_http_body_write(char *p, size_t size, size_t nmemb, void *body);
void vf_http_body_clear(struct vf_http_body *b);

/* The first failed option of a sequence: each VF_CURL_SET after a failure does nothing. */
struct vf_curl_set {
	CURLcode rc;
	const char *opt; /* its name, "CURLOPT_..." */
};

#define VF_CURL_SET(st, h, option, value)                                                           \
	do {                                                                                        \
		if ((st)->rc == CURLE_OK && ((st)->rc = curl_easy_setopt(h, option, value)) != CURLE_OK) \
			(st)->opt = #option;                                                        \
	} while (0)

/* 0, or "WHAT: libcurl: CURLOPT_X: reason" (-ENOMEM for libcurl's out of memory, else -EIO). */
int vf_curl_set_result(const struct vf_curl_set *st, const char *what, char **errmsg);

/* curl_global_init, once per process (both clients call it before their first handle). */
int vf_http_global_init(char **errmsg);

/* -EINVAL and why when p's numbers are out of range. */
int vf_http_policy_check(const struct vf_http_policy *p, char **errmsg);

/* The policy on h (new, or after curl_easy_reset), a GET of url whose body goes to write(data)
 * and whose libcurl errors to errbuf (CURL_ERROR_SIZE, may be NULL). write NULL: into body,
 * a struct vf_http_body whose max, when 0, becomes p->body_max. Messages start with what. */
int vf_http_apply(CURL *h, const struct vf_http_policy *p, const char *url, curl_write_callback write,
		  void *data, char *errbuf, const char *what, char **errmsg);

/* A new handle with vf_http_apply's options; NULL and *errmsg when one fails. */
CURL *vf_http_easy_new(const struct vf_http_policy *p, const char *url, curl_write_callback write,
		       void *data, char *errbuf, const char *what, char **errmsg);

/* A transfer that ended with rc stopped at the size cap (libcurl's Content-Length check, or
 * body's count when given). */
bool vf_http_too_big(CURLcode rc, const struct vf_http_body *body);
