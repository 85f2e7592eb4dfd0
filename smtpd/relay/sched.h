/*
 * sched.h - the relay child's schedule of the queue, in memory (as
 * Postfix's qmgr and OpenSMTPD's scheduler keep theirs): each queued
 * message's next attempt and destinations, and each destination's
 * running deliveries, its messages that are due and whether it is dead.
 *
 * The relay child reads the envelopes once (sched_load), hears of each
 * new message by its id (relay.c's wake FIFO) and re-reads an envelope
 * only when it acts on the message: every event costs the same, however
 * deep the queue.  A message is in one place at a time:
 *   - waiting for its time, in a heap ordered by when it is due (its
 *     next_try, a hold-off, or now when forced);
 *   - due, on its destination's list (or, with recipients at several
 *     destinations, on the one list of such messages), until a worker
 *     is free for it;
 *   - busy, in a worker's job.
 * A destination is what conf_dest() names; one whose hosts could not be
 * reached is dead for a while (doubling from retry_min to retry_max) and
 * its due messages wait for it without taking a worker, each until its
 * deadline: a message queue_lifetime old must bounce, and one
 * delay_warning old its sender warned of, whether its destination
 * lives or not, so then it is given to a job of its own kind that
 * connects nowhere (sched_job_late).
 *
 * It does no I/O and knows no files: relay.c reads the queue and forks
 * the workers; fuzz/fuzz_sched.c drives it with random events.
 */
#ifndef SCHED_H
#define SCHED_H

#include <stddef.h>
#include <time.h>

#define SCHED_DEST_MAX 300 /* a destination's name, NUL included */

struct sched_msg {
	char id[24];
	time_t next_try; /* as the envelope says */
	int attempts;	 /* as the envelope says */
	time_t held;	 /* not started before this (0: not held) */
	int forced;	 /* due now, whatever next_try says (SIGUSR1) */
	int busy;	 /* in a worker's job */
	int *dests;	 /* indices into the schedule's destinations */
	int ndest;
	/* to be expired or warned of then, even while its destinations
	 * are dead (sched_job_late); 0: never */
	time_t deadline;
	unsigned gen; /* the full scan that last saw it (sched_sweep) */
	size_t heap;  /* its place in the heap; SCHED_NOWHERE: not there */
	struct sched_msg *hnext;	/* the id hash's chain */
	struct sched_msg *prev, *next; /* the due list it is on */
	int list;		       /* which: a destination, SCHED_MULTI, -1 */
};

#define SCHED_NOWHERE ((size_t)-1)
#define SCHED_MULTI (-2) /* the due list of several-destination messages */
#define SCHED_LATE (-3)	 /* sched_job_late's jobs' destination */

struct sched_list {
	struct sched_msg *head, *tail;
	int n;
	time_t late; /* no deadline on it is sooner (0: none has one) */
};

struct sched_dest {
	char name[SCHED_DEST_MAX];
	int active;	  /* jobs running to it */
	time_t dead;	  /* dead until then (0: alive; in the past: to be tried) */
	int backoff;	  /* the length of its last dead time */
	struct sched_list due;
	int hnext;	  /* the name hash's chain (-1: end) */
};

struct sched {
	struct sched_msg **mbucket; /* messages by id */
	size_t nmbucket, nmsg;
	struct sched_msg **heap;
	size_t nheap, heapcap;
	struct sched_dest *dest;
	int ndest, destcap;
	int *dbucket; /* destinations by name */
	size_t ndbucket;
	struct sched_list multi;
	int rr; /* the destination sched_job served last */
	unsigned gen;
};

void sched_init(struct sched *s);
void sched_free(struct sched *s);

/* the message with this id, or NULL */
struct sched_msg *sched_find(struct sched *s, const char *id);
/*
 * Add a message (or update one that is not busy): its schedule, its
 * deadline (sched_msg) and the destinations of its pending recipients
 * (names; duplicates are fine).  Seen by the current scan.  NULL when
 * id is too long.
 */
