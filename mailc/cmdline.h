/*
 * cmdline.h - the command line of sending, which also picks the
 * interactive mode:
 *
 *   mailc [-tv] [-H host] [-p port] [-u user] [-f from] [-s subject]
 *         [-c cc] [-b bcc] [-a file]... [rcpt ...] < message
 *   mailc -i [-H host] [-p port]
 *
 * and the TLS options of secure.h (--tls, --tls-required, --tls-ca FILE,
 * --tls-insecure, --auth-plaintext) anywhere before a "--".
 *
 * Options may follow recipients (as mailx and msmtp take them); after
 * "--" everything is a recipient, even "-x".  It parses; it checks only
 * what the parse itself needs (the -c and -b address lists, -i alone).  The host, the port, the recipients and the
 * sender are checked by the mode that uses them.
 */
#ifndef CMDLINE_H
#define CMDLINE_H

#include <stdio.h>

#include "message.h"
#include "secure.h"

struct cmdline {
	const char *host, *port;  /* -H, -p; NULL: config_apply() decides */
	const char *user;	  /* -u, else config; NULL: no AUTH */
	const char *from;	  /* -f, else config; sendmail's "<>", "": null sender */
	const char *fullname;	  /* sendmail -F: From's display name */
	const char *subject;	  /* -s */
	struct msg_addrs cc, bcc; /* -c, -b, parsed */
	int extract;		  /* -t */
	FILE *trace;		  /* -v: stderr */
	int interactive;	  /* -i */
	char **rcpts;		  /* the operands, not parsed yet */
	int nrcpts;
	int queued; /* set by send_main: the message waits in the outbox */
	/* password_command: from the config only (config.h) */
	const char *password_command;
	const char **attach;	  /* -a, in order (malloc'd array) */
	int nattach;
	struct secure tls; /* --tls... (secure.h), else config */
};

/*
 * Parse argv into cl (which cmdline_free() then frees, whatever the
 * outcome).  0, or an exit status after a message: EX_USAGE for a bad
 * option, for -i with anything but -H, -p and -v, EX_DATAERR for a bad
 * -c or -b address.
 */
int cmdline_parse(struct cmdline *cl, int argc, char **argv);
/* cl empty (config_apply() fills in the settings left NULL);
 * cmdline_parse() starts with it, sendmail.c fills the rest its own way */
void cmdline_init(struct cmdline *cl);
void cmdline_free(struct cmdline *cl);

#endif
