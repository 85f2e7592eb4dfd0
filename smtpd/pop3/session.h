/*
 * session.h - the POP3 service (RFC 1939, RFC 2449 CAPA, RFC 5034 AUTH)
 * as the master starts it in a session child (or inetd mode).
 */
#ifndef POP3_SESSION_H
#define POP3_SESSION_H

#include "smtpd.h"

void pop3_session_run(struct smtpd *d, int rfd, int wfd, const char *client_ip);

#endif
