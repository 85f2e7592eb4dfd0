/*
 * log.c - logging to stderr (foreground, systemd's journal) or syslog
 * (inetd mode, where stderr may be the client's socket).  Each line is
 * written with one write(2) so lines from forked children do not interleave.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static const char *log_prog = "mail";
static int log_syslog;
static int log_verb;

void
log_init(const char *progname, int use_syslog, int verbose)
{
	log_prog = progname;
	log_syslog = use_syslog;
	log_verb = verbose;
	if (use_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

int
log_verbose(void)
{
	return log_verb;
}

static void
log_emit(int pri, const char *err, const char *fmt, va_list ap)
{
	char msg[2048], line[2200];
	int n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_syslog) {
		if (err)
			syslog(pri, "%s: %s", msg, err);
		else
			syslog(pri, "%s", msg);
		return;
	}
	if (err)
		n = snprintf(line, sizeof(line), "%s[%ld]: %s: %s\n", log_prog,
			     (long)getpid(), msg, err);
	else
		n = snprintf(line, sizeof(line), "%s[%ld]: %s\n", log_prog,
			     (long)getpid(), msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

#define LOG_BODY(pri, witherr)                                                 \
	do {                                                                   \
		int saved = errno;                                             \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_emit(pri, witherr ? strerror(saved) : NULL, fmt, ap);      \
		va_end(ap);                                                    \
		errno = saved;                                                 \
	} while (0)

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, 0);
}

void
log_debug(const char *fmt, ...)
{
	if (log_verb)
		LOG_BODY(LOG_DEBUG, 0);
}

void
log_warn(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, 1);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, 0);
}

void
fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, 1);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, 0);
	exit(1);
}
