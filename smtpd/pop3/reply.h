/*
 * reply.h - every POP3 reply goes out through here (formatted, logged
 * with -v, each -ERR counted so the 20th ends the session), and the
 * checks of a message-number argument that answer -ERR themselves.  A
 * leaf: it calls nothing else in pop3/ but the maildrop.
 */
#ifndef POP3_REPLY_H
#define POP3_REPLY_H

#include <stddef.h>
#include <sys/types.h>

#include "pop3/pop3.h"

/* one reply line, CRLF added; counts -ERR replies, logs with -v */
void pop3_reply(struct pop3_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Set up s->cmd for lio_next_command: a line too long or holding NUL/CR
 * is answered -ERR, a timeout -ERR [SYS/TEMP].
 */
void pop3_command_replies(struct pop3_session *s);
/* a message number or line count: 1 to 9 digits and nothing else; or -1 */
long long pop3_number(const char *s);
/* the message arg names (1..n, not deleted) as an index; -1 after -ERR */
int pop3_msgno(struct pop3_session *s, const char *arg, size_t *i);
/* the size of message i as sent; -1 after -ERR */
int pop3_octets(struct pop3_session *s, size_t i, off_t *octets);

#endif
