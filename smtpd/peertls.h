/*
 * peertls.h - TLS towards a peer MTA, for the relay worker and the
 * recipient probe alike (issue 13).  STARTTLS (RFC 3207) to every peer
 * that offers it, its certificate not checked (Postfix's `may`); on a
 * `route ... tls` TLS is required and the certificate must verify
 * against tls_ca (the system's bundle when unset) for the name of the
 * host (the route's host, or the MX host), as Postfix's `verify`.
 *
 * Clear text only when STARTTLS is not offered (and not required): a
 * refused STARTTLS or a failed handshake is a temporary failure of the
 * attempt, tried again later, never a downgrade on the spot (a peer,
 * or someone in between, could otherwise make every session clear).
 * Built without TLS, nothing here starts TLS: a tls route is refused
 * when the config is loaded (conf.c).
 */
#ifndef PEERTLS_H
#define PEERTLS_H

#include <stddef.h>

#include "conf.h"
#include "smtpc.h"

struct tlsio_ctx;

struct peertls {
	struct tlsio_ctx *may;	  /* opportunistic: no certificate check */
	struct tlsio_ctx *verify; /* tls routes: tls_ca, the host's name */
	char err[300];		  /* why one of them could not be made */
	int made;
};

/*
 * Make the contexts for c (the verifying one only when a route asks
 * for TLS): once, in the process whose children use them.  A context
 * that cannot be made is logged; the sessions that need it then fail
 * (temporarily) with why.
 */
void peertls_init(struct peertls *pt, const struct conf *c);
void peertls_free(struct peertls *pt);

/*
 * After the peer's reply to EHLO on c: STARTTLS and the handshake when
 * offered or required (required: a certificate verified for name), each
 * wait within c's current timeout.  1: TLS is on, EHLO again (RFC 3207
 * §4.2: the extensions are forgotten); 0: it stays clear (STARTTLS not
 * offered and not required, or built without TLS); -1: a temporary
 * failure, the text for the recipients' error in err ("451 4.7.x why"),
 * and the connection is only good for QUIT (not even that when
 * c->broken).
 */
int peertls_start(struct peertls *pt, struct smtpc *c, const char *name,
		  int required, char *err, size_t errsize);

/*
 * For a log line: " tls=verified version=TLSv1.3 cipher=... bits=256"
 * (tls=unverified when the certificate was not checked), "" in clear.
 */
void peertls_note(const struct smtpc *c, int verified, char *buf, size_t size);

#endif
