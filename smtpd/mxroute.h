/*
 * mxroute.h - where mail for a domain goes: the ordered list of hosts
 * (name, address, port) to try, for the relay worker and the recipient
 * probe alike.  A static `route DOMAIN HOST:PORT` gives HOST's addresses
 * at PORT; `route DOMAIN|* mx` gives the domain's MX hosts (RFC 5321
 * §5.1) at port 25, asked of the C library's resolver, or of the server
 * `resolver` names.  The most specific route wins, as conf_route says.
 */
#ifndef MXROUTE_H
#define MXROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/*
 * Bounds on one attempt, so one relay attempt or one RCPT probe cannot
 * take many minutes (each DNS query may take ~9 s, each connect up to
 * relay_connect_timeout), as Postfix's smtp_mx_address_limit (5) and
 * smtp_mx_session_limit (2): the addresses of at most MXROUTE_MX_MAX MX
 * hosts are looked up, and none once MXROUTE_ADDRS_MAX addresses are
 * known; of those, at most MXROUTE_SESSIONS_MAX hosts that take the
 * connection but then fail (no 220 greeting) are tried.
 */
#define MXROUTE_ADDRS_MAX 5
#define MXROUTE_MX_MAX 5
#define MXROUTE_SESSIONS_MAX 2

struct mxhost {
	char name[256]; /* the route's host, or the MX host, as named */
	char addr[64];	/* numeric */
	char port[16];
};

struct mxroute {
	int nhosts;
	struct mxhost hosts[MXROUTE_ADDRS_MAX];
};

/*
 * The hosts for domain into mr, best first.  A deadline (now_ms()
 * time, 0 for none) bounds the DNS queries: each is cut to what is
 * left of it, and none is sent once it has passed (a 451); a static
 * route's name (getaddrinfo: /etc/hosts, usually) is not bounded.  0
 * when there is at least one; else a reply code with the reply text in err ("CODE X.Y.Z
 * why"): 4xx for a failure that may pass (a DNS server failing or
 * timing out, MX records none of which names a valid host: retried), 5xx for
 * one that will not (no route, NXDOMAIN 5.1.2, null MX 556 5.1.10, mail that
 * would loop back to this host 5.4.6: bounced).
 */
int mxroute_lookup(const struct conf *c, const char *domain, int64_t deadline,
		   struct mxroute *mr, char *err, size_t errsize);

/* the host as logs and error texts name it, Postfix's way:
 * "NAME[ADDR]:PORT", or "ADDR:PORT" when the name is the address */
void mxhost_where(const struct mxhost *h, char *buf, size_t size);
/* the host as the envelope records it (queue_env.h): "NAME [ADDR]:PORT" */
void mxhost_remote(const struct mxhost *h, char *buf, size_t size);

#endif
