/*
 * mxroute.c - see mxroute.h.  The one place that turns a recipient's
 * domain into hosts to connect to.
 *
 * MX (RFC 5321 §5.1): the records sorted by preference, shuffled among
 * equal preferences; each host's AAAA, then A addresses in turn, port
 * 25, the number of hosts and addresses bounded (mxroute.h).  No MX
 * record: the domain itself (the implicit MX); MX records none of which
 * names a valid host: 451 4.4.3, not the implicit MX.  A null MX
 * (RFC 7505, "0 ."): 556 5.1.10.  NXDOMAIN: 550 5.1.2.  When this host
 * (conf hostname) is among the MX hosts, only the more preferred ones
 * are tried, and none left is 554 5.4.6 (mail would loop back to
 * myself), as Postfix.  A DNS server failing (SERVFAIL, REFUSED, no
 * answer in time) is a 451 4.4.3, tried again later.
 *
 * Queries go out through res_nmkquery/res_nsend (glibc's libresolv:
 * UDP, then TCP when the answer comes back truncated); the answers are
 * read by lib/dns.c.  `resolver HOST[:PORT]` replaces the name servers
 * of /etc/resolv.conf with that one.  A static route's host is looked
 * up with getaddrinfo(3) (so /etc/hosts counts) and keeps its port.
 * It connects to nothing.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns.h"
#include "util.h"

#include "conf_lookup.h"
#include "mxroute.h"

#define MX_PORT "25"
#define DNS_MSG_MAX 65535 /* a TCP answer's largest */

struct mx {
	int pref;
	char name[DNS_NAME_MAX + 1];
};

/* the resolver state for a lookup, with `resolver` applied */
static int
resolver_open(const struct conf *c, res_state st)
{
	memset(st, 0, sizeof(*st));
	if (res_ninit(st) < 0)
		return -1;
	/* res_nsend sends exactly the name given, no search list */
	st->options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
	st->retrans = 3;
	st->retry = 2;
	if (c->resolver_addr[0]) {
		struct sockaddr_in *sin = &st->nsaddr_list[0];
		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)atoi(c->resolver_port));
		if (inet_pton(AF_INET, c->resolver_addr, &sin->sin_addr) != 1) {
			res_nclose(st);
			return -1;
		}
		st->nscount = 1;
	}
	return 0;
}

/*
 * Fit the next query into what is left before deadline: glibc's
 * res_nsend waits retrans whole seconds (at least 1) for each server
 * on the first try, and retrans << try / nscount on each later one; so
 * as many servers, and tries, as whole seconds are left, with up to 3 s
 * each.  -1 when nothing is left.  (An answer that comes back truncated
 * is asked again over TCP, which res_nsend does not time: not bounded.)
 */
static int
dns_budget(res_state st, int64_t deadline)
{
	int64_t left = (deadline - now_ms()) / 1000;
	int ns;

	if (deadline - now_ms() <= 0)
		return -1;
	if (left < 1)
		left = 1;
	if (st->nscount > left)
		st->nscount = (int)left;
	ns = st->nscount > 0 ? st->nscount : 1;
	st->retrans = (int)(left / ns);
	if (st->retrans > 3)
		st->retrans = 3;
	/* a second try only when both fit: retrans each, then 2 * retrans */
	st->retry = left >= 3 * (int64_t)st->retrans * ns ? 2 : 1;
	return 0;
}

/*
 * Ask for name's records of type; the parsed answer in a.  0 when a
 * server answered (NOERROR or NXDOMAIN: a->rcode), -1 when none did
 * (timeout, SERVFAIL, REFUSED, a malformed answer).
 */
static int
dns_ask(res_state st, int64_t deadline, const char *name, int type,
	struct dns_answer *a)
{
	static unsigned char answer[DNS_MSG_MAX];
	unsigned char query[NS_PACKETSZ];
	int qlen, alen;

	if (deadline > 0 && dns_budget(st, deadline) < 0)
		return -1;
	if ((qlen = res_nmkquery(st, ns_o_query, name, ns_c_in, type, NULL, 0,
				 NULL, query, sizeof(query))) < 0 ||
	    (alen = res_nsend(st, query, qlen, answer, sizeof(answer))) < 0 ||
	    dns_parse(answer, (size_t)alen, a) < 0 || a->tc)
		return -1;
	if (a->rcode != DNS_RCODE_NOERROR && a->rcode != DNS_RCODE_NXDOMAIN)
		return -1;
	return 0;
}

