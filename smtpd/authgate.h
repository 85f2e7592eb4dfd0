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
 */
#ifndef AUTHGATE_H
#define AUTHGATE_H

#include <poll.h>
#include <stddef.h>

/* master: the limit (0: none) and its duration in seconds; the number
 * of hash slots is half the processors, at least one */
void authgate_configure(int fail_limit, int fail_window);
/* master: 1 if logins from ip are refused now */
int authgate_refused(const char *ip);
/* master, before forking a session child: a socketpair, sv[0] the
 * master's end; 0 or -1 */
int authgate_pair(int sv[2]);
/* master, after the fork: watch sv[0] for the child serving ip */
void authgate_peer_add(int fd, const char *ip);
/* master: how many descriptors authgate_pollfds may fill */
size_t authgate_npeers(void);
/* master: the descriptors to poll for reading; returns how many */
size_t authgate_pollfds(struct pollfd *pfd);
/* master: read and answer what the children sent */
void authgate_handle(const struct pollfd *pfd, size_t n);

/* any freshly forked child: close the master's ends; fd is this
 * child's own end (-1: none), timeout the longest wait for a slot */
void authgate_child_setup(int fd, int timeout);
/* session child, before hashing: 1 go on, 0 refused (over the limit),
 * -1 no slot in time (try again later) */
int authgate_enter(void);
/* session child, after hashing: how it went */
void authgate_leave(int ok);
/* session child: a failed login that needed no hash */
void authgate_failed(void);

#endif
