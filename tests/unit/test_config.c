/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "config.h"
#include "util.h"

static char tmpdir[] = "/tmp/vfcap-test-config.XXXXXX";

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	return nftw(tmpdir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* Write text to TMPDIR/name; returns the path (caller frees). */
static char *write_conf(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
	return path;
}

static struct vf_config *load_ok(const char *name, const char *text)
{
	_cleanup_free_ char *path = write_conf(name, text);
	_cleanup_free_ char *err = NULL;
	struct vf_config *c = NULL;
	int r = vf_config_load(path, &c, &err);
	if (r < 0)
		fail_msg("%s: %d %s", name, r, err);
	assert_non_null(c);
	assert_string_equal(c->path, path);
	return c;
}

/* The load must fail with -EINVAL and a message "PATH:LINE: ...what...". */
static void load_fails(const char *text, int line, const char *what)
{
	_cleanup_free_ char *path = write_conf("bad.conf", text);
	_cleanup_free_ char *err = NULL;
	_cleanup_free_ char *where = xasprintf("%s:%d: ", path, line);
	struct vf_config *c = NULL;
	int r = vf_config_load(path, &c, &err);
	assert_int_equal(r, -EINVAL);
	assert_null(c);
	assert_non_null(err);
	if (!startswith(err, where) || !strstr(err, what) || strchr(err, '\n'))
		fail_msg("got '%s', want '%s...%s'", err, where, what);
}

static void test_defaults(void **state)
{
	_cleanup_config_ struct vf_config *c = vf_config_new();
	assert_null(c->path);
	assert_string_equal(c->pool_network, "direct-pool");
	assert_string_equal(c->pool_mode, "passthrough");
	assert_null(c->hostname);
	assert_null(c->sysfs_root);
	assert_null(c->libvirt_uri);
	assert_null(c->netlink_file);
	assert_string_equal(c->run_dir, "/run/vfcap");
	assert_int_equal(c->reservation_ttl, 300);
	assert_int_equal(c->libvirt_timeout, 30);
	assert_int_equal(c->n_pf_globs, 0);
	assert_int_equal(c->n_drivers, 0);
	assert_int_equal(c->n_pfs, 0);
	assert_true(vf_config_pf_selected(c, "ens1f0", NULL));
	assert_true(vf_config_pf_selected(NULL, "ens1f0", "ixgbe"));
	assert_null(vf_config_find_pf(c, "ens1f0"));
	assert_false(vf_config_vf_reserved(NULL, 0));
	vf_config_free(NULL);
}

static const char full_conf[] =
	"; vfcap test config\n"
	"# another comment style\n"
	"[vfcap]\n"
	"pfs = ens1f*, enp3s0f0      ; which PFs count\n"
	"drivers = ixgbe,enic\n"
	"pool_network = vf-pool\n"
	"pool_mode = hostdev\n"
	"hostname = node1.example.com\n"
	"sysfs_root = /srv/sys\n"
	"libvirt_uri = test:///default\n"
	"netlink_file = /srv/netlink.bin\n"
	"run_dir = /tmp/vfcap-run\n"
	"reservation_ttl = 90\n"
	"\n"
	"[pf ens1f0]\n"
	"reserved = 0-3, 7\n"
	"physical_network = physnet1\n"
	"fabric = A\n"
	"[pf ens1*]\n"
	"fabric = B\n";

static void check_full(const struct vf_config *c)
{
	assert_int_equal(c->n_pf_globs, 2);
	assert_string_equal(c->pf_globs[0], "ens1f*");
	assert_string_equal(c->pf_globs[1], "enp3s0f0");
	assert_int_equal(c->n_drivers, 2);
	assert_string_equal(c->drivers[0], "ixgbe");
	assert_string_equal(c->drivers[1], "enic");
	assert_string_equal(c->pool_network, "vf-pool");
	assert_string_equal(c->pool_mode, "hostdev");
	assert_string_equal(c->hostname, "node1.example.com");
	assert_string_equal(c->sysfs_root, "/srv/sys");
	assert_string_equal(c->libvirt_uri, "test:///default");
	assert_string_equal(c->netlink_file, "/srv/netlink.bin");
	assert_string_equal(c->run_dir, "/tmp/vfcap-run");
	assert_int_equal(c->reservation_ttl, 90);
	assert_int_equal(c->n_pfs, 2);
	assert_string_equal(c->pfs[0].pattern, "ens1f0");
	assert_int_equal(c->pfs[0].n_reserved, 2);
	assert_int_equal(c->pfs[0].reserved[0].first, 0);
	assert_int_equal(c->pfs[0].reserved[0].last, 3);
	assert_int_equal(c->pfs[0].reserved[1].first, 7);
	assert_int_equal(c->pfs[0].reserved[1].last, 7);
	assert_string_equal(c->pfs[0].physical_network, "physnet1");
	assert_string_equal(c->pfs[0].fabric, "A");
	assert_string_equal(c->pfs[1].pattern, "ens1*");
	assert_int_equal(c->pfs[1].n_reserved, 0);
	assert_null(c->pfs[1].physical_network);
	assert_string_equal(c->pfs[1].fabric, "B");
}

static void test_full(void **state)
{
	_cleanup_config_ struct vf_config *c = load_ok("full.conf", full_conf);
	check_full(c);
}

/* The same file with DOS line endings (and a UTF-8 byte order mark) reads the same. */
static void test_crlf(void **state)
{
	_cleanup_free_ char *crlf = xmalloc(2 * sizeof(full_conf) + 4);
	char *o = stpcpy(crlf, "\xef\xbb\xbf");
	for (const char *s = full_conf; *s; s++) {
		if (*s == '\n')
			*o++ = '\r';
		*o++ = *s;
	}
	*o = '\0';
	_cleanup_config_ struct vf_config *c = load_ok("crlf.conf", crlf);
	check_full(c);
}

static void test_globs(void **state)
{
	_cleanup_config_ struct vf_config *c = load_ok("full.conf", full_conf);
	assert_true(vf_config_pf_selected(c, "ens1f0", "ixgbe"));
	assert_true(vf_config_pf_selected(c, "ens1f1", "enic"));
	assert_true(vf_config_pf_selected(c, "enp3s0f0", "ixgbe"));
	assert_false(vf_config_pf_selected(c, "enp3s0f1", "ixgbe"));
	assert_false(vf_config_pf_selected(c, "ens1f0", "mlx5_core"));
	assert_false(vf_config_pf_selected(c, "ens1f0", NULL));

	/* First matching section wins, in file order. */
	const struct vf_pf_config *pc = vf_config_find_pf(c, "ens1f0");
	assert_non_null(pc);
	assert_string_equal(pc->fabric, "A");
	pc = vf_config_find_pf(c, "ens1f1");
	assert_non_null(pc);
	assert_string_equal(pc->fabric, "B");
	assert_null(vf_config_find_pf(c, "eth0"));
	assert_null(vf_config_find_pf(c, NULL));

	/* The longest section name inih keeps whole. */
	_cleanup_config_ struct vf_config *e =
		load_ok("long.conf", "[pf 012345678901234567890123456789012345678901234]\nfabric = L\n");
	assert_string_equal(e->pfs[0].pattern, "012345678901234567890123456789012345678901234");

	_cleanup_config_ struct vf_config *d = load_ok("order.conf", "[pf ens1*]\nfabric = B\n"
								     "[pf ens1f0]\nfabric = A\n"
								     "[pf  enp?s0f?  ]\nfabric = C\n");
	assert_string_equal(vf_config_find_pf(d, "ens1f0")->fabric, "B");
	assert_string_equal(vf_config_find_pf(d, "enp3s0f1")->fabric, "C");
	assert_null(vf_config_find_pf(d, "enp3s0f10"));
	assert_true(vf_config_pf_selected(d, "anything", NULL));
}

static void test_reserved(void **state)
{
	_cleanup_config_ struct vf_config *c =
		load_ok("reserved.conf", "[pf a]\nreserved = 0-3, 7,9 - 10 , 4095\n"
					 "[pf b]\nreserved = 0-4095\n"
					 "[pf c]\nreserved = 5, 2-2, 1-6\n");
	const struct vf_pf_config *a = vf_config_find_pf(c, "a");
	for (int i = 0; i <= 3; i++)
		assert_true(vf_config_vf_reserved(a, i));
	assert_false(vf_config_vf_reserved(a, 4));
	assert_false(vf_config_vf_reserved(a, 6));
	assert_true(vf_config_vf_reserved(a, 7));
	assert_false(vf_config_vf_reserved(a, 8));
	assert_true(vf_config_vf_reserved(a, 9));
	assert_true(vf_config_vf_reserved(a, 10));
	assert_false(vf_config_vf_reserved(a, 11));
	assert_true(vf_config_vf_reserved(a, 4095));
	assert_false(vf_config_vf_reserved(a, -1));
	const struct vf_pf_config *b = vf_config_find_pf(c, "b");
	assert_true(vf_config_vf_reserved(b, 0));
	assert_true(vf_config_vf_reserved(b, 2000));
	assert_false(vf_config_vf_reserved(b, 4096));
	const struct vf_pf_config *pc = vf_config_find_pf(c, "c");
	assert_int_equal(pc->n_reserved, 3); /* overlaps are fine */
	assert_true(vf_config_vf_reserved(pc, 6));
	assert_false(vf_config_vf_reserved(pc, 0));
}

/* Long lists go on over indented continuation lines. */
static void test_continuation(void **state)
{
	_cleanup_config_ struct vf_config *c =
		load_ok("cont.conf", "[vfcap]\npfs = ens1f0, ens1f1,\n  ens2f0\n"
				     "; a comment between\n\tens3*\ndrivers = ixgbe\n"
				     "[pf ens1f0]\n    reserved = 0-1\n      4, 6-7,\n");
	assert_int_equal(c->n_pf_globs, 4);
	assert_string_equal(c->pf_globs[2], "ens2f0");
	assert_string_equal(c->pf_globs[3], "ens3*");
	assert_int_equal(c->n_drivers, 1);
	assert_int_equal(c->pfs[0].n_reserved, 3);
	assert_true(vf_config_vf_reserved(&c->pfs[0], 7));
}

static void test_empty(void **state)
{
	_cleanup_config_ struct vf_config *c = load_ok("empty.conf", "");
	assert_string_equal(c->pool_network, "direct-pool");
	assert_string_equal(c->pool_mode, "passthrough");
	assert_int_equal(c->n_pfs, 0);

	/* What a packaged sample looks like: sections with every key commented out. */
	_cleanup_config_ struct vf_config *d =
		load_ok("sample.conf", "[vfcap]\n; pfs = ens1f*\n\n[pf ens1f0]\n# reserved = 0-3\n");
	assert_int_equal(d->n_pf_globs, 0);
	assert_int_equal(d->n_pfs, 0); /* a section without keys has no effect */
}

static void test_errors_keys(void **state)
{
	load_fails("[vfcap]\npool_mode = hostdev\nfoo = 1\n", 3, "unknown key 'foo' in [vfcap]");
	load_fails("[pf ens1f0]\nfabric = A\npool_mode = hostdev\n", 3,
		   "unknown key 'pool_mode' in [pf ens1f0]");
	load_fails("[vfcap]\nfabric = A\n", 2, "unknown key 'fabric' in [vfcap]");
	load_fails("[vfcap]\nPool_Mode = hostdev\n", 2, "unknown key 'Pool_Mode'");
	load_fails("[vfcap]\npool_mode = hostdev\n\npool_mode = passthrough\n", 4,
		   "duplicate key 'pool_mode' in [vfcap] (first set at line 2)");
	load_fails("[pf a]\nreserved = 1\nreserved = 2\n", 3, "duplicate key 'reserved' in [pf a]");
	load_fails("pool_mode = hostdev\n", 1, "key outside any section");
	load_fails("[vfcap]\n[global]\nx = 1\n", 3, "unknown section [global]");
	load_fails("[pf]\nfabric = A\n", 2, "section [pf] needs a PF name");
	load_fails("[pfens1]\nfabric = A\n", 2, "unknown section [pfens1]");
	load_fails("[pf enp[0-9]s0]\nfabric = A\n", 2, "cannot hold a character class");
	load_fails("[pf 0123456789012345678901234567890123456789012345]\nfabric = A\n", 2,
		   "section name too long (at most 48 characters)");
	load_fails("[pf a]\nfabric = A\n[pf b]\nfabric = B\n[pf a]\nfabric = C\n", 6,
		   "duplicate section [pf a]");
	load_fails("[vfcap]\nhostname = a\n[pf a]\nfabric = A\n[vfcap]\npool_mode = hostdev\n", 6,
		   "duplicate section [vfcap]");
}

static void test_errors_values(void **state)
{
	load_fails("[vfcap]\npool_mode = macvtap\n", 2, "invalid pool_mode 'macvtap'");
	load_fails("[vfcap]\npool_network =\n", 2, "empty value for 'pool_network' in [vfcap]");
	load_fails("[vfcap]\npool_network = my pool\n", 2, "invalid pool_network 'my pool'");
	load_fails("[vfcap]\nhostname = a/b\n", 2, "invalid hostname 'a/b'");
	load_fails("[vfcap]\nsysfs_root = sys\n", 2, "sysfs_root must be an absolute path");
	load_fails("[vfcap]\nnetlink_file = x.bin\n", 2, "netlink_file must be an absolute path");
	load_fails("[vfcap]\nrun_dir = run\n", 2, "run_dir must be an absolute path");
	load_fails("[vfcap]\nreservation_ttl = 0\n", 2, "invalid reservation_ttl '0' (seconds, 1 to 86400)");
	load_fails("[vfcap]\nlibvirt_timeout = 0\n", 2, "invalid libvirt_timeout '0' (seconds, 1 to 86400)");
	load_fails("[vfcap]\nreservation_ttl = 5m\n", 2, "invalid reservation_ttl '5m'");
	load_fails("[vfcap]\nreservation_ttl = 86401\n", 2, "invalid reservation_ttl");
	load_fails("[vfcap]\npfs = a,,b\n", 2, "empty item in the list of 'pfs'");
	load_fails("[vfcap]\ndrivers = ,ixgbe\n", 2, "empty item in the list of 'drivers'");
	load_fails("[vfcap]\ndrivers = ,\n", 2, "empty item in the list of 'drivers'");
	load_fails("[pf a]\nfabric =\n", 2, "empty value for 'fabric' in [pf a]");

	static const char *const bad_ranges[] = {
		"3-1", "-1", "4096", "0-4096", "a", "1-", "1-2-3", "1.5", "0x10", "1 2", "99999999999999999999",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad_ranges); i++) {
		_cleanup_free_ char *text = xasprintf("[pf a]\nfabric = A\nreserved = 0, %s\n", bad_ranges[i]);
		_cleanup_free_ char *what = xasprintf("invalid VF range '%s' in 'reserved'", bad_ranges[i]);
		load_fails(text, 3, what);
	}
}

