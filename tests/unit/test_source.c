/* SPDX-License-Identifier: MIT */
/* filter/source*.c: capacity entries, reading report files, the directory table (inotify,
 * reuse of unchanged files, concurrent lookups, 10,000 hosts) and the HTTP source against
 * tests/filter/report-server.py. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "fixture-dirs.h"
#include "model.h"
#include "source.h"
#include "util.h"

static char tmpdir[] = "/tmp/vfcap-test-source.XXXXXX";
static pid_t server_pid = -1;
static int server_port;
static char *srvdir; /* what the report server serves */

#define NOSRIOV "tests/fixtures/hosts/nosriov/expected.json"
#define INTEL64 "tests/fixtures/hosts/intel64/expected.json"
#define GOLDEN_TIME "\"generated_at\": \"2026-11-18T11:06:40Z\""
#define T0 1800000000 /* a lookup's `now` in the HTTP tests */

#define assert_contains(s, sub)                                                                    \
	do {                                                                                       \
		const char *_s = (s);                                                              \
		if (!_s || !strstr(_s, (sub)))                                                     \
			fail_msg("'%s' does not contain '%s'", _s ? _s : "(null)", (sub));         \
	} while (0)

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sources_freep(struct vf_sources **s)
{
	vf_sources_free(*s);
}
#define _cleanup_sources_ _cleanup_(sources_freep)

static void capp(struct vf_capacity **c)
{
	vf_capacity_unref(*c);
}
#define _cleanup_cap_ _cleanup_(capp)

/* ---- files ---- */

static char *slurp(const char *path)
{
	char *text = NULL;
	assert_int_equal(read_full_file(path, &text, NULL, 1 << 24), 0);
	return text;
}

/* s with the first `from` replaced by `to` (which must be there). */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	if (!at)
		fail_msg("'%s' not found", from);
	return xasprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
}

/* The nosriov report with totals.free = free, generated_at = when ("...Z"). */
static char *small_report(int free, const char *when)
{
	static char *golden; /* read once: 10,000 files are made from it */
	if (!golden)
		golden = slurp(NOSRIOV);
	_cleanup_free_ char *f = xasprintf("\"free\": %d,", free);
	_cleanup_free_ char *t = xasprintf("\"generated_at\": \"%s\"", when);
	_cleanup_free_ char *a = replace(golden, "\"free\": 0,", f);
	return replace(a, GOLDEN_TIME, t);
}

/* The same, generated at 11:00. */
static char *report(int free)
{
	return small_report(free, "2026-11-18T11:00:00Z");
}

static char *subdir(const char *name)
{
	char *d = xasprintf("%s/%s", tmpdir, name);
	assert_int_equal(mkdir(d, 0755), 0);
	return d;
}

static void put_plain(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* As an atomic writer does: a hidden temp file, then rename(2). */
static void put(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *tmp = xasprintf(".%s.tmp", name);
	_cleanup_free_ char *from = xasprintf("%s/%s", dir, tmp), *to = xasprintf("%s/%s", dir, name);
	put_plain(dir, tmp, text);
	assert_int_equal(rename(from, to), 0);
}

static void rm(const char *dir, const char *name)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
	assert_int_equal(unlink(p), 0);
}

/* ---- sources ---- */

static struct vf_sources *dir_sources(const char *dir)
{
	struct vf_source_opts o = { .reports_dir = dir, .rescan_interval = 3600 };
	struct vf_sources *s = NULL;
	_cleanup_free_ char *err = NULL;
	if (vf_sources_new(&o, &s, &err) < 0)
		fail_msg("vf_sources_new: %s", err);
	return s;
}

static struct vf_capacity *lookup1(struct vf_sources *s, const char *id, time_t now)
{
	struct vf_capacity *c = NULL;
	vf_sources_lookup(s, &id, 1, now, &c);
	assert_non_null(c);
	assert_string_equal(c->host_id, id);
	return c;
}

static struct vf_source_stats stats(struct vf_sources *s)
{
	struct vf_source_stats st;
	vf_sources_stats(s, &st);
	return st;
}

static bool has_free(const struct vf_capacity *c, int free)
{
	return !c->error && c->free == free;
}

static bool generated_at(const struct vf_capacity *c, int t)
{
	return !c->error && c->generated_at == t;
}

static bool is_missing(const struct vf_capacity *c, int unused)
{
	return c->error && strstr(c->error, "no report for host");
}

