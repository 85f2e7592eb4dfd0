/*
 * sessproc.h - a session process (sessproc.c): the master's session
 * children and inetd mode's one session.
 */
#ifndef SESSPROC_H
#define SESSPROC_H

#include <stddef.h>

#include "smtpd.h"

/* the numeric address of the peer of fd into buf, or -1 and "local"
 * (not a socket, or the client gone) */
int sessproc_client_address(int fd, char *buf, size_t size);
/* one session of service svc on rfd/wfd (non-blocking from here), with
 * the stop handling of shutdown.h */
void sessproc_run(struct smtpd *d, enum service svc, int rfd, int wfd,
		  const char *ip);
/*
 * A session child, its listeners and the master's ends closed: the
 * session of fd, then (SMTP) up to session_reuse_count - 1 more that the
 * master sends it (authgate_next).  Between them it holds nothing of
 * the last: the session's state is on its stack and freed at its end;
 * the accounts and aliases are refreshed as the master's are before a
 * fork.  ip (ipsize bytes) holds each connection's address.
 */
_Noreturn void sessproc_child(struct smtpd *d, enum service svc, int fd,
			      char *ip, size_t ipsize);

#endif