/* the name without a final dot equals this host's name */
static int
is_myself(const struct conf *c, const char *name)
{
	size_t n = strlen(c->hostname);

	if (n > 0 && c->hostname[n - 1] == '.')
		n--;
	return strlen(name) == n && strncasecmp(name, c->hostname, n) == 0;
}

static int
by_pref(const void *a, const void *b)
{
	const struct mx *x = a, *y = b;

	return (x->pref > y->pref) - (x->pref < y->pref);
}

/* sort by preference, then shuffle each run of equal preference */
static void
mx_order(struct mx *mx, int n)
{
	static int seeded;
	int i, j, k;

	if (!seeded) {
		srandom((unsigned)time(NULL) ^ (unsigned)getpid());
		seeded = 1;
	}
	qsort(mx, (size_t)n, sizeof(*mx), by_pref);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && mx[j].pref == mx[i].pref; j++)
			;
		for (k = j - 1; k > i; k--) {
			int r = i + (int)(random() % (k - i + 1));
			struct mx t = mx[k];
			mx[k] = mx[r];
			mx[r] = t;
		}
	}
}

static void
add_host(struct mxroute *mr, const char *name, const char *addr,
	 const char *port)
{
	struct mxhost *h;
	int i;

	for (i = 0; i < mr->nhosts; i++)
		if (strcmp(mr->hosts[i].addr, addr) == 0 &&
		    strcmp(mr->hosts[i].port, port) == 0)
			return; /* an address reached twice is tried once */
	if (mr->nhosts == MXROUTE_ADDRS_MAX)
		return;
	h = &mr->hosts[mr->nhosts++];
	strlcpy(h->name, name, sizeof(h->name));
	strlcpy(h->addr, addr, sizeof(h->addr));
	strlcpy(h->port, port, sizeof(h->port));
}

/*
 * name's AAAA and A addresses into mr.  0 some or none (the name does
 * not exist or has no address), -1 when the DNS failed for both.
 */
static int
add_addresses(res_state st, int64_t deadline, const char *name,
	      struct mxroute *mr)
{
	static const int types[] = {DNS_T_AAAA, DNS_T_A};
	static struct dns_answer a;
	char text[INET6_ADDRSTRLEN];
	int t, i, failed = 0;

	for (t = 0; t < 2 && mr->nhosts < MXROUTE_ADDRS_MAX; t++) {
		if (dns_ask(st, deadline, name, types[t], &a) < 0) {
			failed++;
			continue;
		}
		for (i = 0; i < a.nrr; i++)
			if (a.rr[i].type == types[t] &&
			    inet_ntop(types[t] == DNS_T_A ? AF_INET : AF_INET6,
				      a.rr[i].addr, text, sizeof(text)))
				add_host(mr, name, text, MX_PORT);
	}
	return failed == 2 ? -1 : 0;
}

static int
lookup_mx(const struct conf *c, const char *domain, int64_t deadline,
	  struct mxroute *mr, char *err, size_t errsize)
{
	static struct dns_answer a;
	static struct mx mx[DNS_RR_MAX];
	struct __res_state st;
	int n = 0, i, nullmx = 0, failed = 0, code = 0, capped = 0;

