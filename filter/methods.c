/* SPDX-License-Identifier: MIT */
/* The four XML-RPC methods of the engine's external-scheduler client (docs/interfaces.md, 'The
 * engine's external scheduler'): argument checks, the units' work, and the reply {result_code,
 * result, plugin_errors, errors}.
 *
 * Failures follow the legacy proxy's contract, which the engine was built against: an unknown
 * unit or a unit that cannot decide (bad properties) is reported under plugin_errors, sets
 * result_code 1 and does not filter. The engine makes each plugin_errors message an ERROR
 * audit event on every call, so they carry only what the admin must act on (a refused
 * property, hosts rejected for want of a usable report, the engine API failing), in words
 * without server-side detail (paths, URLs), each at most once per audit_interval (audit.h);
 * hosts that on_missing=accept lets pass are not named. The service's log has every detail.
 * Malformed calls (wrong types, missing parameters, unknown methods) get an XML-RPC fault. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "engine.h"
#include "log.h"
#include "methods.h"
#include "util.h"

/* Hosts named one by one in the service's log per call, beyond which a count stands for them. */
#define MAX_HOST_LINES 10
/* More hosts than this sharing a reason get one audit message for all of them. */
#define MAX_HOST_MESSAGES 3

/* plugin_errors: unit name -> messages, in order of first use. */
struct unit_errors {
	const char *unit;
	char **msgs;
	size_t n;
};

struct reply {
	struct unit_errors *units;
	size_t n_units;
	struct vf_filter_ctx *ctx;
	const char *method;
	time_t now;
};

static void reply_clear(struct reply *r)
{
	for (size_t i = 0; i < r->n_units; i++) {
		for (size_t j = 0; j < r->units[i].n; j++)
			free(r->units[i].msgs[j]);
		free(r->units[i].msgs);
	}
	free(r->units);
}

static void plugin_error(struct reply *r, const char *unit, char *msg)
{
	struct unit_errors *u = NULL;
	for (size_t i = 0; i < r->n_units && !u; i++)
		if (streq(r->units[i].unit, unit))
			u = &r->units[i];
	if (!u) {
		u = array_append(&r->units, &r->n_units, sizeof *u);
		u->unit = unit;
	}
	char **slot = array_append(&u->msgs, &u->n, sizeof *slot);
	*slot = msg;
}

/* A message for the engine when its key is due (audit.h); msg is freed otherwise. */
static void plugin_error_due(struct reply *r, const char *unit, const char *key, char *msg)
{
	_cleanup_free_ char *k = xasprintf("%s\x1f%s", unit, key);
	if (vf_audit_due(r->ctx->audit, k, r->now))
		plugin_error(r, unit, msg);
	else
		free(msg);
}

static _printf_(2, 3) void log_line(const struct reply *r, const char *fmt, ...)
{
	if (!r->ctx->log)
		return;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *line = xvasprintf(fmt, ap);
	va_end(ap);
	for (char *c = line; *c; c++) /* ids and names come from the request: no forged lines */
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	log_info("%s: %s", r->method, line); /* one write per line */
}

/* A unit vfcap does not have (the engine only names discovered ones: a stale discovery). */
static void not_found(struct reply *r, const char *name)
{
	name = name ? name : "?";
	plugin_error_due(r, name, "not found", xasprintf("plugin not found: '%s'", name));
}

static void write_plugin_errors(struct rpc_writer *w, const struct reply *r)
{
	if (!r->n_units)
		return;
	rpc_key(w, "plugin_errors");
	rpc_begin_struct(w);
	for (size_t i = 0; i < r->n_units; i++) {
		rpc_key(w, r->units[i].unit);
		rpc_begin_array(w);
		for (size_t j = 0; j < r->units[i].n; j++)
			rpc_string_value(w, r->units[i].msgs[j]);
		rpc_end_array(w);
	}
	rpc_end_struct(w);
}

/* Opens the reply struct and its result; the caller writes the result, then end_reply(). */
static void begin_reply(struct rpc_writer *w, const struct reply *r)
{
	rpc_begin_response(w);
	rpc_begin_struct(w);
	rpc_key(w, "result_code");
	rpc_int_value(w, r->n_units ? 1 : 0);
	write_plugin_errors(w, r);
	rpc_key(w, "result");
}