/* Look id up until pred holds, for at most 2 s (the thread rescans on inotify events). */
static struct vf_capacity *wait_for(struct vf_sources *s, const char *id,
				    bool (*pred)(const struct vf_capacity *c, int arg), int arg)
{
	double start = now_s();
	for (;;) {
		struct vf_capacity *c = lookup1(s, id, 0);
		if (pred(c, arg)) {
			print_message("  %s seen after %.0f ms\n", id, (now_s() - start) * 1e3);
			return c;
		}
		if (now_s() - start > 2.0)
			fail_msg("%s: still '%s' (free %d) after 2 s", id, c->error ? c->error : "", c->free);
		vf_capacity_unref(c);
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* ---- entries ---- */

static void test_from_host(_unused_ void **state)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	h->generated_at = 1763464000;
	h->totals.free = 7;
	struct vf_pf *a = vf_host_add_pf(h, "ens1f0");
	a->physical_network = xstrdup("physnet1");
	a->fabric = xstrdup("A");
	a->free = 7;
	struct vf_pf *b = vf_host_add_pf(h, "ens1f1");
	b->free = UNKNOWN;
	_cleanup_cap_ struct vf_capacity *c = vf_capacity_from_host(h, "host-1");
	assert_int_equal(c->refs, 1);
	assert_string_equal(c->host_id, "host-1");
	assert_null(c->error);
	assert_int_equal(c->generated_at, 1763464000);
	assert_int_equal(c->free, 7);
	assert_int_equal(c->n_pfs, 2);
	assert_string_equal(c->pfs[0].name, "ens1f0");
	assert_string_equal(c->pfs[0].physical_network, "physnet1");
	assert_string_equal(c->pfs[0].fabric, "A");
	assert_int_equal(c->pfs[0].free, 7);
	assert_string_equal(c->pfs[1].name, "ens1f1");
	assert_null(c->pfs[1].physical_network);
	assert_null(c->pfs[1].fabric);
	assert_int_equal(c->pfs[1].free, UNKNOWN);

	h->totals.free = UNKNOWN; /* libvirt was down: stays unknown, never 0 or free */
	_cleanup_cap_ struct vf_capacity *u = vf_capacity_from_host(h, "host-1");
	assert_int_equal(u->free, UNKNOWN);
}

static void test_error_and_refs(_unused_ void **state)
{
	struct vf_capacity *c = vf_capacity_error("h", "a %s\nb\r%d", "x", 3);
	assert_string_equal(c->error, "a x b 3");
	assert_int_equal(c->free, UNKNOWN);
	assert_int_equal(c->n_pfs, 0);
	assert_ptr_equal(vf_capacity_ref(c), c);
	assert_int_equal(c->refs, 2);
	vf_capacity_unref(c);
	assert_int_equal(c->refs, 1);
	vf_capacity_unref(c); /* frees: valgrind and ASan see to it */
	vf_capacity_unref(NULL);
	assert_null(vf_capacity_ref(NULL));
}

/* ---- one file ---- */

static int json_count(json_object *o, const char *key)
{
	json_object *v;
	assert_true(json_object_object_get_ex(o, key, &v));
	return v ? json_object_get_int(v) : UNKNOWN;
}

static const char *json_label(json_object *pf, const char *key)
{
	json_object *labels, *v;
	assert_true(json_object_object_get_ex(pf, "labels", &labels));
	return json_object_object_get_ex(labels, key, &v) ? json_object_get_string(v) : NULL;
}

/* The entry of a golden report says what the report's JSON says. */
static void golden_case(const char *parent, const char *name)
{
	_cleanup_free_ char *path = xasprintf("%s/%s/expected.json", parent, name);
	_cleanup_cap_ struct vf_capacity *c = vf_capacity_read_file(AT_FDCWD, path, name);
	if (c->error)
		fail_msg("%s: %s", path, c->error);
	json_object *j = json_object_from_file(path), *totals, *pfs;
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "totals", &totals));
	assert_int_equal(c->free, json_count(totals, "free"));
	assert_true(json_object_object_get_ex(j, "pfs", &pfs));
	assert_int_equal(c->n_pfs, json_object_array_length(pfs));
	for (size_t i = 0; i < c->n_pfs; i++) {
		json_object *pf = json_object_array_get_idx(pfs, i), *n;
		assert_true(json_object_object_get_ex(pf, "name", &n));
		assert_string_equal(c->pfs[i].name, json_object_get_string(n));
		assert_int_equal(c->pfs[i].free, json_count(pf, "free"));
		assert_true(streq_ptr(c->pfs[i].physical_network, json_label(pf, "physical_network")));
		assert_true(streq_ptr(c->pfs[i].fabric, json_label(pf, "fabric")));
	}
	assert_true(c->generated_at > 1700000000);
	json_object_put(j);
}

static void test_read_goldens(_unused_ void **state)
{
	static const char *const dirs[] = { "tests/fixtures/hosts", "tests/fixtures/variants" };
	assert_true(for_each_fixture_dir(dirs, ARRAY_SIZE(dirs), golden_case) >= 8);
	/* spot checks against numbers known from the fixtures */
	_cleanup_cap_ struct vf_capacity *i = vf_capacity_read_file(AT_FDCWD, INTEL64, "i");
	assert_int_equal(i->free, 54 + i->pfs[1].free);
	assert_string_equal(i->pfs[0].physical_network, "physnet1");
	assert_int_equal(i->pfs[0].free, 54);
	_cleanup_cap_ struct vf_capacity *d = vf_capacity_read_file(
		AT_FDCWD, "tests/fixtures/variants/intel64-libvirt-down/expected.json", "d");
	assert_null(d->error);
	assert_int_equal(d->free, UNKNOWN);
}

/* Reading dir/name gives an error entry whose message is "dir/name: ...want...". */
static void read_fails(const char *dir, const char *name, const char *want)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	_cleanup_free_ char *prefix = xasprintf("%s: ", path);
	double start = now_s();
	_cleanup_cap_ struct vf_capacity *c = vf_capacity_read_file(AT_FDCWD, path, "h");
	assert_true(now_s() - start < 1.0); /* a FIFO must not block */
	assert_non_null(c->error);
	if (!startswith(c->error, prefix) || !strstr(c->error, want))
		fail_msg("got '%s', want '%s...%s'", c->error, prefix, want);
	assert_string_equal(c->host_id, "h");
	assert_int_equal(c->free, UNKNOWN);
	assert_int_equal(c->n_pfs, 0);
}

static void test_read_bad(_unused_ void **state)
{
	_cleanup_free_ char *d = subdir("bad");
	put_plain(d, "cut.json", "{\n  ");
	read_fails(d, "cut.json", ": JSON: byte ");
	put_plain(d, "empty.json", "");
	read_fails(d, "empty.json", ": JSON: byte 0");
	_cleanup_free_ char *golden = slurp(INTEL64);
	_cleanup_free_ char *bad = replace(golden, "\"free\": 54,", "\"free\": \"54\",");
	put_plain(d, "type.json", bad);
	read_fails(d, "type.json", ": pfs[0].free: ");
	put_plain(d, "good.json", golden);
	_cleanup_free_ char *link = xasprintf("%s/link.json", d);
	assert_int_equal(symlink("good.json", link), 0);
	read_fails(d, "link.json", "symbolic link");
	_cleanup_free_ char *fifo = xasprintf("%s/fifo.json", d), *sub = xasprintf("%s/dir.json", d);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	read_fails(d, "fifo.json", "not a regular file");
	assert_int_equal(mkdir(sub, 0755), 0);
	read_fails(d, "dir.json", "not a regular file");
	read_fails(d, "none.json", "No such file or directory");
	_cleanup_free_ char *huge = xasprintf("%s/huge.json", d); /* sparse: costs no disk */
	put_plain(d, "huge.json", "");
	assert_int_equal(truncate(huge, (64 << 20) + 1), 0);
	read_fails(d, "huge.json", "too large (67108865 bytes; at most 67108864)");
	if (geteuid() != 0) { /* root reads it anyway */
		put_plain(d, "secret.json", golden);
		_cleanup_free_ char *p = xasprintf("%s/secret.json", d);
		assert_int_equal(chmod(p, 0), 0);
		read_fails(d, "secret.json", "Permission denied");
	}
	/* relative to a directory fd: named as given */
	_cleanup_close_ int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_cap_ struct vf_capacity *c = vf_capacity_read_file(dfd, "cut.json", "h");
	assert_true(startswith(c->error, "cut.json: JSON: byte "));
}

