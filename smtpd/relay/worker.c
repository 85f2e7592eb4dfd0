/*
 * worker.c - see worker.h.  Runs in a process forked by the relay child,
 * each message under an exclusive lock on its data file, so even two
 * relay children never deliver one message twice at the same time.
 * A job's messages are taken in turn, each finished (results recorded,
 * bounced) before the next; the connection to a destination is kept
 * from one to the next and closed with QUIT at the end.  The delivered
 * ones are removed together (struct finished), still locked, before
 * that QUIT: one fsync of env/ and one of data/ for up to
 * WORKER_REMOVE_BATCH of them, not two each.
 *
 * Results per recipient: 2xx done; 5xx failed (bounced); 4xx, a refused
 * connection or a timeout stay pending with growing delays (retry_delay
 * MIN MAX, doubling) until queue_lifetime, then failed.  A recipient
 * whose domain has no route fails at once; its destination's hosts come
 * from mxroute.c (static route or MX), tried in turn until one greets,
 * and a failed DNS lookup is a 4xx or a 5xx as mxroute.h says.
 *
 * Each step of the conversation waits at most its relay_*_timeout
 * (connect, greeting and EHLO, MAIL/RCPT/QUIT, DATA, each buffer of
 * the body, the reply to the final dot), as Postfix's smtp_*_timeout.
 *
 * Recording never needs new space where it matters: right after the
 * peer's 250 to the final dot, before anything else is said to it and
 * before any other destination is tried, the recipients it took are marked done in place
 * (their fixed-width state field, fdatasync'd), so neither a full disk
 * nor a peer that never answers QUIT can make a message go out again.
 * After the attempt the envelope is rewritten whole with the error
 * texts; when that fails (ENOSPC, no inodes) the states, next and
 * attempts are written in place instead, and only if that fails too
 * does the worker exit WORKER_UNRECORDED, which makes the relay child
 * hold the message off.  The one window for a duplicate is a crash
 * between the peer's reply to the dot and that mark's fdatasync.
 *
 * A noconnect job (relay.c's for messages waiting past their deadline
 * for a dead destination) tries no recipient: the same steps after the
 * attempt expire those pending past queue_lifetime (bounced, the
 * message removed) or send the delay notice, and attempts, last_try
 * and next_try stay as they were.
 *
 * A job for one destination that finds none of its hosts greeting
 * (refused, timed out, 4xx or 5xx greeting) tries no further: its other
 * messages get that error ("delivery temporarily suspended") and the
 * worker exits WORKER_DEAD, so the relay child marks it dead.
 *
 * SIGTERM and SIGINT (the relay child ending it at the end of its grace,
 * relay.c) are let in only while the worker talks to a peer: it then
 * ends with the message as it was, to be tried again later (a duplicate
 * at worst, if the peer had taken it); while it records results, bounces
 * or removes the message they wait, and the worker finishes that and
 * exits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "conf_lookup.h"
#include "mxroute.h"
#include "log.h"
#include "msghdr.h"
#include "peertls.h"
#include "smtpc.h"
#include "util.h"

#include "relay/bounce.h"
#include "relay/worker.h"
#include "store/deliver.h"
#include "store/queue.h"

static long
retry_delay(const struct conf *c, int attempts)
{
	long d = c->retry_min;

	while (--attempts > 0 && d < c->retry_max)
		d *= 2;
	return d < c->retry_max ? d : c->retry_max;
}

/* record one recipient's result from a reply or a connection error */
static void
rcpt_result(struct qrcpt *q, int code, const char *where, const char *text)
{
	char first[400];
	const char *nl;
	size_t n;

	nl = strchr(text, '\n');
	n = nl ? (size_t)(nl - text) : strlen(text);
	if (n >= sizeof(first))
		n = sizeof(first) - 1;
	memcpy(first, text, n);
	first[n] = '\0';
	if (code >= 200 && code < 300) {
		q->state = QR_DONE;
		q->error[0] = '\0';
		return;
	}
	snprintf(q->error, sizeof(q->error), "%s%s%s", where,
		 code > 0 ? " said: " : ": ", first);
	if (code >= 500)
		q->state = QR_FAILED;
}