static void end_reply(struct rpc_writer *w)
{
	rpc_end_struct(w);
	rpc_end_response(w);
}

/* The validation: Java regexes the engine checks a value with before it sends it, made from the
 * same table as the service's parsing (policy.c). */
static void unit_pair(struct rpc_writer *w, const char *name, const char *description, const char *validation)
{
	rpc_key(w, name);
	rpc_begin_array(w);
	rpc_string_value(w, description);
	rpc_string_value(w, validation);
	rpc_end_array(w);
}

static void discover(struct rpc_writer *w)
{
	_cleanup_free_ char *validation = vf_policy_validation();
	rpc_begin_response(w);
	rpc_begin_struct(w);
	rpc_key(w, "filters");
	rpc_begin_struct(w);
	unit_pair(w, VF_FILTER_UNIT,
		  "vfcap: rejects hosts without enough free SR-IOV VFs for the VM (the hosts' vfcap reports: "
		  "VFs in use by any owner and VFs beyond the netlink limit are not free)",
		  validation);
	rpc_end_struct(w);
	rpc_key(w, "scores");
	rpc_begin_struct(w);
	unit_pair(w, VF_SCORE_UNIT, "vfcap: prefers hosts with more free SR-IOV VFs left after placing the VM",
		  validation);
	rpc_end_struct(w);
	rpc_key(w, "balance");
	rpc_begin_struct(w);
	rpc_end_struct(w);
	rpc_end_struct(w);
	rpc_end_response(w);
}

