/* SPDX-License-Identifier: MIT */
/* vfcap-filter: the VF-aware external scheduler for the oVirt engine.
 *
 *   vfcap-filter serve [--listen ADDR:PORT] [--reports DIR] [--report-url TEMPLATE] ...
 *   vfcap-filter run --vm ID --hosts ID,ID,... [--reports DIR] [--demand N] [--explain] ...
 *
 * Exit codes: 0 done (run: even when no host passes), 2 usage or configuration error,
 * 3 the service could not start or a source could not be opened. */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <libxml/parser.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "model.h"
#include "engine.h"
#include "filter-exit.h"
#include "run.h"
#include "service.h"
#include "util.h"

static void usage(FILE *f)
{
	fputs("Usage: vfcap-filter serve [OPTIONS]\n"
	      "       vfcap-filter run --vm ID --hosts ID,ID,... [OPTIONS]\n"
	      "\n"
	      "serve: answer the oVirt engine's external-scheduler XML-RPC calls (discover, runFilters,\n"
	      "runCostFunctions, runLoadBalancing) with the filter vfcap_vf_capacity and the score\n"
	      "vfcap_vf_headroom, from the hosts' vfcap reports.\n"
	      "  --listen ADDR:PORT     default 127.0.0.1:18781 ([filter] listen)\n"
	      "  --threads N            HTTP worker threads ([filter] threads, default 2)\n"
	      "  --quiet                no log line per request\n"
	      "run: judge hosts once, print the passing host ids one per line.\n"
	      "  --vm ID --hosts ID,...  the VM and the candidate hosts\n"
	      "  --demand N             VFs the VM needs (default: the engine API when configured, else\n"
	      "                         --vf-demand N, default 1); --hosts - reads the ids from stdin\n"
	      "  --score                print 'ID SCORE' per host (vfcap_vf_headroom) instead\n"
	      "  --label L  --on-missing reject|accept  --max-report-age SECONDS  --iommu-isolation no|yes\n"
	      "  --numa ignore|preferred|required  VFs local to a pinned VM's NUMA nodes (default preferred)\n"
	      "  --numa-nodes N,...     the VM's host NUMA nodes (default: the engine API when configured,\n"
	      "                         else none: NUMA not considered)\n"
	      "  --require-link yes|no  free VFs without link count too with no (default yes)\n"
	      "  --explain              print 'ID pass|reject: WHY' per host instead (WHY: e.g. 3 free, 2 needed)\n"
	      "both:\n"
	      "  --reports DIR          <host-id>.json reports ([filter] reports_dir)\n"
	      "  --report-url TEMPLATE  fetch reports, e.g. http://{address}:18782/v1/report ([filter] report_url)\n"
	      "  --config FILE          default $VFCAP_CONFIG, else " VF_CONFIG_DEFAULT_PATH " ([filter], [engine])\n"
	      "  --version, --help\n"
	      "Exit: 0 done, 2 usage or configuration error, 3 could not start or read a source.\n",
	      f);
}

struct options {
	const char *command;
	const char *config;
	const char *listen, *reports, *report_url;
	int threads;
	bool quiet;
	struct vf_run_opts run;
};

/* OPT_PROP + i: the policy property vf_props[i] */
enum { OPT_LISTEN = 256, OPT_REPORTS, OPT_REPORT_URL, OPT_CONFIG, OPT_THREADS, OPT_QUIET, OPT_VM, OPT_HOSTS,
       OPT_DEMAND, OPT_SCORE, OPT_EXPLAIN, OPT_VERSION, OPT_HELP, OPT_NUMA_NODES, OPT_PROP = 512 };

static const struct option longopts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "reports", required_argument, NULL, OPT_REPORTS },
	{ "report-url", required_argument, NULL, OPT_REPORT_URL },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "vm", required_argument, NULL, OPT_VM },
	{ "hosts", required_argument, NULL, OPT_HOSTS },
	{ "demand", required_argument, NULL, OPT_DEMAND },
	{ "score", no_argument, NULL, OPT_SCORE },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "numa-nodes", required_argument, NULL, OPT_NUMA_NODES },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
};

/* The options above, then one per policy property: its name with '-' for '_' (--vf-demand,
 * --on-missing, --max-report-age, --label, --numa), so that a new property is an option as well. */
struct all_options {
	struct option opts[ARRAY_SIZE(longopts) + 16 + 1];
	char names[16][32];
};

static const struct option *all_options(struct all_options *a)
{
	assert(vf_n_props <= 16);
	memcpy(a->opts, longopts, sizeof longopts);
	for (size_t i = 0; i < vf_n_props; i++) {
		snprintf(a->names[i], sizeof a->names[i], "%s", vf_props[i].name);
		for (char *c = a->names[i]; *c; c++)
			*c = *c == '_' ? '-' : *c;
		a->opts[ARRAY_SIZE(longopts) + i] =
			(struct option){ a->names[i], required_argument, NULL, OPT_PROP + (int)i };
	}
	a->opts[ARRAY_SIZE(longopts) + vf_n_props] = (struct option){ 0 };
	return a->opts;
}