/*
 * The worker's connection: to one destination at a time, kept from one
 * message of the job to the next (RSET between them, RFC 5321 §4.1.1.5)
 * up to relay_reuse_count transactions; closed with QUIT when the job
 * moves on or ends.  dead: this job's destination could not be reached
 * (every host refused, timed out, did not greet with 220 or failed
 * TLS); its other messages then wait untried, with that error.  In TLS
 * when the peer offered STARTTLS or the route required it (peertls.h);
 * verified: the peer's certificate was checked.  notes: for each
 * recipient of the message at hand, how the connection that carried
 * it was protected, for its log line (peertls_note).
 */
struct wconn {
	struct smtpc c;
	struct peertls *tls;
	int open, used, verified;
	char dest[SCHED_DEST_MAX];
	char where[300], remote[300];
	int dead;
	char dead_err[512];
	char (*notes)[200];
};

/* the connection is not wanted after an error: QUIT when it can */
static void
conn_drop(struct smtpd *d, struct smtpc *c)
{
	if (!c->broken && c->code > 0) {
		smtpc_set_timeout(c, d->conf.relay_mail_timeout,
				  "relay_mail_timeout");
		smtpc_cmd(c, "QUIT");
	}
	smtpc_close(c);
}

/*
 * Connect to the route's hosts in turn (mxroute.h) until one greets
 * with 220: a connection that fails or a greeting that is not 220
 * (RFC 5321 §3.1: 4xx, or 554 "no service here") moves on to the next
 * host, each failure recorded, so what stays is the last host's.  A
 * 5xx greeting is never final, even from the last host: that host
 * turned the connection away, not the recipients (Postfix's
 * smtp_skip_5xx_greeting), so the message is tried again later.  A
 * greeted host is sent EHLO, then STARTTLS when it offers it or the
 * route requires TLS (peertls.h; required: a certificate verified for
 * the host's name): a TLS failure is a temporary error of that host
 * and the next is tried, never the same in clear.  At most
 * MXROUTE_SESSIONS_MAX hosts that take the connection but do not
 * greet with 220 or fail TLS are tried in one attempt.  Each
 * recipient's remote names the host last tried.  0 connected and
 * EHLO'd, with the host as error texts name it in w->where; -1 when no
 * host took it; -2 when EHLO and HELO were refused (the recipients'
 * errors set to that reply).
 */
static int
worker_connect(struct smtpd *d, struct envelope *env, const struct mxroute *mr,
	       const int *idx, int n, int required, struct wconn *w)
{
	char remote[sizeof(env->rcpts[0].remote)];
	char err[sizeof(env->rcpts[0].error)];
	struct smtpc *c = &w->c;
	char *where = w->where;
	size_t wsize = sizeof(w->where);
	int h, i, code, tls, sessions = 0;

	for (h = 0; h < mr->nhosts && sessions < MXROUTE_SESSIONS_MAX; h++) {
		const struct mxhost *host = &mr->hosts[h];
		mxhost_where(host, where, wsize);
		mxhost_remote(host, remote, sizeof(remote));
		for (i = 0; i < n; i++)
			strlcpy(env->rcpts[idx[i]].remote, remote,
				sizeof(remote));
		if (smtpc_connect(c, host->addr, host->port,
				  d->conf.relay_connect_timeout,
				  d->verbose ? stderr : NULL) < 0) {
			for (i = 0; i < n; i++)
				rcpt_result(&env->rcpts[idx[i]], -1, where,
					    c->err);
			continue;
		}
		smtpc_set_timeout(c, d->conf.relay_helo_timeout,
				  "relay_helo_timeout");
		if ((code = smtpc_reply(c)) != 220) {
			sessions++;
			for (i = 0; i < n; i++) {
				rcpt_result(&env->rcpts[idx[i]], code, where,
					    code < 0 ? c->err : c->text);
				env->rcpts[idx[i]].state = QR_PENDING;
			}
			smtpc_close(c);
			continue;
		}
		if (smtpc_hello(c, d->conf.hostname) / 100 != 2)
			goto refused;
		tls = peertls_start(w->tls, c, host->name, required, err,
				    sizeof(err));
		if (tls == 1 && smtpc_hello(c, d->conf.hostname) / 100 != 2)
			goto refused;
		if (tls >= 0) {
			w->verified = tls == 1 && required;
			return 0;
		}
		sessions++;
		for (i = 0; i < n; i++)
			rcpt_result(&env->rcpts[idx[i]], -1, where, err);
		conn_drop(d, c);
	}
	return -1;
refused:
	/* EHLO (and HELO) refused, in clear or after STARTTLS */
	for (i = 0; i < n; i++)
		rcpt_result(&env->rcpts[idx[i]], c->code, where,
			    c->code < 0 ? c->err : c->text);
	smtpc_close(c);
	return -2;
}

