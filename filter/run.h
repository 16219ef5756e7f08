/* SPDX-License-Identifier: MIT */
/* The two commands of vfcap-filter over a loaded config: `serve` and `run`. Each returns the
 * process exit code (0 done, 2 usage or configuration error, 3 a source or the service failed). */
#pragma once

#include <stdbool.h>

#include "config.h"
#include "policy.h"

struct vf_run_opts {
	const char *vm;
	const char *hosts; /* comma-separated; "-": read from stdin (no command-line length limit) */
	bool explain;
	bool score;        /* print "ID SCORE" per host */
	bool demand_given; /* --demand: do not ask the engine */
	const char *numa_nodes; /* --numa-nodes "0,1": the VM's host NUMA nodes; do not ask the engine */
	struct vf_policy policy;
};

int vf_filter_serve(const struct vf_config *c, bool quiet);
int vf_run(const struct vf_config *c, const struct vf_run_opts *o);