/* ---- the directory table ---- */

static void test_dir_new_errors(_unused_ void **state)
{
	struct vf_sources *s = NULL;
	_cleanup_free_ char *err = NULL, *missing = xasprintf("%s/missing", tmpdir);
	struct vf_source_opts o = { .reports_dir = missing, .rescan_interval = 5 };
	assert_int_equal(vf_sources_new(&o, &s, &err), -ENOENT);
	assert_contains(err, missing);
	o.reports_dir = NOSRIOV;
	assert_int_equal(vf_sources_new(&o, &s, &err), -ENOTDIR);
	assert_string_equal(err, "reports directory " NOSRIOV ": not a directory");
	o.reports_dir = NULL;
	assert_int_equal(vf_sources_new(&o, &s, &err), -EINVAL);
	assert_contains(err, "no report source");
	o.reports_dir = tmpdir;
	o.rescan_interval = 0;
	assert_int_equal(vf_sources_new(&o, &s, &err), -EINVAL);
	assert_null(s);
}

static void test_dir_table(_unused_ void **state)
{
	_cleanup_free_ char *d = subdir("table");
	_cleanup_free_ char *intel = slurp(INTEL64);
	for (int i = 0; i < 5; i++) {
		_cleanup_free_ char *name = xasprintf("host-%d.json", i);
		_cleanup_free_ char *text = small_report(10 + i, "2026-11-18T11:06:40Z");
		put(d, name, text);
	}
	put(d, "intel.json", intel);
	put_plain(d, "broken.json", "{\"schema_version\": 1");
	/* not reports: hidden, temp, other names, implausible ids */
	put_plain(d, ".host-9.json", intel);
	put_plain(d, ".host-9.json.tmp", intel);
	put_plain(d, "host-9.json.tmp", intel);
	put_plain(d, "host 9.json", intel);
	put_plain(d, "README", "hello");
	put_plain(d, ".json", intel);
	char id64[65], id65[66];
	memset(id64, 'a', 64);
	id64[64] = '\0';
	memset(id65, 'b', 65);
	id65[65] = '\0';
	_cleanup_free_ char *f64 = xasprintf("%s.json", id64), *f65 = xasprintf("%s.json", id65);
	put_plain(d, f64, intel); /* 64 characters: a host id */
	put_plain(d, f65, intel); /* 65: not one */

	_cleanup_sources_ struct vf_sources *s = dir_sources(d);
	struct vf_source_stats st = stats(s);
	assert_int_equal(st.entries, 8);
	assert_int_equal(st.files_read, 8);
	assert_int_equal(st.scans, 1);
	for (int i = 0; i < 5; i++) {
		_cleanup_free_ char *id = xasprintf("host-%d", i);
		_cleanup_cap_ struct vf_capacity *c = lookup1(s, id, 0);
		assert_null(c->error);
		assert_int_equal(c->free, 10 + i);
		assert_int_equal(c->generated_at, 1795000000); /* 2026-11-18T11:06:40Z */
	}
	_cleanup_cap_ struct vf_capacity *in = lookup1(s, "intel", 0);
	assert_int_equal(in->n_pfs, 2);
	assert_int_equal(in->pfs[0].free, 54);
	_cleanup_cap_ struct vf_capacity *b = lookup1(s, "broken", 0);
	_cleanup_free_ char *want = xasprintf("%s/broken.json: JSON: byte ", d);
	assert_true(startswith(b->error, want));
	const char *none[] = { ".host-9", "host-9", "host 9", "README", id65 };
	_cleanup_cap_ struct vf_capacity *c64 = lookup1(s, id64, 0);
	assert_int_equal(c64->free, in->free);
	for (size_t i = 0; i < ARRAY_SIZE(none); i++) {
		_cleanup_cap_ struct vf_capacity *c = lookup1(s, none[i], 0);
		_cleanup_free_ char *msg = xasprintf("no report for host %s in %s", none[i], d);
		assert_string_equal(c->error, msg);
	}
	/* many at once, in order, duplicates allowed */
	const char *ids[] = { "host-4", "nope", "host-0", "host-4" };
	struct vf_capacity *out[4];
	vf_sources_lookup(s, ids, 4, 0, out);
	assert_int_equal(out[0]->free, 14);
	assert_non_null(out[1]->error);
	assert_int_equal(out[2]->free, 10);
	assert_ptr_equal(out[0], out[3]);
	for (int i = 0; i < 4; i++)
		vf_capacity_unref(out[i]);
}

