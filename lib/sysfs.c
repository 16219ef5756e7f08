/* SPDX-License-Identifier: MIT */
/* SR-IOV topology from a sysfs tree: the PFs (class/net entries with sriov_numvfs), their VFs
 * (virtfnN), each VF's driver, netdev, macvtap, IOMMU group and VFIO use. Every path is read
 * through sysfs-reader.h, which never leaves ROOT.
 *
 * Problems become host errors (source sysfs, object = the PF) whose message starts with the
 * file; the PF stays with the affected counts UNKNOWN, because a report that omits a broken PF
 * would read as "no VFs there". */
#include "sysfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "sysfs-path.h"
#include "sysfs-reader.h"
#include "util.h"

/* ---- VFs ---- */

static void virtfn_error(const struct reader *rd, const char *rel, int err)
{
	_cleanup_free_ char *full = vf_full_path(rd->root, rel);
	_cleanup_free_ char *target = NULL;
	if (vf_read_link_at(AT_FDCWD, full, &target) < 0)
		sr_add_error(rd, rel, "missing (other VFs have their link)");
	else if (err == -ENOENT || err == -ENOTDIR)
		sr_add_error(rd, rel, "dangling link to '%s'", target);
	else if (err == -EXDEV)
		sr_add_error(rd, rel, "dangling link: '%s' leaves the sysfs root", target);
	else
		sr_add_error(rd, rel, "cannot resolve link to '%s': %s", target, strerror(-err));
}

/* The canonical VF dir behind pfdir/link, in one readlink: the kernel links virtfnN to
 * "../FUNCTION", FUNCTION a directory beside the PF's. false: the resolver must tell.
 * *is_dir: the PF's siblings were listed with FUNCTION a directory. */
static bool vf_dir_fast(struct reader *rd, const char *pfdir, const char *link, char **ret,
			bool *is_dir)
{
	_cleanup_free_ char *target = NULL;
	if (!*pfdir || sr_read_link_in(rd, pfdir, link, &target) < 0 || !startswith(target, "../"))
		return false;
	const char *fn = target + 3;
	if (!*fn || !vf_path_is_plain(fn))
		return false;
	_cleanup_free_ char *parent = xstrdup(pfdir);
	(void)vf_path_pop(parent);
	const struct entry *e = sr_sibling(rd, parent, fn);
	if (!e || e->type == DT_LNK || e->type == DT_UNKNOWN)
		return false;
	*ret = vf_path_join(parent, fn);
	*is_dir = e->type == DT_DIR;
	return true;
}

/* vf_netdev_dir: net/ exists but lists no netdev (not an errno: no syscall returns it). */
#define NET_DIR_EMPTY (-4096)

/* Drivers that never give a VF a netdev: an empty net/ means nothing under them. */
static bool is_stub_driver(const char *driver)
{
	return !driver || streq(driver, "vfio-pci") || streq(driver, "pci-stub");
}

/* The VF's host netdev: the sr_smallest entry of its net/ dir (held open for what follows), and
 * that netdev's canonical dir. */
static int vf_netdev_dir(struct reader *rd, const char *vfdir, char **ret_name, char **ret_dir)
{
	struct listing *l = &rd->held[HELD_NET];
	int r = sr_list_dir(rd, vfdir, "net", l, true);
	if (r < 0)
		return r;
	const struct entry *e = sr_smallest(l, "");
	if (!e)
		return NET_DIR_EMPTY;
	if (e->type == DT_DIR) {
		*ret_dir = vf_path_join(l->dir, e->name);
	} else {
		_cleanup_free_ char *sub = xasprintf("net/%s", e->name);
		r = vf_resolve_under(rd->root, vfdir, sub, ret_dir);
		if (r < 0)
			return r;
	}
	*ret_name = xstrdup(e->name);
	return 0;
}

