/* SPDX-License-Identifier: MIT */
/* The cluster view of `GET /metrics` (metrics.h): per host, per label and in all, what the
 * reports the filter holds say, and how old they are. A host's count that its report could not
 * make (null) has no series rather than a made-up 0, as in the reporter's own output. */
#include <inttypes.h>
#include <string.h>

#include "metrics.h"
#include "prom.h"
#include "util.h"

/* Report ages, seconds: the reporter's interval is 60 s by default, max_report_age 300 s. */
#define AGE_BUCKETS 8
static const int age_bounds[AGE_BUCKETS] = { 60, 120, 300, 600, 1800, 3600, 21600, 86400 };

struct label_sum {
	const char *name; /* points into a held entry */
	long usable, free;
};

struct cluster {
	size_t ok, stale, missing;
	long usable, free, truncated, dirty, no_link, shared_iommu;
	struct label_sum labels[VF_CLUSTER_LABELS_MAX];
	size_t n_labels;
	uint64_t ages[AGE_BUCKETS + 1];
	double age_sum;
	size_t n_ages;
};

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}


static struct label_sum *label_of(struct cluster *c, const char *name)
{
	if (!name || !*name)
		return NULL;
	for (size_t i = 0; i < c->n_labels; i++)
		if (streq(c->labels[i].name, name))
			return &c->labels[i];
	if (c->n_labels == VF_CLUSTER_LABELS_MAX)
		return NULL;
	c->labels[c->n_labels] = (struct label_sum){ .name = name };
	return &c->labels[c->n_labels++];
}

/* A PF counts under its physical_network and its fabric, as the policy's label matches
 * either; once when both are the same. */
static void add_labels(struct cluster *c, const struct vf_host_entry *h)
{
	for (size_t i = 0; i < h->n_pfs; i++) {
		const struct vf_entry_pf *pf = &h->pfs[i];
		const char *names[2] = { pf->physical_network, pf->fabric };
		for (int k = 0; k < 2; k++) {
			struct label_sum *l = label_of(c, names[k]);
			if (!l || (k == 1 && names[0] && streq(names[0], names[1])))
				continue;
			l->usable += pf->usable > 0 ? pf->usable : 0;
			l->free += pf->free > 0 ? pf->free : 0;
		}
	}
}

static int truncated_pfs(const struct vf_host_entry *h)
{
	int n = 0;
	for (size_t i = 0; i < h->n_pfs; i++)
		n += h->pfs[i].truncated;
	return n;
}

static void add_host(struct cluster *c, const struct vf_host_entry *h, const struct vf_metrics_input *in)
{
	if (h->error) {
		c->missing++;
		return;
	}
	long age = in->now > h->generated_at ? (long)(in->now - h->generated_at) : 0;
	if (in->stale_after > 0 && age > in->stale_after)
		c->stale++;
	else
		c->ok++;
	size_t b = 0;
	while (b < AGE_BUCKETS && age > age_bounds[b])
		b++;
	c->ages[b]++;
	c->age_sum += age;
	c->n_ages++;
	c->usable += h->usable > 0 ? h->usable : 0;
	c->free += h->free > 0 ? h->free : 0;
	c->truncated += truncated_pfs(h);
	/* null (or a version-1 report: no dirty count, no_link and shared_iommu 0) adds nothing */
	c->dirty += h->dirty > 0 ? h->dirty : 0;
	c->no_link += h->free >= 0 && h->no_link > 0 ? h->no_link : 0;
	c->shared_iommu += h->free >= 0 && h->shared_iommu > 0 ? h->shared_iommu : 0;
	add_labels(c, h);
}

static int h_usable(const struct vf_host_entry *h) { return h->usable; }
static int h_free(const struct vf_host_entry *h) { return h->free; }

/* A count per host; a negative one (the report's null) has no series. Dirty, dead-link and
 * shared-group VFs are cluster totals only: each host's reporter has them per PF, and three
 * more series per host would grow the scrape by 60% (5 per host today). */
struct host_count {
	const char *name, *help;
	int (*get)(const struct vf_host_entry *h);
};

static const struct host_count host_counts[] = {
	{ "vfcap_cluster_host_usable_vfs", "VFs the host's report counts as usable.", h_usable },
	{ "vfcap_cluster_host_free_vfs", "VFs the host's report counts as free.", h_free },
	{ "vfcap_cluster_host_truncated_pfs",
	  "PFs of the host whose netlink VF list was cut short (the kernel's 64 KiB attribute limit).", truncated_pfs },
};

