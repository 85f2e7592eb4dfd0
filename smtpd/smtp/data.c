/*
 * data.c - receiving the message after DATA's 354.
 *
 * Takes bounded chunks from lineio's read buffer where they lie
 * (lio_span: no copy), decides the end of data and un-stuffs with dot.c
 * in place (only <CRLF>.<CRLF> ends it: see dot.h), and writes the text
 * with LF line ends to the spool (store/spool.h) straight from that
 * buffer, one writev(2) of the lines gathered before each refill of it,
 * so that a byte of the body is copied twice from the socket to the
 * file: by the read(2) into lineio's buffer, and by the writev(2) into
 * the page cache.  When a recipient is
 * local, straight into the first local recipient's Maildir tmp/, behind
 * that copy's trace lines, so a message to one local user is written
 * once and renamed into new/ by deliver(); else an unlinked file in the
 * queue's tmp/.  The trace lines include the Date: and Message-ID: an
 * authenticated submission may lack, known only at the end of the header
 * block: the text is copied into the write buffer to wait until then
 * (the header block's only extra copy), and a header
 * block longer than the buffer makes the file a plain spool (the owner's
 * copy made from it like the others').  Memory stays bounded whatever
 * the size.  On an error it remembers it, keeps reading to the end of the
 * message and reports once (OpenSMTPD's tx->error, notqmail's 552 after
 * the end).  max_message_size counts the message as received, CRLF and
 * stuffing included (RFC 1870).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "dot.h"
#include "log.h"
#include "msghdr.h"
#include "tlsio.h"
#include "util.h"
#include "shutdown.h"

#include "smtp/data.h"
#include "smtp/reply.h"
#include "store/deliver.h"
#include "store/spool.h"

#define DATA_CHUNK 8192
#define SPOOL_BUF 65536
/* lines gathered for one writev_all() (which keeps to the system's
 * IOV_MAX: POSIX promises 16, Linux has 1024) */
#define SPOOL_IOV 512

/*
 * A message from DATA to its answer: data_begin() to data_end().  The
 * large parts last, set as used, never zeroed whole: a page not touched
 * is one a session child never has to fault in.
 */
struct incoming {
	struct delivery dv;
	const char **rcpts, **dto, **failed;
	int *local;
	int added_made;
	int held;  /* the text waits in buf for the owner's trace lines */
	int error; /* a write failed */
	size_t len; /* of buf: the text held for the trace lines */
	int niov;   /* of iov: text in lineio's read buffer, to be written */
	char added[512]; /* submission_headers() */
	char tls[160];
	struct spool sp;
	struct iovec iov[SPOOL_IOV];
	char buf[SPOOL_BUF];
};

/*
 * RFC 6409 §8.2, §8.3: a message submitted with AUTH that lacks Date: or
 * Message-ID: gets them (Message-ID <QID@hostname>, unique as the queue
 * id is), once the header block is read.  Relayed mail is left as it
 * came: headers are its author's.  -1 if they do not fit (they always
 * do).
 */
static int
submission_headers(struct smtp_session *s, struct incoming *in,
		   const struct msghdr *hdr)
{
	char date[64];
	char *buf = in->added;
	size_t size = sizeof(in->added);
	int n = 0;

	if (in->added_made)
		return 0;
	in->added_made = 1;
	buf[0] = '\0';
	if (!s->authenticated)
		return 0;
	if (!hdr->date) {
		rfc5322_date(date, sizeof(date), time(NULL));
		if ((n = xsnprintf(buf, size, "Date: %s\n", date)) < 0)
			return -1;
	}
	if (!hdr->message_id &&
	    xsnprintf(buf + n, size - (size_t)n, "Message-ID: <%s@%s>\n",
		      s->qid, s->d->conf.hostname) < 0)
		return -1;
	return 0;
}

/*
 * RFC 3848's protocol: ESMTP (SMTP after HELO), S inside TLS, A after
 * AUTH (ESMTPA even after HELO, as before TLS)
 */
static const char *
data_proto(const struct smtp_session *s)
{
	int tls = s->lio.tls != NULL;

	if (s->authenticated)
		return tls ? "ESMTPSA" : "ESMTPA";
	if (s->esmtp)
		return tls ? "ESMTPS" : "ESMTP";
	return tls ? "SMTPS" : "SMTP";
}

