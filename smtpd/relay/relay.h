/*
 * relay.h - the relay child: the queue runner that delivers queued mail
 * to the peer daemons named by `route`, with forked workers, retries and
 * bounces.  Started and restarted by the master.
 */
#ifndef RELAY_H
#define RELAY_H

#include <sys/types.h>

#include "smtpd.h"

/*
 * run the queue; master is the master's pid, taken before the fork;
 * flush: start as if SIGUSR1 had come (one the master got while no
 * relay child could take it)
 */
_Noreturn void relay_main(struct smtpd *d, pid_t master, int flush);

#endif
