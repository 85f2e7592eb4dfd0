/*
 * addrlist.c - see addrlist.h.  The grammar of a single address is
 * lib/addr.c's; this file splits a list into its elements (quotes,
 * comments, angle brackets, groups, folded lines) and keeps the list.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "util.h"

#include "addrlist.h"
#include "common.h"


int
msg_addrs_add(struct msg_addrs *l, const char *addr)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], addr) == 0)
			return 0;
	if (l->n >= MSG_ADDRS_MAX) {
		mailc_warnx("too many addresses (at most %d)", MSG_ADDRS_MAX);
		return -1;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xreallocarray(l->v, l->cap, sizeof(l->v[0]));
	}
	l->v[l->n++] = xstrdup(addr);
	return 0;
}

int
msg_addrs_merge(struct msg_addrs *l, const struct msg_addrs *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		if (msg_addrs_add(l, src->v[i]) < 0)
			return -1;
	return 0;
}

void
msg_addrs_free(struct msg_addrs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* msg_qualify_bare()'s domain; NULL: a bare name is a bad address */
static const char *bare_domain;

void
msg_qualify_bare(const char *domain)
{
	bare_domain = domain;
}

/* one element of a list, raw text in [start, end): validate and add */
static int
addrs_element(struct msg_addrs *l, const char *what, const char *start,
	      const char *end, const char *addr, int angle, int bad)
{
	char path[ADDR_MAX + 8], out[ADDR_MAX + 1], shown[101];
	char full[ADDR_MAX + 1];
	struct mailaddr a;
	const char *p;
	size_t n = 0;
	int ok;

	if (!angle && !bad && *addr == '\0')
		return 0; /* empty: "a@b,,c@d", a group's end, blanks */
	/* sendmail's "root": a mailbox at the local domain */
	if (bare_domain != NULL && !bad && *addr != '\0' &&
	    strpbrk(addr, "@<>,;:\"() \t\r\n") == NULL &&
	    xsnprintf(full, sizeof(full), "%s@%s", addr, bare_domain) >= 0)
		addr = full;
	if (angle)
		ok = !bad && xsnprintf(path, sizeof(path), "<%s>", addr) >= 0 &&
		     (p = addr_parse_path(path, &a)) != NULL && *p == '\0' &&
		     !a.null;
	else
		ok = !bad && addr_parse_mailbox(addr, &a) == 0;
	if (ok && addr_format(&a, out, sizeof(out)) == 0)
		return msg_addrs_add(l, out);
	while (start < end && (*start == ' ' || *start == '\t'))
		start++;
	for (p = start; p < end && n < sizeof(shown) - 1; p++)
		shown[n++] = (unsigned char)*p < ' ' ? ' ' : *p;
	shown[n] = '\0';
	mailc_warnx("bad address in %s: %s", what, shown);
	return -1;
}

static void
put_char(char *buf, size_t *n, int c, int *bad)
{
	if (*n + 1 >= ADDR_MAX + 1)
		*bad = 1;
	else
		buf[(*n)++] = (char)c;
	buf[*n] = '\0';
}

/*
 * A control character anywhere but in a header's folding (a line end
 * followed by a blank) or at its end: "bob@x\r\nRCPT TO:<evil@y>" must
 * never become another recipient, nor a header line of its own.
 */
static int
addrs_control(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\r' && s[1] == '\n')
			continue;
		if (c == '\n' && (s[1] == ' ' || s[1] == '\t' || s[1] == '\0'))
			continue;
		if ((c < ' ' && c != '\t') || c == 0x7f)
			return 1;
	}
	return 0;
}

int
msg_addrs_parse(struct msg_addrs *l, const char *s, const char *what)
{
	char bare[ADDR_MAX + 1], angle[ADDR_MAX + 1];
	size_t nb = 0, na = 0;
	int inangle = 0, hasangle = 0, badbare = 0, badangle = 0, depth;
	const char *start = s;

	if (addrs_control(s)) {
		mailc_warnx("bad address in %s: control characters", what);
		return -1;
	}
	bare[0] = angle[0] = '\0';
	for (;; s++) {
		char *buf = inangle ? angle : bare;
		size_t *n = inangle ? &na : &nb;
		int *bad = inangle ? &badangle : &badbare;
		int c = (unsigned char)*s;

		if (c == '\0' || (!inangle && (c == ',' || c == ';'))) {
			/* a display name may be long; only the <addr> counts */
			if (addrs_element(l, what, start, s,
					  hasangle ? angle : bare, hasangle,
					  hasangle ? badangle || inangle
						   : badbare) < 0)
				return -1;
			if (c == '\0')
				return 0;
			nb = na = 0;
			bare[0] = angle[0] = '\0';
			inangle = hasangle = badbare = badangle = 0;
			start = s + 1;
		} else if (c == '"' || c == '[') {
			/* quoted string or domain literal: copied whole */
			int close = c == '"' ? '"' : ']';
			put_char(buf, n, c, bad);
			for (s++; *s != '\0' && *s != close; s++) {
				if (*s == '\\' && s[1] != '\0')
					put_char(buf, n, *s++, bad);
				put_char(buf, n, *s, bad);
			}
			if (*s == '\0')
				s--, *bad = 1;
			else
				put_char(buf, n, *s, bad);
		} else if (c == '(' && !inangle) {
			/* comments nest (RFC 5322 §3.2.2) */
			for (depth = 1, s++; *s != '\0' && depth > 0; s++) {
				if (*s == '\\' && s[1] != '\0')
					s++;
				else if (*s == '(')
					depth++;
				else if (*s == ')')
					depth--;
			}
			s--;
		} else if (c == '<' && !inangle) {
			inangle = hasangle = 1;
			na = 0;
			angle[0] = '\0';
		} else if (c == '>' && inangle)
			inangle = 0;
		else if (c == ':' && !inangle) {
			/* "group:": what came before is the group's name */
			nb = 0;
			bare[0] = '\0';
			badbare = 0;
		} else if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			put_char(buf, n, c, bad);
	}
}
