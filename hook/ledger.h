/* SPDX-License-Identifier: MIT */
/* The pool lock and the reservation ledger (RUN_DIR/pool.lock, RUN_DIR/reservations).
 *
 * A passing capacity check reserves a VF for the vNIC until libvirt's pool shows the vNIC's
 * port: between the hook's check and libvirt's allocation, N VMs starting at once would all see
 * the same last free VF. A reservation ends when the pool has a port with its MAC, when its VM
 * is destroyed, when its NIC is unplugged or its hotplug failed, or after the TTL.
 *
 * File format, one reservation per line after a header line:
 *   # vfcap reservations v1
 *   <vm-id> <mac> <unix-time>
 * Written by temp file + rename under the lock, so a reader never sees half a ledger. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct vf_reservation {
	char *vm;
	char mac[18]; /* lower case; "-" when the vNIC had none */
	time_t at;
};

struct vf_ledger {
	char *path;
	struct vf_reservation *r;
	size_t n;
	size_t dropped; /* malformed lines skipped by the last load */
};

/* Create run_dir (0755) if needed and take an exclusive flock on run_dir/pool.lock, waiting for
 * it. Returns the fd (closing it releases the lock) or -errno with *errmsg set. */
int vf_pool_lock(const char *run_dir, char **errmsg);

/* Load run_dir/reservations (missing = empty). Malformed lines are skipped and counted in
 * l->dropped: the ledger is ours, and refusing every VM start over one bad line is worse. */
int vf_ledger_load(const char *run_dir, struct vf_ledger *l, char **errmsg);
int vf_ledger_save(const struct vf_ledger *l, char **errmsg);
void vf_ledger_clear(struct vf_ledger *l);

/* Drop reservations older than ttl seconds (or from the future: the clock moved). */
size_t vf_ledger_expire(struct vf_ledger *l, time_t now, int ttl);
/* Drop the VM's reservations; only the one with that MAC when mac != NULL. */
size_t vf_ledger_release(struct vf_ledger *l, const char *vm, const char *mac);
/* Drop reservations whose MAC is in macs (the pool shows their port now). */
size_t vf_ledger_settle(struct vf_ledger *l, char *const *macs, size_t n_macs);
void vf_ledger_add(struct vf_ledger *l, const char *vm, const char *mac, time_t now);
