/* SPDX-License-Identifier: MIT */
/* `vfcap-filter serve` and `vfcap-filter run` (run.h): sources and the engine client built from
 * the config, then the service's signal loop or one judgement printed. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "engine.h"
#include "filter-exit.h"
#include "log.h"
#include "policy.h"
#include "run.h"
#include "service.h"
#include "source.h"
#include "units.h"
#include "util.h"

static void engine_freep(struct vf_engine **e)
{
	vf_engine_free(*e);
}

static void sources_freep(struct vf_sources **s)
{
	vf_sources_free(*s);
}

/* NULL engine (and 0) when the config names none. */
static int open_engine(const struct vf_config *c, struct vf_engine **ret)
{
	*ret = NULL;
	if (!c->engine.url)
		return 0;
	_cleanup_free_ char *password = NULL, *err = NULL;
	if (c->engine.password_file &&
	    vf_read_secret_file(c->engine.password_file, "the engine password", &password, &err) < 0) {
		log_error("%s", err);
		return -EINVAL;
	}
	struct vf_engine_opts eo = { .url = c->engine.url, .ca_file = c->engine.ca_file, .user = c->engine.user,
				     .password = password, .timeout_ms = c->engine.timeout_ms,
				     .cache_ttl = c->engine.cache_ttl };
	int r = vf_engine_new(&eo, ret, &err);
	if (r < 0)
		log_error("%s", err);
	return r;
}

static int resolve_address(void *ctx, const char *host_id, time_t now, char **address, char **errmsg)
{
	return vf_engine_host_address(ctx, host_id, now, address, errmsg);
}

static void log_late(size_t late, size_t n, int call_deadline_ms)
{
	log_warning("reports: %zu of %zu host(s) not answered within call_deadline (%g s): judged "
		"as missing; their fetches go on, and no call waits for them again",
		late, n, call_deadline_ms / 1e3);
}

/* Is a report source configured? Says so when not. */
static bool has_source(const struct vf_config *c)
{
	if (c->filter.reports_dir || c->filter.report_url)
		return true;
	log_error("no report source: --reports DIR or --report-url TEMPLATE "
			"([filter] reports_dir / report_url)");
	return false;
}

/* Exit code on failure, 0 on success. */
static int open_sources(const struct vf_config *c, struct vf_engine *engine, struct vf_sources **ret)
{
	const struct vf_filter_config *f = &c->filter;
	if (!has_source(c))
		return EXIT_USAGE;
	if (f->report_url && strstr(f->report_url, "{address}") && !engine) {
		log_error("report_url %s uses {address}, which comes from the engine API: "
				"set [engine] url", f->report_url);
		return EXIT_USAGE;
	}
	struct vf_source_opts so = { .reports_dir = f->reports_dir, .rescan_interval = f->rescan_interval,
				     .url_template = f->report_url, .timeout_ms = f->fetch_timeout_ms,
				     .cache_max_age = f->cache_max_age, .max_parallel = f->fetch_parallel,
				     .call_deadline_ms = f->call_deadline * 1000, .backoff_max = f->fetch_backoff_max,
				     .ca_file = f->report_ca_file, .cert_file = f->report_cert,
				     .key_file = f->report_key, .resolve = engine ? resolve_address : NULL,
				     .resolve_ctx = engine, .on_late = log_late };
	_cleanup_free_ char *err = NULL;
	if (vf_sources_new(&so, ret, &err) < 0) {
		log_error("%s", err);
		return EXIT_RUNTIME;
	}
	return 0;
}

/* Blocks the stop/reload signals in every thread (the service's threads inherit the mask) and
 * waits for them here. */
static void wait_for_signals(struct vf_sources *sources)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	for (;;) {
		int sig;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			return;
		log_info("SIGHUP: rescanning the reports");
		vf_sources_rescan(sources);
	}
}

static void audit_freep(struct vf_audit **a)
{
	vf_audit_free(*a);
}

