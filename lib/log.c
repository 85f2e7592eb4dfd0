/*
 * log.c - logging to stderr (foreground, systemd's journal) or syslog
 * (LOG_MAIL: `log syslog` in smtpd.conf, and inetd mode, where stderr
 * may be the client's socket).  Each line is written with one write(2)
 * so lines from forked children do not interleave.
 *
 * Every line is escaped here, whatever its arguments: a byte outside
 * printable ASCII (0x20-0x7e), and the backslash itself, is written as a
 * backslash and three octal digits (LF as \012, ESC as \033, "\" as
 * \134).  So a client-supplied name, HELO, address, command or peer reply
 * can never start a log line of its own (what fail2ban reads) nor reach a
 * terminal as a control sequence, and the original bytes can be read back
 * (printf '%b', Python's codecs.escape_decode).  Callers pass client
 * strings with a plain %s: nothing can be forgotten.
 *
 * A client's string that is the value of a key=value field goes in
 * through log_value(), which marks the bytes that would end the value or
 * start another field (blank, =, <, >, [, ], (, ), "): those are written
 * as \ooo too, so "user=bob client=[6.6.6.6]" sent as a name is logged
 * as one value, user=bob\040client\075\1336.6.6.6\135, and no tool that
 * splits fields can be given a second client= or size=.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

/* a formatted message is cut at this many bytes, before escaping */
#define LOG_MSG_MAX 2048

/* before a byte log_value() wants escaped; itself marked when in a value */
#define LOG_VALUE_MARK '\001'
#define LOG_VALUE_MAX 1024 /* a value is cut at this many bytes */
#define LOG_VALUE_SLOTS 8  /* values one log call may use at once */

static const char *log_prog = "mail";
static int log_syslog;
static int log_verb;

void
log_init(const char *progname, int use_syslog, int verbose)
{
	/* called again (a reload): the syslog connection follows suit */
	if (log_syslog && !use_syslog)
		closelog();
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

/*
 * Append src to dst, which holds *len bytes of size, escaped (see the
 * top); stops before an escape that would not fit, and keeps dst
 * NUL-terminated.
 */
static void
log_escape(char *dst, size_t size, size_t *len, const char *src)
{
	const unsigned char *p;

	for (p = (const unsigned char *)src; *p != '\0'; p++) {
		if (*p == LOG_VALUE_MARK && p[1] != '\0')
			p++; /* log_value's: the next byte is escaped */
		else if (*p >= 0x20 && *p <= 0x7e && *p != '\\') {
			if (*len + 1 >= size)
				break;
			dst[(*len)++] = (char)*p;
			continue;
		}
		if (*len + 4 >= size)
			break;
		dst[(*len)++] = '\\';
		dst[(*len)++] = (char)('0' + (*p >> 6));
		dst[(*len)++] = (char)('0' + ((*p >> 3) & 7));
		dst[(*len)++] = (char)('0' + (*p & 7));
	}
	dst[*len] = '\0';
}

const char *
log_value(const char *s)
{
	static char slot[LOG_VALUE_SLOTS][2 * LOG_VALUE_MAX + 1];
	static unsigned next;
	char *out = slot[next++ % LOG_VALUE_SLOTS];
	const unsigned char *p;
	size_t n = 0;

	for (p = (const unsigned char *)s; *p != '\0' && n < 2 * LOG_VALUE_MAX;
	     p++) {
		if (*p == LOG_VALUE_MARK || strchr(" =<>[]()\"", *p) != NULL)
			out[n++] = LOG_VALUE_MARK;
		out[n++] = (char)*p;
	}
	out[n] = '\0';
	return out;
}

static void
log_emit(int pri, const char *err, const char *fmt, va_list ap)
{
	/* room for every byte of msg escaped, the prefix, the error */
	char msg[LOG_MSG_MAX], line[4 * LOG_MSG_MAX + 256];
	size_t len = 0;
	int n;

	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	if (!log_syslog) {
		n = snprintf(line, sizeof(line), "%s[%ld]: ", log_prog,
			     (long)getpid());
		if (n < 0 || (size_t)n >= sizeof(line))
			return;
		len = (size_t)n;
	}
	/* one byte kept for the newline */
	log_escape(line, sizeof(line) - 1, &len, msg);
	if (err) {
		log_escape(line, sizeof(line) - 1, &len, ": ");
		log_escape(line, sizeof(line) - 1, &len, err);
	}
	if (log_syslog) {
		syslog(pri, "%s", line);
		return;
	}
	line[len++] = '\n';
	(void)!write(STDERR_FILENO, line, len);
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
