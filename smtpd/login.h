/*
 * login.h - checking a login, the steps SMTP AUTH and POP3 share: look
 * the user up, wait for a hash slot at the master's gate (authgate.h),
 * check the password, tell the master how it went.  It costs the same
 * whether the user exists or not: an unknown user's password is hashed
 * against an account's hash of the kind most accounts have (as Dovecot
 * hashes a dummy), so the time a failure takes does not tell.
 */
#ifndef LOGIN_H
#define LOGIN_H

#include "passwd.h"
#include "smtpd.h"

enum login_result {
	LOGIN_OK,
	LOGIN_FAILED,	/* unknown user or wrong password */
	LOGIN_REFUSED,	/* this client's address is over auth_fail_limit */
	LOGIN_TEMPFAIL, /* no hash slot in time: try again later */
};

/* refresh the table and check user's password; *ap is the account on
 * LOGIN_OK, else NULL */
enum login_result login_check(struct accounts *t, const char *user,
			      const char *password, const struct account **ap);
/*
 * Whether a password may cross this connection (issue 13): always when
 * there is no key pair (no TLS to offer), inside TLS (in_tls), with
 * auth_plaintext, and from client_ip 127.0.0.1 or ::1 -- the address
 * local programs (a webmail, a script, mailc) connect from by default,
 * not all of 127.0.0.0/8: a client that picked another source address
 * chose to look like another host -- or "local" (inetd mode on a pipe).
 */
int login_in_clear_ok(const struct smtpd *d, int in_tls,
		      const char *client_ip);

#endif
