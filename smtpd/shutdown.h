/*
 * shutdown.h - how every process of the daemon stops on SIGTERM (or
 * SIGINT), within one grace time: see shutdown.c for the whole story.
 */
#ifndef SHUTDOWN_H
#define SHUTDOWN_H

#include <signal.h>
#include <sys/types.h>

/* what a session inside DATA, delivering, or a relay worker is given */
#define SHUTDOWN_GRACE_SEC 10
/* the end of a session's grace: it ends at once (store/deliver.c holds
 * it, and undoes copies not yet visible when it comes) */
#define SHUTDOWN_END_SIGNAL SIGALRM

/*
 * master and relay child: fork() with SIGTERM, SIGINT and SIGUSR1 held,
 * so that a stop (or the relay child's flush) that comes before the child
 * has its own handlers waits for them instead of killing it silently or
 * running the parent's handler.  The parent lets them in again before
 * returning;
 * the child keeps them held until shutdown_session_signals() or
 * shutdown_let_in().
 */
pid_t shutdown_fork(void);
/* a child of shutdown_fork() whose handlers are set: let them in */
void shutdown_let_in(void);
/*
 * A session process (a session child, or inetd mode), before the
 * session starts: SIGTERM and SIGINT ask it to stop (the command wait
 * answers at once, lineio's stop descriptor) and start the grace; at
 * its end (SHUTDOWN_END_SIGNAL) bye, CRLF added, is written to wfd and
 * the process exits.  Again for each connection of a reused session
 * child: only the bye and its descriptor change.
 */
void shutdown_session_signals(int wfd, const char *bye);
/* a session process: the descriptor that becomes readable on a stop
 * (-1: none), and whether one came */
int shutdown_stop_fd(void);
int shutdown_asked(void);
/*
 * The end of the grace removes path (a message's file in a Maildir's
 * tmp/, smtp/data.c) before the session exits; NULL: nothing.  path must
 * stay valid until replaced.
 */
void shutdown_remove_on_end(const char *path);
/* the connection turns TLS, or is closed: no bye at the grace's end
 * (sesstls.c, main.c) */
void shutdown_bye_off(void);

#endif
