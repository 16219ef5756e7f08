/* SPDX-License-Identifier: MIT */
/* The four XML-RPC methods of the engine's external-scheduler client (methods.c): the only
 * place where wire values (xmlrpc.h) become a policy, host ids and verdicts (units.h) and back. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "units.h"
#include "xmlrpc.h"

/* Defaults, then the properties struct (NULL or an empty struct: defaults). Unknown properties
 * are ignored (the policy may hold other units' properties). A value that does not match the
 * unit's properties_validation is -EINVAL with *errmsg "property NAME: 'VALUE' is not ...". */
int vf_policy_from_props(const struct rpc_value *props, struct vf_policy *p, char **errmsg);

/* The engine-facing side: everything one call needs, shared by the service's threads. */
struct vf_engine;
struct vf_audit;
struct vf_filter_ctx {
	struct vf_sources *sources;
	struct vf_engine *engine; /* NULL: demand = the policy's vf_demand */
	struct vf_audit *audit;   /* NULL: every plugin_errors message on every call (audit.h) */
	bool log;                 /* the details behind plugin_errors on stderr (the service) */
};

/* What a call did, for the service's one log line and /metrics. */
struct vf_call_stats {
	char method[32];
	size_t hosts_in, hosts_out;
	bool fault;
	bool plugin_errors; /* result_code 1 */
	/* runFilters' hosts by reason: [0] passed, [1] rejected */
	size_t hosts[2][VF_HOST_REASONS];
};

/* XML-RPC fault codes (the interoperability list of specs.xmlrpc.com). */
#define VF_FAULT_PARSE (-32700)
#define VF_FAULT_INVALID_REQUEST (-32600)
#define VF_FAULT_NO_METHOD (-32601)
#define VF_FAULT_INVALID_PARAMS (-32602)

/* Answer one parsed call into w (a methodResponse or a fault; never nil). */
void vf_filter_call(struct vf_filter_ctx *ctx, const struct rpc_call *call, time_t now,
		    struct rpc_writer *w, struct vf_call_stats *st);