static void
spool_write(struct incoming *in, const char *p, size_t n)
{
	if (!in->error && write_all(in->sp.fd, p, n) < 0) {
		log_warn("spool write");
		in->error = 1;
	}
}

/* write the pieces gathered: before lineio's read buffer moves */
static void
spool_spans_write(struct incoming *in)
{
	int n = in->niov;

	in->niov = 0;
	if (n > 0 && !in->error && writev_all(in->sp.fd, in->iov, n) < 0) {
		log_warn("spool write");
		in->error = 1;
	}
}

/* gather n octets at p, which stay put until spool_spans_write() */
static void
spool_span(struct incoming *in, const char *p, size_t n)
{
	struct iovec *last = in->niov > 0 ? &in->iov[in->niov - 1] : NULL;

	if (n == 0)
		return;
	if (last != NULL && (const char *)last->iov_base + last->iov_len == p) {
		last->iov_len += n; /* lines that ended in a bare LF */
		return;
	}
	if (in->niov == SPOOL_IOV)
		spool_spans_write(in);
	in->iov[in->niov].iov_base = (void *)p;
	in->iov[in->niov].iov_len = n;
	in->niov++;
}

/*
 * The header block has not ended within the buffer: the owner's file
 * becomes a plain spool, unlinked at once; deliver() copies every
 * recipient's from it.
 */
static void
spool_unhold(struct incoming *in)
{
	in->held = 0;
	/* removed before the grace's end forgets it */
	maildir_abort(&in->sp.owner_tx);
	shutdown_remove_on_end(NULL);
	in->sp.owner = -1;
}

/* everything still held or gathered goes to the file */
static void
spool_flush(struct incoming *in)
{
	if (in->held)
		spool_unhold(in);
	if (in->len > 0)
		spool_write(in, in->buf, in->len);
	in->len = 0;
	spool_spans_write(in);
}

/*
 * n octets of text at p, in lineio's read buffer: copied into buf while
 * the header block is held for the trace lines (until it would overflow
 * buf, which ends the hold); else gathered where they are
 */
static void
spool_put(struct incoming *in, const char *p, size_t n)
{
	if (in->held && in->len + n <= sizeof(in->buf)) {
		memcpy(in->buf + in->len, p, n);
		in->len += n;
		return;
	}
	if (in->held || in->len > 0)
		spool_flush(in);
	spool_span(in, p, n);
}

/* the header block is read: the owner's trace lines go first */
static void
spool_release(struct smtp_session *s, struct incoming *in,
	      const struct msghdr *hdr)
{
	char lines[4096];
	struct iovec v[2];
	int n;

	in->held = 0;
	if (submission_headers(s, in, hdr) < 0 ||
	    (n = deliver_owner_header(&in->dv, in->sp.owner, lines,
				      sizeof(lines))) < 0) {
		in->error = 1;
		return;
	}
	in->sp.start = n;
	/* then the header text held so far */
	v[0].iov_base = lines;
	v[0].iov_len = (size_t)n;
	v[1].iov_base = in->buf;
	v[1].iov_len = in->len;
	in->len = 0;
	if (!in->error && writev_all(in->sp.fd, v, 2) < 0) {
		log_warn("spool write");
		in->error = 1;
	}
}

