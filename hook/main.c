/* SPDX-License-Identifier: MIT */
/* vfcap-hook: the VDSM hook that puts vNICs on the VF pool (vmfex port profiles, extnet
 * networks), keeps the pool right, never double-books a VF and fails fast when none is left;
 * at after_get_caps it adds the host's vfcap report to getCapabilities.
 *
 * VDSM runs it with no arguments from /usr/libexec/vdsm/hooks/<hook point>/50_vfcap: the hook
 * point is the name of the directory it was run from (--hook-point overrides). The payload is
 * the file named by $_hook_domxml (XML) or $_hook_json (JSON); custom properties come as
 * environment variables (vmfex, extnet) with vmId. Exit 0: done (or nothing to do); 2: failed,
 * with one line on stderr, the payload untouched. */
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>

#include "caps.h"
#include "config.h"
#include "gather.h"
#include "log.h"
#include "domain-numa.h"
#include "neighbours.h"
#include "props.h"
#include "report.h"
#include "rewrite.h"
#include "take.h"
#include "util.h"
#include "xml.h"

#define PAYLOAD_MAX (64u << 20)
/* VDSM's vmId is a UUID; anything else is kept only if it cannot break a ledger line. */
#define VM_ID_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:"

enum { EXIT_OK = 0, EXIT_FAIL = 2 };

struct hook {
	const char *point;
	struct vf_config *cfg;
	const char *path; /* the payload file */
	char *data;
	size_t len;
	char *notice; /* a line for VDSM's log, printed only when the whole run succeeds */
};

static int failf(const char *fmt, ...) _printf_(1, 2);
static int failf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vf_logv(VF_LOG_ERR, fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

/* ---- payload I/O ---- */

static int read_payload(struct hook *k, const char *var)
{
	k->path = getenv(var);
	if (!k->path || !*k->path)
		return failf("%s: $%s is not set (vfcap-hook is run by VDSM)", k->point, var);
	int r = read_full_file(k->path, &k->data, &k->len, PAYLOAD_MAX);
	if (r < 0)
		return failf("%s: cannot read %s: %s", k->point, k->path,
			     r == -EFBIG ? "larger than 64 MiB" : strerror(-r));
	return EXIT_OK;
}

/* Temp file + rename, with the payload's own mode: VDSM reads the same path back. No sweep of
 * stale temps: the payload's name is VDSM's mkstemp name, new every run (util.h). */
static int write_payload(const struct hook *k, const char *data, size_t len)
{
	struct stat st;
	mode_t mode = stat(k->path, &st) == 0 ? st.st_mode & 07777 : 0600;
	int r = write_file_replace(k->path, data, len, mode);
	if (r < 0)
		return failf("%s: cannot write %s: %s", k->point, k->path, strerror(-r));
	return EXIT_OK;
}

static int write_doc(const struct hook *k, xmlDocPtr doc)
{
	_cleanup_free_ char *out = NULL;
	size_t len;
	if (vf_payload_serialize(doc, &out, &len) < 0)
		return failf("%s: cannot serialize the rewritten XML", k->point);
	return write_payload(k, out, len);
}

static int parse_payload(struct hook *k, xmlDocPtr *doc)
{
	int r = read_payload(k, "_hook_domxml");
	if (r != EXIT_OK)
		return r;
	_cleanup_free_ char *err = NULL;
	if (vf_payload_parse(k->data, k->len, k->path, doc, &err) < 0)
		return failf("%s: %s", k->point, err);
	return EXIT_OK;
}

/* ---- identity ---- */

/* VDSM's vmId, else the domain's <uuid>; kept to a safe alphabet, it goes into the ledger. */
static char *vm_id(xmlDocPtr doc)
{
	const char *env = getenv("vmId");
	_cleanup_free_ char *id = env && *env ? xstrdup(env) : NULL;
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	for (xmlNodePtr n = root ? root->children : NULL; !id && n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST "uuid") && !n->ns) {
			xmlChar *c = xmlNodeGetContent(n);
			id = xstrdup((const char *)c);
			xmlFree(c);
		}
	if (!id || !*id || strlen(id) > 128 || strspn(id, VM_ID_CHARS) != strlen(id))
		return xstrdup("unknown-vm");
	return TAKE_PTR(id);
}