/* Defaults, then each string member the table knows (policy.c); ours must be strings. */
int vf_policy_from_props(const struct rpc_value *props, struct vf_policy *p, char **errmsg)
{
	vf_policy_default(p);
	if (!props || props->type == RPC_NIL)
		return 0;
	if (props->type != RPC_STRUCT)
		return set_error(errmsg, -EINVAL, "properties: not a struct");
	for (size_t i = 0; i < props->st.n; i++) {
		const struct rpc_member *m = &props->st.m[i];
		const char *v = rpc_string(&m->value);
		if (!v) {
			/* other units' properties are not ours to judge; ours must be strings */
			if (vf_prop_find(m->name))
				return set_error(errmsg, -EINVAL, "property %s: not a string", m->name);
			continue;
		}
		int r = vf_policy_set(p, m->name, v, errmsg);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The arguments of runFilters/runCostFunctions/runLoadBalancing, checked. */
struct call_args {
	const struct rpc_value *units; /* filter names, [name, weight] pairs, or the balance name */
	const char **hosts;            /* point into the call */
	size_t n_hosts;
	const char *vm;                /* NULL for runLoadBalancing */
	const struct rpc_value *props;
};

static int host_list(const struct rpc_value *v, struct call_args *a, char **errmsg)
{
	if (v->type != RPC_ARRAY)
		return set_error(errmsg, -EINVAL, "hosts: not an array");
	a->hosts = xcalloc(v->array.n ? v->array.n : 1, sizeof *a->hosts);
	for (size_t i = 0; i < v->array.n; i++) {
		a->hosts[i] = rpc_string(&v->array.v[i]);
		if (!a->hosts[i])
			return set_error(errmsg, -EINVAL, "hosts[%zu]: not a string", i);
	}
	a->n_hosts = v->array.n;
	return 0;
}

/* (units, hosts, vm, props) or, with vm_arg false, (balance, hosts, props). */
static int call_args(const struct rpc_call *c, bool vm_arg, struct call_args *a, char **errmsg)
{
	size_t want = vm_arg ? 4 : 3;
	if (c->n_params != want)
		return set_error(errmsg, -EINVAL, "%s takes %zu parameters, got %zu", c->method, want, c->n_params);
	a->units = &c->params[0];
	int r = host_list(&c->params[1], a, errmsg);
	if (r < 0)
		return r;
	if (vm_arg && !(a->vm = rpc_string(&c->params[2])))
		return set_error(errmsg, -EINVAL, "vm: not a string");
	a->props = &c->params[want - 1];
	if (a->props->type != RPC_STRUCT && a->props->type != RPC_NIL)
		return set_error(errmsg, -EINVAL, "properties: not a struct");
	return 0;
}

/* The VM's demand: from the engine API when configured (falling back to vf_demand, with a
 * plugin error, when it fails), else the policy's vf_demand. */
static int vm_demand(struct vf_filter_ctx *ctx, const char *unit, const char *vm, const struct vf_policy *p,
		     time_t now, struct reply *r)
{
	if (!ctx->engine)
		return p->demand;
	int demand;
	_cleanup_free_ char *err = NULL;
	if (vf_engine_vm_demand(ctx->engine, vm, now, &demand, &err) == 0)
		return demand;
	log_line(r, "%s: VM %s: demand: %s; using vf_demand=%d", unit, vm, err, p->demand);
	plugin_error_due(r, unit, "demand",
			 xasprintf("VM demand: the engine API did not answer (the vfcap-filter log says why); "
				   "using vf_demand=%d", p->demand));
	return p->demand;
}

/* The VM's placement when NUMA counts (the engine API configured, numa not ignore); a VM
 * without pins, or an engine that fails (a plugin error, as for the demand), leaves NUMA out. */
static void vm_placement(struct vf_filter_ctx *ctx, const char *unit, const char *vm, const struct vf_policy *p,
			 time_t now, struct reply *r, struct vf_vm_placement *pl)
{
	pl->source = VF_PIN_NONE;
	if (!ctx->engine || p->numa == VF_NUMA_IGNORE)
		return;
	_cleanup_free_ char *err = NULL;
	if (vf_engine_vm_placement(ctx->engine, vm, now, pl, &err) == 0)
		return;
	pl->source = VF_PIN_NONE;
	log_line(r, "%s: VM %s: NUMA placement: %s; NUMA not considered", unit, vm, err);
	plugin_error_due(r, unit, "placement",
			 xasprintf("VM NUMA placement: the engine API did not answer (the vfcap-filter log says why); "
				   "NUMA not considered"));
}

/* A vCPU-pinned VM's nodes on each host that has enough free VFs without NUMA (v: judged
 * without it; the others are decided already, and each host asked costs a topology request);
 * 0 for the rest. A host whose topology the engine does not give gets 0 (NUMA not considered
 * there), logged and told once per call. After a failure other than "no such host" (404), the
 * rest are not asked: a down or slow engine is not asked once per host. */
static void hosts_nodes(struct vf_filter_ctx *ctx, const char *unit, const struct call_args *a,
			const struct vf_vm_placement *pl, const struct vf_verdict *v, time_t now, struct reply *r,
			uint64_t *nodes)
{
	size_t failed = 0;
	bool give_up = false;
	for (size_t i = 0; i < a->n_hosts; i++) {
		_cleanup_free_ char *err = NULL;
		nodes[i] = 0;
		if (v[i].missing || v[i].left < 0)
			continue;
		int e = give_up ? -ECANCELED : vf_engine_vm_nodes_on(ctx->engine, pl, a->hosts[i], now, &nodes[i], &err);
		if (e == 0)
			continue;
		give_up = give_up || e != -ENOENT;
		if (++failed <= MAX_HOST_LINES)
			log_line(r, "%s: host %s: NUMA topology: %s; NUMA not considered there", unit, a->hosts[i],
				 err ? err : "not asked after the engine failed");
	}
	if (failed > MAX_HOST_LINES)
		log_line(r, "%s: ... and %zu more host(s) without a NUMA topology", unit, failed - MAX_HOST_LINES);
	if (failed)
		plugin_error_due(r, unit, "topology",
				 xasprintf("host NUMA topology: the engine API did not answer for %zu host(s) (the "
					   "vfcap-filter log says why); NUMA not considered there", failed));
}

/* The service's log, on every call: the hosts without a usable count with the whole reason,
 * the first MAX_HOST_LINES by name and a count for the rest. */
static void log_missing(const struct reply *r, const char *unit, const struct call_args *a,
			const struct vf_verdict *v, const struct vf_policy *p)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n_hosts; i++) {
		if (!v[i].missing || ++n > MAX_HOST_LINES)
			continue;
		log_line(r, "%s: host %s: %s (%s by on_missing=%s)", unit, a->hosts[i], v[i].reason,
			 v[i].decision == VF_PASS ? "accepted" : "rejected", p->accept_missing ? "accept" : "reject");
	}
	if (n > MAX_HOST_LINES)
		log_line(r, "%s: ... and %zu more host(s) without a usable report", unit, n - MAX_HOST_LINES);
}

