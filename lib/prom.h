/* SPDX-License-Identifier: MIT */
/* Prometheus text exposition (format 0.0.4): what the reporter's and the filter's /metrics share. */
#pragma once

#include <stdio.h>

/* A label value, escaped: backslash, double quote and newline. NULL prints nothing. */
void vf_prom_escaped(FILE *f, const char *s);

/* One series with one label: NAME{LABEL="VALUE"} V, the value escaped. */
void vf_prom_series(FILE *f, const char *name, const char *label, const char *value, long long v);