static int bad_usage(const char *fmt, const char *arg)
{
	_cleanup_free_ char *msg = xasprintf(fmt, arg);
	log_error("%s (vfcap-filter --help)", msg);
	return -EINVAL;
}

/* A policy property from the command line, checked by the same code as the engine's. */
static int policy_opt(struct options *o, const char *name, const char *value)
{
	_cleanup_free_ char *err = NULL;
	if (vf_policy_set(&o->run.policy, name, value, &err) < 0)
		return bad_usage("%s", err);
	return 0;
}

static int parse_opt(struct options *o, int c, const char *arg)
{
	long v;
	switch (c) {
	case OPT_LISTEN: o->listen = arg; return 0;
	case OPT_REPORTS: o->reports = arg; return 0;
	case OPT_REPORT_URL: o->report_url = arg; return 0;
	case OPT_CONFIG: o->config = arg; return 0;
	case OPT_QUIET: o->quiet = true; return 0;
	case OPT_VM: o->run.vm = arg; return 0;
	case OPT_HOSTS: o->run.hosts = arg; return 0;
	case OPT_EXPLAIN: o->run.explain = true; return 0;
	case OPT_SCORE: o->run.score = true; return 0;
	case OPT_NUMA_NODES: o->run.numa_nodes = arg; return 0;
	case OPT_THREADS:
		if (parse_long(arg, 1, 256, &v) < 0)
			return bad_usage("--threads: '%s' is not 1..256", arg);
		o->threads = (int)v;
		return 0;
	case OPT_DEMAND:
		if (policy_opt(o, "vf_demand", arg) < 0)
			return -EINVAL;
		o->run.demand_given = true;
		return 0;
	default:
		if (c >= OPT_PROP && (size_t)(c - OPT_PROP) < vf_n_props)
			return policy_opt(o, vf_props[c - OPT_PROP].name, arg);
		return bad_usage("%s", "unknown option");
	}
}

/* 1: --help/--version answered; 0: go on; <0: usage error (printed). */
static int parse_args(int argc, char **argv, struct options *o)
{
	vf_policy_default(&o->run.policy);
	struct all_options all;
	const struct option *opts = all_options(&all);
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_HELP) {
			usage(stdout);
			return 1;
		}
		if (c == OPT_VERSION) {
			printf("vfcap-filter %s\n", VFCAP_VERSION);
			return 1;
		}
		if (c == '?')
			return bad_usage("unknown option or missing argument: %s", argv[optind - 1]);
		if (parse_opt(o, c, optarg) < 0)
			return -EINVAL;
	}
	if (optind != argc - 1)
		return bad_usage("%s", "expected one command: serve or run");
	o->command = argv[optind];
	if (!streq(o->command, "serve") && !streq(o->command, "run"))
		return bad_usage("unknown command '%s' (serve or run)", o->command);
	return 0;
}

static int load_config(const struct options *o, struct vf_config **ret)
{
	_cleanup_free_ char *err = NULL;
	int r = vf_config_load_chosen(o->config, ret, &err);
	if (r < 0)
		log_error("%s", err);
	return r;
}

/* Command-line options override the config file. */
static void apply_options(const struct options *o, struct vf_config *c)
{
	if (o->listen) {
		free(c->filter.listen);
		c->filter.listen = xstrdup(o->listen);
	}
	if (o->reports) {
		free(c->filter.reports_dir);
		c->filter.reports_dir = xstrdup(o->reports);
	}
	if (o->report_url) {
		free(c->filter.report_url);
		c->filter.report_url = xstrdup(o->report_url);
	}
	if (o->threads)
		c->filter.threads = o->threads;
}

int main(int argc, char **argv)
{
	vf_log_init("vfcap-filter");
	struct options o = { 0 };
	int r = parse_args(argc, argv, &o);
	if (r != 0)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	_cleanup_config_ struct vf_config *cfg = NULL;
	if (load_config(&o, &cfg) < 0)
		return EXIT_USAGE;
	apply_options(&o, cfg);
	/* a client that goes away must not kill the service */
	signal(SIGPIPE, SIG_IGN);
	/* libxml2 wants its global state set up by the main thread, before any worker parses */
	xmlInitParser();
	/* A 10,000-host request frees and re-allocates ~1 MB per call; with glibc's default
	 * thresholds that memory goes back to the kernel each time and the next call takes page
	 * faults for it (measured: the median parse at 10,000 hosts halves with these). The
	 * cost is up to 32 MB kept mapped while idle. */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 32 << 20);
	if (streq(o.command, "serve"))
		return vf_filter_serve(cfg, o.quiet);
	return vf_run(cfg, &o.run);
}