/* The engine's audit log: the hosts rejected for this kind of reason whose message is due,
 * one message each, or one for all when there are many. */
static void report_rejected(struct reply *r, const char *unit, const struct call_args *a,
			    const struct vf_verdict *v, enum vf_missing kind, size_t *due)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n_hosts; i++) {
		if (!v[i].missing || v[i].decision != VF_REJECT || v[i].kind != kind)
			continue;
		_cleanup_free_ char *key = xasprintf("%s\x1f%d", a->hosts[i], (int)kind);
		if (vf_audit_due(r->ctx->audit, key, r->now))
			due[n++] = i;
	}
	const char *what = vf_missing_text(kind);
	if (n <= MAX_HOST_MESSAGES) {
		for (size_t k = 0; k < n; k++)
			plugin_error(r, unit, xasprintf("host %s rejected: %s (on_missing=reject)", a->hosts[due[k]], what));
		return;
	}
	plugin_error(r, unit, xasprintf("%zu hosts rejected: %s (on_missing=reject), among them %s, %s and %s",
					n, what, a->hosts[due[0]], a->hosts[due[1]], a->hosts[due[2]]));
}

static void report_missing(struct reply *r, const char *unit, const struct call_args *a,
			   const struct vf_verdict *v, const struct vf_policy *p, bool filtering)
{
	log_missing(r, unit, a, v, p);
	if (!filtering || p->accept_missing)
		return; /* a score ranks such hosts last; accepted ones the admin chose to let pass */
	_cleanup_free_ size_t *due = xcalloc(a->n_hosts, sizeof *due);
	static const enum vf_missing kinds[] = { VF_NO_REPORT, VF_STALE, VF_NO_FREE_COUNT };
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++)
		report_rejected(r, unit, a, v, kinds[k], due);
}

/* The service's log: one line for the hosts numa=required rejected though they had enough free
 * VFs, the first with the nodes needed and what each had (`run --explain` gives every host):
 * one write per call, where a line per host cost 0.04 ms at 1,000 hosts (make bench). */
static void log_numa_rejected(const struct reply *r, const char *unit, const struct call_args *a,
			      struct vf_verdict *v, const struct vf_policy *p, int demand)
{
	size_t n = 0, first = 0;
	for (size_t i = 0; i < a->n_hosts; i++)
		if (!v[i].missing && v[i].decision == VF_REJECT && v[i].left >= 0 && n++ == 0)
			first = i;
	if (n)
		log_line(r, "%s: %zu host(s) rejected by numa=required, e.g. host %s: %s", unit, n, a->hosts[first],
			 vf_verdict_reason(&v[first], p, demand));
}

/* Judge every host; pass[i] set for those that pass. Returns false when the unit could not
 * decide (its error is in r) and must not filter. */
static bool judge_hosts(struct vf_filter_ctx *ctx, const char *unit, const struct call_args *a, time_t now,
			struct reply *r, struct vf_verdict *verdicts, bool filtering)
{
	struct vf_policy p;
	_cleanup_free_ char *err = NULL;
	if (vf_policy_from_props(a->props, &p, &err) < 0) {
		log_line(r, "%s: %s; the unit does not decide", unit, err);
		plugin_error_due(r, unit, err, TAKE_PTR(err));
		return false;
	}
	int demand = vm_demand(ctx, unit, a->vm, &p, now, r);
	if (demand == 0 || a->n_hosts == 0) {
		for (size_t i = 0; i < a->n_hosts; i++)
			vf_judge(NULL, &p, 0, 0, now, &verdicts[i]);
		return true;
	}
	struct vf_vm_placement pl;
	vm_placement(ctx, unit, a->vm, &p, now, r, &pl);
	/* vNUMA pins are the same nodes on every host; vCPU pins are worked out per host below */
	uint64_t same = pl.source == VF_PIN_VNUMA ? pl.nodes : 0;
	_cleanup_free_ struct vf_host_entry **caps = xcalloc(a->n_hosts, sizeof *caps);
	vf_sources_lookup(ctx->sources, a->hosts, a->n_hosts, now, caps);
	for (size_t i = 0; i < a->n_hosts; i++)
		vf_judge(caps[i], &p, demand, same, now, &verdicts[i]);
	_cleanup_free_ uint64_t *nodes = xcalloc(a->n_hosts, sizeof *nodes);
	if (pl.source == VF_PIN_VCPU)
		hosts_nodes(ctx, unit, a, &pl, verdicts, now, r, nodes);
	for (size_t i = 0; i < a->n_hosts; i++) {
		if (nodes[i]) /* judged again, NUMA counted */
			vf_judge(caps[i], &p, demand, nodes[i], now, &verdicts[i]);
		vf_entry_unref(caps[i]);
	}
	report_missing(r, unit, a, verdicts, &p, filtering);
	if (filtering && p.numa == VF_NUMA_REQUIRED)
		log_numa_rejected(r, unit, a, verdicts, &p, demand);
	return true;
}

