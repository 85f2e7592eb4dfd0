/*
 * peertls.c - see peertls.h.  Relies on smtpc_tls for STARTTLS and the
 * handshake (lib/smtpc.c) and on tlsio for the contexts; the rules of
 * when to use TLS and what a failure means are all here.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "peertls.h"
#include "tlsio.h"
#include "util.h"

void
peertls_init(struct peertls *pt, const struct conf *c)
{
	struct tlsio_params p = {0};
	char err[sizeof(pt->err)];
	int i, required = 0;

	memset(pt, 0, sizeof(*pt));
	pt->made = 1;
	if (!tlsio_built())
		return;
	p.ciphers = c->tls_ciphers;
	p.protocols = c->tls_protocols;
	if ((pt->may = tlsio_client_ctx(&p, err, sizeof(err))) == NULL) {
		log_warnx("TLS to peers: %s", err);
		strlcpy(pt->err, err, sizeof(pt->err));
	}
	for (i = 0; i < c->nroutes; i++)
		required |= c->routes[i].tls;
	if (!required)
		return;
	p.verify = 1;
	p.ca = c->tls_ca[0] != '\0' ? c->tls_ca : NULL;
	if ((pt->verify = tlsio_client_ctx(&p, err, sizeof(err))) == NULL) {
		log_warnx("TLS to peers on tls routes: %s", err);
		strlcpy(pt->err, err, sizeof(pt->err));
	}
}

void
peertls_free(struct peertls *pt)
{
	tlsio_ctx_free(pt->may);
	tlsio_ctx_free(pt->verify);
	pt->may = pt->verify = NULL;
	pt->made = 0;
}

int
peertls_start(struct peertls *pt, struct smtpc *c, const char *name,
	      int required, char *err, size_t errsize)
{
	struct tlsio_ctx *ctx = required ? pt->verify : pt->may;

	if (!(c->ext & SMTPC_EXT_STARTTLS)) {
		if (!required)
			return 0;
		/* RFC 3207 §4: a client that requires TLS must not go on */
		snprintf(err, errsize,
			 "451 4.7.4 TLS is required, but was not offered");
		return -1;
	}
	if (!tlsio_built())
		return 0; /* no tls route can be configured then */
	if (ctx == NULL) {
		snprintf(err, errsize, "451 4.7.5 TLS unavailable: %s",
			 pt->err[0] ? pt->err : "no TLS context");
		return -1;
	}
	if (smtpc_tls(c, ctx, name, 1) == 0)
		return 1;
	if (c->code > 0 && c->code != 220)
		/* refused (RFC 3207 §4: 454 or 501): tried again later */
		snprintf(err, errsize, "451 4.7.5 STARTTLS refused: %.200s",
			 c->text);
	else if (required)
		snprintf(
		    err, errsize,
		    "451 4.7.5 TLS failed (certificate checked for %.100s): "
		    "%.200s",
		    name, c->err);
	else
		snprintf(err, errsize, "451 4.7.5 TLS failed: %.200s", c->err);
	return -1;
}

void
peertls_note(const struct smtpc *c, int verified, char *buf, size_t size)
{
	if (c->lio.tls == NULL || c->tls_desc[0] == '\0') {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, size, " tls=%s %s", verified ? "verified" : "unverified",
		 c->tls_desc);
}
