/*
 * retr.h - RETR and TOP (RFC 1939 §7): a message streamed with CRLF
 * line ends and dot-stuffing.
 */
#ifndef POP3_RETR_H
#define POP3_RETR_H

#include "pop3/pop3.h"

void pop3_cmd_retr(struct pop3_session *s, char *arg);
void pop3_cmd_top(struct pop3_session *s, char *arg);

#endif
