/*
 * auth.h - SMTP AUTH (RFC 4954): PLAIN and LOGIN.
 */
#ifndef SMTP_AUTH_H
#define SMTP_AUTH_H

#include "smtp/smtp.h"

/* AUTH mechanism [initial-response]: the whole exchange, replied */
void smtp_cmd_auth(struct smtp_session *s, char *arg);

#endif