/* true: the VF's net/ was listed, through its directory, which was therefore still there */
static bool read_vf_netdev(struct reader *rd, const char *vfdir, struct vf_vf *vf)
{
	_cleanup_free_ char *name = NULL, *ndir = NULL, *upper = NULL;
	int r = vf_netdev_dir(rd, vfdir, &name, &ndir);
	bool listed = r == 0 || r == NET_DIR_EMPTY;
	if (r == NET_DIR_EMPTY) {
		/* The kernel keeps net/ but lists a netdev only in the netns it lives in: a VF
		 * netdev moved into a container's netns leaves it empty here. */
		vf->net_hidden = !is_stub_driver(vf->driver);
		r = -ENOENT;
	}
	if (r < 0) {
		/* ENOENT: no host netdev (vfio-pci, another stub driver, unbound); anything else
		 * (EIO, EACCES) leaves the VF's use unknown */
		if (r != -ENOENT)
			sr_add_error(rd, vfdir, "net: cannot be read: %s", strerror(-r));
		sr_listing_done(&rd->held[HELD_NET]);
		return listed;
	}

	long ifindex;
	r = sr_attr_int(rd, ndir, "ifindex", 1, INT_MAX, &ifindex);
	if (r == 0)
		vf->ifindex = (int)ifindex;
	else if (r == -ENOENT) /* the netdev went away while read: whose it was is unknown */
		sr_add_error(rd, ndir, "ifindex: missing (the netdev vanished while read)");
	(void)sr_link_basename(rd, ndir, "master", &vf->master);
	/* Neutron's SR-IOV agent reads the same link: a macvtap stacked on the VF. */
	if (rd->macvtaps && sr_first_entry(rd, ndir, "", "upper_macvtap", &upper) == 0)
		vf->macvtap_upper = xstrdup(upper + strlen("upper_"));
	vf->netdev = TAKE_PTR(name);
	sr_listing_done(&rd->held[HELD_NET]);
	return true;
}

/* vfio-pci enables the device while a user holds it open (vfio_pci_core_enable), so enable
 * reads 0 for an idle VF and >= 1 for one in use. Unreadable or missing: a host error, so the
 * VF is never counted free. In use: its VFIO cdev's name, for lib/holders.c. true: enable was
 * read, through the VF's directory, which was therefore still there. */
static bool read_vf_enable(struct reader *rd, const char *vfdir, struct vf_vf *vf)
{
	long v;
	int r = sr_attr_int(rd, vfdir, "enable", 0, INT_MAX, &v);
	if (r == -ENOENT) {
		_cleanup_free_ char *rel = vf_path_join(vfdir, "enable");
		sr_add_error(rd, rel, "missing (a vfio-pci VF without it may be in use)");
	}
	if (r < 0)
		return false;
	vf->enable = (int)v;
	if (v >= 1)
		(void)sr_first_entry(rd, vfdir, "vfio-dev", "vfio", &vf->vfio_dev);
	return true;
}

/* The VF's directory is there (and a directory); else an error on the VF. */
static bool vf_dir_present(struct reader *rd, const char *vfdir)
{
	int fd = sr_open_plain(rd, vfdir, O_PATH | O_DIRECTORY);
	if (fd >= 0) {
		close(fd);
		return true;
	}
	if (fd == -ENOTDIR)
		sr_add_error(rd, vfdir, "not a directory");
	else if (fd == -ENOENT)
		sr_add_error(rd, vfdir, "vanished while it was read (VF removed?)");
	else
		sr_add_error(rd, vfdir, "cannot be opened: %s", strerror(-fd));
	return false;
}

