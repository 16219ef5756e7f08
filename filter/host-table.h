/* SPDX-License-Identifier: MIT */
/* The host-id hash table the report sources keep their entries in: open addressing, linear
 * probing, keyed by the entry's host id. A slot carries what its source keeps beside the entry
 * (the directory: the file's identity; the HTTP cache: ETag, fetch time, job, backoff). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "host-entry.h"

struct vf_job;

struct vf_slot {
	struct vf_host_entry *cap; /* NULL: empty; a reference owned by the table */
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
