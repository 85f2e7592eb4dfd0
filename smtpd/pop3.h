/*
 * pop3.h - the POP3 service (RFC 1939, RFC 2449 CAPA, RFC 5034 AUTH) as a
 * session child speaks it.
 */
#ifndef POP3_H
#define POP3_H

#include "smtpd.h"

void pop3_session_run(struct smtpd *d, int rfd, int wfd, const char *client_ip);

#endif