/*
 * Mark in place, durably, the recipients of idx[] the peer took, with
 * the stop signals held (worker_run: they wait while results are
 * recorded); -1 when that could not be done.
 */
static int
record_done(struct smtpd *d, struct envelope *env, const int *idx, int n)
{
	int *done = xcalloc((size_t)n, sizeof(*done));
	int i, k = 0, r = 0;
	sigset_t open;

	for (i = 0; i < n; i++)
		if (env->rcpts[idx[i]].state == QR_DONE)
			done[k++] = idx[i];
	deliver_hold_signals(&open);
	if (k > 0 && (r = queue_env_mark(d->conf.queue, env, done, k, 0)) < 0)
		log_warn("%s: cannot record %d delivered recipient%s", env->id,
			 k, k == 1 ? "" : "s");
	sigprocmask(SIG_SETMASK, &open, NULL);
	free(done);
	return r;
}

static void
conn_close(struct smtpd *d, struct wconn *w, int quit)
{
	if (!w->open)
		return;
	if (quit) {
		smtpc_set_timeout(&w->c, d->conf.relay_mail_timeout,
				  "relay_mail_timeout");
		smtpc_cmd(&w->c, "QUIT");
	}
	smtpc_close(&w->c);
	w->open = 0;
}

/*
 * 1 when w's connection goes to dest and may carry one more message (in
 * verified TLS when required): it answered RSET with 250 (the recipients then name its host).  Else it
 * is closed (with QUIT when it is only done with) and 0.
 */
static int
conn_reuse(struct smtpd *d, struct wconn *w, const char *dest, int required,
	   struct envelope *env, const int *idx, int n)
{
	int i;

	if (!w->open)
		return 0;
	if (strcmp(w->dest, dest) != 0 ||
	    w->used >= d->conf.relay_reuse_count ||
	    (required && !w->verified)) {
		conn_close(d, w, 1);
		return 0;
	}
	smtpc_set_timeout(&w->c, d->conf.relay_mail_timeout,
			  "relay_mail_timeout");
	if (smtpc_cmd(&w->c, "RSET") != 250) {
		conn_close(d, w, 0);
		return 0;
	}
	for (i = 0; i < n; i++)
		strlcpy(env->rcpts[idx[i]].remote, w->remote,
			sizeof(env->rcpts[0].remote));
	return 1;
}

/*
 * A new connection to mr's hosts for dest, greeted, EHLO'd and in TLS
 * as peertls.h says (required: the route's tls): 0; -1 when no host
 * greeted with 220 and went on in TLS when it had to (the destination
 * is dead, for a job to it), -2 when EHLO and HELO were refused (the
 * recipients' errors are set either way).
 */
static int
conn_open(struct smtpd *d, struct wconn *w, const char *dest, int required,
	  struct envelope *env, const struct mxroute *mr, const int *idx,
	  int n)
{
	int k;

	if ((k = worker_connect(d, env, mr, idx, n, required, w)) < 0)
		return k;
	strlcpy(w->remote, env->rcpts[idx[0]].remote, sizeof(w->remote));
	strlcpy(w->dest, dest, sizeof(w->dest));
	w->open = 1;
	w->used = 0;
	return 0;
}

