/*
 * smtpc.h - the client side of SMTP, shared by the relay child and mailc.
 *
 * Connects with a timeout (net.c), reads multi-line replies (bounded in
 * length and count), sends commands singly or pipelined (RFC 2920), parses
 * the EHLO extensions, authenticates with AUTH PLAIN (RFC 4954), and
 * streams a message body with dot-stuffing.  With a trace stream it prints every
 * command, every reply line and each command's round-trip time.
 *
 * One timeout bounds each wait (a whole reply, the write of one buffer):
 * the connect timeout until smtpc_set_timeout() changes it, which a
 * caller with a timeout per step (the relay: Postfix's smtp_*_timeout)
 * does before each step, naming it so that the error text does too.
 */
#ifndef SMTPC_H
#define SMTPC_H

#include <stdint.h>
#include <stdio.h>

#include "dot.h"
#include "lineio.h"

#define SMTPC_EXT_PIPELINING 0x01
#define SMTPC_EXT_SIZE 0x02
#define SMTPC_EXT_8BITMIME 0x04
#define SMTPC_EXT_AUTH_PLAIN 0x08
#define SMTPC_EXT_AUTH_LOGIN 0x10
#define SMTPC_EXT_ENHANCED 0x20
#define SMTPC_EXT_STARTTLS 0x40

#define SMTPC_PIPE_MAX 256

struct smtpc {
	struct lineio lio;
	int fd;
	FILE *trace;	   /* NULL: quiet */
	int code;	   /* last reply code, or -1 */
	char text[4096];   /* last reply: its lines without CRLF, joined by \n */
	char err[256];	   /* why the last call failed, for messages */
	double rtt_ms;	   /* round-trip time of the last reply */
	unsigned ext;	   /* SMTPC_EXT_* from EHLO */
	long long size_max;
	int64_t sent_us[SMTPC_PIPE_MAX];
	int npending;
	int broken;	   /* a command could not be sent: the session is over */
	struct dot_out dot;
	int timeout_sec;       /* the current timeout, as smtpc_set_timeout */
	char timeout_name[40]; /* its name for error texts, or "" */
	char tls_desc[128];    /* "version=... cipher=... bits=N", or "" */
};

/*
 * connect to host:port (net_connect), with TCP_NODELAY (lineio does the
 * buffering); 0, or -1 with c->err set
 */
int smtpc_connect(struct smtpc *c, const char *host, const char *port,
		  int timeout_sec, FILE *trace);
/*
 * From now on each wait (a reply, the write of one buffer) takes at most
 * sec seconds; a wait that runs out says "(NAME SECs)" in c->err when
 * name is not NULL
 */
void smtpc_set_timeout(struct smtpc *c, int sec, const char *name);
/* read one reply; returns its code, or -1 (c->err set) */
int smtpc_reply(struct smtpc *c);
/* queue a command without waiting (pipelining); the reply comes later */
void smtpc_send(struct smtpc *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* send a command and read its reply; returns the code or -1 */
int smtpc_cmd(struct smtpc *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* EHLO, falling back to HELO when EHLO is refused; the final code */
int smtpc_hello(struct smtpc *c, const char *name);
/* AUTH PLAIN with initial response; the code (235 on success) */
int smtpc_auth_plain(struct smtpc *c, const char *user, const char *pass);
/* DATA: after a 354, write body text (LF line ends), then end it */
void smtpc_body(struct smtpc *c, const char *p, size_t n);
int smtpc_body_end(struct smtpc *c);
/*
 * stream the whole of fd (from its current offset) as the body, and the
 * final ".", all sent (each buffer within the timeout); 0, or -1 with
 * c->err set.  The reply to the "." is the next smtpc_reply()'s, so a
 * caller may give it a timeout of its own.
 */
int smtpc_body_fd(struct smtpc *c, int fd);
/*
 * Start TLS with ctx (tlsio.h): after STARTTLS and its 220 when
 * starttls is set (RFC 3207), else at once (implicit TLS: right after
 * smtpc_connect, before the banner); servername is the name the
 * certificate must show when ctx verifies.  The handshake has the
 * current timeout.  0, with the session described in c->tls_desc; -1
 * with c->err set (a refused STARTTLS leaves its reply in c->code and
 * the connection usable).  After STARTTLS the extensions are gone
 * (RFC 3207 §4.2): EHLO again.
 */
struct tlsio_ctx;
int smtpc_tls(struct smtpc *c, struct tlsio_ctx *ctx, const char *servername,
	      int starttls);
/* ends TLS (if any), then the connection */
void smtpc_close(struct smtpc *c);

#endif
