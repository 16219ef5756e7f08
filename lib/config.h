/* SPDX-License-Identifier: MIT */
/* /etc/vfcap/vfcap.conf: an INI file read with inih.
 *
 *   [vfcap]
 *   pfs = ens1f*, enp3s0f0      ; which PFs count (fnmatch globs); default: all
 *   drivers = ixgbe, enic       ; which PF drivers count; default: all
 *   pool_network = direct-pool  ; libvirt pool network of the hook
 *   pool_mode = passthrough     ; passthrough | hostdev
 *   hostname = node1            ; override gethostname()
 *   sysfs_root = /sys           ; sources, for the hook (VDSM passes no arguments)
 *   proc_root = /proc           ; VFIO holders and the pids of namespaces
 *   netns_root = /run/netns     ; named network namespaces (ip netns)
 *   libvirt_uri = qemu:///system
 *   libvirt_auth_user = vdsm@ovirt ; the hook's read-write connection on a VDSM host (SASL)
 *   libvirt_password_file = /etc/pki/vdsm/keys/libvirt_password
 *   libvirt_timeout = 30        ; seconds libvirt gets to answer (a hung daemon fails the read)
 *   netlink_file = FILE
 *   run_dir = /run/vfcap        ; the hook's lock and reservation ledger
 *   reservation_ttl = 300       ; seconds a vNIC's reservation waits for its pool connection
 *   serve_listen = 127.0.0.1:18782 ; `vfcap-report serve`: ADDR:PORT or [V6ADDR]:PORT
 *   serve_interval = 120        ; seconds: serve reads the host at least this often when
 *                               ; it watches, at most this often on request when it does not
 *   serve_watch = yes           ; serve reads the host when netlink, uevents or libvirt say
 *                               ; it changed (no: only on request, as above)
 *   serve_conn_timeout = 30     ; seconds an idle connection is kept
 *   serve_request_timeout = 10  ; seconds from a request's first byte to its last (slow
 *                               ; clients are cut then)
 *   serve_max_conns = 256
 *   serve_max_conns_per_ip = 64 ; connections from one address (0: no limit)
 *   tls = yes                   ; serve over TLS (default no; setting tls_cert or tls_key turns
 *                               ; it on too, `tls = no` beside them is an error)
 *   tls_cert = /etc/pki/vdsm/certs/vdsmcert.pem ; defaults: the host's VDSM certificate and key
 *   tls_key = /etc/pki/vdsm/keys/vdsmkey.pem
 *   tls_client_ca = /etc/pki/vdsm/certs/cacert.pem ; with TLS, clients need a certificate
 *                               ; signed by this CA (default: the engine CA); none: no check
 *   dirty = free                ; free | used: a free VF with a previous tenant's settings left
 *                               ; (VLAN, rate, trust, ...) counts free (default) or used
 *
 *   [hook]                      ; vfcap-hook only
 *   require_link = yes          ; keep VFs without a link (PF down, VF link_state disable)
 *                               ; out of the pool (default yes)
 *
 *   [filter]                    ; vfcap-filter, next to the engine (vfcap-filter(8))
 *   listen = 127.0.0.1:18781    ; ADDR:PORT or [V6ADDR]:PORT
 *   reports_dir = /var/lib/vfcap/reports  ; <host-id>.json files
 *   report_url = http://{address}:18782/v1/report ; {host_id}, {address} (from the engine API)
 *   report_ca_file = FILE       ; CA for https report URLs
 *   report_cert = FILE          ; client certificate (PEM) for reporters that check one
 *   report_key = FILE           ; its key
 *   fetch_timeout_ms = 2000     ; per report fetch
 *   cache_max_age = 30          ; seconds a fetched report is reused
 *   fetch_parallel = 32         ; fetches at once
 *   call_deadline = 10          ; seconds a call waits for fetches (the engine's
 *                               ; ExternalSchedulerResponseTimeout is 120); the rest: missing
 *   fetch_backoff_max = 300     ; seconds a failing reporter is left alone at most
 *   follow_wait = 50            ; seconds each host's long-poll (Prefer: wait=N) is held;
 *                               ; 0: no following, reports fetched per cache_max_age
 *   rescan_interval = 2         ; seconds between reports_dir rescans (inotify acts at once)
 *   audit_interval = 600        ; seconds before the engine hears of the same host and reason again
 *   threads = 2                 ; HTTP worker threads
 *   max_body = 16777216         ; bytes of one XML-RPC request
 *   conn_timeout = 30           ; seconds an idle connection is kept
 *   request_timeout = 30        ; seconds from a request's first byte to its last
 *   max_conns = 1024
 *   max_conns_per_ip = 256      ; connections from one address (0: no limit)
 *
 *   [engine]                    ; the engine REST API, for VM demand and host addresses
 *   url = https://engine.example/ovirt-engine/api
 *   ca_file = /etc/pki/ovirt-engine/ca.pem
 *   user = vfcap@internal
 *   password_file = /etc/vfcap/engine.password ; must be root-only (mode 0600 or stricter)
 *   timeout_ms = 5000
 *   cache_ttl = 60              ; seconds a VM's demand, a profile, the host list are reused
 *
 *   [pf ens1f0]                 ; section per PF; the name may be a glob (no ']'); first match wins
 *   reserved = 0-3, 7           ; VF indexes the admin keeps out of the pool
 *   physical_network = physnet1 ; labels
 *   fabric = A
 *
 * Keys start in column 0. An indented line continues the list of the key above it (long pfs=,
 * drivers= or reserved= lists); a line may hold at most inih's line buffer (198 characters on
 * Debian's build). Unknown sections or keys, a key set twice, a section given twice and invalid
 * values are errors, never ignored.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* The file every program reads unless told otherwise (vf_config_load_chosen). */
