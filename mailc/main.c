/*
 * main.c - mailc's entry point: picks the mode from the command line and
 * provides the helpers every mode shares (see mailc.h).
 *
 *   mailc inbox|read|fetch ...   reading mail over POP3 (a table below)
 *   mailc -i, or no arguments on a terminal: the interactive walk-through
 *   mailc [options] rcpt... < message: send (send.c)
 *
 * It does not talk to any server itself.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "smtpc.h"
#include "util.h"

#include "mailc.h"
#include "reader.h"

/*
 * Subcommands: the first argument names one, the rest are its own.  The
 * POP3 reader (reader.c, fetch.c, pop3c.c) serves all three.
 */
struct subcmd {
	const char *name;
	int (*main)(const char *cmd, int argc, char **argv);
};

static const struct subcmd subcmds[] = {
	{"inbox", pop3c_main},
	{"read", pop3c_main},
	{"fetch", pop3c_main},
};

int
main(int argc, char **argv)
{
	size_t i;

	log_init("mailc", 0, 0);
	/* a server that hangs up must give us EPIPE, not kill us */
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1)
		for (i = 0; i < nitems(subcmds); i++)
			if (strcmp(argv[1], subcmds[i].name) == 0)
				return subcmds[i].main(argv[1], argc - 1,
						       argv + 1);
	if (argc == 1 && isatty(STDIN_FILENO))
		return interactive_main(mailc_env_host(), mailc_env_port());
	return send_main(argc, argv);
}

static void
mailc_vwarn(const char *err, const char *fmt, va_list ap)
{
	fflush(stdout); /* keep the order when both go to a terminal */
	fputs("mailc: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (err != NULL)
		fprintf(stderr, ": %s", err);
	fputc('\n', stderr);
}

void
mailc_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mailc_vwarn(NULL, fmt, ap);
	va_end(ap);
}

void
mailc_warn(const char *fmt, ...)
{
	const char *err = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	mailc_vwarn(err, fmt, ap);
	va_end(ap);
}

int
mailc_usage(void)
{
	fputs("usage: mailc [-tv] [-H host] [-p port] [-u user] [-f from] "
	      "[-s subject]\n"
	      "             [-c cc] [-b bcc] [rcpt ...] < message\n"
	      "       mailc -i [-H host] [-p port]\n"
	      "       mailc inbox [-H host] [-p port] -u user\n"
	      "       mailc read N [-H host] [-p port] -u user [-d]\n"
	      "       mailc fetch DIR [-H host] [-p port] -u user [-d]\n",
	      stderr);
	return EX_USAGE;
}

static const char *
env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : dflt;
}

const char *
mailc_env_host(void)
{
	return env_or("MAILC_HOST", MAILC_DEFAULT_HOST);
}

const char *
mailc_env_port(void)
{
	return env_or("MAILC_PORT", MAILC_DEFAULT_PORT);
}

int
mailc_check_host(const char *s)
{
	const char *p;

	for (p = s; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			break;
	if (*s == '\0' || *p != '\0' || p - s > MAILC_HOST_MAX) {
		mailc_warnx("bad host name: %.80s", s);
		return -1;
	}
	return 0;
}

int
mailc_check_port(const char *s)
{
	const char *p;
	long n = 0;

	for (p = s; *p >= '0' && *p <= '9' && n <= 65535; p++)
		n = n * 10 + (*p - '0');
	if (p == s || *p != '\0' || n < 1 || n > 65535) {
		mailc_warnx("bad port: %.80s (a number from 1 to 65535)", s);
		return -1;
	}
	return 0;
}

const char *
mailc_hostname(void)
{
	static char name[MAILC_HOST_MAX + 1];

	if (name[0] == '\0' &&
	    (gethostname(name, sizeof(name)) < 0 || name[0] == '\0' ||
	     memchr(name, '\0', sizeof(name)) == NULL))
		strlcpy(name, "localhost", sizeof(name));
	return name;
}

int
mailc_smtp_fail(const struct smtpc *c, int code, const char *what)
{
	char text[sizeof(c->text)];
	char *p;

	if (code < 0) {
		/* "malformed reply" (smtpc): not SMTP, no use trying again */
		mailc_warnx("%s: %s", what, c->err);
		return strncmp(c->err, "malformed", 9) == 0 ? EX_UNAVAILABLE
							    : EX_TEMPFAIL;
	}
	/* a multi-line reply on one line of stderr */
	strlcpy(text, c->text, sizeof(text));
	for (p = text; (p = strchr(p, '\n')) != NULL;)
		*p = ' ';
	mailc_warnx("%s: %s", what, text);
	return code >= 400 && code < 500 ? EX_TEMPFAIL : EX_UNAVAILABLE;
}

void
mailc_smtp_quit(struct smtpc *c, int code)
{
	/* after 421 or a lost connection there is no one left to talk to */
	if (c->fd >= 0 && code >= 0 && code != 421 && !c->lio.werr) {
		lio_set_timeout(&c->lio, MAILC_TIMEOUT);
		smtpc_cmd(c, "QUIT");
	}
	smtpc_close(c);
}
