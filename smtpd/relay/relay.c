/*
 * relay.c - the relay child: the queue runner (qmail-send's job; the
 * deliveries are relay/worker.c's, in forked workers).
 *
 * Only one relay child runs a queue: it holds relay.lock (flock) in the
 * queue, and a second one (a new master's, while an orphan of a killed
 * master still runs) waits for it.  It takes its master's pid from the
 * master (getppid() after the fork would be 1 if the master had already
 * died) and exits when the master is gone (checked every second, and on
 * Linux told at once by PR_SET_PDEATHSIG).
 *
 * The loop sleeps on the queue's wake FIFO (a session writes a byte
 * there when it queues a message, so delivery starts at once; the
 * SIGCHLD handler writes one when a worker ends), on its retry timer and
 * on SIGUSR1.  Each message that is due goes to a forked worker, at most
 * relay_workers at a time; when more are due, the rest wait for a worker
 * to end (no rescanning in between).  SIGUSR1 makes every message queued
 * at that moment due once, however many passes that takes.  A worker
 * that could not record its results (or that crashed) has its message
 * held off for retry_max (in memory; SIGUSR1 lifts it), so a full disk
 * cannot turn into a delivery loop.  An envelope that cannot be read is
 * set aside in corrupt/ (store/queue.c).  The verification cache in
 * verify/ is swept of expired entries every verify_cache seconds.
 *
 * SIGTERM (the master stopping or restarting it) or SIGINT: no more
 * workers are started; those running get SHUTDOWN_GRACE_SEC to finish,
 * then SIGTERM, which ends one only while it talks to its peer (worker.c),
 * so its message stays queued as it was and is tried again later.
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

#include "log.h"
#include "util.h"

#include "shutdown.h"

#include "relay/relay.h"
#include "relay/worker.h"
#include "store/queue.h"

#define RELAY_PARENT_CHECK_MS 1000
#define RELAY_BUSY_HOLDOFF 5 /* seconds: another process has the message */
#define RELAY_VERIFY_SWEEP_MAX 3600

struct worker {
	pid_t pid;
	char id[24];
};

/* a message not to start again before `until` */
struct holdoff {
	char id[24];
	time_t until;
};

