/*
 * expand.h - where mail for an address goes: the final targets (local
 * accounts, remote addresses) of one recipient, after the aliases
 * file, user+tag and the catch-all; and the Maildir a local target is
 * delivered to.  Used at RCPT time (smtp/session.c), by delivery
 * (store/deliver.c) and by `smtpd -n` (preflight.c).
 *
 * For an address in a local domain, in this order (the first that
 * applies decides): its alias (user@domain, then user), its account,
 * then with the recipient_delimiter part cut off (bob+tag -> bob): the
 * alias, the account; then the domain's catch-all.  Alias targets are
 * expanded the same way, depth first, at most EXPAND_DEPTH_MAX deep;
 * an alias met again inside its own expansion is a loop: its account
 * gets the mail if it has one (`bob: bob, bob@elsewhere` keeps a copy,
 * as with Postfix), else that branch is dropped.  An address already
 * expanded is not expanded (nor added) twice.
 *
 * postmaster (RFC 5321 §4.5.1: always accepted): postmaster@DOMAIN that
 * leads nowhere is postmaster@FIRST (the first `domain`); when that leads
 * nowhere either, the mail is kept in the Maildir postmaster@FIRST would
 * have, account or not (an account added later reads it; smtpd -n
 * warns).  Forwarding keeps the envelope sender (no SRS).
 */
#ifndef EXPAND_H
#define EXPAND_H

#include <stddef.h>

#include "addr.h"
#include "smtpd.h"

#define EXPAND_DEPTH_MAX 10
/* addresses looked at for one recipient, aliases and targets alike */
#define EXPAND_WORK_MAX 5000

struct target {
	char addr[ADDR_MAX]; /* local: the account's address; else remote */
	/*
	 * The address stamped as Delivered-To: for it: for a local target
	 * the address that reached the account (bob+tag@ as written), for
	 * a remote one the alias that forwarded it, or the address itself
	 * when no alias did.
	 */
	char delivered_to[ADDR_MAX];
	int local;
};

struct expansion {
	struct target *v;
	int n;
	int loops;   /* branches dropped as loops or too deep */
	int too_big; /* EXPAND_WORK_MAX reached: v is incomplete */
	int aliased; /* an alias took part */
};

/*
 * Expand a (a parsed address, any domain: a remote one is its own only
 * target) into x (free with expand_free).  x->n == 0: it leads nowhere.
 */
void expand_address(const struct smtpd *d, const struct mailaddr *a,
		    struct expansion *x);
void expand_free(struct expansion *x);
/* 1 when a local part is postmaster (any case; RFC 5321 §4.5.1) */
int expand_is_postmaster(const char *local);
/*
 * The Maildir of a local target's address (an account's, or the
 * postmaster@FIRST fallback): 0, or -1 when it has none.
 */
int expand_mailbox(const struct smtpd *d, const char *addr, char *buf,
		   size_t size);
/* 1 when postmaster@FIRST has an alias, an account or a catch-all that
 * leads to a mailbox or a remote address; 0 (and the fallback Maildir
 * in buf) when its mail would only be kept there */
int expand_postmaster_ok(const struct smtpd *d, char *buf, size_t size);

#endif
