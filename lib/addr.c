/*
 * addr.c - see addr.h.  Grammar from RFC 5321 §4.1.2; deliberately
 * strict, because every accepted oddity is a possible relay trick.
 */
#include <ctype.h>
#include <string.h>

#include "addr.h"
#include "util.h"

/* RFC 5322 atext */
static int
is_atext(int c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int
is_qtext(int c)
{
	return c >= 32 && c <= 126 && c != '"' && c != '\\';
}

/* dot-atom local part: atoms separated by single dots */
static const char *
parse_dot_atom(const char *s, char *out, size_t size)
{
	size_t n = 0;
	int need_atom = 1;

	for (;; s++) {
		int c = (unsigned char)*s;
		if (is_atext(c))
			need_atom = 0;
		else if (c == '.' && !need_atom)
			need_atom = 1;
		else
			break;
		if (n + 1 >= size)
			return NULL;
		out[n++] = (char)c;
	}
	if (need_atom)
		return NULL;
	out[n] = '\0';
	return s;
}

static const char *
parse_quoted(const char *s, char *out, size_t size)
{
	size_t n = 0;

	if (*s++ != '"')
		return NULL;
	for (;; s++) {
		int c = (unsigned char)*s;
		if (c == '"')
			break;
		if (c == '\\') {
			c = (unsigned char)*++s;
			if (c < 32 || c > 126)
				return NULL;
		} else if (!is_qtext(c) && c != ' ')
			return NULL;
		if (n + 1 >= size)
			return NULL;
		out[n++] = (char)c;
	}
	if (n == 0)
		return NULL;
	out[n] = '\0';
	return s + 1;
}

/* sub-domain *("." sub-domain), each Let-dig [Ldh-str] */
static const char *
parse_domain(const char *s, char *out, size_t size, int *literal)
{
	size_t n = 0;

	*literal = 0;
	if (*s == '[') {
		/* address literal: printable, no brackets or backslash */
		for (;; s++) {
			int c = (unsigned char)*s;
			if (n + 1 >= size)
				return NULL;
			out[n++] = (char)c;
			if (c == ']' && n > 2)
				break;
			if (n > 1 && (c < 33 || c > 126 || c == '[' ||
				      c == ']' || c == '\\'))
				return NULL;
		}
		out[n] = '\0';
		*literal = 1;
		return s + 1;
	}
	for (;;) {
		size_t start = n;
		while (isalnum((unsigned char)*s) || *s == '-') {
			if (n + 1 >= size)
				return NULL;
			out[n++] = (char)tolower((unsigned char)*s++);
		}
		if (n == start || out[start] == '-' || out[n - 1] == '-')
			return NULL;
		if (*s != '.')
			break;
		if (n + 1 >= size)
			return NULL;
		out[n++] = *s++;
	}
	out[n] = '\0';
	return s;
}

static const char *
parse_mailbox(const char *s, struct mailaddr *a)
{
	if (*s == '"')
		s = parse_quoted(s, a->local, sizeof(a->local));
	else
		s = parse_dot_atom(s, a->local, sizeof(a->local));
	if (s == NULL || *s++ != '@')
		return NULL;
	return parse_domain(s, a->domain, sizeof(a->domain), &a->literal);
}

const char *
addr_parse_path(const char *s, struct mailaddr *a)
{
	memset(a, 0, sizeof(*a));
	while (*s == ' ')
		s++;
	if (*s++ != '<')
		return NULL;
	if (*s == '>') {
		a->null = 1;
		return s + 1;
	}
	if (*s == '@') {
		/* A-d-l: "@" domain *( "," "@" domain ) ":", then ignored */
		char dom[ADDR_DOMAIN_MAX + 1];
		int lit;
		for (;;) {
			if (*s++ != '@')
				return NULL;
			if ((s = parse_domain(s, dom, sizeof(dom), &lit)) == NULL)
				return NULL;
			if (*s == ':')
				break;
			if (*s++ != ',')
				return NULL;
		}
		s++;
	}
	if ((s = parse_mailbox(s, a)) == NULL || *s != '>')
		return NULL;
	return s + 1;
}

int
addr_parse_mailbox(const char *s, struct mailaddr *a)
{
	memset(a, 0, sizeof(*a));
	s = parse_mailbox(s, a);
	return s != NULL && *s == '\0' ? 0 : -1;
}

int
addr_format(const struct mailaddr *a, char *buf, size_t size)
{
	char local[ADDR_LOCAL_MAX * 2 + 3];
	const char *p;
	size_t n = 0;
	int plain = 1;

	if (a->null) {
		if (size == 0)
			return -1;
		buf[0] = '\0';
		return 0;
	}
	for (p = a->local; *p; p++)
		if (!is_atext((unsigned char)*p) &&
		    !(*p == '.' && p != a->local && p[1] && p[-1] != '.'))
			plain = 0;
	if (plain)
		return xsnprintf(buf, size, "%s@%s", a->local, a->domain) < 0
			   ? -1
			   : 0;
	local[n++] = '"';
	for (p = a->local; *p; p++) {
		if (*p == '"' || *p == '\\')
			local[n++] = '\\';
		local[n++] = *p;
	}
	local[n++] = '"';
	local[n] = '\0';
	return xsnprintf(buf, size, "%s@%s", local, a->domain) < 0 ? -1 : 0;
}
