/* SPDX-License-Identifier: MIT */
/* Where the filter learns each host's capacity: the reports the hosts' vfcap-report wrote
 * (schema/vfcap-report.schema.json), read from a directory (`<host-id>.json`) and/or fetched
 * over HTTP from each host's reporter.
 *
 * Directory: a background thread keeps an in-memory table of every `<host-id>.json` in the
 * directory (host id: [0-9A-Za-z_.-], 1..64 characters, not starting with '.'; so an atomic
 * writer's `.ID.json.tmp` is not one): it rescans every rescan_interval seconds, and ~50 ms after
 * inotify events looks at the files they name, re-reading only files whose (inode, size, mtime,
 * ctime) changed, and publishes a new table; readers never touch the file system, so a
 * runFilters over 10,000 hosts costs hash lookups only.
 * A file that cannot be read or parsed is an entry with an error (its reason), not a crash.
 * The file name without ".json" is the host id (the engine's host UUID).
 *
 * HTTP: url_template with `{host_id}` and/or `{address}` (the host's address from resolve());
 * hosts whose cached entry is older than cache_max_age seconds, or missing, are fetched when
 * asked for by one background thread (libcurl multi, at most max_parallel at once, each with
 * timeout_ms); an ETag from the reporter is sent back as If-None-Match and a 304 keeps the
 * cached report. A lookup waits for its fetches until call_deadline_ms after it began: a host
 * not answered by then gets an error entry (`...: no answer within call_deadline (10 s); still
 * fetching`), and its fetch goes on for the cache. A failed fetch is an entry with its reason
 * (`http://h:18782/v1/report: HTTP 500`, `...: timed out after 2000 ms`), cached for
 * cache_max_age, doubled with each failure in a row up to backoff_max (never below
 * cache_max_age). Backoff: a lookup never waits for a host whose last fetch failed or missed a
 * deadline; it takes the last answer, and a stale one is fetched again in the background. So a
 * cluster of dead reporters costs one call_deadline once, then nothing. One fetch per host at a
 * time: lookups that want a host being fetched wait for that fetch. A host in both sources takes
 * the newer report (generated_at); a report beats an error; two errors are joined ("A; B").
 * Without a url_template, no HTTP at all. Thread-safe. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "host-entry.h"
#include "source-opts.h"

struct vf_sources;

/* Starts the directory thread (after a first synchronous scan, so a lookup right after new()
 * sees every file). -ENOENT/-ENOTDIR with *errmsg when reports_dir is not a directory (another
 * -errno when it cannot be read); -EINVAL when neither source is set, for a url_template that is
 * not http(s)://, has neither or another placeholder than {host_id} and {address}, or has
 * {address} without resolve, and for out-of-range numbers (rescan_interval >= 1, timeout_ms >= 1,
 * cache_max_age >= 0, max_parallel >= 1, call_deadline_ms >= 0, backoff_max >= 0); -EAGAIN when
 * the fetcher thread cannot start. */
int vf_sources_new(const struct vf_source_opts *o, struct vf_sources **ret, char **errmsg);
void vf_sources_free(struct vf_sources *s); /* stops the thread; NULL is fine */

/* out[i] = a reference to the entry of ids[i], i < n (caller drops each with vf_entry_unref).
 * No string is copied: a lookup costs one hash probe and one atomic increment per host. A host
 * found in no source gets an entry whose error is "no report for host ID in DIR" (or the URL's
 * failure). */
void vf_sources_lookup(struct vf_sources *s, const char *const *ids, size_t n, time_t now, struct vf_host_entry **out);

/* Rescan the directory now, in the caller's thread; returns once the new table is published
 * (tests, SIGHUP: call it from the main loop, not from the signal handler). */
void vf_sources_rescan(struct vf_sources *s);

/* Counters since vf_sources_new, for logs and tests. */
void vf_sources_stats(struct vf_sources *s, struct vf_source_stats *ret);

/* References to every entry the sources hold now (*ret: caller drops each, frees the array),
 * merged as a lookup merges them, in no order; returns how many. Fetches nothing, waits for
 * nothing: hosts being fetched for the first time are not there yet. The cluster view of
 * /metrics. */
size_t vf_sources_all(struct vf_sources *s, struct vf_host_entry ***ret);
