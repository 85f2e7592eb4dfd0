/*
 * lineio.c - see lineio.h.  Relies on poll(2) for the timeouts (and to
 * watch the stop descriptor); does not interpret the bytes beyond
 * finding LF.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lineio.h"
#include "log.h"
#include "tlsio.h"
#include "util.h"

static int lio_stopfd = -1;

void
lio_stop_on(int fd)
{
	lio_stopfd = fd;
}

void
lio_init(struct lineio *lio, int rfd, int wfd, int timeout_sec)
{
	lio->rfd = rfd;
	lio->wfd = wfd;
	lio->tls = NULL;
	lio->midline = 0;
	lio->command = 0;
	lio->held = 0;
	lio->deadline = 0;
	lio->roff = lio->rlen = lio->rused = 0;
	lio->wlen = 0;
	lio->werr = 0;
	lio_set_timeout(lio, timeout_sec);
}

void
lio_set_timeout(struct lineio *lio, int timeout_sec)
{
	lio->timeout_ms = timeout_sec > 0 ? timeout_sec * 1000 : -1;
}

static void
lio_start_deadline(struct lineio *lio)
{
	lio->deadline = now_ms() + (lio->timeout_ms < 0 ? 0 : lio->timeout_ms);
}

void
lio_hold_deadline(struct lineio *lio, int on)
{
	if (on)
		lio_start_deadline(lio);
	lio->held = on;
}

enum lio_status
lio_read_command(struct lineio *lio, char *buf, size_t size, size_t *len)
{
	enum lio_status st = lio_read_line(lio, buf, size, len);

	if (st != LIO_LINE)
		return st;
	(*len)--;
	if (*len > 0 && buf[*len - 1] == '\r')
		(*len)--;
	buf[*len] = '\0';
	if (memchr(buf, '\0', *len) != NULL || memchr(buf, '\r', *len) != NULL)
		return LIO_BADCHAR;
	return LIO_LINE;
}

enum lio_status
lio_skip_line(struct lineio *lio)
{
	char scratch[512];
	enum lio_status st;
	size_t len;

	/* the line's deadline still runs: a trickled line ends in time */
	while ((st = lio_read_line(lio, scratch, sizeof(scratch), &len)) ==
	       LIO_PARTIAL)
		;
	return st;
}

/* is the stop descriptor readable now? */
static int
lio_stopped(void)
{
	struct pollfd pfd = {lio_stopfd, POLLIN, 0};

	return lio_stopfd >= 0 && poll(&pfd, 1, 0) > 0 &&
	       (pfd.revents & POLLIN);
}

static enum lio_status
lio_command_status(struct lineio *lio, char *buf, size_t size,
		   const struct lio_command_replies *r)
{
	size_t len;
	enum lio_status st;

	if (lio_stopped())
		return LIO_STOP; /* even with pipelined commands buffered */
	st = lio_read_command(lio, buf, size, &len);
	if (st == LIO_PARTIAL) {
		r->reply(r->ctx, r->too_long);
		if ((st = lio_skip_line(lio)) == LIO_LINE)
			st = LIO_PARTIAL; /* answered */
	}
	return st;
}

int
lio_next_command(struct lineio *lio, char *buf, size_t size,
		 const struct lio_command_replies *r)
{
	enum lio_status st;

	lio->command = 1;
	st = lio_command_status(lio, buf, size, r);
	lio->command = 0;
	switch (st) {
	case LIO_LINE:
		return 1;
	case LIO_PARTIAL:
		return 0;
	case LIO_BADCHAR:
		r->reply(r->ctx, r->bad_char);
		return 0;
	case LIO_TIMEOUT:
		r->reply(r->ctx, r->timeout);
		log_info("timeout client=[%s]", r->peer);
		return -1;
	case LIO_STOP:
		if (r->stopping != NULL)
			r->reply(r->ctx, r->stopping);
		log_info("shutdown client=[%s]", r->peer);
		return -1;
	default:
		log_info("lost connection client=[%s]", r->peer);
		return -1;
	}
}

char *
lio_command_split(char *line)
{
	char *arg = line + strcspn(line, " ");

	if (*arg == ' ')
		*arg++ = '\0';
	return arg;
}

const void *
lio_command_find(const void *table, size_t rowsize, const char *verb)
{
	const char *row;

	for (row = table; *(const char *const *)(const void *)row != NULL;
	     row += rowsize)
		if (str_ieq(*(const char *const *)(const void *)row, verb))
			return row;
	return NULL;
}

void
lio_wipe_consumed(struct lineio *lio)
{
	size_t left = lio->rlen - lio->roff;

	memmove(lio->rbuf, lio->rbuf + lio->roff, left);
	/* only what ever held input: the rest was never touched */
	if (lio->rused > left)
		wipe(lio->rbuf + left, lio->rused - left);
	lio->rlen = left;
	lio->roff = 0;
}

