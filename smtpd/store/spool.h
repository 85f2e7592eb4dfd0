/*
 * spool.h - where a message waits between its first byte and its
 * delivery.  A session whose message has a local recipient writes it
 * straight into the first such recipient's Maildir tmp/, behind that
 * copy's own trace lines (deliver_owner_open()): one file, no copy, for
 * the common single-recipient message; the other recipients' copies and
 * the queue's are made from it.  Otherwise (only remote recipients; a
 * bounce; a header block too long to hold while its end is awaited) it
 * is an unlinked file in the queue's tmp/, so a crash leaves no name
 * behind.  Memory stays bounded whatever the message's size.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <sys/types.h>

#include "conf.h"
#include "store/maildir.h"

/* a received message: its text is bytes [start, start + size) of fd */
struct spool {
	int fd;
	off_t start, size;
	/*
	 * The recipient whose Maildir copy the file is (its trace lines
	 * before start, the file in tmp/ as owner_tx says), or -1: a plain
	 * spool file.  deliver() fsyncs it and renames it into new/ with the
	 * others, or removes it (that recipient failed, or the delivery did).
	 */
	int owner;
	struct maildir_tx owner_tx;
};

/* a new, already unlinked spool file open for reading and writing; -1 */
int spool_create(const struct conf *c);

#endif
