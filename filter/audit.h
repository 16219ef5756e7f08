/* SPDX-License-Identifier: MIT */
/* Keeping the engine's audit log quiet: the engine turns every plugin_errors message into an
 * ERROR audit event, with no flood limit, on every scheduling call (docs/interfaces.md, 'The
 * run replies'). A message goes to the engine only when it is due: the first time its key
 * (a host and a reason, a refused property, ...) is seen, and again once [filter]
 * audit_interval seconds have passed since it last went. The service's own log says it on
 * every call (methods.c). Thread-safe (one mutex); time comes from the caller, so tests move it. */
#pragma once

#include <stdbool.h>
#include <time.h>

struct vf_audit;

/* interval in seconds; 0: every message is due every time. */
struct vf_audit *vf_audit_new(int interval);
void vf_audit_free(struct vf_audit *a); /* NULL is fine */

/* Is a message under key due at now? True the first time, and when interval seconds have
 * passed since it was last due (or the clock went back past that time); then now is recorded.
 * A NULL a: always due. Keys not due for an interval are forgotten, so the table holds at most
 * the keys of one interval. */
bool vf_audit_due(struct vf_audit *a, const char *key, time_t now);

/* Keys in the table (tests). */
unsigned long vf_audit_size(struct vf_audit *a);
