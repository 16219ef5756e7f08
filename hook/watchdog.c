/* SPDX-License-Identifier: MIT */
#include "watchdog.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

struct vf_watchdog {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC */
	bool disarmed;
	struct timespec deadline;
	char *line;
};

static void *watch(void *arg)
{
	struct vf_watchdog *w = arg;
	pthread_mutex_lock(&w->lock);
	while (!w->disarmed)
		if (pthread_cond_timedwait(&w->cond, &w->lock, &w->deadline) == ETIMEDOUT && !w->disarmed) {
			/* write(2), not stdio: the stuck thread may hold stderr's lock */
			(void)!write(STDERR_FILENO, w->line, strlen(w->line));
			_exit(2);
		}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void watchdog_free(struct vf_watchdog *w)
{
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w->line);
	free(w);
}

struct vf_watchdog *vf_watchdog_arm(int seconds, const char *line)
{
	struct vf_watchdog *w = xcalloc(1, sizeof *w);
	cond_init_monotonic(&w->cond);
	pthread_mutex_init(&w->lock, NULL);
	w->deadline = monotonic_after_ms((int64_t)seconds * 1000);
	w->line = xasprintf("%s\n", line);
	if (pthread_create(&w->thread, NULL, watch, w) != 0) {
		watchdog_free(w);
		return NULL;
	}
	return w;
}

void vf_watchdog_disarm(struct vf_watchdog *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->disarmed = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	watchdog_free(w);
}