static void test_errors_syntax(void **state)
{
	load_fails("[vfcap]\npool_mode hostdev\n", 2, "syntax error");
	load_fails("[vfcap\npool_mode = hostdev\n", 1, "syntax error");
	load_fails("[vfcap]\r\npool_mode = hostdev\r\nfoo = 1\r\n", 3, "unknown key 'foo'");
	/* The first problem in the file is the one reported. */
	load_fails("[vfcap]\nnonsense\nfoo = 1\n", 2, "syntax error");
	load_fails("[vfcap]\nfoo = 1\nnonsense\n", 2, "unknown key 'foo'");
	/* An indented key continues the one above (inih's multi-line values): say so. */
	load_fails("[pf a]\n  reserved = 1\n  fabric = A\n", 3,
		   "indented line is read as a continuation of 'reserved'");
	load_fails("[vfcap]\npool_mode = hostdev\n  passthrough\n", 3,
		   "'pool_mode' takes a single value");
	load_fails("[pf a]\nreserved = 1\n  2, x\n", 3, "invalid VF range 'x'");
}

static void test_huge_value(void **state)
{
	size_t n = 100000;
	_cleanup_free_ char *text = xmalloc(n + 64);
	char *o = stpcpy(text, "[vfcap]\nhostname = h\npfs = ");
	memset(o, 'x', n);
	strcpy(o + n, "\npool_mode = hostdev\n");
	load_fails(text, 3, "line too long");

	/* Without a final newline, too. */
	o[n] = '\0';
	load_fails(text, 3, "line too long");
}