static void test_dir_inotify(_unused_ void **state)
{
	_cleanup_free_ char *d = subdir("inotify");
	_cleanup_free_ char *r1 = report(1);
	_cleanup_free_ char *r2 = report(2);
	put(d, "a.json", r1);
	put(d, "b.json", r1);
	_cleanup_sources_ struct vf_sources *s = dir_sources(d); /* no periodic scan in 1 h */
	_cleanup_cap_ struct vf_capacity *a0 = lookup1(s, "a", 0);
	assert_int_equal(a0->free, 1);
	unsigned long read0 = stats(s).files_read;

	put(d, "c.json", r2); /* a new file */
	vf_capacity_unref(wait_for(s, "c", has_free, 2));
	put(d, "b.json", r2); /* a changed file */
	vf_capacity_unref(wait_for(s, "b", has_free, 2));
	rm(d, "c.json"); /* a deleted file */
	vf_capacity_unref(wait_for(s, "c", is_missing, 0));
	put_plain(d, "d.json", r2); /* written in place: IN_CLOSE_WRITE */
	vf_capacity_unref(wait_for(s, "d", has_free, 2));

	/* a was never re-read: the same entry, and one read per change only */
	_cleanup_cap_ struct vf_capacity *a1 = lookup1(s, "a", 0);
	assert_ptr_equal(a0, a1);
	struct vf_source_stats st = stats(s);
	assert_int_equal(st.files_read - read0, 3);
	assert_true(st.scans >= 5);
	assert_int_equal(st.full_scans, 1); /* events: only the named files were looked at */
	assert_int_equal(st.entries, 3);
	vf_sources_rescan(s);
	assert_int_equal(stats(s).files_read - read0, 3);
	assert_int_equal(stats(s).full_scans, 2);

	/* a file rewritten with the same size: a new inode, so read again */
	_cleanup_free_ char *r1b = small_report(1, "2026-11-18T11:00:01Z");
	put(d, "a.json", r1b);
	_cleanup_cap_ struct vf_capacity *a2 = wait_for(s, "a", generated_at, (int)a0->generated_at + 1);
	assert_true(a2 != a0);
	assert_int_equal(a2->free, 1);
	assert_int_equal(a0->free, 1); /* the old entry is intact while held */

	double start = now_s();
	vf_sources_free(TAKE_PTR(s));
	double took = now_s() - start;
	print_message("  vf_sources_free took %.2f ms\n", took * 1e3);
	assert_true(took < 0.5); /* the thread wakes at once, not at its next scan */
}

static void test_dir_moved_away(_unused_ void **state)
{
	_cleanup_free_ char *d = subdir("moved"), *away = xasprintf("%s/moved-away", tmpdir);
	_cleanup_free_ char *r = report(5);
	put(d, "m.json", r);
	_cleanup_sources_ struct vf_sources *s = dir_sources(d);
	assert_int_equal(rename(d, away), 0);
	vf_capacity_unref(wait_for(s, "m", is_missing, 0)); /* the directory is gone: no reports */
	assert_true(stats(s).scan_errors >= 1);
	assert_int_equal(rename(away, d), 0);
	vf_sources_rescan(s); /* nothing watches the path now: the next scan does */
	_cleanup_cap_ struct vf_capacity *c = lookup1(s, "m", 0);
	assert_int_equal(c->free, 5);
	put(d, "n.json", r); /* and watches it again */
	vf_capacity_unref(wait_for(s, "n", has_free, 5));
}

/* A change inotify does not report (made through a hard link elsewhere) waits for the
 * periodic scan. */
static void test_dir_periodic(_unused_ void **state)
{
	_cleanup_free_ char *d = subdir("periodic"), *other = subdir("periodic-link");
	_cleanup_free_ char *r1 = report(1);
	_cleanup_free_ char *r2 = report(2);
	put(d, "p.json", r1);
	_cleanup_free_ char *from = xasprintf("%s/p.json", d), *to = xasprintf("%s/p.json", other);
	assert_int_equal(link(from, to), 0);
	struct vf_source_opts o = { .reports_dir = d, .rescan_interval = 1 };
	_cleanup_sources_ struct vf_sources *s = NULL;
	assert_int_equal(vf_sources_new(&o, &s, NULL), 0);
	put_plain(other, "p.json", r2); /* in place, through the other name */
	vf_capacity_unref(wait_for(s, "p", has_free, 2));
	assert_true(stats(s).full_scans >= 2);
}

/* ---- lookups while the directory changes ---- */

#define CHURN_HOSTS 16

struct churn {
	struct vf_sources *s;
	const char *ids[CHURN_HOSTS];
	int stop;
	unsigned long lookups, bad;
};

