/*
 * deliver.c - see deliver.h.  The Return-Path:, Delivered-To: and
 * Received: lines are written here, per recipient for Maildir copies;
 * the queued copy gets Received: (and the forwarding aliases'
 * Delivered-To:) only, since Return-Path: belongs to the final delivery
 * (RFC 5321 §4.4).  A recipient that failed at reception (dv->failed)
 * has no copy of its own: it is queued failed, for the relay child's
 * bounce, its error in the envelope.
 *
 * SIGTERM, SIGINT, SIGHUP and SHUTDOWN_END_SIGNAL (shutdown.c) are
 * blocked from the first copy written until every copy is visible or
 * removed: cut off while writing, a copy would stay in tmp/; between
 * renames, some recipients would have it alone.  A session takes SIGTERM
 * as "finish this message, then stop", so the delivery goes on; but the
 * end of its shutdown grace, coming while the copies are written, undoes
 * them before any is visible, since the session ends as soon as it is
 * unblocked, before it can answer 250: with nothing delivered, the
 * client's retry is no duplicate.  (A relay worker, delivering a bounce,
 * holds all of these to its end anyway: relay/worker.c.)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "expand.h"
#include "shutdown.h"

#include "store/deliver.h"
#include "store/maildir.h"
#include "store/queue.h"
#include "store/spool.h"

static const char *
delivered_to(const struct delivery *dv, int i)
{
	return dv->delivered_to && dv->delivered_to[i] ? dv->delivered_to[i]
						       : dv->rcpts[i];
}

/* why recipient i failed for good at reception, or NULL */
static const char *
failure(const struct delivery *dv, int i)
{
	return dv->failed ? dv->failed[i] : NULL;
}

/* recipient i gets a Maildir copy; else it is queued (relayed, or
 * failed and to be bounced) */
static int
to_maildir(const struct delivery *dv, int i)
{
	return dv->local[i] && failure(dv, i) == NULL;
}

/* recipient i is queued to be relayed */
static int
relayed(const struct delivery *dv, int i)
{
	return !dv->local[i] && failure(dv, i) == NULL;
}

/*
 * The queued copy's Delivered-To: lines, one for each distinct
 * forwarding alias (RFC 5321 §4.4 leaves Return-Path: to the final
 * delivery; Delivered-To: travels, so a forward that comes back is
 * seen as a loop).  Allocated; "" when none.
 */
static char *
forward_lines(const struct delivery *dv)
{
	size_t size = 1, len = 0;
	char *buf;
	int i, j, n;

	for (i = 0; i < dv->nrcpt; i++)
		size += strlen(delivered_to(dv, i)) + 16;
	buf = xmalloc(size);
	buf[0] = '\0';
	for (i = 0; i < dv->nrcpt; i++) {
		const char *a = delivered_to(dv, i);
		if (!relayed(dv, i) || str_ieq(a, dv->rcpts[i]))
			continue;
		for (j = 0; j < i; j++)
			if (relayed(dv, j) && str_ieq(delivered_to(dv, j), a))
				break;
		if (j < i)
			continue;
		n = xsnprintf(buf + len, size - len, "Delivered-To: %s\n", a);
		len += n > 0 ? (size_t)n : 0;
	}
	return buf;
}

/* Return-Path: (return_path), Delivered-To: (dto, or NULL), Received: */
static int
trace_header(struct delivery *dv, const char *rcpt, int return_path,
	     const char *dto, char *buf, size_t size)
{
	char date[64], rp[2 * ADDR_MAX + 64] = "", forr[ADDR_MAX + 16] = "";
	const char *add = dv->add_headers ? dv->add_headers : "";

	rfc5322_date(date, sizeof(date), time(NULL));
	if (return_path &&
	    xsnprintf(rp, sizeof(rp), "Return-Path: <%s>\n", dv->sender) < 0)
		return -1;
	if (dto && xsnprintf(rp + strlen(rp), sizeof(rp) - strlen(rp),
			     "Delivered-To: %s\n", dto) < 0)
		return -1;
	if (rcpt && xsnprintf(forr, sizeof(forr), " for <%s>", rcpt) < 0)
		return -1;
	if (dv->helo == NULL)
		return xsnprintf(buf, size,
				 "%sReceived: by %s (smtpd) id %s%s; %s\n%s", rp,
				 dv->d->conf.hostname, dv->qid, forr, date, add);
	/* TLS folds it as Postfix does: "(using ...)" on a line of its own */
	return xsnprintf(buf, size,
			 "%sReceived: from %s ([%s])%s%s%sby %s (smtpd) with %s "
			 "id %s%s; %s\n%s",
			 rp, dv->helo, dv->client_ip,
			 dv->tls ? "\n\t(using " : "", dv->tls ? dv->tls : "",
			 dv->tls ? ")\n\t" : " ", dv->d->conf.hostname,
			 dv->proto, dv->qid, forr, date, add);
}