void
lio_wipe_all(struct lineio *lio)
{
	lio->roff = lio->rlen;
	lio_wipe_consumed(lio);
}

int
lio_pending(const struct lineio *lio)
{
	return lio->rlen > lio->roff;
}

/*
 * wait until fd is ready for events or the deadline passes: 1, 0, -1;
 * 2 when stopfd (if not -1) is readable, whether fd is ready or not
 */
static int
lio_wait(int fd, short events, int64_t deadline, int stopfd)
{
	struct pollfd pfd[2];
	int n, ms;

	for (;;) {
		if (deadline < 0)
			ms = -1;
		else if ((ms = (int)(deadline - now_ms())) < 0)
			ms = 0;
		pfd[0].fd = fd;
		pfd[0].events = events;
		pfd[0].revents = 0;
		pfd[1].fd = stopfd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		n = poll(pfd, stopfd >= 0 ? 2 : 1, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0 && (pfd[1].revents & POLLIN))
			return 2;
		return n > 0 ? 1 : n;
	}
}

/*
 * In TLS the read comes first: the session may hold decrypted input
 * that poll(2) cannot see, and it says which way it must wait (a read
 * may need a write, in a renegotiation or a key update).
 */
static enum lio_status
lio_fill(struct lineio *lio)
{
	ssize_t n;
	int fd, r;
	short events;

	if (lio->roff > 0) {
		memmove(lio->rbuf, lio->rbuf + lio->roff, lio->rlen - lio->roff);
		lio->rlen -= lio->roff;
		lio->roff = 0;
	}
	for (;;) {
		fd = lio->rfd;
		events = POLLIN;
		if (lio->tls != NULL) {
			n = tlsio_read(lio->tls, lio->rbuf + lio->rlen,
				       sizeof(lio->rbuf) - lio->rlen);
			if (n >= 0)
				break;
			if (n == TLSIO_WANT_WRITE) {
				fd = lio->wfd;
				events = POLLOUT;
			} else if (n != TLSIO_WANT_READ) {
				errno = EPROTO;
				return LIO_ERROR;
			}
		}
		r = lio_wait(fd, events, lio->timeout_ms < 0 ? -1 : lio->deadline,
			     lio->command ? lio_stopfd : -1);
		if (r < 0)
			return LIO_ERROR;
		if (r == 2)
			return LIO_STOP;
		if (r == 0)
			return LIO_TIMEOUT;
		if (lio->tls != NULL)
			continue;
		n = read(lio->rfd, lio->rbuf + lio->rlen,
			 sizeof(lio->rbuf) - lio->rlen);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return errno == ECONNRESET ? LIO_EOF : LIO_ERROR;
		break;
	}
	if (n == 0)
		return LIO_EOF;
	lio->rlen += (size_t)n;
	if (lio->rlen > lio->rused)
		lio->rused = lio->rlen;
	return LIO_LINE;
}

/*
 * The next line, or the next max-1 octets of a longer one, in the
 * buffer as it is: LIO_LINE or LIO_PARTIAL with its length in *n, or
 * LIO_MORE when neither is whole yet.  A partial piece never ends in CR.
 */
static enum lio_status
lio_find(const struct lineio *lio, size_t want, size_t *n)
{
	size_t avail = lio->rlen - lio->roff;
	const char *lf = memchr(lio->rbuf + lio->roff, '\n',
				avail < want ? avail : want);

	if (lf != NULL) {
		*n = (size_t)(lf - (lio->rbuf + lio->roff)) + 1;
		return LIO_LINE;
	}
	if (avail < want && !(lio->roff == 0 && lio->rlen == sizeof(lio->rbuf)))
		return LIO_MORE;
	/* max-1 octets, or max exceeds the buffer: hand out what we have */
	*n = avail < want ? avail : want;
	if (*n > 1 && lio->rbuf[lio->roff + *n - 1] == '\r')
		(*n)--;
	return LIO_PARTIAL;
}

enum lio_status
lio_span(struct lineio *lio, size_t max, int may_read, char **p, size_t *len)
{
	size_t n = 0;
	enum lio_status st;

	*p = lio->rbuf + lio->roff;
	*len = 0;
	if (!lio->midline && !lio->held)
		lio_start_deadline(lio);
	while ((st = lio_find(lio, max - 1, &n)) == LIO_MORE) {
		if (!may_read)
			return LIO_MORE;
		/*
		 * About to wait for input: send what is buffered first, so
		 * neither a pipelining client (RFC 2920 §3.2) nor one owed a
		 * "line too long" mid-line is left waiting on us.
		 */
		if (lio_flush(lio) < 0)
			return LIO_ERROR;
		if ((st = lio_fill(lio)) != LIO_LINE) {
			lio->midline = 0;
			return st;
		}
	}
	*p = lio->rbuf + lio->roff;
	*len = n;
	lio->roff += n;
	lio->midline = st == LIO_PARTIAL;
	return st;
}

