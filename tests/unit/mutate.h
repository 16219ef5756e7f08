/* SPDX-License-Identifier: MIT */
/* Deterministic byte mutations for the parsers' robustness tests: the same flips, deletions and
 * insertions on every run (xorshift32), so that a failure reproduces. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct mutator {
	uint32_t state;          /* nonzero seed */
	const char *interesting; /* bytes worth inserting: the grammar's own punctuation */
};

static inline uint32_t mutator_next(struct mutator *m)
{
	m->state ^= m->state << 13;
	m->state ^= m->state >> 17;
	m->state ^= m->state << 5;
	return m->state;
}

/* One random bit flip, deletion or insertion (buf has room for one more byte); the new length. */
static inline size_t mutate_once(struct mutator *m, char *buf, size_t len)
{
	size_t at = mutator_next(m) % (len + 1);
	switch (mutator_next(m) % 3) {
	case 0:
		if (at < len)
			buf[at] ^= (char)(1u << (mutator_next(m) % 8));
		return len;
	case 1:
		if (at < len)
			memmove(buf + at, buf + at + 1, len - at - 1);
		return at < len ? len - 1 : len;
	default:
		memmove(buf + at + 1, buf + at, len - at);
		uint32_t c = mutator_next(m);
		size_t n = strlen(m->interesting);
		buf[at] = c % 2 ? m->interesting[c / 2 % n] : (char)(c >> 8);
		return len + 1;
	}
}
