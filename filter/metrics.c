/* SPDX-License-Identifier: MIT */
/* The vfcap_filter_* families of `GET /metrics` (metrics.h): the service's counters, kept under
 * one mutex (a call takes it once, for a few additions: nothing next to parsing its XML), and
 * the report sources' counters, read at scrape time. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "util.h"

static const double call_bounds[VF_CALL_BUCKETS] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
						     0.1,   0.25,   0.5,   1,    2.5,   10 };

static const char *const method_names[VF_METHODS] = {
	[VF_METHOD_DISCOVER] = "discover",
	[VF_METHOD_RUN_FILTERS] = "runFilters",
	[VF_METHOD_RUN_COST_FUNCTIONS] = "runCostFunctions",
	[VF_METHOD_RUN_LOAD_BALANCING] = "runLoadBalancing",
	[VF_METHOD_OTHER] = "other",
};

static const char *const outcome_names[VF_OUTCOMES] = {
	[VF_OUTCOME_OK] = "ok",
	[VF_OUTCOME_PLUGIN_ERRORS] = "plugin_errors",
	[VF_OUTCOME_FAULT] = "fault",
};

void vf_metrics_init(struct vf_metrics *m)
{
	memset(m, 0, sizeof *m);
	pthread_mutex_init(&m->lock, NULL);
}

void vf_metrics_destroy(struct vf_metrics *m)
{
	pthread_mutex_destroy(&m->lock);
}

static enum vf_metric_method method_of(const char *name)
{
	for (int i = 0; i < VF_METHOD_OTHER; i++)
		if (streq(name, method_names[i]))
			return i;
	return VF_METHOD_OTHER;
}

void vf_metrics_call(struct vf_metrics *m, const struct vf_call_stats *st, double seconds)
{
	enum vf_metric_method meth = method_of(st->method);
	enum vf_metric_outcome out = st->fault ? VF_OUTCOME_FAULT
				     : st->plugin_errors ? VF_OUTCOME_PLUGIN_ERRORS
							 : VF_OUTCOME_OK;
	size_t b = 0;
	while (b < VF_CALL_BUCKETS && seconds > call_bounds[b])
		b++;
	pthread_mutex_lock(&m->lock);
	m->calls[meth][out]++;
	m->latency[meth][b]++;
	m->latency_sum[meth] += seconds;
	for (int v = 0; v < 2; v++)
		for (int r = 0; r < VF_HOST_REASONS; r++)
			m->hosts[v][r] += st->hosts[v][r];
	pthread_mutex_unlock(&m->lock);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void calls(FILE *f, const struct vf_metrics *m)
{
	family(f, "vfcap_filter_calls_total", "counter",
	       "XML-RPC calls answered, by method (other: unknown, unparsable or over max_body) and outcome "
	       "(ok: result_code 0, plugin_errors: result_code 1, fault).");
	for (int i = 0; i < VF_METHODS; i++)
		for (int o = 0; o < VF_OUTCOMES; o++)
			fprintf(f, "vfcap_filter_calls_total{method=\"%s\",outcome=\"%s\"} %" PRIu64 "\n",
				method_names[i], outcome_names[o], m->calls[i][o]);
	family(f, "vfcap_filter_call_duration_seconds", "histogram",
	       "Seconds from a call's first byte to its answer being queued, by method.");
	for (int i = 0; i < VF_METHODS; i++) {
		uint64_t cum = 0;
		for (int b = 0; b <= VF_CALL_BUCKETS; b++) {
			cum += m->latency[i][b];
			fprintf(f, "vfcap_filter_call_duration_seconds_bucket{method=\"%s\",le=\"", method_names[i]);
			if (b < VF_CALL_BUCKETS)
				fprintf(f, "%g\"} %" PRIu64 "\n", call_bounds[b], cum);
			else
				fprintf(f, "+Inf\"} %" PRIu64 "\n", cum);
		}
		fprintf(f, "vfcap_filter_call_duration_seconds_sum{method=\"%s\"} %.6f\n", method_names[i],
			m->latency_sum[i]);
		fprintf(f, "vfcap_filter_call_duration_seconds_count{method=\"%s\"} %" PRIu64 "\n", method_names[i], cum);
	}
}

static void hosts(FILE *f, const struct vf_metrics *m)
{
	family(f, "vfcap_filter_hosts_total", "counter",
	       "Hosts runFilters passed or rejected, by reason (no_report, stale, no_free_count: decided by "
	       "on_missing; undecided: the unit could not decide and filtered none).");
	for (int v = 0; v < 2; v++)
		for (int r = 0; r < VF_HOST_REASONS; r++) {
			/* a host with too few VFs is never passed; one is rejected only by a judgement */
			if ((v == 0 && r == VF_REASON_TOO_FEW_FREE) ||
			    (v == 1 && (r == VF_REASON_ENOUGH_FREE || r == VF_REASON_NO_DEMAND || r == VF_REASON_UNDECIDED)))
				continue;
			fprintf(f, "vfcap_filter_hosts_total{verdict=\"%s\",reason=\"%s\"} %" PRIu64 "\n",
				v ? "rejected" : "passed", vf_host_reason_name(r), m->hosts[v][r]);
		}
}

static void counter(FILE *f, const char *name, const char *help, unsigned long v)
{
	family(f, name, "counter", help);
	fprintf(f, "%s %lu\n", name, v);
}

