/* SPDX-License-Identifier: MIT */
/* Devices' IOMMU groups and the groups' sizes, from the groups' devices/ listed one by one
 * (vf_iommu_mark_read) or in one pass over ROOT/kernel/iommu_groups (for lib/sysfs.c, which
 * opens the directories: it alone knows how to stay inside ROOT). */
#pragma once

#include <stddef.h>

/* Long enough for a PCI address (DDDD:BB:SS.F, up to 8 domain digits behind VMD), the only names
 * looked up; longer names (other buses' devices) are counted in their group but not kept. */
#define VF_IOMMU_NAME 24

struct vf_iommu_dev {
	char name[VF_IOMMU_NAME];
	int group;
	int devices; /* entries of the group's devices/ */
};

/* A group read (vf_iommu_add_group) and how many devices it holds. */
struct vf_iommu_group {
	int group;
	int devices;
};

struct vf_iommu {
	struct vf_iommu_dev *v; /* sorted by name (then group) once vf_iommu_sort ran */
	size_t n;
	struct vf_iommu_group *g; /* groups read one by one (vf_iommu_mark_read), sorted by number */
	size_t n_g;
};

/* Add group's devices from fd (its devices/ directory, open for reading); buf (size bytes) is
 * scratch for getdents64. Returns how many devices it holds, or -errno when the directory
 * cannot be read (nothing added). */
int vf_iommu_add_group(struct vf_iommu *m, int group, int fd, char *buf, size_t size);
/* Record that group, of devices devices, was read on its own; group, if so recorded, or NULL. */
void vf_iommu_mark_read(struct vf_iommu *m, int group, int devices);
const struct vf_iommu_group *vf_iommu_group_read(const struct vf_iommu *m, int group);
void vf_iommu_sort(struct vf_iommu *m);
/* The device called name, NULL when in no group (or the IOMMU is off). */
const struct vf_iommu_dev *vf_iommu_find(const struct vf_iommu *m, const char *name);
void vf_iommu_clear(struct vf_iommu *m);
