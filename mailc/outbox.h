/*
 * outbox.h - mailc's local outbox: messages the server could not take
 * yet, kept durably until `mailc flush` or the next message sends them.
 *
 * The outbox is a Maildir, $XDG_STATE_HOME/mailc/outbox (else
 * ~/.local/state/mailc/outbox).  Each entry in new/ is one message with
 * its envelope in front, a block mailc strips when it sends:
 *
 *   Mailc-Outbox: 1
 *   Mailc-Sender: <alice@example.org>
 *   Mailc-Recipient: <bob@example.org>     (one line per recipient)
 *   <empty line>
 *   the message as it would have been sent (LF line ends)
 *
 * An entry is written in tmp/, fsync'd, renamed into new/ and new/
 * fsync'd (lib/durable) before mailc says it is kept, so a crash leaves
 * no entry or a whole one.  A message the server refuses for good is
 * moved to failed/.  One flush at a time: a lock on the file .lock.
 */
#ifndef OUTBOX_H
#define OUTBOX_H

#include <stddef.h>

#define OUTBOX_PATH_MAX 4096

#include "smtp.h"

struct cmdline;
struct msg;
struct msg_addrs;

/* one SMTP transaction, as send_session() (send.h) */
typedef int outbox_send_fn(const struct cmdline *o, const char *from,
			   const struct msg_addrs *rcpts, struct msg *m,
			   const char *pass, enum send_outcome *out);

/*
 * Keep m (its spool whole, whatever its offset) for from and rcpts.  0
 * with the entry's path in path, or -1 after a message (nothing kept).
 */
int outbox_store(struct msg *m, const char *from, const struct msg_addrs *rcpts,
		 char *path, size_t size);
/*
 * Send what waits, oldest first, each with send (in its own
 * transaction, as o says; pass: the AUTH password), and remove each only after
 * the server's 250.  A message refused for good is moved to failed/ and named.
 * The first time the server cannot be reached, the rest waits.  With wait, a
 * flush already running is waited for; without, it is left to do the work.  0
 * when nothing waits; EX_TEMPFAIL when something still does; else
 * EX_UNAVAILABLE when something was refused.
 */
int outbox_flush(const struct cmdline *o, const char *pass, int wait,
		 outbox_send_fn *send);
/* 1 when something waits (or the outbox cannot be looked at), else 0 */
int outbox_waiting(void);

#endif
