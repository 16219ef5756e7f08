/* SPDX-License-Identifier: MIT */
/* libFuzzer: lib/config.c's vf_config_load. It takes a path, so the input goes into a memfd
 * (made once, rewritten per run) read as /proc/self/fd/N; then the lookups run on the result. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fd < 0) {
		fd = memfd_create("vfcap-fuzz.conf", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();

	struct vf_config *c = NULL;
	char *err = NULL;
	if (vf_config_load(path, &c, &err) == 0) {
		(void)vf_config_pf_selected(c, "eth0", "ixgbe");
		const struct vf_pf_config *pc = vf_config_find_pf(c, "eth0");
		if (pc) {
			(void)vf_config_vf_reserved(pc, 0);
			(void)vf_config_vf_reserved(pc, 7);
		}
		vf_config_free(c);
	}
	free(err);
	return 0;
}
