/* SPDX-License-Identifier: MIT */
/* The oVirt engine REST API (docs/interfaces.md, 'The engine REST API'), read with libcurl and
 * libxml2, for facts the scheduler protocol does not carry: a VM's VF demand, a host's address,
 * and a VM's NUMA placement (below, 'a VM's NUMA placement').
 *
 * Demand = the VM's plugged vNICs whose vNIC profile has <pass_through><mode>enabled</mode> or a
 * custom property named `vmfex` (non-empty); each distinct profile is asked for once:
 *   GET {url}/vms/{vm}/nics                 -> <nics><nic id=..><plugged>true</plugged>
 *                                              <vnic_profile id=".."/></nic>...</nics>
 *   GET {url}/vnicprofiles/{profile}        -> <vnic_profile id=..><pass_through><mode>..</mode>
 *                                              </pass_through><custom_properties>...</vnic_profile>
 * Address: GET {url}/hosts -> <hosts><host id=..><address>..</address></host>...</hosts>.
 *
 * {url} is the API root, e.g. https://engine.example/ovirt-engine/api. Requests carry
 * `Accept: application/xml`, `Version: 4` and HTTP Basic credentials (user@domain, password);
 * TLS peers are verified against ca_file (never disabled). Answers are cached: a VM's demand for
 * cache_ttl seconds, profiles and the host list likewise (the host list is re-read at once when
 * an unknown host id is asked for, at most once per second; a failed read is the answer for
 * the rest of its second, so a down engine is not asked once per host). Thread-safe: the
 * service calls it from several threads; one mutex guards the cache, never held across a
 * request. Idle libcurl handles are kept (a few) so that requests reuse the engine connection
 * (keep-alive, TLS).
 *
 * Errors: -EINVAL for a bad id or options, or an answer that is not the document expected;
 * -EACCES for HTTP 401/403, -ENOENT for HTTP 404, -EIO for any other status or transport
 * failure, -ETIMEDOUT for a timeout, -EFBIG for an answer over 16 MiB (the host list, parsed
 * as it arrives and never held whole, may have 512 MiB: about 100,000 hosts). Redirects are never
 * followed (a 3xx is an error naming its status); only http and https URLs are used. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct vf_engine_opts {
	const char *url;      /* API root, no trailing slash needed */
	const char *ca_file;  /* NULL: the system's CA store */
	const char *user;     /* NULL: no credentials */
	const char *password;
	int timeout_ms;       /* whole request, connect included */
	int cache_ttl;        /* seconds */
	int cache_max;        /* entries kept per cache (VMs, profiles); 0: 65536. When full, stale
			       * entries are dropped, and if none is, a new answer is not kept. */
};

struct vf_engine;

/* -EINVAL with *errmsg when the URL is not http(s):// (or has a query or fragment),
 * timeout_ms < 1, cache_ttl < 0 or cache_max < 0. */
int vf_engine_new(const struct vf_engine_opts *o, struct vf_engine **ret, char **errmsg);
void vf_engine_free(struct vf_engine *e); /* NULL is fine */

/* Is id fit to be a path segment: 1 to 64 of [0-9a-fA-F-] (the engine's ids are UUIDs)?
 * Ids from the caller and from the engine's answers are checked before going into a URL. */
bool vf_engine_valid_id(const char *id);

/* *demand = number of the VM's plugged vNICs that need a VF (0 is a valid answer). On failure
 * -errno and *errmsg one line, e.g. "engine https://e/ovirt-engine/api/vms/ID/nics: HTTP 404"
 * or "...: timed out after 2000 ms" or "...: line 3: <vnic_profile> without id";
 * "engine: invalid VM id" (-EINVAL, nothing requested). */
int vf_engine_vm_demand(struct vf_engine *e, const char *vm_id, time_t now, int *demand, char **errmsg);
/* *address (caller frees) = the host's <address> (FQDN or IP). -ENOENT when the engine does
 * not know the host ("engine: no host ID") or lists it without an address; "engine: invalid
 * host id" (-EINVAL, nothing requested). */
int vf_engine_host_address(struct vf_engine *e, const char *host_id, time_t now, char **address,
			   char **errmsg);

/* ---- a VM's NUMA placement (docs/interfaces.md, 'NUMA placement') ----
 *
 * Where the VM runs on a host, in host NUMA nodes: the host nodes its vNUMA nodes are pinned to
 * (GET {url}/vms/{vm}/numanodes, <numa_node_pin><index>); when none is pinned, the host CPUs
 * its vCPUs are pinned to (GET {url}/vms/{vm}, <cpu><cpu_tune><vcpu_pins>), which become NUMA
 * nodes only on a host, through its topology (GET {url}/hosts/{host}/numanodes). Cached like
 * the demand (cache_ttl, cache_max): the placement per VM, the topology per host. Node indexes
 * are 0..63 (a node set is a uint64_t bit mask), CPU numbers 0..4095. */
#define VF_NUMA_NODES 64
#define VF_CPUS_MAX 4096

struct vf_cpuset {
	uint64_t bits[VF_CPUS_MAX / 64];
};

enum vf_pin_source {
	VF_PIN_NONE,  /* neither vNUMA nor vCPU pins: NUMA plays no part */
	VF_PIN_VNUMA, /* nodes: the host nodes its vNUMA nodes are pinned to */
	VF_PIN_VCPU,  /* cpus: the host CPUs its vCPUs are pinned to */
};

