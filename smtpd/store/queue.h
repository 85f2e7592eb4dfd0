/*
 * queue.h - the relay queue: messages for other domains wait here for
 * the relay child.  Layout under the `queue` directory:
 *   tmp/        spool files and half-written queue files
 *   data/ID     the message (our Received: line, then the text; LF ends)
 *   env/ID      the envelope: sender and each recipient's state
 *   wake        a FIFO; one byte written wakes the relay child at once
 * A message is queued when env/ID exists: data/ID is written and made
 * durable first (write, fsync, rename, fsync data/), then env/ID the same
 * way.  The envelope is only ever replaced whole (write tmp/, fsync,
 * rename over), so a crash leaves either the old or the new state.
 */
#ifndef QUEUE_H
#define QUEUE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "addr.h"
#include "conf.h"

/* failed: permanently, the bounce not yet sent; bounced: it was sent */
enum qrcpt_state { QR_PENDING, QR_DONE, QR_FAILED, QR_BOUNCED };

struct qrcpt {
	char addr[ADDR_MAX];
	enum qrcpt_state state;
	char error[512];
};

struct envelope {
	char id[24];
	time_t created;
	time_t next_try;
	int attempts;
	char sender[ADDR_MAX];
	struct qrcpt *rcpts;
	int nrcpt;
};

struct queue_tx {
	char data_tmp[PATH_MAX], data[PATH_MAX];
	char env_tmp[PATH_MAX], env[PATH_MAX];
	char queue[PATH_MAX];
	int state;
};

/* a new queue id: uppercase hex, sorting by age, unique within a host */
void queue_new_id(char *buf, size_t size);
/* create the directories and the FIFO; 0 or -1 */
int queue_init(const char *queue);
int queue_prepare(struct queue_tx *tx, const char *queue,
		  const struct envelope *env, const char *prefix,
		  size_t prefixlen, int spoolfd, off_t size);
int queue_commit(struct queue_tx *tx);
void queue_abort(struct queue_tx *tx);
/* wake the relay child, if one is listening */
void queue_wake(const char *queue);

int queue_env_read(const char *queue, const char *id, struct envelope *env);
int queue_env_write(const char *queue, const struct envelope *env);
/* 0 or -1; serialize into buf of size, the length, for fuzzing too */
int queue_env_parse(const char *text, size_t len, struct envelope *env);
void queue_env_free(struct envelope *env);
/* remove env/ID then data/ID */
int queue_remove(const char *queue, const char *id);
/* open data/ID read-only; the size in *size */
int queue_data_open(const char *queue, const char *id, off_t *size);
/* the queued ids, oldest first; returns the count, *ids malloc'd */
int queue_ids(const char *queue, char ***ids);
void queue_ids_free(char **ids, int n);
/*
 * Remove what crashes leave behind: files in tmp/ older than max_age
 * seconds, and data/ID without env/ID (a crash between the two renames:
 * that message was never acknowledged).
 */
void queue_cleanup(const char *queue, time_t max_age);
/* print the queue as `smtpd -q` shows it */
int queue_print(const char *queue, FILE *out);

#endif
