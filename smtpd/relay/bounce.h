/*
 * bounce.h - delivery status notifications to the envelope sender, from
 * the null sender <>, as RFC 3464 reports (multipart/report; RFC 6522):
 * the failure notice (a bounce) for recipients that failed, and the one
 * delay notice for recipients still being retried after delay_warning.
 * Each names the recipients and why, carries a message/delivery-status
 * part a program can read, and quotes the original headers.  A message
 * from the null sender (a bounce) is never bounced and never warned of.
 */
#ifndef BOUNCE_H
#define BOUNCE_H

#include <time.h>

#include "store/queue.h"
#include "smtpd.h"

/*
 * How the relay worker's error text of a recipient that stayed pending
 * past queue_lifetime begins: the notice gives it Status 5.4.7 (RFC
 * 3463: delivery time expired), whatever the last reply was.
 */
#define BOUNCE_EXPIRED "delivery time expired (queue_lifetime): "

/*
 * Send the notice for the recipients of env in state QR_FAILED, reading
 * the original headers from datafd.  0 when it was delivered or queued
 * (or there was nobody to tell), -1 when it should be tried again later.
 */
int bounce_send(struct smtpd *d, const struct envelope *env, int datafd);

/*
 * After an attempt (at now) that left recipients of env pending: when
 * the message has been queued delay_warning or longer (0: never), no
 * delay notice was sent yet (env->warned) and the sender is not null,
 * send one naming the pending recipients, then set env->warned and
 * record the envelope (queue_env_write).  0 when nothing was due or it
 * was sent and recorded; -1 when it could not be sent (tried again
 * after the next attempt) or sent but not recorded (logged: then it may
 * go out again after the next attempt).
 */
int bounce_delay_notice(struct smtpd *d, struct envelope *env, int datafd,
			time_t now);

#endif