/*
 * One SMTP transaction for the recipients in idx[] (all the same
 * destination) on w's connection, each step within its relay_*_timeout
 * (RFC 5321 §4.5.3.2).  Results are written into env->rcpts; those the
 * peer took at the end of DATA are recorded (record_done) before
 * anything else is said to it, so neither a QUIT the peer never
 * answers nor a crash then sends them again.  The connection stays open
 * for the next message when the peer answered every step in order.
 * -1 when the results could not be recorded.
 */
static int
worker_attempt(struct smtpd *d, struct wconn *w, struct envelope *env,
	       int *idx, int n, int datafd, off_t size)
{
	const struct conf *cf = &d->conf;
	struct smtpc *c = &w->c;
	const char *where = w->where;
	int *accepted, nacc = 0, i, code, r = 0, keep = 0;

	accepted = xcalloc((size_t)n, sizeof(*accepted));
	w->used++;
	for (i = 0; i < n; i++)
		peertls_note(c, w->verified, w->notes[idx[i]],
			     sizeof(w->notes[0]));
	smtpc_set_timeout(c, cf->relay_mail_timeout, "relay_mail_timeout");
	/* RFC 2920: MAIL and every RCPT in one write when PIPELINING */
	if (c->ext & SMTPC_EXT_SIZE)
		smtpc_send(c, "MAIL FROM:<%s> SIZE=%lld", env->sender,
			   (long long)size);
	else
		smtpc_send(c, "MAIL FROM:<%s>", env->sender);
	if (c->ext & SMTPC_EXT_PIPELINING) {
		for (i = 0; i < n; i++)
			smtpc_send(c, "RCPT TO:<%s>", env->rcpts[idx[i]].addr);
	}
	if ((code = smtpc_reply(c)) / 100 != 2) {
		/* drain the pipelined RCPT replies, then report MAIL's */
		char text[sizeof(c->text)];
		strlcpy(text, code < 0 ? c->err : c->text, sizeof(text));
		keep = code > 0;
		if (code > 0 && (c->ext & SMTPC_EXT_PIPELINING))
			for (i = 0; i < n; i++)
				keep &= smtpc_reply(c) > 0;
		for (i = 0; i < n; i++)
			rcpt_result(&env->rcpts[idx[i]], code, where, text);
		goto done;
	}
	for (i = 0; i < n; i++) {
		struct qrcpt *q = &env->rcpts[idx[i]];
		if (!(c->ext & SMTPC_EXT_PIPELINING))
			smtpc_send(c, "RCPT TO:<%s>", q->addr);
		code = smtpc_reply(c);
		if (code < 0) {
			for (; i < n; i++)
				rcpt_result(&env->rcpts[idx[i]], -1, where, c->err);
			goto done;
		}
		if (code / 100 == 2)
			accepted[nacc++] = idx[i];
		else
			rcpt_result(q, code, where, c->text);
	}
	if (nacc == 0) {
		keep = 1; /* RSET before the next message */
		goto done;
	}
	smtpc_set_timeout(c, cf->relay_data_timeout, "relay_data_timeout");
	if ((code = smtpc_cmd(c, "DATA")) != 354) {
		/* anything but 354, 4xx or 5xx (a 250, say) is not an
		 * answer to DATA: no message went, the recipients wait */
		char text[sizeof(c->err)];
		if (code > 0 && code < 400) {
			int len = (int)strcspn(c->text, "\n");
			snprintf(text, sizeof(text),
				 "protocol error: %.*s (to DATA)",
				 len < 80 ? len : 80, c->text);
			code = -1;
		} else
			strlcpy(text, code < 0 ? c->err : c->text, sizeof(text));
		keep = code > 0;
		for (i = 0; i < nacc; i++)
			rcpt_result(&env->rcpts[accepted[i]], code, where, text);
		goto done;
	}
	smtpc_set_timeout(c, cf->relay_data_block_timeout,
			  "relay_data_block_timeout");
	if (lseek(datafd, 0, SEEK_SET) < 0) {
		snprintf(c->err, sizeof(c->err), "read message: %s",
			 strerror(errno));
		code = -1;
	} else if ((code = smtpc_body_fd(c, datafd)) == 0) {
		smtpc_set_timeout(c, cf->relay_data_done_timeout,
				  "relay_data_done_timeout");
		code = smtpc_reply(c);
	}
	for (i = 0; i < nacc; i++)
		rcpt_result(&env->rcpts[accepted[i]], code, where,
			    code < 0 ? c->err : c->text);
	/* recorded now: the window for a duplicate ends here (smtpd(8)) */
	r = record_done(d, env, accepted, nacc);
	keep = code > 0;
done:
	/* a peer that is closing (421) or out of step is not reused */
	if (!keep || c->code == 421 || c->broken)
		conn_close(d, w, 0);
	free(accepted);
	return r;
}