static void test_file_errors(void **state)
{
	_cleanup_free_ char *missing = xasprintf("%s/missing.conf", tmpdir);
	_cleanup_free_ char *err = NULL;
	struct vf_config *c = NULL;
	assert_int_equal(vf_config_load(missing, &c, &err), -ENOENT);
	assert_null(c);
	assert_non_null(strstr(err, missing));
	free(TAKE_PTR(err));

	/* Unreadable: a directory (root reads any file, so permissions cannot show it). */
	assert_int_equal(vf_config_load(tmpdir, &c, &err), -EISDIR);
	assert_null(c);
	assert_true(startswith(err, tmpdir));
	free(TAKE_PTR(err));

	_cleanup_free_ char *bin = xasprintf("%s/binary.conf", tmpdir);
	assert_int_equal(write_file_atomic(bin, "[vfcap]\n\0x", 10, 0644), 0);
	assert_int_equal(vf_config_load(bin, &c, &err), -EINVAL);
	assert_true(startswith(err, bin));
	assert_non_null(strstr(err, "NUL"));
	free(TAKE_PTR(err));

	/* errmsg may be NULL. */
	assert_int_equal(vf_config_load(missing, &c, NULL), -ENOENT);
	_cleanup_free_ char *bad = write_conf("bad2.conf", "[vfcap]\nfoo = 1\n");
	assert_int_equal(vf_config_load(bad, &c, NULL), -EINVAL);
	assert_null(c);
}

