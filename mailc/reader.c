/*
 * reader.c - see reader.h.  The password is asked for before connecting,
 * so a person typing never runs into the server's timeout.  It relies on
 * pop3c.c for the protocol (and TLS), secure.c for what may go in
 * clear, config.c for the TLS settings, password.c and common.c; it reads and
 * deletes no message (the modes do).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#include "common.h"
#include "config.h"
#include "password.h"
#include "pop3c.h"
#include "reader.h"

static const char *
reader_env_port(const struct secure *s)
{
	const char *v = getenv("MAILC_POP3_PORT");

	if (v != NULL && *v != '\0')
		return v;
	return secure_mode(s) == SECURE_IMPLICIT ? READER_DEFAULT_POP3S_PORT
						 : READER_DEFAULT_PORT;
}

int
reader_options(struct reader_opts *o, int argc, char **argv, int operand)
{
	const char *cmd = argv[0];
	int ch;

	memset(o, 0, sizeof(*o));
	secure_init(&o->tls);
	if ((argc = secure_options(&o->tls, argc, argv, "Hpu")) < 0)
		return EX_USAGE;
	o->host = mailc_env_host();
	if ((o->user = getenv("MAILC_USER")) != NULL && *o->user == '\0')
		o->user = NULL;
	/* the operand may come first (mailc read 3 -u bob) or last */
	if (operand && argc > 1 && argv[1][0] != '-') {
		o->arg = argv[1];
		argc--;
		argv++;
	}
	opterr = 0;
	optind = 1;
	while ((ch = getopt(argc, argv, operand ? ":H:p:u:dv" : ":H:p:u:v")) !=
	       -1) {
		switch (ch) {
		case 'H':
			o->host = optarg;
			break;
		case 'p':
			o->port = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'd':
			o->delete = 1;
			break;
		case 'v':
			o->trace = stderr;
			break;
		case ':':
			mailc_warnx("%s: option -%c needs a value", cmd,
				    optopt);
			return mailc_usage();
		default:
			mailc_warnx("%s: unknown option -%c", cmd, optopt);
			return mailc_usage();
		}
	}
	if (operand && o->arg == NULL && optind < argc)
		o->arg = argv[optind++];
	if (optind != argc || (operand && o->arg == NULL))
		return mailc_usage();
	if (o->user == NULL) {
		mailc_warnx("%s: who is reading? use -u user (or MAILC_USER)",
			    cmd);
		return EX_USAGE;
	}
	if (config_secure(&o->tls) != 0)
		return EX_CONFIG;
	if (o->port == NULL)
		o->port = reader_env_port(&o->tls);
	if (mailc_check_host(o->host) < 0 || mailc_check_port(o->port) < 0)
		return EX_USAGE;
	return 0;
}

int
reader_open(struct pop3c *c, const struct reader_opts *o)
{
	char pass[PASSWORD_MAX + 1], what[MAILC_HOST_MAX + 64];
	int status;

	/* ask first: a person typing must not run into the server's timeout */
	if ((status = password_get(o->user, pass, sizeof(pass))) != 0)
		return status;
	if ((status = pop3c_connect(c, o->host, o->port, &o->tls,
				    o->trace)) != 0)
		goto done;
	snprintf(what, sizeof(what), "%s port %s", o->host, o->port);
	/* USER and PASS never cross the network in clear unless asked */
	if (secure_may_send_password(&o->tls, c->fd, c->lio.tls != NULL,
				     what) < 0)
		status = EX_NOPERM;
	else
		status = pop3c_login(c, o->user, pass);
	if (status != 0) {
		(void)pop3c_quit(c);
		pop3c_close(c);
	}
done:
	wipe(pass, sizeof(pass));
	return status;
}
