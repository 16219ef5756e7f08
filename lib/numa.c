/* SPDX-License-Identifier: MIT */
/* Per-NUMA-node VF counts of a host (lib/numa.h). */
#include <stdlib.h>
#include <string.h>

#include "numa.h"
#include "util.h"

/* UNKNOWN is sticky: a node's count is unknown when one of its PFs' is. */
static void add(int *total, int v)
{
	if (*total != UNKNOWN)
		*total = v == UNKNOWN ? UNKNOWN : *total + v;
}

static struct vf_numa_node *find_node(struct vf_numa *n, int node)
{
	for (size_t i = 0; i < n->n; i++)
		if (n->nodes[i].node == node)
			return &n->nodes[i];
	struct vf_numa_node *x = array_append(&n->nodes, &n->n, sizeof(*n->nodes));
	*x = (struct vf_numa_node){ .node = node };
	return x;
}

static void add_label(struct vf_numa_node *x, const char *label, const struct vf_pf *pf)
{
	if (!label)
		return;
	struct vf_numa_label *l = NULL;
	for (size_t i = 0; i < x->n_labels && !l; i++)
		if (streq(x->labels[i].label, label))
			l = &x->labels[i];
	if (!l) {
		l = array_append(&x->labels, &x->n_labels, sizeof(*x->labels));
		*l = (struct vf_numa_label){ .label = xstrdup(label) };
	}
	l->pfs++;
	add(&l->usable, pf->usable);
	add(&l->free, pf->free);
}

/* -1 sorts last: the unknown node reads as a footnote after the real ones */
static int cmp_node(const void *a, const void *b)
{
	unsigned x = (unsigned)((const struct vf_numa_node *)a)->node;
	unsigned y = (unsigned)((const struct vf_numa_node *)b)->node;
	return x < y ? -1 : x > y;
}

static int cmp_label(const void *a, const void *b)
{
	return strcmp(((const struct vf_numa_label *)a)->label, ((const struct vf_numa_label *)b)->label);
}

void vf_numa_count(const struct vf_host *h, struct vf_numa *ret)
{
	*ret = (struct vf_numa){};
	for (size_t i = 0; i < h->n_pfs; i++) {
		const struct vf_pf *pf = &h->pfs[i];
		struct vf_numa_node *x = find_node(ret, pf->numa_node < 0 ? VF_NUMA_UNKNOWN : pf->numa_node);
		x->pfs++;
		add(&x->usable, pf->usable);
		add(&x->free, pf->free);
		add_label(x, pf->physical_network, pf);
		/* a PF whose two labels are equal counts once under that label */
		if (!streq_ptr(pf->fabric, pf->physical_network))
			add_label(x, pf->fabric, pf);
	}
	if (ret->n > 1)
		qsort(ret->nodes, ret->n, sizeof(*ret->nodes), cmp_node);
	for (size_t i = 0; i < ret->n; i++)
		if (ret->nodes[i].n_labels > 1)
			qsort(ret->nodes[i].labels, ret->nodes[i].n_labels, sizeof(*ret->nodes[i].labels), cmp_label);
}

void vf_numa_clear(struct vf_numa *n)
{
	for (size_t i = 0; i < n->n; i++) {
		for (size_t k = 0; k < n->nodes[i].n_labels; k++)
			free(n->nodes[i].labels[k].label);
		free(n->nodes[i].labels);
	}
	free(n->nodes);
	*n = (struct vf_numa){};
}

static json_object *count_json(int v)
{
	return v == UNKNOWN ? NULL : json_object_new_int(v);
}

static void put_counts(json_object *o, int pfs, int usable, int free_)
{
	json_object_object_add(o, "pfs", json_object_new_int(pfs));
	json_object_object_add(o, "usable", count_json(usable));
	json_object_object_add(o, "free", count_json(free_));
}

static json_object *node_json(const struct vf_numa_node *x)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "node", json_object_new_int(x->node));
	put_counts(o, x->pfs, x->usable, x->free);
	json_object *labels = json_object_new_array_ext((int)x->n_labels);
	for (size_t k = 0; k < x->n_labels; k++) {
		json_object *l = json_object_new_object();
		json_object_object_add(l, "label", json_object_new_string(x->labels[k].label));
		put_counts(l, x->labels[k].pfs, x->labels[k].usable, x->labels[k].free);
		json_object_array_add(labels, l);
	}
	json_object_object_add(o, "labels", labels);
	return o;
}

json_object *vf_numa_to_json(const struct vf_host *h)
{
	_cleanup_numa_ struct vf_numa n = {};
	vf_numa_count(h, &n);
	json_object *a = json_object_new_array_ext((int)n.n);
	for (size_t i = 0; i < n.n; i++)
		json_object_array_add(a, node_json(&n.nodes[i]));
	return a;
}
