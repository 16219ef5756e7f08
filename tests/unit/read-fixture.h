/* SPDX-License-Identifier: MIT */
/* Read a test's input or golden file whole; a missing one fails the test with its path (the
 * tests run from the repository root). Include after <cmocka.h>. */
#pragma once

#include <string.h>

#include "util.h"

/* dir "/" name, at most 1 MiB; *len (when not NULL) gets its length. Out of line: inlined, gcc
 * 12 takes a later strchr() into the text for a pointer to the local `buf` (-Wdangling-pointer,
 * a false positive; source-helpers.h's slurp() has the same guard). */
static __attribute__((noinline, unused)) char *read_fixture_file(const char *dir, const char *name, size_t *len)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	char *buf = NULL;
	int r = read_full_file(path, &buf, len, 1 << 20);
	if (r < 0)
		fail_msg("%s: %s (run the tests from the repository root)", path, strerror(-r));
	return buf;
}
