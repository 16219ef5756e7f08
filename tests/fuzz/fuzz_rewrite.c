/* SPDX-License-Identifier: MIT */
/* libFuzzer: the hook's payload XML (hook/rewrite.c): parse, rewrite every interface onto the VF
 * pool (vmfex) or a libvirt network (extnet) — the first input byte picks which, and whether the
 * rewrite runs twice (idempotence path) — read MACs, then serialize. */
#include <libxml/parser.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "rewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned mode = data[0];
	xmlDocPtr doc = NULL;
	char *err = NULL;
	if (vf_payload_parse((const char *)data + 1, size - 1, "fuzz", &doc, &err) < 0) {
		free(err);
		return 0;
	}
	(void)vf_payload_is_domain(doc);
	xmlNodePtr *ifaces = NULL;
	size_t n = vf_payload_interfaces(doc, &ifaces);
	for (size_t i = 0; i < n; i++) {
		free(vf_iface_mac(ifaces[i]));
		for (int round = 0; round < ((mode & 2) ? 2 : 1); round++) {
			if (mode & 1)
				(void)vf_iface_set_extnet(ifaces[i], "ovirtmgmt", (mode & 4) ? "pg1" : NULL);
			else
				(void)vf_iface_set_vmfex(ifaces[i], "direct-pool", "Profile1");
		}
		(void)vf_iface_is_vmfex(ifaces[i], "direct-pool", "Profile1");
	}
	free(ifaces);
	char *out = NULL;
	size_t len = 0;
	if (vf_payload_serialize(doc, &out, &len) == 0)
		free(out);
	xmlFreeDoc(doc);
	return 0;
}