static enum vf_host_reason host_reason(const struct vf_verdict *v)
{
	if (v->missing)
		return v->kind == VF_STALE	   ? VF_REASON_STALE
		       : v->kind == VF_NO_FREE_COUNT ? VF_REASON_NO_FREE_COUNT
						     : VF_REASON_NO_REPORT;
	if (v->free < 0) /* not missing, not counted: vf_judge's demand 0 */
		return VF_REASON_NO_DEMAND;
	return v->decision == VF_PASS ? VF_REASON_ENOUGH_FREE : VF_REASON_TOO_FEW_FREE;
}

/* /metrics' hosts by reason: only when our filter was asked for (other units pass hosts through
 * without a judgement of ours). */
static void count_hosts(const struct call_args *a, const struct vf_verdict *v, bool filtered,
			struct vf_call_stats *st)
{
	for (size_t i = 0; i < a->n_hosts; i++) {
		if (!filtered)
			st->hosts[0][VF_REASON_UNDECIDED]++;
		else
			st->hosts[v[i].decision == VF_PASS ? 0 : 1][host_reason(&v[i])]++;
	}
}

static void run_filters(struct vf_filter_ctx *ctx, const struct call_args *a, time_t now, struct rpc_writer *w,
			struct vf_call_stats *st)
{
	struct reply r = { .ctx = ctx, .method = "runFilters", .now = now };
	_cleanup_free_ struct vf_verdict *v = xcalloc(a->n_hosts ? a->n_hosts : 1, sizeof *v);
	bool filtered = false, asked = false;
	for (size_t i = 0; i < a->units->array.n; i++) {
		const char *name = rpc_string(&a->units->array.v[i]);
		asked = asked || (name && streq(name, VF_FILTER_UNIT));
		if (name && streq(name, VF_FILTER_UNIT) && !filtered)
			filtered = judge_hosts(ctx, VF_FILTER_UNIT, a, now, &r, v, true);
		else if (!name || !streq(name, VF_FILTER_UNIT))
			not_found(&r, name);
	}
	if (asked)
		count_hosts(a, v, filtered, st);
	st->plugin_errors = r.n_units > 0;
	begin_reply(w, &r);
	rpc_begin_array(w);
	for (size_t i = 0; i < a->n_hosts; i++)
		if (!filtered || v[i].decision == VF_PASS) {
			rpc_string_value(w, a->hosts[i]);
			st->hosts_out++;
		}
	rpc_end_array(w);
	end_reply(w);
	reply_clear(&r);
}

/* [[name, weight], ...]: whether our score unit is asked for; other units are reported. The
 * weight itself is not used here: see run_cost_functions. */
static bool score_asked(const struct rpc_value *units, struct reply *r)
{
	bool asked = false;
	for (size_t i = 0; i < units->array.n; i++) {
		const struct rpc_value *pair = &units->array.v[i];
		const char *name = pair->type == RPC_ARRAY && pair->array.n == 2 ? rpc_string(&pair->array.v[0]) : NULL;
		const struct rpc_value *wv = name ? &pair->array.v[1] : NULL;
		if (!name || wv->type != RPC_INT)
			plugin_error_due(r, "?", "pair", xasprintf("cost_functions[%zu]: not a [name, integer weight] pair", i));
		else if (!streq(name, VF_SCORE_UNIT))
			not_found(r, name);
		else
			asked = true;
	}
	return asked;
}