/* the recipient's domain, or NULL (then its error is set) */
static const char *
rcpt_domain(struct qrcpt *q, struct mailaddr *a)
{
	if (addr_parse_mailbox(q->addr, a) == 0)
		return a->domain;
	rcpt_result(q, 553, "smtpd", "553 5.1.3 bad recipient address");
	return NULL;
}

static int
skipped(const struct worker_job *job, const char *dest)
{
	int i;

	for (i = 0; i < job->nskip; i++)
		if (strcmp(job->skip[i], dest) == 0)
			return 1;
	return 0;
}

/* 1 when the route to domain requires TLS (`route ... tls`) */
static int
tls_required(const struct conf *c, const char *domain)
{
	const struct route *rt = conf_route(c, domain);

	return rt != NULL && rt->tls;
}

/*
 * Group the pending recipients by destination (conf_dest) and by
 * whether their route requires TLS (two routes to one host may differ
 * in that: the one without never takes the other's in clear), look up its
 * hosts and try them (on w's connection when it goes there), recording
 * each group's deliveries before the next.  A lookup that fails fails
 * the group (mxroute.h: 4xx stays pending, 5xx fails).  A destination
 * the job skips, or found dead, is not tried.  -1 when deliveries could
 * not be recorded: then nothing more is tried.
 */
static int
deliver_pending(struct smtpd *d, const struct worker_job *job,
		struct wconn *w, struct envelope *env, int datafd, off_t size,
		const sigset_t *open)
{
	sigset_t held;
	struct mxroute mr;
	int *idx = xcalloc((size_t)env->nrcpt, sizeof(*idx));
	char *tried = xcalloc((size_t)env->nrcpt, 1);
	char err[sizeof(env->rcpts[0].error)];
	char dest[SCHED_DEST_MAX], other[SCHED_DEST_MAX];
	int i, j, n, code, required, r = 0;

	for (i = 0; i < env->nrcpt && r == 0; i++) {
		struct mailaddr a, b;
		if (tried[i] || env->rcpts[i].state != QR_PENDING ||
		    rcpt_domain(&env->rcpts[i], &a) == NULL ||
		    conf_dest(&d->conf, a.domain, dest, sizeof(dest)) < 0)
			continue;
		required = tls_required(&d->conf, a.domain);
		/* every pending recipient with the same destination */
		n = 0;
		for (j = i; j < env->nrcpt; j++) {
			if (tried[j] || env->rcpts[j].state != QR_PENDING ||
			    addr_parse_mailbox(env->rcpts[j].addr, &b) < 0 ||
			    conf_dest(&d->conf, b.domain, other,
				      sizeof(other)) < 0 ||
			    strcmp(dest, other) != 0 ||
			    tls_required(&d->conf, b.domain) != required)
				continue;
			tried[j] = 1;
			idx[n++] = j;
		}
		if (skipped(job, dest))
			continue; /* dead: they wait as they are */
		if (w->dead && strcmp(dest, job->dest) == 0) {
			/* found dead earlier in this job (Postfix's wording) */
			for (j = 0; j < n; j++) {
				struct qrcpt *q = &env->rcpts[idx[j]];
				snprintf(q->error, sizeof(q->error),
					 "delivery temporarily suspended: %.400s",
					 w->dead_err);
				strlcpy(q->remote, w->remote, sizeof(q->remote));
			}
			continue;
		}
		sigprocmask(SIG_SETMASK, open, &held);
		code = 0;
		if (conn_reuse(d, w, dest, required, env, idx, n))
			r = worker_attempt(d, w, env, idx, n, datafd, size);
		else if ((code = mxroute_lookup(&d->conf, a.domain, 0, &mr, err,
						sizeof(err))) == 0) {
			int k = conn_open(d, w, dest, required, env, &mr, idx,
					  n);
			if (k == 0)
				r = worker_attempt(d, w, env, idx, n, datafd,
						   size);
			else if (k == -1 && strcmp(dest, job->dest) == 0) {
				const struct qrcpt *q = &env->rcpts[idx[0]];
				w->dead = 1;
				strlcpy(w->dead_err, q->error,
					sizeof(w->dead_err));
				strlcpy(w->remote, q->remote, sizeof(w->remote));
			}
		}
		sigprocmask(SIG_SETMASK, &held, NULL);
		for (j = 0; code != 0 && j < n; j++) {
			/* no host was tried this time: none is named */
			struct qrcpt *q = &env->rcpts[idx[j]];
			strlcpy(q->error, err, sizeof(q->error));
			q->remote[0] = '\0';
			if (code >= 500)
				q->state = QR_FAILED;
		}
	}
	free(idx);
	free(tried);
	return r;
}

