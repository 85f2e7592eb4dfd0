/*
 * conf_lookup.h - what the parsed config says about an address: is its
 * domain ours, which route leads to it, which Maildir is its mailbox.
 */
#ifndef CONF_LOOKUP_H
#define CONF_LOOKUP_H

#include <stddef.h>

#include "conf.h"

/* 1 when domain is one of the `domain` lines (any case) */
int conf_is_local(const struct conf *c, const char *domain);
/* the route for a domain (exact match first, then "*"), or NULL */
const struct route *conf_route(const struct conf *c, const char *domain);
/*
 * The relay's destination for mail to domain, the unit its deliveries
 * are grouped, limited and marked dead by (relay/sched.h): a static
 * route's "[HOST]:PORT", else the domain in lower case (its MX hosts,
 * or its "no route" error).  -1 when it does not fit in buf.
 */
int conf_dest(const struct conf *c, const char *domain, char *buf,
	      size_t size);
/* the Maildir of local@domain from the mailbox template; -1 if unsafe */
int conf_mailbox(const struct conf *c, const char *local, const char *domain,
		 char *buf, size_t size);
/* the mail root: the directory part of the mailbox template before its
 * first % ("/var/mail" of "/var/mail/%d/%u"); "" when it has none */
void conf_mailbox_root(const struct conf *c, char *buf, size_t size);
/* 1 when the client address ip is in a `relay_from` network: it may
 * relay without AUTH (Postfix's mynetworks) */
int conf_relay_client(const struct conf *c, const char *ip);

#endif