/* what stops a session or a relay worker, blocked in deliver() */
static const int stop_signals[] = {SIGTERM, SIGINT, SIGHUP,
				   SHUTDOWN_END_SIGNAL};

/* did the end of the shutdown grace come while it was blocked? */
static int
grace_ended(void)
{
	sigset_t pending;

	return sigpending(&pending) == 0 &&
	       sigismember(&pending, SHUTDOWN_END_SIGNAL) == 1;
}

void
deliver_hold_signals(sigset_t *saved)
{
	sigset_t block;
	size_t i;

	sigemptyset(&block);
	for (i = 0; i < nitems(stop_signals); i++)
		sigaddset(&block, stop_signals[i]);
	sigprocmask(SIG_BLOCK, &block, saved);
}

/*
 * Recipient i's copy, to be written by the caller in one go: a new file
 * in its Maildir's tmp/ (its fd, or -1, logged), *tx saying where.
 */
int
deliver_owner_open(struct delivery *dv, int i, struct maildir_tx *tx)
{
	const struct conf *c = &dv->d->conf;
	char maildir[PATH_MAX];

	if (expand_mailbox(dv->d, dv->rcpts[i], maildir, sizeof(maildir)) < 0)
		return -1;
	return maildir_open(tx, maildir, c->maildir_skel, c->hostname);
}

int
deliver_owner_header(struct delivery *dv, int i, char *buf, size_t size)
{
	return trace_header(dv, dv->rcpts[i], 1, delivered_to(dv, i), buf,
			    size);
}

/* recipient i's copy could not be written at where: logged; 1 */
static int
write_failed(const struct delivery *dv, int i, const char *where)
{
	log_warnx("%s: to=<%s> status=deferred relay=local delay=%.2f "
		  "(cannot write to %s)",
		  dv->qid, log_value(dv->rcpts[i]), queue_delay(dv->qid, 0),
		  where);
	return 1;
}

/* the owner's copy, written by the session: whole on disk, named */
static int
owner_written(struct maildir_tx *tx, const struct spool *sp)
{
	if (fsync(sp->fd) < 0) {
		log_warn("maildir: fsync %s", tx->tmp);
		return -1;
	}
	return maildir_written(tx, sp->start + sp->size);
}

