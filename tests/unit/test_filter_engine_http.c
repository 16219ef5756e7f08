/* SPDX-License-Identifier: MIT */
/* filter/engine.c's client against tests/filter/engine-server.py on 127.0.0.1: VM demand and
 * its cache, auth, HTTP errors, bad answers, timeouts, hostile ids, host addresses, threads,
 * and HTTPS with certificate checks. The XML readers are tested in test_filter_engine.c.
 * Run from the repository root. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine-fixtures.h"
#include "engine-server.h"
#include "engine.h"
#include "util.h"

#define MANY_HOSTS_N "6000"

/* Misbehaving paths, set up on the server's command line. */
#define VM_500 "b0000000-0000-4000-8000-000000000500"
#define VM_SLOW "b0000000-0000-4000-8000-0000000000a1"
#define VM_REDIRECT "b0000000-0000-4000-8000-000000000302"
#define VM_BIG "b0000000-0000-4000-8000-0000000000b1"
#define MANY_VMS "c0ffee00-" /* any such VM has VM2's nics */

#define USER "admin@internal"
#define PASSWORD "s3cret pass:word"
#define T0 ((time_t)1700000000)
/* The timeout of requests no test means to time out: a hang bound, not a speed limit (the
 * 31 MB host list took 33 s under valgrind with both cores busy, where the bound was 20 s). */
#define FETCH_MS 300000

/* ---- the HTTP client against engine-server.py ---- */

struct server {
	struct engine_server e;
	char *url; /* http://127.0.0.1:PORT/ovirt-engine/api */
};

static struct server srv; /* plain HTTP, for most tests */
static struct server tls; /* HTTPS */

#define NICS(vm) "/vms/" vm "/nics"              /* under the API root */
#define NICS_PATH(vm) "/ovirt-engine/api" NICS(vm) /* as the server sees it */
#define TLS_DIR "tests/fixtures/engine/tls"

/* Start engine-server.py with the common arguments and extra (NULL-terminated). */
static int server_start(struct server *s, const char *scheme, const char *const *extra)
{
	if (engine_server_start(&s->e, USER, PASSWORD, extra) < 0)
		return -1;
	s->url = xasprintf("%s://127.0.0.1:%d/ovirt-engine/api", scheme, s->e.port);
	return 0;
}

static void server_stop(struct server *s)
{
	engine_server_stop(&s->e);
	free(s->url);
	s->url = NULL;
}

/* Loopback only: no proxy from the environment. */
static void no_proxy(void)
{
	const char *proxies[] = { "http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY" };
	for (size_t i = 0; i < ARRAY_SIZE(proxies); i++)
		unsetenv(proxies[i]);
}

static int start_server(void **state)
{
	no_proxy();
	const char *extra[] = { "--status", NICS_PATH(VM_500) "=500",
				"--status", "/down/hosts=503",
				"--sleep", NICS_PATH(VM_SLOW) "=3",
				"--redirect", NICS_PATH(VM_REDIRECT) "=file:///etc/passwd",
				"--big", NICS_PATH(VM_BIG) "=17000000",
				"--big", "/garbage/hosts=17000000",
				"--many-hosts", "/many/hosts=" MANY_HOSTS_N,
				"--many-vms", MANY_VMS "=" FIXTURES "/vms/" VM2 "/nics", NULL };
	return server_start(&srv, "http", extra);
}

static int stop_server(void **state)
{
	server_stop(&srv);
	return 0;
}

static int start_tls_server(void **state)
{
	no_proxy();
	const char *extra[] = { "--tls", TLS_DIR "/engine.crt," TLS_DIR "/engine.key", NULL };
	return server_start(&tls, "https", extra);
}

static int stop_tls_server(void **state)
{
	server_stop(&tls);
	return 0;
}