static void per_host(FILE *f, const struct vf_metrics_input *in)
{
	family(f, "vfcap_cluster_host_reported", "gauge",
	       "1 when the filter holds a readable report of the host, 0 when only an error (no file, unreadable, "
	       "fetch failed).");
	for (size_t i = 0; i < in->n_hosts; i++)
		vf_prom_series(f, "vfcap_cluster_host_reported", "host", in->hosts[i]->host_id, !in->hosts[i]->error);
	family(f, "vfcap_cluster_host_report_age_seconds", "gauge", "Seconds since the host's report was generated.");
	for (size_t i = 0; i < in->n_hosts; i++) {
		const struct vf_host_entry *h = in->hosts[i];
		if (!h->error)
			vf_prom_series(f, "vfcap_cluster_host_report_age_seconds", "host", h->host_id,
				       in->now > h->generated_at ? in->now - h->generated_at : 0);
	}
	for (size_t k = 0; k < ARRAY_SIZE(host_counts); k++) {
		const struct host_count *g = &host_counts[k];
		family(f, g->name, "gauge", g->help);
		for (size_t i = 0; i < in->n_hosts; i++) {
			const struct vf_host_entry *h = in->hosts[i];
			if (!h->error && g->get(h) >= 0)
				vf_prom_series(f, g->name, "host", h->host_id, g->get(h));
		}
	}
}

static void per_label(FILE *f, const struct cluster *c)
{
	family(f, "vfcap_cluster_label_usable_vfs", "gauge",
	       "Usable VFs of the PFs whose physical_network or fabric is the label, over the reported hosts.");
	for (size_t i = 0; i < c->n_labels; i++)
		vf_prom_series(f, "vfcap_cluster_label_usable_vfs", "label", c->labels[i].name, c->labels[i].usable);
	family(f, "vfcap_cluster_label_free_vfs", "gauge",
	       "Free VFs of the PFs whose physical_network or fabric is the label, over the reported hosts.");
	for (size_t i = 0; i < c->n_labels; i++)
		vf_prom_series(f, "vfcap_cluster_label_free_vfs", "label", c->labels[i].name, c->labels[i].free);
}

static void totals(FILE *f, const struct cluster *c)
{
	family(f, "vfcap_cluster_hosts", "gauge",
	       "Hosts the filter holds an entry for, by state (stale: report older than the default max_report_age; "
	       "missing: no readable report).");
	fprintf(f, "vfcap_cluster_hosts{state=\"ok\"} %zu\n", c->ok);
	fprintf(f, "vfcap_cluster_hosts{state=\"stale\"} %zu\n", c->stale);
	fprintf(f, "vfcap_cluster_hosts{state=\"missing\"} %zu\n", c->missing);
	family(f, "vfcap_cluster_usable_vfs", "gauge", "Usable VFs over the reported hosts.");
	fprintf(f, "vfcap_cluster_usable_vfs %ld\n", c->usable);
	family(f, "vfcap_cluster_free_vfs", "gauge", "Free VFs over the reported hosts.");
	fprintf(f, "vfcap_cluster_free_vfs %ld\n", c->free);
	family(f, "vfcap_cluster_truncated_pfs", "gauge", "PFs whose netlink VF list was cut short, over the reported hosts.");
	fprintf(f, "vfcap_cluster_truncated_pfs %ld\n", c->truncated);
	family(f, "vfcap_cluster_dirty_vfs", "gauge",
	       "VFs nothing holds that keep an earlier tenant's VLAN, QoS, rate, trust, spoofchk or link state, over the "
	       "reported hosts.");
	fprintf(f, "vfcap_cluster_dirty_vfs %ld\n", c->dirty);
	family(f, "vfcap_cluster_no_link_vfs", "gauge",
	       "Free VFs a VM would get with a dead link (PF down, or VF link_state disable), over the reported hosts.");
	fprintf(f, "vfcap_cluster_no_link_vfs %ld\n", c->no_link);
	family(f, "vfcap_cluster_shared_iommu_vfs", "gauge",
	       "Free VFs whose IOMMU group holds other devices (not for hostdev passthrough alone), over the reported "
	       "hosts.");
	fprintf(f, "vfcap_cluster_shared_iommu_vfs %ld\n", c->shared_iommu);
	family(f, "vfcap_filter_report_age_seconds", "histogram", "Ages of the reports the filter holds, at the scrape.");
	uint64_t cum = 0;
	for (int b = 0; b < AGE_BUCKETS; b++) {
		cum += c->ages[b];
		fprintf(f, "vfcap_filter_report_age_seconds_bucket{le=\"%d\"} %" PRIu64 "\n", age_bounds[b], cum);
	}
	fprintf(f, "vfcap_filter_report_age_seconds_bucket{le=\"+Inf\"} %zu\n", c->n_ages);
	fprintf(f, "vfcap_filter_report_age_seconds_sum %.0f\nvfcap_filter_report_age_seconds_count %zu\n", c->age_sum,
		c->n_ages);
}

void vf_metrics_cluster(FILE *f, const struct vf_metrics_input *in)
{
	_cleanup_free_ struct cluster *c = xcalloc(1, sizeof *c);
	for (size_t i = 0; i < in->n_hosts; i++)
		add_host(c, in->hosts[i], in);
	totals(f, c);
	per_label(f, c);
	per_host(f, in);
}
