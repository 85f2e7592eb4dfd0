/*
 * mailc.h - what mailc's modules share: the entry point of each mode
 * (sending from stdin, the interactive walk-through, and later reading
 * over POP3), and the small helpers main.c provides to all of them
 * (messages on stderr, defaults from the environment, the local host name).
 *
 * Exit statuses are the sysexits.h values (DESIGN.md §3).
 */
#ifndef MAILC_H
#define MAILC_H

#include <sysexits.h>

struct smtpc;

#define MAILC_DEFAULT_HOST "localhost"
#define MAILC_DEFAULT_PORT "25"
/* seconds: to connect, and for each reply */
#define MAILC_TIMEOUT 30
/* for the reply to the final "." (RFC 5321 §4.5.3.2.6: 10 minutes) */
#define MAILC_DATA_TIMEOUT 600
#define MAILC_HOST_MAX 255

/* send.c: mailc [options] rcpt... < message */
int send_main(int argc, char **argv);
/* interactive.c: mailc -i; host and port are the offered defaults */
int interactive_main(const char *host, const char *port);

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
/*
 * Report a failed step of an SMTP session ("mailc: what: reply") and map
 * it to an exit status: no reply at all (connection lost, timeout) is
 * EX_TEMPFAIL, a malformed reply EX_UNAVAILABLE, 4xx EX_TEMPFAIL, anything
 * else EX_UNAVAILABLE.
 */
int mailc_smtp_fail(const struct smtpc *c, int code, const char *what);
/* QUIT politely when the connection is still usable, then close it */
void mailc_smtp_quit(struct smtpc *c, int code);

#endif
