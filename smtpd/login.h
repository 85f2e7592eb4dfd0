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

#endif
