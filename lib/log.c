/* SPDX-License-Identifier: MIT */
/* lib/log.h: the program prefix off the journal, the priority prefix on it. */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *program = "vfcap";
static bool journal;

/* systemd.exec(5): JOURNAL_STREAM is "DEVICE:INODE" of the stream stdout/stderr were connected
 * to; it is inherited, so it counts only when fd 2 still is that stream. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	int n = 0;
	if (!e || sscanf(e, "%llu:%llu%n", &dev, &ino, &n) != 2 || e[n] != '\0')
		return false;
	struct stat st;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void vf_log_init(const char *prog)
{
	program = prog;
	journal = stderr_is_journal();
}

bool vf_log_to_journal(void)
{
	return journal;
}

static char *line_v(enum vf_log_level level, const char *nl, const char *fmt, va_list ap)
{
	_cleanup_free_ char *msg = xvasprintf(fmt, ap);
	if (journal)
		return xasprintf("<%d>%s%s", (int)level, msg, nl);
	return xasprintf("%s: %s%s", program, msg, nl);
}

char *vf_log_line(enum vf_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = line_v(level, "", fmt, ap);
	va_end(ap);
	return line;
}

void vf_logv(enum vf_log_level level, const char *fmt, va_list ap)
{
	_cleanup_free_ char *line = line_v(level, "\n", fmt, ap);
	fputs(line, stderr); /* stderr is unbuffered: one write */
}

void vf_log(enum vf_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vf_logv(level, fmt, ap);
	va_end(ap);
}
