/*
 * addrlist.h - lists of mailboxes, as mailc takes them from the command
 * line (recipients, -c, -b) and, with -t, from the To, Cc and Bcc
 * headers: RFC 5322 address lists parsed into distinct mailboxes.
 */
#ifndef ADDRLIST_H
#define ADDRLIST_H

#include <stddef.h>

#define MSG_ADDRS_MAX 10000 /* addresses in one list */

/* a list of distinct mailboxes, each as addr_format() writes it */
struct msg_addrs {
	char **v;
	size_t n, cap;
};

/*
 * Parse an RFC 5322 address list ("a@b", "Name <a@b>", "\"Doe, J\" <a@b>",
 * "a@b (comment)", "group: a@b, c@d;", folded lines) and add each mailbox
 * to l.  0, or -1 with a message naming what (e.g. "To header").
 */
int msg_addrs_parse(struct msg_addrs *l, const char *s, const char *what);
/*
 * From now on a bare local name ("root") in an address list is a mailbox
 * at domain, as sendmail qualifies it (sendmail.c); NULL: an error again
 */
void msg_qualify_bare(const char *domain);
/* add one formatted mailbox unless l has it; -1 when l is full */
int msg_addrs_add(struct msg_addrs *l, const char *addr);
/* add the members of src that l lacks */
int msg_addrs_merge(struct msg_addrs *l, const struct msg_addrs *src);
void msg_addrs_free(struct msg_addrs *l);

#endif
