/*
 * queue_master.h - one master per queue: the master holds a lock on
 * smtpd.pid in the queue directory, with its pid written in it, for as
 * long as it lives; a second smtpd on the same queue refuses to start,
 * and `smtpd -q flush` finds the master to signal by the lock, not by
 * trusting the pid written there.
 */
#ifndef QUEUE_MASTER_H
#define QUEUE_MASTER_H

#include <sys/types.h>

#define QUEUE_MASTER_PIDFILE "smtpd.pid"

/*
 * The pid of the process holding queue/smtpd.pid's lock: 0 when none
 * does (no file, or one a master that died left), -1 with errno when
 * the file cannot be read or is not a regular file with one name.
 */
pid_t queue_master_pid(const char *queue);
/*
 * A master starting on queue: when another master holds the lock, log
 * that its pid runs the queue and exit 75 (EX_TEMPFAIL).  With take,
 * lock queue/smtpd.pid (created 0644 if missing) for this process and
 * write its pid there; without, only look (before binding the
 * listeners, perhaps as root: the file is then only read).  Dies on
 * other errors, naming the file.
 */
void queue_master_start(const char *queue, int take);

#endif
