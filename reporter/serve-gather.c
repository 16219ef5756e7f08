/* SPDX-License-Identifier: MIT */
/* When serve reads the host (serve-int.h). One gather at a time, in the gatherer thread.
 * Watching (the default on a live host): after a burst of notifications settles (DEBOUNCE_MS,
 * at most BURST_MS), on SIGHUP, and when the served report is `interval` old (the safety net
 * for a notification that never came). A gather a notification caused replaces the served
 * report only when the content differs (generated_at aside): the ETag stays while nothing
 * changed. A timed or forced gather always replaces it, so that its age stays under the
 * interval. Not watching (fixture sources, serve_watch = no): on demand, as before: the request
 * that finds the report older than the interval starts a gather and waits for it. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "gather.h"
#include "log.h"
#include "serve-int.h"
#include "util.h"

const char *reason_name(enum reason r)
{
	static const char *const names[R_N] = { "start", "event", "interval", "sighup", "request" };
	return r >= 0 && r < R_N ? names[r] : "?";
}

/* NULL when only_if_changed and the host serves what prev does. */
static struct snapshot *gather(struct server *s, const struct snapshot *prev, bool only_if_changed)
{
	struct vf_gather_opts g = s->o->gather;
	g.now = vf_now();
	g.holder_hints = &s->hints; /* /proc is read whole once, then only where the holders were */
	_cleanup_host_ struct vf_host *h = vf_host_new();
	int r = vf_gather(h, s->o->cfg, &g, NULL);
	if (r >= 0)
		return only_if_changed && snapshot_same(prev, h) ? NULL : snapshot_of(h);
	char *problem = xasprintf("sysfs: cannot read %s/class/net: %s\n", vf_gather_sysfs_root(s->o->cfg, &g),
				  strerror(-r));
	if (only_if_changed && prev && streq_ptr(problem, prev->problem)) {
		free(problem);
		return NULL;
	}
	return snapshot_failed(prev, problem);
}

/* Scrapes come every few seconds: a failing source is logged when it starts failing (or fails
 * differently) and when it recovers, not at every gather. */
static void log_transition(struct server *s, const char *problem)
{
	if (streq_ptr(problem, s->logged))
		return;
	if (!problem)
		log_info("gather: every source reads again");
	for (const char *l = problem; l && *l;) {
		const char *nl = strchr(l, '\n');
		int n = nl ? (int)(nl - l) : (int)strlen(l);
		log_warning("gather failed: %.*s", n, l);
		l += n + (nl != NULL);
	}
	free(s->logged);
	s->logged = xstrdup(problem);
}

static int64_t ms_between(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

static struct timespec ts_plus_ms(const struct timespec *t, int64_t ms)
{
	struct timespec r = { t->tv_sec + ms / 1000, t->tv_nsec + (ms % 1000) * 1000000 };
	if (r.tv_nsec >= 1000000000) {
		r.tv_sec++;
		r.tv_nsec -= 1000000000;
	}
	return r;
}

/* Read the host and make the result current (for an event: only if it differs). */
void gather_now(struct server *s, enum reason why)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	pthread_mutex_lock(&s->lock);
	struct snapshot *prev = snapshot_ref(s->cur);
	pthread_mutex_unlock(&s->lock);
	struct snapshot *fresh = gather(s, prev, why == R_EVENT);
	snapshot_unref(prev);
	if (fresh)
		log_transition(s, fresh->problem);

	pthread_mutex_lock(&s->lock);
	struct snapshot *old = NULL;
	if (fresh) {
		old = s->cur;
		s->cur = fresh;
		s->published = start;
		s->published_n++;
		if (!old || !streq(old->etag, fresh->etag))
			polls_wake(s); /* held requests get the new report */
	}
	s->gathered = start;
	s->gathers++;
	s->by_reason[why]++;
	pthread_mutex_unlock(&s->lock);
	snapshot_unref(old);
}

/* What is due now (R_NONE: nothing), and otherwise until when to sleep (tv_sec 0: until woken). */
static enum reason due(struct server *s, struct timespec *until)
{
	*until = (struct timespec){ 0 };
	if (s->asked) /* a request waits for it (not watching), also on quit */
		return s->hup ? R_SIGHUP : R_REQUEST;
	if (s->quit || !s->watching)
		return R_NONE;
	if (s->hup)
		return R_SIGHUP;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	*until = ts_plus_ms(&s->published, (int64_t)s->interval * 1000);
	if (ms_between(until, &now) >= 0)
		return R_INTERVAL;
	if (s->dirty) {
		struct timespec settled = ts_plus_ms(&s->last_event, DEBOUNCE_MS);
		struct timespec cap = ts_plus_ms(&s->first_event, BURST_MS);
		struct timespec t = ms_between(&settled, &cap) < 0 ? cap : settled;
		if (ms_between(&t, &now) >= 0)
			return R_EVENT;
		if (ms_between(&t, until) > 0)
			*until = t;
	}
	return R_NONE;
}

