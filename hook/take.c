/* SPDX-License-Identifier: MIT */
#include "take.h"

#include <errno.h>
#include <libvirt/virterror.h>
#include <string.h>
#include <unistd.h>

#include "advice.h"
#include "gather.h"
#include "ledger.h"
#include "log.h"
#include "numa-place.h"
#include "pool.h"
#include "util.h"
#include "watchdog.h"

static void conn_closep(virConnectPtr *c)
{
	if (*c)
		virConnectClose(*c);
}

static void ledger_clearp(struct vf_ledger *l)
{
	vf_ledger_clear(l);
}

/* "; PART" appended to *s (PART NULL: nothing); PART is freed. */
static void append_reason(char **s, char *part)
{
	_cleanup_free_ char *p = part;
	if (!p)
		return;
	char *more = xasprintf("%s; %s", *s, p);
	free(*s);
	*s = more;
}

/* What keeps VFs out of the pool besides their holders, the table's advice in the same words
 * (lib/advice.c), per PF: "; ens2f0: netlink lists 34 of 256 VFs (...): lower sriov_numvfs to
 * 221" when the wrap cut its list short, "; 4 free VFs on ens1f0 have no link (PF down)" when
 * the hook requires a link, "; 5 VFs on ens4f0 left dirty count used (dirty = used)". */
static char *pf_reasons(const struct vf_host *h, bool require_link)
{
	_cleanup_free_ char *s = xstrdup("");
	for (size_t i = 0; i < h->n_pfs; i++) {
		const struct vf_pf *pf = &h->pfs[i];
		if (pf->nl.valid && pf->nl.truncated) {
			_cleanup_free_ char *nl = vf_advice_netlink_limit(pf);
			append_reason(&s, xasprintf("%s: %s", pf->name, nl));
		}
		if (require_link)
			append_reason(&s, vf_advice_no_link(pf));
		append_reason(&s, vf_advice_dirty_used(pf));
	}
	return TAKE_PTR(s);
}

/* "; 2 free VFs left out of a hostdev pool: their IOMMU group holds other devices" when a
 * hostdev pool leaves free VFs out (vf_pool_plan), so the admin sees why free > usable. */
static char *iommu_reason(const struct vf_host *h, bool hostdev)
{
	int n = 0;
	for (size_t i = 0; hostdev && i < h->n_pfs; i++)
		n += h->pfs[i].shared_iommu > 0 ? h->pfs[i].shared_iommu : 0;
	if (!n)
		return xstrdup("");
	return xasprintf("; %d free VF%s left out of a hostdev pool: %s IOMMU group holds other devices", n,
			 n == 1 ? "" : "s", n == 1 ? "its" : "their");
}

/* A source whose failure leaves the count unknown is the reason, not "no VF left". */
static int source_failure(const struct vf_host *h, char **errmsg)
{
	for (size_t i = 0; i < h->n_errors; i++)
		if (h->errors[i].source == VF_SRC_LIBVIRT || h->errors[i].source == VF_SRC_SYSFS)
			return set_error(errmsg, -EIO, "cannot count the VFs: %s", h->errors[i].message);
	return 0;
}

struct ctx {
	const struct vf_config *cfg;
	bool hostdev;
	time_t now;
	struct vf_host *h;
	struct vf_usage usage;
	struct vf_pool_plan plan;
	struct vf_pool_state st;
	struct vf_ledger ledger;
};

/* The one line VDSM shows. A pool in use keeps its running definition: the planned VFs it lacks
 * are part of the reason, and would otherwise be told only by a drift notice, which a failing run
 * does not print. */
