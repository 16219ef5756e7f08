/* SPDX-License-Identifier: MIT */
/* The TLS side of `vfcap-report serve`: which files, read and checked at start, and the client
 * certificate check of every request. */
#pragma once

#include <microhttpd.h>

#include "config.h"

/* The host's VDSM certificate and key (signed by the engine CA) and the engine CA itself. */
#define VF_TLS_DEFAULT_CERT "/etc/pki/vdsm/certs/vdsmcert.pem"
#define VF_TLS_DEFAULT_KEY "/etc/pki/vdsm/keys/vdsmkey.pem"
#define VF_TLS_DEFAULT_CLIENT_CA "/etc/pki/vdsm/certs/cacert.pem"

struct serve_tls {
	char *cert, *key; /* PEM text; NULL: plain HTTP */
	char *ca;         /* PEM text; NULL: no client certificate asked for */
	const char *cert_path, *key_path, *ca_path;
};

/* TLS is on when tls = yes, or tls_cert or tls_key is set; the unset files take the VDSM
 * defaults, and tls_client_ca = none turns the client check off. Reads and parses the files
 * (gnutls). Returns 0 (plain HTTP: t->cert NULL), or an exit code after printing one line:
 * EXIT_USAGE for settings that contradict, EXIT_CANNOT_START for a file that cannot
 * be read or used. */
int serve_tls_load(const struct vf_config *c, struct serve_tls *t);
void serve_tls_clear(struct serve_tls *t); /* wipes the key */

/* NULL when the connection's client certificate is signed by tls_client_ca and valid now,
 * else why not (caller frees). */
char *serve_tls_refusal(struct MHD_Connection *conn);