/*
 * More Received: lines in the queued message (ours included) than
 * max_hops: a loop between relays, or a path no peer would take (RFC
 * 5321 §6.3; it would refuse it at the end of DATA).  Every pending
 * recipient fails, before any connection, and is bounced.
 */
static void
hops_check(struct smtpd *d, struct envelope *env, int datafd)
{
	struct msghdr h;
	int i;

	if (msghdr_scan_fd(&h, datafd) < 0) {
		log_warn("%s: read queued data", env->id);
		return;
	}
	if (h.received <= (unsigned long)d->conf.max_hops)
		return;
	for (i = 0; i < env->nrcpt; i++)
		if (env->rcpts[i].state == QR_PENDING) {
			snprintf(env->rcpts[i].error,
				 sizeof(env->rcpts[i].error),
				 "554 5.4.0 Too many hops (%lu Received: "
				 "headers, max_hops %d)",
				 h.received, d->conf.max_hops);
			env->rcpts[i].state = QR_FAILED;
		}
}

/* the indices of the recipients whose state is not what it was (into
 * idx, unless NULL), and how many */
static int
changed(const struct envelope *env, const enum qrcpt_state *before,
	int *idx)
{
	int i, n = 0;

	for (i = 0; i < env->nrcpt; i++)
		if (env->rcpts[i].state != before[i]) {
			if (idx != NULL)
				idx[n] = i;
			n++;
		}
	return n;
}

/*
 * The whole envelope, error texts included; when that needs space the
 * disk does not have, what must be kept (states, next, attempts) in
 * place.  -1 when neither worked.
 */
static int
record_results(struct smtpd *d, struct envelope *env,
	       const enum qrcpt_state *before, int final)
{
	int *idx, n, r = 0;

	if ((final ? queue_env_write_final(d->conf.queue, env)
		   : queue_env_write(d->conf.queue, env)) == 0)
		return 0;
	idx = xcalloc((size_t)env->nrcpt, sizeof(*idx));
	n = changed(env, before, idx);
	if (queue_env_mark(d->conf.queue, env, idx, n, 1) < 0) {
		log_warn("%s: cannot record the results of this attempt",
			 env->id);
		r = -1;
	} else
		log_warnx("%s: results recorded in place, without the error "
			  "texts",
			  env->id);
	free(idx);
	return r;
}

/* the bounce was sent: failed recipients become bounced, in place if
 * the fields have room (they do but in old-format files) */
static int
record_bounced(struct smtpd *d, struct envelope *env)
{
	int *idx = xcalloc((size_t)env->nrcpt, sizeof(*idx));
	int i, n = 0, r = 0;

	for (i = 0; i < env->nrcpt; i++)
		if (env->rcpts[i].state == QR_FAILED) {
			env->rcpts[i].state = QR_BOUNCED;
			idx[n++] = i;
		}
	if (queue_env_mark(d->conf.queue, env, idx, n, 0) < 0 &&
	    queue_env_write(d->conf.queue, env) < 0) {
		log_warn("%s: cannot record the bounce", env->id);
		r = -1;
	}
	free(idx);
	return r;
}

