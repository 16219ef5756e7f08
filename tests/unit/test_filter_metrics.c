/* SPDX-License-Identifier: MIT */
/* filter/metrics.c and metrics-cluster.c: the text of a scrape against a golden file
 * (tests/unit/metrics/scrape.prom; VFCAP_REGEN=1 rewrites it), and what a call counts under. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"
#include "model.h"
#include "read-fixture.h"
#include "util.h"

#define NOW 1795000000
#define GOLDEN_DIR "tests/unit/metrics"

/* A host with PFs (name, physnet, fabric, usable, free, truncated). */
static struct vf_host_entry *host(const char *id, time_t generated, int usable, int free, int n, ...)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	h->generated_at = generated;
	h->totals.usable = usable;
	h->totals.free = free;
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		struct vf_pf *pf = vf_host_add_pf(h, va_arg(ap, const char *));
		const char *physnet = va_arg(ap, const char *), *fabric = va_arg(ap, const char *);
		pf->physical_network = physnet ? xstrdup(physnet) : NULL;
		pf->fabric = fabric ? xstrdup(fabric) : NULL;
		pf->usable = va_arg(ap, int);
		pf->free = va_arg(ap, int);
		pf->nl.valid = true;
		pf->nl.truncated = va_arg(ap, int);
	}
	va_end(ap);
	return vf_entry_from_host(h, id);
}

static void call(struct vf_metrics *m, const char *method, bool fault, bool plugin_errors, double seconds)
{
	struct vf_call_stats st = { .fault = fault, .plugin_errors = plugin_errors };
	snprintf(st.method, sizeof st.method, "%s", method);
	vf_metrics_call(m, &st, seconds);
}

static void test_scrape_golden(void **state)
{
	struct vf_metrics m;
	vf_metrics_init(&m);
	call(&m, "discover", false, false, 0.0004);
	call(&m, "runFilters", false, true, 0.003);
	call(&m, "runFilters", false, false, 12.5);
	call(&m, "runCostFunctions", false, false, 0.02);
	call(&m, "runLoadBalancing", false, true, 0.0001);
	call(&m, "(unknown)", true, false, 0.0002);
	call(&m, "-", true, false, 0.0001); /* over max_body */
	struct vf_call_stats judged = { .method = "runFilters" };
	judged.hosts[0][VF_REASON_ENOUGH_FREE] = 7;
	judged.hosts[1][VF_REASON_TOO_FEW_FREE] = 2;
	judged.hosts[1][VF_REASON_STALE] = 1;
	judged.hosts[0][VF_REASON_NO_REPORT] = 3;
	vf_metrics_call(&m, &judged, 0.001);

	/* sorted by host id, as vf_sources_all gives them */
	struct vf_host_entry *hosts[] = {
		host("a-ok", NOW - 30, 128, 9, 2, "ens1f0", "physnet1", "A", 64, 5, 0, "ens1f1", "phys\"net\\2\n", NULL,
		     64, 4, 1),
		vf_entry_error("b-missing", "reports/b-missing.json: JSON: byte 3: unexpected end"),
		host("c-stale", NOW - 1000, 64, -1, 1, "ens2f0", "physnet1", "physnet1", 64, -1, 0),
		host("d-nolabels", NOW - 200, 8, 8, 1, "eth0", NULL, NULL, 8, 8, 0),
	};
	/* cluster totals: a-ok's dirty, dead-link and shared-group VFs; c-stale has no free count,
	 * so its other two add nothing (and its dirty is null); d-nolabels is like a version-1 report
	 * (dirty unknown, the others 0) */
	hosts[0]->dirty = 3, hosts[0]->no_link = 2, hosts[0]->shared_iommu = 1;
	hosts[2]->no_link = 5, hosts[2]->shared_iommu = 5;
	struct vf_metrics_input in = {
		.sources = { .scans = 5, .full_scans = 2, .scan_errors = 1, .files_read = 40, .entries = 3,
			     .http_requests = 20, .http_not_modified = 6, .http_errors = 4, .http_cached = 2,
			     .http_late = 3, .http_late_lookups = 1, .http_backoff = 8, .http_fetching = 1,
			     .http_following = 1, .http_polls = 1, .http_polls_changed = 12,
			     .http_polls_unchanged = 30, .http_polls_failed = 2, .http_fallbacks = 1 },
		.hosts = hosts, .n_hosts = ARRAY_SIZE(hosts), .now = NOW, .stale_after = 300, .slow_closed = 2,
	};
	/* a-ok followed (age 0 however old its last answer), c-stale fetched 45 s ago */
	const struct vf_http_host http_hosts[] = { { hosts[0], NOW - 400, true }, { hosts[2], NOW - 45, false } };
	in.http_hosts = http_hosts;
	in.n_http_hosts = ARRAY_SIZE(http_hosts);
	_cleanup_free_ char *text = vf_metrics_text(&m, &in);
	assert_non_null(text);
	for (size_t i = 0; i < ARRAY_SIZE(hosts); i++)
		vf_entry_unref(hosts[i]);
	vf_metrics_destroy(&m);

	const char *regen = getenv("VFCAP_REGEN");
	if (regen && streq(regen, "1")) {
		FILE *f = fopen(GOLDEN_DIR "/scrape.prom", "w");
		assert_non_null(f);
		fputs(text, f);
		assert_int_equal(fclose(f), 0);
	}
	_cleanup_free_ char *want = read_fixture_file(GOLDEN_DIR, "scrape.prom", NULL);
	assert_string_equal(text, want);
}

/* Method names outside the four are one "other"; an empty scrape has every fixed series. */
static void test_other_and_empty(void **state)
{
	struct vf_metrics m;
	vf_metrics_init(&m);
	call(&m, "system.listMethods", true, false, 0.5);
	struct vf_metrics_input in = { .now = NOW, .stale_after = 300 };
	_cleanup_free_ char *text = vf_metrics_text(&m, &in);
	vf_metrics_destroy(&m);
	assert_non_null(strstr(text, "\nvfcap_filter_calls_total{method=\"other\",outcome=\"fault\"} 1\n"));
	assert_non_null(strstr(text, "\nvfcap_filter_call_duration_seconds_bucket{method=\"other\",le=\"0.25\"} 0\n"));
	assert_non_null(strstr(text, "\nvfcap_filter_call_duration_seconds_bucket{method=\"other\",le=\"0.5\"} 1\n"));
	assert_non_null(strstr(text, "\nvfcap_cluster_hosts{state=\"missing\"} 0\n"));
	assert_null(strstr(text, "{host="));
	assert_null(strstr(text, "{label="));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scrape_golden),
		cmocka_unit_test(test_other_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
