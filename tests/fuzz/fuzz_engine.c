/* SPDX-License-Identifier: MIT */
/* libFuzzer: filter/engine-xml.c's readers of the engine's REST XML. The first input byte picks
 * the reader (% 6: nics, vnic profile, hosts, a VM's NUMA nodes, a VM, a host's NUMA nodes; the
 * first three as when there were only those); the rest is the document. The host list, which the
 * filter parses as it arrives, is also fed in pieces (their size from the first byte; the first
 * piece at least 4 bytes, what libxml2 needs to guess an encoding, as an HTTP answer's first
 * piece always has): it must parse the same as whole, or fail both ways. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The list fed in pieces of `piece` bytes must give what the whole gave (r, hosts, n). */
static void in_pieces(const char *xml, size_t len, size_t piece, int r, const struct vf_engine_host *hosts, size_t n)
{
	struct vf_engine_hosts_parser *hp = vf_engine_hosts_parser_new();
	int pr = 0;
	for (size_t at = 0, k = piece + 3; at < len && pr == 0; at += k, k = piece) {
		size_t m = len - at < k ? len - at : k;
		char *e = NULL;
		pr = vf_engine_hosts_parser_feed(hp, xml + at, m, at + m == len, &e);
		free(e);
	}
	if ((pr == 0) != (r == 0))
		abort(); /* whole and in pieces disagree */
	if (pr == 0) {
		struct vf_engine_host *got = NULL;
		size_t gn = 0;
		vf_engine_hosts_parser_take(hp, &got, &gn);
		if (gn != n)
			abort();
		for (size_t i = 0; i < n; i++)
			if (!same_str(got[i].id, hosts[i].id) || !same_str(got[i].address, hosts[i].address))
				abort();
		vf_engine_hosts_free(got, gn);
	}
	vf_engine_hosts_parser_free(hp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *xml = (const char *)data + 1;
	size_t len = size - 1;
	char *err = NULL;
	switch (data[0] % 6) {
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
	case 3: {
		uint64_t nodes;
		char tune[16];
		(void)vf_engine_parse_vm_numa(xml, len, &nodes, tune, sizeof tune, &err);
		break;
	}
	case 4: {
		struct vf_cpuset cpus;
		bool any;
		char tune[16];
		(void)vf_engine_parse_vm(xml, len, &cpus, &any, tune, sizeof tune, &err);
		break;
	}
	case 5: {
		struct vf_host_numa_node *nodes = NULL;
		size_t n = 0;
		if (vf_engine_parse_host_numa(xml, len, &nodes, &n, &err) == 0)
			free(nodes);
		break;
	}
	default: {
		struct vf_engine_host *hosts = NULL;
		size_t n = 0;
		int r = vf_engine_parse_hosts(xml, len, &hosts, &n, &err);
		if (len > 0)
			in_pieces(xml, len, (size_t)data[0] / 3 % 61 + 1, r, hosts, n);
		if (r == 0)
			vf_engine_hosts_free(hosts, n);
		break;
	}
	}
	free(err);
	return 0;
}
