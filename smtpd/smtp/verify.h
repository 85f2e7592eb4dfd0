/*
 * verify.h - recipient verification at RCPT time (verify_recipients).
 */
#ifndef SMTP_VERIFY_H
#define SMTP_VERIFY_H

#include "smtp/smtp.h"

/* with verify_recipients, ask the peer at RCPT time; 0 accept, -1
 * refused (the reply has been sent) */
int verify_rcpt(struct smtp_session *s, const struct rcpt *r);

#endif
