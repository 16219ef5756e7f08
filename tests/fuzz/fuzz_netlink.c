/* SPDX-License-Identifier: MIT */
/* libFuzzer: lib/nlparse.c's vf_nl_parse_link over one received RTM_NEWLINK (nlmsghdr included),
 * as tests/unit/test_nlparse.c calls it on recorded bytes; then the same bytes as a recorded
 * reply stream through vf_netlink_read(), merged into a host whose first PF's sriov_numvfs was
 * unreadable (its VF count comes from IFLA_NUM_VF) and whose second has 4 VFs with netdevs. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "netlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_one(const uint8_t *data, size_t size)
{
	/* an exact-size heap copy, so ASan sees any read past what was received */
	void *msg = malloc(size ? size : 1);
	if (!msg)
		return;
	if (size)
		memcpy(msg, data, size);
	struct vf_nl_link l;
	char *err = NULL;
	if (vf_nl_parse_link(msg, size, &l, &err) == 0)
		vf_nl_link_clear(&l);
	free(err);
	free(msg);
}

static void read_stream(const uint8_t *data, size_t size)
{
	const char *path = fuzz_input_path(data, size);
	struct vf_host *h = vf_host_new();
	vf_host_add_pf(h, "ens1f0")->ifindex = 4;
	struct vf_pf *pf = vf_host_add_pf(h, "ens1f1");
	pf->ifindex = 5;
	pf->numvfs = 4;
	vf_pf_set_vfs(pf, 4);
	for (int i = 0; i < 4; i++)
		pf->vfs[i].ifindex = 10 + i;
	vf_netlink_read(h, path, NULL);
	vf_host_free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_one(data, size);
	read_stream(data, size);
	return 0;
}
