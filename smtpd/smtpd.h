/*
 * smtpd.h - the state every process of the daemon shares: the parsed
 * config and the accounts table.  The master owns it; session children
 * and the relay child inherit it across fork().
 */
#ifndef SMTPD_H
#define SMTPD_H

#include "conf.h"
#include "passwd.h"

struct smtpd {
	struct conf conf;
	struct accounts accounts;
	int verbose;
	int inetd; /* one session on stdin/stdout, logs to syslog */
};

#endif
