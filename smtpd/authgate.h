/*
 * authgate.h - the master's watch over password checks (issue 7, item 10).
 *
 * Every session child gets one end of a socketpair.  Before it hashes a
 * password it asks the master for one of a few hash slots ('A'); after,
 * it says how the check went ('S' success, 'F' failure; 'F' alone for a
 * failure that needed no hash).  The master answers 'y' when a slot is
 * free (askers wait their turn, first come first served) or 'n' when the
 * child's client address has had auth_fail_limit failed logins: such an
 * address is refused, at AUTH and at connect, for the limit's duration.
 * Every record is one byte, so the master never parses client input.
 * A slot held by a child that dies, even by kill -9, is freed when its
 * end of the socket closes.  Without a master (inetd mode, the fuzzers)
 * the gate is always open and nothing is counted.
 *
 * The same channel carries an SMTP session child from one connection to
 * the next (session_reuse_count): after its session it says 'R'
 * (ready), and the master sends it the next connection as a descriptor
 * (SCM_RIGHTS) with one byte, its service.  Only the master ends such a
 * wait, by closing its end (session_idle_time, a reload, a stop, or the
 * child's 'Q' when a signal told it to stop), so a connection sent to a
 * child is always read by it and served.
 */
#ifndef AUTHGATE_H
#define AUTHGATE_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* master: the limit (0: none) and its duration in seconds; the number
 * of hash slots is half the processors, at least one */
void authgate_configure(int fail_limit, int fail_window);
/* master: 1 if logins from ip are refused now */
int authgate_refused(const char *ip);
/* master, before forking a session child: a socketpair, sv[0] the
 * master's end; 0 or -1 */
int authgate_pair(int sv[2]);
/* master, after the fork: watch sv[0] for child pid, serving ip */
void authgate_peer_add(int fd, pid_t pid, const char *ip);
/* master: how many descriptors authgate_pollfds may fill */
size_t authgate_npeers(void);
/* master: the descriptors to poll for reading; returns how many */
size_t authgate_pollfds(struct pollfd *pfd);
/* master: read and answer what the children sent; ready(pid) for
 * each child that now waits for a connection */
void authgate_handle(const struct pollfd *pfd, size_t n, void (*ready)(pid_t));
/* master: the connection cfd, of service what, from ip, to the child
 * that became ready last: 0 and its pid, or -1 when none is ready
 * (cfd is still the master's to close) */
int authgate_handoff(int cfd, int what, const char *ip, pid_t *pid);
/* master: let children ready for idle_ms or more go; returns when the
 * next one will have been (now_ms() time), -1 none */
int64_t authgate_retire_idle(int64_t idle_ms);
/* master, on a reload: the ready children go now, the others after
 * their session (their config is the old one) */
void authgate_stale(void);

/* any freshly forked child: close the master's ends; fd is this
 * child's own end (-1: none), timeout the longest wait for a slot */
void authgate_child_setup(int fd, int timeout);
/* session child, before hashing: 1 go on, 0 refused (over the limit),
 * -1 no slot in time (try again later) */
int authgate_enter(void);
/* session child, its session over: ready for the next connection;
 * returns its descriptor and sets *what, or -1 (the channel is closed,
 * or stopfd became readable first): the child then exits */
int authgate_next(int *what, int stopfd);
/* session child, after hashing: how it went */
void authgate_leave(int ok);
/* session child: a failed login that needed no hash */
void authgate_failed(void);

#endif
