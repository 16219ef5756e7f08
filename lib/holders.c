/* SPDX-License-Identifier: MIT */
/* VFs held outside libvirt, named (holders.h). The named namespaces (NETNS) first, then the
 * processes that held VFs at the last gather (hints, serve's), then one pass over PROC in pid
 * order: the fd links of each process while some VFIO holder is unnamed, the net namespace of
 * each while some moved netdev is. Each namespace is asked once, when first met, for the links
 * whose parent device is a VF, so the pass ends as soon as every VF has its name. Nothing at
 * all is read when no VF needs a name. */
#include "holders.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "netns.h"
#include "util.h"

#define VFIO_PREFIX "/dev/vfio/"

struct want {
	struct vf_vf **vfio; /* VFIO users to name */
	size_t n_vfio, named_vfio;
	struct vf_vf **ns;   /* netdevs moved to another namespace */
	size_t n_ns, named_ns;
	bool keep; /* the caller keeps hints: note what follows */
	struct vf_holder_hint *found; /* the VFs named through a process: the next gather's hints */
	size_t n_found;
};

static void found_by(struct want *w, const struct vf_vf *vf, int pid)
{
	if (!w->keep)
		return;
	*(struct vf_holder_hint *)array_append(&w->found, &w->n_found, sizeof(*w->found)) =
		(struct vf_holder_hint){ .pci_address = xstrdup(vf->pci_address), .pid = pid };
}

/* A namespace to examine: named (/run/netns) or the first process found in it. */
struct nsid {
	dev_t dev;
	ino_t ino;
	char *name; /* NULL: pid's */
	int pid;    /* 0: our own namespace, never examined (the VF's netdev is not there) */
};

struct scan {
	int procfd;
	const char *proc_root, *netns_root;
	struct want *w;
	struct nsid *ns;
	size_t n_ns;
	/* Are processes' ns/net procfs's magic links ("net:[INODE]")? Unknown until the first
	 * one read; then nsfs's device, from that one's stat. */
	enum { NS_LINKS_UNKNOWN, NS_LINKS_NO, NS_LINKS_YES } ns_links;
	dev_t nsfs_dev;
};

static bool libvirt_holds(const struct vf_vf *vf, const struct vf_usage *u)
{
	if (!u || !vf->pci_address)
		return false;
	if (vf_usage_find(u, VF_USE_DOMAIN_PCI, vf->pci_address))
		return true;
	const struct vf_use *p = vf_usage_find(u, VF_USE_POOL_PCI, vf->pci_address);
	return p && p->connections > 0;
}

static void collect(struct vf_host *h, const struct vf_usage *u, struct want *w)
{
	for (size_t i = 0; i < h->n_pfs; i++)
		for (size_t k = 0; k < h->pfs[i].n_vfs; k++) {
			struct vf_vf *vf = &h->pfs[i].vfs[k];
			bool vfio = streq_ptr(vf->driver, "vfio-pci") && vf->enable >= 1;
			if (vf->holder || !(vfio || (vf->net_hidden && vf->pci_address)) || libvirt_holds(vf, u))
				continue;
			if (vfio)
				*(struct vf_vf **)array_append(&w->vfio, &w->n_vfio, sizeof(void *)) = vf;
			else
				*(struct vf_vf **)array_append(&w->ns, &w->n_ns, sizeof(void *)) = vf;
		}
}

/* ---- namespaces seen ---- */

static bool ns_known(const struct scan *s, const struct stat *st)
{
	for (size_t i = 0; i < s->n_ns; i++)
		if (s->ns[i].dev == st->st_dev && s->ns[i].ino == st->st_ino)
			return true;
	return false;
}

static void name_netns(struct scan *s, const struct nsid *id);