struct sched_msg *sched_put(struct sched *s, const char *id, time_t next_try,
			    int attempts, time_t deadline,
			    const char *const *dests, int ndest);
/* forget a message that is not busy */
void sched_remove(struct sched *s, struct sched_msg *m);

/* a full scan begins: sched_put and sched_touch mark what it sees */
void sched_mark(struct sched *s);
void sched_touch(struct sched *s, struct sched_msg *m);
/* it ended: forget every message it did not see and that is not busy;
 * returns how many */
size_t sched_sweep(struct sched *s);

/* hold m off until `until` (0: lift it) */
void sched_hold(struct sched *s, struct sched_msg *m, time_t until);
/* every message is due now, hold-offs and dead marks lifted (SIGUSR1);
 * a busy one once more after its job */
void sched_force_all(struct sched *s);

/* move the messages whose time has come (at now) onto the due lists */
void sched_due(struct sched *s, time_t now);
/* after sched_due: the time the next message in the heap is due, or
 * the first dead destination with due messages comes alive, or the
 * first deadline of a due message waiting for a dead destination comes
 * (as far as sched_job_late last saw), if sooner; (time_t)-1: none
 * (due messages wait for a worker to end, not a time) */
time_t sched_next(const struct sched *s, time_t now);

/*
 * A job for a free worker, at now: up to max messages from one
 * destination's due list, the destinations taken in turn; the due
 * messages split evenly among the jobs it may still have (max_dest at
 * once; while dead none, and once the dead time is over one job of one
 * message, until a job reaches it;
 * free_workers of the total free).  Or one message with recipients at
 * several destinations (or none), once each of them that is not dead
 * has room for a job.  The messages are set busy and the job counted
 * at its destinations; *dest is the destination (-1 for the one
 * several-destination message).  Returns how many went into out (0:
 * nothing to start).
 */
int sched_job(struct sched *s, time_t now, int max_dest, int free_workers,
	      int max, struct sched_msg **out, int *dest);
/*
 * When sched_job has nothing to start: a job of up to max due messages
 * past their deadline that wait for a dead destination (dead, or its
 * probe running), all of one destination's list or all several-
 * destination ones whose destinations all wait so.  The job is to
 * connect nowhere, only expire them or send their delay notices; it is
 * counted at no destination (its destination is SCHED_LATE) and says
 * nothing of whether one lives.  The messages are set busy.  Returns
 * how many went into out.
 */
int sched_job_late(struct sched *s, time_t now, int free_workers, int max,
		   struct sched_msg **out);
/* the job sched_job (or sched_job_late: SCHED_LATE) gave for dest (m:
 * its first message) ended: call before its messages' sched_done and
 * update */
void sched_job_end(struct sched *s, int dest, const struct sched_msg *m);
/* m's job ended: it is no longer busy; the caller then updates it
 * (sched_put), holds it, or removes it */
void sched_done(struct sched *s, struct sched_msg *m);

/* a job to destination d found its hosts unreachable, at now: dead
 * for backoff, doubling from min to max; 1 when so marked, 0 when
 * another job had found it dead already (then nothing changes) */
int sched_dest_dead(struct sched *s, int d, time_t now, int min, int max);
/* a job reached destination d: 1 when it had been marked dead */
int sched_dest_alive(struct sched *s, int d);

/*
 * The wake FIFO's lines (relay.c): "ID\n" for a message queued or
 * released, "\n" for a worker that ended.  Fed what was read, in any
 * pieces, it calls found() with each line that is a queue id (letters
 * and digits, shorter than sched_msg's id); anything else (an empty
 * line, a line too long or with other bytes) is skipped.
 */
struct sched_wake {
	char line[32]; /* a line read in part */
	size_t len;
	int skipping; /* the rest of a line too long to be an id */
};

void sched_wake_feed(struct sched_wake *w, const char *buf, size_t n,
		     void (*found)(void *arg, const char *id), void *arg);

#endif
