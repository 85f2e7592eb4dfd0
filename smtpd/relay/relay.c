/*
 * relay.c - the relay child: the queue manager (qmail-send's and
 * Postfix qmgr's job; the deliveries are relay/worker.c's, in forked
 * workers).
 *
 * Only one relay child runs a queue: it holds relay.lock (flock) in the
 * queue, and a second one (a new master's, while an orphan of a killed
 * master still runs) waits for it.  It takes its master's pid from the
 * master (getppid() after the fork would be 1 if the master had already
 * died) and exits when the master is gone (checked every second, and on
 * Linux told at once by PR_SET_PDEATHSIG).
 *
 * The schedule is in memory (relay/sched.h): the envelopes are read once
 * at start, and after that only when the child acts on a message.  A
 * session that queues a message writes its id into the wake FIFO
 * ("ID\n"; `smtpd -q release` too), and the child reads that one
 * envelope.  A worker's end (the SIGCHLD handler writes "\n" there) has
 * the child re-read the envelopes of that worker's messages, for their
 * next attempt.  The full scan of env/ stays as a safety net: every
 * RELAY_RESCAN_SEC, on SIGUSR1, and when the FIFO may have filled up (a
 * writer then loses its line; one read that drains nearly the whole pipe
 * says so).
 *
 * Due messages go to forked workers by destination (conf_dest): one job
 * is up to relay_reuse_count messages for one destination, delivered
 * over one connection; at most relay_dest_concurrency jobs run to one
 * destination and relay_workers in all.  A job that found its
 * destination unreachable makes it dead for a while (retry_delay's MIN,
 * doubling up to MAX): its due messages wait without a worker, and then
 * one job of one message tries it again (a probe; sched.h).  A message with recipients at several
 * destinations is a job of its own; a dead one's recipients are not
 * tried then.  A message waiting for a dead destination that is
 * queue_lifetime old, or delay_warning old with its notice not sent,
 * goes meanwhile to a job that connects nowhere (sched_job_late,
 * worker.h's noconnect): it is bounced and removed, or its sender
 * warned, on time, not only when a probe or its own next attempt comes.
 * SIGUSR1 makes every message queued at that moment due once and lifts
 * the dead marks and hold-offs.
 *
 * A message a worker left untried when it ended well is busy elsewhere
 * (another process holds its lock) and waits RELAY_BUSY_HOLDOFF; when a
 * worker could not record its results (or crashed), the first message
 * of its job it left untried is held off for retry_max (in memory;
 * SIGUSR1 lifts it), so a full disk cannot turn into a delivery loop,
 * and the rest are due again.  An envelope that cannot be read is set
 * aside in corrupt/ (store/queue.c).  The verification cache in verify/
 * is swept of expired entries every verify_cache seconds.  The TLS
 * contexts the workers talk to peers with (peertls.h: the CA bundle
 * read) are made once here, at start; workers inherit them.
 *
 * SIGTERM (the master stopping or restarting it) or SIGINT: no more
 * workers are started; those running get SHUTDOWN_GRACE_SEC to finish,
 * then SIGTERM, which ends one only while it talks to its peer (worker.c),
 * so its messages stay queued as they were and are tried again later.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "addr.h"
#include "log.h"
#include "tlsio.h"
#include "util.h"

#include "conf_lookup.h"
#include "peertls.h"
#include "shutdown.h"

#include "relay/relay.h"
#include "relay/sched.h"
#include "relay/worker.h"
#include "store/queue.h"

#define RELAY_PARENT_CHECK_MS 1000
#define RELAY_BUSY_HOLDOFF 5 /* seconds: another process has the message */
#define RELAY_VERIFY_SWEEP_MAX 3600
#define RELAY_RESCAN_SEC 300 /* the full scan, a safety net */
#define RELAY_DESTS_MAX 64   /* destinations of one message, counted */

/* a worker and its messages */
struct job {
	pid_t pid;
	/* -1: one message with recipients at several; SCHED_LATE: messages
	 * past their deadline, to expire or warn of without connecting */
	int dest;
	struct sched_msg **m;
	int n;
};

struct runner {
	struct smtpd *d;
	pid_t master;
	struct sched s;
	struct job *jobs;
	int njobs;
	int lockfd, fifo, keep;
	struct sched_wake wake;
	size_t pipesize;
	struct peertls tls; /* the workers' TLS contexts, made once here */
};

static volatile sig_atomic_t relay_force, relay_term;
static int relay_wake_fd = -1;

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