/* How many requests the server s has seen for path (NULL: any path). */
static size_t requests_at(const struct server *s, const char *path)
{
	_cleanup_free_ char *log = NULL;
	size_t len = 0;
	assert_int_equal(read_full_file(s->e.log, &log, &len, 1 << 24), 0);
	size_t n = 0;
	for (char *line = log, *end; *line; line = end + 1) {
		end = strchr(line, '\n');
		assert_non_null(end);
		*end = '\0';
		n += !path || streq(line, path);
	}
	return n;
}

static size_t requests(const char *path)
{
	return requests_at(&srv, path);
}

static struct vf_engine *engine_ca(const char *url, const char *ca_file, const char *password,
				    int timeout_ms, int ttl)
{
	struct vf_engine_opts o = { .url = url, .ca_file = ca_file, .user = password ? USER : NULL,
				    .password = password, .timeout_ms = timeout_ms, .cache_ttl = ttl };
	struct vf_engine *e = NULL;
	_cleanup_free_ char *err = NULL;
	int r = vf_engine_new(&o, &e, &err);
	if (r < 0)
		fail_msg("vf_engine_new: %d %s", r, err);
	return e;
}

static struct vf_engine *engine_at(const char *url, const char *password, int timeout_ms, int ttl)
{
	return engine_ca(url, NULL, password, timeout_ms, ttl);
}

static struct vf_engine *engine(int ttl)
{
	return engine_at(srv.url, PASSWORD, FETCH_MS, ttl);
}

static int demand(struct vf_engine *e, const char *vm, time_t now)
{
	int d = -1;
	_cleanup_free_ char *err = NULL;
	int r = vf_engine_vm_demand(e, vm, now, &d, &err);
	if (r < 0)
		fail_msg("%s: %d %s", vm, r, err);
	return d;
}

/* The call fails with r and the message "engine URL/PATH: what" (path under the API root;
 * what ending in '*': a prefix), and has made `made` requests. */
static void demand_fails(struct vf_engine *e, const char *vm, int r, const char *path,
			 const char *what, size_t made)
{
	size_t before = requests(NULL);
	_cleanup_free_ char *err = NULL;
	_cleanup_free_ char *want = xasprintf("engine %s%s: %s", srv.url, path, what);
	int d = -7;
	assert_int_equal(vf_engine_vm_demand(e, vm, T0, &d, &err), r);
	assert_int_equal(d, -7);
	assert_non_null(err);
	size_t n = strlen(want);
	bool ok = want[n - 1] == '*' ? strncmp(err, want, n - 1) == 0 : streq(err, want);
	if (!ok || strchr(err, '\n'))
		fail_msg("got '%s', want '%s'", err, want);
	assert_int_equal(requests(NULL) - before, made);
}

static void test_demand(void **state)
{
	struct vf_engine *e = engine(60);
	size_t before = requests(NULL);
	assert_int_equal(demand(e, VM1, T0), 3);
	/* the nics, and each distinct profile of a plugged vNIC once */
	assert_int_equal(requests(NULL) - before, 4);
	assert_int_equal(requests(NICS_PATH(VM1)), 1);
	assert_int_equal(requests("/ovirt-engine/api/vnicprofiles/" PT), 1);
	assert_int_equal(requests("/ovirt-engine/api/vnicprofiles/" VMFEX), 1);
	assert_int_equal(requests("/ovirt-engine/api/vnicprofiles/" PLAIN), 1);
	assert_int_equal(requests("/ovirt-engine/api/vnicprofiles/" PT2), 0);

	/* within the ttl: no request at all */
	assert_int_equal(demand(e, VM1, T0 + 59), 3);
	assert_int_equal(requests(NULL) - before, 4);
	/* another VM: its nics only, the profiles are cached */
	assert_int_equal(demand(e, VM2, T0 + 1), 1);
	assert_int_equal(demand(e, VM3, T0 + 1), 0);
	assert_int_equal(requests(NULL) - before, 6);
	assert_int_equal(demand(e, VM3, T0 + 2), 0);
	assert_int_equal(requests(NULL) - before, 6);
	vf_engine_free(e);
}