static int no_vf(const struct ctx *c, const struct vf_take *req, int usable, int n_free, char **errmsg)
{
	_cleanup_free_ char *nl = pf_reasons(c->h, c->cfg->hook_require_link);
	_cleanup_free_ char *iommu = iommu_reason(c->h, c->hostdev);
	size_t pending = c->ledger.n, waiting = c->plan.n > (size_t)usable ? c->plan.n - (size_t)usable : 0;
	_cleanup_free_ char *later = waiting ? xasprintf("; %zu more usable VF%s join%s the pool when it is idle",
							 waiting, waiting == 1 ? "" : "s", waiting == 1 ? "s" : "")
					     : xstrdup("");
	return set_error(errmsg, -ENOSPC,
			 "no free VF for %s (%zu vNIC%s): pool %s has %d usable VFs, %d in use, %zu reserved by "
			 "starting vNICs, %d free%s%s%s",
			 req->what, req->n, req->n == 1 ? "" : "s", c->cfg->pool_network, usable, usable - n_free,
			 pending, n_free - (int)pending > 0 ? n_free - (int)pending : 0, later, iommu, nl);
}

/* Does the request's NUMA placement count ([hook] numa, and a pinned VM)? */
static bool numa_on(const struct ctx *c, const struct vf_take *req)
{
	return c->cfg->hook_numa != VF_HOOK_NUMA_IGNORE && req->nodes && req->nodes->pinned && req->n > 0;
}

/* The VFs libvirt hands out next must be local (required), or the start goes on and says why
 * not (preferred, a notice line). */
static int numa_check(const struct ctx *c, const struct vf_take *req, char **notice, char **errmsg)
{
	_cleanup_free_ char *line = NULL;
	size_t off = vf_numa_check(c->h, &c->st, &c->plan, c->hostdev, c->ledger.n, req->n, req->nodes,
				   c->cfg->pool_network, &line);
	if (off > 0 && c->cfg->hook_numa == VF_HOOK_NUMA_REQUIRED)
		return set_error(errmsg, -ENOSPC, "no NUMA-local VF for %s (%zu vNIC%s, numa = required): %s", req->what,
				 req->n, req->n == 1 ? "" : "s", line);
	/* logged either way: which VFs a pinned VM gets is worth a line in VDSM's log */
	char *more = xasprintf("%s%s%s%s", *notice ? *notice : "", *notice ? "; " : "", line,
			       off ? " (numa = preferred: started anyway)" : "");
	free(*notice);
	*notice = more;
	return 0;
}

static int gather(struct ctx *c, const struct vf_take *req, char **errmsg)
{
	/* a holder's name changes no placement: the /proc pass (a process at a time) is not paid */
	struct vf_gather_opts o = { .now = c->now, .skip_holder_names = true };
	int r = vf_gather(c->h, c->cfg, &o, &c->usage);
	if (r < 0)
		return set_error(errmsg, r, "cannot read %s/class/net: %s", vf_gather_sysfs_root(c->cfg, &o),
				 strerror(-r));
	r = source_failure(c->h, errmsg);
	if (r < 0)
		return r;
	vf_pool_plan(c->h, &c->usage, c->cfg->pool_network, c->hostdev, c->cfg->hook_require_link, &c->plan);
	return 0;
}

/* Bring the pool in line and take the ledger's word on who is still on the way. */
static int upkeep(struct ctx *c, virConnectPtr conn, const struct vf_take *req, char **notice, char **errmsg)
{
	const char *pool = c->cfg->pool_network;
	int r = vf_pool_read(conn, pool, &c->st, errmsg);
	if (r < 0)
		return r;
	r = vf_ledger_load(c->cfg->run_dir, &c->ledger, errmsg);
	if (r < 0)
		return r;
	if (c->ledger.dropped)
		*notice = xasprintf("skipped %zu malformed line(s) in %s", c->ledger.dropped, c->ledger.path);
	size_t ended = vf_ledger_expire(&c->ledger, c->now, c->cfg->reservation_ttl) +
		       vf_ledger_settle(&c->ledger, c->st.port_macs, c->st.n_ports);
	for (size_t i = 0; i < req->n; i++) /* a retry of the same start must not count itself */
		ended += vf_ledger_release(&c->ledger, req->vm, req->macs[i]);
	/* kept even when this request then fails: the next one needs no second look */
	if (ended > 0 && (r = vf_ledger_save(&c->ledger, errmsg)) < 0)
		return r;
	/* Local VFs first, only where vf_pool_apply may redefine the pool (idle): on a pool in use the
	 * order could not apply, and would only churn its persistent definition and log drift. */
	if (numa_on(c, req) && c->st.connections == 0 && c->st.n_ports == 0 && c->ledger.n == 0)
		vf_numa_order_plan(c->h, c->hostdev, req->nodes, &c->plan);
	_cleanup_free_ char *drift = NULL;
	r = vf_pool_apply(conn, pool, c->hostdev, &c->plan, c->ledger.n, &c->st, &drift, errmsg);
	if (drift && !*notice)
		*notice = TAKE_PTR(drift);
	return r;
}

