/*
 * cidr.h - IPv4 and IPv6 networks in CIDR notation (RFC 4632, RFC 4291
 * §2.3): "127.0.0.0/8", "::1/128", or a bare address (the host alone),
 * and whether a client's numeric address is in one.  An IPv4-mapped IPv6
 * client address (::ffff:a.b.c.d, from a socket bound to "::") is
 * matched as the IPv4 address it maps.  Only inet_pton(3): no names, no
 * lookups.
 */
#ifndef CIDR_H
#define CIDR_H

#include <stddef.h>

struct cidr {
	int v6;			/* 0: IPv4 (4 octets of addr), 1: IPv6 */
	unsigned char addr[16]; /* the network, host bits zero */
	int bits;		/* prefix length */
};

/*
 * Parse s into *c.  -1 with why (a static string) on a bad address, a
 * bad length, or host bits set beyond the prefix ("10.1.2.3/8": the
 * author meant 10.0.0.0/8 or the host alone; Postfix warns the same).
 */
int cidr_parse(const char *s, struct cidr *c, const char **why);
/* 1 if the numeric address ip (as getnameinfo gives it) is in c */
int cidr_match(const struct cidr *c, const char *ip);

#endif