/* ---- NUMA placement ---- */

static struct vf_vm_placement placement(struct vf_engine *e, const char *vm, time_t now)
{
	struct vf_vm_placement p;
	_cleanup_free_ char *err = NULL;
	int r = vf_engine_vm_placement(e, vm, now, &p, &err);
	if (r < 0)
		fail_msg("%s: %d %s", vm, r, err);
	return p;
}

static uint64_t nodes_on(struct vf_engine *e, const struct vf_vm_placement *p, const char *host, time_t now)
{
	uint64_t nodes = 99;
	_cleanup_free_ char *err = NULL;
	int r = vf_engine_vm_nodes_on(e, p, host, now, &nodes, &err);
	if (r < 0)
		fail_msg("%s: %d %s", host, r, err);
	return nodes;
}

/* err is "engine URL/PATH: what" (what "" : "engine: ..." alone, given whole in path) */
static void engine_error_is(const char *err, const char *path, const char *what)
{
	_cleanup_free_ char *want = *what ? xasprintf("engine %s%s: %s", srv.url, path, what) : xstrdup(path);
	if (!err || !streq(err, want))
		fail_msg("got '%s', want '%s'", err, want);
}

static void placement_fails(struct vf_engine *e, const char *vm, int r, const char *path, const char *what,
			    size_t made)
{
	size_t before = requests(NULL);
	struct vf_vm_placement p;
	_cleanup_free_ char *err = NULL;
	assert_int_equal(vf_engine_vm_placement(e, vm, T0, &p, &err), r);
	engine_error_is(err, path, what);
	assert_int_equal(requests(NULL) - before, made);
}

static void test_placement(void **state)
{
	struct vf_engine *e = engine(60);
	size_t before = requests(NULL);
	struct vf_vm_placement p = placement(e, VM_NODE0, T0);
	assert_int_equal(p.source, VF_PIN_VNUMA);
	assert_true(p.nodes == 1);
	assert_string_equal(p.tune_mode, "strict");
	assert_int_equal(requests(NULL) - before, 1); /* vNUMA pins: the VM itself is not asked for */
	p = placement(e, VM_NODE01, T0);
	assert_true(p.source == VF_PIN_VNUMA && p.nodes == 3);
	p = placement(e, VM_UNPINNED, T0);
	assert_int_equal(p.source, VF_PIN_NONE);
	struct vf_vm_placement vcpu = placement(e, VM_VCPU, T0);
	assert_int_equal(vcpu.source, VF_PIN_VCPU);
	assert_true(vcpu.cpus.bits[0] == 0xf0);
	assert_string_equal(vcpu.tune_mode, "interleave");
	assert_int_equal(requests(NULL) - before, 6);
	assert_int_equal(requests("/ovirt-engine/api/vms/" VM_VCPU), 1);
	/* cached for cache_ttl */
	p = placement(e, VM_NODE0, T0 + 59);
	p = placement(e, VM_VCPU, T0 + 59);
	assert_int_equal(requests(NULL) - before, 6);

	/* vCPU pins become nodes through each host's topology, asked once per host */
	assert_true(nodes_on(e, &vcpu, HOST1, T0) == 2);
	assert_true(nodes_on(e, &vcpu, HOST2, T0) == 1);
	assert_true(nodes_on(e, &vcpu, HOST1, T0 + 1) == 2);
	assert_int_equal(requests(NULL) - before, 8);
	assert_int_equal(requests("/ovirt-engine/api/hosts/" HOST1 "/numanodes"), 1);
	/* vNUMA pins need no topology, nor do unpinned VMs */
	struct vf_vm_placement node0 = placement(e, VM_NODE0, T0);
	assert_true(nodes_on(e, &node0, HOST3, T0) == 1);
	struct vf_vm_placement none = placement(e, VM_UNPINNED, T0);
	assert_true(nodes_on(e, &none, HOST3, T0) == 0);
	assert_int_equal(requests(NULL) - before, 8);
	/* a host the engine has no topology for; a stale entry is asked for again */
	uint64_t nodes = 7;
	_cleanup_free_ char *err = NULL;
	assert_int_equal(vf_engine_vm_nodes_on(e, &vcpu, HOST3, T0, &nodes, &err), -ENOENT);
	engine_error_is(err, "/hosts/" HOST3 "/numanodes", "HTTP 404");
	assert_true(nodes == 7);
	assert_true(nodes_on(e, &vcpu, HOST1, T0 + 60) == 2);
	assert_int_equal(requests("/ovirt-engine/api/hosts/" HOST1 "/numanodes"), 2);
	_cleanup_free_ char *bad = NULL;
	assert_int_equal(vf_engine_vm_nodes_on(e, &vcpu, "../hosts", T0, &nodes, &bad), -EINVAL);
	engine_error_is(bad, "engine: invalid host id", "");
	vf_engine_free(e);
}

