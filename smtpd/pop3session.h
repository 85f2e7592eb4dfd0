/*
 * pop3session.h - one POP3 session (RFC 1939) as a session child speaks
 * it: the session struct, its states, and the entry points of the files
 * that make up the protocol: pop3.c (command table, dispatch, CAPA,
 * STAT, LIST, UIDL, DELE, RSET, NOOP, QUIT), pop3auth.c (USER, PASS,
 * AUTH PLAIN, opening the maildrop), pop3retr.c (RETR and TOP: streaming
 * a message with CRLF and dot-stuffing).  The maildrop is maildrop.c.
 */
#ifndef POP3SESSION_H
#define POP3SESSION_H

#include <sys/types.h>

#include "addr.h"
#include "lineio.h"
#include "maildrop.h"
#include "smtpd.h"

/* RFC 2449 §4 allows 255 octets; be as lenient as for SMTP (512) */
#define POP3_LINE_MAX 512
#define POP3_ERRORS_MAX 20
#define POP3_AUTH_FAILURES_MAX 3

enum pop3_state {
	P_AUTH = 0x01,	/* AUTHORIZATION, no USER yet */
	P_USER = 0x02,	/* AUTHORIZATION, USER given, PASS expected */
	P_TRANS = 0x04, /* TRANSACTION: logged in, maildrop open and locked */
	P_ANY = 0x07
};

struct pop3_session {
	struct smtpd *d;
	struct lineio lio;
	enum pop3_state state;
	char client_ip[64];
	char user[ADDR_MAX];	  /* from USER */
	char auth_user[ADDR_MAX]; /* logged in as */
	int auth_failures;
	int errors;
	int quit;
	struct maildrop drop;
	char line[POP3_LINE_MAX + 1];
};

/* one reply line, CRLF added; counts -ERR replies, logs with -v */
void pop3_reply(struct pop3_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* a message number or line count: 1 to 9 digits and nothing else; or -1 */
long long pop3_number(const char *s);
/* the message arg names (1..n, not deleted) as an index; -1 after -ERR */
int pop3_msgno(struct pop3_session *s, const char *arg, size_t *i);
/* the size of message i as sent; -1 after -ERR */
int pop3_octets(struct pop3_session *s, size_t i, off_t *octets);

/* pop3auth.c */
void pop3_cmd_user(struct pop3_session *s, char *arg);
void pop3_cmd_pass(struct pop3_session *s, char *arg);
void pop3_cmd_auth(struct pop3_session *s, char *arg);

/* pop3retr.c */
void pop3_cmd_retr(struct pop3_session *s, char *arg);
void pop3_cmd_top(struct pop3_session *s, char *arg);

#endif
