/* SPDX-License-Identifier: MIT */
/* Which links a network namespace holds, and their parent devices: a live namespace asked over
 * rtnetlink from inside it, or a file of recorded replies (the fixtures' seam). */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <unistd.h>

#include "util.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

#define DUMP_MAX (16u << 20)  /* a namespace with more link bytes than this is not a container's */
#define RECV_CHUNK (32 * 1024)

void vf_ns_links_clear(struct vf_ns_links *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].ifname);
		free(l->v[i].parent);
		free(l->v[i].parent_bus);
	}
	free(l->v);
	*l = (struct vf_ns_links){ 0 };
}

/* A string attribute as the kernel puts it (NUL-terminated), cut at its length if it is not. */
static char *attr_str(const struct nlattr *a)
{
	return a && nla_len(a) > 0 ? xstrndup(nla_data(a), (size_t)nla_len(a)) : NULL;
}

int vf_netns_parse_links(const void *buf, size_t len, struct vf_ns_links *ret)
{
	if (len > DUMP_MAX)
		return -EFBIG;
	int rem = (int)len;
	const struct nlmsghdr *h = buf;
	for (; nlmsg_ok(h, rem); h = nlmsg_next((struct nlmsghdr *)h, &rem)) {
		if (h->nlmsg_type == NLMSG_DONE)
			return 0;
		if (h->nlmsg_type != RTM_NEWLINK)
			continue; /* NLMSG_ERROR of a dump that failed is the caller's: see recv_dump */
		struct nlattr *tb[IFLA_MAX + 1];
		if (nlmsg_parse((struct nlmsghdr *)h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0)
			return -EBADMSG;
		struct vf_ns_link *l = array_append(&ret->v, &ret->n, sizeof(*ret->v));
		l->ifname = attr_str(tb[IFLA_IFNAME]);
		l->parent = attr_str(tb[IFLA_PARENT_DEV_NAME]);
		l->parent_bus = attr_str(tb[IFLA_PARENT_DEV_BUS_NAME]);
	}
	return rem == 0 ? 0 : -EBADMSG;
}

/* Did this datagram end the dump? -errno for an NLMSG_ERROR. */
static int dump_done(const char *buf, size_t len)
{
	int rem = (int)len;
	for (const struct nlmsghdr *h = (const void *)buf; nlmsg_ok(h, rem);
	     h = nlmsg_next((struct nlmsghdr *)h, &rem)) {
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
			int e = ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
			return e < 0 ? e : -EPROTO;
		}
	}
	return 0;
}

/* RTM_GETLINK dump on a socket of the calling thread's namespace, datagrams appended to d. */
static int dump_links(char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct timeval tv = { .tv_sec = 2 }; /* the kernel answers at once; never hang a gather */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req = { .h = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		  .i = { .ifi_family = AF_UNSPEC } };
	if (send(fd, &req, sizeof(req), 0) < 0)
		return -errno;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	for (int done = 0; !done;) {
		if (len + RECV_CHUNK > DUMP_MAX)
			return -EFBIG;
		buf = xrealloc(buf, len + RECV_CHUNK);
		ssize_t n = recv(fd, buf + len, RECV_CHUNK, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		done = dump_done(buf + len, (size_t)n);
		if (done < 0)
			return done;
		len += (size_t)n;
	}
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

struct ns_dump {
	int nsfd;
	char *buf;
	size_t len;
	int r;
};

/* A thread of its own enters the namespace, so the gather's threads stay where they are; the
 * socket it opens there lists that namespace's links. */
static void *dump_in_ns(void *arg)
{
	struct ns_dump *d = arg;
	d->r = setns(d->nsfd, CLONE_NEWNET) < 0 ? -errno : dump_links(&d->buf, &d->len);
	return NULL;
}

static int live_links(int nsfd, struct vf_ns_links *ret)
{
	struct ns_dump d = { .nsfd = nsfd };
	pthread_t t;
	int r = pthread_create(&t, NULL, dump_in_ns, &d);
	if (r != 0)
		return -r;
	pthread_join(t, NULL);
	_cleanup_free_ char *buf = d.buf;
	return d.r < 0 ? d.r : vf_netns_parse_links(buf, d.len, ret);
}

int vf_netns_links(const char *path, struct vf_ns_links *ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct statfs sfs;
	struct stat st;
	if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0)
		return -errno;
	if ((unsigned long)sfs.f_type == NSFS_MAGIC)
		return live_links(fd, ret);
	if (!S_ISREG(st.st_mode))
		return -ENOTSUP;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_full_fd(fd, &buf, &len, DUMP_MAX);
	return r < 0 ? r : vf_netns_parse_links(buf, len, ret);
}
