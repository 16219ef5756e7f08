/* SPDX-License-Identifier: MIT */
/* What several libFuzzer targets share. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The fixtures' report time (tests/run.sh's SOURCE_DATE_EPOCH) plus 30 s: a fixed "now" under
 * which their reports are fresh and a max_report_age can go either way. */
#define FUZZ_FIXTURE_NOW (1795000000 + 30)

/* For readers that take a path: the input in a memfd (made once, rewritten per run), named as
 * /proc/self/fd/N. No file system in the loop. */
static inline const char *fuzz_input_path(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("vfcap-fuzz", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	return path;
}
