/*
 * reply.h - every SMTP reply goes out through here: formatted, logged
 * with -v, and counted, so the 20th error ends the session in one place.
 * A leaf: it calls nothing else in smtp/.
 */
#ifndef SMTP_REPLY_H
#define SMTP_REPLY_H

#include "smtp/smtp.h"

/* send one reply line (CRLF added); counts errors, logs with -v */
void smtp_reply(struct smtp_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Read the next command line (lio_next_command): a line too long or
 * holding NUL/CR is answered 500 5.5.2 (LIO_PARTIAL, LIO_BADCHAR: read
 * the next); a timeout is answered 421 4.4.2; LIO_LINE: a command in buf.
 */
enum lio_status smtp_read_command(struct smtp_session *s, char *buf,
				  size_t size);
/* forget the transaction (sender, recipients, queue id) */
void smtp_reset(struct smtp_session *s);

#endif