int vf_filter_serve(const struct vf_config *c, bool quiet)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	_cleanup_(engine_freep) struct vf_engine *engine = NULL;
	if (open_engine(c, &engine) < 0)
		return EXIT_USAGE;
	_cleanup_(sources_freep) struct vf_sources *sources = NULL;
	int r = open_sources(c, engine, &sources);
	if (r)
		return r;
	_cleanup_(audit_freep) struct vf_audit *audit = vf_audit_new(c->filter.audit_interval);
	struct vf_filter_ctx ctx = { .sources = sources, .engine = engine, .audit = audit, .log = true };
	struct vf_service_opts so = { .listen = c->filter.listen, .threads = c->filter.threads,
				      .max_body = c->filter.max_body, .http = c->filter.http,
				      .quiet = quiet };
	struct vf_service *svc = NULL;
	unsigned port = 0;
	_cleanup_free_ char *err = NULL;
	if (vf_service_start(&so, &ctx, &svc, &port, &err) < 0) {
		log_error("%s", err);
		return EXIT_RUNTIME;
	}
	log_info("serving XML-RPC on %s (port %u); reports: %s%s%s; demand: %s",
		c->filter.listen, port, c->filter.reports_dir ? c->filter.reports_dir : "",
		c->filter.reports_dir && c->filter.report_url ? " and " : "",
		c->filter.report_url ? c->filter.report_url : "", engine ? c->engine.url : "the policy's vf_demand");
	wait_for_signals(sources);
	vf_service_stop(svc);
	log_info("stopped");
	return 0;
}

#define HOSTS_STDIN_MAX (64u << 20)

/* "a,b , c" (or, for "-", stdin) -> ids pointing into *buf, which the caller frees. Commas and
 * blanks separate ids. */
static int split_hosts(const char *list, char **buf, const char ***ids, size_t *n)
{
	*n = 0;
	*ids = NULL;
	if (streq(list, "-")) {
		int r = read_full_fd(STDIN_FILENO, buf, NULL, HOSTS_STDIN_MAX);
		if (r < 0) {
			log_error("--hosts -: stdin: %s", r == -EFBIG ? "too large" : strerror(-r));
			return r;
		}
	} else {
		*buf = xstrdup(list);
	}
	for (char *save = NULL, *tok = strtok_r(*buf, ", \t\r\n", &save); tok;
	     tok = strtok_r(NULL, ", \t\r\n", &save)) {
		/* an id names a file under the reports directory: never let it be a path */
		if (!vf_host_id_valid(tok)) {
			char q[48];
			vf_quote_value(q, sizeof q, tok);
			log_error("--hosts: '%s' is not a host id (1-64 of [0-9A-Za-z_.-], "
					"not starting with '.')", q);
			return -EINVAL;
		}
		*(const char **)array_append(ids, n, sizeof **ids) = tok;
	}
	if (*n == 0) {
		log_error("--hosts: no host id given");
		return -EINVAL;
	}
	return 0;
}

/* The demand, or -1 after printing why it could not be had. */
static int run_demand(struct vf_engine *engine, const struct vf_run_opts *o)
{
	if (o->demand_given || !engine)
		return o->policy.demand;
	int demand;
	_cleanup_free_ char *err = NULL;
	if (vf_engine_vm_demand(engine, o->vm, vf_now(), &demand, &err) < 0) {
		log_error("VM %s: %s", o->vm, err);
		return -1;
	}
	return demand;
}

/* --numa-nodes "0,1" -> a node set; -EINVAL after saying why. */
static int parse_nodes(const char *list, uint64_t *nodes)
{
	_cleanup_free_ char *copy = xstrdup(list);
	*nodes = 0;
	char *save = NULL;
	for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		long v;
		if (parse_long(tok, 0, VF_NUMA_NODES - 1, &v) < 0) {
			char q[48];
			vf_quote_value(q, sizeof q, tok);
			log_error("--numa-nodes: '%s' is not a NUMA node 0..%d", q, VF_NUMA_NODES - 1);
			return -EINVAL;
		}
		*nodes |= UINT64_C(1) << v;
	}
	return 0;
}

/* The VM's placement: --numa-nodes (parsed already), else the engine's when NUMA counts, else
 * none. -1 after printing why it could not be had. */
static int run_placement(struct vf_engine *engine, const struct vf_run_opts *o, struct vf_vm_placement *pl)
{
	if (o->numa_nodes || !engine || o->policy.numa == VF_NUMA_IGNORE)
		return 0;
	_cleanup_free_ char *err = NULL;
	if (vf_engine_vm_placement(engine, o->vm, vf_now(), pl, &err) < 0) {
		log_error("VM %s: %s", o->vm, err);
		return -1;
	}
	return 0;
}

