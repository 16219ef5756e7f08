/* SPDX-License-Identifier: MIT */
/* filter/engine.c: the XML readers on engine-shaped documents (tests/fixtures/engine/api), and
 * the client against tests/filter/engine-server.py on 127.0.0.1. Run from the repository root. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "quiet-stderr.h"
#include "util.h"

#define FIXTURES "tests/fixtures/engine/api"

#define VM1 "6a6b7c1e-2f0a-4c8e-9d3b-1f2e3d4c5b6a" /* 6 vNICs, demand 3 */
#define VM2 "7b8c9d0e-1a2b-4c3d-8e4f-5a6b7c8d9e0f" /* VM1's profiles, demand 1 */
#define VM3 "8c9d0e1f-2b3c-4d4e-9f50-6b7c8d9e0f1a" /* <nics/> */
#define VM_GARBAGE "9d0e1f2a-3c4d-4e5f-a061-7c8d9e0f1a2b"
#define VM_GONE_PROFILE "ae1f2a3b-4d5e-4f60-b172-8d9e0f1a2b3c"
#define VM_UNKNOWN "ffffffff-0000-4000-8000-000000000404"
/* Misbehaving paths, set up on the server's command line. */
#define VM_500 "b0000000-0000-4000-8000-000000000500"
#define VM_SLOW "b0000000-0000-4000-8000-0000000000a1"
#define VM_REDIRECT "b0000000-0000-4000-8000-000000000302"
#define VM_BIG "b0000000-0000-4000-8000-0000000000b1"
#define MANY_VMS "c0ffee00-" /* any such VM has VM2's nics */

#define PT "0c7e2c36-8d4e-4f1a-a8b0-5b5d0f6b3e11"    /* pass_through enabled */
#define PT2 "2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b"   /* the same, on an unplugged vNIC only */
#define VMFEX "1d2f6a7b-3c4d-4e5f-8a9b-0c1d2e3f4a5b" /* vmfex=Profile1 */
#define PLAIN "0000000a-000a-000a-000a-000000000398" /* ovirtmgmt */
#define DISABLED "3f4a5b6c-7d8e-4f90-ab1c-2d3e4f5a6b7c" /* vmfex with an empty value */
#define GONE "4a5b6c7d-8e9f-4a01-bc2d-3e4f5a6b7c8d"

#define HOST1 "f1a2b3c4-1111-4aaa-8bbb-000000000001"
#define HOST2 "f1a2b3c4-2222-4aaa-8bbb-000000000002"
#define HOST3 "f1a2b3c4-3333-4aaa-8bbb-000000000003"
#define HOST_UNKNOWN "f1a2b3c4-9999-4aaa-8bbb-000000000009"

#define USER "admin@internal"
#define PASSWORD "s3cret pass:word"
#define T0 ((time_t)1700000000)

static char *read_fixture(const char *rel, size_t *len)
{
	_cleanup_free_ char *path = xasprintf(FIXTURES "/%s", rel);
	char *buf = NULL;
	int r = read_full_file(path, &buf, len, 1 << 20);
	if (r < 0)
		fail_msg("%s: %s (run the tests from the repository root)", path, strerror(-r));
	return buf;
}

/* ---- nics ---- */

