/*
 * auth.h - SMTP AUTH (RFC 4954): PLAIN and LOGIN.
 */
#ifndef SMTP_AUTH_H
#define SMTP_AUTH_H

#include "smtp/smtp.h"

/*
 * Is AUTH offered and accepted now: always without a key pair (tls_cert);
 * with one, inside TLS, or in clear when auth_plaintext is on or the
 * client is this host's loopback address (127.0.0.1, ::1) or a pipe
 * (inetd mode): smtpd.conf(5), auth_plaintext.
 */
int auth_offered(const struct smtp_session *s);
/* AUTH mechanism [initial-response]: the whole exchange, replied */
void smtp_cmd_auth(struct smtp_session *s, char *arg);

#endif
