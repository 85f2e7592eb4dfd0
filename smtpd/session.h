/*
 * session.h - one SMTP session (RFC 5321) as a session child speaks it:
 * the session struct, its states, and the entry points of the files that
 * make up the protocol: smtp.c (command table, HELO..QUIT), data.c
 * (DATA: end-of-data, dot un-stuffing, size limit), deliver.c (Maildir
 * and queue, all-or-nothing), auth.c (AUTH PLAIN/LOGIN, RFC 4954).
 */
#ifndef SESSION_H
#define SESSION_H

#include <sys/types.h>

#include "addr.h"
#include "conf.h"
#include "lineio.h"
#include "smtpd.h"

/* RFC 5321 §4.5.3.1.4: a command line is at most 512 octets with CRLF */
#define SMTP_LINE_MAX 512
#define SMTP_ERRORS_MAX 20
#define SMTP_AUTH_FAILURES_MAX 3

enum smtp_state {
	S_INIT = 0x01,	  /* before HELO/EHLO */
	S_GREETED = 0x02, /* after HELO/EHLO, no MAIL yet */
	S_MAIL = 0x04,	  /* after MAIL, no RCPT yet */
	S_RCPT = 0x08,	  /* after at least one RCPT */
	S_ANY = 0x0f
};

struct rcpt {
	struct mailaddr addr;
	char text[ADDR_MAX]; /* as formatted for headers and logs */
	int local;
};

struct smtp_session {
	struct smtpd *d;
	enum service svc;
	struct lineio lio;
	enum smtp_state state;
	char client_ip[64];
	char helo[256];
	int esmtp;
	int authenticated;
	char auth_user[ADDR_MAX];
	int auth_failures;
	struct mailaddr from;
	char from_text[ADDR_MAX];
	struct rcpt *rcpts;
	int nrcpt;
	int errors;
	int quit;
	char qid[24];
	char line[SMTP_LINE_MAX + 1];
};

/* serve one connection on fds; returns when the session ends */
void smtp_session_run(struct smtpd *d, enum service svc, int rfd, int wfd,
		      const char *client_ip);
/* send one reply line (CRLF added); counts errors, logs with -v */
void smtp_reply(struct smtp_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void smtp_reset(struct smtp_session *s);

/* data.c */
enum data_result { DATA_OK, DATA_TOO_BIG, DATA_IO_ERROR, DATA_LOST };
enum data_result data_receive(struct smtp_session *s, int *spoolfd,
			      off_t *size);
int spool_create(const struct conf *c);

/* deliver.c: every recipient gets the message, or none does */
int deliver_message(struct smtp_session *s, int spoolfd, off_t size);

/* verify.c: with verify_recipients, ask the peer at RCPT time; 0 accept,
 * -1 refused (the reply has been sent) */
int relay_verify_rcpt(struct smtp_session *s, const struct rcpt *r);

/* auth.c */
void smtp_cmd_auth(struct smtp_session *s, char *arg);

#endif
