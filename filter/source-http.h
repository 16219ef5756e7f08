/* SPDX-License-Identifier: MIT */
/* The HTTP source (source-http.c, source-http-cache.c): reports fetched from each host's
 * reporter and cached (source.h says how). Used by the facade, source.c. */
#pragma once

#include <stddef.h>
#include <time.h>

#include "host-entry.h"
#include "source-opts.h"

/* HTTP bodies: smaller than report files, since up to max_parallel of them are in memory at once. */
#define VF_REPORT_HTTP_MAX (16u << 20)

struct vf_http;
int vf_http_new(const struct vf_source_opts *o, struct vf_http **ret, char **errmsg);
void vf_http_free(struct vf_http *h);
/* out[i] = a reference to ids[i]'s entry, never NULL (a failed fetch is an error entry);
 * entries missing from the cache or older than cache_max_age are fetched first, waited for
 * until call_deadline_ms after the call began; hosts in backoff are not waited for. */
void vf_http_lookup(struct vf_http *h, const char *const *ids, size_t n, time_t now, struct vf_host_entry **out);
void vf_http_stats(struct vf_http *h, struct vf_source_stats *st);
/* References to every answered entry of the cache (appended to *out, *n). */
void vf_http_all(struct vf_http *h, struct vf_host_entry ***out, size_t *n);
