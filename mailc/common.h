/*
 * common.h - the helpers every mailc mode uses: messages on stderr, the
 * usage text, the -H and -p defaults from the environment, the checks
 * of a host name and a port, this machine's name and mail domain.
 *
 * They know no protocol and call no mode.  Exit statuses everywhere in
 * mailc are the sysexits.h values (DESIGN.md §3), hence the include.
 */
#ifndef COMMON_H
#define COMMON_H

#include <sysexits.h>

#define MAILC_DEFAULT_HOST "localhost"
#define MAILC_DEFAULT_PORT "25"
#define MAILC_DEFAULT_SMTPS_PORT "465" /* with --tls (RFC 8314) */
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
/* this machine's name, for EHLO/HELO */
const char *mailc_hostname(void);
/* the `domain` setting (a configuration file's); NULL or "" unsets it */
void mailc_set_domain(const char *domain);
/*
 * The fully qualified domain of the default sender and of Message-ID:
 * the `domain` setting, else this host's canonical name (getaddrinfo
 * AI_CANONNAME), else the host name, with a warning (once) that it is
 * not fully qualified.
 */
const char *mailc_domain(void);
/* --help (the usage on stdout) and --version: their exit status, 0 */
int mailc_help(void);
int mailc_version(void);

#define MAILC_VERSION "0.10"

#endif
