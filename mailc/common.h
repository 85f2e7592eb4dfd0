/*
 * common.h - the helpers every mailc mode uses: messages on stderr, the
 * usage text, the -H and -p defaults from the environment, the checks
 * of a host name and a port, and this machine's name.
 *
 * They know no protocol and call no mode.  Exit statuses everywhere in
 * mailc are the sysexits.h values (DESIGN.md §3), hence the include.
 */
#ifndef COMMON_H
#define COMMON_H

#include <sysexits.h>

#define MAILC_DEFAULT_HOST "localhost"
#define MAILC_DEFAULT_PORT "25"
#define MAILC_HOST_MAX 255

/* "mailc: " + message + newline on stderr */
void mailc_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* the same with ": " and strerror(errno) appended */
void mailc_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* the usage text of every mode, on stderr; returns EX_USAGE */
int mailc_usage(void);
/* -H and -p defaults: MAILC_HOST / MAILC_PORT, else the built-in ones */
const char *mailc_env_host(void);
const char *mailc_env_port(void);
/* 0 for a usable host name / port number (1-65535); else -1, said why */
int mailc_check_host(const char *s);
int mailc_check_port(const char *s);
/* this machine's name, for EHLO/HELO, Message-ID and the default sender */
const char *mailc_hostname(void);
/* the `domain` setting (config.c); the string must outlive its use */
void mailc_set_domain(const char *domain);
/* the domain of the default sender: the `domain` setting, else the
 * host name */
const char *mailc_domain(void);

#endif
