/* SPDX-License-Identifier: MIT */
/* What configures the report sources and what they count: the types the facade (source.h) and
 * each source (source-dir.h, source-http.h) share. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* The most follow_wait may be: vfcap-report holds a long-poll at most 300 s. */
#define VF_FOLLOW_WAIT_MAX 300

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
	/* seconds each long-poll asks its reporter to hold it (Prefer: wait=N): every host asked
	 * about is followed (source-http-follow.c); 0: no following, fetched per cache_max_age */
	int follow_wait;
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

/* One host the HTTP source holds an answer for (the per-host metrics). */
struct vf_http_host {
	struct vf_host_entry *cap; /* a reference */
	time_t fetched;          /* answered or revalidated last, on the lookups' clock */
	bool following;          /* a long-poll on its reporter is outstanding: it is current */
};

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
	unsigned long http_following; /* hosts whose long-poll is outstanding now */
	unsigned long http_polls;     /* long-polls queued or running now */
	unsigned long http_polls_changed;   /* long-polls answered 200: the report changed */
	unsigned long http_polls_unchanged; /* long-polls answered 304: the wait ran out */
	unsigned long http_polls_failed;    /* long-polls that failed (the host is fetched again) */
	unsigned long http_fallbacks; /* hosts found not to hold a long-poll: polled instead */
};
