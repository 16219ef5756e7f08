/* SPDX-License-Identifier: MIT */
/* vfcap-report's table and Prometheus output. Both are written into an open_memstream() so
 * the caller decides where the text goes (stdout, a file, an HTTP reply). */
#include "format.h"

#include <inttypes.h>
#include <string.h>

#include "advice.h"
#include "numa.h"
#include "prom.h"
#include "report.h"
#include "util.h"

/* Finish a memstream: the text, or NULL (and nothing leaked) when writing ran out of memory. */
static char *memstream_done(FILE *f, char **buf)
{
	if (fclose(f) != 0) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

/* ---- a text table with aligned columns ---- */

/* A row is ncols cells, or (cells == NULL) a verbatim line that does not count for widths. */
struct row {
	char **cells;
	char *line; /* with its newline(s) */
};

struct table {
	size_t ncols;
	const char *const *heads;
	const char *align; /* per column: 'l' or 'r' */
	struct row *rows;
	size_t n_rows;
};

static void table_add(struct table *t, char **cells, char *line)
{
	struct row *r = array_append(&t->rows, &t->n_rows, sizeof(*r));
	r->cells = cells;
	r->line = line;
}

/* Add a row of ncols cells, each an owned string (the vector is copied). */
static void table_add_row(struct table *t, char **cells)
{
	char **copy = xcalloc(t->ncols, sizeof(*copy));
	memcpy(copy, cells, t->ncols * sizeof(*copy));
	table_add(t, copy, NULL);
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n_rows; i++) {
		for (size_t c = 0; t->rows[i].cells && c < t->ncols; c++)
			free(t->rows[i].cells[c]);
		free(t->rows[i].cells);
		free(t->rows[i].line);
	}
	free(t->rows);
}

static void table_print_cells(FILE *f, const struct table *t, const char *indent,
			      const char *const *cells, const size_t *width)
{
	fputs(indent, f);
	for (size_t c = 0; c < t->ncols; c++) {
		bool last = c + 1 == t->ncols;
		/* no padding after the last column: lines carry no trailing blanks */
		int w = last && t->align[c] == 'l' ? 0 : (int)width[c];
		fprintf(f, t->align[c] == 'r' ? "%*s%s" : "%-*s%s", w, cells[c], last ? "\n" : "  ");
	}
}

static void table_print(FILE *f, const struct table *t, const char *indent)
{
	_cleanup_free_ size_t *width = xcalloc(t->ncols, sizeof(*width));
	for (size_t c = 0; c < t->ncols; c++)
		width[c] = strlen(t->heads[c]);
	for (size_t i = 0; i < t->n_rows; i++)
		for (size_t c = 0; t->rows[i].cells && c < t->ncols; c++)
			if (strlen(t->rows[i].cells[c]) > width[c])
				width[c] = strlen(t->rows[i].cells[c]);
	table_print_cells(f, t, indent, t->heads, width);
	for (size_t i = 0; i < t->n_rows; i++) {
		if (t->rows[i].cells)
			table_print_cells(f, t, indent, (const char *const *)t->rows[i].cells, width);
		else
			fputs(t->rows[i].line, f);
	}
}

/* ---- cell text ---- */

static char *cell_count(int v)
{
	return v == UNKNOWN ? xstrdup("?") : xasprintf("%d", v);
}

static char *cell_str(const char *s)
{
	return xstrdup(s && *s ? s : "-");
}

static char *cell_nl_listed(const struct vf_netlink *nl)
{
	return nl->valid ? xasprintf("%" PRIu32, nl->listed) : xstrdup("?");
}

/* limit 0 means the PF sends no VF list, so there is nothing to wrap */
static char *cell_nl_limit(const struct vf_netlink *nl)
{
	if (!nl->valid)
		return xstrdup("?");
	return nl->limit ? xasprintf("%" PRIu32, nl->limit) : xstrdup("-");
}

/* An advice line (lib/advice.c) as a table line under the PF, where the admin looks; NULL
 * stays NULL. */
