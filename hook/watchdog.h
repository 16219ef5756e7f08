/* SPDX-License-Identifier: MIT */
/* A deadline for a stretch of libvirt calls that cannot be cancelled: when the stretch has not
 * ended `seconds` after vf_watchdog_arm, the process writes `line` to stderr and exits 2 at
 * once (_exit: no cleanup runs; what the hook writes is whole at any instant: temp + rename).
 * VDSM waits on the hook for a VM's start, so a hung libvirtd must fail the start, not hold it. */
#pragma once

struct vf_watchdog;

/* NULL when no thread could be started (then there is no deadline). line: one line, '\n' added. */
struct vf_watchdog *vf_watchdog_arm(int seconds, const char *line);
/* The stretch ended in time: stop the thread and free. NULL is fine. */
void vf_watchdog_disarm(struct vf_watchdog *w);