/* The filter's sections: defaults, every key, and the errors their values can have. */
static void test_filter_sections(void **state)
{
	_cleanup_config_ struct vf_config *d = vf_config_new();
	assert_string_equal(d->filter.listen, "127.0.0.1:18781");
	assert_int_equal(d->filter.max_body, 16 << 20);
	assert_int_equal(d->filter.threads, 2);
	assert_int_equal(d->filter.call_deadline, 10);
	assert_int_equal(d->filter.fetch_backoff_max, 300);
	assert_int_equal(d->filter.follow_wait, 50);
	assert_null(d->engine.url);
	assert_int_equal(d->engine.cache_ttl, 60);
	assert_int_equal(d->filter.audit_interval, 600);

	_cleanup_config_ struct vf_config *c =
		load_ok("filter.conf", "[filter]\nlisten = [::1]:9000\nreports_dir = /var/lib/vfcap/reports\n"
				       "report_url = https://{address}:18782/v1/report\nfetch_timeout_ms = 500\n"
				       "cache_max_age = 0\nthreads = 8\nmax_body = 1024\ncall_deadline = 3\n"
				       "fetch_backoff_max = 60\nfollow_wait = 0\naudit_interval = 0\n"
				       "[engine]\nurl = https://engine.example/ovirt-engine/api\nuser = vfcap@internal\n"
				       "password_file = /etc/vfcap/engine.password\ncache_ttl = 5\n"
				       "[vfcap]\npool_network = p\n");
	assert_string_equal(c->filter.listen, "[::1]:9000");
	assert_string_equal(c->filter.reports_dir, "/var/lib/vfcap/reports");
	assert_string_equal(c->filter.report_url, "https://{address}:18782/v1/report");
	assert_int_equal(c->filter.fetch_timeout_ms, 500);
	assert_int_equal(c->filter.cache_max_age, 0);
	assert_int_equal(c->filter.threads, 8);
	assert_int_equal(c->filter.max_body, 1024);
	assert_int_equal(c->filter.call_deadline, 3);
	assert_int_equal(c->filter.fetch_backoff_max, 60);
	assert_int_equal(c->filter.follow_wait, 0);
	assert_int_equal(c->filter.rescan_interval, 2); /* untouched default */
	assert_int_equal(c->filter.audit_interval, 0);
	assert_string_equal(c->engine.url, "https://engine.example/ovirt-engine/api");
	assert_string_equal(c->engine.user, "vfcap@internal");
	assert_string_equal(c->engine.password_file, "/etc/vfcap/engine.password");
	assert_int_equal(c->engine.cache_ttl, 5);
	assert_string_equal(c->pool_network, "p");

	load_fails("[filter]\nthreads = 0\n", 2, "invalid threads '0' (an integer, 1 to 256)");
	load_fails("[filter]\nmax_body = 12x\n", 2, "invalid max_body '12x'");
	load_fails("[filter]\ncall_deadline = 0\n", 2, "invalid call_deadline '0' (an integer, 1 to 3600)");
	load_fails("[filter]\nreport_url = ftp://h/x\n", 2, "report_url must be an http:// or https:// URL");
	load_fails("[engine]\nurl = engine.example\n", 2, "url must be an http:// or https:// URL");
	load_fails("[engine]\npassword_file = engine.pw\n", 2, "password_file must be an absolute path");
	load_fails("[engine]\npassword = x\n", 2, "unknown key 'password' in [engine]");
	load_fails("[filter]\nthreads = 2\n[filter]\nthreads = 3\n", 4, "duplicate section [filter]");
}

