/* SPDX-License-Identifier: MIT */
/* Send stderr to a temp file between quiet_begin and quiet_end, and assert that nothing was
 * written to it: the library never prints. Include after <cmocka.h>. */
#pragma once

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

struct quiet {
	int saved;
	FILE *f;
};

static inline void quiet_begin(struct quiet *q)
{
	fflush(stderr);
	q->f = tmpfile();
	assert_non_null(q->f);
	q->saved = dup(STDERR_FILENO);
	assert_true(q->saved >= 0);
	assert_true(dup2(fileno(q->f), STDERR_FILENO) >= 0);
}

static inline void quiet_end(struct quiet *q)
{
	fflush(stderr);
	assert_true(dup2(q->saved, STDERR_FILENO) >= 0);
	close(q->saved);
	struct stat st;
	assert_int_equal(fstat(fileno(q->f), &st), 0);
	fclose(q->f);
	assert_int_equal(st.st_size, 0);
}
