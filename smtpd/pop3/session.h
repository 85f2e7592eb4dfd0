/*
 * session.h - the POP3 service (RFC 1939, RFC 2449 CAPA, RFC 5034 AUTH)
 * as the master starts it in a session child (or inetd mode), on a
 * pop3 listener (STLS offered when a cert is loaded, RFC 2595) or a pop3s
 * one (TLS from the first byte, RFC 8314).
 */
#ifndef POP3_SESSION_H
#define POP3_SESSION_H

#include "smtpd.h"

void pop3_session_run(struct smtpd *d, enum service svc, int rfd, int wfd,
		      const char *client_ip);

#endif
