/* SPDX-License-Identifier: MIT */
/* Run a check on every case directory (each entry not starting with '.') under some fixture
 * parents, e.g. tests/fixtures/hosts and tests/fixtures/variants. Returns how many ran. And a
 * case's JSON golden read back. Include after <cmocka.h>. */
#pragma once

#include <dirent.h>
#include <stddef.h>

#include "model.h"
#include "report.h"
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

/* A case's JSON golden (parent/name/expected.json) read back, its path in *path and its text in
 * *text (the caller frees both); NULL when the case has none. One that does not read fails. */
static inline struct vf_host *read_golden_report(const char *parent, const char *name, char **path, char **text)
{
	size_t len;
	*path = xasprintf("%s/%s/expected.json", parent, name);
	*text = NULL;
	if (read_full_file(*path, text, &len, 1 << 24) < 0)
		return NULL; /* not every case dir has a JSON golden */
	struct vf_host *h = NULL;
	_cleanup_free_ char *err = NULL;
	if (vf_report_parse(*text, len, &h, &err) < 0)
		fail_msg("%s: %s", *path, err);
	return h;
}
