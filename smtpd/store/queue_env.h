/*
 * queue_env.h - the envelope of a queued message (queue/env/ID): the
 * sender and each recipient's state, as a small text file.
 *
 * Every envelope written here can be read back here, whatever it grows
 * to: the reader's limits (QUEUE_RCPT_MAX recipients, QUEUE_ENV_MAX
 * bytes) are above anything the writer produces, and the session
 * enforces QUEUE_RCPT_MAX at RCPT time (452 4.5.3).
 *
 * A result is recorded without needing new space (as Postfix and qmail
 * mark a recipient done in place): each recipient's state and the next
 * and attempts fields are fixed-width, and queue_env_mark() writes them
 * over themselves.  Only the error texts need the whole file rewritten
 * (queue_env_write: a new file renamed over, so old or new, never a mix).
 * Files in the older format (single blanks) are read too; their fields
 * have the room they have.  It delivers nothing and knows no directory
 * but env/, hold/ (read only) and tmp/ of the queue it is given.
 */
#ifndef QUEUE_ENV_H
#define QUEUE_ENV_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "addr.h"

/* the most recipients one envelope may hold (max_recipients' ceiling) */
#define QUEUE_RCPT_MAX 100000
/* the longest line written or read: a recipient or its error */
#define QUEUE_ENV_LINE_MAX (ADDR_MAX + 600)
/* the largest envelope: seven header lines, three lines a recipient */
#define QUEUE_ENV_MAX \
	((size_t)QUEUE_ENV_LINE_MAX * (7 + 3 * (size_t)QUEUE_RCPT_MAX))

/* failed: permanently, the bounce not yet sent; bounced: it was sent */
enum qrcpt_state { QR_PENDING, QR_DONE, QR_FAILED, QR_BOUNCED };

struct qrcpt {
	char addr[ADDR_MAX];
	enum qrcpt_state state;
	char error[512];
	/* the host last tried for it, "HOST [ADDRESS]:PORT" (`smtpd -q`,
	 * the bounce's Remote-MTA); "" before the first attempt */
	char remote[300];
	off_t state_off; /* the state field in the file, and its room */
	int state_room;
};

struct envelope {
	char id[24];
	time_t created;
	time_t next_try;
	int attempts;
	time_t last_try; /* the last delivery attempt; 0: none yet */
	int warned;	 /* the delay notice (delay_warning) was sent */
	char sender[ADDR_MAX];
	struct qrcpt *rcpts;
	int nrcpt;
	off_t next_off, attempts_off; /* the fixed-width fields, and room */
	int next_room, attempts_room;
};

/* the name of a state as the file and `smtpd -q` show it */
const char *queue_env_state_name(enum qrcpt_state s);
/*
 * The text of env, malloc'd into *out (length *outlen); the field
 * offsets in env are set to where they are in that text.  0, or -1 with
 * errno (E2BIG: more than QUEUE_RCPT_MAX recipients).
 */
int queue_env_format(struct envelope *env, char **out, size_t *outlen);
/* parse text; 0, or -1 (nothing to free then).  For fuzzing too. */
int queue_env_parse(const char *text, size_t len, struct envelope *env);
/* queue/DIR/ID into buf: 0, or -1 with errno ENAMETOOLONG */
int queue_env_path(char *buf, size_t size, const char *queue, const char *dir,
		   const char *id);
/* read queue/env/ID; -1 with errno: ENOENT, EINVAL (malformed), EFBIG */
int queue_env_read(const char *queue, const char *id, struct envelope *env);
/* the same from queue/DIR/ID: "hold" for a held message (queue.h) */
int queue_env_read_from(const char *queue, const char *dir, const char *id,
			struct envelope *env);
/* replace queue/env/ID whole (durable_replace); 0 or -1 (logged) */
int queue_env_write(const char *queue, struct envelope *env);
/*
 * The same without the fsync of env/ (durable_replace_as): for the
 * envelope of a message that is removed next (queue_remove_many fsyncs
 * env/ after the unlink); until then a crash leaves the old envelope or
 * the new, both of which say the same of every recipient.
 */
int queue_env_write_final(const char *queue, struct envelope *env);
/*
 * Write in place, over their own fixed-width fields in queue/env/ID, the
 * states of the recipients idx[0..n) and, when schedule is set, next and
 * attempts (all of them, or none when one cannot be); then fdatasync.
 * No new space is needed.  0, or -1 with
 * errno (EOVERFLOW: a field of an old-format file has no room for the
 * value, EINVAL: the file does not hold the field where env says; then
 * only queue_env_write can record it).
 */
int queue_env_mark(const char *queue, const struct envelope *env,
		   const int *idx, int n, int schedule);
void queue_env_free(struct envelope *env);

#endif
