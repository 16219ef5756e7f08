/* SPDX-License-Identifier: MIT */
/* What serve.c (HTTP, start and stop) and serve-gather.c (when the host is read) share. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <microhttpd.h>

#include "holders.h"
#include "serve-snapshot.h"
#include "serve-tls.h"
#include "serve.h"
#include "watch.h"

/* Why a gather ran: the label of vfcap_serve_gathers_total. */
enum reason { R_NONE = -1, R_START, R_EVENT, R_INTERVAL, R_SIGHUP, R_REQUEST, R_N };

/* A watched source says something changed: the host is read DEBOUNCE_MS after the last
 * notification of a burst, and at most BURST_MS after its first (a steady stream still gets
 * read). 200 ms covers what one change sends (a VF taken: the domain's lifecycle event, then
 * its netdev's RTM_NEWLINKs and uevents). */
#define DEBOUNCE_MS 200
#define BURST_MS 1000
/* Prefer: wait=N is held at most this many seconds (Preference-Applied says how long) */
#define MAX_WAIT 300

struct poller;

struct server {
	const struct vf_serve_opts *o;
	int interval;
	bool watching;        /* a watcher runs: the host is read on change and at least every interval */
	pthread_mutex_t lock; /* guards what follows */
	pthread_cond_t cond;  /* (CLOCK_MONOTONIC) wakes the gatherer; tells stop_gatherer() the
			       * waiter was answered */
	struct snapshot *cur;
	struct timespec gathered;  /* when the last gather began (CLOCK_MONOTONIC) */
	struct timespec published; /* when the gather that made cur began */
	bool asked;                /* not watching: a request waits for a gather */
	bool hup;                  /* SIGHUP: the next gather is forced (watching: now) */
	bool in_flight;
	bool dirty;                /* a notification came after the last gather began */
	struct timespec first_event, last_event; /* of the notifications since */
	bool quit;
	struct MHD_Connection *waiter; /* suspended until the gather it asked for ends */
	int waiting;              /* waiters suspended, or resumed with their answer not yet sent
				   * (more than one when a gather outlasts the interval) */
	struct poller *pollers; /* long-polls held until the ETag changes (serve-wait.c) */
	int held;               /* how many */
	uint64_t polls[2];      /* long-polls answered: [0] unchanged (304), [1] changed */
	uint64_t gathers, scrapes, published_n;
	uint64_t by_reason[R_N];
	uint64_t events[VF_WATCH_N];
	char *logged; /* the problem last logged; only the gatherer touches it */
	struct vf_holder_hints hints; /* who held which VF at the last gather; the gatherer's too */
	pthread_t gatherer;
	struct vf_watch_kernel kernel; /* read by the main thread's loop */
	struct vf_watch_libvirt *libvirt;
	struct serve_tls tls;
	struct vf_http_guard *guard;
	struct MHD_Daemon *mhd;
};

/* serve-wait.c: long-polls. polls_* with s->lock held. */
bool etag_matches(const char *if_none_match, const char *etag);
/* The seconds a request asks to wait (Prefer: wait=N), at most MAX_WAIT; 0: none (or not a
 * number of seconds: "wait=0", "wait=-1", "wait=5s", "wait=99999999999"). */
int prefer_wait(struct MHD_Connection *c);
int prefer_wait_parse(const char *prefer); /* the header's value, or NULL */
/* Hold c (suspended) when its If-None-Match names the served ETag; NULL: answer it now. */
struct poller *poll_start(struct server *s, struct MHD_Connection *c, int wait);
int poll_wait_of(const struct poller *p);
/* A new ETag: resume every held request. */
void polls_wake(struct server *s);
/* Resume those whose time is up; lower *until (tv_sec 0: none yet) to the next deadline. */
void polls_expire(struct server *s, struct timespec *until);
/* From completed(): the held request is over; frees p. */
void poll_done(struct server *s, struct poller *p);

/* serve-gather.c */
const char *reason_name(enum reason r);
void gather_now(struct server *s, enum reason why);
void *gatherer(void *arg);
/* Not watching: is the report older than the interval, with no gather under way? Then this
 * request asks for one and waits for it, suspended (true). */
bool wait_for_gather(struct server *s, struct MHD_Connection *c);
void waiter_done(struct server *s);
struct snapshot *current(struct server *s);
void stop_gatherer(struct server *s);
/* Start the watchers the sources allow (serve_watch, a live netlink, a libvirt that is not
 * test:///); sets s->watching. */
void watch_start(struct server *s);
void watch_stop(struct server *s);
/* The notifications the kernel's sockets hold (poll said they are readable). */
void watch_kernel_ready(struct server *s, bool rtnl, bool uevent);
void sighup(struct server *s);
/* The watchers named for the log line ("netlink, uevent, libvirt"); "" when none. */
char *watch_names(const struct server *s);
/* The service's own Prometheus families for /metrics. */
char *serve_metrics(struct server *s, const struct snapshot *snap, uint64_t scrapes, uint64_t cut);