static void read_vf(struct reader *rd, const char *pfdir, struct vf_vf *vf)
{
	_cleanup_free_ char *name = xasprintf("virtfn%d", vf->index);
	_cleanup_free_ char *link = vf_path_join(pfdir, name);
	_cleanup_free_ char *vfdir = NULL;
	bool listed_dir = false;
	if (!vf_dir_fast(rd, pfdir, name, &vfdir, &listed_dir)) {
		int r = vf_resolve_under(rd->root, pfdir, name, &vfdir);
		if (r < 0) {
			virtfn_error(rd, link, r);
			return;
		}
	}
	const char *slash = strrchr(vfdir, '/');
	const char *base = slash ? slash + 1 : vfdir;
	if (!sr_is_pci_address(base)) {
		sr_add_error(rd, link, "link to '%s' is not a PCI function", vfdir);
		return;
	}
	vf->pci_address = xstrdup(base);
	/* Listed as a directory a moment ago (with its PF's VFs): a VF gone since then reads as
	 * unbound and without netdev, which the check below catches, so an open and a close per
	 * VF are saved here. Otherwise, check first: not a directory, or cannot be opened. */
	if (!listed_dir && !vf_dir_present(rd, vfdir))
		return;
	int r = sr_link_basename(rd, vfdir, "driver", &vf->driver);
	if (r < 0 && r != -ENOENT) /* ENOENT: unbound */
		sr_add_error(rd, vfdir, "driver: cannot read the link: %s", strerror(-r));
	sr_read_vf_iommu(rd, vfdir, vf);
	bool seen = read_vf_netdev(rd, vfdir, vf);
	if (streq_ptr(vf->driver, "vfio-pci"))
		seen = read_vf_enable(rd, vfdir, vf) || seen;
	/* A VF removed while it was read (sriov_numvfs lowered, hot unplug) leaves "no driver, no
	 * netdev", which looks free: its directory gone now says it was not. Its net/ listed, or a
	 * vfio-pci VF's enable read, through that directory after its driver link already says it
	 * was there: an open and a close less per VF with a netdev or vfio-pci. */
	if (!seen)
		(void)vf_dir_present(rd, vfdir);
}

/* Some drivers create VFs without PCI functions of their own (netdevsim; VFs known to netlink
 * only). They have no virtfn link at all, which is not an error; a partial set is. */
static bool has_virtfn_links(const struct reader *rd, const char *pfdir, int numvfs)
{
	for (int i = 0; i < numvfs; i++) {
		_cleanup_free_ char *name = xasprintf("virtfn%d", i);
		if (sr_entry_exists(rd, pfdir, name))
			return true;
	}
	return false;
}

static void read_vfs(struct reader *rd, struct vf_pf *pf, const char *pfdir)
{
	vf_pf_set_vfs(pf, (size_t)pf->numvfs);
	if (!has_virtfn_links(rd, pfdir, pf->numvfs))
		return;
	int fd = sr_open_plain(rd, pfdir, O_PATH | O_DIRECTORY);
	rd->held[HELD_PF] = (struct listing){ .dir = xstrdup(pfdir), .fd = fd < 0 ? -1 : fd };
	for (size_t i = 0; i < pf->n_vfs; i++) {
		size_t errors = rd->h->n_errors;
		read_vf(rd, pfdir, &pf->vfs[i]);
		/* What we could not read might be exactly what holds the VF. */
		pf->vfs[i].broken = rd->h->n_errors > errors;
	}
	sr_listing_done(&rd->held[HELD_PF]);
}

/* ---- PFs ---- */

static void read_vf_counts(const struct reader *rd, struct vf_pf *pf, const char *pfdir)
{
	long v;
	/* Optional: systemd tolerates its absence, and netdevsim has none. */
	if (sr_attr_int(rd, pfdir, "sriov_totalvfs", 0, VF_COUNT_MAX, &v) == 0)
		pf->totalvfs = (int)v;

	_cleanup_free_ char *s = NULL, *rel = NULL;
	if (sr_attr_read(rd, pfdir, "sriov_numvfs", &s, &rel) < 0)
		return;
	int r = parse_long(s, LONG_MIN, LONG_MAX, &v);
	if (r == -EINVAL)
		sr_add_error(rd, rel, "not a number: '%s'", s);
	else if (r < 0 || v < 0 || v > VF_COUNT_MAX)
		sr_add_error(rd, rel, "not a valid VF count: '%s'", s);
	else if (pf->totalvfs != UNKNOWN && v > pf->totalvfs)
		sr_add_error(rd, rel, "'%s' exceeds sriov_totalvfs %d", s, pf->totalvfs);
	else
		pf->numvfs = (int)v;
}

