/* SPDX-License-Identifier: MIT */
/* What test_filter_host_entry.c, test_filter_source_dir.c and test_filter_source_http.c share:
 * the temp directory (made by each binary's setup, removed with remove_one by its teardown),
 * report files made from the nosriov golden, written in place or as an atomic writer does,
 * lookups of one host, and a call run in a thread against a hang limit. Include after
 * <cmocka.h>. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "model.h"
#include "source.h"
#include "util.h"

static char tmpdir[] = "/tmp/vfcap-test-source.XXXXXX";

#define NOSRIOV "tests/fixtures/hosts/nosriov/expected.json"
#define INTEL64 "tests/fixtures/hosts/intel64/expected.json"
#define GOLDEN_TIME "\"generated_at\": \"2026-11-18T11:06:40Z\""

#define assert_contains(s, sub)                                                                    \
	do {                                                                                       \
		const char *_s = (s);                                                              \
		if (!_s || !strstr(_s, (sub)))                                                     \
			fail_msg("'%s' does not contain '%s'", _s ? _s : "(null)", (sub));         \
	} while (0)

static inline double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void sources_freep(struct vf_sources **s)
{
	vf_sources_free(*s);
}
#define _cleanup_sources_ _cleanup_(sources_freep)

static inline void capp(struct vf_host_entry **c)
{
	vf_entry_unref(*c);
}
#define _cleanup_cap_ _cleanup_(capp)

/* ---- files ---- */

/* Out of line: inlined into a caller that hands the text to replace(), gcc 12 takes `at` for a
 * pointer to the local `text` (a -Wdangling-pointer false positive). */
static __attribute__((noinline, unused)) char *slurp(const char *path)
{
	char *text = NULL;
	assert_int_equal(read_full_file(path, &text, NULL, 1 << 24), 0);
	return text;
}

/* s with the first `from` replaced by `to` (which must be there). */
static inline char *replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	if (!at)
		fail_msg("'%s' not found", from);
	return xasprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
}

/* The nosriov report with totals.free = free, generated_at = when ("...Z"). */
static inline char *small_report(int free, const char *when)
{
	static char *golden; /* read once: 10,000 files are made from it */
	if (!golden)
		golden = slurp(NOSRIOV);
	_cleanup_free_ char *f = xasprintf("\"free\": %d,", free);
	_cleanup_free_ char *t = xasprintf("\"generated_at\": \"%s\"", when);
	_cleanup_free_ char *a = replace(golden, "\"free\": 0,", f);
	return replace(a, GOLDEN_TIME, t);
}

/* The same, generated at 11:00. */
static inline char *report(int free)
{
	return small_report(free, "2026-11-18T11:00:00Z");
}

static inline char *subdir(const char *name)
{
	char *d = xasprintf("%s/%s", tmpdir, name);
	assert_int_equal(mkdir(d, 0755), 0);
	return d;
}

static inline void put_plain(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* As an atomic writer does: a hidden temp file, then rename(2). */
static inline void put(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *tmp = xasprintf(".%s.tmp", name);
	_cleanup_free_ char *from = xasprintf("%s/%s", dir, tmp), *to = xasprintf("%s/%s", dir, name);
	put_plain(dir, tmp, text);
	assert_int_equal(rename(from, to), 0);
}

/* ---- sources ---- */

static inline struct vf_host_entry *lookup1(struct vf_sources *s, const char *id, time_t now)
{
	struct vf_host_entry *c = NULL;
	vf_sources_lookup(s, &id, 1, now, &c);
	assert_non_null(c);
	assert_string_equal(c->host_id, id);
	return c;
}

static inline struct vf_source_stats stats(struct vf_sources *s)
{
	struct vf_source_stats st;
	vf_sources_stats(s, &st);
	return st;
}

/* ---- reports as JSON ---- */

static inline int json_count(json_object *o, const char *key)
{
	json_object *v;
	assert_true(json_object_object_get_ex(o, key, &v));
	return v ? json_object_get_int(v) : UNKNOWN;
}

static inline int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* cmocka group setup and teardown: make tmpdir, then remove it with all it holds */
static inline int tmpdir_setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static inline int tmpdir_teardown(void **state)
{
	return nftw(tmpdir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* How long a test waits for what must happen before it calls it a hang. Not a speed limit:
 * what it waits for takes 50 ms (the debounce) to 1 s (test_dir_periodic's scan) here, and a
 * few seconds under valgrind on a busy machine; no verdict depends on how fast it comes. */
#define HANG_S 60.0

/* Whether fn(arg) returns within HANG_S, run in a thread of its own: for a call whose failure
 * is to block for ever (a FIFO opened for reading, a thread never woken), where a clock read
 * after the call would never be reached. On false the thread is left blocked: fail at once. */
static inline bool returns(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)HANG_S;
	int r = pthread_clockjoin_np(t, NULL, CLOCK_MONOTONIC, &until);
	if (r == ETIMEDOUT) {
		pthread_detach(t);
		return false;
	}
	assert_int_equal(r, 0);
	return true;
}