static char *hint_line(char *advice)
{
	_cleanup_free_ char *a = advice;
	return a ? xasprintf("  ! %s\n", a) : NULL;
}

/* Under the PF row: the wrapped list's fix, a dead link, free VFs in shared IOMMU groups, then
 * each free VF left dirty. */
static void add_pf_hints(struct table *t, const struct vf_pf *pf)
{
	if (pf->nl.valid && pf->nl.truncated)
		table_add(t, NULL, hint_line(vf_advice_netlink_limit(pf)));
	char *line = hint_line(vf_advice_link_down(pf));
	if (line)
		table_add(t, NULL, line);
	if (pf->shared_iommu > 0)
		table_add(t, NULL,
			  xasprintf("  ! %d free VF%s share%s an IOMMU group with other devices: hostdev (PCI "
				    "passthrough) needs the whole group, so %s left to macvtap/direct vNICs\n",
				    pf->shared_iommu, pf->shared_iommu == 1 ? "" : "s",
				    pf->shared_iommu == 1 ? "s" : "", pf->shared_iommu == 1 ? "it is" : "they are"));
	for (size_t i = 0; i < pf->n_vfs; i++) {
		const struct vf_vf *vf = &pf->vfs[i];
		if (vf->state != VF_STATE_FREE && vf->state != VF_STATE_DIRTY)
			continue; /* a held VF's settings are its holder's */
		if ((line = hint_line(vf_advice_dirty(pf, vf))))
			table_add(t, NULL, line);
	}
}

/* ---- VF counts by state ---- */

/* The PF's VFs by state: the table's used columns and the Prometheus vfcap_pf_vfs family. */
static void pf_state_counts(const struct vf_pf *pf, int n[_VF_STATE_MAX])
{
	memset(n, 0, _VF_STATE_MAX * sizeof(*n));
	for (size_t v = 0; v < pf->n_vfs; v++)
		if ((unsigned)pf->vfs[v].state < _VF_STATE_MAX)
			n[pf->vfs[v].state]++;
}

/* used = assigned + pool + host + dirty (state dirty: only with `dirty = used`); a PF whose
 * used count is unknown (a source failed) has none of the four known either, as in the JSON
 * report. */
static const enum vf_state used_states[] = { VF_STATE_ASSIGNED, VF_STATE_POOL, VF_STATE_HOST, VF_STATE_DIRTY };

static void pf_used_split(const struct vf_pf *pf, int out[ARRAY_SIZE(used_states)])
{
	int n[_VF_STATE_MAX];
	pf_state_counts(pf, n);
	for (size_t i = 0; i < ARRAY_SIZE(used_states); i++)
		out[i] = pf->used == UNKNOWN ? UNKNOWN : n[used_states[i]];
}

/* ---- the table ---- */

/* The headers are the report's JSON names (schema/vfcap-report.schema.json): the PF fields,
 * netlink.listed and netlink.limit, and the four VF states that make up used. Left to right
 * they are the sum: numvfs - unreachable - reserved = usable; usable - assigned - pool - host
 * - dirty = free (dirty: VFs in state dirty, counted used with `dirty = used`; the VFs left
 * dirty but free are told by the advice lines under the PF). */
static const char *const pf_heads[] = {
	"name", "driver", "pci_address", "numvfs", "listed", "limit", "unreachable",
	"reserved", "usable", "assigned", "pool", "host", "dirty", "free",
};
static const char *const vf_heads[] = { "index", "pci_address", "netdev", "mac", "vlan", "state", "owner" };

/* The VFs of one PF as their own small table, indented under the PF row. */
static char *vf_table(const struct vf_pf *pf)
{
	struct table t = { .ncols = ARRAY_SIZE(vf_heads), .heads = vf_heads, .align = "rlllrll" };
	for (size_t i = 0; i < pf->n_vfs; i++) {
		const struct vf_vf *vf = &pf->vfs[i];
		char *cells[] = {
			xasprintf("%d", vf->index), cell_str(vf->pci_address), cell_str(vf->netdev),
			cell_str(vf->mac),          cell_count(vf->vlan),
			xstrdup(vf_state_to_string(vf->state) ?: "?"), cell_str(vf->owner),
		};
		table_add_row(&t, cells);
	}
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	if (f)
		table_print(f, &t, "    ");
	table_free(&t);
	return f ? memstream_done(f, &buf) : NULL;
}

