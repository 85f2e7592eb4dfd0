/*
 * worker.h - one delivery attempt of one queued message, in a process
 * the relay child forks for it (qmail-remote's job): every pending
 * recipient is tried at its route, each result recorded in the
 * envelope, failures bounced, a finished message removed.
 */
#ifndef WORKER_H
#define WORKER_H

#include "smtpd.h"

/* how a worker ends: the relay child holds a message off after 1 or 2 */
enum worker_exit {
	WORKER_DONE = 0,       /* attempted and recorded, or nothing to do */
	WORKER_UNRECORDED = 1, /* results could not be recorded: try later */
	WORKER_BUSY = 2        /* another process holds the message */
};

_Noreturn void worker_run(struct smtpd *d, const char *id);

#endif
