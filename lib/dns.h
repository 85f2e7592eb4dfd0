/*
 * dns.h - a DNS answer parser (RFC 1035 §4.1): the header's rcode and TC
 * bit, and the answer section's MX, A and AAAA records.  Pure: it reads
 * a message given as bytes and never sends or receives one (the
 * resolver, res_nsend(3), does that in smtpd/mxroute.c).
 *
 * Every field is bounds-checked against the message length; compressed
 * names (§4.1.4) are followed backwards only, at most DNS_JUMPS_MAX
 * times, so no message can make it loop.  A name with a byte that
 * cannot be part of a host name (a dot inside a label, a blank, a
 * control) makes that one record unusable, never the whole answer.
 */
#ifndef DNS_H
#define DNS_H

#include <stddef.h>

#define DNS_T_A 1
#define DNS_T_CNAME 5
#define DNS_T_MX 15
#define DNS_T_AAAA 28

#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3

#define DNS_NAME_MAX 255 /* a name as text, without the final dot */
#define DNS_RR_MAX 64	 /* answer records kept; more are ignored */
#define DNS_JUMPS_MAX 32 /* compression pointers followed in one name */

struct dns_rr {
	int type;		       /* DNS_T_MX, DNS_T_A or DNS_T_AAAA */
	char name[DNS_NAME_MAX + 1];   /* the owner, "" for the root */
	int pref;		       /* MX: the preference */
	char target[DNS_NAME_MAX + 1]; /* MX: the exchange, "" for "." */
	unsigned char addr[16];	       /* A: 4 bytes, AAAA: 16 */
};

struct dns_answer {
	int id;
	int rcode;
	int tc; /* truncated: the whole answer needs TCP */
	int nrr;
	int mx_invalid; /* MX records left out: the exchange is not a
			   host name */
	struct dns_rr rr[DNS_RR_MAX];
};

/*
 * Parse msg (len bytes), a response.  The records of the answer section
 * whose type is MX, A or AAAA (of class IN) go into a->rr, in order;
 * others (CNAME, ...) are skipped, and so is an MX record whose
 * exchange is not a host name (counted in a->mx_invalid).  0, or -1 when the
 * message is not a well-formed response.
 */
int dns_parse(const unsigned char *msg, size_t len, struct dns_answer *a);

/*
 * The name at *off in msg as dotted text ("" for the root) into out
 * (at least DNS_NAME_MAX + 1 bytes); *off moves past it (past the first
 * pointer when compressed).  0; -1 when malformed (out of bounds, a
 * forward or looping pointer, too long); -2 when well-formed but not a
 * host name (*off still moved past it).
 */
int dns_name(const unsigned char *msg, size_t len, size_t *off, char *out);

#endif
