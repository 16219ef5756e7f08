/* SPDX-License-Identifier: MIT */
/* SR-IOV topology from a sysfs tree.
 *
 * Every path is resolved component by component inside ROOT (vf_sysfs_resolve), never with
 * realpath(3): a fixture tree, or a copy of a host's /sys, must not be able to make us read the
 * real / through an absolute or escaping symlink. Problems become host errors (source sysfs,
 * object = the PF) whose message starts with the file; the PF stays with the affected counts
 * UNKNOWN, because a report that omits a broken PF would read as "no VFs there". */
#include "sysfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#define ATTR_MAX 4096      /* sysfs attributes are at most a page */
#define MAX_LINK_HOPS 40   /* what the kernel allows (ELOOP) */
#define VF_COUNT_MAX 65535 /* TotalVFs is a 16-bit field of the SR-IOV capability */

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

struct reader {
	const char *root;
	struct vf_host *h;
	const char *pf; /* the PF being read: object of its errors */
};

/* ---- paths inside ROOT ---- */

/* ROOT/rel; rel "" is ROOT itself. */
static char *full_path(const char *root, const char *rel)
{
	return *rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
}

static char *path_join(const char *dir, const char *name)
{
	return *dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
}

static int read_link(const char *path, char **ret)
{
	for (size_t size = 256; size <= 16 * PATH_MAX; size *= 2) {
		_cleanup_free_ char *buf = xmalloc(size);
		ssize_t n = readlink(path, buf, size);
		if (n < 0)
			return -errno;
		if ((size_t)n < size) {
			buf[n] = '\0';
			*ret = TAKE_PTR(buf);
			return 0;
		}
	}
	return -ENAMETOOLONG;
}

/* Drop the last component of a canonical relative path. Going above ROOT is how a link
 * leaves the tree: -EXDEV, which callers treat like a dangling link. */
static int path_pop(char *p)
{
	if (!*p)
		return -EXDEV;
	char *slash = strrchr(p, '/');
	*(slash ? slash : p) = '\0';
	return 0;
}

/* Resolve one component against *done (canonical so far). A symlink is not followed here:
 * its target is put in front of *todo, so it is resolved relative to where the link is. */
static int resolve_step(const char *root, char **done, char **todo, const char *comp,
			unsigned *hops)
{
	if (streq(comp, "."))
		return 0;
	if (streq(comp, ".."))
		return path_pop(*done);

	_cleanup_free_ char *cand = path_join(*done, comp);
	_cleanup_free_ char *full = full_path(root, cand);
	struct stat st;
	if (lstat(full, &st) < 0)
		return -errno;
	if (!S_ISLNK(st.st_mode)) {
		free(*done);
		*done = TAKE_PTR(cand);
		return 0;
	}
	if (++*hops > MAX_LINK_HOPS)
		return -ELOOP;
	_cleanup_free_ char *target = NULL;
	int r = read_link(full, &target);
	if (r < 0)
		return r;
	/* sysfs makes only relative links; an absolute one would name the real /. */
	if (target[0] == '/')
		return -EXDEV;
	char *t = xasprintf("%s%s", target, *todo); /* *todo is "" or starts with '/' */
	free(*todo);
	*todo = t;
	return 0;
}

/* Resolve rel below base, a path already canonical (every caller holds one: the class dir, a
 * netdev dir, a PCI function dir), so only the new components cost an lstat each. Re-resolving
 * from ROOT for every attribute made a 16 x 256 VF host take 124,000 lstat calls. */