/* The inode in a magic link's text "net:[INODE]", 0 when it is not one. */
static unsigned long long ns_link_inode(const char *text)
{
	if (!startswith(text, "net:[") || !isdigit((unsigned char)text[5]))
		return 0;
	char *end;
	errno = 0;
	unsigned long long ino = strtoull(text + 5, &end, 10);
	return errno || !streq(end, "]") ? 0 : ino;
}

/* The namespace behind path (below dirfd), as its device and inode. A process's ns/net on
 * procfs is a magic link whose text names the namespace's inode on nsfs ("net:[4026531840]"),
 * so once nsfs's device is known (the first such link is also stat'ed) a readlink says it:
 * about 5 us a process on procfs, against 7 for a stat, which follows the link to the namespace
 * file. A named namespace (a bind mount) and a fixture's plain files are stat'ed. */
static int ns_identity(struct scan *s, int dirfd, const char *path, bool proc, struct stat *st)
{
	unsigned long long ino = 0;
	if (proc && s->ns_links != NS_LINKS_NO) {
		char text[48];
		ssize_t n = readlinkat(dirfd, path, text, sizeof(text) - 1);
		if (n < 0 && errno != EINVAL)
			return -errno; /* gone, or not ours to read (EACCES as vdsm): the stat's answer */
		text[n > 0 ? n : 0] = '\0';
		ino = ns_link_inode(text);
		if (ino && s->ns_links == NS_LINKS_YES) {
			*st = (struct stat){ .st_dev = s->nsfs_dev, .st_ino = (ino_t)ino };
			return 0;
		}
		if (!ino) /* a regular file (EINVAL) or a plain symlink: a fixture, stat'ed from now on */
			s->ns_links = NS_LINKS_NO;
	}
	if (fstatat(dirfd, path, st, 0) < 0)
		return -errno;
	if (ino && (unsigned long long)st->st_ino == ino) {
		s->ns_links = NS_LINKS_YES;
		s->nsfs_dev = st->st_dev;
	}
	return 0;
}

/* Add the namespace of path (relative to dirfd: a process's when pid >= 0) unless seen or the
 * cap is reached, and ask it for its VF netdevs. */