/* a worker ended: wake the poll through the FIFO (an empty line) */
static void
relay_on_chld(int sig)
{
	int saved = errno;

	(void)sig;
	if (relay_wake_fd >= 0)
		(void)!write(relay_wake_fd, "\n", 1);
	errno = saved;
}

static int
master_gone(pid_t master)
{
	return getppid() != master;
}

/*
 * When the message must be acted on even if its destinations are dead
 * (sched.h): queue_lifetime after it was queued it bounces, and
 * delay_warning after, if its notice is still to be sent (bounce.h's
 * conditions), its sender is warned.
 */
static time_t
relay_deadline(const struct conf *c, const struct envelope *env)
{
	time_t t = env->created + (time_t)c->queue_lifetime;

	if (c->delay_warning > 0 && !env->warned && env->sender[0] != '\0' &&
	    env->created + (time_t)c->delay_warning < t)
		t = env->created + (time_t)c->delay_warning;
	return t;
}

/*
 * Read message id's envelope into the schedule: added, or updated when
 * it is known and not busy; forgotten when it is gone; set aside when
 * it cannot be read.  The first pending recipient's error (for the log
 * of a dead destination) into why, when given.
 */
static void
relay_load(struct runner *r, const char *id, char *why, size_t whysize)
{
	const struct conf *c = &r->d->conf;
	struct sched_msg *m = sched_find(&r->s, id);
	char (*names)[SCHED_DEST_MAX];
	time_t deadline, next;
	const char *dests[RELAY_DESTS_MAX];
	struct envelope env;
	int i, j, n = 0, left = 0;

	if (m != NULL && m->busy)
		return;
	if (queue_env_read(c->queue, id, &env) < 0) {
		if (errno == EINVAL || errno == EFBIG) {
			/* unreadable: set aside once; if that fails, later;
			 * busy or readable again: looked at again soon */
			int k = queue_set_aside(c->queue, id);
			if (k <= 0 && (m = sched_put(&r->s, id, 0, 0, 0, NULL,
						     0)) != NULL) {
				sched_hold(&r->s, m,
					   time(NULL) + (k < 0 ? c->retry_max
							       : RELAY_BUSY_HOLDOFF));
				return;
			}
		}
		if (m != NULL)
			sched_remove(&r->s, m);
		return;
	}
	names = xcalloc(RELAY_DESTS_MAX, sizeof(*names));
	for (i = 0; i < env.nrcpt; i++)
		left += env.rcpts[i].state == QR_PENDING ||
			env.rcpts[i].state == QR_FAILED;
	for (i = 0; i < env.nrcpt && n < RELAY_DESTS_MAX; i++) {
		struct mailaddr a;
		if (env.rcpts[i].state != QR_PENDING ||
		    addr_parse_mailbox(env.rcpts[i].addr, &a) < 0 ||
		    conf_dest(c, a.domain, names[n], sizeof(names[n])) < 0)
			continue;
		if (why != NULL && n == 0)
			strlcpy(why, env.rcpts[i].error, whysize);
		for (j = 0; j < n && strcmp(names[j], names[n]) != 0; j++)
			;
		if (j == n)
			dests[n] = names[n], n++;
	}
	/*
	 * Due at its deadline at the latest: retried later than that, a
	 * message of a dead destination would wait for its retry (up to
	 * retry_max) to be expired or warned (sched_job_late)
	 */
	deadline = relay_deadline(c, &env);
	next = env.next_try;
	if (deadline > time(NULL) && deadline < next)
		next = deadline;
	/* every recipient done or bounced: only its removal is left (a
	 * worker stopped before its batch was removed): soon, not at its
	 * retry (a removal that keeps failing is not spun on) */
	if (left == 0 && next > time(NULL) + RELAY_BUSY_HOLDOFF)
		next = time(NULL) + RELAY_BUSY_HOLDOFF;
	sched_put(&r->s, id, next, env.attempts, deadline, dests, n);
	free(names);
	queue_env_free(&env);
}

/*
 * The full scan: every message in env/ is in the schedule (the new ones
 * read), and none that is not.
 */
static void
relay_scan(struct runner *r)
{
	char **ids;
	int n, i;

	if ((n = queue_ids(r->d->conf.queue, &ids)) < 0) {
		log_warn("queue %s", r->d->conf.queue);
		return;
	}
	sched_mark(&r->s);
	for (i = 0; i < n; i++) {
		struct sched_msg *m = sched_find(&r->s, ids[i]);
		if (m != NULL)
			sched_touch(&r->s, m);
		else
			relay_load(r, ids[i], NULL, 0);
	}
	sched_sweep(&r->s);
	queue_ids_free(ids, n);
}