/* carrier: the kernel's read fails with EINVAL while the netdev is administratively down (no
 * carrier to speak of: false). Missing or otherwise unreadable: unknown, and no host error, as
 * the counts do not depend on it alone (operstate decides first). */
static int read_carrier(const struct reader *rd, const char *netdir)
{
	_cleanup_free_ char *canon = NULL, *s = NULL;
	_cleanup_close_ int fd = sr_open_under(rd, netdir, "carrier", O_RDONLY, &canon);
	int r = fd < 0 ? fd : read_one_line_fd(fd, &s, ATTR_MAX);
	if (r == -EINVAL)
		return 0;
	if (r < 0)
		return UNKNOWN;
	return streq(s, "1") ? 1 : streq(s, "0") ? 0 : UNKNOWN;
}

/* Can the PF's VFs carry traffic? operstate "up"; "unknown" (drivers that do not track it) only
 * with carrier. An unreadable operstate counts as "unknown". */
static bool link_ok(const char *operstate, int carrier)
{
	if (operstate && streq(operstate, "up"))
		return true;
	return (!operstate || streq(operstate, "unknown")) && carrier == 1;
}

static void read_pf(struct reader *rd, struct vf_pf *pf, const char *netdir, const char *pfdir)
{
	long v;
	if (sr_attr_int(rd, netdir, "ifindex", 1, INT_MAX, &v) == 0)
		pf->ifindex = (int)v;
	(void)sr_attr_read(rd, netdir, "operstate", &pf->link_state, NULL);
	pf->carrier = read_carrier(rd, netdir);
	pf->link_ok = link_ok(pf->link_state, pf->carrier);

	_cleanup_free_ char *dev = NULL;
	if (sr_link_basename(rd, netdir, "device", &dev) == 0 && sr_is_pci_address(dev))
		pf->pci_address = TAKE_PTR(dev);
	pf->vendor_id = sr_attr_pci_id(rd, pfdir, "vendor");
	pf->device_id = sr_attr_pci_id(rd, pfdir, "device");
	if (sr_attr_int(rd, pfdir, "numa_node", -1, INT_MAX, &v) == 0)
		pf->numa_node = (int)v;

	read_vf_counts(rd, pf, pfdir);
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
static bool is_representor(const struct reader *rd, const char *netdir)
{
	_cleanup_free_ char *canon = NULL, *s = NULL;
	_cleanup_close_ int fd = sr_open_under(rd, netdir, "phys_port_name", O_RDONLY, &canon);
	if (fd < 0 || read_one_line_fd(fd, &s, ATTR_MAX) < 0)
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

/* One syscall per netdev (most are VFs): has classdir/NAME/device a sriov_numvfs (lstat)? Without
 * openat2 the kernel follows the links unconfined: only a negative filter, as a link that stays
 * inside ROOT leads the kernel where it leads the resolver (within 40 links), which then
 * resolves whatever passes, inside ROOT. */
static bool maybe_pf(const struct reader *rd, const char *classdir, const char *name)
{
	_cleanup_free_ char *dir = vf_path_join(classdir, name);
	_cleanup_free_ char *rel = xasprintf("%s/device/sriov_numvfs", dir);
	if (!rd->openat2) {
		struct stat st;
		return fstatat(rd->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
	}
	int fd = sr_sys_openat2(rd->rootfd, rel, O_PATH | O_NOFOLLOW,
			     RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Is class/net/NAME a PF we report? Returns its canonical netdev and PCI function dirs. */
static bool pf_candidate(const struct reader *rd, const char *classdir, const char *name,
			 char **ret_netdir, char **ret_pfdir)
{
	_cleanup_free_ char *netdir = NULL, *pfdir = NULL;
	if (!maybe_pf(rd, classdir, name) || vf_resolve_under(rd->root, classdir, name, &netdir) < 0)
		return false;
	/* No parent device (lo, bond0, macvtap) or a broken one: nothing to count. */
	if (vf_resolve_under(rd->root, netdir, "device", &pfdir) < 0)
		return false;
	if (!sr_entry_exists(rd, pfdir, "sriov_numvfs") || sr_entry_exists(rd, pfdir, "physfn"))
		return false;
	if (is_representor(rd, netdir))
		return false;
	*ret_netdir = TAKE_PTR(netdir);
	*ret_pfdir = TAKE_PTR(pfdir);
	return true;
}

/* A PF whose VFs are read once every PF's count is known: its index in h->pfs, its PCI dir. */
struct pf_todo {
	size_t pf;
	char *pfdir;
};

static void scan_netdev(struct reader *rd, const char *classdir, const char *name,
			const struct vf_config *cfg, char *const *only, struct pf_todo **todo, size_t *n_todo)
{
	_cleanup_free_ char *netdir = NULL, *pfdir = NULL, *driver = NULL;
	if (only && !strv_contains(only, name))
		return;
	if (!pf_candidate(rd, classdir, name, &netdir, &pfdir))
		return;
	(void)sr_link_basename(rd, pfdir, "driver", &driver);
	if (cfg && !vf_config_pf_selected(cfg, name, driver))
		return;

	struct vf_pf *pf = vf_host_add_pf(rd->h, name);
	pf->driver = TAKE_PTR(driver);
	rd->pf = pf->name;
	read_pf(rd, pf, netdir, pfdir);
	rd->pf = NULL;
	if (pf->numvfs == UNKNOWN)
		return;
	*(struct pf_todo *)array_append(todo, n_todo, sizeof(**todo)) =
		(struct pf_todo){ .pf = rd->h->n_pfs - 1, .pfdir = TAKE_PTR(pfdir) };
}

/* The VFs of each PF found, in the order found. */
static void read_all_vfs(struct reader *rd, struct pf_todo *todo, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct vf_pf *pf = &rd->h->pfs[todo[i].pf];
		rd->pf = pf->name;
		read_vfs(rd, pf, todo[i].pfdir);
		rd->pf = NULL;
		free(todo[i].pfdir);
	}
	free(todo);
	sr_iommu_done(rd);
}

int vf_sysfs_read(const char *root, const struct vf_config *cfg, char *const *only,
		  struct vf_host *h)
{
	_cleanup_(sr_reader_done) struct reader rd = {
		.root = root, .h = h, .held = { LISTING_INIT, LISTING_INIT, LISTING_INIT, LISTING_INIT },
		.dirbuf = xmalloc(DIRBUF), .openat2 = vf_sysfs_openat2(),
	};
	rd.rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rd.rootfd < 0)
		return -errno;
	_cleanup_listing_ struct listing nets = LISTING_INIT;
	int r = sr_list_dir(&rd, "", "class/net", &nets, false);
	if (r < 0)
		return r;
	/* The kernel lists every macvtap of the netns whose sysfs this is (the VF netdevs') as
	 * class/macvtap/tapN: with none there, no VF has an upper_macvtap* link to look for. */
	_cleanup_free_ char *tap = NULL;
	rd.macvtaps = sr_first_entry(&rd, "", "class/macvtap", "", &tap) == 0;

	struct pf_todo *todo = NULL;
	size_t n_todo = 0;
	for (size_t i = 0; i < nets.n; i++)
		scan_netdev(&rd, nets.dir, nets.v[i].name, cfg, only, &todo, &n_todo);
	read_all_vfs(&rd, todo, n_todo);
	vf_host_sort(h);
	return 0;
}

char *vf_sysfs_host_uuid(const char *root)
{
	_cleanup_free_ char *canon = NULL, *full = NULL, *s = NULL;
	if (vf_sysfs_resolve(root, "class/dmi/id/product_uuid", &canon) < 0)
		return NULL;
	full = vf_full_path(root, canon);
	if (read_one_line(full, &s, ATTR_MAX) < 0 || !*s)
		return NULL;
	/* Older kernels print it in upper case; VDSM and the engine use lower case. */
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return TAKE_PTR(s);
}
