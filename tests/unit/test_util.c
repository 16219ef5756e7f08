/* SPDX-License-Identifier: MIT */
/* util.c: number parsing, file reading limits, atomic writes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "util.h"

static void test_parse_long(void **state)
{
	long v;
	assert_int_equal(parse_long("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_long("-1", -1, 1, &v), 0);
	assert_int_equal(parse_long("", 0, 1, &v), -EINVAL);
	assert_int_equal(parse_long("12abc", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_long("101", 0, 100, &v), -ERANGE);
	assert_int_equal(parse_long("99999999999999999999", 0, 100, &v), -ERANGE);
	assert_int_equal(parse_long(NULL, 0, 1, &v), -EINVAL);
}

static char *tmpdir(void)
{
	char *d = xstrdup("/tmp/vfcap-util.XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static void test_read_limits(void **state)
{
	_cleanup_free_ char *d = tmpdir();
	_cleanup_free_ char *p = xasprintf("%s/f", d);
	assert_int_equal(write_file_atomic(p, "64\n", 3, 0644), 0);
	_cleanup_free_ char *line = NULL, *big = NULL;
	assert_int_equal(read_one_line(p, &line, 16), 0);
	assert_string_equal(line, "64");
	assert_int_equal(read_full_file(p, &big, NULL, 2), -EFBIG);
	assert_int_equal(read_full_file(p, &big, NULL, 3), 0); /* exactly at the limit */
	free(big);
	big = NULL;
	assert_int_equal(write_file_atomic(p, "a\0b", 3, 0644), 0);
	free(line);
	line = NULL;
	assert_int_equal(read_one_line(p, &line, 16), -EINVAL); /* NUL inside a sysfs value */
	assert_int_equal(read_one_line("/nonexistent/x", &line, 16), -ENOENT);
	unlink(p);
	rmdir(d);
}

/* The old file stays whole when the new one cannot be written; no temp file is left. */
static void test_write_atomic(void **state)
{
	_cleanup_free_ char *d = tmpdir();
	_cleanup_free_ char *p = xasprintf("%s/report.json", d);
	assert_int_equal(write_file_atomic(p, "old", 3, 0600), 0);
	assert_int_equal(write_file_atomic(p, "new", 3, 0644), 0);
	_cleanup_free_ char *s = NULL;
	assert_int_equal(read_full_file(p, &s, NULL, 64), 0);
	assert_string_equal(s, "new");
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(write_file_atomic("/nonexistent/dir/x", "y", 1, 0644), -ENOENT);
	unlink(p);
	assert_int_equal(rmdir(d), 0); /* empty: no temp file left behind */
}

static void test_array_append(void **state)
{
	int *a = NULL;
	size_t n = 0;
	for (int i = 0; i < 1000; i++)
		*(int *)array_append(&a, &n, sizeof(int)) = i;
	assert_int_equal(n, 1000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(a[i], i);
	free(a);
}

static int write_all_path(const char *p)
{
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : write_all(fd, "t", 1);
}

static void touch_at(const char *dir, const char *name, time_t age)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
	assert_int_equal(write_all_path(p), 0);
	struct timespec t[2] = { { .tv_sec = time(NULL) - age }, { .tv_sec = time(NULL) - age } };
	assert_int_equal(utimensat(AT_FDCWD, p, t, 0), 0);
}

static bool exists_in(const char *dir, const char *name)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

/* A killed writer's temp file is removed by the next write once it is an hour old; a younger
 * one (another writer at work), other names and non-files stay. */
static void test_write_atomic_stale_temps(void **state)
{
	_cleanup_free_ char *d = tmpdir();
	_cleanup_free_ char *p = xasprintf("%s/vfcap.prom", d);
	const time_t old = VF_STALE_TEMP_SECS + 60;
	touch_at(d, "vfcap.prom.Ab3xZ9", old);       /* stale: goes */
	touch_at(d, "vfcap.prom.Fresh1", 10);        /* another writer's: stays */
	touch_at(d, "vfcap.prom.old", old);          /* not mkostemp's shape */
	touch_at(d, "vfcap.prom.Ab3x-9", old);       /* not mkostemp's characters */
	touch_at(d, "other.prom.Ab3xZ9", old);       /* another file's */
	_cleanup_free_ char *dirpath = xasprintf("%s/vfcap.prom.Dir001", d);
	assert_int_equal(mkdir(dirpath, 0700), 0); /* not a regular file */
	assert_int_equal(write_file_replace(p, "w\n", 2, 0644), 0); /* no sweep */
	assert_true(exists_in(d, "vfcap.prom.Ab3xZ9"));
	assert_int_equal(write_file_atomic(p, "x\n", 2, 0644), 0);
	assert_false(exists_in(d, "vfcap.prom.Ab3xZ9"));
	static const char *const kept[] = { "vfcap.prom", "vfcap.prom.Fresh1", "vfcap.prom.old", "vfcap.prom.Ab3x-9",
					    "other.prom.Ab3xZ9", "vfcap.prom.Dir001" };
	for (size_t i = 0; i < ARRAY_SIZE(kept); i++) {
		assert_true(exists_in(d, kept[i]));
		_cleanup_free_ char *k = xasprintf("%s/%s", d, kept[i]);
		assert_int_equal(remove(k), 0);
	}
	assert_int_equal(rmdir(d), 0);
}

/* The deadline lies ms ahead of the clock read just before, its nanoseconds normalized. */
static void test_monotonic_after_ms(void **state)
{
	static const int64_t ms[] = { 0, 1, 500, 999, 1500, 30000 };
	for (size_t i = 0; i < ARRAY_SIZE(ms); i++) {
		struct timespec before, after;
		clock_gettime(CLOCK_MONOTONIC, &before);
		struct timespec d = monotonic_after_ms(ms[i]);
		clock_gettime(CLOCK_MONOTONIC, &after);
		assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
		int64_t lo = (before.tv_sec * 1000000000LL + before.tv_nsec) + ms[i] * 1000000LL;
		int64_t hi = (after.tv_sec * 1000000000LL + after.tv_nsec) + ms[i] * 1000000LL;
		int64_t got = d.tv_sec * 1000000000LL + d.tv_nsec;
		assert_true(got >= lo && got <= hi);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_read_limits),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_write_atomic_stale_temps),
		cmocka_unit_test(test_array_append),
		cmocka_unit_test(test_monotonic_after_ms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
