/* SPDX-License-Identifier: MIT */
/* libxml2 error handlers that only count their calls: a test installs them as the program's
 * own, parses bad input, and checks that the code under test neither called nor lost them. */
#pragma once

#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>

static int generic_calls, structured_calls;

static inline void count_generic(void *ctx, const char *fmt, ...)
{
	generic_calls++;
}

#if LIBXML_VERSION >= 21200
static inline void count_structured(void *ctx, const xmlError *e)
#else
static inline void count_structured(void *ctx, xmlErrorPtr e)
#endif
{
	structured_calls++;
}
