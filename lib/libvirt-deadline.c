/* SPDX-License-Identifier: MIT */
/* vf_libvirt_read with a deadline (libvirt.h). libvirt's client has no call timeout, and its
 * keepalive needs an event loop and applies only once a connection is open: a daemon that is
 * hung or stopped (SIGSTOP, a deadlock) accepts the connection in the kernel and never answers,
 * and the caller would wait for ever. So the read runs in a thread of its own and the caller
 * waits for it until the deadline. A read that misses it is left to finish (or never finish)
 * on its own (detached): a blocked libvirt call cannot be cancelled safely. It frees what it
 * read when it returns, and until then every new read fails at once instead of piling up
 * threads. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "libvirt.h"
#include "util.h"

struct job {
	int refs; /* the caller and the thread, under job_lock */
	bool done;
	char *uri;
	struct vf_usage found;
	int r;
	char *err;
};

static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_done; /* on CLOCK_MONOTONIC: a clock step must not move the deadline */
static pthread_once_t job_once = PTHREAD_ONCE_INIT;
/* a read that missed its deadline and has not returned yet; when it started (CLOCK_MONOTONIC) */
static struct job *stuck;
static struct timespec stuck_since;

static void job_put(struct job *j) /* job_lock held */
{
	if (--j->refs > 0)
		return;
	vf_usage_clear(&j->found);
	free(j->uri);
	free(j->err);
	free(j);
}

static void *job_run(void *arg)
{
	struct job *j = arg;
	char *err = NULL;
	int r = vf_libvirt_read(j->uri, &j->found, &err);
	pthread_mutex_lock(&job_lock);
	j->r = r;
	j->err = err;
	j->done = true;
	if (stuck == j)
		stuck = NULL; /* the daemon answered at last: reads may start again */
	pthread_cond_broadcast(&job_done);
	job_put(j);
	pthread_mutex_unlock(&job_lock);
	return NULL;
}

static void job_init(void)
{
	cond_init_monotonic(&job_done);
}

int vf_libvirt_read_within(const char *uri, int timeout, struct vf_usage *u, char **errmsg)
{
	if (!uri)
		uri = VF_LIBVIRT_DEFAULT_URI;
	pthread_once(&job_once, job_init);
	pthread_mutex_lock(&job_lock);
	if (stuck) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ago = (long)(now.tv_sec - stuck_since.tv_sec);
		pthread_mutex_unlock(&job_lock);
		return set_error(errmsg, -ETIMEDOUT, "libvirt %s: a read started %ld s ago has not returned: the daemon does not answer",
				 uri, ago);
	}
	pthread_mutex_unlock(&job_lock);

	struct job *j = xcalloc(1, sizeof *j);
	j->refs = 2;
	j->uri = xstrdup(uri);
	struct timespec started, until = monotonic_after_ms((int64_t)timeout * 1000);
	clock_gettime(CLOCK_MONOTONIC, &started);
	pthread_t t;
	int r = -pthread_create(&t, NULL, job_run, j);
	if (r < 0) {
		free(j->uri);
		free(j);
		return set_error(errmsg, r, "libvirt %s: cannot start a thread: %s", uri, strerror(-r));
	}
	pthread_mutex_lock(&job_lock);
	while (!j->done && pthread_cond_timedwait(&job_done, &job_lock, &until) != ETIMEDOUT)
		;
	if (!j->done) {
		stuck = j;
		stuck_since = started;
		job_put(j);
		pthread_mutex_unlock(&job_lock);
		pthread_detach(t);
		return set_error(errmsg, -ETIMEDOUT, "libvirt %s: no answer within %d s (libvirt_timeout): the daemon is hung or stopped",
				 uri, timeout);
	}
	r = j->r;
	if (r < 0 && errmsg) {
		free(*errmsg);
		*errmsg = TAKE_PTR(j->err);
	} else if (r >= 0) {
		vf_usage_move(u, &j->found);
		vf_usage_sort(u);
	}
	job_put(j);
	pthread_mutex_unlock(&job_lock);
	/* joined, not detached, when in time: its thread-local state (libcrypto's, libvirt's) is
	 * freed by the time this returns, not in a race with the exit that may follow */
	pthread_join(t, NULL);
	return r;
}
