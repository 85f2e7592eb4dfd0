/*
 * send.h - mailc's sending mode: the message on stdin to the recipients
 * of the command line (cmdline.h) and, with -t, of its own headers.
 */
#ifndef SEND_H
#define SEND_H

#include <stddef.h>

#include "smtp.h"

struct cmdline;
struct msg;
struct msg_addrs;

/*
 * Send one message as cl says (its unset settings from config_apply()),
 * after flushing the outbox; returns an exit status (sysexits.h).  When
 * the server cannot be reached or answers a temporary failure the
 * message goes to the outbox: EX_TEMPFAIL, with cl->queued set.
 */
int send_main(struct cmdline *cl);

/*
 * One SMTP transaction: m to rcpts from the envelope sender from, to
 * o's host and port, with AUTH PLAIN as o->user with pass.  The exit
 * status after a message, and in *out what became of it.
 */
int send_session(const struct cmdline *o, const char *from,
		 const struct msg_addrs *rcpts, struct msg *m, const char *pass,
		 enum send_outcome *out);
/* the password for o->user into pass (wiped by the caller); 0 or status */
int send_password(const struct cmdline *o, char *pass, size_t size);

#endif