/* Gathers when due, then resumes the request that asked, if any: under the lock, as it was
 * suspended, so the two can never cross. Ends on quit once no gather is asked for. */
void *gatherer(void *arg)
{
	struct server *s = arg;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct timespec until;
		enum reason why = due(s, &until);
		if (why == R_NONE && s->quit)
			break;
		if (why == R_NONE) {
			polls_expire(s, &until);
			if (until.tv_sec)
				pthread_cond_timedwait(&s->cond, &s->lock, &until);
			else
				pthread_cond_wait(&s->cond, &s->lock);
			continue;
		}
		/* what was noticed until now, this gather sees */
		s->dirty = false;
		s->hup = false;
		s->in_flight = true;
		pthread_mutex_unlock(&s->lock);
		gather_now(s, why);
		pthread_mutex_lock(&s->lock);
		s->in_flight = false;
		s->asked = false;
		if (s->waiter)
			MHD_resume_connection(s->waiter);
		s->waiter = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

bool wait_for_gather(struct server *s, struct MHD_Connection *c)
{
	pthread_mutex_lock(&s->lock);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	bool mine = !s->watching && !s->asked && !s->quit &&
		    (s->hup || ms_between(&s->gathered, &now) >= (int64_t)s->interval * 1000);
	if (mine) {
		s->asked = true;
		s->waiting++;
		s->waiter = c;
		MHD_suspend_connection(c);
		pthread_cond_broadcast(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
	return mine;
}

/* The waiter's request has ended: its answer sent, or its connection closed. A stop must wait for
 * that, not only for the resume: MHD_stop_daemon drops an answer still being sent. */
void waiter_done(struct server *s)
{
	pthread_mutex_lock(&s->lock);
	s->waiting--;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

struct snapshot *current(struct server *s)
{
	pthread_mutex_lock(&s->lock);
	struct snapshot *snap = snapshot_ref(s->cur);
	pthread_mutex_unlock(&s->lock);
	return snap;
}

/* No request waits for a gather from here on: one under way ends, its waiter is resumed, and
 * this returns once the waiter's answer is sent (or its connection closed). */
void stop_gatherer(struct server *s)
{
	pthread_mutex_lock(&s->lock);
	s->quit = true;
	polls_wake(s); /* held requests are answered (304) while MHD still runs */
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->gatherer, NULL);
	pthread_mutex_lock(&s->lock);
	while (s->waiting > 0)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

void sighup(struct server *s)
{
	pthread_mutex_lock(&s->lock);
	s->hup = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (s->watching)
		log_info("SIGHUP: reading the host again");
	else
		log_info("SIGHUP: the next request reads the host again");
}

/* ---- watching ---- */

static void on_change(void *cls, enum vf_watch_source src, unsigned n)
{
	struct server *s = cls;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&s->lock);
	s->events[src] += n;
	if (!s->dirty)
		s->first_event = now;
	s->dirty = true;
	s->last_event = now;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

void watch_kernel_ready(struct server *s, bool rtnl, bool uevent)
{
	unsigned n = rtnl ? vf_watch_rtnl_drain(&s->kernel) : 0;
	if (n)
		on_change(s, VF_WATCH_NETLINK, n);
	n = uevent ? vf_watch_uevent_drain(&s->kernel) : 0;
	if (n)
		on_change(s, VF_WATCH_UEVENT, n);
}

void watch_start(struct server *s)
{
	const struct vf_config *cfg = s->o->cfg;
	const struct vf_gather_opts *g = &s->o->gather;
	s->kernel = (struct vf_watch_kernel){ .uevent_fd = -1 };
	if (!cfg->serve_watch)
		return;
	/* a recorded netlink file is a test host: nothing the kernel says is about it */
	bool kernel = !(g->netlink_file ? g->netlink_file : cfg->netlink_file);
	const char *uri = g->libvirt_uri ? g->libvirt_uri : cfg->libvirt_uri;
	if (kernel)
		vf_watch_kernel_open(&s->kernel);
	/* test:/// is a fixture in this process: nothing outside changes it */
	if (!startswith(uri ? uri : VF_LIBVIRT_DEFAULT_URI, "test:"))
		s->libvirt = vf_watch_libvirt_start(uri, on_change, s);
	s->watching = s->kernel.rtnl || s->kernel.uevent_fd >= 0 || s->libvirt;
}

void watch_stop(struct server *s)
{
	vf_watch_libvirt_stop(s->libvirt);
	s->libvirt = NULL;
	vf_watch_kernel_close(&s->kernel);
}

char *watch_names(const struct server *s)
{
	return xasprintf("%s%s%s%s%s", s->kernel.rtnl ? "netlink" : "",
			 s->kernel.rtnl && s->kernel.uevent_fd >= 0 ? ", " : "", s->kernel.uevent_fd >= 0 ? "uevent" : "",
			 (s->kernel.rtnl || s->kernel.uevent_fd >= 0) && s->libvirt ? ", " : "", s->libvirt ? "libvirt" : "");
}

/* ---- metrics ---- */

static void watch_metrics(struct server *s, FILE *f)
{
	bool on[VF_WATCH_N] = { s->kernel.rtnl != NULL, s->kernel.uevent_fd >= 0, vf_watch_libvirt_up(s->libvirt) };
	fputs("# HELP vfcap_serve_watching Whether the source is watched for changes now (libvirt: connected).\n"
	      "# TYPE vfcap_serve_watching gauge\n", f);
	for (int i = 0; i < VF_WATCH_N; i++)
		fprintf(f, "vfcap_serve_watching{source=\"%s\"} %d\n", vf_watch_source_name(i), on[i]);
	fputs("# HELP vfcap_serve_events_total Change notifications received, by source (a lost burst or a "
	      "libvirt reconnection counts one).\n# TYPE vfcap_serve_events_total counter\n", f);
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < VF_WATCH_N; i++)
		fprintf(f, "vfcap_serve_events_total{source=\"%s\"} %" PRIu64 "\n", vf_watch_source_name(i),
			s->events[i]);
	fputs("# HELP vfcap_serve_gathers_total Reads of the host, by what caused them.\n"
	      "# TYPE vfcap_serve_gathers_total counter\n", f);
	for (int i = 0; i < R_N; i++)
		fprintf(f, "vfcap_serve_gathers_total{reason=\"%s\"} %" PRIu64 "\n", reason_name(i), s->by_reason[i]);
	fprintf(f, "# HELP vfcap_serve_publishes_total Gathers that replaced the served report (a change "
		   "caused one whose content differed, or a timed or forced read).\n"
		   "# TYPE vfcap_serve_publishes_total counter\nvfcap_serve_publishes_total %" PRIu64 "\n",
		s->published_n);
	fprintf(f, "# HELP vfcap_serve_long_polls_held Requests held (Prefer: wait) until the report changes.\n"
		   "# TYPE vfcap_serve_long_polls_held gauge\nvfcap_serve_long_polls_held %d\n"
		   "# HELP vfcap_serve_long_polls_total Held requests answered, by outcome (changed: 200 with a new "
		   "report; unchanged: 304 when the wait ran out).\n# TYPE vfcap_serve_long_polls_total counter\n"
		   "vfcap_serve_long_polls_total{outcome=\"changed\"} %" PRIu64 "\n"
		   "vfcap_serve_long_polls_total{outcome=\"unchanged\"} %" PRIu64 "\n",
		s->held, s->polls[1], s->polls[0]);
	pthread_mutex_unlock(&s->lock);
}

char *serve_metrics(struct server *s, const struct snapshot *snap, uint64_t scrapes, uint64_t cut)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		fputs("vfcap: out of memory\n", stderr);
		abort();
	}
	pthread_mutex_lock(&s->lock);
	uint64_t gathers = s->gathers;
	pthread_mutex_unlock(&s->lock);
	fprintf(f,
		"%s# HELP vfcap_report_age_seconds Seconds since the served report was generated.\n"
		"# TYPE vfcap_report_age_seconds gauge\nvfcap_report_age_seconds %lld\n"
		"# HELP vfcap_gathers_total Reads of the host state since the service started.\n"
		"# TYPE vfcap_gathers_total counter\nvfcap_gathers_total %" PRIu64 "\n"
		"# HELP vfcap_scrapes_total Requests for /metrics since the service started.\n"
		"# TYPE vfcap_scrapes_total counter\nvfcap_scrapes_total %" PRIu64 "\n"
		"# HELP vfcap_slow_clients_closed_total Connections closed because their request was incomplete "
		"serve_request_timeout seconds after its first byte.\n"
		"# TYPE vfcap_slow_clients_closed_total counter\nvfcap_slow_clients_closed_total %" PRIu64 "\n",
		snap->prom, (long long)(vf_now() - snap->generated_at), gathers, scrapes, cut);
	watch_metrics(s, f);
	if (fclose(f) != 0) {
		fputs("vfcap: out of memory\n", stderr);
		abort();
	}
	return text;
}
