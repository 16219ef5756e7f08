/* SPDX-License-Identifier: MIT */
/* libFuzzer: the hook's custom properties (hook/props.c): the vmfex dict, and the same text as a
 * device-level profile, a MAC and an extnet value. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "props.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the hook reads an environment variable: a NUL-terminated string */
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	struct vf_vmfex_map m = { 0 };
	char *err = NULL;
	(void)vf_vmfex_is_dict(s);
	if (vf_vmfex_dict_parse(s, &m, &err) == 0) {
		for (size_t i = 0; i < m.n; i++)
			(void)vf_vmfex_map_find(&m, m.entries[i].mac);
		(void)vf_vmfex_map_find(&m, s);
		vf_vmfex_map_clear(&m);
	}
	free(err);
	err = NULL;

	(void)vf_profile_valid(s);
	char mac[VF_MAC_STRLEN];
	(void)vf_mac_normalize(s, mac);

	char *network = NULL, *portgroup = NULL;
	if (vf_extnet_parse(s, &network, &portgroup, &err) == 0) {
		free(network);
		free(portgroup);
	}
	free(err);
	free(s);
	return 0;
}