static void test_placement_errors(void **state)
{
	struct vf_engine *e = engine(60);
	placement_fails(e, VM_BAD_PIN, -EINVAL, "/vms/" VM_BAD_PIN "/numanodes",
			"line 18: <index> '64' is not a NUMA node 0..63", 1);
	placement_fails(e, VM_BAD_PIN, -EINVAL, "/vms/" VM_BAD_PIN "/numanodes",
			"line 18: <index> '64' is not a NUMA node 0..63", 1); /* failures are not cached */
	placement_fails(e, VM_BAD_CPUS, -EINVAL, "/vms/" VM_BAD_CPUS,
			"line 16: <cpu_set> '4-x' is not a CPU list of 0..4095", 2);
	placement_fails(e, VM_UNKNOWN, -ENOENT, "/vms/" VM_UNKNOWN "/numanodes", "HTTP 404", 1);
	placement_fails(e, "../../hosts", -EINVAL, "engine: invalid VM id", "", 0);
	vf_engine_free(e);
	e = engine_at(srv.url, "wrong", FETCH_MS, 60);
	placement_fails(e, VM_NODE0, -EACCES, "/vms/" VM_NODE0 "/numanodes", "HTTP 401", 1);
	vf_engine_free(e);
}

static void test_demand_expiry(void **state)
{
	struct vf_engine *e = engine(10);
	size_t before = requests(NULL);
	assert_int_equal(demand(e, VM1, T0), 3);
	assert_int_equal(demand(e, VM1, T0 + 9), 3);
	assert_int_equal(requests(NULL) - before, 4);
	assert_int_equal(demand(e, VM1, T0 + 10), 3); /* all of it stale */
	assert_int_equal(requests(NULL) - before, 8);
	assert_int_equal(demand(e, VM1, T0 - 5), 3); /* the clock went back: stale too */
	assert_int_equal(requests(NULL) - before, 12);
	vf_engine_free(e);

	/* no cache: every call asks, but a profile two vNICs share only once per call */
	e = engine(0);
	before = requests(NULL);
	size_t pt = requests("/ovirt-engine/api/vnicprofiles/" PT);
	assert_int_equal(demand(e, VM1, T0), 3);
	assert_int_equal(demand(e, VM1, T0), 3);
	assert_int_equal(requests(NULL) - before, 8);
	assert_int_equal(requests("/ovirt-engine/api/vnicprofiles/" PT) - pt, 2);
	vf_engine_free(e);
}

/* Many VMs: each asked once, then all answered from the cache (the table has grown). */
static void test_many_vms(void **state)
{
	struct vf_engine *e = engine(60);
	size_t before = requests(NULL);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 300; i++) {
			char vm[40];
			snprintf(vm, sizeof(vm), MANY_VMS "0000-4000-8000-%012d", i);
			assert_int_equal(demand(e, vm, T0 + round), 1);
		}
	assert_int_equal(requests(NULL) - before, 300 + 2);
	vf_engine_free(e);
}

