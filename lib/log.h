/* SPDX-License-Identifier: MIT */
/* The programs' log lines on stderr: "PROGRAM: message", or, when stderr is the journal,
 * "<N>message" with N the syslog priority (sd-daemon(3)): journald files each line at its
 * level and tags it with the program already, so the name is not repeated there.
 *
 * stderr is the journal when $JOURNAL_STREAM ("DEVICE:INODE", systemd.exec(5)) names the
 * file descriptor 2 holds: a child whose stderr went elsewhere (the hook under VDSM, which
 * inherits vdsmd's environment but writes to a pipe) keeps the plain form. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>

#include "util.h"

/* syslog(3)'s priorities, the numbers journald reads */
enum vf_log_level {
	VF_LOG_ERR = 3,
	VF_LOG_WARNING = 4,
	VF_LOG_NOTICE = 5,
	VF_LOG_INFO = 6,
	VF_LOG_DEBUG = 7,
};

/* Name the program (a static string) and look at where stderr goes. Call again after moving
 * stderr. Before the first call the prefix is "vfcap". */
void vf_log_init(const char *program);
/* Is stderr the journal (as of the last vf_log_init)? */
bool vf_log_to_journal(void);

/* One line, "\n" added, in one write (threads' lines do not interleave). */
void vf_log(enum vf_log_level level, const char *fmt, ...) _printf_(2, 3);
void vf_logv(enum vf_log_level level, const char *fmt, va_list ap) _printf_(2, 0);
/* The line vf_log would write, without its "\n", for a caller that writes it later (the
 * hook's watchdog, from a signal handler, where nothing may be formatted); caller frees. */
char *vf_log_line(enum vf_log_level level, const char *fmt, ...) _printf_(2, 3);

#define log_error(...) vf_log(VF_LOG_ERR, __VA_ARGS__)
#define log_warning(...) vf_log(VF_LOG_WARNING, __VA_ARGS__)
#define log_notice(...) vf_log(VF_LOG_NOTICE, __VA_ARGS__)
#define log_info(...) vf_log(VF_LOG_INFO, __VA_ARGS__)
