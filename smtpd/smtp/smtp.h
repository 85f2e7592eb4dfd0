/*
 * smtp.h - the types of one SMTP session (RFC 5321) that the files of
 * smtpd/smtp/ share: the session struct, its states and its limits.  No
 * functions: each file has its own header.  The files, from the top:
 * session.c (the command table, HELO..QUIT), data.c (DATA: end-of-data,
 * un-stuffing, size limit, handing over to store/deliver), auth.c (AUTH
 * PLAIN/LOGIN, RFC 4954), verify.c (the RCPT-time probe), reply.c (a
 * leaf: every reply, the error count, the transaction reset).  TLS
 * (STARTTLS, RFC 3207; smtps, RFC 8314) is session.c's: once it is on,
 * every read and write goes through s->lio.tls (lineio.h).
 */
#ifndef SMTP_SMTP_H
#define SMTP_SMTP_H

#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "conf.h"
#include "lineio.h"
#include "smtpd.h"

/* RFC 5321 §4.5.3.1.4: a command line is at most 512 octets with CRLF */
#define SMTP_LINE_MAX 512
#define SMTP_ERRORS_MAX 20
#define SMTP_AUTH_FAILURES_MAX 3
/* what a session waiting for a command is told when the daemon stops
 * (RFC 5321 §3.8), and any session at the end of the grace (shutdown.c) */
#define SMTP_STOPPING_REPLY "421 4.3.2 Server shutting down, closing connection"
/* the longest reply line we send, CRLF excluded */
#define SMTP_REPLY_MAX 1024

enum smtp_state {
	S_INIT = 0x01,	  /* before HELO/EHLO */
	S_GREETED = 0x02, /* after HELO/EHLO, no MAIL yet */
	S_MAIL = 0x04,	  /* after MAIL, no RCPT yet */
	S_RCPT = 0x08,	  /* after at least one RCPT */
	S_ANY = 0x0f
};

/* one final target of the transaction: an RCPT gives one, or as many
 * as its aliases expand to (expand.h) */
struct rcpt {
	struct mailaddr addr;
	char text[ADDR_MAX]; /* as formatted for headers and logs */
	/* stamped as Delivered-To: for it (expand.h's struct target);
	 * a remote RCPT's own address.  A message that already has it is
	 * a loop (data.c) */
	char delivered_to[ADDR_MAX];
	int local;
};

struct smtp_session {
	struct smtpd *d;
	enum service svc;
	struct lio_command_replies cmd; /* how a bad line is answered */
	char timeout_reply[300];
	enum smtp_state state;
	char client_ip[64];
	/* "TLSv1.3:TLS_AES_256_GCM_SHA384" once TLS is on (the logs' tls=) */
	char tls[128];
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
	int commands;	  /* for the disconnect log line */
	int64_t start_ms; /* when it connected (now_ms) */
	int quit;
	char qid[24];
	char line[SMTP_LINE_MAX + 1];
	/*
	 * last: the session zeroes what comes before it, not its 32 KiB of
	 * buffers, which an idle session never touches (lio_init)
	 */
	struct lineio lio;
};

#endif
