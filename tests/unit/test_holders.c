/* SPDX-License-Identifier: MIT */
/* VFs held outside libvirt (lib/holders.c, lib/netns.c): the mixed fixture host's /proc and
 * /run/netns trees, unreadable and vanished entries, the namespace cap, and the live setns path
 * on a namespace this test makes (root only). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "config.h"
#include "gather.h"
#include "holders.h"
#include "netns.h"
#include "sysfs.h"
#include "util.h"

#define MIXED "tests/fixtures/hosts/mixed"

static struct vf_host *mixed_sysfs(void)
{
	struct vf_host *h = vf_host_new();
	assert_int_equal(vf_sysfs_read(MIXED "/sysfs", NULL, NULL, h), 0);
	assert_int_equal(h->n_errors, 0);
	assert_int_equal(h->n_pfs, 1);
	return h;
}

static const char *holder(const struct vf_host *h, int vf)
{
	return h->pfs[0].vfs[vf].holder;
}

/* What sysfs gives holders.c: enable, the cdev name, IOMMU groups, empty net/ dirs. */
static void test_sysfs_facts(void **state)
{
	_cleanup_host_ struct vf_host *h = mixed_sysfs();
	const struct vf_vf *v = h->pfs[0].vfs;
	assert_int_equal(v[0].enable, 1);
	assert_int_equal(v[2].enable, 0);
	assert_int_equal(v[7].enable, UNKNOWN); /* not vfio-pci: not read */
	assert_string_equal(v[1].vfio_dev, "vfio1");
	assert_null(v[0].vfio_dev);
	assert_int_equal(v[0].iommu_group, 40);
	assert_int_equal(v[0].iommu_group_devices, 1);
	assert_int_equal(v[7].iommu_group_devices, 2);
	for (int i = 0; i < 12; i++)
		assert_int_equal(v[i].net_hidden, i >= 4 && i <= 6);
}

static void test_fixture_names(void **state)
{
	_cleanup_host_ struct vf_host *h = mixed_sysfs();
	vf_holders_name(h, NULL, MIXED "/proc", MIXED "/netns", NULL);
	assert_string_equal(holder(h, 0), "vfio pid 4242 (testpmd)"); /* /dev/vfio/40 */
	assert_string_equal(holder(h, 1), "vfio pid 5151 (crosvm)");  /* /dev/vfio/devices/vfio1 */
	assert_null(holder(h, 2));                                    /* enable 0: not looked for */
	assert_null(holder(h, 3));   /* its holder's fd/ unreadable: unnamed */
	assert_string_equal(holder(h, 4), "netns blue");
	assert_string_equal(holder(h, 5), "netns of pid 7000");
	assert_null(holder(h, 6));   /* in no namespace we could ask */
	/* without libvirt's answer, qemu (pid 880, /dev/vfio/48) names VF 8 */
	assert_string_equal(holder(h, 8), "vfio pid 880 (qemu-kvm)");
}

/* A VF libvirt holds is not looked for: with only such VFs, /proc is not read at all. */
static void test_libvirt_first(void **state)
{
	_cleanup_host_ struct vf_host *h = mixed_sysfs();
	struct vf_usage u = { 0 };
	struct vf_use *x = array_append(&u.uses, &u.n_uses, sizeof(*x));
	*x = (struct vf_use){ .kind = VF_USE_DOMAIN_PCI, .key = xstrdup(h->pfs[0].vfs[8].pci_address),
			      .owner = xstrdup("vm-8") };
	vf_holders_name(h, &u, MIXED "/proc", MIXED "/netns", NULL);
	assert_null(holder(h, 8));
	assert_string_equal(holder(h, 0), "vfio pid 4242 (testpmd)");

	for (int i = 0; i < 12; i++) { /* nothing left to name: a missing /proc is never opened */
		struct vf_vf *vf = &h->pfs[0].vfs[i];
		free(vf->holder);
		vf->holder = NULL;
		vf->enable = i == 8 ? 1 : 0;
		vf->net_hidden = false;
	}
	vf_holders_name(h, &u, "/nonexistent/proc", "/nonexistent/netns", NULL);
	for (int i = 0; i < 12; i++)
		assert_null(holder(h, i));
	vf_usage_clear(&u);
}

/* /proc and /run/netns missing: every holder stays unnamed, no crash. */
static void test_roots_missing(void **state)
{
	_cleanup_host_ struct vf_host *h = mixed_sysfs();
	vf_holders_name(h, NULL, "/nonexistent/proc", "/nonexistent/netns", NULL);
	for (int i = 0; i < 12; i++)
		assert_null(holder(h, i));
}

