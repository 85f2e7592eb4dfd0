/*
 * preflight.h - what smtpd -n checks besides the config's and the
 * accounts' syntax: that a start like this one would get past
 * setup_privileges(); and that mail to postmaster leads somewhere.
 */
#ifndef PREFLIGHT_H
#define PREFLIGHT_H

#include "conf.h"
#include "smtpd.h"

/* The run user (`user` when root, else whoever runs us) exists and is
 * not root, and the queue and the mail root are directories it can
 * write, or start-up will make them so (create them, hand them to it).
 * Logs one line naming the path per problem; returns how many. */
int preflight_check(const struct conf *c);
/* Warn (one line) when postmaster leads nowhere (expand.h): its mail
 * would only be kept in a Maildir no alias or account names.  Returns
 * 1 when it warned. */
int preflight_postmaster(const struct smtpd *d);

#endif
