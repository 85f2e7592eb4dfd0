/*
 * smtp.h - what mailc's two sending modes (send.c, interactive.c) share
 * on top of the SMTP client (lib/smtpc): opening a session (connect and
 * the 220 banner), turning a failed step into a message and an exit
 * status, and the polite QUIT.  It composes no command of a transaction.
 */
#ifndef MAILC_SMTP_H
#define MAILC_SMTP_H

#include <stdio.h>

#include "secure.h"
#include "smtpc.h"

/* seconds: to connect, and for each reply */
#define MAILC_TIMEOUT 30
/* for the reply to the final "." (RFC 5321 §4.5.3.2.6: 10 minutes) */
#define MAILC_DATA_TIMEOUT 600

/* what became of one transaction, for choosing what to keep */
enum send_outcome {
	SEND_SENT,	    /* 250 to the final dot */
	SEND_DEFER_SERVER,  /* no server to talk to now: try again later */
	SEND_DEFER_MESSAGE, /* 4xx to this message: try it again later */
	SEND_REFUSED,	    /* 5xx to this message: never again */
	SEND_FAILED,	    /* a setting or the server is wrong: not tried */
};

/*
 * Connect to host port (trace: smtpc's trace stream, or NULL) and read
 * the banner, after the TLS handshake when s (NULL: none) says implicit
 * TLS.  0 with c open, or an exit status after a message with c closed
 * and c->code -1: EX_UNAVAILABLE when the connection or TLS fails (or
 * this build has none), else as mailc_smtp_fail() for a banner other
 * than 220.
 */
int mailc_smtp_open(struct smtpc *c, const char *host, const char *port,
		    FILE *trace, const struct secure *s);
/*
 * After EHLO: STARTTLS when the server offers it (or s requires it) and
 * s allows it, then EHLO again (RFC 3207 §4.2).  0 (in TLS or not, as s
 * allows), or EX_UNAVAILABLE after a message naming `what` when TLS was
 * required and not had or the handshake failed (a certificate that does
 * not verify is such a failure: never a fall back to clear text).
 */
int mailc_smtp_starttls(struct smtpc *c, const struct secure *s,
			const char *host, const char *what);
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
