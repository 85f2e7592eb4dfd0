/*
 * sesstls.h - a session's side of TLS, SMTP and POP3 alike (issue 13):
 * the handshake on the session's connection with the master's key pair
 * (smtpd.tls), after STARTTLS's or STLS's reply or at connect on smtps
 * and pop3s, each step logged the same way for both protocols.
 */
#ifndef SESSTLS_H
#define SESSTLS_H

#include <stddef.h>

#include "conf.h"
#include "lineio.h"
#include "smtpd.h"

/*
 * Start TLS on lio (lio_tls_start: what the client sent before the
 * handshake is dropped, never read as commands), logged as `what`
 * ("STARTTLS", "STLS", "TLS") with the client and service.  0, with
 * "VERSION:CIPHER" in tls (the tls= of later log lines); or -1, logged:
 * the session must end, nothing more can be said in clear or in TLS.
 * From then on the end of a stop's grace writes no bye in clear into
 * the TLS stream (shutdown.h).
 */
/* STARTTLS/STLS is offered: a key pair, and not in TLS yet (RFC 3207
 * §4.2, RFC 2595 §4) */
int sesstls_offered(const struct smtpd *d, const struct lineio *lio);
int sesstls_start(const struct smtpd *d, struct lineio *lio, enum service svc,
		  const char *client_ip, const char *what, char *tls,
		  size_t tlssize);

#endif
