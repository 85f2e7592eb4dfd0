/*
 * login.h - checking a login, the steps SMTP AUTH and POP3 share: look
 * the user up, check the password.  It costs the same
 * whether the user exists or not: an unknown user's password is hashed
 * against an account's hash of the kind most accounts have (as Dovecot
 * hashes a dummy), so the time a failure takes does not tell.
 */
#ifndef LOGIN_H
#define LOGIN_H

#include "passwd.h"

enum login_result {
	LOGIN_OK,
	LOGIN_FAILED, /* unknown user or wrong password */
};

/* refresh the table and check user's password; *ap is the account on
 * LOGIN_OK, else NULL */
enum login_result login_check(struct accounts *t, const char *user,
			      const char *password, const struct account **ap);

#endif
