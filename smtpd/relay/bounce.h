/*
 * bounce.h - failure notices: a message from the null sender <> to the
 * envelope sender, naming each recipient that failed and why, and
 * quoting the original headers.  A bounce (null sender) is never bounced.
 */
#ifndef BOUNCE_H
#define BOUNCE_H

#include "store/queue.h"
#include "smtpd.h"

/*
 * Send the notice for the recipients of env in state QR_FAILED, reading
 * the original headers from datafd.  0 when it was delivered or queued
 * (or there was nobody to tell), -1 when it should be tried again later.
 */
int bounce_send(struct smtpd *d, const struct envelope *env, int datafd);

#endif
