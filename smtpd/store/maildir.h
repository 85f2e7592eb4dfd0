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
	char newdir[PATH_MAX];
	int state; /* 0 nothing, 1 in tmp/, 2 in new/ */
};

/*
 * A new file in maildir/tmp, open for reading and writing (the fd, or
 * -1), creating the Maildir from skel if missing, and removing files
 * left in tmp/ for 36 hours (looked for once in 8 hours).
 */
int maildir_open(struct maildir_tx *tx, const char *maildir, const char *skel,
		 const char *host);
/* the copy in tmp/ is whole, size bytes, and fsync'd: its name in new/ */
int maildir_written(struct maildir_tx *tx, off_t size);
/*
 * maildir_open(), then write prefix and bytes [from, from + size) of fd
 * to it, fsync and close it.  0 or -1.
 */
int maildir_prepare(struct maildir_tx *tx, const char *maildir,
		    const char *skel, const char *host, const char *prefix,
		    size_t prefixlen, int fd, off_t from, off_t size);
int maildir_commit(struct maildir_tx *tx);
void maildir_abort(struct maildir_tx *tx);
/* create maildir (and its parents) from skel if it does not exist */
int maildir_create(const char *maildir, const char *skel);

#endif
