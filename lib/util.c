/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

static void oom(void)
{
	fputs("vfcap: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		oom();
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

int set_error(char **errmsg, int r, const char *fmt, ...)
{
	if (errmsg) {
		va_list ap;
		va_start(ap, fmt);
		free(*errmsg);
		*errmsg = xvasprintf(fmt, ap);
		va_end(ap);
	}
	return r;
}

void *array_append(void *arr_ptr, size_t *n, size_t elem)
{
	void **arr = arr_ptr;
	size_t cap = 4;
	while (cap <= *n)
		cap *= 2;
	/* Grow geometrically: only reallocate when n crosses a power of two. */
	if (*n == 0 || (*n >= 4 && (*n & (*n - 1)) == 0))
		*arr = xrealloc(*arr, cap * elem);
	void *slot = (char *)*arr + *n * elem;
	memset(slot, 0, elem);
	(*n)++;
	return slot;
}

void cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
}

struct timespec monotonic_after_ms(int64_t ms)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += (time_t)(ms / 1000);
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

bool streq_ptr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return streq(a, b);
}

bool startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int read_full_file(const char *path, char **ret, size_t *ret_len, size_t max)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	return read_full_fd(fd, ret, ret_len, max);
}

int read_full_fd(int fd, char **ret, size_t *ret_len, size_t max)
{
	/* Room for one byte past max: reading it is how a file over the limit shows. */
	size_t len = 0, cap = max < 4096 ? max + 1 : 4096;
	_cleanup_free_ char *buf = xmalloc(cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap > max)
				return -EFBIG;
			cap = cap * 2 > max ? max + 1 : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t k = read(fd, buf + len, cap - len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		if (k == 0)
			break;
		len += (size_t)k;
	}
	if (len > max)
		return -EFBIG;
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

/* buf holds len bytes and room for a NUL: one line of text, trailing newline stripped. */
static int finish_line(char *buf, size_t len, char **ret)
{
	_cleanup_free_ char *b = buf;
	if (memchr(b, '\0', len))
		return -EINVAL;
	b[len] = '\0';
	while (len > 0 && (b[len - 1] == '\n' || b[len - 1] == ' '))
		b[--len] = '\0';
	*ret = TAKE_PTR(b);
	return 0;
}

int read_one_line(const char *path, char **ret, size_t max)
{
	char *buf = NULL;
	size_t len;
	int r = read_full_file(path, &buf, &len, max);
	if (r < 0)
		return r;
	return finish_line(buf, len, ret);
}

int read_one_line_fd(int fd, char **ret, size_t max)
{
	char stack[4097]; /* sysfs attributes fit: no large malloc per attribute */
	_cleanup_free_ char *heap = max < sizeof(stack) ? NULL : xmalloc(max + 1);
	char *buf = heap ? heap : stack;
	ssize_t k;
	do
		k = read(fd, buf, max);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return -errno;
	if ((size_t)k >= max)
		return -EFBIG;
	char *line = xmalloc((size_t)k + 1);
	memcpy(line, buf, (size_t)k);
	return finish_line(line, (size_t)k, ret);
}

int parse_long(const char *s, long min, long max, long *ret)
{
	if (!s || !*s)
		return -EINVAL;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*end != '\0' || end == s)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t k = write(fd, p, len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

/* Is name what mkostemp made of base: "BASE.XXXXXX", six of [A-Za-z0-9]? */
static bool is_temp_of(const char *name, const char *base)
{
	size_t n = strlen(base);
	if (strncmp(name, base, n) != 0 || name[n] != '.' || strlen(name + n + 1) != 6)
		return false;
	for (const char *p = name + n + 1; *p; p++)
		if (!isalnum((unsigned char)*p))
			return false;
	return true;
}

/* A writer killed between mkostemp and rename leaves its temp file behind, and nothing else
 * would ever remove it: the next write of the same file removes such files when they are ours,
 * regular and untouched for VF_STALE_TEMP_SECS (a younger one may be another writer's, at work). */
static void remove_stale_temps(const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);
	char *slash = strrchr(copy, '/');
	const char *dir = slash ? (slash == copy ? "/" : copy) : ".", *base = slash ? slash + 1 : copy;
	if (slash)
		*slash = '\0';
	DIR *d = opendir(dir);
	if (!d)
		return;
	time_t now = time(NULL);
	for (struct dirent *e; (e = readdir(d));) {
		struct stat st;
		if (!is_temp_of(e->d_name, base) || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode) && st.st_uid == geteuid() && now - st.st_mtime > VF_STALE_TEMP_SECS)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

static int write_temp_rename(const char *path, const void *data, size_t len, mode_t mode, bool sweep)
{
	_cleanup_free_ char *tmp = xasprintf("%s.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = write_all(fd, data, len);
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	else if (sweep)
		remove_stale_temps(path);
	return r;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_temp_rename(path, data, len, mode, true);
}

int write_file_replace(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_temp_rename(path, data, len, mode, false);
}

time_t vf_now(void)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	long v;
	if (e && parse_long(e, 0, INT32_MAX, &v) == 0)
		return (time_t)v;
	return time(NULL);
}

#define SECRET_MAX 4096

int vf_read_secret_file(const char *path, const char *what, char **ret, char **errmsg)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return set_error(errmsg, -errno, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0)
		return set_error(errmsg, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return set_error(errmsg, -EINVAL, "%s: not a regular file", path);
	if ((st.st_mode & 077) || (st.st_uid != 0 && st.st_uid != geteuid()))
		return set_error(errmsg, -EPERM,
				 "%s: holds %s, so it must be owned by root or by us and readable by its "
				 "owner only (mode %04o, owner %u; chmod 600)",
				 path, what, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
	_cleanup_free_ char *line = NULL;
	int r = read_one_line_fd(fd, &line, SECRET_MAX);
	if (r < 0)
		return set_error(errmsg, r, "%s: %s", path, r == -EFBIG ? "too large" : strerror(-r));
	if (!*line)
		return set_error(errmsg, -EINVAL, "%s: empty", path);
	*ret = TAKE_PTR(line);
	return 0;
}
