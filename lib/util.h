/* SPDX-License-Identifier: MIT */
/* Small shared helpers: cleanup attributes, strings, files. */
#pragma once

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Hand ownership of *p to the caller and leave NULL behind for the cleanup handler. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _p = (p);                                                            \
		(p) = NULL;                                                                        \
		_p;                                                                                \
	})

/* The same for a file descriptor: -1 is left behind. */
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _fd = (fd);                                                                    \
		(fd) = -1;                                                                         \
		_fd;                                                                               \
	})

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* -errno after a failed call, never 0 (so that callers, and the compiler, can rely on r < 0). */
static inline int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* Allocation failure is not a condition this project recovers from. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);
char *xvasprintf(const char *fmt, va_list ap) _printf_(1, 0);

/* For library functions that explain a failure: when errmsg is not NULL, replace *errmsg with
 * the formatted message (the caller frees it). Returns r, so `return set_error(...)` reads. */
int set_error(char **errmsg, int r, const char *fmt, ...) _printf_(3, 4);

/* Grow *arr (of *n elements of size elem) by one zeroed element; returns it. The capacity is
 * implied by *n, so *arr must be NULL with *n 0 or grown by array_append() alone: never append
 * to an array allocated another way. */
void *array_append(void *arr_ptr, size_t *n, size_t elem);

/* A condition variable whose timed waits run on CLOCK_MONOTONIC: a step of the wall clock
 * must not move a deadline. */
void cond_init_monotonic(pthread_cond_t *c);
/* CLOCK_MONOTONIC now plus ms (>= 0): a deadline for such a condition variable's timed wait. */
struct timespec monotonic_after_ms(int64_t ms);

bool streq(const char *a, const char *b);
bool streq_ptr(const char *a, const char *b); /* NULL-safe */
bool startswith(const char *s, const char *prefix);

/* Read a small text file (sysfs attribute); trailing newline stripped.
 * Returns 0, -ENOENT when missing, other -errno; -EFBIG past max bytes. */
int read_one_line(const char *path, char **ret, size_t max);
/* The same from an open fd, in ONE read(2): sysfs attributes and regular files give all they
 * have at once, so a read shorter than max is the whole file. -EFBIG at max bytes or more. */
int read_one_line_fd(int fd, char **ret, size_t max);
/* Read a whole file; -EFBIG past max bytes. */
int read_full_file(const char *path, char **ret, size_t *ret_len, size_t max);
/* The same from an open fd (a pipe, stdin), read to its end. */
int read_full_fd(int fd, char **ret, size_t *ret_len, size_t max);

/* Parse a decimal integer that fills the whole string; -EINVAL otherwise, -ERANGE out of range. */
int parse_long(const char *s, long min, long max, long *ret);

/* Write data to path through a temp file in the same directory ("PATH.XXXXXX") and rename(2),
 * so a reader sees the old file or the new one, never a torn one. After the rename, temp files
 * of path left by a killed writer (ours, untouched for VF_STALE_TEMP_SECS) are removed. */
#define VF_STALE_TEMP_SECS 3600
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* The same without the sweep, for a path no later run writes again (VDSM names each hook
 * payload afresh with mkstemp in /tmp): a killed run's temp has a name nobody sweeps, and
 * reading all of /tmp per run cost +3.5 ms at 10,000 entries, +32 ms at 100,000. */
int write_file_replace(const char *path, const void *data, size_t len, mode_t mode);

/* A password file (the engine's, libvirt's SASL one): its first line. It must be a regular
 * file owned by root or by us and readable by its owner only, since it holds a credential;
 * what names the secret in the error ("the engine password"). */
int vf_read_secret_file(const char *path, const char *what, char **ret, char **errmsg);

/* Write all of data (EINTR retried); -errno. On a socket, the caller ignores SIGPIPE. */
int write_all(int fd, const void *data, size_t len);

/* "Now" for every vfcap program: SOURCE_DATE_EPOCH when set (reproducible reports, and the
 * test pass's fixed clock, which the filter's report ages are measured against), else time(). */
time_t vf_now(void);