enum lio_status
lio_read_line(struct lineio *lio, char *buf, size_t max, size_t *len)
{
	char *p;
	enum lio_status st = lio_span(lio, max, 1, &p, len);

	if (st == LIO_LINE || st == LIO_PARTIAL)
		memcpy(buf, p, *len);
	buf[*len] = '\0';
	return st;
}

int
lio_flush(struct lineio *lio)
{
	size_t off = 0;
	int64_t deadline;
	ssize_t n;

	if (lio->werr)
		return -1;
	deadline = lio->timeout_ms < 0 ? -1 : now_ms() + lio->timeout_ms;
	while (off < lio->wlen) {
		if (lio->tls != NULL)
			n = tlsio_write(lio->tls, lio->wbuf + off, lio->wlen - off);
		else if ((n = write(lio->wfd, lio->wbuf + off,
				    lio->wlen - off)) < 0 &&
			 errno == EAGAIN)
			n = TLSIO_WANT_WRITE;
		if (n < 0 && errno == EINTR && lio->tls == NULL)
			continue;
		if (n == TLSIO_WANT_WRITE || n == TLSIO_WANT_READ) {
			if (lio_wait(n == TLSIO_WANT_READ ? lio->rfd : lio->wfd,
				     n == TLSIO_WANT_READ ? POLLIN : POLLOUT,
				     deadline, -1) != 1)
				goto fail;
			continue;
		}
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	lio->wlen = 0;
	return 0;
fail:
	lio->werr = 1;
	lio->wlen = 0;
	return -1;
}

int
lio_tls_start(struct lineio *lio, struct tlsio *t, size_t *dropped, char *err,
	      size_t errsize)
{
	int64_t deadline;
	int r, w;

	*dropped = 0;
	if (lio_flush(lio) < 0) {
		snprintf(err, errsize, "cannot send the reply before TLS");
		tlsio_free(t);
		return -1;
	}
	*dropped = lio->rlen - lio->roff;
	wipe(lio->rbuf, lio->rlen);
	lio->roff = lio->rlen = 0;
	lio->midline = 0;
	/* held (lio_hold_deadline): the time left of the one deadline */
	if (lio->held)
		deadline = lio->timeout_ms < 0 ? -1 : lio->deadline;
	else
		deadline = lio->timeout_ms < 0 ? -1 : now_ms() + lio->timeout_ms;
	while ((r = tlsio_handshake(t)) != 0) {
		if (r != TLSIO_WANT_READ && r != TLSIO_WANT_WRITE) {
			snprintf(err, errsize, "TLS handshake: %s",
				 tlsio_error(t));
			tlsio_free(t);
			return -1;
		}
		w = lio_wait(r == TLSIO_WANT_READ ? lio->rfd : lio->wfd,
			     r == TLSIO_WANT_READ ? POLLIN : POLLOUT, deadline,
			     -1);
		if (w != 1) {
			snprintf(err, errsize, "TLS handshake: %s",
				 w == 0 ? "timed out" : strerror(errno));
			tlsio_free(t);
			return -1;
		}
	}
	lio->tls = t;
	return 0;
}

void
lio_tls_end(struct lineio *lio)
{
	tlsio_free(lio->tls);
	lio->tls = NULL;
}

void
lio_write(struct lineio *lio, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		size_t room = sizeof(lio->wbuf) - lio->wlen, n;
		if (room == 0) {
			if (lio_flush(lio) < 0)
				return;
			continue;
		}
		n = len < room ? len : room;
		memcpy(lio->wbuf + lio->wlen, p, n);
		lio->wlen += n;
		p += n;
		len -= n;
	}
}

void
lio_puts(struct lineio *lio, const char *s)
{
	lio_write(lio, s, strlen(s));
}

const char *
lio_vline(struct lineio *lio, const char *peer, char *buf, size_t size,
	  const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size, fmt, ap);

	if (n < 0) {
		buf[0] = '\0';
		return buf;
	}
	if ((size_t)n >= size)
		n = (int)size - 1; /* a reply is never longer than its buffer */
	lio_write(lio, buf, (size_t)n);
	lio_write(lio, "\r\n", 2);
	log_debug("%s: > %s", peer, buf);
	return buf;
}

void
lio_printf(struct lineio *lio, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	lio_write(lio, buf, (size_t)n);
}
