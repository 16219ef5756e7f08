/* SPDX-License-Identifier: MIT */
/* Listen addresses (see net.h). */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "util.h"

int vf_parse_listen(const char *s, struct sockaddr_storage *ss, char **errmsg)
{
	const char *colon = strrchr(s, ':');
	if (!colon)
		return set_error(errmsg, -EINVAL, "listen %s: not ADDR:PORT", s);
	long port;
	if (parse_long(colon + 1, 0, 65535, &port) < 0)
		return set_error(errmsg, -EINVAL, "listen %s: bad port", s);
	_cleanup_free_ char *host = xstrndup(s, colon - s);
	size_t n = strlen(host);
	memset(ss, 0, sizeof *ss);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		host[n - 1] = '\0';
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1)
			return 0;
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		if (inet_pton(AF_INET, host, &a4->sin_addr) == 1)
			return 0;
	}
	return set_error(errmsg, -EINVAL, "listen %s: not a numeric IPv4 address or [IPv6] address", s);
}
