/* SPDX-License-Identifier: MIT */
/* The kernel's watchers (watch.h): an rtnetlink socket (libnl) in the link and address
 * multicast groups, and a kobject uevent socket; both non-blocking, drained by serve's loop. */
#include "watch.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* Room for a burst: 1,000 link changes queue about 1.5 MB of RTM_NEWLINK with VF lists; an
 * overrun costs nothing but one more read of the host. */
#define WATCH_RCVBUF (4 << 20)

const char *vf_watch_source_name(enum vf_watch_source s)
{
	static const char *const names[VF_WATCH_N] = { "netlink", "uevent", "libvirt" };
	return (unsigned)s < VF_WATCH_N ? names[s] : "?";
}

static int count_msg(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(*(unsigned *)arg)++;
	return NL_OK;
}

static struct nl_sock *rtnl_open(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return NULL;
	nl_socket_disable_seq_check(sk); /* notifications carry no sequence of ours */
	int r = nl_connect(sk, NETLINK_ROUTE);
	if (r >= 0)
		r = nl_socket_add_memberships(sk, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, 0);
	if (r >= 0)
		r = nl_socket_set_nonblocking(sk);
	if (r >= 0)
		r = nl_socket_set_buffer_size(sk, WATCH_RCVBUF, 0);
	if (r < 0) {
		log_warning("watch: netlink: cannot subscribe to link and address changes: %s", nl_geterror(r));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

static int uevent_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 /* the kernel's, not udev's */ };
	int size = WATCH_RCVBUF;
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		log_warning("watch: uevent: cannot listen for kernel device events: %s", strerror(errno));
		return -1;
	}
	/* SO_RCVBUFFORCE needs CAP_NET_ADMIN; without it the plain size, capped by rmem_max */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	return TAKE_FD(fd);
}

void vf_watch_kernel_open(struct vf_watch_kernel *w)
{
	w->rtnl = rtnl_open();
	w->uevent_fd = uevent_open();
}

void vf_watch_kernel_close(struct vf_watch_kernel *w)
{
	if (w->rtnl)
		nl_socket_free(w->rtnl);
	if (w->uevent_fd >= 0)
		close(w->uevent_fd);
	*w = (struct vf_watch_kernel){ .uevent_fd = -1 };
}

int vf_watch_rtnl_fd(const struct vf_watch_kernel *w)
{
	return w->rtnl ? nl_socket_get_fd(w->rtnl) : -1;
}

unsigned vf_watch_rtnl_drain(struct vf_watch_kernel *w)
{
	unsigned n = 0;
	if (!w->rtnl)
		return 0;
	nl_socket_modify_cb(w->rtnl, NL_CB_VALID, NL_CB_CUSTOM, count_msg, &n);
	for (int i = 0; i < 10000; i++) { /* bounded: the loop must get back to its other sockets */
		int r = nl_recvmsgs_default(w->rtnl);
		if (r == -NLE_AGAIN)
			break;
		if (r < 0) /* overrun (ENOBUFS) or a message libnl refused: something changed */
			n++;
	}
	return n;
}

bool vf_uevent_relevant(const char *msg, size_t len)
{
	/* the header "ACTION@DEVPATH" first, then KEY=VALUE strings, each NUL-terminated */
	for (size_t off = strnlen(msg, len) + 1; off < len;) {
		const char *kv = msg + off;
		size_t n = strnlen(kv, len - off);
		if (n == len - off) /* not terminated: malformed, ignored */
			return false;
		if (streq(kv, "SUBSYSTEM=pci") || streq(kv, "SUBSYSTEM=net"))
			return true;
		off += n + 1;
	}
	return false;
}

unsigned vf_watch_uevent_drain(struct vf_watch_kernel *w)
{
	unsigned n = 0;
	char buf[8192];
	for (int i = 0; w->uevent_fd >= 0 && i < 10000; i++) {
		struct sockaddr_nl from = { 0 };
		struct iovec iov = { buf, sizeof buf };
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t len = recvmsg(w->uevent_fd, &mh, MSG_DONTWAIT);
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0 && errno == ENOBUFS) {
			n++; /* overrun: events were lost */
			continue;
		}
		if (len < 0)
			break;
		/* only the kernel's own (port 0); a truncated one is still a device event */
		if (from.nl_pid == 0 && vf_uevent_relevant(buf, (size_t)len))
			n++;
	}
	return n;
}
