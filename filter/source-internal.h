/* SPDX-License-Identifier: MIT */
/* What source.c, source-dir.c and source-http.c share: the host-id hash table and the two
 * sources' interfaces. Not part of the filter's API (source.h is). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "source.h"

/* Report files larger than this are refused (a host with 16 PFs of 256 VFs writes ~2 MB). */
#define VF_REPORT_FILE_MAX (64u << 20)
/* HTTP bodies: smaller, since up to max_parallel of them are in memory at once. */
#define VF_REPORT_HTTP_MAX (16u << 20)

/* ---- the table: open addressing, linear probing, keyed by cap->host_id ---- */

/* A file's identity when it was read: when any part differs, the file changed. ctim too, since
 * a chmod that makes an unreadable file readable changes only that. */
struct vf_file_key {
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
};

static inline void vf_file_key_of(const struct stat *st, struct vf_file_key *key)
{
	*key = (struct vf_file_key){ st->st_ino, st->st_size, st->st_mtim, st->st_ctim };
}

struct vf_job;

struct vf_slot {
	struct vf_capacity *cap; /* NULL: empty; a reference owned by the table */
	uint32_t hash;
	union {
		struct vf_file_key file; /* directory tables */
		struct {
			char *etag;      /* NULL when the reporter sent none */
			time_t fetched;  /* when it was fetched or revalidated, on the lookups' clock */
			struct vf_job *job; /* the fetch in flight for this host (a reference), or NULL */
			unsigned failures;  /* failed fetches in a row: the backoff */
			bool none;       /* no answer yet: cap is a placeholder, job is set */
		} http;                  /* the HTTP cache (source-http-cache.c) */
	};
};

struct vf_table {
	struct vf_slot *slots;
	size_t mask; /* slots - 1; a power of two less one */
	size_t n;
};

uint32_t vf_table_hash(const char *id);
struct vf_table *vf_table_new(size_t n_hint);
/* The slot holding id, or NULL. */
struct vf_slot *vf_table_find(const struct vf_table *t, const char *id, uint32_t hash);
/* An empty slot for an id known to be absent (the table grows when half full); the caller
 * fills in cap and what else it keeps. */
struct vf_slot *vf_table_insert(struct vf_table *t, uint32_t hash);
/* Drops every entry (clear, when not NULL, frees what else a slot holds) and the table. */
void vf_table_free(struct vf_table *t, void (*clear)(struct vf_slot *s));

/* ---- the directory source (source-dir.c) ---- */

struct vf_dir;
int vf_dir_new(const char *path, int rescan_interval, struct vf_dir **ret, char **errmsg);
void vf_dir_free(struct vf_dir *d);
/* out[i] = a reference to ids[i]'s entry, or NULL when the directory has no such file. */
void vf_dir_lookup(struct vf_dir *d, const char *const *ids, size_t n, struct vf_capacity **out);
void vf_dir_rescan(struct vf_dir *d);
void vf_dir_stats(struct vf_dir *d, struct vf_source_stats *st);
const char *vf_dir_path(const struct vf_dir *d);
/* References to every entry of the published table (appended to *out, *n). */
void vf_dir_all(struct vf_dir *d, struct vf_capacity ***out, size_t *n);

/* Read dir_fd/file; messages name `shown` ("reports/ID.json"). *key (when not NULL) = the
 * identity of what was read, or of what was refused; zeroed when even fstat failed. */
struct vf_capacity *vf_capacity_read_at(int dir_fd, const char *file, const char *shown,
					const char *host_id, struct vf_file_key *key);

/* ---- the HTTP source (source-http.c) ---- */

struct vf_http;
int vf_http_new(const struct vf_source_opts *o, struct vf_http **ret, char **errmsg);
void vf_http_free(struct vf_http *h);
/* out[i] = a reference to ids[i]'s entry, never NULL (a failed fetch is an error entry);
 * entries missing from the cache or older than cache_max_age are fetched first, waited for
 * until call_deadline_ms after the call began; hosts in backoff are not waited for. */
void vf_http_lookup(struct vf_http *h, const char *const *ids, size_t n, time_t now,
		    struct vf_capacity **out);
void vf_http_stats(struct vf_http *h, struct vf_source_stats *st);
/* References to every answered entry of the cache (appended to *out, *n). */
void vf_http_all(struct vf_http *h, struct vf_capacity ***out, size_t *n);
