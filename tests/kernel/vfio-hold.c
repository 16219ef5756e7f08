// SPDX-License-Identifier: MIT
/* Kernel rig guest: hold a VF's VFIO device open, as a DPDK application or another VMM does. */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int die(const char *what, const char *where)
{
	fprintf(stderr, "vfio-hold: %s %s: %s\n", what, where, strerror(errno));
	return 1;
}

/*
 * The sequence a VFIO user follows (kernel Documentation/driver-api/vfio.rst): a container,
 * the group attached to it, an IOMMU model set, then the device's fd. Holding that fd is what
 * keeps the PCI device enabled (its sysfs `enable` reads 1); the rig's reporter run must name
 * this process. Prints "held" when the fd is open, then sleeps until killed.
 */
int main(int argc, char **argv)
{
	char path[64];
	int container, group, device;
	struct vfio_group_status status = { .argsz = sizeof(status) };

	if (argc != 3) {
		fprintf(stderr, "usage: vfio-hold IOMMU-GROUP PCI-ADDRESS\n");
		return 2;
	}
	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		return die("cannot open", "/dev/vfio/vfio");
	snprintf(path, sizeof(path), "/dev/vfio/%s", argv[1]);
	group = open(path, O_RDWR);
	if (group < 0)
		return die("cannot open", path);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) < 0)
		return die("VFIO_GROUP_GET_STATUS on", path);
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = EBUSY;
		return die("group not viable (a device in it is bound to a host driver):", path);
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0)
		return die("VFIO_GROUP_SET_CONTAINER on", path);
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0 &&
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0)
		return die("VFIO_SET_IOMMU (type1) for", path);
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, argv[2]);
	if (device < 0)
		return die("VFIO_GROUP_GET_DEVICE_FD for", argv[2]);
	printf("held %s in %s as fd %d\n", argv[2], path, device);
	fflush(stdout);
	for (;;)
		pause();
}