struct vf_vm_placement {
	enum vf_pin_source source;
	uint64_t nodes;
	char tune_mode[16]; /* numa_tune_mode (strict, interleave, preferred); "" when not said */
	struct vf_cpuset cpus;
};

/* The VM's placement; errors as vf_engine_vm_demand's ("engine: invalid VM id"). */
int vf_engine_vm_placement(struct vf_engine *e, const char *vm_id, time_t now, struct vf_vm_placement *p,
			   char **errmsg);
/* *nodes = the host NUMA nodes of p on host_id: p->nodes for vNUMA pins (nothing asked), the
 * nodes holding any of p->cpus for vCPU pins (the host's topology, cached), 0 for none. A
 * pinned CPU the host's topology does not list belongs to no node. Errors as above
 * ("engine: invalid host id"). */
int vf_engine_vm_nodes_on(struct vf_engine *e, const struct vf_vm_placement *p, const char *host_id,
			  time_t now, uint64_t *nodes, char **errmsg);
/* "0", "0,1", "-" for none; buf of at least 8 bytes; cut short with "..." */
void vf_numa_nodes_text(uint64_t nodes, char *buf, size_t size);

/* The XML readers, separate so that unit tests can feed them engine-shaped documents.
 * Each takes one document; errors as above without the URL prefix: -EINVAL and one line,
 * "empty document", "line N: DOCTYPE not allowed", "line N: root is <foo>, expected <nics>",
 * "line N: <nic> without id", "line N: <vnic_profile> has an invalid id", or "line N: " and
 * libxml2's first fatal error on one line. They read through lib/xml.c's reader: nothing is
 * fetched or expanded (no network, no DTD, no entity), a DOCTYPE is refused, more than
 * VF_XML_MAX_DEPTH elements open at once is "line N: Excessive depth in document: ...".
 * Expected elements are direct children matched by local name, the first of a name counts;
 * unknown elements are ignored; a value is the element's own text (elements inside it are not
 * looked into), blanks around it dropped. */
struct vf_engine_nic {
	char *profile_id; /* NULL when the vNIC has no profile (empty network) */
	bool plugged;     /* <plugged> true|false; absent: true */
};
int vf_engine_parse_nics(const char *xml, size_t len, struct vf_engine_nic **ret, size_t *n, char **errmsg);
void vf_engine_nics_free(struct vf_engine_nic *nics, size_t n);
/* *needs_vf = pass_through enabled or a `vmfex` custom property with a non-empty value. */
int vf_engine_parse_profile(const char *xml, size_t len, bool *needs_vf, char **errmsg);
struct vf_engine_host {
	char *id, *address; /* address NULL when the host has none (or an empty one) */
};
int vf_engine_parse_hosts(const char *xml, size_t len, struct vf_engine_host **ret, size_t *n, char **errmsg);
void vf_engine_hosts_free(struct vf_engine_host *hosts, size_t n);
/* The same, fed in pieces as they arrive (no tree is built: a list of any length costs only its
 * ids and addresses), read as UTF-8 whatever its encoding declaration says. feed returns 0 or -errno with *errmsg, the same for every later call;
 * take (after a last feed that returned 0) hands over the hosts. NULL: out of memory. */
struct vf_engine_hosts_parser;
struct vf_engine_hosts_parser *vf_engine_hosts_parser_new(void);
int vf_engine_hosts_parser_feed(struct vf_engine_hosts_parser *hp, const char *buf, size_t len, bool last,
				char **errmsg);
void vf_engine_hosts_parser_take(struct vf_engine_hosts_parser *hp, struct vf_engine_host **ret, size_t *n);
void vf_engine_hosts_parser_free(struct vf_engine_hosts_parser *hp);

/* GET /vms/{vm}/numanodes: <vm_numa_nodes><vm_numa_node><numa_node_pins><numa_node_pin>
 * <index>N</index>... *nodes = the union of the pins' indexes (0: none pinned); tune = the first
 * node's <numa_tune_mode> ("" when none), at most tune_size - 1 characters. An index that is
 * not 0..63 is "line N: <index> is not a NUMA node 0..63". */
int vf_engine_parse_vm_numa(const char *xml, size_t len, uint64_t *nodes, char *tune, size_t tune_size,
			    char **errmsg);
/* GET /vms/{vm}: <vm><cpu><cpu_tune><vcpu_pins><vcpu_pin><cpu_set>1-4,^3</cpu_set>... *cpus =
 * the union of every pin's set, *any = there is a pin; tune = <numa_tune_mode>. A bad set is
 * "line N: <cpu_set> 'X' is not a CPU list of 0..4095". */
int vf_engine_parse_vm(const char *xml, size_t len, struct vf_cpuset *cpus, bool *any, char *tune,
		       size_t tune_size, char **errmsg);
/* GET /hosts/{host}/numanodes: <host_numa_nodes><host_numa_node><index>N</index><cpu><cores>
 * <core><index>C</index>... One entry per node (*ret: free()). */
struct vf_host_numa_node {
	int index;
	struct vf_cpuset cpus;
};
int vf_engine_parse_host_numa(const char *xml, size_t len, struct vf_host_numa_node **ret, size_t *n,
			      char **errmsg);
/* A libvirt/engine CPU list: "N", "N-M", "^N" (taken out), comma-separated, into *set. */
int vf_cpuset_parse(const char *s, struct vf_cpuset *set);
