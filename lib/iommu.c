/* SPDX-License-Identifier: MIT */
/* IOMMU groups as a table of devices (iommu.h), and the groups read one by one; lib/sysfs.c's
 * read_vf_iommu says when each is used. Names go into fixed slots so that a 4,096-VF host costs
 * no malloc per device. */
#include "iommu.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

/* Where group is, or would go, in m->g. */
static size_t group_at(const struct vf_iommu *m, int group)
{
	size_t lo = 0, hi = m->n_g;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->g[mid].group < group)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Groups are marked in their VFs' order, which is mostly theirs: an insertion is nearly always
 * an append. */
void vf_iommu_mark_read(struct vf_iommu *m, int group, int devices)
{
	size_t at = group_at(m, group);
	if (at < m->n_g && m->g[at].group == group)
		return;
	(void)array_append(&m->g, &m->n_g, sizeof(*m->g));
	memmove(&m->g[at + 1], &m->g[at], (m->n_g - 1 - at) * sizeof(*m->g));
	m->g[at] = (struct vf_iommu_group){ .group = group, .devices = devices };
}

const struct vf_iommu_group *vf_iommu_group_read(const struct vf_iommu *m, int group)
{
	size_t at = group_at(m, group);
	return at < m->n_g && m->g[at].group == group ? &m->g[at] : NULL;
}

int vf_iommu_add_group(struct vf_iommu *m, int group, int fd, char *buf, size_t size)
{
	size_t first = m->n;
	int count = 0;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, size);
		if (n < 0) {
			m->n = first; /* a group half read would claim too few devices */
			return -errno;
		}
		if (n == 0)
			break;
		for (long off = 0; off < n;) {
			const struct dirent64 *de = (const struct dirent64 *)(buf + off);
			off += de->d_reclen;
			if (de->d_name[0] == '.')
				continue;
			count++;
			if (strlen(de->d_name) >= VF_IOMMU_NAME)
				continue;
			struct vf_iommu_dev *d = array_append(&m->v, &m->n, sizeof(*d));
			strcpy(d->name, de->d_name);
			d->group = group;
		}
	}
	for (size_t i = first; i < m->n; i++)
		m->v[i].devices = count;
	return count;
}

static int dev_cmp(const void *a, const void *b)
{
	const struct vf_iommu_dev *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->group > y->group) - (x->group < y->group);
}

static int name_cmp(const void *key, const void *e)
{
	return strcmp(key, ((const struct vf_iommu_dev *)e)->name);
}

void vf_iommu_sort(struct vf_iommu *m)
{
	if (m->n)
		qsort(m->v, m->n, sizeof(*m->v), dev_cmp);
}

const struct vf_iommu_dev *vf_iommu_find(const struct vf_iommu *m, const char *name)
{
	if (!m->n || !name)
		return NULL;
	const struct vf_iommu_dev *d = bsearch(name, m->v, m->n, sizeof(*m->v), name_cmp);
	/* a device listed in two groups (a tree changing while read): the lowest, as sorted */
	while (d && d > m->v && streq(d[-1].name, name))
		d--;
	return d;
}

void vf_iommu_clear(struct vf_iommu *m)
{
	free(m->v);
	free(m->g);
	*m = (struct vf_iommu){ 0 };
}
