/* SPDX-License-Identifier: MIT */
/* Join sysfs, netlink, libvirt and config into VF states and per-PF/host counts
 * (docs/design.md, 'VF states and their precedence').
 * The reporter and the hook both call this, so they can never disagree. */
#pragma once

#include "config.h"
#include "libvirt.h"
#include "model.h"

/* usage == NULL means libvirt could not be read: VFs that would otherwise be free are unknown.
 * cfg may be NULL (no reservations, no labels). */
void vf_capacity_compute(struct vf_host *h, const struct vf_usage *usage, const struct vf_config *cfg);

/* "vlan 100, spoofchk off": a VF's dirty settings (vf->dirty) with their values. */
char *vf_dirty_describe(const struct vf_vf *vf);
