/*
 * session.h - the SMTP service as the master starts it in a session
 * child (or inetd mode): one connection, served to its end.
 */
#ifndef SMTP_SESSION_H
#define SMTP_SESSION_H

#include "conf.h"
#include "smtpd.h"

/* serve one connection on fds; returns when the session ends */
void smtp_session_run(struct smtpd *d, enum service svc, int rfd, int wfd,
		      const char *client_ip);

#endif