/* ---- the vNICs a request asks VFs for ---- */

/* Parallel arrays: vf_take wants the MACs as one array. */
struct want {
	xmlNodePtr *ifaces;     /* to rewrite */
	const char **profiles;  /* borrowed */
	char **macs;            /* owned */
	size_t n;
};

static void want_init(struct want *w, size_t cap)
{
	w->ifaces = xcalloc(cap + 1, sizeof(*w->ifaces));
	w->profiles = xcalloc(cap + 1, sizeof(*w->profiles));
	w->macs = xcalloc(cap + 1, sizeof(*w->macs));
}

static void want_clear(struct want *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->macs[i]);
	free(w->ifaces);
	free(w->profiles);
	free(w->macs);
}

/* Takes mac (NULL: the vNIC has none). */
static void want_add(struct want *w, xmlNodePtr iface, const char *profile, char *mac)
{
	w->ifaces[w->n] = iface;
	w->profiles[w->n] = profile;
	w->macs[w->n++] = mac ? mac : xstrdup("-");
}

/* vmfex as a plain profile (device level) or as a {MAC: profile} dict (VM level, which VDSM
 * also passes to device hooks when the VM property shadows the device one). */
static int collect(const struct hook *k, xmlDocPtr doc, const char *vmfex, struct vf_vmfex_map *map,
		   struct want *w)
{
	_cleanup_free_ char *err = NULL;
	_cleanup_free_ xmlNodePtr *ifaces = NULL;
	size_t n = vf_payload_interfaces(doc, &ifaces);
	want_init(w, n);
	if (vf_vmfex_is_dict(vmfex)) {
		if (vf_vmfex_dict_parse(vmfex, map, &err) < 0)
			return failf("%s: %s", k->point, err);
		for (size_t i = 0; i < n; i++) {
			char *mac = vf_iface_mac(ifaces[i]);
			const char *p = mac ? vf_vmfex_map_find(map, mac) : NULL;
			if (p)
				want_add(w, ifaces[i], p, mac);
			else
				free(mac);
		}
		return EXIT_OK;
	}
	if (vf_payload_is_domain(doc))
		return failf("%s: vmfex at VM level must be a dict {'MAC': 'profile', ...}; a plain profile "
			     "belongs to a vNIC profile", k->point);
	if (!vf_profile_valid(vmfex))
		return failf("%s: vmfex profile '%s' must match ^[a-zA-Z0-9_.-]{2,32}$", k->point, vmfex);
	if (n == 1)
		want_add(w, ifaces[0], vmfex, vf_iface_mac(ifaces[0]));
	return EXIT_OK;
}

static char *describe(const struct want *w)
{
	if (w->n == 1 || (w->n > 1 && strcmp(w->profiles[0], w->profiles[w->n - 1]) == 0))
		return xasprintf("vmfex profile '%s'", w->profiles[0]);
	return xasprintf("vmfex profiles '%s'…'%s'", w->profiles[0], w->profiles[w->n - 1]);
}

/* ---- hook points ---- */

/* The NUMA nodes a domain payload pins the VM to (device payloads carry none). A topology the
 * hook cannot read fails the run only under numa = required; else the VM counts as unpinned and
 * the notice says so. */
static int domain_nodes(struct hook *k, xmlDocPtr doc, struct vf_nodeset *s)
{
	_cleanup_free_ char *err = NULL;
	memset(s, 0, sizeof(*s));
	if (!doc || k->cfg->hook_numa == VF_HOOK_NUMA_IGNORE)
		return EXIT_OK;
	if (vf_domain_nodes(doc, k->cfg->sysfs_root ?: "/sys", s, &err) == 0)
		return EXIT_OK;
	memset(s, 0, sizeof(*s));
	if (k->cfg->hook_numa == VF_HOOK_NUMA_REQUIRED)
		return failf("%s: NUMA placement (numa = required): %s", k->point, err);
	k->notice = xasprintf("NUMA placement not considered: %s", err);
	return EXIT_OK;
}