/*
 * The log line of one recipient tried in this attempt (smtpd(8),
 * LOGGING): the host it was last tried at, as error texts name it
 * ("none" when no host was tried), the seconds since the message
 * arrived, how the session was protected when it was TLS (tls, a
 * peertls_note), the reply or error last.
 */
static void
log_result(const struct envelope *env, const struct qrcpt *q, const char *tls)
{
	struct mxhost h;
	char relay[300] = "none";
	const char *open = strstr(q->remote, " ["), *close;

	/* back from the envelope's "NAME [ADDR]:PORT" */
	if (open != NULL && (close = strstr(open, "]:")) != NULL &&
	    (size_t)(open - q->remote) < sizeof(h.name) &&
	    (size_t)(close - open - 2) < sizeof(h.addr) &&
	    strlcpy(h.port, close + 2, sizeof(h.port)) < sizeof(h.port)) {
		memcpy(h.name, q->remote, (size_t)(open - q->remote));
		h.name[open - q->remote] = '\0';
		memcpy(h.addr, open + 2, (size_t)(close - open - 2));
		h.addr[close - open - 2] = '\0';
		mxhost_where(&h, relay, sizeof(relay));
	}
	log_info("%s: to=<%s> status=%s relay=%s delay=%.2f%s%s%s%s", env->id,
		 log_value(q->addr),
		 q->state == QR_DONE	  ? "sent"
		 : q->state == QR_PENDING ? "deferred"
					  : "bounced",
		 relay, queue_delay(env->id, env->created), tls,
		 q->error[0] ? " (" : "", q->error, q->error[0] ? ")" : "");
}

/*
 * The job's finished messages (every recipient delivered, marked done
 * durably by record_done, nothing to bounce), still under their locks
 * (fds), removed together (queue_remove_many: one fsync of env/ and one
 * of data/ for them all, not two each) when there are
 * WORKER_REMOVE_BATCH of them and before the worker says QUIT or exits.
 * Until then each one's envelope says every recipient is done: after a
 * crash the next attempt only removes it.
 */
#define WORKER_REMOVE_BATCH 32

struct finished {
	char *ids[WORKER_REMOVE_BATCH];
	int fds[WORKER_REMOVE_BATCH];
	int n;
};

static void
remove_finished(struct smtpd *d, struct finished *f)
{
	int removed[WORKER_REMOVE_BATCH];
	int i;

	if (f->n == 0)
		return;
	queue_remove_many(d->conf.queue, f->ids, f->n, removed);
	for (i = 0; i < f->n; i++) {
		if (removed[i])
			log_info("%s: removed", f->ids[i]);
		else
			log_warn("%s: remove from queue", f->ids[i]);
		close(f->fds[i]);
	}
	f->n = 0;
}

/*
 * One attempt at message id: WORKER_DONE, also when it is gone or
 * another process holds it (its envelope then says it was not tried:
 * relay.c sees that), or WORKER_UNRECORDED.
 */