/* No cmocka asserts here (they longjmp): count what is wrong, the main thread asserts. */
static void *churn_reader(void *arg)
{
	struct churn *ch = arg;
	struct vf_capacity *out[CHURN_HOSTS];
	while (!__atomic_load_n(&ch->stop, __ATOMIC_ACQUIRE)) {
		vf_sources_lookup(ch->s, ch->ids, CHURN_HOSTS, 0, out);
		for (size_t i = 0; i < CHURN_HOSTS; i++) {
			struct vf_capacity *c = out[i];
			bool ok = c && streq(c->host_id, ch->ids[i]) &&
				  (c->error ? strstr(c->error, "no report for host") != NULL
					    : c->free == 10 || c->free == 20);
			if (!ok)
				__atomic_fetch_add(&ch->bad, 1, __ATOMIC_RELAXED);
			vf_capacity_unref(c);
		}
		__atomic_fetch_add(&ch->lookups, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void test_dir_concurrent(_unused_ void **state)
{
	_cleanup_free_ char *d = subdir("churn");
	_cleanup_free_ char *r10 = report(10);
	_cleanup_free_ char *r20 = report(20);
	struct churn ch = { 0 };
	char names[CHURN_HOSTS][16];
	for (int i = 0; i < CHURN_HOSTS; i++) {
		snprintf(names[i], sizeof(names[i]), "h%d", i);
		ch.ids[i] = names[i];
		_cleanup_free_ char *f = xasprintf("h%d.json", i);
		put(d, f, r10);
	}
	ch.s = dir_sources(d);
	pthread_t t[8];
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn_reader, &ch), 0);
	unsigned seed = 1;
	double start = now_s();
	unsigned long changes = 0;
	/* a second, and 40 changes at least (valgrind runs one thread at a time) */
	while (now_s() - start < 1.0 || (changes < 40 && now_s() - start < 20.0)) {
		int i = rand_r(&seed) % CHURN_HOSTS, op = rand_r(&seed) % 4;
		_cleanup_free_ char *f = xasprintf("h%d.json", i), *p = xasprintf("%s/%s", d, f);
		if (op == 0)
			unlink(p);
		else if (op == 3)
			vf_sources_rescan(ch.s);
		else
			put(d, f, op == 1 ? r10 : r20);
		changes++;
		struct timespec ts = { 0, 200 * 1000 };
		nanosleep(&ts, NULL);
	}
	__atomic_store_n(&ch.stop, 1, __ATOMIC_RELEASE);
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		pthread_join(t[i], NULL);
	struct vf_source_stats st = stats(ch.s);
	print_message("  %lu lookups of %d hosts in 8 threads during %lu changes, %lu scans\n",
		      ch.lookups, CHURN_HOSTS, changes, st.scans);
	assert_int_equal(ch.bad, 0);
	assert_true(ch.lookups > 100);
	assert_true(changes >= 40);
	assert_true(st.scans >= 3);
	vf_sources_free(ch.s);
}

/* ---- 10,000 hosts ---- */

#define MANY 10000

static void test_dir_many(_unused_ void **state)
{
	_cleanup_free_ char *d = subdir("many");
	static char ids[MANY][40];
	static const char *idp[MANY];
	double t0 = now_s();
	for (int i = 0; i < MANY; i++) {
		snprintf(ids[i], sizeof(ids[i]), "00000000-0000-4000-8000-%012d", i);
		idp[i] = ids[i];
		_cleanup_free_ char *f = xasprintf("%s.json", ids[i]);
		_cleanup_free_ char *text = report(i % 1000);
		put_plain(d, f, text);
	}
	double t1 = now_s();
	_cleanup_sources_ struct vf_sources *s = dir_sources(d);
	double t2 = now_s();
	assert_int_equal(stats(s).entries, MANY);
	static struct vf_capacity *out[MANY];
	double best1k = 1e9, best10k = 1e9;
	for (int round = 0; round < 5; round++) {
		double a = now_s();
		vf_sources_lookup(s, idp + 1000 * round, 1000, 0, out);
		double b = now_s();
		for (int i = 0; i < 1000; i++)
			vf_capacity_unref(out[i]);
		double c = now_s();
		vf_sources_lookup(s, idp, MANY, 0, out);
		double e = now_s();
		best1k = b - a < best1k ? b - a : best1k;
		best10k = e - c < best10k ? e - c : best10k;
		for (int i = 0; i < MANY; i++) {
			if (out[i]->error || out[i]->free != i % 1000)
				fail_msg("%s: %s %d", ids[i], out[i]->error, out[i]->free);
			vf_capacity_unref(out[i]);
		}
	}
	double t3 = now_s();
	vf_sources_rescan(s);
	double t4 = now_s();
	assert_int_equal(stats(s).files_read, MANY); /* nothing changed, nothing read again */
	print_message("  %d files: written in %.0f ms, first scan (read all) %.0f ms, rescan "
		      "(none changed) %.1f ms;\n  lookup of 1,000 ids %.1f us, of 10,000 ids %.1f us\n",
		      MANY, (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t4 - t3) * 1e3, best1k * 1e6, best10k * 1e6);

	/* one host writes: an event scan looks at its file only */
	_cleanup_free_ char *one = report(7777);
	put(d, "00000000-0000-4000-8000-000000000000.json", one);
	vf_capacity_unref(wait_for(s, ids[0], has_free, 7777));
	assert_int_equal(stats(s).files_read, MANY + 1);
	assert_int_equal(stats(s).full_scans, 2);
	/* 2,000 renamed in at once: likely more names than one burst remembers (a full scan) */
	for (int i = 0; i < 2000; i++) {
		_cleanup_free_ char *f = xasprintf(".%s.json.tmp", ids[i]);
		_cleanup_free_ char *text = report(i % 1000 + 1);
		put_plain(d, f, text);
	}
	double t5 = now_s();
	for (int i = 0; i < 2000; i++) {
		_cleanup_free_ char *from = xasprintf("%s/.%s.json.tmp", d, ids[i]);
		_cleanup_free_ char *to = xasprintf("%s/%s.json", d, ids[i]);
		assert_int_equal(rename(from, to), 0);
	}
	vf_capacity_unref(wait_for(s, ids[1999], has_free, 1000));
	print_message("  2,000 renamed and seen in %.0f ms: %lu scans, %lu full\n",
		      (now_s() - t5) * 1e3, stats(s).scans, stats(s).full_scans);
	vf_sources_lookup(s, idp, MANY, 0, out);
	for (int i = 0; i < MANY; i++) {
		if (out[i]->free != i % 1000 + (i < 2000))
			fail_msg("%s: %s %d", ids[i], out[i]->error, out[i]->free);
		vf_capacity_unref(out[i]);
	}
}

/* ---- HTTP, against tests/filter/report-server.py ---- */

static int start_server(void)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	server_pid = fork();
	if (server_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a crashed test leaves no server behind */
		dup2(p[1], STDOUT_FILENO);
		execlp("python3", "python3", "tests/filter/report-server.py", srvdir, "--sleep", "3",
		       (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	FILE *f = fdopen(p[0], "r");
	char line[32];
	bool ok = f && fgets(line, sizeof(line), f) && (server_port = atoi(line)) > 0;
	if (f)
		fclose(f);
	return ok ? 0 : -1;
}

static void stop_server(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
}

static size_t to_buf(char *data, size_t size, size_t n, void *p)
{
	char **buf = p;
	char *next = xasprintf("%s%.*s", *buf ? *buf : "", (int)(size * n), data);
	free(*buf);
	*buf = next;
	return size * n;
}

/* GET /stats (or /reset) from the server: its JSON (caller puts). */
static json_object *server_get(const char *path)
{
	_cleanup_free_ char *url = xasprintf("http://127.0.0.1:%d%s", server_port, path), *body = NULL;
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_buf);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_cleanup(c);
	return json_tokener_parse(body);
}

static void server_reset(void)
{
	json_object_put(server_get("/reset"));
}

static int server_stat(const char *key)
{
	json_object *o = server_get("/stats");
	int v = json_count(o, key);
	json_object_put(o);
	return v;
}

static char *url_of(const char *id)
{
	return xasprintf("http://127.0.0.1:%d/%s/v1/report", server_port, id);
}

static struct vf_sources *web_sources(const char *dir, const char *query, int timeout_ms,
				      int max_parallel, int (*resolve)(void *, const char *, time_t, char **, char **),
				      void *ctx)
{
	_cleanup_free_ char *tmpl = xasprintf("http://%s:%d/{host_id}/v1/report%s",
					      resolve ? "{address}" : "127.0.0.1", server_port, query);
	struct vf_source_opts o = { .reports_dir = dir, .rescan_interval = 3600, .url_template = tmpl,
				    .timeout_ms = timeout_ms, .cache_max_age = 10,
				    .max_parallel = max_parallel, .resolve = resolve, .resolve_ctx = ctx };
	struct vf_sources *s = NULL;
	_cleanup_free_ char *err = NULL;
	if (vf_sources_new(&o, &s, &err) < 0)
		fail_msg("vf_sources_new: %s", err);
	server_reset();
	return s;
}

/* The entry's error is exactly "URL-of-id: what". */
static void assert_url_error(const struct vf_capacity *c, const char *what)
{
	_cleanup_free_ char *url = url_of(c->host_id), *want = xasprintf("%s: %s", url, what);
	assert_non_null(c->error);
	assert_string_equal(c->error, want);
	assert_int_equal(c->free, UNKNOWN);
}

/* web-1 (free 31) on the server, for the tests that need one good host */
static void serve_web1(void)
{
	_cleanup_free_ char *r = report(31);
	put(srvdir, "web-1.json", r);
}

static void test_http_opts(_unused_ void **state)
{
	static const struct {
		const char *tmpl, *want;
	} bad[] = {
		{ "ftp://h/{host_id}", "must start with http:// or https://" },
		{ "http://h/{hostid}", "unknown placeholder at '{hostid}'" },
		{ "http://h/report", "has neither {host_id} nor {address}" },
		{ "https://{address}/report", "{address} needs the engine's host addresses" },
	};
	struct vf_source_opts o = { .timeout_ms = 1000, .cache_max_age = 10, .max_parallel = 4 };
	struct vf_sources *s = NULL;
	_cleanup_free_ char *err = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		o.url_template = bad[i].tmpl;
		assert_int_equal(vf_sources_new(&o, &s, &err), -EINVAL);
		assert_contains(err, bad[i].want);
	}
	o.url_template = "http://h/{host_id}";
	o.max_parallel = 0;
	assert_int_equal(vf_sources_new(&o, &s, &err), -EINVAL);
	o.max_parallel = 1;
	o.timeout_ms = 0;
	assert_int_equal(vf_sources_new(&o, &s, &err), -EINVAL);
	assert_null(s);
}

static void test_http_fetch(_unused_ void **state)
{
	_cleanup_free_ char *r = report(31), *intel = slurp(INTEL64);
	put(srvdir, "web-1.json", r);
	put(srvdir, "web-intel.json", intel);
	_cleanup_sources_ struct vf_sources *s = web_sources(NULL, "", 2000, 4, NULL, NULL);
	const char *ids[] = { "web-1", "web-intel", "web-none" };
	struct vf_capacity *out[3];
	vf_sources_lookup(s, ids, 3, T0, out);
	assert_null(out[0]->error);
	assert_int_equal(out[0]->free, 31);
	assert_int_equal(out[1]->n_pfs, 2);
	assert_string_equal(out[1]->pfs[0].physical_network, "physnet1");
	assert_int_equal(out[1]->pfs[0].free, 54);
	assert_url_error(out[2], "HTTP 404");
	for (int i = 0; i < 3; i++)
		vf_capacity_unref(out[i]);
	assert_int_equal(server_stat("requests"), 3);
	struct vf_source_stats st = stats(s);
	assert_int_equal(st.http_requests, 3);
	assert_int_equal(st.http_errors, 1);
}

static void test_http_cache(_unused_ void **state)
{
	_cleanup_free_ char *r3 = report(3);
	_cleanup_free_ char *r4 = small_report(4, "2026-11-18T11:00:10Z");
	put(srvdir, "web-c.json", r3);
	_cleanup_sources_ struct vf_sources *s = web_sources(NULL, "", 2000, 4, NULL, NULL);
	_cleanup_cap_ struct vf_capacity *c1 = lookup1(s, "web-c", T0);
	assert_int_equal(c1->free, 3);
	_cleanup_cap_ struct vf_capacity *c2 = lookup1(s, "web-c", T0 + 9); /* fresh: no request */
	assert_ptr_equal(c1, c2);
	assert_int_equal(server_stat("requests"), 1);
	_cleanup_cap_ struct vf_capacity *c3 = lookup1(s, "web-c", T0 + 10); /* stale: 304 */
	assert_ptr_equal(c1, c3);
	assert_int_equal(server_stat("requests"), 2);
	assert_int_equal(server_stat("not_modified"), 1);
	assert_int_equal(stats(s).http_not_modified, 1);
	_cleanup_cap_ struct vf_capacity *c4 = lookup1(s, "web-c", T0 + 19); /* the 304 refreshed it */
	assert_ptr_equal(c1, c4);
	assert_int_equal(server_stat("requests"), 2);
	put(srvdir, "web-c.json", r4);
	_cleanup_cap_ struct vf_capacity *c5 = lookup1(s, "web-c", T0 + 20); /* changed: 200 */
	assert_int_equal(c5->free, 4);
	assert_int_equal(c5->generated_at, c1->generated_at + 10);
	assert_int_equal(server_stat("not_modified"), 1);
	/* failures are cached too: a dead reporter costs one timeout per max age */
	_cleanup_cap_ struct vf_capacity *e1 = lookup1(s, "status503-c", T0);
	_cleanup_cap_ struct vf_capacity *e2 = lookup1(s, "status503-c", T0 + 5);
	assert_ptr_equal(e1, e2);
	assert_url_error(e2, "HTTP 503");
	assert_int_equal(server_stat("requests"), 4);
}

static void test_http_parallel(_unused_ void **state)
{
	enum { N = 50 };
	char names[N][16];
	const char *ids[N];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "par-%d", i);
		ids[i] = names[i];
		_cleanup_free_ char *f = xasprintf("%s.json", names[i]), *r = report(i);
		put(srvdir, f, r);
	}
	for (int limit = 8; limit <= N; limit += N - 8) {
		_cleanup_sources_ struct vf_sources *s =
			web_sources(NULL, "?delay_ms=100", 5000, limit, NULL, NULL);
		struct vf_capacity *out[N];
		double start = now_s();
		vf_sources_lookup(s, ids, N, T0, out);
		double took = now_s() - start;
		for (int i = 0; i < N; i++) {
			if (out[i]->error || out[i]->free != i)
				fail_msg("%s: %s", ids[i], out[i]->error);
			vf_capacity_unref(out[i]);
		}
		int most = server_stat("max_in_flight");
		print_message("  %d hosts, 100 ms each, at most %d at once: %.0f ms, %d in flight at most\n",
			      N, limit, took * 1e3, most);
		assert_int_equal(server_stat("requests"), N);
		assert_true(most <= limit);
		if (limit == 8) {
			assert_true(most >= 2);
			assert_true(took >= 0.65); /* 7 rounds of 100 ms */
		} else {
			assert_true(most > 8);
		}
		assert_true(took < 4.0); /* loose: one at a time would take 5 s */
	}
}