static void ns_add(struct scan *s, int dirfd, const char *path, const char *name, int pid)
{
	struct stat st;
	if (s->n_ns >= VF_NETNS_MAX + 1 || ns_identity(s, dirfd, path, pid >= 0, &st) < 0 || ns_known(s, &st))
		return; /* + 1: our own namespace is in the list but never examined */
	struct nsid *n = array_append(&s->ns, &s->n_ns, sizeof(*s->ns));
	*n = (struct nsid){ .dev = st.st_dev, .ino = st.st_ino, .name = name ? xstrdup(name) : NULL, .pid = pid };
	name_netns(s, n);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* /run/netns names, in name order, so that a namespace with a name is called by it. */
static void add_named(struct scan *s, const char *netns_root)
{
	_cleanup_close_ int fd = open(netns_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fcntl(fd, F_DUPFD_CLOEXEC, 3));
	if (!d)
		return; /* no ip netns ever made: no names */
	char **names = NULL;
	size_t n = 0;
	for (struct dirent *de; (de = readdir(d));)
		if (de->d_name[0] != '.')
			*(char **)array_append(&names, &n, sizeof(char *)) = xstrdup(de->d_name);
	closedir(d);
	if (n)
		qsort(names, n, sizeof(char *), name_cmp);
	for (size_t i = 0; i < n; i++) {
		ns_add(s, fd, names[i], names[i], -1);
		free(names[i]);
	}
	free(names);
}

/* ---- the /proc pass ---- */

static int pid_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static size_t list_pids(int procfd, int **ret)
{
	int fd = openat(procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	size_t n = 0;
	*ret = NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	long pid;
	for (struct dirent *de; (de = readdir(d));)
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9' && parse_long(de->d_name, 1, INT_MAX, &pid) == 0)
			*(int *)array_append(ret, &n, sizeof(int)) = (int)pid;
	closedir(d);
	if (n)
		qsort(*ret, n, sizeof(int), pid_cmp);
	return n;
}

static char *read_comm(int procfd, int pid)
{
	char path[32];
	snprintf(path, sizeof(path), "%d/comm", pid);
	_cleanup_close_ int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	char *comm = NULL;
	if (fd < 0 || read_one_line_fd(fd, &comm, 64) < 0 || !*comm) {
		free(comm);
		return xstrdup("?"); /* it exited after its fd was seen */
	}
	return comm;
}

/* fd target dev ("42" for /dev/vfio/42, "devices/vfio3" for the cdev) held by pid. */
static void name_vfio(struct scan *s, int pid, const char *dev, char **comm)
{
	long group = -1;
	bool cdev = startswith(dev, "devices/");
	if (!cdev && parse_long(dev, 0, INT_MAX, &group) < 0)
		return; /* /dev/vfio/vfio, the container: says nothing about which device */
	struct want *w = s->w;
	for (size_t i = 0; i < w->n_vfio; i++) {
		struct vf_vf *vf = w->vfio[i];
		bool hit = cdev ? streq_ptr(vf->vfio_dev, dev + strlen("devices/")) : vf->iommu_group == group;
		if (vf->holder || !hit)
			continue;
		if (!*comm)
			*comm = read_comm(s->procfd, pid);
		vf->holder = xasprintf("vfio pid %d (%s)", pid, *comm);
		w->named_vfio++;
		found_by(w, vf, pid);
	}
}

/* fd's target, when it is /dev/vfio/...: name the VFs it holds. */
static void check_fd(struct scan *s, int pid, int dirfd, const char *fd, char **comm)
{
	char target[64];
	ssize_t n = readlinkat(dirfd, fd, target, sizeof(target) - 1);
	if (n <= (ssize_t)strlen(VFIO_PREFIX) || n >= (ssize_t)sizeof(target) - 1)
		return; /* gone, or not /dev/vfio/... (sockets, pipes, files) */
	target[n] = '\0';
	if (startswith(target, VFIO_PREFIX))
		name_vfio(s, pid, target + strlen(VFIO_PREFIX), comm);
}

/* A process whose fd directory we may not read (another user's, as vdsm) or that exited is
 * skipped: the VFs it holds stay unnamed, never free. getdents64 into a buffer on the stack,
 * not opendir(3): that adds an fstat, two fcntl and a 32 KiB malloc per process. */
static void scan_fds(struct scan *s, int pid)
{
	char path[32], buf[4096];
	snprintf(path, sizeof(path), "%d/fd", pid);
	_cleanup_close_ int fd = openat(s->procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *comm = NULL;
	if (fd < 0)
		return;
	for (long n; s->w->named_vfio < s->w->n_vfio && (n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0;)
		for (long off = 0; off < n && s->w->named_vfio < s->w->n_vfio;) {
			const struct dirent64 *de = (const struct dirent64 *)(buf + off);
			off += de->d_reclen;
			if (de->d_name[0] != '.')
				check_fd(s, pid, fd, de->d_name, &comm);
		}
}

/* pid's network namespace, asked for its VF netdevs unless already seen (ns_add). */
static void scan_ns(struct scan *s, int pid)
{
	char path[32];
	snprintf(path, sizeof(path), "%d/ns/net", pid);
	ns_add(s, s->procfd, path, NULL, pid);
}

static void scan_proc(struct scan *s)
{
	_cleanup_free_ int *pids = NULL;
	size_t n = list_pids(s->procfd, &pids);
	for (size_t i = 0; i < n; i++) {
		bool vfio = s->w->named_vfio < s->w->n_vfio, ns = s->w->named_ns < s->w->n_ns;
		if (!vfio && !ns)
			return;
		if (vfio)
			scan_fds(s, pids[i]);
		if (ns)
			scan_ns(s, pids[i]);
	}
}

/* ---- naming the namespaces' VFs ---- */

static void name_in_ns(struct scan *s, const struct nsid *id, const struct vf_ns_links *links)
{
	struct want *w = s->w;
	for (size_t l = 0; l < links->n; l++) {
		const struct vf_ns_link *k = &links->v[l];
		if (!k->parent || (k->parent_bus && !streq(k->parent_bus, "pci")))
			continue;
		for (size_t i = 0; i < w->n_ns; i++) {
			struct vf_vf *vf = w->ns[i];
			if (vf->holder || !streq(vf->pci_address, k->parent))
				continue;
			vf->holder = id->name ? xasprintf("netns %s", id->name) : xasprintf("netns of pid %d", id->pid);
			w->named_ns++;
			if (!id->name) /* a named one is looked at first anyway */
				found_by(w, vf, id->pid);
		}
	}
}

static void name_netns(struct scan *s, const struct nsid *id)
{
	if (id->pid == 0 || s->w->named_ns == s->w->n_ns)
		return;
	_cleanup_free_ char *path = id->name ? xasprintf("%s/%s", s->netns_root, id->name)
					     : xasprintf("%s/%d/ns/net", s->proc_root, id->pid);
	struct vf_ns_links links = { 0 };
	/* EPERM (not root), ENOENT (gone), a kernel before 5.17 (no parent names): unnamed */
	if (vf_netns_links(path, &links) == 0)
		name_in_ns(s, id, &links);
	vf_ns_links_clear(&links);
}

/* ---- hints: last gather's holders, asked first ---- */

void vf_holder_hints_clear(struct vf_holder_hints *hints)
{
	for (size_t i = 0; i < hints->n; i++)
		free(hints->v[i].pci_address);
	free(hints->v);
	*hints = (struct vf_holder_hints){ 0 };
}

static bool unnamed_in(struct vf_vf *const *list, size_t n, const char *pci_address)
{
	for (size_t i = 0; i < n; i++)
		if (!list[i]->holder && streq(list[i]->pci_address, pci_address))
			return true;
	return false;
}

/* Each hinted process, while its VF is still unnamed: its fds, or its namespace. */
static void ask_hinted(struct scan *s, const struct vf_holder_hints *hints)
{
	for (size_t i = 0; hints && i < hints->n; i++) {
		const struct vf_holder_hint *k = &hints->v[i];
		if (unnamed_in(s->w->vfio, s->w->n_vfio, k->pci_address))
			scan_fds(s, k->pid);
		if (unnamed_in(s->w->ns, s->w->n_ns, k->pci_address))
			scan_ns(s, k->pid);
	}
}

static void keep_hints(struct want *w, struct vf_holder_hints *hints)
{
	if (!hints)
		return; /* nothing was noted */
	vf_holder_hints_clear(hints);
	*hints = (struct vf_holder_hints){ .v = w->found, .n = w->n_found };
}

void vf_holders_name(struct vf_host *h, const struct vf_usage *u, const char *proc_root,
		     const char *netns_root, struct vf_holder_hints *hints)
{
	struct want w = { .keep = hints != NULL };
	collect(h, u, &w);
	if (!w.n_vfio && !w.n_ns) { /* the common case costs this loop and nothing else */
		keep_hints(&w, hints);
		return;
	}
	struct scan s = { .w = &w, .proc_root = proc_root, .netns_root = netns_root,
			  .procfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) };
	if (w.n_ns && s.procfd >= 0)
		ns_add(&s, s.procfd, "self/ns/net", NULL, 0);
	if (w.n_ns)
		add_named(&s, netns_root);
	if (s.procfd >= 0) {
		ask_hinted(&s, hints);
		scan_proc(&s);
	}
	for (size_t i = 0; i < s.n_ns; i++)
		free(s.ns[i].name);
	free(s.ns);
	free(w.vfio);
	free(w.ns);
	keep_hints(&w, hints);
	if (s.procfd >= 0)
		close(s.procfd);
}
