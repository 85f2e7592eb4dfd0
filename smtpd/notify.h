/*
 * notify.h - the master's side of systemd's readiness protocol
 * (sd_notify(3), without libsystemd): datagrams of NAME=VALUE lines to
 * the AF_UNIX address in $NOTIFY_SOCKET.  Every function does nothing
 * when the variable was not set (not started by systemd with
 * Type=notify), so the master calls them unconditionally.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include "smtpd.h"

/*
 * Read $NOTIFY_SOCKET (a path, or an abstract name written with a
 * leading '@') and remove it from the environment, so no child ever
 * speaks for the master; open a close-on-exec datagram socket and
 * connect it, before the master drops root (the socket file need not
 * be writable by the run user).  d's queue is counted for STATUS=.
 */
void notify_init(const struct smtpd *d);
/* in a forked child: close the master's notify socket */
void notify_child(void);
/* a listener, for "listening on smtp 0.0.0.0:25, ..." in STATUS= */
void notify_listener(int fd, enum service svc);
/* READY=1 with the status: every listener bound, relay child started,
 * or a reload done (its config in force or refused) */
void notify_ready(int nsessions);
/* RELOADING=1 with MONOTONIC_USEC= (CLOCK_MONOTONIC): a SIGHUP */
void notify_reloading(void);
/* STOPPING=1: a SIGTERM or SIGINT, nsessions left to finish */
void notify_stopping(int nsessions);
/*
 * STATUS= after an event (a connection, a session gone): sent when
 * the session count changed, or 30 s went by (the queue changes
 * without the master hearing of it), but never twice in a second;
 * notify_poll_timeout() shortens the master's poll timeout (ms, -1
 * for none) so that a held-back update is sent when its time is up.
 */
void notify_status(int nsessions);
int notify_poll_timeout(int timeout, int nsessions);

#endif
