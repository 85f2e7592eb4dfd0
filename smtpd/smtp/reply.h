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
 * The same, for a refused recipient `to` (NULL: the whole message), and
 * log it: "QID: reject client=[IP] from=<S> to=<R> (reply)" (smtpd(8),
 * LOGGING).
 */
void smtp_reject(struct smtp_session *s, const char *to, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Set up s->cmd for lio_next_command: a line too long or holding NUL/CR
 * is answered 500 5.5.2, a timeout 421 4.4.2.
 */
void smtp_command_replies(struct smtp_session *s);
/* forget the transaction (sender, recipients, queue id) */
void smtp_reset(struct smtp_session *s);

#endif
