/*
 * conf.h - smtpd.conf: one directive a line (DESIGN.md §2 "Config file").
 * Parsing fills a struct conf; every error names the file, the line and
 * the problem.  Relative paths are made relative to the config's directory.
 */
#ifndef CONF_H
#define CONF_H

#include <limits.h>
#include <stddef.h>

#include "addr.h"
#include "cidr.h"

/*
 * smtps (port 465, RFC 8314) is submission inside implicit TLS, pop3s
 * (995) is pop3 so (issue 13)
 */
enum service {
	SVC_SMTP,
	SVC_SUBMISSION,
	SVC_POP3,
	SVC_SMTPS,
	SVC_POP3S,
	SVC_COUNT
};

struct listen_conf {
	enum service svc;
	char host[256];
	char port[16];
};

struct route {
	char domain[ADDR_DOMAIN_MAX + 1]; /* or "*" */
	char host[256];
	char port[16];
	int mx; /* `route DOMAIN mx`: the DNS MX hosts (mxroute.h) */
	int tls; /* `... tls`: TLS with a verified certificate, or wait */
};

#define CONF_LISTEN_MAX 16

struct conf {
	char path[PATH_MAX];
	char hostname[256];
	struct listen_conf listen[CONF_LISTEN_MAX];
	int nlisten;
	char **domains;
	int ndomains;
	char passwd[PATH_MAX];
	char mailbox[PATH_MAX];
	char maildir_skel[PATH_MAX];
	char queue[PATH_MAX];
	struct route *routes;
	int nroutes;
	int verify_recipients;
	int verify_cache_ttl;	/* seconds a verification result is kept */
	int max_clients;
	int max_clients_per_ip;
	int session_reuse_count; /* SMTP connections one session child serves */
	int session_idle_time;	 /* seconds it waits for the next one */
	long long max_message_size;
	int max_recipients;
	int timeout;		/* SMTP: one command line or DATA line */
	int pop3_timeout;	/* RFC 1939 autologout: at least 10 minutes */
	long long queue_lifetime;
	int retry_min;		/* first retry delay, doubled up to retry_max */
	int retry_max;
	int relay_workers;	/* parallel deliveries */
	int relay_dest_concurrency; /* of them, to one destination */
	int relay_reuse_count;	/* messages one connection carries */
	char user[64];
	int resolve_clients;
	int auth_fail_limit;  /* failed logins per client address (0: off) */
	int auth_fail_window; /* seconds they are counted, and refused */
	int log_syslog;	      /* `log syslog`: 1; `log stderr`: 0 */
	/* issue 11, standard bounces (relay/bounce.c) */
	long long delay_warning; /* queued this long: one delay notice; 0: off */
	/* MX routing (mxroute.h) */
	char resolver_addr[64]; /* `resolver`: IPv4 address, "" for resolv.conf's */
	char resolver_port[16];
	/* loops and relaying clients (issue 11, part 3) */
	int max_hops; /* more Received: than this: refused, bounced */
	struct cidr *relay_from; /* clients that may relay without AUTH */
	int nrelay_from;
	/* aliases (issue 11): the file ("": none), the characters that
	 * end the user of user+tag ("": no tags) */
	char aliases[PATH_MAX];
	char recipient_delimiter[8];
	/* issue 12: a timeout per step of a relay delivery (seconds, as
	 * Postfix's smtp_*_timeout), and the whole RCPT-time probe */
	int relay_connect_timeout;    /* each address's connect */
	int relay_helo_timeout;	      /* the greeting, EHLO/HELO */
	int relay_mail_timeout;	      /* MAIL, each RCPT, RSET, QUIT */
	int relay_data_timeout;	      /* DATA's 354 */
	int relay_data_block_timeout; /* sending one buffer of the body */
	int relay_data_done_timeout;  /* the reply to the final "." */
	int verify_timeout;	      /* verify.c: lookup and every host */
	/* issue 13: TLS (lib/tlsio.h; only in a TLS=1 build) */
	char tls_cert[PATH_MAX]; /* "": no STARTTLS, no smtps/pop3s */
	char tls_key[PATH_MAX];
	char tls_ca[PATH_MAX];	 /* "": the system's bundle */
	char tls_ciphers[256];
	char tls_protocols[128];
	int auth_plaintext; /* AUTH, USER/PASS in clear off loopback too */
};

const char *service_name(enum service svc);
int service_parse(const char *name, enum service *svc);
/* what a listener speaks: SVC_SMTP, SVC_SUBMISSION (smtps too) or
 * SVC_POP3 (pop3s too); and whether it starts in TLS */
enum service service_role(enum service svc);
int service_implicit_tls(enum service svc);
/* load path into c; on error log each problem and return -1 */
int conf_load(const char *path, struct conf *c);
void conf_free(struct conf *c);

#endif