static int take(struct hook *k, const char *vm, const struct want *w, const char *what, xmlDocPtr doc)
{
	_cleanup_free_ struct vf_nodeset *nodes = xcalloc(1, sizeof(*nodes));
	int r = domain_nodes(k, doc, nodes);
	if (r != EXIT_OK)
		return r;
	struct vf_take req = { .vm = vm, .macs = w->macs, .n = w->n, .what = what, .point = k->point,
			       .nodes = nodes };
	_cleanup_free_ char *notice = NULL, *err = NULL;
	r = vf_take(k->cfg, &req, &notice, &err);
	if (r < 0)
		return failf("%s: %s", k->point, err);
	if (notice && k->notice) {
		char *both = xasprintf("%s; %s", k->notice, notice);
		free(k->notice);
		k->notice = both;
	} else if (notice) {
		free(k->notice);
		k->notice = TAKE_PTR(notice);
	}
	return EXIT_OK;
}

static int rewrite_vmfex(struct hook *k, bool reserve)
{
	const char *vmfex = getenv("vmfex");
	_cleanup_xmldoc_ xmlDocPtr doc = NULL;
	int r = parse_payload(k, &doc);
	if (r != EXIT_OK)
		return r;
	_cleanup_vmfex_map_ struct vf_vmfex_map map = { 0 };
	_cleanup_(want_clear) struct want w = { 0 };
	if ((r = collect(k, doc, vmfex, &map, &w)) != EXIT_OK || w.n == 0)
		return r;
	_cleanup_free_ char *vm = vm_id(doc), *what = describe(&w);
	for (size_t i = 0; i < w.n; i++) /* in memory first: a bad payload reserves nothing */
		if (vf_iface_set_vmfex(w.ifaces[i], k->cfg->pool_network, w.profiles[i]) < 0)
			return failf("%s: cannot rewrite the interface", k->point);
	if (reserve && (r = take(k, vm, &w, what, vf_payload_is_domain(doc) ? doc : NULL)) != EXIT_OK)
		return r;
	if ((r = write_doc(k, doc)) != EXIT_OK && reserve)
		vf_release(k->cfg, vm, NULL, NULL);
	return r;
}

static int rewrite_extnet(struct hook *k, const char *extnet)
{
	_cleanup_free_ char *net = NULL, *pg = NULL, *err = NULL;
	if (vf_extnet_parse(extnet, &net, &pg, &err) < 0)
		return failf("%s: %s", k->point, err);
	_cleanup_xmldoc_ xmlDocPtr doc = NULL;
	int r = parse_payload(k, &doc);
	if (r != EXIT_OK)
		return r;
	_cleanup_free_ xmlNodePtr *ifaces = NULL;
	if (vf_payload_is_domain(doc) || vf_payload_interfaces(doc, &ifaces) != 1)
		return EXIT_OK; /* extnet is a vNIC profile property: device payloads only */
	if (vf_iface_set_extnet(ifaces[0], net, pg) < 0)
		return failf("%s: cannot rewrite the interface", k->point);
	return write_doc(k, doc);
}

/* before_device_create, before_nic_hotplug (reserve) and before_update_device (the vNIC
 * already holds its VF: rewrite only). */
static int device(struct hook *k, bool reserve)
{
	const char *vmfex = getenv("vmfex"), *extnet = getenv("extnet");
	if (vmfex && *vmfex && extnet && *extnet)
		return failf("%s: both vmfex and extnet are set; a vNIC goes to one network", k->point);
	if (vmfex && *vmfex)
		return rewrite_vmfex(k, reserve);
	if (extnet && *extnet)
		return rewrite_extnet(k, extnet);
	return EXIT_OK;
}

static int device_create(struct hook *k)
{
	return device(k, true);
}

static int device_update(struct hook *k)
{
	return device(k, false);
}

static int vm_start(struct hook *k)
{
	const char *vmfex = getenv("vmfex");
	return vmfex && *vmfex ? rewrite_vmfex(k, true) : EXIT_OK;
}

/* before_device_migrate_destination (VDSM ignores the XML): only make sure the pool is there;
 * the VM's point that follows reserves. */
static int migrate_destination(struct hook *k)
{
	const char *vmfex = getenv("vmfex");
	if (!vmfex || !*vmfex)
		return EXIT_OK;
	_cleanup_(want_clear) struct want w = { 0 };
	return take(k, "migration", &w, "migration", NULL);
}

