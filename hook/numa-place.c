/* SPDX-License-Identifier: MIT */
/* NUMA-local placement of pool vNICs by pool order (hook/numa-place.h). */
#include "numa-place.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct keynode {
	const char *key;
	int node;
};

static int keynode_cmp(const void *a, const void *b)
{
	return strcmp(((const struct keynode *)a)->key, ((const struct keynode *)b)->key);
}

/* Every VF's pool key (netdev, or PCI address for hostdev) with its PF's node, sorted: pools of
 * thousands of VFs are looked up, not scanned. */
static struct keynode *key_nodes(const struct vf_host *h, bool hostdev, size_t *n)
{
	size_t cap = 0;
	for (size_t i = 0; i < h->n_pfs; i++)
		cap += h->pfs[i].n_vfs;
	struct keynode *k = xcalloc(cap + 1, sizeof(*k));
	*n = 0;
	for (size_t i = 0; i < h->n_pfs; i++)
		for (size_t v = 0; v < h->pfs[i].n_vfs; v++) {
			const struct vf_vf *vf = &h->pfs[i].vfs[v];
			const char *key = hostdev ? vf->pci_address : vf->netdev;
			if (key)
				k[(*n)++] = (struct keynode){ key, h->pfs[i].numa_node < 0 ? -1 : h->pfs[i].numa_node };
		}
	qsort(k, *n, sizeof(*k), keynode_cmp);
	return k;
}

static int node_of(const struct keynode *k, size_t n, const char *key)
{
	struct keynode want = { key, 0 };
	const struct keynode *f = bsearch(&want, k, n, sizeof(*k), keynode_cmp);
	return f ? f->node : -1;
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool local(const struct vf_nodeset *s, int node)
{
	return node < 0 || (node < VF_NODES_MAX && s->node[node]);
}

/* 0: on a pinned node; 1: no node (local by the filter's rule, but the firmware may be wrong);
 * 2: another node */
static int tier_of(const struct vf_nodeset *s, int node)
{
	return node < 0 ? 1 : local(s, node) ? 0 : 2;
}

void vf_numa_order_plan(const struct vf_host *h, bool hostdev, const struct vf_nodeset *s, struct vf_pool_plan *p)
{
	size_t nk;
	_cleanup_free_ struct keynode *k = key_nodes(h, hostdev, &nk);
	_cleanup_free_ char **out = xcalloc(p->n + 1, sizeof(char *));
	size_t o = 0;
	for (int tier = 0; tier < 3; tier++)
		for (size_t i = 0; i < p->n; i++)
			if (tier_of(s, node_of(k, nk, p->keys[i])) == tier)
				out[o++] = p->keys[i];
	memcpy(p->keys, out, p->n * sizeof(char *));
}

/* "node 1: 0, node 0: 6, no node: 0": the pinned nodes first, every one of them even at 0, then
 * the other nodes the pool has free VFs on */
static char *free_by_node(const int *n_free, int unknown, const struct vf_nodeset *s)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	const char *sep = "";
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < VF_NODES_MAX; i++)
			if (pass == 0 ? s->node[i] : !s->node[i] && n_free[i] > 0) {
				fprintf(f, "%snode %d: %d", sep, i, n_free[i]);
				sep = ", ";
			}
	fprintf(f, "%sno node: %d", sep, unknown);
	fclose(f);
	return buf;
}

size_t vf_numa_check(const struct vf_host *h, const struct vf_pool_state *st, const struct vf_pool_plan *p,
		     bool hostdev, size_t pending, size_t n, const struct vf_nodeset *s, const char *pool,
		     char **line)
{
	enum vf_use_kind kind = hostdev ? VF_USE_POOL_PCI : VF_USE_POOL_NETDEV;
	size_t nk, seen = 0, off = 0;
	_cleanup_free_ char *next = NULL;
	_cleanup_free_ struct keynode *k = key_nodes(h, hostdev, &nk);
	_cleanup_free_ int *n_free = xcalloc(VF_NODES_MAX, sizeof(int));
	int unknown = 0;
	_cleanup_free_ char **planned = xcalloc(p->n + 1, sizeof(char *));
	if (p->n)
		memcpy(planned, p->keys, p->n * sizeof(char *));
	qsort(planned, p->n, sizeof(char *), strp_cmp);
	for (size_t i = 0; i < st->live.n_uses; i++) {
		const struct vf_use *m = &st->live.uses[i];
		if (m->kind != kind || m->connections != 0 || !bsearch(&m->key, planned, p->n, sizeof(char *), strp_cmp))
			continue;
		int node = node_of(k, nk, m->key);
		if (node < 0)
			unknown++;
		else if (node < VF_NODES_MAX)
			n_free[node]++;
		if (seen >= pending && seen < pending + n) {
			off += !local(s, node);
			char *more = xasprintf("%s%s%s (node %d)", next ? next : "", next ? ", " : "", m->key, node);
			free(next);
			next = more;
		}
		seen++;
	}
	_cleanup_free_ char *nodes = vf_nodeset_format(s), *byn = free_by_node(n_free, unknown, s);
	if (off == 0)
		*line = xasprintf("pinned to NUMA node%s %s: pool %s hands out %s", strchr(nodes, ',') ? "s" : "",
				  nodes, pool, next ? next : "nothing");
	else
		*line = xasprintf("pinned to NUMA node%s %s; pool %s has free VFs on %s; %zu of the %zu VF%s libvirt "
				  "hands out next (%s) %s off those nodes",
				  strchr(nodes, ',') ? "s" : "", nodes, pool, byn, off, n, n == 1 ? "" : "s",
				  next ? next : "none", off == 1 ? "is" : "are");
	return off;
}
