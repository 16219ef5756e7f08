/* SPDX-License-Identifier: MIT */
/* make bench's client-side cost of the filter's two HTTP clients (bench/bench_fetch.py runs it
 * against tests/filter/report-server.py and engine-server.py on 127.0.0.1): report fetches
 * through vf_sources (cache_max_age 0: every lookup fetches again, answered 304 by ETag) and
 * the engine's VM demand (cache_ttl 0: every call GETs the VM's nics and a profile). Prints
 * wall time and this process's CPU time (user + sys, all threads) per request.
 *
 * usage: fetchcost REPORT_PORT ENGINE_PORT HOSTS ROUNDS */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "engine.h"
#include "source.h"
#include "util.h"

#define VM "7b8c9d0e-1a2b-4c3d-8e4f-5a6b7c8d9e0f" /* tests/fixtures/engine/api: 2 GETs, uncached */

static double wall_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/* One lookup of every host; the first error, if any, is fatal (a bench of failures measures
 * nothing). */
static void lookup_all(struct vf_sources *s, char **ids, size_t n, time_t now, struct vf_host_entry **out)
{
	vf_sources_lookup(s, (const char *const *)ids, n, now, out);
	for (size_t i = 0; i < n; i++) {
		if (out[i]->error) {
			fprintf(stderr, "fetchcost: %s\n", out[i]->error);
			exit(1);
		}
		vf_entry_unref(out[i]);
	}
}

static void reports(int port, size_t n, int rounds)
{
	_cleanup_free_ char *tmpl = xasprintf("http://127.0.0.1:%d/{host_id}/v1/report", port), *err = NULL;
	struct vf_source_opts o = { .url_template = tmpl, .timeout_ms = 30000, .max_parallel = 8 };
	struct vf_sources *s = NULL;
	if (vf_sources_new(&o, &s, &err) < 0) {
		fprintf(stderr, "fetchcost: %s\n", err);
		exit(1);
	}
	char **ids = xcalloc(n, sizeof(*ids));
	for (size_t i = 0; i < n; i++)
		ids[i] = xasprintf("%08zx-0000-4000-8000-%012zx", i, i); /* tests/filter/mkreports.py */
	_cleanup_free_ struct vf_host_entry **out = xcalloc(n, sizeof(*out));
	lookup_all(s, ids, n, 1, out); /* connections open, ETags known */
	double w = wall_s(), c = cpu_s();
	for (int r = 0; r < rounds; r++)
		lookup_all(s, ids, n, 2 + r, out);
	double k = 1e6 / ((double)n * rounds);
	printf("reports: %zu fetches (304), 8 in parallel: %.1f us wall, %.1f us CPU per fetch\n", n * rounds,
	       (wall_s() - w) * k, (cpu_s() - c) * k);
	vf_sources_free(s);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

static void engine(int port, int calls)
{
	_cleanup_free_ char *url = xasprintf("http://127.0.0.1:%d/ovirt-engine/api", port), *err = NULL;
	struct vf_engine_opts o = { .url = url, .user = "admin@internal", .password = "pw", .timeout_ms = 30000 };
	struct vf_engine *e = NULL;
	int d, r = vf_engine_new(&o, &e, &err);
	double w = wall_s(), c = cpu_s();
	for (int i = 0; r >= 0 && i < calls; i++)
		r = vf_engine_vm_demand(e, VM, 1, &d, &err);
	if (r < 0) {
		fprintf(stderr, "fetchcost: %s\n", err);
		exit(1);
	}
	printf("engine: %d VM demands (2 GETs each), one at a time: %.1f us wall, %.1f us CPU per demand\n", calls,
	       (wall_s() - w) * 1e6 / calls, (cpu_s() - c) * 1e6 / calls);
	vf_engine_free(e);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: fetchcost REPORT_PORT ENGINE_PORT HOSTS ROUNDS\n");
		return 2;
	}
	size_t n = strtoul(argv[3], NULL, 10);
	int rounds = atoi(argv[4]);
	if (!n || rounds < 1)
		return 2;
	reports(atoi(argv[1]), n, rounds);
	engine(atoi(argv[2]), (int)(n * rounds / 4) + 1);
	return 0;
}