static void add_pf_row(struct table *t, const struct vf_pf *pf, bool verbose)
{
	int used[ARRAY_SIZE(used_states)];
	pf_used_split(pf, used);
	char *cells[] = {
		cell_str(pf->name),          cell_str(pf->driver),     cell_str(pf->pci_address),
		cell_count(pf->numvfs),      cell_nl_listed(&pf->nl),  cell_nl_limit(&pf->nl),
		cell_count(pf->unreachable), cell_count(pf->reserved), cell_count(pf->usable),
		cell_count(used[0]),         cell_count(used[1]),      cell_count(used[2]),      cell_count(used[3]),
		cell_count(pf->free),
	};
	table_add_row(t, cells);
	add_pf_hints(t, pf);
	if (verbose && pf->n_vfs > 0) {
		char *vfs = vf_table(pf);
		if (vfs)
			table_add(t, NULL, vfs);
	}
}

/* The JSON totals carry used only; its split is summed here, unknown when one PF's is. */
static void add_total_row(struct table *t, const struct vf_host *h)
{
	const struct vf_totals *tot = &h->totals;
	int used[ARRAY_SIZE(used_states)] = { 0 };
	for (size_t i = 0; i < h->n_pfs; i++) {
		int pf_used[ARRAY_SIZE(used_states)];
		pf_used_split(&h->pfs[i], pf_used);
		for (size_t s = 0; s < ARRAY_SIZE(used_states); s++)
			used[s] = used[s] == UNKNOWN || pf_used[s] == UNKNOWN ? UNKNOWN : used[s] + pf_used[s];
	}
	char *cells[] = {
		xstrdup("TOTAL"),             xstrdup(""),               xstrdup(""),
		cell_count(tot->vfs),         xstrdup(""),               xstrdup(""),
		cell_count(tot->unreachable), cell_count(tot->reserved), cell_count(tot->usable),
		cell_count(used[0]),          cell_count(used[1]),       cell_count(used[2]),       cell_count(used[3]),
		cell_count(tot->free),
	};
	table_add_row(t, cells);
}

static void print_header(FILE *f, const struct vf_host *h)
{
	_cleanup_free_ char *when = vf_format_rfc3339(h->generated_at);
	fprintf(f, "host %s  uuid %s  generated %s  vfcap %s\n\n", h->hostname ?: "?", h->uuid ?: "-",
		when ?: "?", h->reporter_version ?: "?");
}

static void print_errors(FILE *f, const struct vf_host *h)
{
	if (h->n_errors > 0)
		fputc('\n', f);
	for (size_t i = 0; i < h->n_errors; i++) {
		/* the message names its file, PF or URI itself; the object is for machines */
		const struct vf_error *e = &h->errors[i];
		fprintf(f, "error: %s: %s\n", vf_source_to_string(e->source) ?: "?", e->message ?: "");
	}
}

static void print_numa_counts(FILE *f, const char *label, int pfs, int usable, int free_)
{
	_cleanup_free_ char *u = cell_count(usable), *fr = cell_count(free_);
	fprintf(f, "%s%d PF%s, %s usable, %s free", label, pfs, pfs == 1 ? "" : "s", u, fr);
}

/* Per NUMA node, only when the PFs span more than one (an unknown node counts as one): on a
 * single-node host the lines would repeat TOTAL. */
