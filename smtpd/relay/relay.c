/*
 * relay.c - the relay child: the queue runner (qmail-send's job, with
 * qmail-remote's in forked workers).
 *
 * The loop sleeps on the queue's wake FIFO (a session writes a byte there
 * when it queues a message, so delivery starts at once), on its retry
 * timer and on SIGUSR1 (retry everything now).  Each message that is due
 * goes to a forked worker (at most relay_workers at a time); the worker
 * locks the message's data file, so even two relay children (one left
 * over from a killed master) never deliver it twice at the same time.
 *
 * The worker delivers each pending recipient to its route with the SMTP
 * client in lib/smtpc.c and records the result per recipient:
 * 2xx done; 5xx failed (bounced); 4xx, a refused connection or a timeout
 * stay pending with growing delays (retry_delay MIN MAX, doubling) until
 * queue_lifetime, then failed.  A recipient whose domain has no route
 * fails at once.  The envelope is rewritten atomically after each
 * attempt.  The one window for a duplicate: a crash after the peer's 250
 * and before that rewrite; the message is then delivered again.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "smtpc.h"
#include "util.h"
#include "conf_lookup.h"

#include "relay/bounce.h"
#include "relay/relay.h"
#include "store/queue.h"

#define RELAY_PARENT_CHECK_MS 1000

struct worker {
	pid_t pid;
	char id[24];
};

static volatile sig_atomic_t relay_force, relay_term;

static void
relay_on_usr1(int sig)
{
	(void)sig;
	relay_force = 1;
}

static void
relay_on_term(int sig)
{
	(void)sig;
	relay_term = 1;
}

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
 * One SMTP transaction for the recipients in idx[] (all the same route).
 * Results are written into env->rcpts.
 */
static void
relay_attempt(struct smtpd *d, struct envelope *env, const struct route *rt,
	      int *idx, int n, int datafd, off_t size)
{
	struct smtpc c;
	char where[300];
	int *accepted, nacc = 0, i, code;

	snprintf(where, sizeof(where), "%s:%s", rt->host, rt->port);
	if (smtpc_connect(&c, rt->host, rt->port, d->conf.timeout,
			  d->verbose ? stderr : NULL) < 0) {
		for (i = 0; i < n; i++)
			rcpt_result(&env->rcpts[idx[i]], -1, where, c.err);
		return;
	}
	accepted = xcalloc((size_t)n, sizeof(*accepted));
	if ((code = smtpc_reply(&c)) != 220 ||
	    (code = smtpc_hello(&c, d->conf.hostname)) / 100 != 2)
		goto all_fail;
	/* RFC 2920: MAIL and every RCPT in one write when PIPELINING */
	if (c.ext & SMTPC_EXT_SIZE)
		smtpc_send(&c, "MAIL FROM:<%s> SIZE=%lld", env->sender,
			   (long long)size);
	else
		smtpc_send(&c, "MAIL FROM:<%s>", env->sender);
	if (c.ext & SMTPC_EXT_PIPELINING) {
		for (i = 0; i < n; i++)
			smtpc_send(&c, "RCPT TO:<%s>", env->rcpts[idx[i]].addr);
	}
	if ((code = smtpc_reply(&c)) / 100 != 2) {
		/* drain the pipelined RCPT replies, then report MAIL's */
		char text[sizeof(c.text)];
		strlcpy(text, code < 0 ? c.err : c.text, sizeof(text));
		if (code > 0 && (c.ext & SMTPC_EXT_PIPELINING))
			for (i = 0; i < n; i++)
				smtpc_reply(&c);
		for (i = 0; i < n; i++)
			rcpt_result(&env->rcpts[idx[i]], code, where, text);
		goto done;
	}
	for (i = 0; i < n; i++) {
		struct qrcpt *q = &env->rcpts[idx[i]];
		if (!(c.ext & SMTPC_EXT_PIPELINING))
			smtpc_send(&c, "RCPT TO:<%s>", q->addr);
		code = smtpc_reply(&c);
		if (code < 0) {
			for (; i < n; i++)
				rcpt_result(&env->rcpts[idx[i]], -1, where, c.err);
			goto done;
		}
		if (code / 100 == 2)
			accepted[nacc++] = idx[i];
		else
			rcpt_result(q, code, where, c.text);
	}
	if (nacc == 0) {
		smtpc_cmd(&c, "QUIT");
		goto done;
	}
	if ((code = smtpc_cmd(&c, "DATA")) != 354) {
		for (i = 0; i < nacc; i++)
			rcpt_result(&env->rcpts[accepted[i]], code, where,
				    code < 0 ? c.err : c.text);
		goto done;
	}
	if (lseek(datafd, 0, SEEK_SET) < 0)
		code = -1;
	else
		code = smtpc_body_fd(&c, datafd);
	for (i = 0; i < nacc; i++)
		rcpt_result(&env->rcpts[accepted[i]], code, where,
			    code < 0 ? c.err : c.text);
	if (code > 0)
		smtpc_cmd(&c, "QUIT");
	goto done;
all_fail:
	for (i = 0; i < n; i++)
		rcpt_result(&env->rcpts[idx[i]], code, where,
			    code < 0 ? c.err : c.text);
done:
	smtpc_close(&c);
	free(accepted);
}