/* Each host as [host, score, unit name], the score unweighted. The name makes the engine (4.1
 * and later) record the score under our policy unit and apply the policy's factor itself, once:
 * RankSelector ranks the hosts by this unit's scores and adds factor x rank, the weighting
 * selector adds factor x score (SchedulingManager.sumScoreResults; policyunits/
 * RankSelectorPolicyUnit.java, BasicWeightSelectorPolicyUnit.java). A [host, score] pair
 * would be recorded under no unit at factor 1, where RankSelector throws the weight away. */
static void run_cost_functions(struct vf_filter_ctx *ctx, const struct call_args *a, time_t now,
			       struct rpc_writer *w, struct vf_call_stats *st)
{
	struct reply r = { .ctx = ctx, .method = "runCostFunctions", .now = now };
	bool asked = score_asked(a->units, &r);
	size_t n = a->n_hosts ? a->n_hosts : 1;
	_cleanup_free_ struct vf_verdict *v = xcalloc(n, sizeof *v);
	_cleanup_free_ int64_t *score = xcalloc(n, sizeof *score);
	bool scored = asked && judge_hosts(ctx, VF_SCORE_UNIT, a, now, &r, v, false);
	if (scored)
		vf_headroom_scores(v, a->n_hosts, score);
	st->plugin_errors = r.n_units > 0;
	begin_reply(w, &r);
	rpc_begin_array(w);
	for (size_t i = 0; scored && i < a->n_hosts; i++) {
		rpc_begin_array(w);
		rpc_string_value(w, a->hosts[i]);
		rpc_int_value(w, score[i]);
		rpc_string_value(w, VF_SCORE_UNIT);
		rpc_end_array(w);
		st->hosts_out++;
	}
	rpc_end_array(w);
	end_reply(w);
	reply_clear(&r);
}

/* vfcap offers no balancing unit: every request names one we do not have. */
static void run_load_balancing(struct vf_filter_ctx *ctx, const struct call_args *a, time_t now,
			       struct rpc_writer *w, struct vf_call_stats *st)
{
	struct reply r = { .ctx = ctx, .method = "runLoadBalancing", .now = now };
	not_found(&r, rpc_string(a->units));
	st->plugin_errors = r.n_units > 0;
	begin_reply(w, &r);
	rpc_begin_array(w);
	rpc_string_value(w, "");
	rpc_begin_array(w);
	rpc_end_array(w);
	rpc_end_array(w);
	end_reply(w);
	reply_clear(&r);
}

void vf_filter_call(struct vf_filter_ctx *ctx, const struct rpc_call *call, time_t now, struct rpc_writer *w,
		    struct vf_call_stats *st)
{
	snprintf(st->method, sizeof st->method, "%s", call->method);
	if (streq(call->method, "discover")) {
		discover(w);
		return;
	}
	bool filters = streq(call->method, "runFilters"), costs = streq(call->method, "runCostFunctions");
	if (!filters && !costs && !streq(call->method, "runLoadBalancing")) {
		st->fault = true;
		snprintf(st->method, sizeof st->method, "(unknown)");
		rpc_fault(w, VF_FAULT_NO_METHOD, "unknown method");
		return;
	}
	struct call_args a = { 0 };
	_cleanup_free_ char *err = NULL;
	int r = call_args(call, filters || costs, &a, &err);
	if (r == 0 && (filters || costs) && a.units->type != RPC_ARRAY)
		r = set_error(&err, -EINVAL, "%s: not an array", filters ? "filters" : "cost_functions");
	st->hosts_in = a.n_hosts;
	if (r < 0) {
		st->fault = true;
		rpc_fault(w, VF_FAULT_INVALID_PARAMS, "%s: %s", call->method, err);
	} else if (filters) {
		run_filters(ctx, &a, now, w, st);
	} else if (costs) {
		run_cost_functions(ctx, &a, now, w, st);
	} else {
		run_load_balancing(ctx, &a, now, w, st);
	}
	free(a.hosts);
}