static void print_numa(FILE *f, const struct vf_host *h)
{
	_cleanup_numa_ struct vf_numa n = {};
	vf_numa_count(h, &n);
	if (n.n < 2)
		return;
	fputc('\n', f);
	for (size_t i = 0; i < n.n; i++) {
		const struct vf_numa_node *x = &n.nodes[i];
		if (x->node == VF_NUMA_UNKNOWN)
			fputs("NUMA node -1 (unknown): ", f);
		else
			fprintf(f, "NUMA node %d: ", x->node);
		print_numa_counts(f, "", x->pfs, x->usable, x->free);
		for (size_t k = 0; k < x->n_labels; k++) {
			_cleanup_free_ char *l = xasprintf("%s%s: ", k ? "; " : " (", x->labels[k].label);
			print_numa_counts(f, l, x->labels[k].pfs, x->labels[k].usable, x->labels[k].free);
		}
		fputs(x->n_labels ? ")\n" : "\n", f);
	}
}

char *vf_format_table(const struct vf_host *h, bool verbose)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	struct table t = { .ncols = ARRAY_SIZE(pf_heads), .heads = pf_heads, .align = "lllrrrrrrrrrrr" };
	for (size_t i = 0; i < h->n_pfs; i++)
		add_pf_row(&t, &h->pfs[i], verbose);
	add_total_row(&t, h);
	print_header(f, h);
	table_print(f, &t, "");
	table_free(&t);
	print_numa(f, h);
	print_errors(f, h);
	return memstream_done(f, &buf);
}

/* ---- Prometheus ---- */

/* sep name="value", sep being "" for the first label and "," for the others */
static void prom_label(FILE *f, const char *sep, const char *name, const char *value)
{
	fprintf(f, "%s%s=\"", sep, name);
	vf_prom_escaped(f, value);
	fputc('"', f);
}