/* The connection limits of both services: defaults, every key, ranges. */
static void test_http_limits(void **state)
{
	_cleanup_config_ struct vf_config *d = vf_config_new();
	assert_int_equal(d->serve_http.conn_timeout, 30);
	assert_int_equal(d->serve_http.request_timeout, 10);
	assert_int_equal(d->serve_http.max_conns, 256);
	assert_int_equal(d->serve_http.max_conns_per_ip, 64);
	assert_int_equal(d->filter.http.conn_timeout, 30);
	assert_int_equal(d->filter.http.request_timeout, 30);
	assert_int_equal(d->filter.http.max_conns, 1024);
	assert_int_equal(d->filter.http.max_conns_per_ip, 256);

	_cleanup_config_ struct vf_config *c = load_ok(
		"http.conf", "[vfcap]\nserve_conn_timeout = 5\nserve_request_timeout = 3\nserve_max_conns = 20\n"
			     "serve_max_conns_per_ip = 0\n[filter]\nconn_timeout = 7\nrequest_timeout = 4\n"
			     "max_conns = 30\nmax_conns_per_ip = 2\n");
	const struct vf_http_limits serve = { 5, 3, 20, 0 }, filter = { 7, 4, 30, 2 };
	assert_memory_equal(&c->serve_http, &serve, sizeof serve);
	assert_memory_equal(&c->filter.http, &filter, sizeof filter);

	load_fails("[vfcap]\nserve_request_timeout = 0\n", 2,
		   "invalid serve_request_timeout '0' (an integer, 1 to 86400)");
	load_fails("[vfcap]\nserve_max_conns_per_ip = -1\n", 2,
		   "invalid serve_max_conns_per_ip '-1' (an integer, 0 to 65536)");
	load_fails("[filter]\nmax_conns = 65537\n", 2, "invalid max_conns '65537' (an integer, 1 to 65536)");
	load_fails("[filter]\nserve_max_conns = 5\n", 2, "unknown key 'serve_max_conns' in [filter]");
	load_fails("[vfcap]\nrequest_timeout = 5\n", 2, "unknown key 'request_timeout' in [vfcap]");
}