	if (resolver_open(c, &st) < 0) {
		snprintf(err, errsize, "451 4.3.5 cannot set up the resolver");
		return 451;
	}
	if (dns_ask(&st, deadline, domain, DNS_T_MX, &a) < 0) {
		snprintf(err, errsize,
			 "451 4.4.3 %s: DNS lookup failed (MX), will retry",
			 domain);
		code = 451;
		goto out;
	}
	if (a.rcode == DNS_RCODE_NXDOMAIN) {
		snprintf(
		    err, errsize,
		    "550 5.1.2 %s: Host or domain name not found (NXDOMAIN)",
		    domain);
		code = 550;
		goto out;
	}
	for (i = 0; i < a.nrr; i++) {
		if (a.rr[i].type != DNS_T_MX)
			continue;
		if (a.rr[i].target[0] == '\0') {
			nullmx++;
			continue;
		}
		mx[n].pref = a.rr[i].pref;
		strlcpy(mx[n++].name, a.rr[i].target, sizeof(mx[0].name));
	}
	if (n == 0 && nullmx > 0) {
		/* RFC 7505 §3 */
		snprintf(err, errsize,
			 "556 5.1.10 %s: Domain does not accept mail (null MX)",
			 domain);
		code = 556;
		goto out;
	}
	if (n == 0 && a.mx_invalid > 0) {
		/* MX records, none usable: RFC 5321 §5.1 allows the implicit
		 * MX only when there is no MX record; the domain's DNS may
		 * be mended, so tried again until queue_lifetime */
		snprintf(err, errsize,
			 "451 4.4.3 %s: no MX record names a valid host, "
			 "will retry",
			 domain);
		code = 451;
		goto out;
	}
	if (n == 0) { /* no MX record: the implicit MX, RFC 5321 §5.1 */
		mx[0].pref = 0;
		strlcpy(mx[n++].name, domain, sizeof(mx[0].name));
	}
	mx_order(mx, n);
	for (i = 0; i < n; i++)
		if (is_myself(c, mx[i].name)) {
			n = i; /* only the more preferred ones */
			while (n > 0 && mx[n - 1].pref == mx[i].pref)
				n--;
			if (n == 0) {
				snprintf(err, errsize,
					 "554 5.4.6 mail for %s loops back to "
					 "myself",
					 domain);
				code = 554;
				goto out;
			}
			break;
		}
	/* bounded (mxroute.h): the first hosts, until enough addresses;
	 * a host not asked may have one, so none found then is not final */
	if (n > MXROUTE_MX_MAX) {
		n = MXROUTE_MX_MAX;
		capped = 1;
	}
	for (i = 0; i < n && mr->nhosts < MXROUTE_ADDRS_MAX; i++)
		failed += add_addresses(&st, deadline, mx[i].name, mr) < 0;
	if (mr->nhosts == 0) {
		if (capped && failed == 0)
			snprintf(err, errsize,
				 "451 4.4.3 %s: no address for its first %d "
				 "mail hosts, will retry",
				 domain, MXROUTE_MX_MAX);
		else if (failed > 0)
			snprintf(err, errsize,
				 "451 4.4.3 %s: DNS lookup of the mail "
				 "host's address failed, will retry",
				 domain);
		else
			snprintf(err, errsize,
				 "554 5.4.4 %s: no address for its mail host%s",
				 domain, n > 1 ? "s" : "");
		code = failed > 0 || capped ? 451 : 554;
	}
out:
	res_nclose(&st);
	return code;
}

/* a static route's host, each of its addresses at the route's port */
static int
lookup_static(const struct route *rt, struct mxroute *mr, char *err,
	      size_t errsize)
{
	struct addrinfo hints, *res, *ai;
	char addr[NI_MAXHOST];
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(rt->host, rt->port, &hints, &res)) != 0) {
		snprintf(err, errsize, "451 4.4.3 %s: %s", rt->host,
			 gai_strerror(r));
		return 451;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr),
				NULL, 0, NI_NUMERICHOST) == 0)
			add_host(mr, rt->host, addr, rt->port);
	freeaddrinfo(res);
	if (mr->nhosts == 0) {
		snprintf(err, errsize, "451 4.4.3 %s: no usable address",
			 rt->host);
		return 451;
	}
	return 0;
}

int
mxroute_lookup(const struct conf *c, const char *domain, int64_t deadline,
	       struct mxroute *mr, char *err, size_t errsize)
{
	const struct route *rt = conf_route(c, domain);

	mr->nhosts = 0;
	err[0] = '\0';
	if (rt == NULL) {
		snprintf(err, errsize, "554 5.4.4 no route to domain %s",
			 domain);
		return 554;
	}
	if (rt->mx)
		return lookup_mx(c, domain, deadline, mr, err, errsize);
	return lookup_static(rt, mr, err, errsize);
}

void
mxhost_where(const struct mxhost *h, char *buf, size_t size)
{
	const char *fmt = strchr(h->addr, ':') ? "[%s]:%s" : "%s:%s";

	if (strcmp(h->name, h->addr) == 0)
		snprintf(buf, size, fmt, h->addr, h->port);
	else
		snprintf(buf, size, "%s[%s]:%s", h->name, h->addr, h->port);
}

void
mxhost_remote(const struct mxhost *h, char *buf, size_t size)
{
	snprintf(buf, size, "%s [%s]:%s", h->name, h->addr, h->port);
}
