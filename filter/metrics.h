/* SPDX-License-Identifier: MIT */
/* `GET /metrics` of `vfcap-filter serve`: Prometheus text (exposition format 0.0.4).
 *
 * vfcap_filter_*: the service itself (calls by method and outcome, their latency, hosts passed
 * and rejected by reason, the report sources' counters, report ages). vfcap_cluster_*: what the
 * reports the filter holds say about the cluster, per host and per label, so that one scrape of
 * the filter shows every host's capacity where the hosts' reporters are firewalled. Not the
 * reporter's family names with a host label: a Prometheus that scrapes both would add them up
 * in sum(vfcap_host_free_vfs) and count every host twice.
 *
 * Every label value but host and label is from a fixed set (the enums below), so the series
 * are 5 per host (4 for a host with only an error), 2 per label (at most
 * VF_CLUSTER_LABELS_MAX), and 131 others: 10,000 hosts with 4 labels give 50,139 (tests/filter.sh,
filter_sizes, counts them). */
#pragma once

#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <time.h>

#include "source.h"
#include "methods.h"

/* The methods a call is counted under; anything else (an unknown method, a body that is not
 * XML-RPC, one over max_body) is "other". */
enum vf_metric_method {
	VF_METHOD_DISCOVER,
	VF_METHOD_RUN_FILTERS,
	VF_METHOD_RUN_COST_FUNCTIONS,
	VF_METHOD_RUN_LOAD_BALANCING,
	VF_METHOD_OTHER,
	VF_METHODS
};

/* ok: result_code 0; plugin_errors: result_code 1 (a unit's message to the engine); fault. */
enum vf_metric_outcome { VF_OUTCOME_OK, VF_OUTCOME_PLUGIN_ERRORS, VF_OUTCOME_FAULT, VF_OUTCOMES };

/* Call latency buckets, seconds: the engine waits for the filter up to its timeout, and
 * call_deadline (10 s by default) bounds the wait for reports. */
#define VF_CALL_BUCKETS 12

/* Distinct labels (physical_network, fabric) the cluster view sums per label: the labels come
 * from the hosts' configs, so a typo per host must not grow the series without bound. Labels
 * beyond it are left out of the per-label families (the per-host ones still count their VFs). */
#define VF_CLUSTER_LABELS_MAX 64

/* The service's counters, shared by its threads. */
struct vf_metrics {
	pthread_mutex_t lock;
	uint64_t calls[VF_METHODS][VF_OUTCOMES];
	uint64_t latency[VF_METHODS][VF_CALL_BUCKETS + 1]; /* per bucket, not cumulative; last: +Inf */
	double latency_sum[VF_METHODS];
	uint64_t hosts[2][VF_HOST_REASONS]; /* [0] passed, [1] rejected */
};

void vf_metrics_init(struct vf_metrics *m);
void vf_metrics_destroy(struct vf_metrics *m);
/* One XML-RPC call (or a POST refused before it was one: method "" or "-") that took seconds. */
void vf_metrics_call(struct vf_metrics *m, const struct vf_call_stats *st, double seconds);

/* What a scrape shows besides the counters. */
struct vf_metrics_input {
	struct vf_source_stats sources;
	struct vf_host_entry *const *hosts; /* vf_sources_all(), sorted by host id */
	size_t n_hosts;
	time_t now;
	int stale_after;      /* seconds: a report older is stale (the default max_report_age) */
	uint64_t slow_closed; /* connections cut by request_timeout (lib/http.h) */
};

/* The text of one scrape (caller frees), or NULL when out of memory. */
char *vf_metrics_text(struct vf_metrics *m, const struct vf_metrics_input *in);

/* metrics-cluster.c: the vfcap_cluster_* families and the report age histogram into f. */
void vf_metrics_cluster(FILE *f, const struct vf_metrics_input *in);