/* group the pending recipients by route and try each group */
static void
relay_deliver_pending(struct smtpd *d, struct envelope *env, int datafd,
		      off_t size)
{
	int *idx = xcalloc((size_t)env->nrcpt, sizeof(*idx));
	char *tried = xcalloc((size_t)env->nrcpt, 1);
	int i, j, n;

	for (i = 0; i < env->nrcpt; i++) {
		const struct route *rt;
		struct mailaddr a;
		if (tried[i] || env->rcpts[i].state != QR_PENDING)
			continue;
		if (addr_parse_mailbox(env->rcpts[i].addr, &a) < 0) {
			rcpt_result(&env->rcpts[i], 553, "smtpd",
				    "553 5.1.3 bad recipient address");
			continue;
		}
		if ((rt = conf_route(&d->conf, a.domain)) == NULL) {
			snprintf(env->rcpts[i].error, sizeof(env->rcpts[i].error),
				 "554 5.4.4 no route to domain %s", a.domain);
			env->rcpts[i].state = QR_FAILED;
			continue;
		}
		/* every pending recipient with the same route, in one go */
		n = 0;
		for (j = i; j < env->nrcpt; j++) {
			struct mailaddr b;
			if (tried[j] || env->rcpts[j].state != QR_PENDING ||
			    addr_parse_mailbox(env->rcpts[j].addr, &b) < 0 ||
			    conf_route(&d->conf, b.domain) != rt)
				continue;
			tried[j] = 1;
			idx[n++] = j;
		}
		relay_attempt(d, env, rt, idx, n, datafd, size);
	}
	free(idx);
	free(tried);
}

/* a worker: deliver one message, update or remove it; exit status 0 */
static _Noreturn void
relay_worker(struct smtpd *d, const char *id)
{
	struct envelope env;
	time_t now;
	off_t size;
	int datafd, i, pending = 0, failed = 0;

	if ((datafd = queue_data_open(d->conf.queue, id, &size)) < 0) {
		if (errno != ENOENT)
			log_warn("%s: open queued data", id);
		_exit(0);
	}
	if (flock(datafd, LOCK_EX | LOCK_NB) < 0)
		_exit(0); /* another worker has it */
	/* read the envelope only now, under the lock: it may have changed */
	if (queue_env_read(d->conf.queue, id, &env) < 0)
		_exit(0);
	relay_deliver_pending(d, &env, datafd, size);
	now = time(NULL);
	env.attempts++;
	for (i = 0; i < env.nrcpt; i++) {
		struct qrcpt *q = &env.rcpts[i];
		if (q->state == QR_PENDING &&
		    now - env.created >= d->conf.queue_lifetime) {
			char why[sizeof(q->error)];
			strlcpy(why, "delivery time expired (queue_lifetime): ",
				sizeof(why));
			strlcat(why, q->error[0] ? q->error : "not delivered",
				sizeof(why));
			strlcpy(q->error, why, sizeof(q->error));
			q->state = QR_FAILED;
		}
		log_info("%s: to=<%s> status=%s%s%s", id, q->addr,
			 q->state == QR_DONE	 ? "sent"
			 : q->state == QR_FAILED ? "bounced"
			 : q->state == QR_PENDING ? "deferred"
						  : "bounced earlier",
			 q->error[0] ? " " : "", q->error);
		pending += q->state == QR_PENDING;
		failed += q->state == QR_FAILED;
	}
	env.next_try = now + retry_delay(&d->conf, env.attempts);
	/* results first, durably; then the bounce; then mark it sent */
	if (queue_env_write(d->conf.queue, &env) < 0)
		_exit(1);
	if (failed > 0 && bounce_send(d, &env, datafd) == 0) {
		for (i = 0; i < env.nrcpt; i++)
			if (env.rcpts[i].state == QR_FAILED)
				env.rcpts[i].state = QR_BOUNCED;
		failed = 0;
		if (pending > 0 && queue_env_write(d->conf.queue, &env) < 0)
			_exit(1);
	}
	if (pending == 0 && failed == 0) {
		if (queue_remove(d->conf.queue, id) < 0)
			log_warn("%s: remove from queue", id);
		else
			log_info("%s: removed", id);
	}
	queue_env_free(&env);
	close(datafd);
	_exit(0);
}