static int resolve_under(const char *root, const char *base, const char *rel, char **ret)
{
	_cleanup_free_ char *done = xstrdup(base);
	_cleanup_free_ char *todo = xstrdup(rel);
	unsigned hops = 0;

	for (;;) {
		const char *rest = todo + strspn(todo, "/");
		if (!*rest)
			break;
		size_t n = strcspn(rest, "/");
		_cleanup_free_ char *comp = xstrndup(rest, n);
		memmove(todo, rest + n, strlen(rest + n) + 1);
		int r = resolve_step(root, &done, &todo, comp, &hops);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(done);
	return 0;
}

int vf_sysfs_resolve(const char *root, const char *rel, char **ret)
{
	return resolve_under(root, "", rel, ret);
}

/* Does dir/name exist (as anything, a dangling link included)? dir is canonical. */
static bool entry_exists(const char *root, const char *dir, const char *name)
{
	_cleanup_free_ char *rel = path_join(dir, name);
	_cleanup_free_ char *full = full_path(root, rel);
	struct stat st;
	return lstat(full, &st) == 0;
}

/* The basename of the target of link dir/name, without following it (driver, master, device):
 * the name is the fact, the target need not be inside ROOT or exist. */
static int link_basename(const char *root, const char *dir, const char *name, char **ret)
{
	_cleanup_free_ char *rel = path_join(dir, name);
	_cleanup_free_ char *full = full_path(root, rel);
	_cleanup_free_ char *target = NULL;
	int r = read_link(full, &target);
	if (r < 0)
		return r;
	size_t len = strlen(target);
	while (len > 1 && target[len - 1] == '/')
		target[--len] = '\0';
	const char *slash = strrchr(target, '/');
	const char *base = slash ? slash + 1 : target;
	if (!*base || streq(base, ".") || streq(base, ".."))
		return -EINVAL;
	*ret = xstrdup(base);
	return 0;
}

/* The smallest entry of parent/dir (parent canonical) starting with prefix: readdir order is the file system's, and the
 * report must not depend on it. */
static int first_entry(const char *root, const char *parent, const char *dir, const char *prefix,
		       char **ret)
{
	_cleanup_free_ char *canon = NULL;
	int r = resolve_under(root, parent, dir, &canon);
	if (r < 0)
		return r;
	_cleanup_free_ char *full = full_path(root, canon);
	_cleanup_closedir_ DIR *d = opendir(full);
	if (!d)
		return -errno;
	_cleanup_free_ char *best = NULL;
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_name[0] == '.' || !startswith(de->d_name, prefix))
			continue;
		if (!best || strcmp(de->d_name, best) < 0) {
			free(best);
			best = xstrdup(de->d_name);
		}
	}
	if (!best)
		return -ENOENT;
	*ret = TAKE_PTR(best);
	return 0;
}

/* ---- attributes ---- */

static void add_error(const struct reader *rd, const char *rel, const char *fmt, ...)
	_printf_(3, 4);
static void add_error(const struct reader *rd, const char *rel, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *what = xvasprintf(fmt, ap);
	va_end(ap);
	vf_host_add_error(rd->h, VF_SRC_SYSFS, rd->pf, "%s/%s: %s", rd->root, rel, what);
}

/* Read attribute dir/name. -ENOENT when missing (callers pick the default, silently); any other
 * failure is a host error. *ret_rel (optional) gets the canonical file for later messages. */
static int attr_read(const struct reader *rd, const char *dir, const char *name, char **ret,
		     char **ret_rel)
{
	_cleanup_free_ char *rel = path_join(dir, name);
	_cleanup_free_ char *canon = NULL;
	int r = resolve_under(rd->root, dir, name, &canon);
	if (r == -ENOENT)
		return r;
	if (r < 0) {
		add_error(rd, rel, "cannot resolve: %s", strerror(-r));
		return r;
	}
	_cleanup_free_ char *full = full_path(rd->root, canon);
	r = read_one_line(full, ret, ATTR_MAX);
	if (r == -ENOENT)
		return r;
	if (r < 0) {
		add_error(rd, canon, "cannot read: %s", strerror(-r));
		return r;
	}
	if (ret_rel)
		*ret_rel = TAKE_PTR(canon);
	return 0;
}

/* A decimal attribute in [min, max]. A malformed value is a host error naming file and value. */
static int attr_int(const struct reader *rd, const char *dir, const char *name, long min, long max,
		    long *ret)
{
	_cleanup_free_ char *s = NULL, *rel = NULL;
	int r = attr_read(rd, dir, name, &s, &rel);
	if (r < 0)
		return r;
	r = parse_long(s, min, max, ret);
	if (r == -EINVAL)
		add_error(rd, rel, "not a number: '%s'", s);
	else if (r < 0)
		add_error(rd, rel, "out of range [%ld, %ld]: '%s'", min, max, s);
	return r;
}

/* "0x8086": the text is kept (it is what lspci and the report show), but it must be a
 * 16-bit hex id. */
static char *attr_pci_id(const struct reader *rd, const char *dir, const char *name)
{
	_cleanup_free_ char *s = NULL, *rel = NULL;
	if (attr_read(rd, dir, name, &s, &rel) < 0)
		return NULL;
	size_t n = startswith(s, "0x") ? strspn(s + 2, "0123456789abcdefABCDEF") : 0;
	if (n < 1 || n > 4 || s[2 + n]) {
		add_error(rd, rel, "not a PCI id: '%s'", s);
		return NULL;
	}
	return TAKE_PTR(s);
}

/* DDDD:BB:SS.F */
static bool is_pci_address(const char *s)
{
	static const char pattern[] = "xxxx:xx:xx.x";
	if (strlen(s) != sizeof(pattern) - 1)
		return false;
	for (size_t i = 0; pattern[i]; i++)
		if (pattern[i] == 'x' ? !isxdigit((unsigned char)s[i]) : s[i] != pattern[i])
			return false;
	return true;
}

/* ---- VFs ---- */