static void prom_family(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* Labels of a PF series. Prometheus treats an empty label as an absent one, so "" for a
 * missing value is the same series; optional labels appear only when some PF has them, which
 * keeps the label set identical across a family. */
struct pf_labels {
	bool physical_network, fabric;
};

static void prom_pf_labels(FILE *f, const struct pf_labels *l, const struct vf_pf *pf)
{
	prom_label(f, "", "pf", pf->name);
	prom_label(f, ",", "pci_address", pf->pci_address);
	prom_label(f, ",", "driver", pf->driver);
	if (l->physical_network)
		prom_label(f, ",", "physical_network", pf->physical_network);
	if (l->fabric)
		prom_label(f, ",", "fabric", pf->fabric);
}

/* One per-PF family; value() < 0 leaves the PF's series out (unknown). */
struct pf_gauge {
	const char *name, *help;
	int64_t (*value)(const struct vf_pf *pf);
};

static int64_t pf_totalvfs(const struct vf_pf *pf)
{
	return pf->totalvfs;
}

static int64_t pf_numvfs(const struct vf_pf *pf)
{
	return pf->numvfs;
}

static int64_t pf_usable(const struct vf_pf *pf)
{
	return pf->usable;
}

static int64_t pf_free(const struct vf_pf *pf)
{
	return pf->free;
}

static int64_t pf_shared_iommu(const struct vf_pf *pf)
{
	return pf->shared_iommu;
}

static int64_t nl_num_vf(const struct vf_pf *pf)
{
	return pf->nl.valid ? (int64_t)pf->nl.num_vf : -1;
}

static int64_t nl_listed(const struct vf_pf *pf)
{
	return pf->nl.valid ? (int64_t)pf->nl.listed : -1;
}

/* 0 means "no VF list": there is no limit to report, and 0 would read as "none fit" */
static int64_t nl_limit(const struct vf_pf *pf)
{
	return pf->nl.valid && pf->nl.limit > 0 ? (int64_t)pf->nl.limit : -1;
}

static int64_t nl_entry_bytes(const struct vf_pf *pf)
{
	return pf->nl.valid && pf->nl.bytes_per_vf > 0 ? (int64_t)pf->nl.bytes_per_vf : -1;
}

static int64_t nl_limit_no_stats(const struct vf_pf *pf)
{
	return pf->nl.valid && pf->nl.limit_no_stats > 0 ? (int64_t)pf->nl.limit_no_stats : -1;
}

static int64_t pf_dirty(const struct vf_pf *pf)
{
	return pf->dirty;
}

static int64_t pf_no_link(const struct vf_pf *pf)
{
	return pf->no_link;
}

static int64_t pf_link_up(const struct vf_pf *pf)
{
	return pf->link_ok;
}

static int64_t nl_truncated(const struct vf_pf *pf)
{
	return pf->nl.valid ? pf->nl.truncated : -1;
}

static const struct pf_gauge pf_gauges[] = {
	{ "vfcap_pf_totalvfs", "VFs the PF supports at most (sriov_totalvfs).", pf_totalvfs },
	{ "vfcap_pf_numvfs", "VFs enabled on the PF (sriov_numvfs).", pf_numvfs },
	{ "vfcap_pf_usable_vfs", "VFs of the PF that are reachable over netlink and not reserved.",
	  pf_usable },
	{ "vfcap_pf_free_vfs", "Usable VFs of the PF that nothing holds.", pf_free },
	{ "vfcap_pf_vfs_shared_iommu",
	  "Free VFs of the PF whose IOMMU group holds other devices (not for hostdev passthrough alone).",
	  pf_shared_iommu },
	{ "vfcap_pf_netlink_num_vf", "VF count the kernel reports for the PF (IFLA_NUM_VF).",
	  nl_num_vf },
	{ "vfcap_pf_netlink_listed_vfs", "VF entries decodable from the PF's netlink VF list.",
	  nl_listed },
	{ "vfcap_pf_netlink_limit_vfs", "Largest VF count at which netlink still lists every VF.",
	  nl_limit },
	{ "vfcap_pf_netlink_vf_entry_bytes", "Size of one VF entry in the PF's netlink VF list.",
	  nl_entry_bytes },
	{ "vfcap_pf_netlink_truncated", "1 when the PF's netlink VF list wrapped and VFs are missing.",
	  nl_truncated },
	{ "vfcap_pf_netlink_limit_no_stats",
	  "Largest VF count a netlink query without statistics still lists whole (libvirt asks with them).",
	  nl_limit_no_stats },
	{ "vfcap_pf_link_up", "1 when the PF's link can carry traffic (operstate up, or unknown with carrier).",
	  pf_link_up },
	{ "vfcap_pf_vfs_dirty",
	  "VFs of the PF nothing holds that keep an earlier tenant's VLAN, QoS, rate, trust, spoofchk or link state.",
	  pf_dirty },
	{ "vfcap_pf_vfs_no_link", "Free VFs of the PF a VM would get with a dead link (PF down, or VF link_state disable).",
	  pf_no_link },
};

static void prom_pf_gauge(FILE *f, const struct pf_labels *l, const struct vf_host *h,
			  const struct pf_gauge *g)
{
	prom_family(f, g->name, g->help);
	for (size_t i = 0; i < h->n_pfs; i++) {
		int64_t v = g->value(&h->pfs[i]);
		if (v < 0)
			continue;
		fprintf(f, "%s{", g->name);
		prom_pf_labels(f, l, &h->pfs[i]);
		fprintf(f, "} %" PRId64 "\n", v);
	}
}

/* Every state, zeros included: a state's series should not vanish when its count drops to 0. */
static void prom_pf_states(FILE *f, const struct pf_labels *l, const struct vf_host *h)
{
	prom_family(f, "vfcap_pf_vfs", "VFs of the PF by state.");
	for (size_t i = 0; i < h->n_pfs; i++) {
		const struct vf_pf *pf = &h->pfs[i];
		int n[_VF_STATE_MAX];
		pf_state_counts(pf, n);
		for (int s = 0; s < _VF_STATE_MAX; s++) {
			fputs("vfcap_pf_vfs{", f);
			prom_pf_labels(f, l, pf);
			fprintf(f, ",state=\"%s\"} %d\n", vf_state_to_string(s), n[s]);
		}
	}
}

static void prom_errors(FILE *f, const struct vf_host *h)
{
	size_t n[_VF_SRC_MAX] = {};
	for (size_t i = 0; i < h->n_errors; i++)
		if ((unsigned)h->errors[i].source < _VF_SRC_MAX)
			n[h->errors[i].source]++;
	prom_family(f, "vfcap_read_errors", "Errors in this report by source; the counts they affect are unknown.");
	for (int s = 0; s < _VF_SRC_MAX; s++)
		fprintf(f, "vfcap_read_errors{source=\"%s\"} %zu\n", vf_source_to_string(s), n[s]);
}

static void prom_host_count(FILE *f, const char *name, const char *help, int v)
{
	prom_family(f, name, help);
	if (v != UNKNOWN)
		fprintf(f, "%s %d\n", name, v);
}

static void prom_info(FILE *f, const struct vf_host *h)
{
	prom_family(f, "vfcap_info", "The reporter and the host it describes; always 1.");
	fputs("vfcap_info{", f);
	prom_label(f, "", "version", h->reporter_version);
	prom_label(f, ",", "hostname", h->hostname);
	prom_label(f, ",", "host_uuid", h->uuid);
	fputs("} 1\n", f);
	prom_family(f, "vfcap_report_timestamp_seconds", "When the report was generated (Unix time).");
	fprintf(f, "vfcap_report_timestamp_seconds %lld\n", (long long)h->generated_at);
}

static void prom_numa_series(FILE *f, const char *name, int node, const char *label, int v)
{
	if (v == UNKNOWN)
		return;
	fprintf(f, "%s{numa_node=\"%d\"", name, node);
	if (label)
		prom_label(f, ",", "label", label);
	fprintf(f, "} %d\n", v);
}

/* Per NUMA node (numa_node="-1": PFs whose node is unknown), and per label on each node. */
static void prom_numa(FILE *f, const struct vf_host *h)
{
	_cleanup_numa_ struct vf_numa n = {};
	vf_numa_count(h, &n);
	static const char *const names[] = { "vfcap_numa_usable_vfs", "vfcap_numa_free_vfs",
					     "vfcap_numa_label_usable_vfs", "vfcap_numa_label_free_vfs" };
	static const char *const helps[] = {
		"Usable VFs of the PFs on a NUMA node (-1: node unknown).",
		"Free VFs of the PFs on a NUMA node (-1: node unknown).",
		"Usable VFs of the PFs on a NUMA node carrying a physical_network or fabric label.",
		"Free VFs of the PFs on a NUMA node carrying a physical_network or fabric label.",
	};
	for (size_t g = 0; g < ARRAY_SIZE(names); g++) {
		prom_family(f, names[g], helps[g]);
		bool free_ = g % 2, per_label = g >= 2;
		for (size_t i = 0; i < n.n; i++) {
			const struct vf_numa_node *x = &n.nodes[i];
			if (!per_label)
				prom_numa_series(f, names[g], x->node, NULL, free_ ? x->free : x->usable);
			for (size_t k = 0; per_label && k < x->n_labels; k++)
				prom_numa_series(f, names[g], x->node, x->labels[k].label,
						 free_ ? x->labels[k].free : x->labels[k].usable);
		}
	}
}

char *vf_format_prometheus(const struct vf_host *h)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	struct pf_labels l = {};
	for (size_t i = 0; i < h->n_pfs; i++) {
		l.physical_network |= h->pfs[i].physical_network != NULL;
		l.fabric |= h->pfs[i].fabric != NULL;
	}
	prom_info(f, h);
	prom_pf_states(f, &l, h);
	for (size_t g = 0; g < ARRAY_SIZE(pf_gauges); g++)
		prom_pf_gauge(f, &l, h, &pf_gauges[g]);
	prom_errors(f, h);
	prom_host_count(f, "vfcap_host_usable_vfs", "Usable VFs of all PFs of the host.",
			h->totals.usable);
	prom_host_count(f, "vfcap_host_free_vfs", "Free VFs of all PFs of the host.", h->totals.free);
	prom_numa(f, h);
	return memstream_done(f, &buf);
}