static int
deliver_one(struct smtpd *d, const struct worker_job *job, struct wconn *w,
	    char *id, const sigset_t *open, struct finished *fin)
{
	struct envelope env;
	enum qrcpt_state *before;
	time_t now;
	off_t size;
	int datafd, i, pending = 0, failed = 0, r = WORKER_DONE, final;

	if ((datafd = queue_data_open(d->conf.queue, id, &size)) < 0) {
		/* removed since the scan, or an envelope without its data */
		if (errno == ENOENT)
			return WORKER_DONE;
		log_warn("%s: open queued data", id);
		return WORKER_UNRECORDED;
	}
	/* another worker has it; or, under the lock, it is gone or set
	 * aside by the relay child (read only now: it may have changed) */
	if (flock(datafd, LOCK_EX | LOCK_NB) < 0 ||
	    queue_env_read(d->conf.queue, id, &env) < 0) {
		close(datafd);
		return WORKER_DONE;
	}
	before = xcalloc((size_t)env.nrcpt, sizeof(*before));
	for (i = 0; i < env.nrcpt; i++)
		before[i] = env.rcpts[i].state;
	w->notes = xcalloc((size_t)env.nrcpt, sizeof(*w->notes));
	if (!job->noconnect) {
		hops_check(d, &env, datafd);
		if (deliver_pending(d, job, w, &env, datafd, size, open) < 0) {
			r = WORKER_UNRECORDED;
			goto out;
		}
	}
	now = time(NULL);
	if (!job->noconnect) {
		env.last_try = now;
		if (env.attempts < 0xffff)
			env.attempts++;
		env.next_try = now + retry_delay(&d->conf, env.attempts);
	}
	for (i = 0; i < env.nrcpt; i++) {
		struct qrcpt *q = &env.rcpts[i];
		if (q->state == QR_PENDING &&
		    now - env.created >= d->conf.queue_lifetime) {
			char why[sizeof(q->error)];
			strlcpy(why, BOUNCE_EXPIRED, sizeof(why));
			strlcat(why, q->error[0] ? q->error : "not delivered",
				sizeof(why));
			strlcpy(q->error, why, sizeof(q->error));
			q->state = QR_FAILED;
		}
		/* untried (noconnect): only those that expired */
		if (before[i] == QR_PENDING &&
		    (!job->noconnect || q->state != QR_PENDING))
			log_result(&env, q, w->notes[i]);
		pending += q->state == QR_PENDING;
		failed += q->state == QR_FAILED;
	}
	/* results first, durably; then the bounce; then mark it sent (a
	 * job that tried nothing and expired nothing has none).  A
	 * finished message is removed next: its new envelope need not be
	 * made durable before that (queue_env_write_final) */
	final = pending == 0 && failed == 0;
	if ((!job->noconnect || changed(&env, before, NULL) > 0) &&
	    record_results(d, &env, before, final) < 0) {
		r = WORKER_UNRECORDED;
		goto out;
	}
	if (failed > 0 && bounce_send(d, &env, datafd) == 0) {
		failed = 0;
		if (pending > 0 && record_bounced(d, &env) < 0) {
			r = WORKER_UNRECORDED;
			goto out;
		}
	}
	/* the one delay notice, once the message is delay_warning old */
	if (pending > 0)
		bounce_delay_notice(d, &env, datafd, now); /* logs its failures */
	if (final) {
		/* removed with the job's other finished ones, the lock
		 * kept until then */
		fin->ids[fin->n] = id;
		fin->fds[fin->n++] = datafd;
		datafd = -1;
		if (fin->n == WORKER_REMOVE_BATCH)
			remove_finished(d, fin);
	} else if (pending == 0 && failed == 0) {
		if (queue_remove(d->conf.queue, id) < 0)
			log_warn("%s: remove from queue", id);
		else
			log_info("%s: removed", id);
	}
out:
	queue_env_free(&env);
	free(before);
	free(w->notes);
	w->notes = NULL;
	if (datafd >= 0)
		close(datafd);
	return r;
}

void
worker_run(struct smtpd *d, const struct worker_job *job)
{
	struct wconn w;
	struct finished fin;
	sigset_t open, held;
	int k;

	deliver_hold_signals(&open); /* let in while it talks to a peer */
	memset(&w, 0, sizeof(w));
	fin.n = 0;
	w.tls = job->tls;
	for (k = 0; k < job->n; k++)
		if (deliver_one(d, job, &w, job->ids[k], &open, &fin) ==
		    WORKER_UNRECORDED) {
			/* the rest stay as they are: relay.c holds this one
			 * off, the first it finds not tried */
			remove_finished(d, &fin);
			_exit(WORKER_UNRECORDED);
		}
	/* before QUIT, which a peer may leave unanswered */
	remove_finished(d, &fin);
	sigprocmask(SIG_SETMASK, &open, &held);
	conn_close(d, &w, 1);
	_exit(w.dead ? WORKER_DEAD : WORKER_DONE);
}