static void virtfn_error(const struct reader *rd, const char *rel, int err)
{
	_cleanup_free_ char *full = full_path(rd->root, rel);
	_cleanup_free_ char *target = NULL;
	if (read_link(full, &target) < 0)
		add_error(rd, rel, "missing (other VFs have their link)");
	else if (err == -ENOENT || err == -ENOTDIR)
		add_error(rd, rel, "dangling link to '%s'", target);
	else if (err == -EXDEV)
		add_error(rd, rel, "dangling link: '%s' leaves the sysfs root", target);
	else
		add_error(rd, rel, "cannot resolve link to '%s': %s", target, strerror(-err));
}

static void read_vf_netdev(const struct reader *rd, const char *vfdir, struct vf_vf *vf)
{
	_cleanup_free_ char *name = NULL, *ndir = NULL, *upper = NULL, *sub = NULL;
	if (first_entry(rd->root, vfdir, "net", "", &name) < 0)
		return; /* no host netdev: vfio-pci, another stub driver, or unbound */
	sub = xasprintf("net/%s", name);
	if (resolve_under(rd->root, vfdir, sub, &ndir) < 0)
		return;

	long ifindex;
	if (attr_int(rd, ndir, "ifindex", 1, INT_MAX, &ifindex) == 0)
		vf->ifindex = (int)ifindex;
	(void)link_basename(rd->root, ndir, "master", &vf->master);
	/* Neutron's SR-IOV agent reads the same link: a macvtap stacked on the VF. */
	if (first_entry(rd->root, ndir, "", "upper_macvtap", &upper) == 0)
		vf->macvtap_upper = xstrdup(upper + strlen("upper_"));
	vf->netdev = TAKE_PTR(name);
}

static void read_vf(const struct reader *rd, const char *pfdir, struct vf_vf *vf)
{
	_cleanup_free_ char *name = xasprintf("virtfn%d", vf->index);
	_cleanup_free_ char *link = path_join(pfdir, name);
	_cleanup_free_ char *vfdir = NULL;
	int r = resolve_under(rd->root, pfdir, name, &vfdir);
	if (r < 0) {
		virtfn_error(rd, link, r);
		return;
	}
	const char *slash = strrchr(vfdir, '/');
	const char *base = slash ? slash + 1 : vfdir;
	if (!is_pci_address(base)) {
		add_error(rd, link, "link to '%s' is not a PCI function", vfdir);
		return;
	}
	vf->pci_address = xstrdup(base);
	(void)link_basename(rd->root, vfdir, "driver", &vf->driver);
	read_vf_netdev(rd, vfdir, vf);
}

/* Some drivers create VFs without PCI functions of their own (netdevsim; VFs known to netlink
 * only). They have no virtfn link at all, which is not an error; a partial set is. */
static bool has_virtfn_links(const struct reader *rd, const char *pfdir, int numvfs)
{
	for (int i = 0; i < numvfs; i++) {
		_cleanup_free_ char *name = xasprintf("virtfn%d", i);
		if (entry_exists(rd->root, pfdir, name))
			return true;
	}
	return false;
}

static void read_vfs(const struct reader *rd, struct vf_pf *pf, const char *pfdir)
{
	vf_pf_set_vfs(pf, (size_t)pf->numvfs);
	if (!has_virtfn_links(rd, pfdir, pf->numvfs))
		return;
	for (size_t i = 0; i < pf->n_vfs; i++) {
		size_t errors = rd->h->n_errors;
		read_vf(rd, pfdir, &pf->vfs[i]);
		/* What we could not read might be exactly what holds the VF. */
		pf->vfs[i].broken = rd->h->n_errors > errors;
	}
}

/* ---- PFs ---- */

static void read_vf_counts(const struct reader *rd, struct vf_pf *pf, const char *pfdir)
{
	long v;
	/* Optional: systemd tolerates its absence, and netdevsim has none. */
	if (attr_int(rd, pfdir, "sriov_totalvfs", 0, VF_COUNT_MAX, &v) == 0)
		pf->totalvfs = (int)v;

	_cleanup_free_ char *s = NULL, *rel = NULL;
	if (attr_read(rd, pfdir, "sriov_numvfs", &s, &rel) < 0)
		return;
	int r = parse_long(s, LONG_MIN, LONG_MAX, &v);
	if (r == -EINVAL)
		add_error(rd, rel, "not a number: '%s'", s);
	else if (r < 0 || v < 0 || v > VF_COUNT_MAX)
		add_error(rd, rel, "not a valid VF count: '%s'", s);
	else if (pf->totalvfs != UNKNOWN && v > pf->totalvfs)
		add_error(rd, rel, "'%s' exceeds sriov_totalvfs %d", s, pf->totalvfs);
	else
		pf->numvfs = (int)v;
}

