/* SPDX-License-Identifier: MIT */
/* vfcap-filter's exit codes, serve and run alike (vfcap-filter(8), --help). */
#pragma once

enum vf_filter_exit {
	EXIT_OK = 0,      /* done (run: even when no host passes) */
	EXIT_USAGE = 2,   /* usage or configuration error */
	EXIT_RUNTIME = 3, /* the service could not start or a source could not be opened */
};
