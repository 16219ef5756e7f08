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

/* What the filter needs of one report. */
struct vf_cap_pf {
	char *name;
	char *physical_network; /* labels from the host's config, NULL when none */
	char *fabric;
	int free; /* UNKNOWN (-1) when the report could not count it */
	int usable; /* UNKNOWN likewise (the cluster view of /metrics) */
	bool truncated; /* the netlink VF list wrapped (lib/model.h vf_netlink) */
};

/* Immutable once published and shared between the table and lookups: reference-counted. Made
 * only by vf_capacity_from_host/vf_capacity_error (and the readers that call them). */
struct vf_capacity {
	int refs;           /* atomic; owners call vf_capacity_unref */
	char *host_id;      /* in the entry's own allocation: never freed or replaced alone */
	char *error;        /* non-NULL: no usable report; why, one line ("reports/ID.json: JSON: byte 3: ...") */
	time_t generated_at;
	int free;           /* totals.free; UNKNOWN when the report has null */
	int usable;         /* totals.usable; UNKNOWN likewise */
	struct vf_cap_pf *pfs;
	size_t n_pfs;
};

struct vf_source_opts {
	const char *reports_dir;  /* NULL: none */
	int rescan_interval;      /* seconds, >= 1 */
	const char *url_template; /* NULL: none */
	int timeout_ms;
	int cache_max_age;        /* seconds */
	int cache_max;            /* hosts the HTTP cache keeps at most; 0: 65536 */
	int max_parallel;
	/* ms a lookup waits for its fetches, from its start; 0: no deadline (every fetch ends by
	 * its timeout_ms anyway) */
	int call_deadline_ms;
	int backoff_max;          /* seconds a failing host is left alone at most; 0: 300 */
	const char *ca_file;      /* for https templates; NULL: system store */
	/* client certificate and key (PEM) for reporters that check one (vfcap-report's
	 * tls_client_ca): the engine's own, signed by the engine CA; NULL: none */
	const char *cert_file, *key_file;
	/* Resolves {address}; NULL when the template has none. Returns 0 or -errno with *errmsg.
	 * Called from the lookups' threads, several at once, with no lock of this module held;
	 * the address must be a DNS name or an IP address (no port: the template has it). */
	int (*resolve)(void *ctx, const char *host_id, time_t now, char **address, char **errmsg);
	void *resolve_ctx;
	/* Told after a lookup whose deadline passed: `late` of its n hosts had no answer (the
	 * service logs it; this module never prints). NULL: not told. */
	void (*on_late)(size_t late, size_t n, int call_deadline_ms);
};

struct vf_sources;

#define HOST_ID_MAX 64

/* A host id as the filter takes it (the engine's host UUID, or any name the reports use):
 * [0-9A-Za-z_.-], 1..64 characters, not starting with '.'. Never a path: no '/' can pass. */
bool vf_host_id_valid_n(const char *id, size_t len);
static inline bool vf_host_id_valid(const char *id)
{
	return vf_host_id_valid_n(id, __builtin_strlen(id));
}

/* Starts the directory thread (after a first synchronous scan, so a lookup right after new()
 * sees every file). -ENOENT/-ENOTDIR with *errmsg when reports_dir is not a directory (another
 * -errno when it cannot be read); -EINVAL when neither source is set, for a url_template that is
 * not http(s)://, has neither or another placeholder than {host_id} and {address}, or has
 * {address} without resolve, and for out-of-range numbers (rescan_interval >= 1, timeout_ms >= 1,
 * cache_max_age >= 0, max_parallel >= 1, call_deadline_ms >= 0, backoff_max >= 0); -EAGAIN when
 * the fetcher thread cannot start. */
int vf_sources_new(const struct vf_source_opts *o, struct vf_sources **ret, char **errmsg);
void vf_sources_free(struct vf_sources *s); /* stops the thread; NULL is fine */

/* out[i] = a reference to the entry of ids[i], i < n (caller drops each with vf_capacity_unref).
 * No string is copied: a lookup costs one hash probe and one atomic increment per host. A host
 * found in no source gets an entry whose error is "no report for host ID in DIR" (or the URL's
 * failure). */
void vf_sources_lookup(struct vf_sources *s, const char *const *ids, size_t n, time_t now,
		       struct vf_capacity **out);
struct vf_capacity *vf_capacity_ref(struct vf_capacity *c);
void vf_capacity_unref(struct vf_capacity *c); /* NULL is fine */

/* Rescan the directory now, in the caller's thread; returns once the new table is published
 * (tests, SIGHUP: call it from the main loop, not from the signal handler). */
void vf_sources_rescan(struct vf_sources *s);

/* Counters since vf_sources_new, for logs and tests. */
struct vf_source_stats {
	unsigned long scans;          /* directory tables published */
	unsigned long full_scans;     /* of them, those that read the whole directory (the others
				       * looked only at the files inotify named) */
	unsigned long scan_errors;    /* scans that could not open or read the directory (the
				       * previous table stays) */
	unsigned long files_read;     /* report files read (unchanged files are not re-read) */
	unsigned long entries;        /* hosts in the current directory table */
	unsigned long http_requests;  /* requests that got an answer or failed */
	unsigned long http_not_modified; /* 304s: the cached report stays */
	unsigned long http_errors;    /* failed fetches (HTTP status, timeout, parse, resolve) */
	unsigned long http_cached;    /* hosts in the HTTP cache now */
	unsigned long http_uncached;  /* answers not kept: the cache was full of fresh entries */
	unsigned long http_late;      /* hosts answered as missing: the call's deadline passed
				       * before their fetch ended */
	unsigned long http_late_lookups; /* lookups whose deadline passed with a fetch running */
	unsigned long http_backoff;   /* hosts answered without waiting: their last fetch failed
				       * or missed a deadline */
	unsigned long http_fetching;  /* fetches queued or running now */
};
void vf_sources_stats(struct vf_sources *s, struct vf_source_stats *ret);

/* References to every entry the sources hold now (*ret: caller drops each, frees the array),
 * merged as a lookup merges them, in no order; returns how many. Fetches nothing, waits for
 * nothing: hosts being fetched for the first time are not there yet. The cluster view of
 * /metrics. */
size_t vf_sources_all(struct vf_sources *s, struct vf_capacity ***ret);

/* Entries built outside a table (refs = 1): from a parsed report (lib/report.h), and for a host
 * without one. Also used by `vfcap-filter run` and the unit tests. */
struct vf_host;
struct vf_capacity *vf_capacity_from_host(const struct vf_host *h, const char *host_id);
struct vf_capacity *vf_capacity_error(const char *host_id, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Read one report file (the directory's reader; `vfcap-filter run --reports` without a thread):
 * file is opened relative to dir_fd (AT_FDCWD: a path) without following a symlink, must be a
 * regular file of at most 64 MiB, and is named as given in errors, so pass "reports/ID.json"
 * with AT_FDCWD to read "reports/ID.json: JSON: byte 3: unexpected end". */
struct vf_capacity *vf_capacity_read_file(int dir_fd, const char *file, const char *host_id);