static int
relay_busy(const struct worker *w, int nw, const char *id)
{
	int i;

	for (i = 0; i < nw; i++)
		if (strcmp(w[i].id, id) == 0)
			return 1;
	return 0;
}

/* one pass over the queue: start workers; returns ms until the next due */
static int64_t
relay_scan(struct smtpd *d, struct worker *w, int *nw, int force)
{
	char **ids;
	int n, i;
	time_t now = time(NULL);
	int64_t wait_ms = -1;

	if ((n = queue_ids(d->conf.queue, &ids)) < 0) {
		log_warn("queue %s", d->conf.queue);
		return 5000;
	}
	for (i = 0; i < n; i++) {
		struct envelope env;
		int64_t due;
		pid_t pid;

		if (relay_busy(w, *nw, ids[i]))
			continue;
		if (queue_env_read(d->conf.queue, ids[i], &env) < 0)
			continue;
		due = force ? 0 : (int64_t)(env.next_try - now) * 1000;
		queue_env_free(&env);
		if (due > 0) {
			if (wait_ms < 0 || due < wait_ms)
				wait_ms = due;
			continue;
		}
		if (*nw >= d->conf.relay_workers) {
			wait_ms = 0; /* due, but no worker free: on next reap */
			continue;
		}
		if ((pid = fork()) < 0) {
			log_warn("fork relay worker");
			wait_ms = 1000;
			break;
		}
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGUSR1, SIG_IGN);
			relay_worker(d, ids[i]);
		}
		w[*nw].pid = pid;
		strlcpy(w[*nw].id, ids[i], sizeof(w[0].id));
		(*nw)++;
	}
	queue_ids_free(ids, n);
	return wait_ms;
}

static int
relay_reap(struct worker *w, int *nw)
{
	pid_t pid;
	int status, i, reaped = 0;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < *nw; i++)
			if (w[i].pid == pid) {
				w[i] = w[--*nw];
				reaped++;
				break;
			}
	return reaped;
}

void
relay_main(struct smtpd *d)
{
	struct worker *w = xcalloc((size_t)d->conf.relay_workers, sizeof(*w));
	struct sigaction sa;
	char path[PATH_MAX];
	pid_t parent = getppid();
	int fifo, keep, nw = 0, rescan = 1;
	int64_t next_ms = 0;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = relay_on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = relay_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (xsnprintf(path, sizeof(path), "%s/wake", d->conf.queue) < 0)
		fatalx("queue path too long");
	if ((fifo = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		fatal("%s", path);
	/* hold a writer open ourselves, so the FIFO never reports EOF */
	if ((keep = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		fatal("%s", path);
	/* a day is far longer than any session or delivery takes */
	queue_cleanup(d->conf.queue, 86400);
	log_info("relay child started");
	while (!relay_term) {
		struct pollfd pfd = {fifo, POLLIN, 0};
		int64_t now = now_ms(), timeout;

		if (relay_force || rescan || now >= next_ms) {
			int force = relay_force;
			int64_t due;
			relay_force = 0;
			rescan = 0;
			if (force)
				log_info("SIGUSR1: retrying every queued message");
			due = relay_scan(d, w, &nw, force);
			now = now_ms();
			next_ms = due < 0 ? now + 3600 * 1000 : now + due;
		}
		timeout = next_ms - now;
		if (nw > 0 || timeout > RELAY_PARENT_CHECK_MS)
			timeout = timeout > RELAY_PARENT_CHECK_MS
				      ? RELAY_PARENT_CHECK_MS
				      : timeout;
		if (timeout < 0)
			timeout = 0;
		if (poll(&pfd, 1, (int)timeout) > 0 && (pfd.revents & POLLIN)) {
			char buf[512];
			while (read(fifo, buf, sizeof(buf)) > 0)
				;
			rescan = 1;
		}
		if (relay_reap(w, &nw) > 0)
			rescan = 1; /* a slot is free, or a message was left */
		if (getppid() != parent) {
			log_warnx("relay child: the master is gone, exiting");
			break;
		}
	}
	close(keep);
	/* let running deliveries finish: they hold their messages' locks */
	while (nw > 0) {
		relay_reap(w, &nw);
		if (nw > 0)
			poll(NULL, 0, 100);
	}
	free(w);
	_exit(0);
}
