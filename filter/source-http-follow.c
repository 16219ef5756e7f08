/* SPDX-License-Identifier: MIT */
/* Following (source-http-internal.h): with follow_wait set, each host asked about keeps one
 * long-poll outstanding on its reporter, so that its entry is current without a fetch on the
 * call path. After an answer, the fetcher thread sends `GET` with `If-None-Match: <the ETag
 * held>` and `Prefer: wait=N` (RFC 7240); vfcap-report serve holds it until its report changes
 * (200, which replaces the entry) or N seconds pass (304), each answer saying
 * `Preference-Applied: wait=N`, and the next long-poll is sent at once. A long-poll is a
 * transfer in the fetcher's one curl multi handle, not a thread, and is not counted against
 * max_parallel (it mostly waits); its timeout is N s plus timeout_ms.
 *
 * Which hosts: those a lookup asked about in the last VF_FOLLOW_IDLE seconds and the cache
 * kept (so at most cache_max), and at most half the file descriptor limit (a long-poll holds a
 * connection; the other half is the service's and the fetches'); a host nobody asks about any
 * more is let go after its next answer, and then fetched per cache_max_age again when asked,
 * as are the hosts past the descriptor bound.
 *
 * Fallback to today's fetching (per cache_max_age, failures in backoff): an answer without
 * Preference-Applied (a reporter without long-poll, or something in front of it), one without
 * an ETag, or VF_QUICK_MAX long-polls in a row answered unchanged within a second (a server
 * that does not hold them) stop following the host for backoff_max seconds; then the next fetch tries again.
 * A long-poll that fails (the reporter went away, or restarted) keeps the entry and fetches the
 * host again at once, an ordinary fetch: an error then is cached and backed off as any. */
#include <sys/resource.h>
#include <time.h>

#include "source-http-internal.h"
#include "util.h"

#define VF_QUICK_MAX 20

bool vf_http_follow_keeps(const struct vf_job *j)
{
	return !j->follow || !j->result->error;
}

/* The next transfer for s's host after prev: a long-poll (follow) or a fetch now. */
static void arm(struct vf_http *h, struct vf_slot *s, const struct vf_job *prev, time_t at, bool follow)
{
	struct vf_job *n = vf_job_new(prev->id, at);
	n->url = xstrdup(prev->url);
	n->follow = follow;
	if (!s->http.none && !s->cap->error && s->http.etag) {
		n->etag_sent = xstrdup(s->http.etag);
		n->cached = vf_entry_ref(s->cap);
	}
	vf_job_unref(s->http.job);
	s->http.job = n;
	n->refs++;
	s->http.following = follow;
	vf_http_enqueue(h, n, !follow); /* the queue's reference */
}

static long took_ms(const struct vf_job *j)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - j->asked.tv_sec) * 1000 + (t.tv_nsec - j->asked.tv_nsec) / 1000000;
}

/* A long-poll answered: whether its reporter holds them. Counts the answer. Only answers that
 * say nothing changed count as quick: a host that really changes every second stays followed. */
static bool reporter_holds(struct vf_http *h, struct vf_slot *s, const struct vf_job *j, time_t at)
{
	bool same = j->result == j->cached ||
		    (j->etag_sent && s->http.etag && streq(j->etag_sent, s->http.etag));
	s->http.quick = same && took_ms(j) < 1000 ? s->http.quick + 1 : 0;
	if (!j->applied || s->http.quick >= VF_QUICK_MAX) {
		h->fallbacks++;
		s->http.quick = 0;
		s->http.no_follow_until = at + h->backoff_max;
		return false;
	}
	if (j->result == j->cached)
		h->polls_unchanged++;
	else
		h->polls_changed++;
	return true;
}

/* Half the soft file descriptor limit, read once (the service raises it to the hard one when it
 * starts, before the first long-poll). */
static size_t polls_max(void)
{
	static size_t max;
	size_t m = __atomic_load_n(&max, __ATOMIC_RELAXED);
	if (!m) {
		struct rlimit rl;
		m = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? rl.rlim_cur / 2 : 65536;
		__atomic_store_n(&max, m ? m : 1, __ATOMIC_RELAXED);
	}
	return m;
}

void vf_http_follow_next(struct vf_http *h, struct vf_slot *s, struct vf_job *j, time_t at)
{
	s->http.following = false;
	if (j->follow && j->result->error) { /* not stored: the last answer stays */
		h->polls_failed++;
		vf_job_unref(s->http.job);
		s->http.job = NULL;
		if (!h->stop && j->url)
			arm(h, s, j, at, false);
		return;
	}
	if (!h->follow_wait || h->stop || !j->url || j->result->error || !s->http.etag)
		return;
	if (j->follow ? !reporter_holds(h, s, j, at) : at < s->http.no_follow_until)
		return;
	if (at - s->http.asked > VF_FOLLOW_IDLE || h->polls >= polls_max())
		return;
	arm(h, s, j, at, true);
}