struct sasl_creds {
	const char *user, *password;
};

/* libvirt asks for what its SASL mechanism needs; it frees the answers with free(). */
static int answer_creds(virConnectCredentialPtr cred, unsigned int n, void *data)
{
	const struct sasl_creds *sc = data;
	for (unsigned int i = 0; i < n; i++) {
		const char *v = cred[i].type == VIR_CRED_AUTHNAME ? sc->user
				: cred[i].type == VIR_CRED_PASSPHRASE ? sc->password
								       : NULL;
		if (!v)
			return -1;
		cred[i].result = xstrdup(v);
		cred[i].resultlen = (unsigned int)strlen(v);
	}
	return 0;
}

/* What the admin can do about a refused login, for the hook's one error line (VDSM shows it).
 * cyrus-sasl's "no mechanism" (libvirt: "Failed to start SASL negotiation: -4 (SASL(-4): no
 * mechanism available: No worthy mechs found)") comes before any password is sent: with no
 * login configured (SCRAM needs the credentials), or, with one, when the SCRAM plugin is missing
 * here; the password hint would send the admin the wrong way. A libvirtd without the plugin
 * answers only "authentication failed", as for a wrong password: that one cannot be told. */
static const char *auth_hint(const struct vf_config *cfg, int code, const char *msg)
{
	if (code != VIR_ERR_AUTH_FAILED && code != VIR_ERR_AUTH_UNAVAILABLE)
		return "";
	if (!cfg->libvirt_auth_user)
		return " (libvirtd wants a login: set libvirt_auth_user and libvirt_password_file in [vfcap], e.g. "
		       "vdsm@ovirt and /etc/pki/vdsm/keys/libvirt_password)";
	if (msg && strstr(msg, "SASL(-4)"))
		return " (the SASL mechanism libvirtd wants is not available to the hook: install its plugin, "
		       "libsasl2-modules on Debian, cyrus-sasl-scram on EL)";
	return " (check libvirt_auth_user and the password in libvirt_password_file)";
}

/* The read-write connection the pool upkeep needs. On a VDSM host libvirtd wants SASL
 * (auth_unix_rw = "sasl", user vdsm@ovirt): with libvirt_auth_user set, the credentials are
 * handed over when libvirt asks; a daemon that asks none (tests, plain hosts) never calls. */
static int open_rw(const struct vf_config *cfg, const char *uri, virConnectPtr *ret, char **errmsg)
{
	_cleanup_free_ char *password = NULL;
	if (cfg->libvirt_auth_user) {
		if (!cfg->libvirt_password_file)
			return set_error(errmsg, -EINVAL, "libvirt_auth_user is set but libvirt_password_file is not");
		int r = vf_read_secret_file(cfg->libvirt_password_file, "libvirt's SASL password", &password, errmsg);
		if (r < 0)
			return r;
	}
	struct sasl_creds sc = { cfg->libvirt_auth_user, password };
	int types[] = { VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE };
	virConnectAuth auth = { types, ARRAY_SIZE(types), answer_creds, &sc };
	*ret = cfg->libvirt_auth_user ? virConnectOpenAuth(uri, &auth, 0) : virConnectOpen(uri);
	if (!*ret) {
		const char *m = virGetLastErrorMessage();
		return set_error(errmsg, -EIO, "libvirt %s: %s%s", uri, m ? m : "cannot connect",
				 auth_hint(cfg, virGetLastErrorCode(), m));
	}
	return 0;
}