static void test_http_errors(_unused_ void **state)
{
	_cleanup_free_ char *intel = slurp(INTEL64);
	_cleanup_free_ char *bad = replace(intel, "\"free\": 54,", "\"free\": -54,");
	put(srvdir, "web-badfield.json", bad);
	_cleanup_sources_ struct vf_sources *s = web_sources(NULL, "", 2000, 4, NULL, NULL);
	const char *ids[] = { "status500-e", "garbage-e", "web-badfield", "big-e" };
	struct vf_capacity *out[4];
	vf_sources_lookup(s, ids, 4, T0, out);
	assert_url_error(out[0], "HTTP 500");
	assert_url_error(out[3], "report larger than 16777216 bytes");
	_cleanup_free_ char *u1 = url_of(ids[1]), *u2 = url_of(ids[2]);
	_cleanup_free_ char *w1 = xasprintf("%s: JSON: byte 0: ", u1);
	_cleanup_free_ char *w2 = xasprintf("%s: pfs[0].free: ", u2);
	if (!startswith(out[1]->error, w1) || !startswith(out[2]->error, w2))
		fail_msg("got '%s' and '%s'", out[1]->error, out[2]->error);
	for (int i = 0; i < 4; i++)
		vf_capacity_unref(out[i]);
	assert_int_equal(stats(s).http_errors, 4);

	/* nothing listens: the message names the URL and libcurl's reason */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd); /* bound, never listened: refused */
	_cleanup_free_ char *tmpl = xasprintf("http://127.0.0.1:%d/{host_id}", ntohs(a.sin_port));
	struct vf_source_opts o = { .url_template = tmpl, .timeout_ms = 2000, .max_parallel = 1 };
	_cleanup_sources_ struct vf_sources *dead = NULL;
	assert_int_equal(vf_sources_new(&o, &dead, NULL), 0);
	_cleanup_cap_ struct vf_capacity *c = lookup1(dead, "x", T0);
	_cleanup_free_ char *want = xasprintf("http://127.0.0.1:%d/x: ", ntohs(a.sin_port));
	assert_true(startswith(c->error, want));
	assert_contains(c->error, "onnect");
}

