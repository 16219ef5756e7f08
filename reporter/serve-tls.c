/* SPDX-License-Identifier: MIT */
/* serve-tls.h: the files are read once at start and parsed by gnutls here, so a bad file is
 * one clear line and exit 2 rather than libmicrohttpd's generic failure to start. */
#include "serve-tls.h"

#include <errno.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "log.h"
#include "serve.h"
#include "util.h"

#define TLS_FILE_MAX (1 << 20)

static int read_pem(const char *key, const char *path, char **ret)
{
	int r = read_full_file(path, ret, NULL, TLS_FILE_MAX);
	if (r < 0) {
		log_error("%s %s: %s", key, path, r == -EFBIG ? "file too large" : strerror(-r));
		return EXIT_CANNOT_START;
	}
	return 0;
}

static gnutls_datum_t datum(const char *pem)
{
	return (gnutls_datum_t){ (unsigned char *)pem, (unsigned)strlen(pem) };
}

static int check_pem(const struct serve_tls *t)
{
	gnutls_certificate_credentials_t x;
	int r = gnutls_certificate_allocate_credentials(&x);
	if (r < 0) {
		log_error("gnutls: %s", gnutls_strerror(r));
		return EXIT_CANNOT_START;
	}
	gnutls_datum_t cert = datum(t->cert), key = datum(t->key);
	r = gnutls_certificate_set_x509_key_mem(x, &cert, &key, GNUTLS_X509_FMT_PEM);
	if (r < 0)
		log_error("tls_cert %s, tls_key %s: %s", t->cert_path, t->key_path,
			gnutls_strerror(r));
	if (r >= 0 && t->ca) {
		gnutls_datum_t ca = datum(t->ca);
		r = gnutls_certificate_set_x509_trust_mem(x, &ca, GNUTLS_X509_FMT_PEM);
		if (r <= 0)
			log_error("tls_client_ca %s: %s", t->ca_path,
				r == 0 ? "no PEM certificate in the file" : gnutls_strerror(r));
		r = r == 0 ? -1 : r;
	}
	gnutls_certificate_free_credentials(x);
	return r < 0 ? EXIT_CANNOT_START : 0;
}

/* A client CA needs TLS, and `tls = no` beside a certificate is a contradiction: both would
 * leave the admin believing in a check that is not made. */
static int check_settings(const struct vf_config *c, bool on)
{
	const char *where = c->path ? c->path : "config";
	if (c->tls == 0 && (c->tls_cert || c->tls_key)) {
		log_error("%s: tls = no, but %s is set", where, c->tls_cert ? "tls_cert" : "tls_key");
		return EXIT_USAGE;
	}
	if (!on && c->tls_client_ca && !streq(c->tls_client_ca, "none")) {
		log_error("%s: tls_client_ca needs TLS (tls = yes, or tls_cert and tls_key)",
			where);
		return EXIT_USAGE;
	}
	return 0;
}

int serve_tls_load(const struct vf_config *c, struct serve_tls *t)
{
	*t = (struct serve_tls){ 0 };
	bool on = c->tls == 1 || c->tls_cert || c->tls_key;
	int r = check_settings(c, on);
	if (r || !on)
		return r;
	t->cert_path = c->tls_cert ? c->tls_cert : VF_TLS_DEFAULT_CERT;
	t->key_path = c->tls_key ? c->tls_key : VF_TLS_DEFAULT_KEY;
	t->ca_path = c->tls_client_ca ? c->tls_client_ca : VF_TLS_DEFAULT_CLIENT_CA;
	if (streq(t->ca_path, "none"))
		t->ca_path = NULL;
	if ((r = read_pem("tls_cert", t->cert_path, &t->cert)) || (r = read_pem("tls_key", t->key_path, &t->key)) ||
	    (t->ca_path && (r = read_pem("tls_client_ca", t->ca_path, &t->ca))) || (r = check_pem(t))) {
		serve_tls_clear(t);
		return r;
	}
	return 0;
}

void serve_tls_clear(struct serve_tls *t)
{
	if (t->key)
		explicit_bzero(t->key, strlen(t->key));
	free(t->cert);
	free(t->key);
	free(t->ca);
	*t = (struct serve_tls){ 0 };
}

char *serve_tls_refusal(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return xstrdup("not a TLS connection");
	/* MHD asked for a certificate (MHD_OPTION_HTTPS_MEM_TRUST) but does not require one:
	 * whether there is one, and whether it chains to the CA and is valid now, is checked here */
	unsigned status = 0;
	int r = gnutls_certificate_verify_peers2((gnutls_session_t)ci->tls_session, &status);
	if (r == GNUTLS_E_NO_CERTIFICATE_FOUND)
		return xstrdup("a client certificate is required");
	if (r < 0)
		return xasprintf("client certificate: %s", gnutls_strerror(r));
	if (status == 0)
		return NULL;
	gnutls_datum_t out = { NULL, 0 };
	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) < 0)
		return xstrdup("client certificate: not trusted");
	char *why = xasprintf("client certificate: %s", (const char *)out.data);
	gnutls_free(out.data);
	return why;
}