/* vfcap-report serve's keys in [vfcap]: defaults, every key, yes/no spellings, bad values. */
static void test_serve_keys(void **state)
{
	_cleanup_config_ struct vf_config *d = vf_config_new();
	assert_string_equal(d->serve_listen, "127.0.0.1:18782");
	assert_int_equal(d->serve_interval, 120);
	assert_int_equal(d->serve_watch, 1);
	assert_int_equal(d->tls, -1);
	assert_null(d->tls_cert);
	assert_null(d->tls_key);
	assert_null(d->tls_client_ca);

	_cleanup_config_ struct vf_config *c =
		load_ok("serve.conf", "[vfcap]\nserve_listen = [::1]:9100\nserve_interval = 30\nserve_watch = no\ntls = Yes\n"
				      "tls_cert = /etc/vfcap/cert.pem\ntls_key = /etc/vfcap/key.pem\n"
				      "tls_client_ca = /etc/vfcap/ca.pem\n");
	assert_string_equal(c->serve_listen, "[::1]:9100");
	assert_int_equal(c->serve_interval, 30);
	assert_int_equal(c->serve_watch, 0);
	assert_int_equal(c->tls, 1);
	assert_string_equal(c->tls_cert, "/etc/vfcap/cert.pem");
	assert_string_equal(c->tls_key, "/etc/vfcap/key.pem");
	assert_string_equal(c->tls_client_ca, "/etc/vfcap/ca.pem");

	static const struct {
		const char *text;
		int tls;
	} bools[] = { { "yes", 1 }, { "true", 1 }, { "on", 1 },  { "1", 1 },
		      { "no", 0 },  { "FALSE", 0 }, { "off", 0 }, { "0", 0 } };
	for (size_t i = 0; i < ARRAY_SIZE(bools); i++) {
		_cleanup_free_ char *text = xasprintf("[vfcap]\ntls = %s\ntls_client_ca = none\n", bools[i].text);
		_cleanup_config_ struct vf_config *b = load_ok("bool.conf", text);
		assert_int_equal(b->tls, bools[i].tls);
		assert_string_equal(b->tls_client_ca, "none");
	}

	load_fails("[vfcap]\ntls = maybe\n", 2, "invalid tls 'maybe' (yes or no)");
	load_fails("[vfcap]\ntls =\n", 2, "empty value for 'tls' in [vfcap]");
	load_fails("[vfcap]\nserve_interval = 0\n", 2, "invalid serve_interval '0' (seconds, 1 to 86400)");
	load_fails("[vfcap]\ntls_cert = cert.pem\n", 2, "tls_cert must be an absolute path");
	load_fails("[vfcap]\ntls_key = none\n", 2, "tls_key must be an absolute path");
	load_fails("[vfcap]\ntls_client_ca = ca.pem\n", 2, "tls_client_ca must be an absolute path or 'none'");
	load_fails("[vfcap]\ntls = yes\ntls = no\n", 3, "duplicate key 'tls' in [vfcap]");
	load_fails("[filter]\ntls_cert = /a.pem\n", 2, "unknown key 'tls_cert' in [filter]");
}