/* The read-write stretch: open, pool upkeep, close, under a deadline (the read before it has
 * its own, vf_libvirt_read_within). Stopped there, the hook has written nothing but ledger
 * lines of reservations already ended; the pool is set right by the next run. */
static int pool_upkeep(struct ctx *c, const struct vf_take *req, char **notice, char **errmsg)
{
	const char *uri = c->cfg->libvirt_uri ?: VF_LIBVIRT_DEFAULT_URI;
	_cleanup_free_ char *line = vf_log_line(VF_LOG_ERR,
						"%s: libvirt %s: no answer within %d s (libvirt_timeout): "
						"the daemon is hung or stopped; nothing was reserved",
						req->point ? req->point : "?", uri, c->cfg->libvirt_timeout);
	struct vf_watchdog *w = vf_watchdog_arm(c->cfg->libvirt_timeout, line);
	virConnectPtr conn = NULL;
	int r = open_rw(c->cfg, uri, &conn, errmsg);
	if (r == 0)
		r = upkeep(c, conn, req, notice, errmsg);
	conn_closep(&conn);
	vf_watchdog_disarm(w);
	return r;
}

static int run(struct ctx *c, const struct vf_take *req, char **notice, char **errmsg)
{
	int r = gather(c, req, errmsg);
	if (r < 0)
		return r;
	vf_libvirt_quiet(); /* the hook's stderr is VDSM's error text */
	r = pool_upkeep(c, req, notice, errmsg);
	if (r < 0 || req->n == 0)
		return r;
	int usable, n_free = vf_pool_free_members(&c->st, &c->plan, c->hostdev, &usable);
	if ((size_t)n_free < c->ledger.n + req->n)
		return no_vf(c, req, usable, n_free, errmsg);
	if (numa_on(c, req) && (r = numa_check(c, req, notice, errmsg)) < 0)
		return r;
	for (size_t i = 0; i < req->n; i++)
		vf_ledger_add(&c->ledger, req->vm, req->macs[i], c->now);
	return vf_ledger_save(&c->ledger, errmsg);
}

int vf_take(const struct vf_config *cfg, const struct vf_take *req, char **notice, char **errmsg)
{
	*notice = NULL;
	int lock = vf_pool_lock(cfg->run_dir, errmsg);
	if (lock < 0)
		return lock;
	struct ctx c = { .cfg = cfg, .hostdev = streq(cfg->pool_mode, "hostdev"), .now = time(NULL),
			 .h = vf_host_new() };
	int r = run(&c, req, notice, errmsg);
	if (r < 0) { /* a failure is its reason alone */
		free(*notice);
		*notice = NULL;
	}
	vf_pool_state_clear(&c.st);
	vf_pool_plan_clear(&c.plan);
	vf_usage_clear(&c.usage);
	vf_ledger_clear(&c.ledger);
	vf_host_free(c.h);
	close(lock);
	return r;
}

int vf_release(const struct vf_config *cfg, const char *vm, const char *mac, char **errmsg)
{
	int lock = vf_pool_lock(cfg->run_dir, errmsg);
	if (lock < 0)
		return lock;
	_cleanup_(ledger_clearp) struct vf_ledger l;
	int r = vf_ledger_load(cfg->run_dir, &l, errmsg);
	if (r == 0 && vf_ledger_release(&l, vm, mac) > 0)
		r = vf_ledger_save(&l, errmsg);
	close(lock);
	return r;
}