static void
relay_wake_id(void *arg, const char *id)
{
	relay_load(arg, id, NULL, 0);
}

/*
 * What is in the wake FIFO: an id a line (read its envelope), empty
 * lines (a worker ended).  1 when the FIFO may have been full, so that
 * some writer's line was lost: then the full scan is due.
 */
static int
relay_read_wake(struct runner *r)
{
	char buf[4096];
	size_t total = 0;
	ssize_t got;

	while ((got = read(r->fifo, buf, sizeof(buf))) > 0) {
		total += (size_t)got;
		sched_wake_feed(&r->wake, buf, (size_t)got, relay_wake_id, r);
	}
	return total + sizeof(r->wake.line) >= r->pipesize;
}

/* fork a worker for the job's messages; -1 when fork failed */
static int
start_worker(struct runner *r, struct job *j)
{
	struct worker_job wj;
	time_t now = time(NULL);
	int i;
	/* a SIGTERM before the worker's own handling is held, not taken by
	 * relay_on_term's copy and lost (relay_stop_workers sends one) */
	pid_t pid = shutdown_fork();

	if (pid < 0) {
		log_warn("fork relay worker");
		return -1;
	}
	if (pid > 0) {
		j->pid = pid;
		return 0;
	}
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	shutdown_let_in();
	relay_wake_fd = -1;
	/* the queue lock stays the relay child's alone */
	close(r->lockfd);
	close(r->fifo);
	close(r->keep);
	memset(&wj, 0, sizeof(wj));
	wj.ids = xcalloc((size_t)j->n, sizeof(*wj.ids));
	for (i = 0; i < j->n; i++)
		wj.ids[i] = j->m[i]->id;
	wj.n = j->n;
	wj.tls = &r->tls;
	if (j->dest == SCHED_LATE)
		wj.noconnect = 1;
	else if (j->dest >= 0)
		strlcpy(wj.dest, r->s.dest[j->dest].name, sizeof(wj.dest));
	else {
		const struct sched_msg *m = j->m[0];
		wj.skip = xcalloc((size_t)m->ndest + 1, sizeof(*wj.skip));
		for (i = 0; i < m->ndest; i++)
			if (r->s.dest[m->dests[i]].dead > now)
				strlcpy(wj.skip[wj.nskip++],
					r->s.dest[m->dests[i]].name,
					sizeof(wj.skip[0]));
	}
	worker_run(r->d, &wj);
}

/* start jobs for due messages while workers are free */
static void
relay_start_due(struct runner *r)
{
	const struct conf *c = &r->d->conf;
	time_t now = time(NULL);

	sched_due(&r->s, now);
	while (r->njobs < c->relay_workers) {
		struct job *j = &r->jobs[r->njobs];
		if (j->m == NULL)
			j->m = xcalloc((size_t)c->relay_reuse_count,
				       sizeof(*j->m));
		j->n = sched_job(&r->s, now, c->relay_dest_concurrency,
				 c->relay_workers - r->njobs,
				 c->relay_reuse_count, j->m, &j->dest);
		if (j->n == 0) {
			j->n = sched_job_late(&r->s, now,
					      c->relay_workers - r->njobs,
					      c->relay_reuse_count, j->m);
			j->dest = SCHED_LATE;
		}
		if (j->n == 0)
			break;
		if (start_worker(r, j) < 0) {
			int i;
			sched_job_end(&r->s, j->dest, j->m[0]);
			for (i = 0; i < j->n; i++) {
				sched_done(&r->s, j->m[i]);
				sched_hold(&r->s, j->m[i], now + 1);
			}
			break; /* fork failed: in a second */
		}
		r->njobs++;
	}
}