struct runner {
	struct smtpd *d;
	pid_t master;
	struct worker *w;
	int nw;
	struct holdoff *hold;
	int nhold;
	char **force; /* sorted: ids queued at SIGUSR1 and not yet started */
	int nforce;
	int lockfd, fifo, keep;
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

/* a worker ended: wake the poll through the FIFO (a self-pipe) */
static void
relay_on_chld(int sig)
{
	int saved = errno;

	(void)sig;
	if (relay_wake_fd >= 0)
		(void)!write(relay_wake_fd, "c", 1);
	errno = saved;
}

static int
master_gone(pid_t master)
{
	return getppid() != master;
}

static int
relay_busy(const struct runner *r, const char *id)
{
	int i;

	for (i = 0; i < r->nw; i++)
		if (strcmp(r->w[i].id, id) == 0)
			return 1;
	return 0;
}

/* seconds id is still held off, 0 if it is not; drops expired ones */
static time_t
held_off(struct runner *r, const char *id, time_t now)
{
	int i;

	for (i = 0; i < r->nhold; i++) {
		if (r->hold[i].until <= now) {
			r->hold[i--] = r->hold[--r->nhold];
			continue;
		}
		if (strcmp(r->hold[i].id, id) == 0)
			return r->hold[i].until - now;
	}
	return 0;
}

static void
hold_off(struct runner *r, const char *id, time_t secs)
{
	r->hold = xreallocarray(r->hold, (size_t)r->nhold + 1, sizeof(*r->hold));
	strlcpy(r->hold[r->nhold].id, id, sizeof(r->hold[0].id));
	r->hold[r->nhold++].until = time(NULL) + secs;
}

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
forced(const struct runner *r, const char *id)
{
	return r->nforce > 0 &&
	       bsearch(&id, r->force, (size_t)r->nforce, sizeof(*r->force),
		       id_cmp) != NULL;
}

/* SIGUSR1: every message queued now is due once; hold-offs are lifted */
static void
force_all(struct runner *r)
{
	queue_ids_free(r->force, r->nforce);
	if ((r->nforce = queue_ids(r->d->conf.queue, &r->force)) < 0) {
		log_warn("queue %s", r->d->conf.queue);
		r->force = NULL;
		r->nforce = 0;
	}
	r->nhold = 0;
	log_info("SIGUSR1: retrying every queued message (%d)", r->nforce);
}

/* id stays forced for the next pass (relay_scan's new force list) */
static void
keep_forced(char ***keep, int *nkeep, const char *id)
{
	*keep = xreallocarray(*keep, (size_t)*nkeep + 1, sizeof(**keep));
	(*keep)[(*nkeep)++] = xstrdup(id);
}

static pid_t
start_worker(struct runner *r, const char *id)
{
	/* a SIGTERM before the worker's own handling is held, not taken by
	 * relay_on_term's copy and lost (relay_stop_workers sends one) */
	pid_t pid = shutdown_fork();

	if (pid < 0) {
		log_warn("fork relay worker");
		return -1;
	}
	if (pid == 0) {
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
		worker_run(r->d, id);
	}
	r->w[r->nw].pid = pid;
	strlcpy(r->w[r->nw].id, id, sizeof(r->w[0].id));
	r->nw++;
	return pid;
}

/*
 * One pass over the queue: start a worker for each due message while
 * one is free.  Returns ms until the next message not yet due is due
 * (-1: none); a due message left for want of a worker is started when
 * one ends (the SIGCHLD wake-up), not by a timer.
 */
static int64_t
relay_scan(struct runner *r)
{
	const struct conf *c = &r->d->conf;
	char **ids, **keep = NULL;
	int n, i, nkeep = 0;
	time_t now = time(NULL);
	int64_t wait_ms = -1;

	if ((n = queue_ids(c->queue, &ids)) < 0) {
		log_warn("queue %s", c->queue);
		return 5000;
	}
	for (i = 0; i < n; i++) {
		struct envelope env;
		int64_t due;
		time_t held;
		int force = forced(r, ids[i]);

		if (relay_busy(r, ids[i])) {
			/* flushed while its worker was still at it: once more
			 * when that worker ends */
			if (force)
				keep_forced(&keep, &nkeep, ids[i]);
			continue;
		}
		if ((held = held_off(r, ids[i], now)) > 0) {
			due = (int64_t)held * 1000;
			if (wait_ms < 0 || due < wait_ms)
				wait_ms = due;
			continue;
		}
		if (queue_env_read(c->queue, ids[i], &env) < 0) {
			/* unreadable: set aside once; if that fails, later */
			if ((errno == EINVAL || errno == EFBIG) &&
			    queue_set_aside(c->queue, ids[i]) < 0)
				hold_off(r, ids[i], c->retry_max);
			continue;
		}
		due = force ? 0 : (int64_t)(env.next_try - now) * 1000;
		queue_env_free(&env);
		if (due > 0) {
			if (wait_ms < 0 || due < wait_ms)
				wait_ms = due;
			continue;
		}
		if (r->nw >= c->relay_workers || start_worker(r, ids[i]) < 0) {
			/* due, but no worker: a forced one stays forced */
			if (force)
				keep_forced(&keep, &nkeep, ids[i]);
			if (r->nw == 0 && (wait_ms < 0 || wait_ms > 1000))
				wait_ms = 1000; /* fork failed: try again */
		}
	}
	queue_ids_free(ids, n);
	queue_ids_free(r->force, r->nforce);
	r->force = keep;
	r->nforce = nkeep;
	return wait_ms;
}

/* reap ended workers; a message whose worker failed is held off */
static int
relay_reap(struct runner *r)
{
	const struct conf *c = &r->d->conf;
	pid_t pid;
	int status, i, reaped = 0;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < r->nw; i++) {
			if (r->w[i].pid != pid)
				continue;
			if (WIFEXITED(status) &&
			    WEXITSTATUS(status) == WORKER_BUSY)
				hold_off(r, r->w[i].id, RELAY_BUSY_HOLDOFF);
			else if (!WIFEXITED(status) ||
				 WEXITSTATUS(status) != WORKER_DONE) {
				log_warnx("%s: relay worker %s %d: holding the "
					  "message off for %ds",
					  r->w[i].id,
					  WIFSIGNALED(status) ? "killed by signal"
							      : "exited with status",
					  WIFSIGNALED(status) ? WTERMSIG(status)
							      : WEXITSTATUS(status),
					  c->retry_max);
				hold_off(r, r->w[i].id, c->retry_max);
			}
			r->w[i] = r->w[--r->nw];
			reaped++;
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
		if (r->nw == 0)
			break;
		if (!told && now_ms() >= deadline) {
			log_info("relay child: ending %d delivery attempt%s after "
				 "the grace; tried again later",
				 r->nw, r->nw == 1 ? "" : "s");
			for (i = 0; i < r->nw; i++)
				kill(r->w[i].pid, SIGTERM);
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
}

void
relay_main(struct smtpd *d, pid_t master, int flush)
{
	const struct conf *c = &d->conf;
	struct runner r;
	int rescan = 1;
	int64_t next_ms = 0, sweep_ms = 0;
	int64_t sweep_every = (int64_t)(c->verify_cache_ttl < 1 ? 1
					: c->verify_cache_ttl > RELAY_VERIFY_SWEEP_MAX
					    ? RELAY_VERIFY_SWEEP_MAX
					    : c->verify_cache_ttl) * 1000;

	memset(&r, 0, sizeof(r));
	r.d = d;
	r.master = master;
	relay_force = flush;
	r.w = xcalloc((size_t)c->relay_workers, sizeof(*r.w));
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
	/* a day is far longer than any session or delivery takes */
	queue_cleanup(c->queue, 86400);
	log_info("relay child started");
	while (!relay_term) {
		struct pollfd pfd = {r.fifo, POLLIN, 0};
		int64_t now = now_ms(), timeout;

		if (relay_force) {
			relay_force = 0;
			force_all(&r);
			rescan = 1;
		}
		if (now >= sweep_ms) {
			queue_verify_expire(c->queue, c->verify_cache_ttl);
			sweep_ms = now + sweep_every;
		}
		if (rescan || now >= next_ms) {
			int64_t due;
			rescan = 0;
			due = relay_scan(&r);
			now = now_ms();
			next_ms = due < 0 ? now + 3600 * 1000 : now + due;
		}
		timeout = next_ms - now;
		if (timeout > RELAY_PARENT_CHECK_MS)
			timeout = RELAY_PARENT_CHECK_MS;
		if (timeout < 0)
			timeout = 0;
		if (poll(&pfd, 1, (int)timeout) > 0 && (pfd.revents & POLLIN)) {
			char buf[512];
			while (read(r.fifo, buf, sizeof(buf)) > 0)
				;
			rescan = 1;
		}
		if (relay_reap(&r) > 0)
			rescan = 1; /* a worker is free, or a message was left */
		if (master_gone(master)) {
			log_warnx("relay child: the master is gone, exiting");
			break;
		}
	}
	relay_wake_fd = -1;
	close(r.keep);
	relay_stop_workers(&r);
	close(r.lockfd);
	queue_ids_free(r.force, r.nforce);
	free(r.hold);
	free(r.w);
	_exit(0);
}