struct incoming *
data_begin(struct smtp_session *s)
{
	struct incoming *in = xmalloc(sizeof(*in));
	struct delivery *dv = &in->dv;
	sigset_t saved;
	int i, n = s->nrcpt;

	memset(in, 0, offsetof(struct incoming, added));
	in->added[0] = in->tls[0] = '\0';
	in->sp.fd = -1;
	in->sp.start = in->sp.size = 0;
	in->sp.owner_tx.state = 0;

	in->rcpts = xcalloc((size_t)n, sizeof(*in->rcpts));
	in->local = xcalloc((size_t)n, sizeof(*in->local));
	in->dto = xcalloc((size_t)n, sizeof(*in->dto));
	in->failed = xcalloc((size_t)n, sizeof(*in->failed));
	in->sp.owner = -1;
	for (i = 0; i < n; i++) {
		in->rcpts[i] = s->rcpts[i].text;
		in->local[i] = s->rcpts[i].local;
		in->dto[i] = s->rcpts[i].delivered_to;
		if (in->local[i] && in->sp.owner < 0)
			in->sp.owner = i;
	}
	dv->d = s->d;
	dv->qid = s->qid;
	dv->sender = s->from_text;
	dv->helo = s->helo;
	dv->client_ip = s->client_ip;
	dv->proto = data_proto(s);
	/* for Received:, as Postfix says it (libtls gives one bit count) */
	if (s->lio.tls != NULL &&
	    xsnprintf(in->tls, sizeof(in->tls), "%s with cipher %s (%d/%d bits)",
		      tlsio_version(s->lio.tls), tlsio_cipher(s->lio.tls),
		      tlsio_bits(s->lio.tls), tlsio_bits(s->lio.tls)) >= 0)
		dv->tls = in->tls;
	dv->rcpts = in->rcpts;
	dv->local = in->local;
	dv->delivered_to = in->dto;
	dv->failed = in->failed;
	dv->nrcpt = n;
	dv->add_headers = in->added;
	in->sp.fd = -1;
	if (in->sp.owner >= 0) {
		/* the end of a stop's grace removes the file from tmp/ */
		deliver_hold_signals(&saved);
		in->sp.fd = deliver_owner_open(dv, in->sp.owner,
					       &in->sp.owner_tx);
		if (in->sp.fd >= 0)
			shutdown_remove_on_end(in->sp.owner_tx.tmp);
		sigprocmask(SIG_SETMASK, &saved, NULL);
		in->held = in->sp.fd >= 0;
		if (in->sp.fd < 0)
			in->sp.owner = -1;
	}
	if (in->sp.fd < 0 && (in->sp.fd = spool_create(&s->d->conf)) < 0) {
		log_warn("%s: spool file in %s/tmp", s->qid, s->d->conf.queue);
		in->error = 1;
	}
	return in;
}

void
data_end(struct incoming *in)
{
	if (in->sp.fd >= 0)
		close(in->sp.fd);
	maildir_abort(&in->sp.owner_tx);
	shutdown_remove_on_end(NULL);
	free(in->rcpts);
	free(in->local);
	free(in->dto);
	free(in->failed);
	free(in);
}

enum data_result
data_receive(struct smtp_session *s, struct incoming *in, struct msghdr *hdr)
{
	struct dot_in dot;
	long long received = 0, limit = s->d->conf.max_message_size;
	enum data_result result = DATA_OK;
	enum msghdr_kind kind;
	size_t len, outlen;
	char *chunk, *out;
	off_t stored = 0;

	dot_in_init(&dot);
	msghdr_init(hdr);
	for (;;) {
		enum lio_status st =
		    lio_span(&s->lio, DATA_CHUNK + 1, 0, &chunk, &len);
		if (st == LIO_MORE) {
			/* the buffer is about to move: write what it holds */
			spool_spans_write(in);
			st = lio_span(&s->lio, DATA_CHUNK + 1, 1, &chunk, &len);
		}
		if (st == LIO_TIMEOUT) {
			smtp_reply(s, "421 4.4.2 %s Timeout exceeded",
				   s->d->conf.hostname);
			log_info("%s: timeout client=[%s] command=DATA", s->qid,
				 s->client_ip);
			result = DATA_LOST;
			break;
		}
		if (st != LIO_LINE && st != LIO_PARTIAL) {
			log_info("%s: lost connection client=[%s] command=DATA",
				 s->qid, s->client_ip);
			result = DATA_LOST;
			break;
		}
		if (dot_in_chunk(&dot, chunk, len, st == LIO_LINE, &out,
				 &outlen)) {
			log_debug("%s: < .", s->client_ip);
			break;
		}
		received += (long long)len;
		if (log_verbose())
			log_debug("%s: < %.*s", s->client_ip,
				  (int)(outlen && out[outlen - 1] == '\n'
					    ? outlen - 1
					    : outlen),
				  out);
		if (received > limit)
			continue; /* keep reading, answer 552 at the end */
		kind = msghdr_feed(hdr, out, outlen, st == LIO_LINE);
		if (in->held && hdr->ended)
			spool_release(s, in, hdr);
		if (kind == MSGHDR_NOSEP) {
			spool_put(in, "\n", 1);
			stored++;
		}
		spool_put(in, out, outlen);
		stored += (off_t)outlen;
	}
	msghdr_end(hdr);
	if (result == DATA_OK && received <= limit && in->held)
		spool_release(s, in, hdr); /* a message all header */
	spool_flush(in);
	if (result == DATA_OK) {
		if (received > limit)
			result = DATA_TOO_BIG;
		else if (in->error)
			result = DATA_IO_ERROR;
	}
	in->sp.size = stored;
	return result;
}

