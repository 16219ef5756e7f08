/* SPDX-License-Identifier: MIT */
/* util.c: number parsing, file reading limits, atomic writes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_read_limits),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_array_append),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