/* The hook's SASL credentials for libvirt. */
static void test_libvirt_auth_keys(void **state)
{
	_cleanup_config_ struct vf_config *c =
		load_ok("auth.conf", "[vfcap]\nlibvirt_auth_user = vdsm@ovirt\n"
				     "libvirt_password_file = /etc/pki/vdsm/keys/libvirt_password\n");
	assert_string_equal(c->libvirt_auth_user, "vdsm@ovirt");
	assert_string_equal(c->libvirt_password_file, "/etc/pki/vdsm/keys/libvirt_password");
	load_fails("[vfcap]\nlibvirt_password_file = libvirt_password\n", 2,
		   "libvirt_password_file must be an absolute path");
}

/* [vfcap] dirty = free|used and [hook] require_link: defaults, values, errors. */
static void test_dirty_and_link_keys(void **state)
{
	_cleanup_config_ struct vf_config *d = vf_config_new();
	assert_int_equal(d->dirty_used, 0);
	assert_int_equal(d->hook_require_link, 1);
	_cleanup_config_ struct vf_config *c =
		load_ok("dirty.conf", "[vfcap]\ndirty = used\n\n[hook]\nrequire_link = no\n");
	assert_int_equal(c->dirty_used, 1);
	assert_int_equal(c->hook_require_link, 0);
	_cleanup_config_ struct vf_config *f = load_ok("free.conf", "[vfcap]\ndirty = free\n[hook]\nrequire_link = yes\n");
	assert_int_equal(f->dirty_used, 0);
	assert_int_equal(f->hook_require_link, 1);
	load_fails("[vfcap]\ndirty = yes\n", 2, "invalid dirty 'yes' (expected free or used)");
	load_fails("[hook]\nrequire_link = maybe\n", 2, "invalid require_link 'maybe' (yes or no)");
	load_fails("[hook]\ndirty = used\n", 2, "unknown key 'dirty' in [hook]");
	load_fails("[hook]\nrequire_link = no\n[hook]\nrequire_link = no\n", 4, "duplicate section [hook]");
	/* [hook] numa: preferred by default, as the filter's policy property */
	assert_int_equal(d->hook_numa, VF_HOOK_NUMA_PREFERRED);
	_cleanup_config_ struct vf_config *n = load_ok("numa.conf", "[hook]\nnuma = required\n");
	assert_int_equal(n->hook_numa, VF_HOOK_NUMA_REQUIRED);
	_cleanup_config_ struct vf_config *i = load_ok("ignore.conf", "[hook]\nnuma = ignore\n");
	assert_int_equal(i->hook_numa, VF_HOOK_NUMA_IGNORE);
	load_fails("[hook]\nnuma = strict\n", 2, "invalid numa 'strict' (expected ignore, preferred or required)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),      cmocka_unit_test(test_full),
		cmocka_unit_test(test_crlf),          cmocka_unit_test(test_globs),
		cmocka_unit_test(test_reserved),      cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_empty),         cmocka_unit_test(test_errors_keys),
		cmocka_unit_test(test_errors_values), cmocka_unit_test(test_errors_syntax),
		cmocka_unit_test(test_huge_value),    cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_filter_sections), cmocka_unit_test(test_http_limits), cmocka_unit_test(test_serve_keys),
		cmocka_unit_test(test_libvirt_auth_keys), cmocka_unit_test(test_dirty_and_link_keys),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