static void test_http_timeout(_unused_ void **state)
{
	serve_web1();
	_cleanup_sources_ struct vf_sources *s = web_sources(NULL, "", 300, 4, NULL, NULL);
	const char *ids[] = { "sleep-1", "sleep-2", "web-1" };
	struct vf_capacity *out[3];
	double start = now_s();
	vf_sources_lookup(s, ids, 3, T0, out);
	double took = now_s() - start;
	print_message("  two timeouts of 300 ms in parallel: %.0f ms\n", took * 1e3);
	assert_true(took >= 0.28 && took < 1.5);
	assert_url_error(out[0], "timed out after 300 ms");
	assert_url_error(out[1], "timed out after 300 ms");
	assert_int_equal(out[2]->free, 31);
	for (int i = 0; i < 3; i++)
		vf_capacity_unref(out[i]);
}

struct resolver {
	int calls;
	time_t now;
};

static int resolve(void *ctx, const char *id, time_t now, char **address, char **errmsg)
{
	struct resolver *r = ctx;
	r->calls++;
	r->now = now;
	if (streq(id, "unknown")) {
		*errmsg = xstrdup("engine https://e/api/hosts: no host unknown");
		return -ENOENT;
	}
	if (streq(id, "silent"))
		return -EHOSTUNREACH;
	*address = xstrdup(streq(id, "evil") ? "127.0.0.1/x?" : streq(id, "v6") ? "::1" : "127.0.0.1");
	return 0;
}

static void test_http_address(_unused_ void **state)
{
	struct resolver r = { 0 };
	serve_web1();
	_cleanup_sources_ struct vf_sources *s = web_sources(NULL, "", 2000, 4, resolve, &r);
	const char *ids[] = { "web-1", "unknown", "silent", "evil", "v6" };
	struct vf_capacity *out[5];
	vf_sources_lookup(s, ids, 5, T0, out);
	assert_int_equal(r.calls, 5);
	assert_int_equal(r.now, T0);
	assert_int_equal(out[0]->free, 31);
	assert_string_equal(out[1]->error,
			    "address of host unknown: engine https://e/api/hosts: no host unknown");
	assert_string_equal(out[2]->error, "address of host silent: No route to host");
	assert_string_equal(out[3]->error,
			    "address of host evil: '127.0.0.1/x?' is not a host name or IP address");
	_cleanup_free_ char *v6 = xasprintf("http://[::1]:%d/v6/v1/report: ", server_port);
	assert_true(startswith(out[4]->error, v6)); /* bracketed; nothing listens on ::1 */
	for (int i = 0; i < 5; i++)
		vf_capacity_unref(out[i]);
	assert_int_equal(server_stat("requests"), 1);
}

