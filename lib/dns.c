/*
 * dns.c - see dns.h.  Reads RFC 1035 messages the way a careful
 * resolver does: every length is checked against what is left before it
 * is used, a compression pointer must point before the name that uses
 * it (so the walk always ends) and at most DNS_JUMPS_MAX are followed.
 * It relies on nothing but the C library and keeps no state.
 */
#include <string.h>

#include "dns.h"

#define DNS_HEADER 12
#define DNS_CLASS_IN 1

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* a byte a host name may hold (RFC 952/1123, and "_" as seen in use) */
static int
host_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

int
dns_name(const unsigned char *msg, size_t len, size_t *off, char *out)
{
	size_t pos = *off, n = 0, lowest = *off, after = 0;
	int jumps = 0, host = 1;

	for (;;) {
		unsigned l;
		if (pos >= len)
			return -1;
		l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			size_t to;
			if (pos + 1 >= len || ++jumps > DNS_JUMPS_MAX)
				return -1;
			to = (size_t)(l & 0x3f) << 8 | msg[pos + 1];
			if (after == 0)
				after = pos + 2;
			/* backwards only: every jump lowers the position */
			if (to >= lowest)
				return -1;
			lowest = pos = to;
			continue;
		}
		if (l & 0xc0)
			return -1; /* 0x40, 0x80: extended label types */
		pos++;
		if (l == 0)
			break;
		if (l > len - pos || n + l + 1 > DNS_NAME_MAX + 1)
			return -1;
		if (n > 0)
			out[n++] = '.';
		for (; l > 0; l--, pos++) {
			host &= host_char(msg[pos]);
			out[n++] = host_char(msg[pos]) ? (char)msg[pos] : '?';
		}
	}
	if (n > DNS_NAME_MAX)
		return -1;
	out[n] = '\0';
	*off = after ? after : pos;
	return host ? 0 : -2;
}

/* one answer record at *off into rr; 1 kept, 0 skipped, -1 malformed */
static int
parse_rr(const unsigned char *msg, size_t len, size_t *off, struct dns_rr *rr)
{
	size_t rdoff, rdend;
	unsigned type, class, rdlen;
	int named;

	memset(rr, 0, sizeof(*rr));
	if ((named = dns_name(msg, len, off, rr->name)) == -1 ||
	    len - *off < 10)
		return -1;
	type = get16(msg + *off);
	class = get16(msg + *off + 2);
	rdlen = get16(msg + *off + 8);
	rdoff = *off + 10;
	if (rdlen > len - rdoff)
		return -1;
	rdend = rdoff + rdlen;
	*off = rdend;
	if (class != DNS_CLASS_IN || named != 0)
		return 0;
	rr->type = (int)type;
	switch (type) {
	case DNS_T_A:
		if (rdlen != 4)
			return -1;
		memcpy(rr->addr, msg + rdoff, 4);
		return 1;
	case DNS_T_AAAA:
		if (rdlen != 16)
			return -1;
		memcpy(rr->addr, msg + rdoff, 16);
		return 1;
	case DNS_T_MX: {
		size_t t = rdoff + 2;
		int r;
		if (rdlen < 3)
			return -1;
		rr->pref = (int)get16(msg + rdoff);
		/* the exchange must end inside the record's own data */
		if ((r = dns_name(msg, rdend, &t, rr->target)) == -1 ||
		    t != rdend)
			return -1;
		return r == 0;
	}
	default:
		return 0;
	}
}

int
dns_parse(const unsigned char *msg, size_t len, struct dns_answer *a)
{
	size_t off = DNS_HEADER;
	unsigned qd, an, i;
	char skip[DNS_NAME_MAX + 1];

	memset(a, 0, sizeof(*a));
	if (msg == NULL || len < DNS_HEADER || !(msg[2] & 0x80))
		return -1; /* short, or a query (QR clear) */
	a->id = (int)get16(msg);
	a->tc = (msg[2] & 0x02) != 0;
	a->rcode = msg[3] & 0x0f;
	qd = get16(msg + 4);
	an = get16(msg + 6);
	for (i = 0; i < qd; i++) {
		if (dns_name(msg, len, &off, skip) == -1 || len - off < 4)
			return a->tc ? 0 : -1;
		off += 4;
	}
	for (i = 0; i < an; i++) {
		struct dns_rr rr;
		int r = parse_rr(msg, len, &off, &rr);
		/* a truncated answer may end in the middle of a record */
		if (r < 0)
			return a->tc ? 0 : -1;
		if (r > 0 && a->nrr < DNS_RR_MAX)
			a->rr[a->nrr++] = rr;
		else if (r == 0 && rr.type == DNS_T_MX)
			a->mx_invalid++;
	}
	return 0;
}
