/*
 * fuzz_dns.c - lib/dns.c's answer parser (dns_parse, dns_name), what
 * smtpd/mxroute.c reads from a DNS server.  The input is one message.
 * A parsed answer must hold at most DNS_RR_MAX records of the types
 * asked for, every name and MX target terminated within DNS_NAME_MAX
 * and made of host-name bytes and dots only; parsing the same bytes
 * twice must give the same answer; and dns_name from every offset must
 * stay in bounds (ASan) and end, whatever the pointers say.
 */
#include "fuzz_util.h"

#include "dns.h"

static int
host_name(const char *s)
{
	size_t n = strnlen(s, DNS_NAME_MAX + 1);
	const char *p;

	if (n > DNS_NAME_MAX)
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		      *p == '.'))
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_answer a, b;
	char name[DNS_NAME_MAX + 1];
	size_t off, at;
	int i, r;

	/* a copy of exactly size bytes: ASan sees any read past the end */
	unsigned char *msg = malloc(size ? size : 1);
	if (msg == NULL)
		return 0;
	memcpy(msg, data, size);
	r = dns_parse(msg, size, &a);
	CHECK(dns_parse(msg, size, &b) == r);
	if (r == 0) {
		CHECK(a.nrr >= 0 && a.nrr <= DNS_RR_MAX);
		CHECK(a.rcode >= 0 && a.rcode <= 15);
		CHECK(a.nrr == b.nrr && a.rcode == b.rcode && a.tc == b.tc);
		for (i = 0; i < a.nrr; i++) {
			const struct dns_rr *rr = &a.rr[i];
			CHECK(rr->type == DNS_T_A || rr->type == DNS_T_AAAA ||
			      rr->type == DNS_T_MX);
			CHECK(host_name(rr->name));
			CHECK(rr->type == b.rr[i].type &&
			      strcmp(rr->name, b.rr[i].name) == 0);
			if (rr->type == DNS_T_MX) {
				CHECK(host_name(rr->target));
				CHECK(rr->pref >= 0 && rr->pref <= 0xffff);
				CHECK(strcmp(rr->target, b.rr[i].target) == 0);
			}
		}
	}
	for (at = 0; at < size && at < 512; at++) {
		off = at;
		r = dns_name(msg, size, &off, name);
		CHECK(r == 0 || r == -1 || r == -2);
		if (r != -1) {
			CHECK(off > at && off <= size);
			CHECK(strnlen(name, sizeof(name)) <= DNS_NAME_MAX);
		}
		if (r == 0)
			CHECK(host_name(name));
	}
	free(msg);
	return 0;
}