struct web_churn {
	struct vf_sources *s;
	const char *ids[10];
	unsigned long bad;
};

/* Lookups from several threads, each of them stale (a fetch, mostly 304s); no asserts here. */
static void *web_reader(void *arg)
{
	struct web_churn *w = arg;
	for (int round = 0; round < 20; round++) {
		struct vf_capacity *out[10];
		vf_sources_lookup(w->s, w->ids, 10, T0 + 20 * round, out);
		for (int i = 0; i < 10; i++) {
			if (out[i]->error || out[i]->free != 100 + i)
				__atomic_fetch_add(&w->bad, 1, __ATOMIC_RELAXED);
			vf_capacity_unref(out[i]);
		}
	}
	return NULL;
}

static void test_http_concurrent(_unused_ void **state)
{
	char names[10][16];
	struct web_churn w = { 0 };
	for (int i = 0; i < 10; i++) {
		snprintf(names[i], sizeof(names[i]), "cc-%d", i);
		w.ids[i] = names[i];
		_cleanup_free_ char *f = xasprintf("%s.json", names[i]), *r = report(100 + i);
		put(srvdir, f, r);
	}
	w.s = web_sources(NULL, "", 2000, 4, NULL, NULL);
	pthread_t t[4];
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		assert_int_equal(pthread_create(&t[i], NULL, web_reader, &w), 0);
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		pthread_join(t[i], NULL);
	assert_int_equal(w.bad, 0);
	struct vf_source_stats st = stats(w.s);
	print_message("  4 threads x 20 stale lookups of 10 hosts: %lu requests, %lu not modified\n",
		      st.http_requests, st.http_not_modified);
	/* each round fetches each host once per thread at most; all but the first are 304s */
	assert_true(st.http_requests >= 20 * 10 && st.http_requests <= 4 * 20 * 10);
	assert_true(st.http_not_modified >= st.http_requests - 4 * 10);
	assert_int_equal(server_stat("requests"), (int)st.http_requests);
	vf_sources_free(w.s);
}

/* Both sources: the newer report wins, a report beats an error, two errors are joined. */
static void test_http_and_dir(_unused_ void **state)
{
	_cleanup_free_ char *d = subdir("both");
	_cleanup_free_ char *old1 = report(1), *new1 = small_report(1, "2026-11-18T12:00:00Z");
	_cleanup_free_ char *old2 = report(2), *new2 = small_report(2, "2026-11-18T12:00:00Z");
	put(d, "dir-newer.json", new1);
	put(srvdir, "dir-newer.json", old2);
	put(d, "web-newer.json", old1);
	put(srvdir, "web-newer.json", new2);
	put_plain(d, "dir-broken.json", "{");
	put(srvdir, "dir-broken.json", old2);
	put(d, "status500-dir-ok.json", old1);
	put_plain(d, "status500-dir-broken.json", "{");
	put(srvdir, "web-only.json", old2);
	_cleanup_sources_ struct vf_sources *s = web_sources(d, "", 2000, 4, NULL, NULL);
	const char *ids[] = { "dir-newer", "web-newer", "dir-broken", "status500-dir-ok",
			      "status500-dir-broken", "status500-nowhere", "web-only" };
	struct vf_capacity *out[7];
	vf_sources_lookup(s, ids, 7, T0, out);
	assert_int_equal(out[0]->free, 1);
	assert_int_equal(out[1]->free, 2);
	assert_int_equal(out[2]->free, 2);
	assert_int_equal(out[3]->free, 1);
	_cleanup_free_ char *u4 = url_of(ids[4]);
	_cleanup_free_ char *w4 = xasprintf("%s/%s.json: JSON: byte 1: ", d, ids[4]);
	_cleanup_free_ char *w4b = xasprintf("; %s: HTTP 500", u4);
	if (!startswith(out[4]->error, w4) || !strstr(out[4]->error, w4b))
		fail_msg("got '%s'", out[4]->error);
	assert_url_error(out[5], "HTTP 500");
	assert_int_equal(out[6]->free, 2);
	for (int i = 0; i < 7; i++)
		vf_capacity_unref(out[i]);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	/* libcurl honours these; the tests talk to 127.0.0.1 directly */
	static const char *const proxies[] = { "http_proxy", "HTTP_PROXY", "https_proxy",
					       "HTTPS_PROXY", "all_proxy", "ALL_PROXY" };
	for (size_t i = 0; i < ARRAY_SIZE(proxies); i++)
		unsetenv(proxies[i]);
	if (!mkdtemp(tmpdir))
		return -1;
	srvdir = xasprintf("%s/served", tmpdir);
	return mkdir(srvdir, 0755) == 0 && start_server() == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	stop_server();
	free(srvdir);
	return nftw(tmpdir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_host),      cmocka_unit_test(test_error_and_refs),
		cmocka_unit_test(test_read_goldens),   cmocka_unit_test(test_read_bad),
		cmocka_unit_test(test_dir_new_errors), cmocka_unit_test(test_dir_table),
		cmocka_unit_test(test_dir_inotify),    cmocka_unit_test(test_dir_moved_away),
		cmocka_unit_test(test_dir_periodic),
		cmocka_unit_test(test_dir_concurrent), cmocka_unit_test(test_dir_many),
		cmocka_unit_test(test_http_opts),      cmocka_unit_test(test_http_fetch),
		cmocka_unit_test(test_http_cache),     cmocka_unit_test(test_http_parallel),
		cmocka_unit_test(test_http_errors),    cmocka_unit_test(test_http_timeout),
		cmocka_unit_test(test_http_address),   cmocka_unit_test(test_http_and_dir),
		cmocka_unit_test(test_http_concurrent),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
