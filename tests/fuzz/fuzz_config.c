/* SPDX-License-Identifier: MIT */
/* libFuzzer: lib/config.c's vf_config_load. It takes a path, so the input goes into a memfd
 * (made once, rewritten per run) read as /proc/self/fd/N; then the lookups run on the result. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_input_path(data, size);
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
