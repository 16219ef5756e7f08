/* SPDX-License-Identifier: MIT */
/* The report's human and Prometheus forms (the JSON form is lib/report.h). */
#pragma once

#include <stdbool.h>

#include "model.h"

/* A table for people: one row per PF, a hint under each PF whose netlink VF list wrapped,
 * a TOTAL row, then the errors. verbose adds the VFs under their PF. Unknown counts are "?".
 * Caller frees; NULL only when memory ran out. */
char *vf_format_table(const struct vf_host *h, bool verbose);

/* Prometheus text exposition format 0.0.4; every family is a gauge. A series whose value is
 * unknown is left out rather than written as 0. Caller frees; NULL only when memory ran out. */
char *vf_format_prometheus(const struct vf_host *h);
