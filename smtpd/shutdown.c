/*
 * shutdown.c - the session side of a stop, and the fork that keeps it
 * from being missed.  How the daemon stops, as a whole:
 *
 * The master, on SIGTERM or SIGINT (main.c, shutdown_sessions()), closes
 * its listeners, sends SIGTERM to every session child and to the relay
 * child at once, keeps answering hash-slot requests while they finish,
 * and exits as soon as none is left -- at once with only idle sessions
 * -- or SHUTDOWN_GRACE_SEC (plus a second) later at most.  It never
 * kills a child: each ends itself within the grace, and one still
 * inside deliver() then finishes that on its own.
 *
 * A session (here) takes SIGTERM or SIGINT as "stop": the handler
 * writes a byte to a self-pipe that is never read, so it stays readable,
 * and arms alarm(SHUTDOWN_GRACE_SEC).  Both happen once only: under
 * systemd (KillMode=control-group) the session gets the service's
 * SIGTERM besides the master's, and the second must change nothing.
 * lineio watches the pipe in every command wait (lio_stop_on), so a
 * session waiting for a command -- idle, between or inside a
 * transaction, before it has said anything after the banner, in the
 * middle of an AUTH exchange -- answers "421 4.3.2 Server shutting down,
 * closing connection" (POP3: "-ERR [SYS/TEMP] Server shutting down")
 * through its usual reply path and ends at once.  A session reading a
 * message after DATA, delivering it or sending a reply does not look:
 * it finishes that message, answers it (250 or 451), and its next
 * command wait answers the 421.
 *
 * The end of the grace is SHUTDOWN_END_SIGNAL (the alarm): its handler
 * writes the same bye straight to the client and exits.  Nothing is lost
 * or left half-made by it: the spool file of a message being received
 * is unlinked from the moment it is created, so it vanishes with the
 * process, or, written straight into a Maildir's tmp/ (store/spool.h),
 * is removed by the handler, so an unanswered message is simply not
 * accepted;
 * store/deliver.c holds the signal from the first Maildir or queue copy
 * written until all are visible or removed (one that comes meanwhile
 * undoes them, none being visible yet), and smtp/data.c holds it on
 * until the 250 is sent.  The child, not the master, enforces the grace
 * because only the child can hold it off where it would cut a write in
 * half (a SIGKILL cannot be held), and so that inetd mode, without a
 * master, stops the same way.
 *
 * The relay child (relay/relay.c) stops starting deliveries, gives its
 * workers the same grace, then sends them SIGTERM; a worker lets it in
 * only while it talks to a peer (relay/worker.c), so the message is
 * tried again later -- at worst a duplicate, never a loss.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "lineio.h"
#include "log.h"
#include "util.h"

#include "shutdown.h"

static int stop_pipe[2] = {-1, -1};
static volatile sig_atomic_t stop_asked;
static volatile sig_atomic_t bye_fd = -1;
static const char *volatile remove_path;
static char bye_line[128];
static size_t bye_len;

/* what a fresh child must not miss: a stop, and the relay's flush */
static void
stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGUSR1);
}

pid_t
shutdown_fork(void)
{
	sigset_t hold, saved;
	pid_t pid;

	stop_signals(&hold);
	sigprocmask(SIG_BLOCK, &hold, &saved);
	pid = fork();
	if (pid != 0)
		sigprocmask(SIG_SETMASK, &saved, NULL);
	return pid;
}

void
shutdown_let_in(void)
{
	sigset_t set;

	stop_signals(&set);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void
session_on_stop(int sig)
{
	int saved = errno;

	(void)sig;
	if (!stop_asked) {
		stop_asked = 1;
		if (stop_pipe[1] >= 0)
			(void)!write(stop_pipe[1], "", 1);
		alarm(SHUTDOWN_GRACE_SEC);
	}
	errno = saved;
}

static void
session_on_grace_end(int sig)
{
	const char *path = remove_path;

	(void)sig;
	if (path != NULL)
		(void)unlink(path);
	if (bye_fd >= 0)
		(void)!write(bye_fd, bye_line, bye_len);
	_exit(0);
}

void
shutdown_remove_on_end(const char *path)
{
	remove_path = path;
}

int
shutdown_stop_fd(void)
{
	return stop_pipe[0];
}

int
shutdown_asked(void)
{
	return stop_asked;
}

void
shutdown_bye_off(void)
{
	bye_fd = -1;
}

void
shutdown_session_signals(int wfd, const char *bye)
{
	static int set;
	struct sigaction sa;
	int i;

	bye_fd = -1; /* the handler never sees a line half written */
	if (xsnprintf(bye_line, sizeof(bye_line), "%s\r\n", bye) >= 0) {
		bye_len = strlen(bye_line);
		bye_fd = wfd;
	}
	if (set++) /* a reused session child: all set up for its first */
		return;
	if (pipe(stop_pipe) < 0) {
		/* then a stop ends the session at the end of the grace */
		log_warn("pipe");
		stop_pipe[0] = stop_pipe[1] = -1;
	} else {
		for (i = 0; i < 2; i++) {
			fcntl(stop_pipe[i], F_SETFL, O_NONBLOCK);
			fcntl(stop_pipe[i], F_SETFD, FD_CLOEXEC);
		}
		lio_stop_on(stop_pipe[0]);
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = session_on_grace_end;
	sigaction(SHUTDOWN_END_SIGNAL, &sa, NULL);
	/* poll() is never restarted: lineio's next wait sees the pipe */
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = session_on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	shutdown_let_in();
}