/* A full cache drops stale entries; when none is stale, a new answer is not kept. */
static void test_cache_bound(void **state)
{
	struct vf_engine_opts o = { .url = srv.url, .user = USER, .password = PASSWORD,
				    .timeout_ms = FETCH_MS, .cache_ttl = 60, .cache_max = 2 };
	struct vf_engine *e = NULL;
	assert_int_equal(vf_engine_new(&o, &e, NULL), 0);
	size_t before = requests(NULL);
	assert_int_equal(demand(e, VM1, T0), 3); /* nics, PT, VMFEX, PLAIN (not kept) */
	assert_int_equal(requests(NULL) - before, 4);
	assert_int_equal(demand(e, VM2, T0), 1); /* nics, PLAIN again */
	assert_int_equal(requests(NULL) - before, 6);
	assert_int_equal(demand(e, VM3, T0), 0); /* VM1 and VM2 are kept, VM3 not */
	assert_int_equal(demand(e, VM3, T0), 0);
	assert_int_equal(demand(e, VM1, T0 + 1), 3);
	assert_int_equal(requests(NULL) - before, 8);
	assert_int_equal(demand(e, VM3, T0 + 60), 0); /* VM1 and VM2 are stale: dropped */
	assert_int_equal(demand(e, VM3, T0 + 61), 0);
	assert_int_equal(requests(NULL) - before, 9);
	vf_engine_free(e);
}

static void test_demand_auth(void **state)
{
	struct vf_engine *e = engine_at(srv.url, "wrong", FETCH_MS, 60);
	demand_fails(e, VM1, -EACCES, NICS(VM1), "HTTP 401", 1);
	vf_engine_free(e);
	e = engine_at(srv.url, NULL, FETCH_MS, 60); /* no credentials at all */
	demand_fails(e, VM1, -EACCES, NICS(VM1), "HTTP 401", 1);
	vf_engine_free(e);
}

static void test_demand_http_errors(void **state)
{
	struct vf_engine *e = engine(60);
	demand_fails(e, VM_500, -EIO, NICS(VM_500), "HTTP 500", 1);
	demand_fails(e, VM_500, -EIO, NICS(VM_500), "HTTP 500", 1); /* failures are not cached */
	demand_fails(e, VM_UNKNOWN, -ENOENT, NICS(VM_UNKNOWN), "HTTP 404", 1);
	demand_fails(e, VM_GONE_PROFILE, -ENOENT, "/vnicprofiles/" GONE, "HTTP 404", 2);
	/* a redirect is an error, never followed (here to file://) */
	demand_fails(e, VM_REDIRECT, -EIO, NICS(VM_REDIRECT), "HTTP 302", 1);
	vf_engine_free(e);
}

static void test_demand_bad_answers(void **state)
{
	struct vf_engine *e = engine(60);
	demand_fails(e, VM_GARBAGE, -EINVAL, NICS(VM_GARBAGE),
		     "line 1: Start tag expected, '<' not found", 1);
	demand_fails(e, VM_BIG, -EFBIG, NICS(VM_BIG), "answer larger than 16777216 bytes", 1);
	vf_engine_free(e);
}

