/*
 * worker.h - one delivery attempt of each message of a job, in a process
 * the relay child forks for it (qmail-remote's job): the messages' pending
 * recipients are tried at their destinations, over one connection to a
 * destination for as many messages as it has in the job (RSET between
 * them, at most relay_reuse_count each), each result recorded in the
 * envelope, failures bounced, a finished message removed.
 */
#ifndef WORKER_H
#define WORKER_H

#include "peertls.h"
#include "smtpd.h"

#include "relay/sched.h"

/* how a worker ends (relay.c reads the rest from the envelopes) */
enum worker_exit {
	WORKER_DONE = 0,       /* attempted and recorded, or nothing to do */
	WORKER_UNRECORDED = 1, /* results could not be recorded: try later */
	WORKER_DEAD = 3	       /* done, and job.dest could not be reached */
};

struct worker_job {
	char **ids; /* the messages, in order */
	int n;
	/* the destination (conf_dest) of them all, "" for one message
	 * with recipients at several */
	char dest[SCHED_DEST_MAX];
	/* destinations that are dead: their recipients wait untried */
	char (*skip)[SCHED_DEST_MAX];
	int nskip;
	/* connect nowhere: the messages wait for a dead destination past
	 * their deadline (sched_job_late); only expire them (bounce,
	 * remove) or send their delay notices, as after an attempt */
	int noconnect;
	struct peertls *tls; /* the relay child's TLS contexts (peertls.h) */
};

_Noreturn void worker_run(struct smtpd *d, const struct worker_job *job);

#endif
