/*
 * addr.h - parsing of RFC 5321 paths and mailboxes.
 *
 * A path is "<" [source-route ":"] mailbox ">" or the null path "<>".
 * The source route is accepted and ignored (RFC 5321 §4.1.1.3 / C).
 * The mailbox is local-part "@" domain: the local part a dot-atom or a
 * quoted string (kept unquoted in .local), the domain a dot-atom of
 * letters, digits and hyphens (no trailing dot) or an address literal
 * in brackets.  Sizes follow RFC 5321 §4.5.3.1 (local part 64, domain 255).
 * CR, LF, NUL and other controls are never accepted.
 */
#ifndef ADDR_H
#define ADDR_H

#include <stddef.h>

#define ADDR_LOCAL_MAX 64
#define ADDR_DOMAIN_MAX 255
#define ADDR_MAX (ADDR_LOCAL_MAX * 2 + 2 + ADDR_DOMAIN_MAX + 1)

struct mailaddr {
	char local[ADDR_LOCAL_MAX + 1];	  /* unquoted */
	char domain[ADDR_DOMAIN_MAX + 1]; /* lower-cased */
	int literal;			  /* domain is [address-literal] */
	int null;			  /* the null path <> */
};

/*
 * Parse a path at s (leading blanks skipped).  On success return a
 * pointer just past ">" and fill a; NULL on a syntax error.
 */
const char *addr_parse_path(const char *s, struct mailaddr *a);
/* parse a bare mailbox "local@domain" (the accounts file, mailc args) */
int addr_parse_mailbox(const char *s, struct mailaddr *a);
/* "local@domain" with the local part quoted when it must be; "" for <> */
int addr_format(const struct mailaddr *a, char *buf, size_t size);

#endif