static void sources(FILE *f, const struct vf_source_stats *s, uint64_t slow_closed)
{
	family(f, "vfcap_filter_report_fetches_total", "counter",
		"Report fetches from the hosts' reporters that ended, by outcome (not_modified: a 304 kept the "
		"cached report; error: HTTP status, timeout, parse or address failure).");
	unsigned long ok = s->http_requests - s->http_not_modified - s->http_errors;
	fprintf(f, "vfcap_filter_report_fetches_total{outcome=\"ok\"} %lu\n", ok);
	fprintf(f, "vfcap_filter_report_fetches_total{outcome=\"not_modified\"} %lu\n", s->http_not_modified);
	fprintf(f, "vfcap_filter_report_fetches_total{outcome=\"error\"} %lu\n", s->http_errors);
	family(f, "vfcap_filter_report_fetches_in_flight", "gauge", "Report fetches queued or running.");
	fprintf(f, "vfcap_filter_report_fetches_in_flight %lu\n", s->http_fetching);
	counter(f, "vfcap_filter_deadline_hits_total",
		"Lookups whose call_deadline passed while fetches for them were still running.", s->http_late_lookups);
	counter(f, "vfcap_filter_deadline_hosts_total",
		"Hosts judged as missing because their fetch had not ended by the call_deadline.", s->http_late);
	counter(f, "vfcap_filter_backoff_hosts_total",
		"Hosts answered from the cache without waiting: their last fetch failed or missed a deadline.",
		s->http_backoff);
	family(f, "vfcap_filter_reports_held", "gauge", "Hosts whose entry (a report or an error) a source holds.");
	fprintf(f, "vfcap_filter_reports_held{source=\"dir\"} %lu\n", s->entries);
	fprintf(f, "vfcap_filter_reports_held{source=\"http\"} %lu\n", s->http_cached);
	family(f, "vfcap_filter_dir_scans_total", "counter",
	       "Report directory tables published, by kind (full: the whole directory read; changes: only the "
	       "files inotify named).");
	fprintf(f, "vfcap_filter_dir_scans_total{kind=\"full\"} %lu\n", s->full_scans);
	fprintf(f, "vfcap_filter_dir_scans_total{kind=\"changes\"} %lu\n", s->scans - s->full_scans);
	counter(f, "vfcap_filter_dir_scan_errors_total", "Scans that could not read the report directory.",
		s->scan_errors);
	counter(f, "vfcap_filter_dir_files_read_total", "Report files read (unchanged files are not read again).",
		s->files_read);
	counter(f, "vfcap_filter_slow_clients_closed_total",
		"Connections closed because their request was incomplete request_timeout seconds after its first byte.",
		(unsigned long)slow_closed);
}

/* Following (source-http-follow.c): the long-polls, and per host how current its entry is. */
static void follow(FILE *f, const struct vf_metrics_input *in)
{
	const struct vf_source_stats *s = &in->sources;
	family(f, "vfcap_filter_report_polls_total", "counter",
	       "Long-polls on the hosts' reporters that ended, by outcome (changed: a 200 replaced the report, the "
	       "wake-ups that matter; unchanged: the wait ran out, a 304; failed: the host is fetched again).");
	fprintf(f, "vfcap_filter_report_polls_total{outcome=\"changed\"} %lu\n", s->http_polls_changed);
	fprintf(f, "vfcap_filter_report_polls_total{outcome=\"unchanged\"} %lu\n", s->http_polls_unchanged);
	fprintf(f, "vfcap_filter_report_polls_total{outcome=\"failed\"} %lu\n", s->http_polls_failed);
	family(f, "vfcap_filter_report_polls_outstanding", "gauge", "Long-polls queued or held by the reporters now.");
	fprintf(f, "vfcap_filter_report_polls_outstanding %lu\n", s->http_polls);
	family(f, "vfcap_filter_hosts_following", "gauge", "Hosts whose report a long-poll keeps current now.");
	fprintf(f, "vfcap_filter_hosts_following %lu\n", s->http_following);
	counter(f, "vfcap_filter_follow_fallbacks_total",
		"Hosts whose reporter did not hold a long-poll (no Preference-Applied): fetched per cache_max_age "
		"for fetch_backoff_max instead.", s->http_fallbacks);
	if (!in->n_http_hosts)
		return;
	family(f, "vfcap_filter_host_following", "gauge",
	       "1 when a long-poll keeps the host's report current, 0 when it is fetched per cache_max_age.");
	for (size_t i = 0; i < in->n_http_hosts; i++)
		fprintf(f, "vfcap_filter_host_following{host=\"%s\"} %d\n", in->http_hosts[i].cap->host_id,
			in->http_hosts[i].following);
	family(f, "vfcap_filter_host_report_age_seconds", "gauge",
	       "Seconds since the filter last knew the host's entry current: 0 while followed, else since its "
	       "last fetch or revalidation.");
	for (size_t i = 0; i < in->n_http_hosts; i++) {
		const struct vf_http_host *h = &in->http_hosts[i];
		long age = h->following || in->now < h->fetched ? 0 : (long)(in->now - h->fetched);
		fprintf(f, "vfcap_filter_host_report_age_seconds{host=\"%s\"} %ld\n", h->cap->host_id, age);
	}
}

char *vf_metrics_text(struct vf_metrics *m, const struct vf_metrics_input *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	pthread_mutex_lock(&m->lock);
	struct vf_metrics copy = *m; /* counters only: the lock itself is not used from the copy */
	pthread_mutex_unlock(&m->lock);
	calls(f, &copy);
	hosts(f, &copy);
	sources(f, &in->sources, in->slow_closed);
	follow(f, in);
	vf_metrics_cluster(f, in);
	if (fclose(f) != 0) { /* out of memory: nothing leaked */
		free(buf);
		return NULL;
	}
	return buf;
}
