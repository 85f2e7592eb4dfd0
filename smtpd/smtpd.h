/*
 * smtpd.h - the state every process of the daemon shares: the parsed
 * config, the accounts table and the aliases.  The master owns it; session children
 * and the relay child inherit it across fork().
 */
#ifndef SMTPD_H
#define SMTPD_H

#include "conf.h"
#include "passwd.h"
#include "aliases.h"

struct tlsio_ctx;

struct smtpd {
	struct conf conf;
	struct accounts accounts;
	struct aliases aliases; /* conf.aliases ("": none) */
	struct tlsio_ctx *tls;	/* tls_cert's pair loaded (setup_tls); or NULL */
	int verbose;
	int inetd; /* one session on stdin/stdout, logs to syslog */
};

#endif
