/*
 * fuzz_addr.c - lib/addr.c: the input (as a C string) is parsed as an
 * SMTP path ("<...>", MAIL FROM/RCPT TO) and as a bare mailbox (accounts
 * file, mailc).  Whatever is accepted must be clean (printable, within
 * the RFC 5321 size limits, domain lower-cased) and must survive
 * addr_format -> parse unchanged; addr_format must refuse, never cut,
 * when the buffer is one byte short.
 */
#include "fuzz_util.h"

#include <ctype.h>

#include "addr.h"

static void
check_clean(const struct mailaddr *a)
{
	const char *p;

	if (a->null) {
		CHECK(a->local[0] == '\0' && a->domain[0] == '\0');
		return;
	}
	CHECK(a->local[0] != '\0' && strlen(a->local) <= ADDR_LOCAL_MAX);
	CHECK(a->domain[0] != '\0' && strlen(a->domain) <= ADDR_DOMAIN_MAX);
	for (p = a->local; *p; p++)
		CHECK(*p >= ' ' && *p <= '~');
	for (p = a->domain; *p; p++) {
		CHECK(*p > ' ' && *p <= '~');
		CHECK(a->literal || !isupper((unsigned char)*p));
	}
	CHECK(a->literal == (a->domain[0] == '['));
}

/* format a, parse it back (as a path or a mailbox), expect the same */
static void
check_round_trip(const struct mailaddr *a, int as_path)
{
	char buf[ADDR_MAX], wrapped[ADDR_MAX + 2], small[ADDR_MAX];
	struct mailaddr b;
	size_t n;

	if (a->null)
		return;
	CHECK(addr_format(a, buf, sizeof(buf)) == 0);
	n = strlen(buf);
	/* exactly big enough works; one byte less is refused */
	CHECK(addr_format(a, small, n + 1) == 0 && strcmp(small, buf) == 0);
	CHECK(addr_format(a, small, n) < 0);
	if (as_path) {
		const char *end;
		snprintf(wrapped, sizeof(wrapped), "<%s>", buf);
		end = addr_parse_path(wrapped, &b);
		CHECK(end != NULL && *end == '\0');
	} else
		CHECK(addr_parse_mailbox(buf, &b) == 0);
	CHECK(strcmp(a->local, b.local) == 0);
	CHECK(strcmp(a->domain, b.domain) == 0);
	CHECK(a->literal == b.literal && !b.null);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct mailaddr a;
	const char *end;

	memcpy(s, data, size);
	s[size] = '\0';
	if ((end = addr_parse_path(s, &a)) != NULL) {
		CHECK(end > s && end <= s + strlen(s) && end[-1] == '>');
		check_clean(&a);
		check_round_trip(&a, 1);
	}
	if (addr_parse_mailbox(s, &a) == 0) {
		check_clean(&a);
		CHECK(!a.null);
		check_round_trip(&a, 0);
	}
	free(s);
	return 0;
}
