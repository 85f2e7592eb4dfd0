/*
 * maildir.h - durable delivery into a Maildir (DESIGN.md "Delivery and
 * durability").  Two steps, so that a message with several recipients
 * is all-or-nothing: maildir_prepare() writes the copy to tmp/ and
 * fsyncs it; maildir_commit() renames it into new/ and fsyncs new/;
 * maildir_abort() removes whatever a transaction left.
 */
#ifndef MAILDIR_H
#define MAILDIR_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct maildir_tx {
	char tmp[PATH_MAX];
	char new[PATH_MAX];
	int state; /* 0 nothing, 1 in tmp/, 2 in new/ */
};

/*
 * Write prefix then the spool (bytes [0, spoolsize) of spoolfd) to
 * maildir/tmp, creating the Maildir from skel if missing, and removing
 * files left in tmp/ for 36 hours (looked for once in 8 hours).  0 or -1.
 */
int maildir_prepare(struct maildir_tx *tx, const char *maildir,
		    const char *skel, const char *host, const char *prefix,
		    size_t prefixlen, int spoolfd, off_t spoolsize);
int maildir_commit(struct maildir_tx *tx);
void maildir_abort(struct maildir_tx *tx);
/* create maildir (and its parents) from skel if it does not exist */
int maildir_create(const char *maildir, const char *skel);

#endif