static void test_parse_nics(void **state)
{
	size_t len = 0;
	_cleanup_free_ char *xml = read_fixture("vms/" VM1 "/nics", &len);
	struct vf_engine_nic *nics = NULL;
	size_t n = 0;
	_cleanup_free_ char *err = NULL;
	assert_int_equal(vf_engine_parse_nics(xml, len, &nics, &n, &err), 0);
	assert_null(err);
	assert_int_equal(n, 6);
	const struct {
		const char *profile;
		bool plugged;
	} want[] = { { PT, true },     { VMFEX, true }, { PLAIN, true },
		     { PT2, false },   { NULL, true },  { PT, true } /* no <plugged>: plugged */ };
	for (size_t i = 0; i < n; i++) {
		if (!streq_ptr(nics[i].profile_id, want[i].profile) || nics[i].plugged != want[i].plugged)
			fail_msg("nic %zu: %s %d", i, nics[i].profile_id, nics[i].plugged);
	}
	vf_engine_nics_free(nics, n);

	_cleanup_free_ char *empty = read_fixture("vms/" VM3 "/nics", &len);
	assert_int_equal(vf_engine_parse_nics(empty, len, &nics, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(nics);
}

/* By local name, direct children only, first of a name, unknown elements ignored. */
static void test_parse_nics_shapes(void **state)
{
	const char *xml =
		"<nics xmlns='urn:x'>\n"
		" <nic id='A1'><future><vnic_profile id='bad/../x'/></future>"
		"<plugged> false </plugged><plugged>true</plugged>"
		"<vnic_profile id='AB-01'/><vnic_profile/></nic>\n"
		" <comment>not a nic</comment><nicx id='zz'/>\n"
		" <nic id='a2'><plugged>true</plugged></nic>\n"
		"</nics>";
	struct vf_engine_nic *nics = NULL;
	size_t n = 0;
	assert_int_equal(vf_engine_parse_nics(xml, strlen(xml), &nics, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(nics[0].profile_id, "AB-01");
	assert_false(nics[0].plugged);
	assert_null(nics[1].profile_id);
	assert_true(nics[1].plugged);
	vf_engine_nics_free(nics, n);
}

/* ---- profiles ---- */

static bool profile_needs_vf(const char *xml, size_t len)
{
	bool needs = false;
	_cleanup_free_ char *err = NULL;
	int r = vf_engine_parse_profile(xml, len, &needs, &err);
	if (r < 0)
		fail_msg("%d %s", r, err);
	return needs;
}

static void test_parse_profiles(void **state)
{
	const struct {
		const char *id;
		bool needs;
	} want[] = { { PT, true }, { PT2, true }, { VMFEX, true }, { PLAIN, false }, { DISABLED, false } };
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		size_t len = 0;
		_cleanup_free_ char *p = xasprintf("vnicprofiles/%s", want[i].id);
		_cleanup_free_ char *xml = read_fixture(p, &len);
		if (profile_needs_vf(xml, len) != want[i].needs)
			fail_msg("%s: want needs_vf %d", want[i].id, want[i].needs);
	}
	const struct {
		const char *xml;
		bool needs;
	} inline_cases[] = {
		{ "<vnic_profile id='p'><name>n</name></vnic_profile>", false },
		{ "<vnic_profile><pass_through><mode>\n  enabled\n</mode></pass_through></vnic_profile>", true },
		{ "<vnic_profile><pass_through><mode>ENABLED</mode></pass_through></vnic_profile>", false },
		{ "<vnic_profile><pass_through/></vnic_profile>", false },
		{ "<vnic_profile><x><pass_through><mode>enabled</mode></pass_through></x></vnic_profile>", false },
		{ "<vnic_profile><custom_properties><custom_property><name>vmfex</name><value> </value>"
		  "</custom_property></custom_properties></vnic_profile>", false },
		{ "<vnic_profile><custom_properties><custom_property><name>vmfex</name>"
		  "</custom_property></custom_properties></vnic_profile>", false },
		{ "<vnic_profile><custom_properties><!-- c --><custom_property><name>a</name><value>b</value>"
		  "</custom_property>\n<custom_property><value>P&amp;1</value><name>vmfex</name>"
		  "</custom_property></custom_properties></vnic_profile>", true },
		{ "<p:vnic_profile xmlns:p='urn:p'><p:pass_through><p:mode>enabled</p:mode></p:pass_through>"
		  "</p:vnic_profile>", true },
	};
	for (size_t i = 0; i < ARRAY_SIZE(inline_cases); i++) {
		const char *x = inline_cases[i].xml;
		if (profile_needs_vf(x, strlen(x)) != inline_cases[i].needs)
			fail_msg("case %zu: want needs_vf %d", i, inline_cases[i].needs);
	}
}

/* ---- hosts ---- */

static void test_parse_hosts(void **state)
{
	size_t len = 0;
	_cleanup_free_ char *xml = read_fixture("hosts", &len);
	struct vf_engine_host *hosts = NULL;
	size_t n = 0;
	assert_int_equal(vf_engine_parse_hosts(xml, len, &hosts, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_string_equal(hosts[0].id, HOST1);
	assert_string_equal(hosts[0].address, "node1.example.com"); /* not power_management's */
	assert_string_equal(hosts[1].id, HOST2);
	assert_string_equal(hosts[1].address, "192.0.2.12");
	assert_string_equal(hosts[2].id, HOST3);
	assert_string_equal(hosts[2].address, "2001:db8::13");
	vf_engine_hosts_free(hosts, n);

	const char *odd = "<hosts><host id='a'/><host id='b'><address> </address></host>"
			  "<host id='c'><address>\n\tc.example\n</address></host></hosts>";
	assert_int_equal(vf_engine_parse_hosts(odd, strlen(odd), &hosts, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_null(hosts[0].address);
	assert_null(hosts[1].address);
	assert_string_equal(hosts[2].address, "c.example");
	vf_engine_hosts_free(hosts, n);

	assert_int_equal(vf_engine_parse_hosts("<hosts/>", 8, &hosts, &n, NULL), 0);
	assert_int_equal(n, 0);
}

/* ---- malformed documents ---- */

enum doc_kind { NICS, PROFILE, HOSTS };

static int parse_kind(enum doc_kind k, const char *xml, size_t len, char **err)
{
	if (k == NICS) {
		struct vf_engine_nic *nics = NULL;
		size_t n = 0;
		int r = vf_engine_parse_nics(xml, len, &nics, &n, err);
		vf_engine_nics_free(nics, r < 0 ? 0 : n);
		return r;
	}
	if (k == HOSTS) {
		struct vf_engine_host *hosts = NULL;
		size_t n = 0;
		int r = vf_engine_parse_hosts(xml, len, &hosts, &n, err);
		vf_engine_hosts_free(hosts, r < 0 ? 0 : n);
		return r;
	}
	bool needs;
	return vf_engine_parse_profile(xml, len, &needs, err);
}

/* The parse fails with -EINVAL and exactly want, or (want ending in '*') a message starting
 * with it; one line, and nothing printed. */
static void fails_len(enum doc_kind k, const char *xml, size_t len, const char *want)
{
	_cleanup_free_ char *err = NULL;
	struct quiet q;
	quiet_begin(&q);
	int r = parse_kind(k, xml, len, &err);
	quiet_end(&q);
	assert_int_equal(r, -EINVAL);
	assert_non_null(err);
	size_t n = strlen(want);
	bool ok = want[n - 1] == '*' ? strncmp(err, want, n - 1) == 0 : streq(err, want);
	if (!ok || strchr(err, '\n'))
		fail_msg("got '%s', want '%s'", err, want);
}

static void fails(enum doc_kind k, const char *xml, const char *want)
{
	fails_len(k, xml, strlen(xml), want);
}

static void test_parse_errors(void **state)
{
	fails(NICS, "", "empty document");
	fails_len(NICS, NULL, 0, "empty document");
	fails(NICS, "upstream connect error\n", "line 1: Start tag expected, '<' not found");
	fails(NICS, "<nics>\n<nic id='a'>\n</nics>", "line 3: Opening and ending tag mismatch: nic line 2 and nics");
	fails(NICS, "<nics>\n<nic id='a'>", "line 2: *");
	fails(NICS, "<foo/>", "line 1: root is <foo>, expected <nics>");
	fails(NICS, "\n\n<nic id='a'/>", "line 3: root is <nic>, expected <nics>");
	fails(NICS, "<nics>\n  <nic>\n  </nic>\n</nics>", "line 2: <nic> without id");
	fails(NICS, "<nics><nic id=''/></nics>", "line 1: <nic> without id");
	fails(NICS, "<nics><nic xmlns:o='urn:o' o:id='a'/></nics>", "line 1: <nic> without id");
	fails(NICS, "<nics><nic id='a'/><nic id='a/b'/></nics>", "line 1: <nic> has an invalid id");
	fails(NICS, "<nics>\n<nic id='a'>\n<vnic_profile/>\n</nic></nics>", "line 3: <vnic_profile> without id");
	fails(NICS, "<nics><nic id='a'>\n<vnic_profile id='../../hosts'/></nic></nics>",
	      "line 2: <vnic_profile> has an invalid id");
	fails(NICS, "<nics><nic id='a'><vnic_profile id='a?b'/></nic></nics>",
	      "line 1: <vnic_profile> has an invalid id");
	fails(NICS, "<nics><nic id='a'>\n\n<plugged>yes</plugged></nic></nics>",
	      "line 3: <plugged> is neither true nor false");
	fails(NICS, "<nics>&foo;</nics>", "line 1: Entity 'foo' not defined");
	fails(NICS, "<nics><nic id='a\xff'/></nics>", "line 1: Input is not proper UTF-8, indicate encoding ! Bytes: 0xFF 0x27 0x2F 0x3E");
	fails(NICS, "<?xml version='1.0' encoding='x-no-such'?><nics/>", "line 1: Unsupported encoding x-no-such");
	fails_len(NICS, "<nics>\0</nics>", 14, "line 1: *");
	fails(PROFILE, "<nics/>", "line 1: root is <nics>, expected <vnic_profile>");
	fails(PROFILE, "<vnic_profile><name>a</vnic_profile>", "line 1: Opening and ending tag mismatch: name line 1 and vnic_profile");
	fails(HOSTS, "<hosts>\n<host><address>a</address></host></hosts>", "line 2: <host> without id");
	fails(HOSTS, "<hosts><host id='a'><address>a</address></host></hosts>trailing",
	      "line 1: Extra content at the end of the document");
	fails(HOSTS, "<?xml version='1.0'?><hosts/><!-- ok --><hosts/>", "line 1: Extra content at the end of the document");
}

/* No DOCTYPE at all: nothing is declared, expanded or fetched. */
static void test_parse_doctype(void **state)
{
	fails(NICS, "<?xml version='1.0'?>\n<!DOCTYPE nics>\n<nics/>", "line 2: DOCTYPE not allowed");
	fails(NICS, "<!DOCTYPE nics [<!ENTITY a 'x'>]><nics>&a;</nics>", "line 1: DOCTYPE not allowed");
	fails(HOSTS, "<!DOCTYPE hosts SYSTEM 'file:///etc/passwd'><hosts/>", "line 1: DOCTYPE not allowed");
	fails(HOSTS,
	      "<?xml version='1.0'?>\n<!DOCTYPE hosts [\n<!ENTITY x SYSTEM 'http://127.0.0.1:1/x'>\n]>\n"
	      "<hosts><host id='a'><address>&x;</address></host></hosts>",
	      "line 2: DOCTYPE not allowed");
	/* billion laughs */
	_cleanup_free_ char *lol = xstrdup("<?xml version='1.0'?>\n<!DOCTYPE lolz [\n<!ENTITY l0 'lol'>\n");
	for (int i = 1; i < 10; i++) {
		_cleanup_free_ char *old = lol;
		lol = xasprintf("%s<!ENTITY l%d '&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;'>\n", old,
				i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	}
	_cleanup_free_ char *doc = xasprintf("%s]>\n<vnic_profile><name>&l9;</name></vnic_profile>", lol);
	fails(PROFILE, doc, "line 2: DOCTYPE not allowed");
}

/* libxml2's limits stay on (no XML_PARSE_HUGE): a 300-deep document is refused. */
static void test_parse_depth(void **state)
{
	_cleanup_free_ char *doc = xstrdup("<nics>");
	for (int i = 0; i < 300; i++) {
		_cleanup_free_ char *old = doc;
		doc = xasprintf("%s<a>", old);
	}
	fails(NICS, doc, "line 1: Excessive depth in document*");
}

static void test_valid_id(void **state)
{
	assert_true(vf_engine_valid_id(VM1));
	assert_true(vf_engine_valid_id("ABCDEF-0123456789"));
	assert_true(vf_engine_valid_id("0"));
	char id[66];
	memset(id, 'a', 65);
	id[65] = '\0';
	assert_false(vf_engine_valid_id(id));
	id[64] = '\0';
	assert_true(vf_engine_valid_id(id));
	const char *bad[] = { "", "../x", "a?b", "a/b", "..", "x", "a b", "a%2fb", "a#b", "a\nb", "a;b" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (vf_engine_valid_id(bad[i]))
			fail_msg("'%s' passed", bad[i]);
	assert_false(vf_engine_valid_id(NULL));
}

/* ---- the HTTP client against engine-server.py ---- */

struct server {
	pid_t pid;
	int port;
	char log[64];
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
	strcpy(s->log, "/tmp/vfcap-test-engine.XXXXXX");
	int fd = mkstemp(s->log);
	if (fd < 0)
		return -1;
	close(fd);
	const char *argv[40] = { "python3", "tests/filter/engine-server.py", "--root", FIXTURES,
				 "--user", USER, "--password", PASSWORD, "--log", s->log };
	size_t n = 10;
	while (*extra && n < ARRAY_SIZE(argv) - 1)
		argv[n++] = *extra++;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* a test that dies takes its server along */
		dup2(p[1], STDOUT_FILENO);
		execv("/usr/bin/python3", (char **)argv);
		_exit(127);
	}
	close(p[1]);
	FILE *f = fdopen(p[0], "r");
	char line[32] = "";
	bool ok = f && fgets(line, sizeof(line), f);
	if (f)
		fclose(f);
	s->port = ok ? atoi(line) : 0;
	if (s->port <= 0) {
		fprintf(stderr, "engine-server.py did not start\n");
		return -1;
	}
	s->url = xasprintf("%s://127.0.0.1:%d/ovirt-engine/api", scheme, s->port);
	return 0;
}

static void server_stop(struct server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	unlink(s->log);
	free(s->url);
	*s = (struct server){ 0 };
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
	assert_int_equal(read_full_file(s->log, &log, &len, 1 << 24), 0);
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
	return engine_at(srv.url, PASSWORD, 5000, ttl);
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
				    .timeout_ms = 5000, .cache_ttl = 60, .cache_max = 2 };
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
	struct vf_engine *e = engine_at(srv.url, "wrong", 5000, 60);
	demand_fails(e, VM1, -EACCES, NICS(VM1), "HTTP 401", 1);
	vf_engine_free(e);
	e = engine_at(srv.url, NULL, 5000, 60); /* no credentials at all */
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
	if (ms < 250 || ms > 2000)
		fail_msg("timed out after %ld ms, want about 300", ms);
	/* the handle that timed out is reused, and works */
	assert_int_equal(demand(e, VM3, T0), 0);
	vf_engine_free(e);
}

static void test_connect_refused(void **state)
{
	/* port 1 on loopback: nothing listens there */
	struct vf_engine *e = engine_at("http://127.0.0.1:1/ovirt-engine/api/", PASSWORD, 2000, 60);
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
	_cleanup_free_ char *url = xasprintf("http://127.0.0.1:%d/down", srv.port);
	_cleanup_free_ char *want = xasprintf("engine %s/hosts: HTTP 503", url);
	struct vf_engine *e = engine_at(url, PASSWORD, 5000, 60);
	size_t before = requests("/down/hosts");
	address_fails(e, HOST1, T0, -EIO, want);
	address_fails(e, HOST2, T0, -EIO, want);
	assert_int_equal(requests("/down/hosts") - before, 1);
	address_fails(e, HOST1, T0 + 1, -EIO, want);
	assert_int_equal(requests("/down/hosts") - before, 2);
	vf_engine_free(e);

	e = engine_at(srv.url, "wrong", 5000, 60);
	_cleanup_free_ char *denied = xasprintf("engine %s/hosts: HTTP 401", srv.url);
	address_fails(e, HOST1, T0, -EACCES, denied);
	vf_engine_free(e);
}

static void test_new_errors(void **state)
{
	const struct {
		const char *url;
		int timeout_ms, ttl;
		const char *want;
	} cases[] = {
		{ NULL, 1000, 60, "engine URL must start with http:// or https://" },
		{ "ftp://e/api", 1000, 60, "engine URL must start with http:// or https://" },
		{ "file:///etc/passwd", 1000, 60, "engine URL must start with http:// or https://" },
		{ "engine.example/api", 1000, 60, "engine URL must start with http:// or https://" },
		{ "https://e/api?x=1", 1000, 60, "engine URL must be the API root, without query or fragment" },
		{ "https://e/api#f", 1000, 60, "engine URL must be the API root, without query or fragment" },
		{ "https://e/api", 0, 60, "engine timeout must be at least 1 ms" },
		{ "https://e/api", 1000, -1, "engine cache_ttl must not be negative" },
		{ "https://e/api", 1000, 60, "engine cache_max must not be negative" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vf_engine_opts o = { .url = cases[i].url, .timeout_ms = cases[i].timeout_ms,
					    .cache_ttl = cases[i].ttl,
					    .cache_max = i == ARRAY_SIZE(cases) - 1 ? -1 : 0 };
		struct vf_engine *e = NULL;
		_cleanup_free_ char *err = NULL;
		assert_int_equal(vf_engine_new(&o, &e, &err), -EINVAL);
		assert_null(e);
		assert_string_equal(err, cases[i].want);
	}
	vf_engine_free(NULL);
}

/* Trailing slashes of the URL are dropped: no "//" in a request path. */
static void test_url_slash(void **state)
{
	_cleanup_free_ char *url = xasprintf("%s//", srv.url);
	struct vf_engine *e = engine_at(url, PASSWORD, 5000, 60);
	size_t before = requests(NICS_PATH(VM3));
	assert_int_equal(demand(e, VM3, T0), 0);
	assert_int_equal(requests(NICS_PATH(VM3)) - before, 1);
	vf_engine_free(e);
}

/* HTTPS: the peer is verified against ca_file, name included; never accepted unverified. */
static void test_tls(void **state)
{
	struct vf_engine *e = engine_ca(tls.url, TLS_DIR "/engine.crt", PASSWORD, 5000, 60);
	assert_int_equal(demand(e, VM1, T0), 3);
	_cleanup_free_ char *a = address_of(e, HOST2, T0);
	assert_string_equal(a, "192.0.2.12");
	assert_int_equal(requests_at(&tls, NULL), 5);
	vf_engine_free(e);

	/* the system's CA store does not know the test certificate */
	e = engine_ca(tls.url, NULL, PASSWORD, 5000, 60);
	_cleanup_free_ char *err = NULL;
	int d = -1;
	assert_int_equal(vf_engine_vm_demand(e, VM1, T0, &d, &err), -EIO);
	_cleanup_free_ char *want = xasprintf("engine %s" NICS(VM1) ": SSL peer certificate", tls.url);
	if (!startswith(err, want) || strchr(err, '\n'))
		fail_msg("got '%s'", err);
	vf_engine_free(e);

	/* the certificate names 127.0.0.1, not localhost */
	_cleanup_free_ char *url = xasprintf("https://localhost:%d/ovirt-engine/api", tls.port);
	e = engine_ca(url, TLS_DIR "/engine.crt", PASSWORD, 5000, 60);
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
	const struct CMUnitTest parse[] = {
		cmocka_unit_test(test_parse_nics),     cmocka_unit_test(test_parse_nics_shapes),
		cmocka_unit_test(test_parse_profiles), cmocka_unit_test(test_parse_hosts),
		cmocka_unit_test(test_parse_errors),   cmocka_unit_test(test_parse_doctype),
		cmocka_unit_test(test_parse_depth),    cmocka_unit_test(test_valid_id),
		cmocka_unit_test(test_new_errors),
	};
	const struct CMUnitTest http[] = {
		cmocka_unit_test(test_demand),
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
		cmocka_unit_test(test_url_slash),
		cmocka_unit_test(test_threads),
	};
	int failed = cmocka_run_group_tests_name("engine XML", parse, NULL, NULL);
	failed += cmocka_run_group_tests_name("engine HTTP", http, start_server, stop_server);
	const struct CMUnitTest https[] = { cmocka_unit_test(test_tls) };
	failed += cmocka_run_group_tests_name("engine HTTPS", https, start_tls_server, stop_tls_server);
	return failed;
}
