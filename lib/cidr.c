/*
 * cidr.c - see cidr.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "util.h"

/* ip as 4 or 16 octets in out; the family in *v6; -1 if not numeric */
static int
addr_parse(const char *ip, unsigned char *out, int *v6)
{
	if (inet_pton(AF_INET, ip, out) == 1) {
		*v6 = 0;
		return 0;
	}
	if (inet_pton(AF_INET6, ip, out) == 1) {
		*v6 = 1;
		return 0;
	}
	return -1;
}

/* do the first bits of a and b agree? */
static int
prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));

	if (memcmp(a, b, (size_t)whole) != 0)
		return 0;
	return rest == 0 || ((a[whole] ^ b[whole]) & mask) == 0;
}

int
cidr_parse(const char *s, struct cidr *c, const char **why)
{
	char host[64], *end;
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	long bits;
	int max, i;

	memset(c, 0, sizeof(*c));
	if (hl == 0 || hl >= sizeof(host)) {
		*why = "not an IPv4 or IPv6 address";
		return -1;
	}
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (addr_parse(host, c->addr, &c->v6) < 0) {
		*why = "not an IPv4 or IPv6 address";
		return -1;
	}
	max = c->v6 ? 128 : 32;
	if (slash == NULL)
		bits = max;
	else {
		errno = 0;
		bits = strtol(slash + 1, &end, 10);
		if (errno || *end != '\0' || end == slash + 1 ||
		    slash[1] == '+' || slash[1] == '-' || bits < 0 ||
		    bits > max) {
			*why = c->v6 ? "bad prefix length (0 to 128)"
				     : "bad prefix length (0 to 32)";
			return -1;
		}
	}
	c->bits = (int)bits;
	/* host bits: the address must be the network's own */
	for (i = c->bits; i < max; i++)
		if (c->addr[i / 8] & (0x80 >> (i % 8))) {
			*why = "host bits set beyond the prefix length";
			return -1;
		}
	return 0;
}

int
cidr_match(const struct cidr *c, const char *ip)
{
	/* ::ffff:0:0/96 (RFC 4291 §2.5.5.2) */
	static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
	unsigned char a[16];
	int v6;

	if (addr_parse(ip, a, &v6) < 0)
		return 0;
	if (v6 && !c->v6 && memcmp(a, mapped, sizeof(mapped)) == 0) {
		memmove(a, a + 12, 4);
		v6 = 0;
	}
	return v6 == c->v6 && prefix_equal(a, c->addr, c->bits);
}
