/*
 * activate.h - systemd socket activation (sd_listen_fds(3)'s protocol,
 * without libsystemd): the listening sockets passed in as descriptors
 * 3, 4, ... (LISTEN_FDS, for the pid in LISTEN_PID, named by
 * LISTEN_FDNAMES) matched to the config's `listen` lines.
 */
#ifndef ACTIVATE_H
#define ACTIVATE_H

#include "conf.h"

/*
 * 0 when smtpd was not socket-activated (the master binds every listen
 * line itself).  Otherwise fd[i] is the passed socket for c->listen[i],
 * for every line, and the LISTEN_ variables are removed.  The names
 * decide when they tell the services apart (each one smtp, submission
 * or pop3, no service named more often than it has listen lines); then
 * within a service, or else among all, a socket goes to the line whose
 * host:port its local address is (0.0.0.0 or :: on either side matches
 * any address with the same port, an exact address first).  A passed
 * descriptor that is not a listening stream socket, a socket that
 * matches no line (or several alike) and a line left without a socket
 * are each logged, naming them, and the master exits 78 (EX_CONFIG):
 * socket-activated, smtpd binds nothing itself.
 */
int activate_listeners(const struct conf *c, int fd[CONF_LISTEN_MAX]);

#endif
