/*
 * relay.h - the relay child: the queue runner that delivers queued mail
 * to the peer daemons named by `route`, with forked workers, retries and
 * bounces.  Started and restarted by the master.
 */
#ifndef RELAY_H
#define RELAY_H

#include <sys/types.h>

#include "smtpd.h"

/* run the queue; master is the master's pid, taken before the fork */
_Noreturn void relay_main(struct smtpd *d, pid_t master);

#endif