/* a job ended with status: its messages as their envelopes now say */
static void
relay_job_done(struct runner *r, struct job *j, int status)
{
	const struct conf *c = &r->d->conf;
	int ok = WIFEXITED(status) && (WEXITSTATUS(status) == WORKER_DONE ||
				       WEXITSTATUS(status) == WORKER_DEAD);
	int dead = WIFEXITED(status) && WEXITSTATUS(status) == WORKER_DEAD;
	int i, first = 1, flushed = 0;
	time_t now = time(NULL);
	char why[512] = "";

	sched_job_end(&r->s, j->dest, j->m[0]);
	for (i = 0; i < j->n; i++) {
		struct sched_msg *m = j->m[i];
		time_t next = m->next_try;
		int attempts = m->attempts;
		char id[sizeof(m->id)];

		strlcpy(id, m->id, sizeof(id));
		flushed |= m->forced; /* SIGUSR1 during the job */
		sched_done(&r->s, m);
		relay_load(r, id, why[0] ? NULL : why, sizeof(why));
		if ((m = sched_find(&r->s, id)) == NULL) {
			/* gone; a worker killed while it removed the
			 * message can have left its data */
			if (!ok)
				queue_drop_litter(c->queue, id);
			continue;
		}
		if (m->next_try != next || m->attempts != attempts)
			continue; /* tried */
		if (ok && j->dest == SCHED_LATE) {
			/* not tried, as it should be: expired or warned of,
			 * it waits for its destination as before; if still
			 * past its deadline (the notice could not be sent,
			 * or another process has it) not at once again */
			if (m->deadline <= now)
				sched_hold(&r->s, m, now + c->retry_min);
		} else if (ok)
			sched_hold(&r->s, m, now + RELAY_BUSY_HOLDOFF);
		else if (first) {
			first = 0;
			log_warnx("%s: relay worker %s %d: holding the "
				  "message off for %ds",
				  id,
				  WIFSIGNALED(status) ? "killed by signal"
						      : "exited with status",
				  WIFSIGNALED(status) ? WTERMSIG(status)
						      : WEXITSTATUS(status),
				  c->retry_max);
			sched_hold(&r->s, m, now + c->retry_max);
		}
	}
	/* a flush during the job asked for one more try at once; a late
	 * job connected nowhere, so says nothing of its destination */
	if (j->dest < 0 || (dead && flushed))
		return;
	if (dead) {
		struct sched_dest *sd = &r->s.dest[j->dest];
		if (sched_dest_dead(&r->s, j->dest, now, c->retry_min,
				    c->retry_max))
			log_warnx("destination %s: dead for %ds (%s)", sd->name,
				  sd->backoff, why);
	} else if (ok && sched_dest_alive(&r->s, j->dest))
		log_info("destination %s: alive again",
			 r->s.dest[j->dest].name);
}

/* reap ended workers; 1 when one was */
static int
relay_reap(struct runner *r)
{
	pid_t pid;
	int status, i, reaped = 0;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < r->njobs; i++) {
			struct sched_msg **m;
			if (r->jobs[i].pid != pid)
				continue;
			relay_job_done(r, &r->jobs[i], status);
			/* the last job's place, its message array kept */
			m = r->jobs[i].m;
			r->jobs[i] = r->jobs[--r->njobs];
			r->jobs[r->njobs].m = m;
			reaped = 1;
			break;
		}
	return reaped;
}

/*
 * Let running deliveries finish within the grace (they hold their
 * messages' locks); then end them: a worker lets SIGTERM in only while it
 * talks to its peer, so one ended leaves its message to be tried again.
 */
static void
relay_stop_workers(struct runner *r)
{
	int64_t deadline = now_ms() + SHUTDOWN_GRACE_SEC * 1000;
	int i, told = 0;

	for (;;) {
		relay_reap(r);
		if (r->njobs == 0)
			break;
		if (!told && now_ms() >= deadline) {
			log_info("relay child: ending %d delivery attempt%s after "
				 "the grace; tried again later",
				 r->njobs, r->njobs == 1 ? "" : "s");
			for (i = 0; i < r->njobs; i++)
				kill(r->jobs[i].pid, SIGTERM);
			told = 1;
		}
		poll(NULL, 0, 100);
	}
}

/* relay.lock: wait while another relay child holds it; -1: give up */
static int
relay_lock_wait(struct runner *r)
{
	const char *queue = r->d->conf.queue;
	int fd, said = 0;

	while ((fd = queue_lock(queue)) < 0) {
		if (errno != EWOULDBLOCK)
			fatal("%s/relay.lock", queue);
		if (!said++)
			log_warnx("relay child: another relay child holds "
				  "%s/relay.lock; waiting for it to exit",
				  queue);
		poll(NULL, 0, RELAY_PARENT_CHECK_MS);
		if (relay_term || master_gone(r->master))
			return -1;
	}
	if (said)
		log_info("relay child: got %s/relay.lock", queue);
	return fd;
}