static long elapsed_ms(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static void test_demand_timeout(void **state)
{
	struct vf_engine *e = engine_at(srv.url, PASSWORD, 300, 60);
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	demand_fails(e, VM_SLOW, -ETIMEDOUT, NICS(VM_SLOW), "timed out after 300 ms", 1);
	long ms = elapsed_ms(&t);
	print_message("  a timeout of 300 ms: %ld ms\n", ms);
	/* Not before the timeout; that the timeout ended it, not the server's answer 3 s later,
	 * the error says (an upper bound on the time would only measure the machine). */
	if (ms < 250)
		fail_msg("timed out after %ld ms, want 300 or more", ms);
	/* the handle that timed out is reused, and works */
	assert_int_equal(demand(e, VM3, T0), 0);
	vf_engine_free(e);
}

static void test_connect_refused(void **state)
{
	/* port 1 on loopback: nothing listens there */
	struct vf_engine *e = engine_at("http://127.0.0.1:1/ovirt-engine/api/", PASSWORD, FETCH_MS, 60);
	_cleanup_free_ char *err = NULL;
	int d = -1;
	assert_int_equal(vf_engine_vm_demand(e, VM1, T0, &d, &err), -EIO);
	const char *want = "engine http://127.0.0.1:1/ovirt-engine/api/vms/" VM1 "/nics: Couldn't connect to server";
	if (!startswith(err, want) || strchr(err, '\n'))
		fail_msg("got '%s'", err);
	vf_engine_free(e);
}

static void test_hostile_ids(void **state)
{
	struct vf_engine *e = engine(60);
	size_t before = requests(NULL);
	const char *bad[] = { "../x", "a?b", "a/b", "", "..", "%2e%2e", "a#b", VM1 "/../../hosts", NULL };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_free_ char *err = NULL;
		_cleanup_free_ char *address = NULL;
		int d = -7;
		assert_int_equal(vf_engine_vm_demand(e, bad[i], T0, &d, &err), -EINVAL);
		assert_string_equal(err, "engine: invalid VM id");
		assert_int_equal(d, -7);
		assert_int_equal(vf_engine_host_address(e, bad[i], T0, &address, &err), -EINVAL);
		assert_string_equal(err, "engine: invalid host id");
		assert_null(address);
	}
	assert_int_equal(requests(NULL), before);
	vf_engine_free(e);
}

static char *address_of(struct vf_engine *e, const char *host, time_t now)
{
	char *address = NULL;
	_cleanup_free_ char *err = NULL;
	int r = vf_engine_host_address(e, host, now, &address, &err);
	if (r < 0)
		fail_msg("%s: %d %s", host, r, err);
	return address;
}

static void address_fails(struct vf_engine *e, const char *host, time_t now, int r, const char *want)
{
	char *address = NULL;
	_cleanup_free_ char *err = NULL;
	assert_int_equal(vf_engine_host_address(e, host, now, &address, &err), r);
	assert_null(address);
	assert_string_equal(err, want);
}

static void test_host_address(void **state)
{
	struct vf_engine *e = engine(60);
	size_t before = requests("/ovirt-engine/api/hosts");
	_cleanup_free_ char *a1 = address_of(e, HOST1, T0);
	_cleanup_free_ char *a2 = address_of(e, HOST2, T0 + 1);
	_cleanup_free_ char *a3 = address_of(e, HOST3, T0 + 59);
	assert_string_equal(a1, "node1.example.com");
	assert_string_equal(a2, "192.0.2.12");
	assert_string_equal(a3, "2001:db8::13");
	assert_int_equal(requests("/ovirt-engine/api/hosts") - before, 1);

	/* unknown: the list is read again, at most once a second */
	address_fails(e, HOST_UNKNOWN, T0 + 59, -ENOENT, "engine: no host " HOST_UNKNOWN);
	assert_int_equal(requests("/ovirt-engine/api/hosts") - before, 2);
	address_fails(e, HOST_UNKNOWN, T0 + 59, -ENOENT, "engine: no host " HOST_UNKNOWN);
	assert_int_equal(requests("/ovirt-engine/api/hosts") - before, 2);
	address_fails(e, HOST_UNKNOWN, T0 + 60, -ENOENT, "engine: no host " HOST_UNKNOWN);
	assert_int_equal(requests("/ovirt-engine/api/hosts") - before, 3);
	/* the list read at T0+60 is fresh until T0+120 */
	_cleanup_free_ char *again = address_of(e, HOST1, T0 + 119);
	assert_string_equal(again, "node1.example.com");
	assert_int_equal(requests("/ovirt-engine/api/hosts") - before, 3);
	_cleanup_free_ char *stale = address_of(e, HOST1, T0 + 120);
	assert_string_equal(stale, "node1.example.com");
	assert_int_equal(requests("/ovirt-engine/api/hosts") - before, 4);
	vf_engine_free(e);
}

