/*
 * password.h - the password for AUTH: MAILC_PASSWORD, else asked on the
 * terminal with echo off.  Never from the command line, where every user
 * of the machine could read it in ps(1).
 */
#ifndef PASSWORD_H
#define PASSWORD_H

#include <stddef.h>

#define PASSWORD_MAX 512

/*
 * Fill buf (size bytes) with the password of user.  0, or an exit status
 * after a message: EX_NOPERM when there is no terminal to ask on.  The
 * caller wipe()s buf after use.
 */
int password_get(const char *user, char *buf, size_t size);

#endif
