/*
 * password.h - the password for AUTH: MAILC_PASSWORD, else the output of
 * the password_command setting, else asked on the terminal with echo off.  Never from the command line, where every user
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
/*
 * Fill buf with the first line of what cmd (the password_command
 * setting) writes on its stdout, run as /bin/sh -c cmd with stdin from
 * /dev/null.  0, or EX_NOPERM after a message when it fails (exit
 * status other than 0, a signal, no output, a line too long).
 */
int password_command(const char *cmd, char *buf, size_t size);

#endif
