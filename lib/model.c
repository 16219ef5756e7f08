/* SPDX-License-Identifier: MIT */
#include "model.h"

#include <errno.h>
#include <string.h>

#include "util.h"

static const char *const state_names[_VF_STATE_MAX] = {
	[VF_STATE_UNKNOWN] = "unknown",   [VF_STATE_FREE] = "free",
	[VF_STATE_ASSIGNED] = "assigned", [VF_STATE_POOL] = "pool",
	[VF_STATE_HOST] = "host",         [VF_STATE_RESERVED] = "reserved",
	[VF_STATE_UNREACHABLE] = "unreachable", [VF_STATE_DIRTY] = "dirty",
};

static const char *const dirty_names[_VF_DIRTY_MAX] = {
	[VF_DIRTY_VLAN] = "vlan",   [VF_DIRTY_QOS] = "qos",           [VF_DIRTY_RATE] = "rate",
	[VF_DIRTY_TRUST] = "trust", [VF_DIRTY_SPOOFCHK] = "spoofchk", [VF_DIRTY_LINK_STATE] = "link_state",
};

static const char *const source_names[_VF_SRC_MAX] = {
	[VF_SRC_SYSFS] = "sysfs",
	[VF_SRC_NETLINK] = "netlink",
	[VF_SRC_LIBVIRT] = "libvirt",
	[VF_SRC_CONFIG] = "config",
};

static int lookup(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (s && streq(names[i], s))
			return i;
	return -EINVAL;
}

const char *vf_state_to_string(enum vf_state s)
{
	return (unsigned)s < _VF_STATE_MAX ? state_names[s] : NULL;
}

int vf_state_from_string(const char *s)
{
	return lookup(state_names, _VF_STATE_MAX, s);
}

const char *vf_dirty_to_string(enum vf_dirty_reason r)
{
	return (unsigned)r < _VF_DIRTY_MAX ? dirty_names[r] : NULL;
}

int vf_dirty_from_string(const char *s)
{
	return lookup(dirty_names, _VF_DIRTY_MAX, s);
}

const char *vf_source_to_string(enum vf_source s)
{
	return (unsigned)s < _VF_SRC_MAX ? source_names[s] : NULL;
}

int vf_source_from_string(const char *s)
{
	return lookup(source_names, _VF_SRC_MAX, s);
}

struct vf_host *vf_host_new(void)
{
	struct vf_host *h = xcalloc(1, sizeof(*h));
	h->reporter_version = xstrdup(VFCAP_VERSION);
	/* absent from a version-1 report */
	h->totals.shared_iommu = h->totals.dirty = h->totals.no_link = UNKNOWN;
	return h;
}

static void vf_free_fields(struct vf_vf *vf)
{
	free(vf->pci_address);
	free(vf->netdev);
	free(vf->driver);
	free(vf->master);
	free(vf->macvtap_upper);
	free(vf->port_profile);
	free(vf->owner);
	free(vf->vfio_dev);
	free(vf->holder);
}

static void pf_free_fields(struct vf_pf *pf)
{
	for (size_t i = 0; i < pf->n_vfs; i++)
		vf_free_fields(&pf->vfs[i]);
	free(pf->vfs);
	free(pf->name);
	free(pf->pci_address);
	free(pf->driver);
	free(pf->vendor_id);
	free(pf->device_id);
	free(pf->link_state);
	free(pf->physical_network);
	free(pf->fabric);
}

void vf_host_free(struct vf_host *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_pfs; i++)
		pf_free_fields(&h->pfs[i]);
	free(h->pfs);
	for (size_t i = 0; i < h->n_errors; i++) {
		free(h->errors[i].object);
		free(h->errors[i].message);
	}
	free(h->errors);
	free(h->hostname);
	free(h->uuid);
	free(h->reporter_version);
	free(h);
}

struct vf_pf *vf_host_add_pf(struct vf_host *h, const char *name)
{
	struct vf_pf *pf = array_append(&h->pfs, &h->n_pfs, sizeof(*pf));
	pf->name = xstrdup(name);
	pf->numa_node = -1;
	pf->totalvfs = UNKNOWN;
	pf->numvfs = UNKNOWN;
	pf->reachable = pf->unreachable = pf->reserved = UNKNOWN;
	pf->usable = pf->used = pf->free = UNKNOWN;
	pf->dirty = pf->no_link = UNKNOWN;
	pf->carrier = UNKNOWN;
	/* a version-1 report knew no link: its PFs are not held against it */
	pf->link_ok = true;
	pf->shared_iommu = UNKNOWN;
	return pf;
}

struct vf_pf *vf_host_find_pf(const struct vf_host *h, const char *name)
{
	for (size_t i = 0; i < h->n_pfs; i++)
		if (streq(h->pfs[i].name, name))
			return &h->pfs[i];
	return NULL;
}

void vf_vf_init(struct vf_vf *vf, int index)
{
	memset(vf, 0, sizeof(*vf));
	vf->index = index;
	vf->vlan = vf->qos = vf->trust = vf->spoofchk = UNKNOWN;
	vf->link_state = vf->port_response = UNKNOWN;
	vf->min_tx_rate = vf->max_tx_rate = UNKNOWN;
	vf->iommu_group = vf->iommu_group_devices = vf->enable = UNKNOWN;
	vf->state = VF_STATE_UNKNOWN;
}

void vf_pf_set_vfs(struct vf_pf *pf, size_t n)
{
	for (size_t i = 0; i < pf->n_vfs; i++)
		vf_free_fields(&pf->vfs[i]);
	free(pf->vfs);
	pf->vfs = n ? xcalloc(n, sizeof(*pf->vfs)) : NULL;
	pf->n_vfs = n;
	for (size_t i = 0; i < n; i++)
		vf_vf_init(&pf->vfs[i], (int)i);
}

void vf_host_add_error(struct vf_host *h, enum vf_source src, const char *object, const char *fmt, ...)
{
	struct vf_error *e = array_append(&h->errors, &h->n_errors, sizeof(*e));
	va_list ap;
	va_start(ap, fmt);
	e->message = xvasprintf(fmt, ap);
	va_end(ap);
	e->source = src;
	e->object = xstrdup(object);
}

bool vf_host_has_error(const struct vf_host *h, enum vf_source src, const char *object)
{
	for (size_t i = 0; i < h->n_errors; i++)
		if (h->errors[i].source == src && (!object || streq_ptr(h->errors[i].object, object)))
			return true;
	return false;
}

static int pf_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vf_pf *)a)->name, ((const struct vf_pf *)b)->name);
}

void vf_host_sort(struct vf_host *h)
{
	if (h->n_pfs > 1)
		qsort(h->pfs, h->n_pfs, sizeof(*h->pfs), pf_cmp);
}
