/*
 * lineio.h - bounded, timed line I/O on a pair of descriptors (after
 * notqmail's timeoutread and OpenSMTPD's line-length check).
 *
 * Every read returns at most max-1 bytes: a whole line (ending in LF), or
 * the first part of a longer one (LIO_PARTIAL), so no buffer ever grows.
 * The timeout bounds the wait for one whole line: it starts when a line
 * starts and is not renewed by the bytes of that line, so a client that
 * trickles a byte at a time is cut off as surely as a silent one.
 * Output is buffered; lio_flush() writes it with the same timeout.
 *
 * A stop descriptor (lio_stop_on) lets a process end a session that is
 * waiting for a command, and only then: lio_next_command() answers its
 * `stopping` text at once when the descriptor is readable, before it
 * reads or while it waits, never in the middle of other input (DATA).
 */
#ifndef LINEIO_H
#define LINEIO_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define LIO_BUFSIZE 16384

enum lio_status {
	LIO_ERROR = -2,	  /* read error (errno set) */
	LIO_TIMEOUT = -1, /* the line did not complete in time */
	LIO_EOF = 0,	  /* end of input; an incomplete last line is dropped */
	LIO_LINE = 1,	  /* a whole line, LF included */
	LIO_PARTIAL = 2,  /* max-1 bytes without LF; more of the line follows */
	LIO_BADCHAR = 3,  /* lio_read_command: NUL or CR inside the line */
	LIO_STOP = 4,	  /* a command wait saw the stop descriptor readable */
	LIO_MORE = 5	  /* lio_span without reading: nothing whole buffered */
};

struct tlsio;

struct lineio {
	int rfd, wfd;
	struct tlsio *tls; /* NULL: in clear; else all I/O goes through it */
	int timeout_ms;
	int64_t deadline;
	int midline;
	int command; /* inside lio_next_command: the stop descriptor counts */
	int held;    /* lio_hold_deadline: one deadline for several lines */
	size_t roff, rlen;
	size_t rused; /* the most of rbuf that ever held input */
	size_t wlen;
	int werr;
	char rbuf[LIO_BUFSIZE];
	char wbuf[LIO_BUFSIZE];
};

/* every field but the buffers, which need no zeroing (an idle session
 * never touches most of them) */
void lio_init(struct lineio *lio, int rfd, int wfd, int timeout_sec);
void lio_set_timeout(struct lineio *lio, int timeout_sec);
/*
 * on: from now until it is turned off, the timeout bounds all the lines
 * read together, not each one (a multi-line reply, which a peer could
 * otherwise trickle a line at a time for a hundred timeouts)
 */
void lio_hold_deadline(struct lineio *lio, int on);
/*
 * For the whole process from now on: a command wait (lio_next_command)
 * ends with its `stopping` reply as soon as fd is readable (a signal
 * handler's self-pipe, never read here, so it stays readable).  -1: none.
 */
void lio_stop_on(int fd);
/*
 * Read one line (or its next part) into buf, NUL-terminated, length in
 * *len (the data may hold NULs).  A partial chunk never ends in CR, so a
 * CRLF is never split between two chunks.
 */
enum lio_status lio_read_line(struct lineio *lio, char *buf, size_t max,
			      size_t *len);
/*
 * lio_read_line without the copy (for DATA): the same line or part of
 * one, cut at the same places, left where it is in the read buffer,
 * *p pointing at it (not NUL-terminated).  The caller may edit those
 * *len octets in place (dot.c does); they stay valid until a call that
 * reads, and no longer: any later lio_span with may_read, lio_read_line,
 * lio_read_command, lio_skip_line, lio_next_command, lio_wipe_consumed
 * or lio_tls_start may move or overwrite them.  With may_read 0 it
 * never reads: when no whole line (or max-1 octets of one) is buffered
 * it returns LIO_MORE, consuming nothing, so that the caller can use
 * the pieces it holds before calling again with may_read 1.
 */
enum lio_status lio_span(struct lineio *lio, size_t max, int may_read,
			 char **p, size_t *len);
/*
 * Read one protocol command line (SMTP, POP3, a SASL response) into buf:
 * the line end (CRLF, or a bare LF as Postfix allows) is stripped and buf
 * NUL-terminated.  LIO_BADCHAR: the line holds a NUL or a CR.
 * LIO_PARTIAL: size-1 octets came without a line end; answer it at once,
 * then call lio_skip_line() to drop the rest.
 */
enum lio_status lio_read_command(struct lineio *lio, char *buf, size_t size,
				 size_t *len);
/* drop the rest of a line after LIO_PARTIAL: LIO_LINE, or why it ended */
enum lio_status lio_skip_line(struct lineio *lio);
/*
 * The command-read step every protocol here shares (SMTP, POP3, their
 * SASL exchanges): read one command line; a line that is not one is
 * answered at once through reply(ctx, text) with the protocol's own
 * text -- too_long as soon as size-1 octets came without a line end
 * (the rest of the line is then dropped), bad_char for a NUL or CR in
 * it -- and a timeout is answered with timeout.  The end of the input
 * is logged, naming peer.  When the stop descriptor is readable before
 * or during the wait, stopping (if not NULL) is answered and the input
 * ends.
 */
struct lio_command_replies {
	const char *too_long;
	const char *bad_char;
	const char *timeout;
	const char *stopping;
	void (*reply)(void *ctx, const char *text);
	void *ctx;
	const char *peer;
};
/* 1: a command in buf; 0: answered, read the next; -1: the input ended
 * (or stopped) */
int lio_next_command(struct lineio *lio, char *buf, size_t size,
		     const struct lio_command_replies *r);
/*
 * Split a command line at its first blank: the verb stays in line, the
 * argument (maybe empty) is returned.  Then find the verb, in any case,
 * in a table of rows of rowsize bytes that each begin with the name
 * (const char *) and end with a row whose name is NULL: the row or NULL.
 */
char *lio_command_split(char *line);
const void *lio_command_find(const void *table, size_t rowsize,
			     const char *verb);
/* clear the bytes already returned (credentials) from the read buffer */
void lio_wipe_consumed(struct lineio *lio);
/* the end of a session: clear all it read, returned or not (a reused
 * session process keeps nothing of one client for the next) */
void lio_wipe_all(struct lineio *lio);
/* input already buffered and not yet returned */
int lio_pending(const struct lineio *lio);
void lio_write(struct lineio *lio, const void *data, size_t len);
void lio_puts(struct lineio *lio, const char *s);
void lio_printf(struct lineio *lio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Format one protocol line (a reply) into buf, truncated to size - 1,
 * queue it with CRLF and log it for the -v transcript as sent to peer;
 * returns buf, for the caller to inspect.
 */
const char *lio_vline(struct lineio *lio, const char *peer, char *buf,
		      size_t size, const char *fmt, va_list ap);
/* 0, or -1 once any write has failed or timed out */
int lio_flush(struct lineio *lio);
/*
 * Turn the connection into TLS session t (tlsio.h): what is buffered to
 * send is sent first (the "220 Ready to start TLS"); input already
 * buffered is dropped, never returned (a command pipelined behind
 * STARTTLS is not executed: CVE-2011-0411), its size in *dropped; then
 * the handshake, within the timeout like a line.  0, the lineio now
 * owning t; or -1 with why in err, t freed.  Under lio_hold_deadline
 * the handshake has what is left of the held deadline.
 */
int lio_tls_start(struct lineio *lio, struct tlsio *t, size_t *dropped,
		  char *err, size_t errsize);
/* end the TLS session, if any (close_notify when it goes at once) */
void lio_tls_end(struct lineio *lio);

#endif
