/* SPDX-License-Identifier: MIT */
/* libFuzzer: filter/engine-xml.c's readers of the engine's REST XML. The first input byte picks
 * the reader (nics, vnic profile, hosts); the rest is the document. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *xml = (const char *)data + 1;
	size_t len = size - 1;
	char *err = NULL;
	switch (data[0] % 3) {
	case 0: {
		struct vf_engine_nic *nics = NULL;
		size_t n = 0;
		if (vf_engine_parse_nics(xml, len, &nics, &n, &err) == 0)
			vf_engine_nics_free(nics, n);
		break;
	}
	case 1: {
		bool needs_vf = false;
		(void)vf_engine_parse_profile(xml, len, &needs_vf, &err);
		break;
	}
	default: {
		struct vf_engine_host *hosts = NULL;
		size_t n = 0;
		if (vf_engine_parse_hosts(xml, len, &hosts, &n, &err) == 0)
			vf_engine_hosts_free(hosts, n);
		break;
	}
	}
	free(err);
	return 0;
}
