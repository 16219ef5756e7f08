/* SPDX-License-Identifier: MIT */
/* filter/host-entry.c: a host's report entry made from a parsed report or an error, reference
 * counting, and reading one report file (every golden report, then truncated, mistyped, symlinked,
 * FIFO, directory, missing, oversized and unreadable files). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
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

static void test_from_host(_unused_ void **state)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	h->generated_at = 1763464000;
	h->totals.free = 7;
	struct vf_pf *a = vf_host_add_pf(h, "ens1f0");
	a->physical_network = xstrdup("physnet1");
	a->fabric = xstrdup("A");
	a->free = 7;
	a->numa_node = 1;
	struct vf_pf *b = vf_host_add_pf(h, "ens1f1");
	b->free = UNKNOWN;
	_cleanup_cap_ struct vf_host_entry *c = vf_entry_from_host(h, "host-1");
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
	assert_int_equal(c->pfs[0].numa_node, 1);
	assert_int_equal(c->pfs[1].numa_node, -1); /* a PF that did not say */

	h->totals.free = UNKNOWN; /* libvirt was down: stays unknown, never 0 or free */
	_cleanup_cap_ struct vf_host_entry *u = vf_entry_from_host(h, "host-1");
	assert_int_equal(u->free, UNKNOWN);
}

static void test_error_and_refs(_unused_ void **state)
{
	struct vf_host_entry *c = vf_entry_error("h", "a %s\nb\r%d", "x", 3);
	assert_string_equal(c->error, "a x b 3");
	assert_int_equal(c->free, UNKNOWN);
	assert_int_equal(c->n_pfs, 0);
	assert_ptr_equal(vf_entry_ref(c), c);
	assert_int_equal(c->refs, 2);
	vf_entry_unref(c);
	assert_int_equal(c->refs, 1);
	vf_entry_unref(c); /* frees: valgrind and ASan see to it */
	vf_entry_unref(NULL);
	assert_null(vf_entry_ref(NULL));
}

/* ---- one file ---- */

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
	_cleanup_cap_ struct vf_host_entry *c = vf_entry_read_file(AT_FDCWD, path, name);
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
		assert_true(json_object_object_get_ex(pf, "numa_node", &n));
		assert_int_equal(c->pfs[i].numa_node, json_object_get_int(n));
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
	_cleanup_cap_ struct vf_host_entry *i = vf_entry_read_file(AT_FDCWD, INTEL64, "i");
	assert_int_equal(i->free, 54 + i->pfs[1].free);
	assert_string_equal(i->pfs[0].physical_network, "physnet1");
	assert_int_equal(i->pfs[0].free, 54);
	_cleanup_cap_ struct vf_host_entry *d =
		vf_entry_read_file(AT_FDCWD, "tests/fixtures/variants/intel64-libvirt-down/expected.json", "d");
	assert_null(d->error);
	assert_int_equal(d->free, UNKNOWN);
}

struct read_call {
	const char *path;
	struct vf_host_entry *c;
};

static void *read_in_thread(void *arg)
{
	struct read_call *r = arg;
	r->c = vf_entry_read_file(AT_FDCWD, r->path, "h");
	return NULL;
}

/* Reading dir/name gives an error entry whose message is "dir/name: ...want...". */
static void read_fails(const char *dir, const char *name, const char *want)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	_cleanup_free_ char *prefix = xasprintf("%s: ", path);
	struct read_call *r = xcalloc(1, sizeof(*r)); /* left to the thread if it never returns */
	r->path = path;
	if (!returns(read_in_thread, r)) /* a FIFO must not block: it has no writer */
		fail_msg("reading %s has not returned after %.0f s", path, HANG_S);
	_cleanup_cap_ struct vf_host_entry *c = r->c;
	free(r);
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
	_cleanup_cap_ struct vf_host_entry *c = vf_entry_read_file(dfd, "cut.json", "h");
	assert_true(startswith(c->error, "cut.json: JSON: byte "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_host),    cmocka_unit_test(test_error_and_refs),
		cmocka_unit_test(test_read_goldens), cmocka_unit_test(test_read_bad),
	};
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