/* A failed list read is repeated to every caller of the same second, not re-asked. */
static void test_host_list_down(void **state)
{
	_cleanup_free_ char *url = xasprintf("http://127.0.0.1:%d/down", srv.e.port);
	_cleanup_free_ char *want = xasprintf("engine %s/hosts: HTTP 503", url);
	struct vf_engine *e = engine_at(url, PASSWORD, FETCH_MS, 60);
	size_t before = requests("/down/hosts");
	address_fails(e, HOST1, T0, -EIO, want);
	address_fails(e, HOST2, T0, -EIO, want);
	assert_int_equal(requests("/down/hosts") - before, 1);
	address_fails(e, HOST1, T0 + 1, -EIO, want);
	assert_int_equal(requests("/down/hosts") - before, 2);
	vf_engine_free(e);

	e = engine_at(srv.url, "wrong", FETCH_MS, 60);
	_cleanup_free_ char *denied = xasprintf("engine %s/hosts: HTTP 401", srv.url);
	address_fails(e, HOST1, T0, -EACCES, denied);
	vf_engine_free(e);
}

/* The process's peak RSS (VmHWM), in KB; reset_peak makes it the current RSS first (writing 5
 * to /proc/self/clear_refs, Linux 4.0). */
static long peak_rss_kb(bool reset_peak)
{
	if (reset_peak) {
		_cleanup_close_ int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
		assert_true(fd >= 0 && write(fd, "5", 1) == 1);
	}
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	assert_true(kb > 0);
	return kb;
}

/* A list over the 16 MiB any other answer may have (6,000 hosts of about 5 KB, as an engine
 * sends them: 31 MB) is parsed as it arrives: every host found, and the process grows by far
 * less than the list (no tree, no copy of it). */
static void test_host_list_big(void **state)
{
	_cleanup_free_ char *url = xasprintf("http://127.0.0.1:%d/many", srv.e.port);
	struct vf_engine *e = engine_at(url, PASSWORD, FETCH_MS, 60);
	long before = peak_rss_kb(true);
	_cleanup_free_ char *first = address_of(e, "00000000-0000-4000-8000-000000000000", T0);
	long grew = peak_rss_kb(false) - before;
	_cleanup_free_ char *last = address_of(e, "00000000-0000-4000-8000-000000005999", T0);
	assert_string_equal(first, "host-0.example");
	assert_string_equal(last, "host-5999.example");
	assert_int_equal(requests("/many/hosts"), 1);
	print_message("  a host list of %s hosts: peak RSS grew %ld KB\n", MANY_HOSTS_N, grew);
	assert_true(grew < 12 * 1024);
	vf_engine_free(e);
}

/* A 200 that is not a host list stops the transfer at the first element, not at its end. */
static void test_host_list_garbage(void **state)
{
	_cleanup_free_ char *url = xasprintf("http://127.0.0.1:%d/garbage", srv.e.port);
	_cleanup_free_ char *want = xasprintf("engine %s/hosts: line 1: root is <nics>, expected <hosts>", url);
	struct vf_engine *e = engine_at(url, PASSWORD, FETCH_MS, 60);
	address_fails(e, HOST1, T0, -EINVAL, want);
	vf_engine_free(e);
}

/* Trailing slashes of the URL are dropped: no "//" in a request path. */
static void test_url_slash(void **state)
{
	_cleanup_free_ char *url = xasprintf("%s//", srv.url);
	struct vf_engine *e = engine_at(url, PASSWORD, FETCH_MS, 60);
	size_t before = requests(NICS_PATH(VM3));
	assert_int_equal(demand(e, VM3, T0), 0);
	assert_int_equal(requests(NICS_PATH(VM3)) - before, 1);
	vf_engine_free(e);
}

