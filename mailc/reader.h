/*
 * reader.h - what mailc's reading modes over POP3 (DESIGN.md §3) share:
 * their command line, and opening a session (the password, connect, log
 * in).  The modes themselves are inbox.c, read.c and fetch.c:
 *
 *   mailc inbox [-v] [-H host] [-p port] -u user
 *   mailc read N [-v] [-H host] [-p port] -u user [-d]
 *   mailc fetch DIR [-v] [-H host] [-p port] -u user [-d]
 *
 * with the TLS options of secure.h, else the TLS settings of the
 * configuration (config_secure()).  -v traces the session on stderr.
 * The host is -H, else MAILC_HOST, else localhost.  The port is -p, else
 * MAILC_POP3_PORT, else 110 (995 with implicit TLS): MAILC_PORT is the
 * SMTP port used for sending, so it is not used here.  The user is -u, else MAILC_USER; the
 * password MAILC_PASSWORD, else asked on the terminal.  Exit statuses
 * (sysexits.h): 0 done, 64 usage, 66 no message N, 69 server unreachable
 * or refusing, 73 the local Maildir cannot be created, 74 a local write
 * failed, 75 temporary ([IN-USE], [SYS/TEMP], timeout, connection lost),
 * 77 login refused (or, by mailc, the password would go in clear).
 */
#ifndef READER_H
#define READER_H

#include <stdio.h>

#include "pop3c.h"
#include "secure.h"

#define READER_DEFAULT_PORT "110"
#define READER_DEFAULT_POP3S_PORT "995"

struct reader_opts {
	const char *host, *port, *user;
	const char *arg; /* N for read, DIR for fetch */
	int delete;	 /* -d */
	FILE *trace;	 /* -v: stderr */
	struct secure tls;
};

/*
 * The command line of a reading mode: argv[0] names it; with operand
 * set, one operand (N or DIR, before the options or after them) is
 * required and -d is allowed.  The user, host and port are checked.  0,
 * or an exit status after a message.
 */
int reader_options(struct reader_opts *o, int argc, char **argv, int operand);
/* ask for the password, connect, log in; 0 or an exit status */
int reader_open(struct pop3c *c, const struct reader_opts *o);

#endif
