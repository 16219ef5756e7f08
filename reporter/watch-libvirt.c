/* SPDX-License-Identifier: MIT */
/* libvirt's events for serve (watch.h): one read-only connection, used for nothing but events,
 * in a thread that runs libvirt's default event loop (which also sends the keepalive that finds
 * a hung daemon). Connecting and closing happen in that thread, outside libvirt's callbacks. */
#include "watch.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "libvirt.h"
#include "log.h"
#include "util.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000
/* a ping after 5 s of silence, the connection closed after 3 unanswered: a hung daemon is
 * found within 20 s, and its return is a reconnection */
#define KEEPALIVE_INTERVAL 5
#define KEEPALIVE_COUNT 3

enum { CB_LIFECYCLE, CB_DEVICE_ADDED, CB_DEVICE_REMOVED, CB_NETWORK, CB_N };

struct vf_watch_libvirt {
	char *uri;
	vf_watch_fn fn;
	void *cls;
	pthread_t thread;
	pthread_mutex_t lock; /* guards quit, up and done */
	pthread_cond_t cond;
	bool quit, up, done;
	/* the thread's own */
	virConnectPtr conn;
	int cb[CB_N];
	bool lost;      /* the close callback ran */
	bool retry_due; /* the backoff timer fired */
	int backoff_ms;
	bool tried;   /* a connection was tried before: the next success is a change */
	bool failing; /* the current outage is logged */
};

/* Not once stopping: a thread left behind by vf_watch_libvirt_stop() must not call into a
 * server that is gone (w itself is never freed then). */
static void changed(struct vf_watch_libvirt *w)
{
	pthread_mutex_lock(&w->lock);
	if (!w->quit)
		w->fn(w->cls, VF_WATCH_LIBVIRT, 1);
	pthread_mutex_unlock(&w->lock);
}

static void on_lifecycle(virConnectPtr c, virDomainPtr d, int event, int detail, void *opaque)
{
	(void)c, (void)d, (void)event, (void)detail;
	changed(opaque);
}

static void on_device(virConnectPtr c, virDomainPtr d, const char *alias, void *opaque)
{
	(void)c, (void)d, (void)alias;
	changed(opaque);
}

static void on_network(virConnectPtr c, virNetworkPtr n, int event, int detail, void *opaque)
{
	(void)c, (void)n, (void)event, (void)detail;
	changed(opaque);
}

static void on_close(virConnectPtr c, int reason, void *opaque)
{
	(void)c, (void)reason;
	((struct vf_watch_libvirt *)opaque)->lost = true;
}

static void on_retry(int timer, void *opaque)
{
	virEventRemoveTimeout(timer);
	((struct vf_watch_libvirt *)opaque)->retry_due = true;
}

static void on_wake(int timer, void *opaque)
{
	(void)opaque;
	virEventRemoveTimeout(timer);
}

static void set_up(struct vf_watch_libvirt *w, bool up)
{
	pthread_mutex_lock(&w->lock);
	w->up = up;
	pthread_mutex_unlock(&w->lock);
}

static void disconnect(struct vf_watch_libvirt *w)
{
	if (!w->conn)
		return;
	set_up(w, false);
	if (w->cb[CB_NETWORK] >= 0)
		virConnectNetworkEventDeregisterAny(w->conn, w->cb[CB_NETWORK]);
	for (int i = CB_LIFECYCLE; i <= CB_DEVICE_REMOVED; i++)
		if (w->cb[i] >= 0)
			virConnectDomainEventDeregisterAny(w->conn, w->cb[i]);
	virConnectUnregisterCloseCallback(w->conn, on_close);
	virConnectClose(w->conn);
	w->conn = NULL;
}

static int subscribe(struct vf_watch_libvirt *w)
{
	virConnectPtr c = w->conn;
	w->cb[CB_LIFECYCLE] = virConnectDomainEventRegisterAny(c, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
							       VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), w, NULL);
	w->cb[CB_DEVICE_ADDED] = virConnectDomainEventRegisterAny(c, NULL, VIR_DOMAIN_EVENT_ID_DEVICE_ADDED,
								  VIR_DOMAIN_EVENT_CALLBACK(on_device), w, NULL);
	w->cb[CB_DEVICE_REMOVED] = virConnectDomainEventRegisterAny(c, NULL, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
								    VIR_DOMAIN_EVENT_CALLBACK(on_device), w, NULL);
	w->cb[CB_NETWORK] = virConnectNetworkEventRegisterAny(c, NULL, VIR_NETWORK_EVENT_ID_LIFECYCLE,
							      VIR_NETWORK_EVENT_CALLBACK(on_network), w, NULL);
	for (int i = 0; i < CB_N; i++)
		if (w->cb[i] < 0)
			return -1;
	return 0;
}

