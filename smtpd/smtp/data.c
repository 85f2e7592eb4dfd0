/*
 * data.c - receiving the message after DATA's 354.
 *
 * Reads bounded chunks with lineio, decides the end of data and un-stuffs
 * with dot.c (only <CRLF>.<CRLF> ends it: see dot.h), and writes the text
 * with LF line ends to an unlinked spool file in the queue's tmp/, so
 * memory stays bounded whatever the size.  On an error it remembers it,
 * keeps reading to the end of the message and reports once (OpenSMTPD's
 * tx->error, notqmail's 552 after the end).  max_message_size counts the
 * message as received, CRLF and stuffing included (RFC 1870).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dot.h"
#include "log.h"
#include "msghdr.h"
#include "tlsio.h"
#include "util.h"

#include "smtp/data.h"
#include "smtp/reply.h"
#include "store/deliver.h"
#include "store/spool.h"

#define DATA_CHUNK 8192
#define SPOOL_BUF 65536

struct spool {
	int fd;
	size_t len;
	int error;
	char buf[SPOOL_BUF];
};

static void
spool_flush(struct spool *sp)
{
	if (!sp->error && sp->len > 0 && write_all(sp->fd, sp->buf, sp->len) < 0) {
		log_warn("spool write");
		sp->error = 1;
	}
	sp->len = 0;
}

static void
spool_put(struct spool *sp, const char *p, size_t n)
{
	if (sp->len + n > sizeof(sp->buf))
		spool_flush(sp);
	if (n > sizeof(sp->buf)) {
		if (!sp->error && write_all(sp->fd, p, n) < 0)
			sp->error = 1;
		return;
	}
	memcpy(sp->buf + sp->len, p, n);
	sp->len += n;
}

enum data_result
data_receive(struct smtp_session *s, int *spoolfd, off_t *size,
	     struct msghdr *hdr)
{
	static char chunk[DATA_CHUNK + 1];
	struct spool *sp;
	struct dot_in dot;
	long long received = 0, limit = s->d->conf.max_message_size;
	enum data_result result = DATA_OK;
	size_t len, outlen;
	char *out;
	off_t stored = 0;

	sp = xmalloc(sizeof(*sp));
	sp->len = 0;
	sp->error = 0;
	if ((sp->fd = spool_create(&s->d->conf)) < 0) {
		log_warn("%s: spool file in %s/tmp", s->qid, s->d->conf.queue);
		sp->error = 1;
	}
	dot_in_init(&dot);
	msghdr_init(hdr);
	for (;;) {
		enum lio_status st =
		    lio_read_line(&s->lio, chunk, sizeof(chunk), &len);
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
		if (msghdr_feed(hdr, out, outlen, st == LIO_LINE) ==
		    MSGHDR_NOSEP) {
			spool_put(sp, "\n", 1);
			stored++;
		}
		spool_put(sp, out, outlen);
		stored += (off_t)outlen;
	}
	msghdr_end(hdr);
	spool_flush(sp);
	if (result == DATA_OK) {
		if (received > limit)
			result = DATA_TOO_BIG;
		else if (sp->error)
			result = DATA_IO_ERROR;
	}
	if (result == DATA_OK) {
		*spoolfd = sp->fd;
		*size = stored;
	} else if (sp->fd >= 0)
		close(sp->fd);
	free(sp);
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
 * RFC 6409 §8.2, §8.3: a message submitted with AUTH that lacks Date: or
 * Message-ID: gets them here (Message-ID <QID@hostname>, unique as the
 * queue id is).  Relayed mail is left as it came: headers are its
 * author's.  -1 if they do not fit (they always do).
 */
static int
submission_headers(struct smtp_session *s, const struct msghdr *hdr, char *buf,
		   size_t size)
{
	char date[64];
	int n = 0;

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

/*
 * Hand the spooled message to deliver() (every recipient, or none; a
 * looping one as failed, to be bounced) and answer.  The stop signals
 * stay held until the answer is on its way: a shutdown between the
 * delivery and its 250 would make the client send the message again.
 */
void
data_deliver(struct smtp_session *s, int spoolfd, off_t size,
	     const struct msghdr *hdr)
{
	struct delivery dv;
	const char **rcpts, **dto, **failed;
	char added[512], tls[160];
	sigset_t saved;
	int *local, i;

	failed = xcalloc((size_t)s->nrcpt, sizeof(*failed));
	if (data_loop_check(s, hdr, failed) < 0) {
		free(failed);
		return;
	}
	if (submission_headers(s, hdr, added, sizeof(added)) < 0) {
		smtp_reply(s, "451 4.3.0 Error: local delivery failed, try "
			      "again later");
		free(failed);
		return;
	}
	rcpts = xcalloc((size_t)s->nrcpt, sizeof(*rcpts));
	local = xcalloc((size_t)s->nrcpt, sizeof(*local));
	dto = xcalloc((size_t)s->nrcpt, sizeof(*dto));
	for (i = 0; i < s->nrcpt; i++) {
		rcpts[i] = s->rcpts[i].text;
		local[i] = s->rcpts[i].local;
		dto[i] = s->rcpts[i].delivered_to;
	}
	memset(&dv, 0, sizeof(dv));
	dv.d = s->d;
	dv.qid = s->qid;
	dv.sender = s->from_text;
	dv.helo = s->helo;
	dv.client_ip = s->client_ip;
	dv.proto = data_proto(s);
	/* for Received:, as Postfix says it (libtls gives one bit count) */
	if (s->lio.tls != NULL &&
	    xsnprintf(tls, sizeof(tls), "%s with cipher %s (%d/%d bits)",
		      tlsio_version(s->lio.tls), tlsio_cipher(s->lio.tls),
		      tlsio_bits(s->lio.tls), tlsio_bits(s->lio.tls)) >= 0)
		dv.tls = tls;
	dv.rcpts = rcpts;
	dv.local = local;
	dv.delivered_to = dto;
	dv.failed = failed;
	dv.nrcpt = s->nrcpt;
	dv.add_headers = added;
	log_info("%s: from=<%s> size=%lld nrcpt=%d client=[%s] helo=%s "
		 "proto=%s%s%s%s%s",
		 s->qid, log_value(s->from_text), (long long)size, s->nrcpt,
		 s->client_ip, log_value(s->helo), dv.proto,
		 s->tls[0] ? " tls=" : "", s->tls,
		 s->authenticated ? " user=" : "",
		 s->authenticated ? log_value(s->auth_user) : "");
	deliver_hold_signals(&saved);
	if (deliver(&dv, spoolfd, size) < 0)
		smtp_reply(s, "451 4.3.0 Error: local delivery failed, try "
			      "again later");
	else
		smtp_reply(s, "250 Message received and to be delivered");
	(void)lio_flush(&s->lio);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	free(rcpts);
	free(local);
	free(dto);
	free(failed);
}
