/* SPDX-License-Identifier: MIT */
/* Listen addresses of the services (vfcap-report serve, vfcap-filter serve). */
#pragma once

#include <sys/socket.h>

/* "ADDR:PORT" or "[V6ADDR]:PORT", numeric only (a name would be resolved once, silently);
 * port 0 lets the kernel pick. -EINVAL with *errmsg "listen S: what is wrong". */
int vf_parse_listen(const char *s, struct sockaddr_storage *ss, char **errmsg);