/* HTTPS: the peer is verified against ca_file, name included; never accepted unverified. */
static void test_tls(void **state)
{
	struct vf_engine *e = engine_ca(tls.url, TLS_DIR "/engine.crt", PASSWORD, FETCH_MS, 60);
	assert_int_equal(demand(e, VM1, T0), 3);
	_cleanup_free_ char *a = address_of(e, HOST2, T0);
	assert_string_equal(a, "192.0.2.12");
	assert_int_equal(requests_at(&tls, NULL), 5);
	vf_engine_free(e);

	/* the system's CA store does not know the test certificate */
	e = engine_ca(tls.url, NULL, PASSWORD, FETCH_MS, 60);
	_cleanup_free_ char *err = NULL;
	int d = -1;
	assert_int_equal(vf_engine_vm_demand(e, VM1, T0, &d, &err), -EIO);
	_cleanup_free_ char *want = xasprintf("engine %s" NICS(VM1) ": SSL peer certificate", tls.url);
	if (!startswith(err, want) || strchr(err, '\n'))
		fail_msg("got '%s'", err);
	vf_engine_free(e);

	/* the certificate names 127.0.0.1, not localhost */
	_cleanup_free_ char *url = xasprintf("https://localhost:%d/ovirt-engine/api", tls.e.port);
	e = engine_ca(url, TLS_DIR "/engine.crt", PASSWORD, FETCH_MS, 60);
	_cleanup_free_ char *err2 = NULL;
	assert_int_equal(vf_engine_vm_demand(e, VM1, T0, &d, &err2), -EIO);
	_cleanup_free_ char *want2 = xasprintf("engine %s" NICS(VM1) ": SSL peer certificate", url);
	if (!startswith(err2, want2) || strchr(err2, '\n'))
		fail_msg("got '%s'", err2);
	vf_engine_free(e);

	assert_int_equal(requests_at(&tls, NULL), 5); /* the refused ones never got to ask */
}

/* Several threads on one engine, as the service runs it. */
struct worker {
	struct vf_engine *e;
	int i;
	int bad;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	const char *vms[] = { VM1, VM2, VM3 };
	const int want[] = { 3, 1, 0 };
	const char *hosts[] = { HOST1, HOST2, HOST3 };
	const char *addresses[] = { "node1.example.com", "192.0.2.12", "2001:db8::13" };
	for (int k = 0; k < 30; k++) {
		int j = (w->i + k) % 3, d = -1;
		char *err = NULL, *address = NULL;
		if (vf_engine_vm_demand(w->e, vms[j], T0 + k / 10, &d, &err) < 0 || d != want[j])
			w->bad++;
		if (vf_engine_host_address(w->e, hosts[j], T0 + k / 10, &address, &err) < 0 ||
		    !streq(address, addresses[j]))
			w->bad++;
		free(address);
		free(err);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct vf_engine *e = engine(5);
	struct worker w[8];
	pthread_t t[8];
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){ .e = e, .i = i };
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].bad, 0);
	}
	vf_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest http[] = {
		cmocka_unit_test(test_demand),
		cmocka_unit_test(test_placement),
		cmocka_unit_test(test_placement_errors),
		cmocka_unit_test(test_demand_expiry),
		cmocka_unit_test(test_many_vms),
		cmocka_unit_test(test_cache_bound),
		cmocka_unit_test(test_demand_auth),
		cmocka_unit_test(test_demand_http_errors),
		cmocka_unit_test(test_demand_bad_answers),
		cmocka_unit_test(test_demand_timeout),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_hostile_ids),
		cmocka_unit_test(test_host_address),
		cmocka_unit_test(test_host_list_down),
		cmocka_unit_test(test_host_list_big),
		cmocka_unit_test(test_host_list_garbage),
		cmocka_unit_test(test_url_slash),
		cmocka_unit_test(test_threads),
	};
	int failed = cmocka_run_group_tests_name("engine HTTP", http, start_server, stop_server);
	const struct CMUnitTest https[] = { cmocka_unit_test(test_tls) };
	failed += cmocka_run_group_tests_name("engine HTTPS", https, start_tls_server, stop_tls_server);
	return failed;
}
