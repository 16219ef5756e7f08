/* SPDX-License-Identifier: MIT */
/* vfcap-report's exit codes, one-shot and serve alike (vfcap-report(8), --help). */
#pragma once

enum vf_report_exit {
	EXIT_FULL = 0,    /* the full report */
	EXIT_USAGE = 1,   /* usage or configuration error; nothing written (serve: not started) */
	EXIT_PARTIAL = 2, /* report written, but a source failed */
	EXIT_NOTHING = 3, /* nothing could be read (no sysfs); nothing written */
	/* serve */
	EXIT_STOPPED = 0,      /* by SIGTERM or SIGINT */
	EXIT_CANNOT_START = 2, /* a TLS file unreadable or unusable, the address in use */
};