int
deliver(struct delivery *dv, struct spool *sp)
{
	const struct conf *c = &dv->d->conf;
	struct maildir_tx *tx;
	struct queue_tx qtx;
	struct envelope env;
	char hdr[4096], maildir[PATH_MAX];
	int i, nremote = 0, failed = 0, n;
	const char *one_remote = NULL;
	char *fwd = NULL, *qhdr = NULL;
	sigset_t saved;

	tx = xcalloc((size_t)dv->nrcpt, sizeof(*tx));
	memset(&qtx, 0, sizeof(qtx));
	memset(&env, 0, sizeof(env));
	deliver_hold_signals(&saved);
	/* the owner's copy, if it has one, is the spool itself */
	if (sp->owner >= 0 && to_maildir(dv, sp->owner)) {
		tx[sp->owner] = sp->owner_tx;
		sp->owner_tx.state = 0;
	}
	/* step 1: every copy written and fsync'd, nothing visible yet */
	for (i = 0; i < dv->nrcpt && !failed; i++) {
		if (!to_maildir(dv, i)) {
			nremote++;
			one_remote = dv->rcpts[i];
			continue;
		}
		if (i == sp->owner) {
			if (owner_written(&tx[i], sp) < 0)
				failed = write_failed(dv, i, tx[i].tmp);
			continue;
		}
		if (expand_mailbox(dv->d, dv->rcpts[i], maildir,
				   sizeof(maildir)) < 0) {
			log_warnx("%s: to=<%s> status=deferred relay=local "
				  "delay=%.2f (no mailbox)",
				  dv->qid, log_value(dv->rcpts[i]),
				  queue_delay(dv->qid, 0));
			failed = 1;
			break;
		}
		if ((n = trace_header(dv, dv->rcpts[i], 1, delivered_to(dv, i),
				      hdr, sizeof(hdr))) < 0 ||
		    maildir_prepare(&tx[i], maildir, c->maildir_skel,
				    c->hostname, hdr, (size_t)n, sp->fd,
				    sp->start, sp->size) < 0)
			failed = write_failed(dv, i, maildir);
	}
	if (!failed && nremote > 0) {
		strlcpy(env.id, dv->qid, sizeof(env.id));
		env.created = time(NULL);
		env.next_try = env.created;
		strlcpy(env.sender, dv->sender, sizeof(env.sender));
		env.rcpts = xcalloc((size_t)nremote, sizeof(*env.rcpts));
		for (i = 0; i < dv->nrcpt; i++)
			if (!to_maildir(dv, i)) {
				struct qrcpt *q = &env.rcpts[env.nrcpt++];
				const char *why = failure(dv, i);
				strlcpy(q->addr, dv->rcpts[i], sizeof(q->addr));
				q->state = why ? QR_FAILED : QR_PENDING;
				if (why)
					strlcpy(q->error, why,
						sizeof(q->error));
			}
		fwd = forward_lines(dv);
		qhdr = xmalloc(strlen(fwd) + sizeof(hdr));
		memcpy(qhdr, fwd, strlen(fwd));
		if ((n = trace_header(dv, nremote == 1 ? one_remote : NULL, 0,
				      NULL, qhdr + strlen(fwd),
				      sizeof(hdr))) < 0 ||
		    queue_prepare(&qtx, c->queue, &env, qhdr,
				  strlen(fwd) + (size_t)n, sp->fd,
				  sp->start, sp->size) < 0) {
			log_warnx("%s: status=deferred (cannot write the queue "
				  "file)",
				  dv->qid);
			failed = 1;
		}
	}
	if (!failed && grace_ended()) {
		log_info("%s: status=deferred (signalled to stop: nothing "
			 "delivered)",
			 dv->qid);
		failed = 1;
	}
	/* step 2: make them visible; undo all on any failure */
	for (i = 0; i < dv->nrcpt && !failed; i++)
		if (to_maildir(dv, i) && maildir_commit(&tx[i]) < 0)
			failed = 1;
	if (!failed && nremote > 0 && queue_commit(&qtx) < 0)
		failed = 1;
	if (failed) {
		for (i = 0; i < dv->nrcpt; i++)
			if (to_maildir(dv, i))
				maildir_abort(&tx[i]);
		queue_abort(&qtx);
	} else {
		for (i = 0; i < dv->nrcpt; i++)
			if (failure(dv, i))
				log_info(
				    "%s: to=<%s> status=bounced relay=none "
				    "delay=%.2f (%s)",
				    dv->qid, log_value(dv->rcpts[i]),
				    queue_delay(dv->qid, 0), failure(dv, i));
			else
				log_info("%s: to=<%s> status=%s relay=%s "
					 "delay=%.2f",
					 dv->qid, log_value(dv->rcpts[i]),
					 dv->local[i] ? "delivered" : "queued",
					 dv->local[i] ? "local" : "queue",
					 queue_delay(dv->qid, 0));
		if (nremote > 0)
			queue_wake(c->queue, dv->qid);
	}
	/* the owner failed at reception: its copy served the others */
	maildir_abort(&sp->owner_tx);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	free(fwd);
	free(qhdr);
	free(env.rcpts);
	free(tx);
	return failed ? -1 : 0;
}
