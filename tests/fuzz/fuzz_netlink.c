/* SPDX-License-Identifier: MIT */
/* libFuzzer: lib/nlparse.c's vf_nl_parse_link over one received RTM_NEWLINK (nlmsghdr included),
 * as tests/unit/test_nlparse.c calls it on recorded bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size heap copy, so ASan sees any read past what was received */
	void *msg = malloc(size ? size : 1);
	if (!msg)
		return 0;
	if (size)
		memcpy(msg, data, size);
	struct vf_nl_link l;
	char *err = NULL;
	if (vf_nl_parse_link(msg, size, &l, &err) == 0)
		vf_nl_link_clear(&l);
	free(err);
	free(msg);
	return 0;
}