#define LOOP_REPLY "554 5.4.6 Mail loop detected"

/*
 * The loop checks of the end of DATA (RFC 5321 §6.3; DESIGN.md "Loops"):
 * 0, or -1 when answered.  More Delivered-To: fields than msghdr keeps
 * is a loop whatever they say.  A recipient whose Delivered-To: is
 * already there loops: when all do, the message is refused; else each
 * looping one gets LOOP_REPLY in failed[] and is bounced while the
 * others take the message (as Postfix's local(8) bounces only the
 * looping recipient).
 */
static int
data_loop_check(struct smtp_session *s, const struct msghdr *hdr,
		const char **failed)
{
	int i, nloop = 0;

	if (hdr->received > (unsigned long)s->d->conf.max_hops) {
		log_info("%s: %lu Received: headers, max_hops %d", s->qid,
			 hdr->received, s->d->conf.max_hops);
		smtp_reject(s, NULL, "554 5.4.0 Too many hops");
		return -1;
	}
	if (hdr->ndelivered > MSGHDR_DELIVERED_MAX) {
		log_info("%s: more than %d Delivered-To: headers", s->qid,
			 MSGHDR_DELIVERED_MAX);
		smtp_reject(s, NULL, LOOP_REPLY);
		return -1;
	}
	for (i = 0; i < s->nrcpt; i++)
		if (msghdr_delivered_to(hdr, s->rcpts[i].delivered_to)) {
			log_info("%s: Delivered-To: <%s> already there", s->qid,
				 log_value(s->rcpts[i].delivered_to));
			failed[i] = LOOP_REPLY;
			nloop++;
		}
	if (nloop > 0 && nloop == s->nrcpt) {
		smtp_reject(s, s->nrcpt == 1 ? s->rcpts[0].text : NULL,
			    LOOP_REPLY);
		return -1;
	}
	return 0;
}

/*
 * Hand the spooled message to deliver() (every recipient, or none; a
 * looping one as failed, to be bounced) and answer.  The stop signals
 * stay held until the answer is on its way: a shutdown between the
 * delivery and its 250 would make the client send the message again.
 */
void
data_deliver(struct smtp_session *s, struct incoming *in,
	     const struct msghdr *hdr)
{
	sigset_t saved;

	if (data_loop_check(s, hdr, in->failed) < 0)
		return;
	if (submission_headers(s, in, hdr) < 0) {
		smtp_reply(s, "451 4.3.0 Error: local delivery failed, try "
			      "again later");
		return;
	}
	log_info("%s: from=<%s> size=%lld nrcpt=%d client=[%s] helo=%s "
		 "proto=%s%s%s%s%s",
		 s->qid, log_value(s->from_text), (long long)in->sp.size,
		 s->nrcpt, s->client_ip, log_value(s->helo), in->dv.proto,
		 s->tls[0] ? " tls=" : "", s->tls,
		 s->authenticated ? " user=" : "",
		 s->authenticated ? log_value(s->auth_user) : "");
	deliver_hold_signals(&saved);
	if (deliver(&in->dv, &in->sp) < 0)
		smtp_reply(s, "451 4.3.0 Error: local delivery failed, try "
			      "again later");
	else
		smtp_reply(s, "250 Message received and to be delivered");
	(void)lio_flush(&s->lio);
	sigprocmask(SIG_SETMASK, &saved, NULL);
}
