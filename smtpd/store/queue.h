/*
 * queue.h - the relay queue: messages for other domains wait here for
 * the relay child.  Layout under the `queue` directory:
 *   tmp/        spool files and half-written queue files
 *   data/ID     the message (our Received: line, then the text; LF ends)
 *   env/ID      the envelope: sender and each recipient's state
 *   hold/ID     the envelope of a message on hold (`smtpd -q hold ID`):
 *               the relay child reads env/ only, so it never sees it;
 *               its data stays in data/ID.  `smtpd -q release ID` moves
 *               it back (store/queue_admin.h)
 *   wake        a FIFO; "ID\n" written there wakes the relay child at once
 *   corrupt/    envelopes that cannot be read, set aside with their data
 *               as ID.env and ID.data (made by the relay child when needed)
 *   relay.lock  flock'd by the one relay child that runs the queue
 *   smtpd.pid   the master's pid, fcntl-locked by the one master that runs
 *               the queue (store/queue_master.h)
 *   verify/     the RCPT-time verification cache (smtp/verify.c writes it)
 * A message is queued when env/ID exists: data/ID is written and made
 * durable first (write, fsync, rename, fsync data/), then env/ID the same
 * way.  The envelope is replaced whole (write tmp/, fsync, rename over)
 * or has a fixed-width field written over itself (store/queue_env.h), so
 * a crash leaves either the old or the new state.  Whoever moves or
 * removes a message (a relay worker, `smtpd -q`) holds its lock: flock
 * on data/ID (queue_data_lock).
 */
#ifndef QUEUE_H
#define QUEUE_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "conf.h"

#include "store/queue_env.h"

struct queue_tx {
	char data_tmp[PATH_MAX], data[PATH_MAX];
	char env_tmp[PATH_MAX], env[PATH_MAX];
	char queue[PATH_MAX];
	int state;
};

/* a new queue id: uppercase hex, sorting by age, unique within a host */
void queue_new_id(char *buf, size_t size);
/*
 * Seconds since the message with this id arrived (was given its id, at
 * MAIL FROM: the id holds that time to the microsecond), for the delay=
 * of the log; since `since` when id is not one queue_new_id made.
 */
double queue_delay(const char *id, time_t since);
/* create the directories and the FIFO; 0 or -1 */
int queue_init(const char *queue);
int queue_prepare(struct queue_tx *tx, const char *queue,
		  struct envelope *env, const char *prefix,
		  size_t prefixlen, int fd, off_t from, off_t size);
int queue_commit(struct queue_tx *tx);
void queue_abort(struct queue_tx *tx);
/*
 * Tell the relay child, if one is listening, that message id was queued
 * or released: "ID\n" into the wake FIFO (relay.c reads the ids)
 */
void queue_wake(const char *queue, const char *id);

/* remove env/ID then data/ID */
int queue_remove(const char *queue, const char *id);
/*
 * queue_remove for n messages at once (a relay worker's delivered ones,
 * under their locks), with one fsync of env/ for all the envelopes, then
 * one of data/ for all the data: removed[i] is 1 when env/ID is gone
 * durably, else 0 (its data is then left).  How many were removed.
 */
int queue_remove_many(const char *queue, char *const *ids, int n,
		      int *removed);
/* remove DIR/ID (env or hold) then data/ID; -1 with errno, and the data
 * left, when DIR/ID could not be removed */
int queue_remove_from(const char *queue, const char *dir, const char *id);
/*
 * Open data/ID and take the message's lock (flock, exclusive, as a relay
 * worker takes it while it delivers): the fd, or -1 with errno ENOENT
 * (no such data) or EWOULDBLOCK (another process holds it).
 */
int queue_data_lock(const char *queue, const char *id);
/* open data/ID read-only; the size in *size */
int queue_data_open(const char *queue, const char *id, off_t *size);
/* the queued ids, oldest first; returns the count, *ids malloc'd */
int queue_ids(const char *queue, char ***ids);
/* the same for the files of another directory of the queue (hold) */
int queue_ids_from(const char *queue, const char *sub, char ***ids);
void queue_ids_free(char **ids, int n);
/*
 * Remove what crashes leave behind: files in tmp/ older than max_age
 * seconds, and data/ID without env/ID or hold/ID (a crash between the
 * two renames: that message was never acknowledged; or between the
 * removal of an envelope and of its data), asked under its lock.
 */
void queue_cleanup(const char *queue, time_t max_age);
/*
 * Remove data/ID when no envelope (env/ID, hold/ID) names it, asked
 * again under its lock: what a worker killed between removing a
 * message's envelope and its data leaves.  1 when removed.
 */
int queue_drop_litter(const char *queue, const char *id);
/*
 * Set aside a message whose envelope cannot be read (queue_env_read
 * said EINVAL or EFBIG): data/ID and env/ID become corrupt/ID.data and
 * corrupt/ID.env, logged once.  Done only under the message's lock and
 * after reading it again, so a message a worker holds is left alone.
 * 1 set aside, 0 left (readable now, or busy), -1 on an error (logged).
 */
int queue_set_aside(const char *queue, const char *id);
/*
 * Take relay.lock (flock, held while the descriptor is open): the fd,
 * or -1 with errno EWOULDBLOCK when another process holds it.
 */
int queue_lock(const char *queue);
/*
 * Remove verification cache files (verify/) older than ttl seconds:
 * the cache no longer uses them.  Returns how many were removed.
 */
int queue_verify_expire(const char *queue, time_t ttl);

#endif