#define VF_CONFIG_DEFAULT_PATH "/etc/vfcap/vfcap.conf"

/* VF indexes in reserved= are 0 .. VF_CONFIG_MAX_VFS - 1. */
#define VF_CONFIG_MAX_VFS 4096

struct vf_range {
	int first, last;
};

struct vf_pf_config {
	char *pattern;
	struct vf_range *reserved;
	size_t n_reserved;
	char *physical_network;
	char *fabric;
};

/* A service's connection limits ([vfcap] serve_* for `vfcap-report serve`, [filter] for
 * vfcap-filter; lib/http.h applies them). */
struct vf_http_limits {
	int conn_timeout;     /* seconds a connection may stay idle */
	int request_timeout;  /* seconds from a request's first byte to its last */
	int max_conns;
	int max_conns_per_ip; /* 0: no limit */
};

struct vf_filter_config {
	char *listen;
	char *reports_dir;
	char *report_url;
	char *report_ca_file;
	char *report_cert;
	char *report_key;
	int fetch_timeout_ms;
	int cache_max_age;
	int fetch_parallel;
	int call_deadline;     /* seconds */
	int fetch_backoff_max; /* seconds */
	int follow_wait;       /* seconds a long-poll is held; 0: no following */
	int rescan_interval;
	int audit_interval; /* seconds a plugin_errors message is not repeated to the engine */
	int threads;
	int max_body;
	struct vf_http_limits http;
};

struct vf_engine_config {
	char *url; /* NULL: no engine API; demand comes from the policy's vf_demand */
	char *ca_file;
	char *user;
	char *password_file;
	int timeout_ms;
	int cache_ttl;
};

/* [hook] numa: what the hook does with a pinned VM's NUMA nodes (the filter's policy names). */
enum vf_hook_numa { VF_HOOK_NUMA_IGNORE, VF_HOOK_NUMA_PREFERRED, VF_HOOK_NUMA_REQUIRED };

struct vf_config {
	char *path; /* NULL for the built-in defaults */
	char **pf_globs;
	size_t n_pf_globs;
	char **drivers;
	size_t n_drivers;
	char *pool_network;
	char *pool_mode;
	char *hostname;
	char *sysfs_root;
	char *proc_root;
	char *netns_root;
	char *libvirt_uri;
	char *libvirt_auth_user;     /* the hook's read-write connection: SASL user, or NULL */
	char *libvirt_password_file; /* and the file holding its password */
	int libvirt_timeout;         /* seconds */
	char *netlink_file;
	char *run_dir;
	int reservation_ttl;
	char *serve_listen;
	int serve_interval;
	int serve_watch; /* 1 yes (default), 0 no */
	struct vf_http_limits serve_http;
	int tls; /* -1 unset, 0 no, 1 yes */
	char *tls_cert;
	char *tls_key;
	char *tls_client_ca; /* a path, or "none" */
	int dirty_used;      /* [vfcap] dirty = used: dirty VFs count used (state dirty) */
	int hook_require_link; /* [hook] require_link: no vNIC on a VF without a link */
	int hook_numa;         /* [hook] numa: enum vf_hook_numa */
	struct vf_pf_config *pfs;
	size_t n_pfs;
	struct vf_filter_config filter;
	struct vf_engine_config engine;
};

/* Built-in defaults (pool_network "direct-pool", pool_mode "passthrough", run_dir "/run/vfcap",
 * libvirt_timeout 30, reservation_ttl 300, serve_listen "127.0.0.1:18782", serve_interval 120, serve_watch 1, the serve_* and
 * [filter] limits above, tls -1, everything else unset). */
struct vf_config *vf_config_new(void);
/* Load path over the defaults. A missing file is -ENOENT (callers decide whether that is fatal).
 * On a syntax or value error returns -EINVAL and *errmsg = "FILE:LINE: what is wrong".
 * Any failure sets *errmsg (when errmsg is not NULL; caller frees) and leaves *ret untouched. */
int vf_config_load(const char *path, struct vf_config **ret, char **errmsg);
/* The one precedence rule of the three programs: explicit (--config) if not NULL, else
 * $VFCAP_CONFIG if set and not empty, else VF_CONFIG_DEFAULT_PATH. Only the default may be
 * missing (then *ret holds the built-in defaults): a file someone named must exist. Errors as
 * vf_config_load's. */
int vf_config_load_chosen(const char *explicit_path, struct vf_config **ret, char **errmsg);
void vf_config_free(struct vf_config *c);
static inline void vf_config_freep(struct vf_config **c)
{
	vf_config_free(*c);
}
#define _cleanup_config_ _cleanup_(vf_config_freep)

/* Does the PF count, by the pfs= and drivers= filters (driver may be NULL)? */
bool vf_config_pf_selected(const struct vf_config *c, const char *name, const char *driver);
/* The first [pf GLOB] section matching name, or NULL. */
const struct vf_pf_config *vf_config_find_pf(const struct vf_config *c, const char *name);
bool vf_config_vf_reserved(const struct vf_pf_config *pc, int index);