/* before_vm_migrate_destination: the incoming VM's vNICs on the pool (its start on the source
 * host put them there; a vNIC profile's vmfex never reaches this point's environment) need VFs
 * here as at a start: the same check and reservation, or one line (VDSM fails the migration,
 * the engine tries another host). VDSM ignores the XML: nothing is written. The reservations
 * end as a start's do: the pool shows their ports, after_vm_destroy, or reservation_ttl. */
static int vm_migrate_destination(struct hook *k)
{
	_cleanup_xmldoc_ xmlDocPtr doc = NULL;
	int r = parse_payload(k, &doc);
	if (r != EXIT_OK)
		return r;
	_cleanup_free_ xmlNodePtr *ifaces = NULL;
	size_t n = vf_payload_interfaces(doc, &ifaces);
	_cleanup_(want_clear) struct want w = { 0 };
	want_init(&w, n);
	for (size_t i = 0; i < n; i++)
		if (vf_iface_on_network(ifaces[i], k->cfg->pool_network))
			want_add(&w, ifaces[i], "", vf_iface_mac(ifaces[i]));
	const char *vmfex = getenv("vmfex");
	if (w.n == 0 && !(vmfex && *vmfex))
		return EXIT_OK;
	_cleanup_free_ char *vm = vm_id(doc);
	return take(k, vm, &w, "an incoming migration", doc);
}

static int vm_destroy(struct hook *k)
{
	_cleanup_xmldoc_ xmlDocPtr doc = NULL;
	_cleanup_free_ char *err = NULL;
	if (!getenv("vmId") && parse_payload(k, &doc) != EXIT_OK)
		return EXIT_FAIL;
	_cleanup_free_ char *vm = vm_id(doc);
	if (vf_release(k->cfg, vm, NULL, &err) < 0)
		return failf("%s: %s", k->point, err);
	return EXIT_OK;
}

static int nic_gone(struct hook *k)
{
	_cleanup_xmldoc_ xmlDocPtr doc = NULL;
	_cleanup_free_ char *err = NULL;
	int r = parse_payload(k, &doc);
	if (r != EXIT_OK)
		return r;
	_cleanup_free_ xmlNodePtr *ifaces = NULL;
	if (vf_payload_interfaces(doc, &ifaces) != 1)
		return EXIT_OK;
	_cleanup_free_ char *vm = vm_id(NULL), *mac = vf_iface_mac(ifaces[0]);
	if (vf_release(k->cfg, vm, mac ? mac : "-", &err) < 0)
		return failf("%s: %s", k->point, err);
	return EXIT_OK;
}

/* getCapabilities must never break: any failure leaves the caps byte-identical, exit 0. */
static int get_caps(struct hook *k)
{
	if (read_payload(k, "_hook_json") != EXIT_OK)
		return EXIT_OK;
	_cleanup_host_ struct vf_host *h = vf_host_new();
	struct vf_gather_opts o = { .now = vf_now() };
	int r = vf_gather(h, k->cfg, &o, NULL);
	if (r < 0) {
		failf("%s: caps left unchanged: cannot read %s/class/net: %s", k->point, vf_gather_sysfs_root(k->cfg, &o),
		      strerror(-r));
		return EXIT_OK;
	}
	if (h->n_errors) /* still worth adding: the counts a failed source affects are null */
		log_warning("%s: the report lists %zu source error(s), first: %s", k->point, h->n_errors,
			h->errors[0].message);
	_cleanup_free_ char *report = vf_report_format_json(h, false), *out = NULL, *err = NULL;
	size_t len;
	if (vf_caps_merge(k->data, k->len, report, &out, &len, &err) < 0) {
		failf("%s: caps left unchanged: %s: %s", k->point, k->path, err);
		return EXIT_OK;
	}
	write_payload(k, out, len);
	return EXIT_OK;
}

static const struct point {
	const char *name;
	int (*run)(struct hook *k);
} points[] = {
#define VF_HOOK_POINT(name, run) { #name, run },
#include "points.def"
#undef VF_HOOK_POINT
};

/* VDSM runs every hook of the directory: a VM-FEX hook beside this one would fail the vmfex vNIC
 * after it was rewritten and reserved. Refuse first, naming it (hook/neighbours.h). */
