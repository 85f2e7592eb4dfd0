/*
 * deliver.h - putting an accepted message where it belongs: a copy in
 * each local recipient's Maildir, and one queue entry holding all the
 * remote recipients (and those failed for good at reception, for the
 * relay child to bounce).  All-or-nothing: every copy is written and
 * fsync'd first, then all are renamed into place; a failure at any step
 * removes what was written and the caller answers 451.  SIGTERM,
 * SIGINT, SIGHUP and SHUTDOWN_END_SIGNAL are held from the first copy
 * written until all are visible or removed; the end of the shutdown
 * grace (shutdown.c), coming while the copies were written, removes
 * them (-1), and the process ends when deliver() returns and unblocks
 * it.
 * The session (after DATA) and the relay child (bounces) both deliver
 * through here.
 */
#ifndef DELIVER_H
#define DELIVER_H

#include <signal.h>
#include <sys/types.h>

#include "smtpd.h"

struct delivery {
	struct smtpd *d;
	const char *qid;
	const char *sender;    /* "" for the null sender */
	const char *helo;      /* NULL: generated locally (a bounce) */
	const char *client_ip;
	const char *proto;     /* SMTP, ESMTP, ESMTPA, ESMTPS, ESMTPSA */
	/* received in TLS: "TLSv1.3 with cipher ... (256/256 bits)"; or NULL */
	const char *tls;
	const char **rcpts;    /* formatted addresses */
	const int *local;      /* 1: local Maildir, 0: the queue */
	/*
	 * Per rcpt, the address stamped as Delivered-To: (expand.h): each
	 * Maildir copy gets its own, below Return-Path: (as Postfix's
	 * local(8)); the queued copy one for each distinct forwarding
	 * alias among its recipients (one that differs from the recipient).
	 * NULL, or a NULL entry: the recipient itself.
	 */
	const char **delivered_to;
	/*
	 * Per rcpt, NULL, or why it failed for good at reception (a loop:
	 * "554 5.4.6 Mail loop detected"), while the others take the
	 * message: it gets no copy of its own but goes into the queue
	 * envelope failed, with this error, as a remote recipient that
	 * failed; the relay child then bounces it (RFC 3464) and drops it.
	 * NULL: none failed.
	 */
	const char **failed;
	int nrcpt;
	/* header lines ("Name: value\n"...) written right after the trace
	 * header in every copy, local and queued; NULL or "": none */
	const char *add_headers;
};

struct spool;
struct maildir_tx;
/*
 * Deliver the message in sp (spool.h) to every recipient, or to none:
 * 0, or -1 with nothing delivered.  sp->owner's copy is sp's file
 * itself; afterwards it is in new/ or removed (sp->owner_tx.state 0).
 */
int deliver(struct delivery *dv, struct spool *sp);
/*
 * For a spool written straight into recipient i's Maildir (spool.h):
 * open its file in tmp/ (the fd, or -1), and its header lines (the
 * length, or -1), which go before the message text: Return-Path:,
 * Delivered-To:, Received: and dv->add_headers.
 */
int deliver_owner_open(struct delivery *dv, int i, struct maildir_tx *tx);
int deliver_owner_header(struct delivery *dv, int i, char *buf, size_t size);
/*
 * Hold the stop signals deliver() holds (the mask before in *saved), for
 * a caller that must also answer before it may be stopped: a 250 lost to
 * a shutdown makes the client send the message again.
 */
void deliver_hold_signals(sigset_t *saved);

#endif
