/*
 * auth.h - logging in to POP3: USER/PASS (RFC 1939 §7), AUTH PLAIN
 * (RFC 5034), and opening the maildrop once logged in; with a cert
 * loaded, neither is allowed in clear off loopback (RFC 2595 §2.4).
 */
#ifndef POP3_AUTH_H
#define POP3_AUTH_H

#include "pop3/pop3.h"

/* USER/PASS and AUTH may be used (login_in_clear_ok) */
int pop3_login_allowed(const struct pop3_session *s);
void pop3_cmd_user(struct pop3_session *s, char *arg);
void pop3_cmd_pass(struct pop3_session *s, char *arg);
void pop3_cmd_auth(struct pop3_session *s, char *arg);

#endif