static void read_pf(const struct reader *rd, struct vf_pf *pf, const char *netdir,
		    const char *pfdir)
{
	long v;
	if (attr_int(rd, netdir, "ifindex", 1, INT_MAX, &v) == 0)
		pf->ifindex = (int)v;
	(void)attr_read(rd, netdir, "operstate", &pf->link_state, NULL);

	_cleanup_free_ char *dev = NULL;
	if (link_basename(rd->root, netdir, "device", &dev) == 0 && is_pci_address(dev))
		pf->pci_address = TAKE_PTR(dev);
	pf->vendor_id = attr_pci_id(rd, pfdir, "vendor");
	pf->device_id = attr_pci_id(rd, pfdir, "device");
	if (attr_int(rd, pfdir, "numa_node", -1, INT_MAX, &v) == 0)
		pf->numa_node = (int)v;

	read_vf_counts(rd, pf, pfdir);
	if (pf->numvfs != UNKNOWN)
		read_vfs(rd, pf, pfdir);
}

static bool strv_contains(char *const *strv, const char *s)
{
	for (; *strv; strv++)
		if (streq(*strv, s))
			return true;
	return false;
}

/* Switchdev representors (mlx5 "pf0vf3", "c1pf0vf3", "pf0sf1") have the PF as their parent
 * device, so they look like PFs; their phys_port_name tells them apart from the uplink ("p0"). */
static bool is_representor(const char *root, const char *netdir)
{
	_cleanup_free_ char *canon = NULL, *full = NULL, *s = NULL;
	if (resolve_under(root, netdir, "phys_port_name", &canon) < 0)
		return false;
	full = full_path(root, canon);
	if (read_one_line(full, &s, ATTR_MAX) < 0)
		return false;
	const char *p = s;
	if (*p == 'c')
		p += 1 + strspn(p + 1, "0123456789");
	if (!startswith(p, "pf"))
		return false;
	p += 2 + strspn(p + 2, "0123456789");
	if (!startswith(p, "vf") && !startswith(p, "sf"))
		return false;
	size_t n = strspn(p + 2, "0123456789");
	return n > 0 && !p[2 + n];
}

/* Is class/net/NAME a PF we report? Returns its canonical netdev and PCI function dirs. */
static bool pf_candidate(const char *root, const char *classdir, const char *name,
			 char **ret_netdir, char **ret_pfdir)
{
	_cleanup_free_ char *netdir = NULL, *pfdir = NULL;
	if (resolve_under(root, classdir, name, &netdir) < 0)
		return false;
	/* No parent device (lo, bond0, macvtap) or a broken one: nothing to count. */
	if (resolve_under(root, netdir, "device", &pfdir) < 0)
		return false;
	if (!entry_exists(root, pfdir, "sriov_numvfs") || entry_exists(root, pfdir, "physfn"))
		return false;
	if (is_representor(root, netdir))
		return false;
	*ret_netdir = TAKE_PTR(netdir);
	*ret_pfdir = TAKE_PTR(pfdir);
	return true;
}

static void scan_netdev(struct reader *rd, const char *classdir, const char *name,
			const struct vf_config *cfg, char *const *only)
{
	_cleanup_free_ char *netdir = NULL, *pfdir = NULL, *driver = NULL;
	if (only && !strv_contains(only, name))
		return;
	if (!pf_candidate(rd->root, classdir, name, &netdir, &pfdir))
		return;
	(void)link_basename(rd->root, pfdir, "driver", &driver);
	if (cfg && !vf_config_pf_selected(cfg, name, driver))
		return;

	struct vf_pf *pf = vf_host_add_pf(rd->h, name);
	pf->driver = TAKE_PTR(driver);
	rd->pf = pf->name;
	read_pf(rd, pf, netdir, pfdir);
	rd->pf = NULL;
}

int vf_sysfs_read(const char *root, const struct vf_config *cfg, char *const *only,
		  struct vf_host *h)
{
	_cleanup_free_ char *classdir = NULL, *full = NULL;
	int r = vf_sysfs_resolve(root, "class/net", &classdir);
	if (r < 0)
		return r;
	full = full_path(root, classdir);
	_cleanup_closedir_ DIR *d = opendir(full);
	if (!d)
		return -errno;

	struct reader rd = { .root = root, .h = h };
	for (struct dirent *de; (de = readdir(d));)
		if (de->d_name[0] != '.')
			scan_netdev(&rd, classdir, de->d_name, cfg, only);
	vf_host_sort(h);
	return 0;
}

char *vf_sysfs_host_uuid(const char *root)
{
	_cleanup_free_ char *canon = NULL, *full = NULL, *s = NULL;
	if (vf_sysfs_resolve(root, "class/dmi/id/product_uuid", &canon) < 0)
		return NULL;
	full = full_path(root, canon);
	if (read_one_line(full, &s, ATTR_MAX) < 0 || !*s)
		return NULL;
	/* Older kernels print it in upper case; VDSM and the engine use lower case. */
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return TAKE_PTR(s);
}
