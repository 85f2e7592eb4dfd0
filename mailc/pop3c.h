/*
 * pop3c.h - the client side of POP3 (RFC 1939) for mailc's reading
 * modes: connect (with a timeout, net.c), the greeting, USER/PASS,
 * commands with one status line, and multi-line responses read a piece at
 * a time with the dot-stuffing removed and CRLF turned back into LF, so a
 * message of any size passes through one fixed buffer.  Every read is bounded
 * and timed (lineio).  It decides nothing about what to do with a message.
 *
 * TLS (secure.h): from the connect on (pop3s), or STLS after the
 * greeting when CAPA lists it (RFC 2595 §4), or required; every read and
 * write then goes through the lineio's TLS session.  With a trace stream
 * it prints each command (not the password), each status line, its
 * round-trip time and the start of TLS.
 */
#ifndef POP3C_H
#define POP3C_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lineio.h"

struct secure;

#define POP3C_TIMEOUT 60      /* seconds: connect, and each line */
#define POP3C_STATUS_MAX 512  /* RFC 2449 §4: a status line, CRLF included */
#define POP3C_CHUNK_MAX 16384 /* one piece of a multi-line response */

struct pop3c {
	int fd;		   /* the connection (net_connect), or -1 */
	struct lineio lio; /* bounded, timed lines on fd */
	char status[POP3C_STATUS_MAX + 1]; /* the last status line, no CRLF */
	char err[256];			   /* why the connection failed */
	int lost;			   /* closed, timed out or garbled */
	int garbled;			   /* not a POP3 server */
	int bol;			   /* multi-line: at a line start */
	FILE *trace;			   /* NULL: quiet */
	int64_t sent_us;		   /* when the last command went */
};

enum pop3c_piece {
	POP3C_LOST = -1, /* connection lost or timed out (c->err) */
	POP3C_END = 0,	 /* the terminating "." line */
	POP3C_DATA = 1	 /* a piece of the text */
};

/*
 * Connect, TLS as s says (the certificate checked against host), and
 * read the greeting; 0, or an exit status after a message:
 * EX_UNAVAILABLE when TLS cannot be had as s asks (or the certificate
 * does not verify: never a fall back to clear text).
 */
int pop3c_connect(struct pop3c *c, const char *host, const char *port,
		  const struct secure *s, FILE *trace);
/* USER and PASS; 0, or an exit status after a message */
int pop3c_login(struct pop3c *c, const char *user, const char *pass);
/* send a command and read its status: 1 +OK, 0 -ERR, -1 lost */
int pop3c_cmd(struct pop3c *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * The next piece of a multi-line response into buf (at most size-1
 * bytes, NUL-terminated, length in *len): un-stuffed, LF line ends.  A
 * piece that does not end in LF is continued by the next one.
 */
enum pop3c_piece pop3c_read(struct pop3c *c, char *buf, size_t size,
			    size_t *len);
/* read and drop the rest of a multi-line response; 0 or -1 lost */
int pop3c_skip(struct pop3c *c);
/*
 * Report a failed step ("mailc: what: status") and map it to an exit
 * status: a lost connection or timeout, [IN-USE] or [SYS/TEMP] is
 * EX_TEMPFAIL, [AUTH] EX_NOPERM, a garbled reply or any other -ERR
 * EX_UNAVAILABLE.
 */
int pop3c_fail(const struct pop3c *c, const char *what);
/* QUIT when the connection is still usable; 1 +OK, 0 -ERR, -1 lost */
int pop3c_quit(struct pop3c *c);
/* ends TLS (if any), then the connection */
void pop3c_close(struct pop3c *c);

#endif