/* Each host's nodes of the VM; -1 after printing why. */
static int run_nodes(struct vf_engine *engine, const struct vf_vm_placement *pl, const char **ids, size_t n,
		     uint64_t *nodes)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *err = NULL;
		nodes[i] = pl->source == VF_PIN_VNUMA ? pl->nodes : 0;
		if (pl->source == VF_PIN_VCPU && vf_engine_vm_nodes_on(engine, pl, ids[i], vf_now(), &nodes[i], &err) < 0) {
			log_error("host %s: %s", ids[i], err);
			return -1;
		}
	}
	return 0;
}

/* Per-file reads when only a directory is configured: `run` asks about a few hosts, so the
 * directory is not scanned whole. */
static int run_lookup(const struct vf_config *c, const char **ids, size_t n, struct vf_host_entry **caps)
{
	if (c->filter.report_url) {
		_cleanup_(sources_freep) struct vf_sources *s = NULL;
		int r = open_sources(c, NULL, &s);
		if (r)
			return r;
		vf_sources_lookup(s, ids, n, vf_now(), caps);
		return 0;
	}
	if (!has_source(c))
		return EXIT_USAGE;
	struct stat st;
	const char *why = stat(c->filter.reports_dir, &st) < 0 ? strerror(errno)
			  : !S_ISDIR(st.st_mode)               ? "not a directory"
							       : NULL;
	if (why) {
		log_error("%s: %s", c->filter.reports_dir, why);
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *file = xasprintf("%s/%s.json", c->filter.reports_dir, ids[i]);
		caps[i] = vf_entry_read_file(AT_FDCWD, file, ids[i]);
	}
	return 0;
}

/* "ID pass: 54 free, 1 needed": the reason already says free and demand, so each is said once.
 * A host without a usable count that passes does so by on_missing=accept, which is named: the
 * reason alone reads as a rejection. */
static void print_verdict(const char *id, int demand, struct vf_verdict *v, const struct vf_policy *p)
{
	bool pass = v->decision == VF_PASS;
	printf("%s %s: %s%s\n", id, pass ? "pass" : "reject", vf_verdict_reason(v, p, demand),
	       pass && v->missing ? " (on_missing=accept)" : "");
}

int vf_run(const struct vf_config *c, const struct vf_run_opts *o)
{
	if (!o->vm || !o->hosts) {
		log_error("run needs --vm ID and --hosts ID,ID,... (vfcap-filter --help)");
		return EXIT_USAGE;
	}
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ const char **ids = NULL;
	size_t n;
	if (split_hosts(o->hosts, &buf, &ids, &n) < 0)
		return EXIT_USAGE;
	struct vf_vm_placement pl = { .source = VF_PIN_NONE };
	if (o->numa_nodes && parse_nodes(o->numa_nodes, &pl.nodes) < 0)
		return EXIT_USAGE;
	pl.source = pl.nodes ? VF_PIN_VNUMA : VF_PIN_NONE;
	_cleanup_(engine_freep) struct vf_engine *engine = NULL;
	bool ask = !o->demand_given || (!o->numa_nodes && o->policy.numa != VF_NUMA_IGNORE);
	if (c->engine.url && ask && open_engine(c, &engine) < 0)
		return EXIT_USAGE;
	int demand = run_demand(engine, o);
	_cleanup_free_ uint64_t *nodes = xcalloc(n, sizeof *nodes);
	if (demand < 0 || run_placement(engine, o, &pl) < 0 || run_nodes(engine, &pl, ids, n, nodes) < 0)
		return EXIT_RUNTIME;
	_cleanup_free_ struct vf_host_entry **caps = xcalloc(n, sizeof *caps);
	int r = demand == 0 ? 0 : run_lookup(c, ids, n, caps);
	time_t now = vf_now();
	_cleanup_free_ struct vf_verdict *v = xcalloc(n, sizeof *v);
	_cleanup_free_ int64_t *score = xcalloc(n, sizeof *score);
	for (size_t i = 0; r == 0 && i < n; i++)
		vf_judge(caps[i], &o->policy, demand, nodes[i], now, &v[i]);
	vf_headroom_scores(v, n, score);
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (o->explain)
			print_verdict(ids[i], demand, &v[i], &o->policy);
		else if (o->score)
			printf("%s %lld\n", ids[i], (long long)score[i]);
		else if (v[i].decision == VF_PASS)
			printf("%s\n", ids[i]);
	}
	for (size_t i = 0; i < n; i++)
		vf_entry_unref(caps[i]);
	if (fflush(stdout) != 0 && r == 0) {
		log_error("stdout: %s", strerror(errno));
		r = EXIT_RUNTIME;
	}
	return r;
}
