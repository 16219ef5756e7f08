/* SPDX-License-Identifier: MIT */
/* Run a check on every case directory (each entry not starting with '.') under some fixture
 * parents, e.g. tests/fixtures/hosts and tests/fixtures/variants. Returns how many ran. */
#pragma once

#include <dirent.h>
#include <stddef.h>

#include "util.h"

static inline size_t for_each_fixture_dir(const char *const *parents, size_t n_parents,
					  void (*check)(const char *parent, const char *name))
{
	size_t n = 0;
	for (size_t i = 0; i < n_parents; i++) {
		DIR *d = opendir(parents[i]);
		assert_non_null(d);
		for (struct dirent *de; (de = readdir(d));) {
			if (de->d_name[0] == '.')
				continue;
			check(parents[i], de->d_name);
			n++;
		}
		closedir(d);
	}
	return n;
}