static void
relay_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = relay_on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = relay_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = relay_on_chld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	shutdown_let_in(); /* held since the fork, not to be missed */
}

/* open the wake FIFO to read, and a writer of our own (never EOF) */
static void
relay_open_fifo(struct runner *r)
{
	char path[PATH_MAX];

	if (xsnprintf(path, sizeof(path), "%s/wake", r->d->conf.queue) < 0)
		fatalx("queue path too long");
	if ((r->fifo = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		fatal("%s", path);
	if ((r->keep = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		fatal("%s", path);
	relay_wake_fd = r->keep;
#ifdef F_GETPIPE_SZ
	{
		int size = fcntl(r->fifo, F_GETPIPE_SZ);
		r->pipesize = size > 0 ? (size_t)size : PIPE_BUF;
	}
#else
	r->pipesize = PIPE_BUF; /* the least POSIX allows: scans more */
#endif
}

void
relay_main(struct smtpd *d, pid_t master, int flush)
{
	const struct conf *c = &d->conf;
	struct runner r;
	int i, rescan = 0;
	int64_t sweep_ms = 0, scan_ms;
	int64_t sweep_every = (int64_t)(c->verify_cache_ttl < 1 ? 1
					: c->verify_cache_ttl > RELAY_VERIFY_SWEEP_MAX
					    ? RELAY_VERIFY_SWEEP_MAX
					    : c->verify_cache_ttl) * 1000;

	memset(&r, 0, sizeof(r));
	r.d = d;
	r.master = master;
	relay_force = flush;
	sched_init(&r.s);
	/* each job's message array is made when the job's place is first
	 * used: only as many as ever run at once */
	r.jobs = xcalloc((size_t)c->relay_workers, sizeof(*r.jobs));
	relay_signals();
#ifdef __linux__
	/* told at once when the master dies; the check below covers a
	 * master that died before this line */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
	if (master_gone(master)) {
		log_warnx("relay child: the master is gone, exiting");
		_exit(0);
	}
	if ((r.lockfd = relay_lock_wait(&r)) < 0)
		_exit(0);
	relay_open_fifo(&r);
	peertls_init(&r.tls, c);
	/* the sessions' key pair: not for a process that reads peers' replies */
	tlsio_ctx_free(d->tls);
	d->tls = NULL;
	/* a day is far longer than any session or delivery takes */
	queue_cleanup(c->queue, 86400);
	relay_scan(&r);
	scan_ms = now_ms() + RELAY_RESCAN_SEC * 1000;
	log_info("relay child: %zu message%s queued", r.s.nmsg,
		 r.s.nmsg == 1 ? "" : "s");
	log_info("relay child started");
	while (!relay_term) {
		struct pollfd pfd = {r.fifo, POLLIN, 0};
		int64_t now = now_ms(), timeout;
		time_t next;

		if (relay_force) {
			relay_force = 0;
			relay_scan(&r);
			sched_force_all(&r.s);
			log_info("SIGUSR1: retrying every queued message (%zu)",
				 r.s.nmsg);
		} else if (rescan || now >= scan_ms) {
			relay_scan(&r);
			scan_ms = now + RELAY_RESCAN_SEC * 1000;
		}
		rescan = 0;
		if (now >= sweep_ms) {
			queue_verify_expire(c->queue, c->verify_cache_ttl);
			sweep_ms = now + sweep_every;
		}
		relay_start_due(&r);
		next = sched_next(&r.s, time(NULL));
		timeout = next == (time_t)-1
			      ? RELAY_PARENT_CHECK_MS
			      : ((int64_t)next - time(NULL)) * 1000;
		if (timeout > RELAY_PARENT_CHECK_MS)
			timeout = RELAY_PARENT_CHECK_MS;
		if (timeout < 0)
			timeout = 0;
		if (poll(&pfd, 1, (int)timeout) > 0 && (pfd.revents & POLLIN))
			rescan = relay_read_wake(&r);
		relay_reap(&r);
		if (master_gone(master)) {
			log_warnx("relay child: the master is gone, exiting");
			break;
		}
	}
	relay_wake_fd = -1;
	close(r.keep);
	relay_stop_workers(&r);
	close(r.lockfd);
	for (i = 0; i < c->relay_workers; i++)
		free(r.jobs[i].m);
	free(r.jobs);
	sched_free(&r.s);
	peertls_free(&r.tls);
	_exit(0);
}