/* One attempt; on failure the next is scheduled after the backoff. */
static void connect_once(struct vf_watch_libvirt *w)
{
	for (int i = 0; i < CB_N; i++)
		w->cb[i] = -1;
	w->lost = false;
	w->conn = virConnectOpenReadOnly(w->uri);
	if (w->conn && virConnectRegisterCloseCallback(w->conn, on_close, w, NULL) == 0 &&
	    virConnectSetKeepAlive(w->conn, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT) >= 0 && subscribe(w) == 0) {
		log_info("watch: libvirt %s: %s, watching domains and networks", w->uri,
			 w->tried ? "connected again" : "connected");
		w->backoff_ms = BACKOFF_MIN_MS;
		w->failing = false;
		set_up(w, true);
		/* what happened while there was no connection is unknown; the first connection is
		 * no change (serve read the host before it started watching) unless a try failed */
		if (w->tried)
			changed(w);
		w->tried = true;
		return;
	}
	if (!w->failing) /* once per outage, not per try */
		log_warning("watch: libvirt %s: %s; trying again, every %d s at most", w->uri,
			    virGetLastErrorMessage(), BACKOFF_MAX_MS / 1000);
	w->failing = true;
	w->tried = true;
	disconnect(w);
	virEventAddTimeout(w->backoff_ms, on_retry, w, NULL);
	w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : w->backoff_ms * 2;
}

static bool quitting(struct vf_watch_libvirt *w)
{
	pthread_mutex_lock(&w->lock);
	bool q = w->quit;
	pthread_mutex_unlock(&w->lock);
	return q;
}

static void *run(void *arg)
{
	struct vf_watch_libvirt *w = arg;
	w->retry_due = true;
	while (!quitting(w)) {
		if (w->retry_due) {
			w->retry_due = false;
			connect_once(w);
			continue;
		}
		virEventRunDefaultImpl();
		if (w->lost && w->conn) {
			log_warning("watch: libvirt %s: connection closed; connecting again", w->uri);
			disconnect(w);
			w->retry_due = true; /* the first try at once */
		}
	}
	disconnect(w);
	pthread_mutex_lock(&w->lock);
	w->done = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static int registered = -1;
static void register_impl(void)
{
	registered = virEventRegisterDefaultImpl();
}

struct vf_watch_libvirt *vf_watch_libvirt_start(const char *uri, vf_watch_fn fn, void *cls)
{
	/* once per process, before the first connection that should use it */
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	vf_libvirt_quiet(); /* failures become this file's log lines, not libvirt's stderr */
	pthread_once(&once, register_impl);
	if (registered < 0) {
		log_warning("watch: libvirt: no event loop: %s", virGetLastErrorMessage());
		return NULL;
	}
	struct vf_watch_libvirt *w = xcalloc(1, sizeof *w);
	w->uri = xstrdup(uri ? uri : VF_LIBVIRT_DEFAULT_URI);
	w->fn = fn;
	w->cls = cls;
	w->backoff_ms = BACKOFF_MIN_MS;
	pthread_mutex_init(&w->lock, NULL);
	cond_init_monotonic(&w->cond);
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		free(w->uri);
		free(w);
		return NULL;
	}
	return w;
}

bool vf_watch_libvirt_up(struct vf_watch_libvirt *w)
{
	if (!w)
		return false;
	pthread_mutex_lock(&w->lock);
	bool up = w->up;
	pthread_mutex_unlock(&w->lock);
	return up;
}

/* The thread is woken by a timer of 0 ms (adding one interrupts the loop's poll) and given a
 * second to end; one held by a daemon that does not answer is left behind with its memory. */
void vf_watch_libvirt_stop(struct vf_watch_libvirt *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->quit = true;
	pthread_mutex_unlock(&w->lock);
	virEventAddTimeout(0, on_wake, NULL, NULL);
	struct timespec until = monotonic_after_ms(1000);
	pthread_mutex_lock(&w->lock);
	while (!w->done && pthread_cond_timedwait(&w->cond, &w->lock, &until) == 0)
		;
	bool done = w->done;
	pthread_mutex_unlock(&w->lock);
	if (!done) {
		log_warning("watch: libvirt %s: the daemon does not answer; not waiting for it", w->uri);
		pthread_detach(w->thread);
		return;
	}
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w->uri);
	free(w);
}
