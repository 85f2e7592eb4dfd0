/*
 * log.h - one error idiom for every program here (after OpenSMTPD's log.c):
 * log_warn keeps errno and appends strerror, log_warnx does not; fatal and
 * fatalx log and exit.  Output goes to stderr, or to syslog (LOG_MAIL)
 * with `log syslog` and in inetd mode; log_init may be called again to
 * switch.
 * Every line is escaped as a whole (log.c): client strings go in with a
 * plain %s, and no byte of them can break or forge a line.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

void log_init(const char *progname, int use_syslog, int verbose);
int log_verbose(void);
/*
 * A client's string as the value of a key=value field: the bytes that
 * could end it or start another field are escaped too (log.c).  The
 * result lives until LOG_VALUE_SLOTS more calls: use it in one log call.
 */
const char *log_value(const char *s);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
