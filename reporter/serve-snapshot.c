/* SPDX-License-Identifier: MIT */
/* serve's snapshots (serve-snapshot.h). */
#include "serve-snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "format.h"
#include "report.h"
#include "util.h"

struct snapshot *snapshot_ref(struct snapshot *s)
{
	if (s)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return s;
}

void snapshot_unref(struct snapshot *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	free(s->json);
	free(s->prom);
	free(s->problem);
	free(s);
}

/* A strong ETag: the first 128 bits of the body's SHA-256, so equal bodies share a tag across
 * gathers and restarts (a client's If-None-Match stays good while nothing changed). Should
 * hashing fail, no tag at all: a wrong one would answer 304 for a changed report. */
static void set_etag(struct snapshot *s)
{
	unsigned char d[32];
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, s->json, s->json_len, d) < 0)
		return;
	char *o = s->etag;
	*o++ = '"';
	for (size_t i = 0; i < 16; i++)
		o += sprintf(o, "%02x", d[i]);
	strcpy(o, "\"");
}

static char *problems_of(const struct vf_host *h)
{
	char *text = NULL;
	for (size_t i = 0; i < h->n_errors; i++) {
		char *t = xasprintf("%s%s: %s\n", text ? text : "", vf_source_to_string(h->errors[i].source) ?: "?",
				    h->errors[i].message ?: "");
		free(text);
		text = t;
	}
	return text;
}

struct snapshot *snapshot_of(const struct vf_host *h)
{
	struct snapshot *s = xcalloc(1, sizeof *s);
	s->refs = 1;
	s->json = vf_report_format_json(h, true);
	s->json_len = strlen(s->json);
	s->prom = vf_format_prometheus(h);
	if (!s->prom) {
		fputs("vfcap: out of memory\n", stderr);
		abort();
	}
	s->generated_at = h->generated_at;
	s->problem = problems_of(h);
	set_etag(s);
	return s;
}

/* Nothing could be read: the previous report, if any, stays served (its age tells how old it
 * is), and the problem says why it is not new. */
struct snapshot *snapshot_failed(const struct snapshot *prev, char *problem)
{
	struct snapshot *s = xcalloc(1, sizeof *s);
	s->refs = 1;
	s->problem = problem;
	if (prev && prev->json) {
		s->json = xstrdup(prev->json);
		s->json_len = prev->json_len;
		s->prom = xstrdup(prev->prom);
		s->generated_at = prev->generated_at;
		memcpy(s->etag, prev->etag, sizeof s->etag);
	}
	return s;
}

bool snapshot_same(const struct snapshot *prev, struct vf_host *h)
{
	if (!prev || !prev->json)
		return false;
	_cleanup_free_ char *problem = problems_of(h);
	if (!streq_ptr(problem, prev->problem))
		return false;
	time_t t = h->generated_at;
	h->generated_at = prev->generated_at;
	_cleanup_free_ char *json = vf_report_format_json(h, true);
	h->generated_at = t;
	return streq(json, prev->json);
}
