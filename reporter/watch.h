/* SPDX-License-Identifier: MIT */
/* What tells `vfcap-report serve` that the host may have changed: the kernel's rtnetlink
 * notifications (links, IPv4 and IPv6 addresses) and uevents (PCI and net devices: VFs created
 * and removed by sriov_numvfs writes, drivers bound and unbound), and libvirt's events (domain
 * lifecycle, devices added and removed, network lifecycle). A watcher only says "something
 * changed"; serve then reads the host as it always does, so nothing here decides a count. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vf_watch_source { VF_WATCH_NETLINK, VF_WATCH_UEVENT, VF_WATCH_LIBVIRT, VF_WATCH_N };

/* "netlink", "uevent", "libvirt": the label value in serve's metrics. */
const char *vf_watch_source_name(enum vf_watch_source s);

/* Called from the thread that noticed, with the number of notifications taken at once
 * (at least 1). A notification the kernel dropped (socket overrun) counts as one: whatever
 * it said is unknown, so the host must be read again. */
typedef void (*vf_watch_fn)(void *cls, enum vf_watch_source src, unsigned events);

/* ---- the kernel's (watch-kernel.c): sockets read by the caller's poll loop, non-blocking ---- */

struct vf_watch_kernel {
	struct nl_sock *rtnl; /* NULL: not watched */
	int uevent_fd;        /* -1: not watched */
};

/* Open both; a socket that cannot be opened is left out with a warning naming it (the safety
 * net's interval still reads the host). */
void vf_watch_kernel_open(struct vf_watch_kernel *w);
void vf_watch_kernel_close(struct vf_watch_kernel *w);
int vf_watch_rtnl_fd(const struct vf_watch_kernel *w); /* -1 when not watched */
/* Read every notification queued; returns how many there were (overruns count one each). */
unsigned vf_watch_rtnl_drain(struct vf_watch_kernel *w);
unsigned vf_watch_uevent_drain(struct vf_watch_kernel *w);

/* A uevent datagram ("ACTION@DEVPATH\0KEY=VALUE\0..."): does it concern a PCI or net device? */
bool vf_uevent_relevant(const char *msg, size_t len);

/* ---- libvirt's (watch-libvirt.c): a thread running libvirt's default event loop ---- */

struct vf_watch_libvirt;

/* Connect read-only to uri in a thread of its own and report its events to fn; when the
 * connection closes (libvirtd restarted, keepalive lost) reconnect with a backoff of 1 s
 * doubling to 30 s. Every connection after the first counts as a change (what happened
 * while it was down is unknown). NULL when the thread cannot start. */
struct vf_watch_libvirt *vf_watch_libvirt_start(const char *uri, vf_watch_fn fn, void *cls);
/* Connected and subscribed right now? */
bool vf_watch_libvirt_up(struct vf_watch_libvirt *w);
/* Stop and free. A thread held in a call to a daemon that does not answer is left behind
 * (detached) after a second: libvirt calls cannot be cancelled. */
void vf_watch_libvirt_stop(struct vf_watch_libvirt *w);
