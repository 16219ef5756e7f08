/* SPDX-License-Identifier: MIT */
/* Prometheus text exposition (format 0.0.4): label escaping and one-label series. */
#include "prom.h"

void vf_prom_escaped(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

void vf_prom_series(FILE *f, const char *name, const char *label, const char *value, long long v)
{
	fprintf(f, "%s{%s=\"", name, label);
	vf_prom_escaped(f, value);
	fprintf(f, "\"} %lld\n", v);
}