static int refuse_beside_vmfex(const struct hook *k, const char *argv0)
{
	const char *vmfex = getenv("vmfex");
	if (!vmfex || !*vmfex || strncmp(k->point, "before_", 7) != 0)
		return EXIT_OK;
	_cleanup_free_ char *other = vf_vmfex_neighbour(argv0);
	if (!other)
		return EXIT_OK;
	const char *pkg = vf_vmfex_package(other, k->point);
	_cleanup_free_ char *named = pkg ? xasprintf(" (%s)", pkg) : xstrdup("");
	return failf("%s: %s is another VM-FEX hook%s: it cannot run beside vfcap-hook (it fails on the vNICs "
		     "vfcap-hook puts on the pool); remove %s, vfcap-hook replaces it",
		     k->point, other, named, pkg ? "that package" : "it");
}

/* ---- main ---- */

static const char usage_text[] =
	"Usage: vfcap-hook [--hook-point NAME] | --list-points\n"
	"VDSM hook: vmfex/extnet vNICs onto the VF pool, capacity check and reservation, vfcap caps.\n"
	"Installed as 50_vfcap in VDSM's hook directories; the hook point is the directory's name\n"
	"(--list-points prints the points it serves, one a line).\n"
	"Payload: $_hook_domxml or $_hook_json; properties: $vmfex, $extnet, $vmId.\n"
	"Config: $VFCAP_CONFIG, else " VF_CONFIG_DEFAULT_PATH " (optional).\n"
	"Exit: 0 done or nothing to do; 2 failed (one line on stderr, payload untouched).\n";

static const char *point_from_argv0(const char *argv0)
{
	static char buf[4096];
	snprintf(buf, sizeof(buf), "%s", argv0);
	if (!strchr(buf, '/'))
		return "";
	return basename(dirname(buf));
}

static int parse_args(int argc, char **argv, const char **point)
{
	static const struct option longopts[] = {
		{ "hook-point", required_argument, NULL, 'p' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },          { "list-points", no_argument, NULL, 'L' },
		{ 0 },
	};
	int c;
	opterr = 0;
	*point = point_from_argv0(argv[0]);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': *point = optarg; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case 'V': printf("vfcap-hook %s\n", VFCAP_VERSION); return EXIT_OK;
		case 'L':
			for (size_t i = 0; i < ARRAY_SIZE(points); i++)
				printf("%s\n", points[i].name);
			return EXIT_OK;
		default: return failf("unknown option '%s'; try --help", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return failf("unexpected argument '%s'; try --help", argv[optind]);
	return -1;
}

static int load_config(struct hook *k)
{
	_cleanup_free_ char *err = NULL;
	int r = vf_config_load_chosen(NULL, &k->cfg, &err);
	if (r < 0)
		return failf("%s: config: %s", k->point, err ? err : strerror(-r));
	return 0;
}

int main(int argc, char **argv)
{
	/* VDSM starts hooks with SIGPIPE at its default: libvirtd going away mid-run must be an
	 * error line (exit 2), not a silent death by SIGPIPE in libvirt's socket write */
	signal(SIGPIPE, SIG_IGN);
	vf_log_init("vfcap-hook");
	struct hook k = { 0 };
	int r = parse_args(argc, argv, &k.point);
	if (r >= 0)
		return r;
	const struct point *p = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(points) && !p; i++)
		if (streq(points[i].name, k.point))
			p = &points[i];
	if (!p)
		return failf("unknown hook point '%s' (install vfcap-hook in a VDSM hook directory it serves, "
			     "or pass --hook-point)", k.point);
	if (refuse_beside_vmfex(&k, argv[0]) != EXIT_OK)
		return EXIT_FAIL;
	if (load_config(&k) != 0)
		return streq(k.point, "after_get_caps") ? EXIT_OK : EXIT_FAIL;
	r = p->run(&k);
	/* VDSM logs a succeeding hook's stderr but shows a failing one's as the error: a failure is
	 * one line, the reason, so a notice goes out only after everything else went well */
	if (r == EXIT_OK && k.notice)
		log_notice("%s: %s", k.point, k.notice);
	vf_config_free(k.cfg);
	free(k.data);
	free(k.notice);
	return r;
}
