/* SPDX-License-Identifier: MIT */
/* filter/source-dir.c and source.c: the directory table (inotify, reuse of unchanged files,
 * concurrent lookups, renames racing scans, 10,000 hosts). Report entries and reading one report
 * file are tested in test_filter_host_entry.c, the HTTP source in test_filter_source_http.c; the
 * helpers they share are in source-helpers.h. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "fixture-dirs.h"
#include "model.h"
#include "source-helpers.h"
#include "source.h"
#include "util.h"

/* ---- files ---- */

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

static bool has_free(const struct vf_host_entry *c, int free)
{
	return !c->error && c->free == free;
}

static bool generated_at(const struct vf_host_entry *c, int t)
{
	return !c->error && c->generated_at == t;
}

static bool is_missing(const struct vf_host_entry *c, int unused)
{
	return c->error && strstr(c->error, "no report for host");
}

/* Look id up until pred holds (the thread rescans on inotify events): its entry, or NULL when
 * HANG_S went by without it (*last: what the last lookup said). No cmocka assert: a test with
 * threads running calls it. */
static struct vf_host_entry *seen(struct vf_sources *s, const char *id,
				  bool (*pred)(const struct vf_host_entry *c, int arg), int arg, char *last,
				  size_t size)
{
	double start = now_s();
	for (;;) {
		struct vf_host_entry *c = NULL;
		vf_sources_lookup(s, &id, 1, 0, &c);
		if (c && pred(c, arg))
			return c;
		if (now_s() - start > HANG_S) {
			snprintf(last, size, "%s: still '%s' (free %d) after %.0f s", id,
				 !c ? "(null)" : c->error ? c->error : "", c ? c->free : 0, HANG_S);
			vf_entry_unref(c);
			return NULL;
		}
		vf_entry_unref(c);
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* The same, failing the test when it does not come; says how long it took (information). */
static struct vf_host_entry *wait_for(struct vf_sources *s, const char *id,
				      bool (*pred)(const struct vf_host_entry *c, int arg), int arg)
{
	char why[200];
	double start = now_s();
	struct vf_host_entry *c = seen(s, id, pred, arg, why, sizeof(why));
	if (!c)
		fail_msg("%s", why);
	assert_string_equal(c->host_id, id);
	print_message("  %s seen after %.0f ms\n", id, (now_s() - start) * 1e3);
	return c;
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
		_cleanup_cap_ struct vf_host_entry *c = lookup1(s, id, 0);
		assert_null(c->error);
		assert_int_equal(c->free, 10 + i);
		assert_int_equal(c->generated_at, 1795000000); /* 2026-11-18T11:06:40Z */
	}
	_cleanup_cap_ struct vf_host_entry *in = lookup1(s, "intel", 0);
	assert_int_equal(in->n_pfs, 2);
	assert_int_equal(in->pfs[0].free, 54);
	_cleanup_cap_ struct vf_host_entry *b = lookup1(s, "broken", 0);
	_cleanup_free_ char *want = xasprintf("%s/broken.json: JSON: byte ", d);
	assert_true(startswith(b->error, want));
	const char *none[] = { ".host-9", "host-9", "host 9", "README", id65 };
	_cleanup_cap_ struct vf_host_entry *c64 = lookup1(s, id64, 0);
	assert_int_equal(c64->free, in->free);
	for (size_t i = 0; i < ARRAY_SIZE(none); i++) {
		_cleanup_cap_ struct vf_host_entry *c = lookup1(s, none[i], 0);
		_cleanup_free_ char *msg = xasprintf("no report for host %s in %s", none[i], d);
		assert_string_equal(c->error, msg);
	}
	/* many at once, in order, duplicates allowed */
	const char *ids[] = { "host-4", "nope", "host-0", "host-4" };
	struct vf_host_entry *out[4];
	vf_sources_lookup(s, ids, 4, 0, out);
	assert_int_equal(out[0]->free, 14);
	assert_non_null(out[1]->error);
	assert_int_equal(out[2]->free, 10);
	assert_ptr_equal(out[0], out[3]);
	for (int i = 0; i < 4; i++)
		vf_entry_unref(out[i]);
}

static void *free_in_thread(void *s)
{
	vf_sources_free(s);
	return NULL;
}

static void test_dir_inotify(_unused_ void **state)
{
	_cleanup_free_ char *d = subdir("inotify");
	_cleanup_free_ char *r1 = report(1);
	_cleanup_free_ char *r2 = report(2);
	put(d, "a.json", r1);
	put(d, "b.json", r1);
	_cleanup_sources_ struct vf_sources *s = dir_sources(d); /* no periodic scan in 1 h */
	_cleanup_cap_ struct vf_host_entry *a0 = lookup1(s, "a", 0);
	assert_int_equal(a0->free, 1);
	unsigned long read0 = stats(s).files_read;

	put(d, "c.json", r2); /* a new file */
	vf_entry_unref(wait_for(s, "c", has_free, 2));
	put(d, "b.json", r2); /* a changed file */
	vf_entry_unref(wait_for(s, "b", has_free, 2));
	rm(d, "c.json"); /* a deleted file */
	vf_entry_unref(wait_for(s, "c", is_missing, 0));
	put_plain(d, "d.json", r2); /* written in place: IN_CLOSE_WRITE */
	vf_entry_unref(wait_for(s, "d", has_free, 2));

	/* a was never re-read: the same entry, and one read per change only */
	_cleanup_cap_ struct vf_host_entry *a1 = lookup1(s, "a", 0);
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
	_cleanup_cap_ struct vf_host_entry *a2 = wait_for(s, "a", generated_at, (int)a0->generated_at + 1);
	assert_true(a2 != a0);
	assert_int_equal(a2->free, 1);
	assert_int_equal(a0->free, 1); /* the old entry is intact while held */

	/* the thread wakes at once, not at its next scan in an hour (HANG_S tells the two apart) */
	double start = now_s();
	if (!returns(free_in_thread, TAKE_PTR(s)))
		fail_msg("vf_sources_free has not returned after %.0f s", HANG_S);
	print_message("  vf_sources_free took %.2f ms\n", (now_s() - start) * 1e3);
}

static void test_dir_moved_away(_unused_ void **state)
{
	_cleanup_free_ char *d = subdir("moved"), *away = xasprintf("%s/moved-away", tmpdir);
	_cleanup_free_ char *r = report(5);
	put(d, "m.json", r);
	_cleanup_sources_ struct vf_sources *s = dir_sources(d);
	assert_int_equal(rename(d, away), 0);
	vf_entry_unref(wait_for(s, "m", is_missing, 0)); /* the directory is gone: no reports */
	assert_true(stats(s).scan_errors >= 1);
	assert_int_equal(rename(away, d), 0);
	vf_sources_rescan(s); /* nothing watches the path now: the next scan does */
	_cleanup_cap_ struct vf_host_entry *c = lookup1(s, "m", 0);
	assert_int_equal(c->free, 5);
	put(d, "n.json", r); /* and watches it again */
	vf_entry_unref(wait_for(s, "n", has_free, 5));
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
	vf_entry_unref(wait_for(s, "p", has_free, 2));
	assert_true(stats(s).full_scans >= 2);
}

/* ---- lookups while the directory changes ---- */

#define CHURN_HOSTS 16
#define CHURN_READERS 8
#define CHURN_CHANGES 60

struct churn {
	struct vf_sources *s;
	const char *ids[CHURN_HOSTS];
	int stop;
	unsigned long lookups[CHURN_READERS], bad; /* __atomic */
};

struct churn_reader {
	struct churn *ch;
	int k;
};

/* No cmocka asserts here (they longjmp): count what is wrong, the main thread asserts. */
static void *churn_reader(void *arg)
{
	struct churn *ch = ((struct churn_reader *)arg)->ch;
	unsigned long *mine = &ch->lookups[((struct churn_reader *)arg)->k];
	struct vf_host_entry *out[CHURN_HOSTS];
	while (!__atomic_load_n(&ch->stop, __ATOMIC_ACQUIRE)) {
		vf_sources_lookup(ch->s, ch->ids, CHURN_HOSTS, 0, out);
		for (size_t i = 0; i < CHURN_HOSTS; i++) {
			struct vf_host_entry *c = out[i];
			bool ok = c && streq(c->host_id, ch->ids[i]) &&
				  (c->error ? strstr(c->error, "no report for host") != NULL
					    : c->free == 10 || c->free == 20);
			if (!ok)
				__atomic_fetch_add(&ch->bad, 1, __ATOMIC_RELAXED);
			vf_entry_unref(c);
		}
		__atomic_fetch_add(mine, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Until every reader has made a whole lookup since now (two more counted: the one under way
 * may have begun before); false when that took HANG_S (a hang, not a slow machine). */
static bool readers_looked(struct churn *ch, double *waited)
{
	unsigned long from[CHURN_READERS];
	for (int k = 0; k < CHURN_READERS; k++)
		from[k] = __atomic_load_n(&ch->lookups[k], __ATOMIC_ACQUIRE);
	double start = now_s();
	for (int k = 0; k < CHURN_READERS; k++) {
		while (__atomic_load_n(&ch->lookups[k], __ATOMIC_ACQUIRE) < from[k] + 2) {
			if (now_s() - start > HANG_S)
				return false;
			sched_yield();
		}
	}
	*waited += now_s() - start;
	return true;
}

static bool churn_free(const struct vf_host_entry *c, int free)
{
	return free ? has_free(c, free) : is_missing(c, 0);
}

/* Lookups from 8 threads while the directory changes and the tables they read are swapped:
 * every entry a lookup returns is whole (one of the two reports, or "no report"), and at the
 * end each host's last change is seen. A fixed number of changes, each one after every reader
 * made a whole lookup since the one before, so the two interleave however slow the machine
 * (valgrind runs one thread at a time); how many lookups fit in between is only reported. */
static void test_dir_concurrent(_unused_ void **state)
{
	_cleanup_free_ char *d = subdir("churn");
	_cleanup_free_ char *r10 = report(10);
	_cleanup_free_ char *r20 = report(20);
	struct churn ch = { 0 };
	char names[CHURN_HOSTS][16];
	int want[CHURN_HOSTS]; /* each host's free VFs after the last change; 0: no file */
	for (int i = 0; i < CHURN_HOSTS; i++) {
		snprintf(names[i], sizeof(names[i]), "h%d", i);
		ch.ids[i] = names[i];
		_cleanup_free_ char *f = xasprintf("h%d.json", i);
		put(d, f, r10);
		want[i] = 10;
	}
	ch.s = dir_sources(d);
	pthread_t t[CHURN_READERS];
	struct churn_reader rd[CHURN_READERS];
	for (int k = 0; k < CHURN_READERS; k++) {
		rd[k] = (struct churn_reader){ &ch, k };
		assert_int_equal(pthread_create(&t[k], NULL, churn_reader, &rd[k]), 0);
	}
	unsigned seed = 1;
	int changes = 0, rescans = 0;
	double start = now_s(), waited = 0;
	char why[200] = "";
	while (changes < CHURN_CHANGES) {
		if (!readers_looked(&ch, &waited)) {
			snprintf(why, sizeof(why), "a reader made no lookup in %.0f s (change %d)",
				 HANG_S, changes);
			break;
		}
		int i = rand_r(&seed) % CHURN_HOSTS, op = rand_r(&seed) % 4;
		_cleanup_free_ char *f = xasprintf("h%d.json", i), *p = xasprintf("%s/%s", d, f);
		if (op == 0) {
			if (unlink(p) < 0 && errno != ENOENT)
				snprintf(why, sizeof(why), "unlink %s: %m", p);
			want[i] = 0;
		} else if (op == 3) {
			vf_sources_rescan(ch.s);
			rescans++;
		} else {
			put(d, f, op == 1 ? r10 : r20);
			want[i] = op == 1 ? 10 : 20;
		}
		changes++;
	}
	double churned = now_s();
	/* each host's last change comes, while the readers still read */
	for (int i = 0; i < CHURN_HOSTS && !why[0]; i++) {
		struct vf_host_entry *c = seen(ch.s, ch.ids[i], churn_free, want[i], why, sizeof(why));
		vf_entry_unref(c);
	}
	__atomic_store_n(&ch.stop, 1, __ATOMIC_RELEASE);
	unsigned long lookups = 0, fewest = ULONG_MAX;
	for (int k = 0; k < CHURN_READERS; k++) {
		pthread_join(t[k], NULL);
		lookups += ch.lookups[k];
		fewest = ch.lookups[k] < fewest ? ch.lookups[k] : fewest;
	}
	struct vf_source_stats st = stats(ch.s);
	print_message("  %lu lookups of %d hosts in %d threads (the fewest %lu) during %d changes "
		      "(%d of them rescans) in %.0f ms (%.0f ms waiting for the readers), last "
		      "changes seen %.0f ms later; %lu scans\n",
		      lookups, CHURN_HOSTS, CHURN_READERS, fewest, changes, rescans,
		      (churned - start) * 1e3, waited * 1e3, (now_s() - churned) * 1e3, st.scans);
	vf_sources_free(ch.s);
	if (why[0])
		fail_msg("%s", why);
	assert_int_equal(ch.bad, 0);
	assert_int_equal(changes, CHURN_CHANGES);
	assert_true(fewest >= 2 * CHURN_CHANGES); /* each reader: a whole lookup between changes */
	assert_true(st.scans >= 1 + (unsigned long)rescans); /* the first, and each rescan */
}

/* ---- renames racing full scans ---- */

#define RACE_HOSTS 1000
#define RACE_BURST 50

static char race_ids[RACE_HOSTS][16];
static const char *race_idp[RACE_HOSTS];

struct rescanner {
	struct vf_sources *s;
	int stop;
	unsigned long rescans;
};

static void *rescan_loop(void *arg)
{
	struct rescanner *r = arg;
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		vf_sources_rescan(r->s);
		r->rescans++;
	}
	return NULL;
}

/* One lookup of every host, after hosts [0, from) went to gen + 1 and while [from, to) do: they
 * are a prefix of the burst new and the rest old, or *bad says what is not. Whether host to - 1
 * is new (and so the whole burst). */
static bool race_check(struct vf_sources *s, int gen, int from, int to, char *bad, size_t size)
{
	const char *const *ids = race_idp;
	static struct vf_host_entry *out[RACE_HOSTS];
	vf_sources_lookup(s, ids, RACE_HOSTS, 0, out);
	bool last = !out[to - 1]->error && out[to - 1]->free == gen + 1;
	int want = gen + 1; /* up to the burst's first old one */
	for (int i = 0; i < RACE_HOSTS; i++) {
		if ((i >= from && i < to && want > gen && out[i]->free == gen) || i == to)
			want = gen;
		if (!bad[0] && (out[i]->error || out[i]->free != want))
			snprintf(bad, size, "%s: %s %d, want %d (%s: %d)", ids[i],
				 out[i]->error ? out[i]->error : "", out[i]->free, want,
				 ids[to - 1], out[to - 1]->free);
		vf_entry_unref(out[i]);
	}
	return last;
}

/* Hosts rewritten one after the other in bursts (as test_dir_many's 2,000), while full scans
 * run back to back: readdir's order is not the renames' order, so a full scan may see a file
 * renamed late in a burst new and one renamed earlier still old. Whatever table a lookup sees,
 * a rewrite in it has every rewrite before it in it too: the new hosts are a prefix of the
 * burst, and once its last one is new, all are. */
static void test_dir_renames_during_scans(_unused_ void **state)
{
	_cleanup_free_ char *d = subdir("race");
	char (*ids)[16] = race_ids;
	for (int i = 0; i < RACE_HOSTS; i++) {
		snprintf(ids[i], sizeof(ids[i]), "r%d", i);
		race_idp[i] = ids[i];
		_cleanup_free_ char *f = xasprintf("%s.json", ids[i]);
		_cleanup_free_ char *text = report(1);
		put_plain(d, f, text);
	}
	struct rescanner r = { .s = dir_sources(d) };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, rescan_loop, &r), 0);
	char bad[200] = "";
	int bursts = 0;
	for (int gen = 1; gen <= 2 && !bad[0]; gen++) {
		for (int from = 0; from < RACE_HOSTS && !bad[0]; from += RACE_BURST, bursts++) {
			int to = from + RACE_BURST; /* hosts [from, to) go from gen to gen + 1 */
			_cleanup_free_ char *text = report(gen + 1);
			for (int i = from; i < to; i++) {
				_cleanup_free_ char *f = xasprintf(".%s.json.tmp", ids[i]);
				put_plain(d, f, text);
			}
			for (int i = from; i < to; i++) {
				_cleanup_free_ char *a = xasprintf("%s/.%s.json.tmp", d, ids[i]);
				_cleanup_free_ char *b = xasprintf("%s/%s.json", d, ids[i]);
				assert_int_equal(rename(a, b), 0);
			}
			double start = now_s();
			while (!race_check(r.s, gen, from, to, bad, sizeof(bad)) && !bad[0]) {
				if (now_s() - start > HANG_S)
					snprintf(bad, sizeof(bad), "%s not seen after %.0f s", ids[to - 1],
						 HANG_S);
				struct timespec ts = { 0, 100 * 1000 };
				nanosleep(&ts, NULL);
			}
		}
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	struct vf_source_stats st = stats(r.s);
	print_message("  %d bursts of %d renames, %lu rescans, %lu scans\n", bursts, RACE_BURST,
		      r.rescans, st.scans);
	vf_sources_free(r.s);
	if (bad[0])
		fail_msg("burst %d: %s", bursts, bad);
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
	static struct vf_host_entry *out[MANY];
	double best1k = 1e9, best10k = 1e9;
	for (int round = 0; round < 5; round++) {
		double a = now_s();
		vf_sources_lookup(s, idp + 1000 * round, 1000, 0, out);
		double b = now_s();
		for (int i = 0; i < 1000; i++)
			vf_entry_unref(out[i]);
		double c = now_s();
		vf_sources_lookup(s, idp, MANY, 0, out);
		double e = now_s();
		best1k = b - a < best1k ? b - a : best1k;
		best10k = e - c < best10k ? e - c : best10k;
		for (int i = 0; i < MANY; i++) {
			if (out[i]->error || out[i]->free != i % 1000)
				fail_msg("%s: %s %d", ids[i], out[i]->error, out[i]->free);
			vf_entry_unref(out[i]);
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
	vf_entry_unref(wait_for(s, ids[0], has_free, 7777));
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
	vf_entry_unref(wait_for(s, ids[1999], has_free, 1000));
	print_message("  2,000 renamed and seen in %.0f ms: %lu scans, %lu full\n",
		      (now_s() - t5) * 1e3, stats(s).scans, stats(s).full_scans);
	vf_sources_lookup(s, idp, MANY, 0, out);
	for (int i = 0; i < MANY; i++) {
		if (out[i]->free != i % 1000 + (i < 2000))
			fail_msg("%s: %s %d", ids[i], out[i]->error, out[i]->free);
		vf_entry_unref(out[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dir_new_errors), cmocka_unit_test(test_dir_table),
		cmocka_unit_test(test_dir_inotify),    cmocka_unit_test(test_dir_moved_away),
		cmocka_unit_test(test_dir_periodic),
		cmocka_unit_test(test_dir_concurrent),
		cmocka_unit_test(test_dir_renames_during_scans), cmocka_unit_test(test_dir_many),
	};
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
