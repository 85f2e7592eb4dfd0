/*
 * pop3.h - the types of one POP3 session (RFC 1939) that the files of
 * smtpd/pop3/ share: the session struct, its states and its limits.  No
 * functions: each file has its own header.  The files, from the top:
 * session.c (command table, dispatch, CAPA, STLS, STAT, LIST, UIDL,
 * DELE, RSET, NOOP, QUIT), auth.c (USER, PASS, AUTH PLAIN, opening the
 * maildrop, whether logging in is allowed in clear), retr.c (RETR and
 * TOP: CRLF and dot-stuffing), reply.c (a leaf: replies, the error count,
 * message numbers), maildrop.c (the Maildir scan, lock, sizes, UIDL,
 * deletion).
 */
#ifndef POP3_POP3_H
#define POP3_POP3_H

#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "lineio.h"
#include "pop3/maildrop.h"
#include "smtpd.h"

/* RFC 2449 §4 allows 255 octets; be as lenient as for SMTP (512) */
#define POP3_LINE_MAX 512
#define POP3_ERRORS_MAX 20
#define POP3_AUTH_FAILURES_MAX 3
/* SMTP_STOPPING_REPLY's POP3 counterpart ([SYS/TEMP]: RFC 3206 §4) */
#define POP3_STOPPING_REPLY "-ERR [SYS/TEMP] Server shutting down"

enum pop3_state {
	P_AUTH = 0x01,	/* AUTHORIZATION, no USER yet */
	P_USER = 0x02,	/* AUTHORIZATION, USER given, PASS expected */
	P_TRANS = 0x04, /* TRANSACTION: logged in, maildrop open and locked */
	P_ANY = 0x07
};

struct pop3_session {
	struct smtpd *d;
	enum service svc; /* SVC_POP3, or SVC_POP3S: TLS from the start */
	struct lio_command_replies cmd; /* how a bad line is answered */
	enum pop3_state state;
	char client_ip[64];
	char tls[128]; /* "VERSION:CIPHER" once in TLS (sesstls.h), or "" */
	char user[ADDR_MAX];	  /* from USER */
	char auth_user[ADDR_MAX]; /* logged in as */
	int auth_failures;
	int errors;
	int commands;	  /* for the disconnect log line */
	int64_t start_ms; /* when it connected (now_ms) */
	int quit;
	struct maildrop drop;
	char line[POP3_LINE_MAX + 1];
	/*
	 * last: the session zeroes what comes before it, not its 32 KiB of
	 * buffers, which an idle session never touches (lio_init)
	 */
	struct lineio lio;
};

#endif
