/*
 * common.c - see common.h.  Messages go to stderr after stdout is
 * flushed, so the two keep their order on one terminal.  It relies on
 * the C library and lib/util only, and talks to no server.
 */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#include "common.h"

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

static const char usage[] =
"usage: mailc [-tv] [-H host] [-p port] [-u user] [-f from] "
	      "[-s subject]\n"
	      "             [-c cc] [-b bcc] [-a file]... [rcpt ...] < message\n"
	      "       mailc -i [-H host] [-p port]\n"
	      "       mailc inbox [-v] [-H host] [-p port] -u user\n"
	      "       mailc read N [-v] [-H host] [-p port] -u user [-d]\n"
	      "       mailc fetch DIR [-v] [-H host] [-p port] -u user [-d]\n"
	      "       mailc flush [-v] [-H host] [-p port] [-u user]\n"
	      "       sendmail [-ti] [-f sender] [-F name] [-o option] "
	      "[--] [rcpt ...]\n"
	      "       mailc --help | --version\n"
	      "TLS options (sending, flush, inbox, read, fetch): --tls | "
	      "--tls-required,\n"
	      "       --tls-ca file, --tls-insecure, --auth-plaintext\n";

int
mailc_usage(void)
{
	fputs(usage, stderr);
	return EX_USAGE;
}

int
mailc_help(void)
{
	fputs(usage, stdout);
	fputs("\nSend the message on stdin to the recipients; options may "
	      "follow them,\n"
	      "and after -- all are recipients.  -a attaches a file "
	      "(repeat for more).\n"
	      "mailc -i walks you through sending (a terminal is needed).\n"
	      "What the server cannot take now waits in the outbox for "
	      "mailc flush.\n"
	      "See mailc(1).\n",
	      stdout);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : EX_IOERR;
}

int
mailc_version(void)
{
	printf("mailc %s\n", MAILC_VERSION);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : EX_IOERR;
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

static char configured_domain[MAILC_HOST_MAX + 1];

void
mailc_set_domain(const char *domain)
{
	if (domain == NULL ||
	    strlcpy(configured_domain, domain, sizeof(configured_domain)) >=
		sizeof(configured_domain))
		configured_domain[0] = '\0';
}

const char *
mailc_domain(void)
{
	static char canon[MAILC_HOST_MAX + 1];
	struct addrinfo hints, *res;

	if (configured_domain[0] != '\0')
		return configured_domain;
	if (canon[0] != '\0')
		return canon;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(mailc_hostname(), NULL, &hints, &res) == 0) {
		if (res->ai_canonname != NULL &&
		    strchr(res->ai_canonname, '.') != NULL &&
		    mailc_check_host(res->ai_canonname) == 0)
			strlcpy(canon, res->ai_canonname, sizeof(canon));
		freeaddrinfo(res);
	}
	if (canon[0] == '\0') {
		strlcpy(canon, mailc_hostname(), sizeof(canon));
		if (strchr(canon, '.') == NULL)
			mailc_warnx("warning: host name %s is not fully "
				    "qualified; set domain, or use -f",
				    canon);
	}
	return canon;
}