static char *mkdtemp_here(void)
{
	char *dir = xstrdup("/tmp/vfcap-holders.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return dir;
}

static void write_file(const char *path, const void *data, size_t len)
{
	assert_int_equal(write_file_replace(path, data, len, 0644), 0);
}

static void rm_rf(const char *dir)
{
	_cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A dump of one link named name with PCI parent parent (as mkhosts.py's nl_link_dump). */
static size_t link_dump(char *buf, const char *name, const char *parent)
{
	char *p = buf + NLMSG_HDRLEN;
	memset(buf, 0, 256);
	p += sizeof(struct ifinfomsg);
	const char *vals[] = { name, "pci", parent };
	const unsigned short types[] = { IFLA_IFNAME, IFLA_PARENT_DEV_BUS_NAME, IFLA_PARENT_DEV_NAME };
	for (int i = 0; i < 3; i++) {
		struct rtattr *a = (struct rtattr *)p;
		a->rta_len = (unsigned short)RTA_LENGTH(strlen(vals[i]) + 1);
		a->rta_type = types[i];
		memcpy(RTA_DATA(a), vals[i], strlen(vals[i]) + 1);
		p += RTA_ALIGN(a->rta_len);
	}
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	h->nlmsg_len = (unsigned)(p - buf);
	h->nlmsg_type = RTM_NEWLINK;
	return (size_t)(p - buf);
}

/* A host of one VF, 0000:04:11.0, whose netdev is in another namespace, named from the /proc
 * tree at root. */
static struct vf_host *moved_vf_named(const char *root)
{
	struct vf_host *h = vf_host_new();
	struct vf_pf *pf = vf_host_add_pf(h, "pf");
	vf_pf_set_vfs(pf, 1);
	pf->vfs[0].pci_address = xstrdup("0000:04:11.0");
	pf->vfs[0].driver = xstrdup("iavf");
	pf->vfs[0].net_hidden = true;
	vf_holders_name(h, NULL, root, "/nonexistent", NULL);
	return h;
}

/* VF_NETNS_MAX distinct namespaces are examined and no more: the VF's namespace as the
 * (VF_NETNS_MAX + 10)th process's is out of reach, as the 5th it is found. */
static void test_namespace_cap(void **state)
{
	for (int at = 0; at < 2; at++) {
		_cleanup_free_ char *root = mkdtemp_here();
		int target = at == 0 ? 5 : VF_NETNS_MAX + 10;
		for (int pid = 1; pid <= VF_NETNS_MAX + 20; pid++) {
			_cleanup_free_ char *p = xasprintf("%s/%d", root, pid);
			_cleanup_free_ char *d = xasprintf("%s/ns", p);
			_cleanup_free_ char *f = xasprintf("%s/net", d);
			assert_int_equal(mkdir(p, 0755), 0);
			assert_int_equal(mkdir(d, 0755), 0);
			char buf[256];
			size_t n = link_dump(buf, "eth0", pid == target ? "0000:04:11.0" : "0000:99:00.0");
			write_file(f, buf, n);
		}
		_cleanup_host_ struct vf_host *h = moved_vf_named(root);
		if (at == 0)
			assert_string_equal(h->pfs[0].vfs[0].holder, "netns of pid 5");
		else
			assert_null(h->pfs[0].vfs[0].holder);
		rm_rf(root);
	}
}

/* pid's ns/net as procfs shows it: a link whose text "net:[INODE]" names the namespace, beside
 * a file of that name with the namespace's dump, so that it opens. same: the dump is a copy
 * (another inode) and the text names pid same_as's namespace; else the text is the file's own
 * inode. Returns that inode. */
static unsigned long magic_ns(const char *root, int pid, const char *dump, size_t len, unsigned long same_as)
{
	_cleanup_free_ char *d = xasprintf("%s/%d/ns", root, pid);
	_cleanup_free_ char *tmp = xasprintf("%s/dump", d);
	_cleanup_free_ char *p = xasprintf("%s/%d", root, pid);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(mkdir(d, 0755), 0);
	write_file(tmp, dump, len);
	struct stat st;
	assert_int_equal(stat(tmp, &st), 0);
	unsigned long ino = same_as ? same_as : (unsigned long)st.st_ino;
	_cleanup_free_ char *name = xasprintf("net:[%lu]", ino);
	_cleanup_free_ char *file = xasprintf("%s/%s", d, name);
	_cleanup_free_ char *link = xasprintf("%s/net", d);
	assert_int_equal(rename(tmp, file), 0);
	assert_int_equal(symlink(name, link), 0);
	return ino;
}

/* On procfs a process's ns/net link text is the namespace's identity: VF_NETNS_MAX + 5
 * processes whose links all name pid 1's namespace are one namespace, though each of their
 * files is another inode here (a stat would see as many namespaces and stop at the cap), so
 * the VF's namespace, the last process's, is reached and named. */
static void test_namespace_link_text(void **state)
{
	_cleanup_free_ char *root = mkdtemp_here();
	char buf[256];
	size_t n = link_dump(buf, "eth0", "0000:99:00.0");
	unsigned long host = magic_ns(root, 1, buf, n, 0);
	int last = VF_NETNS_MAX + 6;
	for (int pid = 2; pid < last; pid++)
		(void)magic_ns(root, pid, buf, n, host);
	n = link_dump(buf, "eth0", "0000:04:11.0");
	(void)magic_ns(root, last, buf, n, 0);
	_cleanup_host_ struct vf_host *h = moved_vf_named(root);
	_cleanup_free_ char *want = xasprintf("netns of pid %d", last);
	assert_string_equal(h->pfs[0].vfs[0].holder, want);
	rm_rf(root);
}

/* Not root: another user's fd/ cannot be read (EACCES, as vdsm meets root's processes). */
static void test_fd_unreadable(void **state)
{
	if (geteuid() == 0)
		skip(); /* root reads it anyway: the mixed fixture's fd/ that is a file stands in */
	_cleanup_free_ char *root = mkdtemp_here();
	_cleanup_free_ char *cmd = xasprintf("mkdir -p %s/42/fd && ln -s /dev/vfio/40 %s/42/fd/3 && "
					     "echo testpmd >%s/42/comm && chmod 000 %s/42/fd",
					     root, root, root, root);
	assert_int_equal(system(cmd), 0);
	_cleanup_host_ struct vf_host *h = mixed_sysfs();
	vf_holders_name(h, NULL, root, "/nonexistent", NULL);
	assert_null(holder(h, 0));
	_cleanup_free_ char *undo = xasprintf("chmod 755 %s/42/fd", root);
	assert_int_equal(system(undo), 0);
	vf_holders_name(h, NULL, root, "/nonexistent", NULL);
	assert_string_equal(holder(h, 0), "vfio pid 42 (testpmd)");
	rm_rf(root);
}

static const struct vf_holder_hint *hint_for(const struct vf_holder_hints *k, const char *pci_address)
{
	for (size_t i = 0; i < k->n; i++)
		if (streq(k->v[i].pci_address, pci_address))
			return &k->v[i];
	return NULL;
}

/* serve's hints: the names through a process are kept (a named namespace's are not: it is read
 * first anyway), and the next gather gives them the same. */
static void test_hints_kept(void **state)
{
	struct vf_holder_hints k = { 0 };
	_cleanup_host_ struct vf_host *h = mixed_sysfs();
	vf_holders_name(h, NULL, MIXED "/proc", MIXED "/netns", &k);
	assert_int_equal(k.n, 4);
	const int pids[12] = { [0] = 4242, [1] = 5151, [5] = 7000, [8] = 880 };
	for (int i = 0; i < 12; i++) {
		const struct vf_holder_hint *x = hint_for(&k, h->pfs[0].vfs[i].pci_address);
		assert_int_equal(x ? x->pid : 0, pids[i]);
	}
	_cleanup_host_ struct vf_host *again = mixed_sysfs();
	vf_holders_name(again, NULL, MIXED "/proc", MIXED "/netns", &k);
	for (int i = 0; i < 12; i++)
		assert_true(streq_ptr(holder(again, i), holder(h, i)));
	assert_int_equal(k.n, 4);
	vf_holder_hints_clear(&k);
}

/* Two processes hold VF 0's group: the pass names the lower pid, a hint the hinted one (it is
 * asked first), a hint that no longer holds it (gone, or holding nothing) the pass again. */
static void test_hints_first(void **state)
{
	_cleanup_free_ char *root = mkdtemp_here();
	_cleanup_free_ char *cmd = xasprintf("for p in 42:testpmd 99:other 7:idle; do d=%s/${p%%:*}; "
					     "mkdir -p $d/fd && echo ${p#*:} >$d/comm; done && "
					     "ln -s /dev/vfio/40 %s/42/fd/3 && ln -s /dev/vfio/40 %s/99/fd/5",
					     root, root, root);
	assert_int_equal(system(cmd), 0);
	const struct { int hint; const char *name; } cases[] = {
		{ 0, "vfio pid 42 (testpmd)" },
		{ 99, "vfio pid 99 (other)" },
		{ 12345, "vfio pid 42 (testpmd)" },
		{ 7, "vfio pid 42 (testpmd)" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_host_ struct vf_host *h = mixed_sysfs();
		const char *vf0 = h->pfs[0].vfs[0].pci_address;
		struct vf_holder_hints k = { 0 };
		if (cases[i].hint) {
			k.v = xmalloc(sizeof(*k.v));
			k.v[0] = (struct vf_holder_hint){ .pci_address = xstrdup(vf0), .pid = cases[i].hint };
			k.n = 1;
		}
		vf_holders_name(h, NULL, root, "/nonexistent", &k);
		assert_string_equal(holder(h, 0), cases[i].name);
		assert_int_equal(k.n, 1); /* replaced by this gather's */
		assert_int_equal(hint_for(&k, vf0)->pid, cases[i].hint == 99 ? 99 : 42);
		vf_holder_hints_clear(&k);
	}
	rm_rf(root);
}

/* vf_gather as the hook's placement asks it (skip_holder_names): /proc is not read, and what
 * the holders hold stays "host" all the same, unnamed; the counts do not change. */
static void test_gather_skips_names(void **state)
{
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	_cleanup_free_ char *uri = xasprintf("test://%s/" MIXED "/libvirt.xml", cwd);
	struct vf_config *cfg = NULL;
	char *err = NULL;
	assert_int_equal(vf_config_load(MIXED "/vfcap.conf", &cfg, &err), 0);
	int free_vfs[2];
	for (int skip = 0; skip <= 1; skip++) {
		struct vf_gather_opts o = { .sysfs_root = MIXED "/sysfs", .netlink_file = MIXED "/netlink.bin",
					    .libvirt_uri = uri, .proc_root = MIXED "/proc",
					    .netns_root = MIXED "/netns", .skip_holder_names = skip };
		_cleanup_host_ struct vf_host *h = vf_host_new();
		assert_int_equal(vf_gather(h, cfg, &o, NULL), 0);
		const struct vf_vf *v = h->pfs[0].vfs;
		assert_int_equal(v[0].state, VF_STATE_HOST);
		assert_int_equal(v[5].state, VF_STATE_HOST);
		assert_string_equal(v[0].owner, skip ? "vfio (holder unnamed)" : "vfio pid 4242 (testpmd)");
		assert_string_equal(v[5].owner, skip ? "netns (unnamed)" : "netns of pid 7000");
		free_vfs[skip] = h->pfs[0].free;
	}
	assert_int_equal(free_vfs[0], free_vfs[1]);
	vf_config_free(cfg);
}

static void test_parse(void **state)
{
	char buf[512];
	size_t n = link_dump(buf, "net1", "0000:04:11.0");
	struct vf_ns_links l = { 0 };
	assert_int_equal(vf_netns_parse_links(buf, n, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].ifname, "net1");
	assert_string_equal(l.v[0].parent, "0000:04:11.0");
	assert_string_equal(l.v[0].parent_bus, "pci");
	vf_ns_links_clear(&l);
	/* cut short: an error, never a crash */
	assert_int_equal(vf_netns_parse_links(buf, n - 3, &l), -EBADMSG);
	vf_ns_links_clear(&l);
	/* a regular file that is no dump at all */
	assert_int_equal(vf_netns_parse_links("garbage!", 8, &l), -EBADMSG);
	vf_ns_links_clear(&l);
}

/* The live path: a child unshares a network namespace (lo, and a dummy link where the module
 * is there); vf_netns_links enters it through /proc/PID/ns/net and lists its links, none with
 * a parent device: "not found" for any VF. Not root: setns is refused (EPERM), which callers
 * take as "unnamed". */
static void test_live_netns(void **state)
{
	struct vf_ns_links l = { 0 };
	if (geteuid() != 0) {
		assert_int_equal(vf_netns_links("/proc/self/ns/net", &l), -EPERM);
		return;
	}
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(ready[0]);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		bool dummy = system("ip link add vfcapd0 type dummy 2>/dev/null") == 0;
		(void)!write(ready[1], dummy ? "2" : "1", 1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	char c = 0;
	bool ok = read(ready[0], &c, 1) == 1;
	close(ready[0]);
	_cleanup_free_ char *path = xasprintf("/proc/%d/ns/net", (int)child);
	int r = ok ? vf_netns_links(path, &l) : -ECHILD;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	if (!ok)
		skip(); /* namespaces refused here */
	assert_int_equal(r, 0);
	assert_int_equal(l.n, c == '2' ? 2 : 1);
	bool lo = false;
	for (size_t i = 0; i < l.n; i++) {
		lo |= streq(l.v[i].ifname, "lo");
		assert_null(l.v[i].parent);
	}
	assert_true(lo);
	vf_ns_links_clear(&l);
	/* the child is gone: its namespace with it */
	assert_int_equal(vf_netns_links(path, &l), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sysfs_facts),   cmocka_unit_test(test_fixture_names),
		cmocka_unit_test(test_libvirt_first), cmocka_unit_test(test_roots_missing),
		cmocka_unit_test(test_namespace_cap), cmocka_unit_test(test_namespace_link_text),
		cmocka_unit_test(test_fd_unreadable),
		cmocka_unit_test(test_hints_kept),    cmocka_unit_test(test_hints_first),
		cmocka_unit_test(test_gather_skips_names),
		cmocka_unit_test(test_parse),         cmocka_unit_test(test_live_netns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
