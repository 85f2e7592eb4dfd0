/*
 * maildrop.h - a user's Maildir as a POP3 maildrop (RFC 1939 §3, §8).
 *
 * Opening takes the mailbox lock (one POP3 session per mailbox: a
 * fcntl(2) lock on <maildir>/.pop3.lock, which the kernel drops when the
 * process ends in any way, kill -9 included), moves new/ into cur/ with
 * the Maildir info ":2," appended (rename, then fsync cur/ and new/), and
 * lists cur/ in delivery order: the name's leading seconds, then its
 * M<usecs>, then the rest of the name.  Messages are numbered from 1 by
 * the caller; here they are indexed from 0.
 *
 * Sizes are counted as POP3 sends them (every LF becomes CRLF: the file
 * size plus its LFs), by streaming the file once, cached for the session.
 * Deletions are only marked until maildrop_update() (the UPDATE state,
 * at QUIT): unlink each, then fsync cur/.  It does not touch new/ after
 * opening: mail delivered during a session shows in the next one.
 */
#ifndef MAILDROP_H
#define MAILDROP_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define MAILDROP_LOCK_NAME ".pop3.lock"
#define MAILDROP_UIDL_MAX 70	 /* RFC 1939 §7: 1 to 70 characters */
#define MAILDROP_MSGS_MAX 100000 /* shown in one session; more wait */

struct maildrop_msg {
	char *name;   /* file name in cur/ */
	off_t size;   /* bytes in the file */
	off_t octets; /* bytes as sent (LF as CRLF); -1 until counted */
	long long secs, usecs;
	char uidl[MAILDROP_UIDL_MAX + 1];
	int deleted;
};

struct maildrop {
	char dir[PATH_MAX];
	int lockfd;
	struct maildrop_msg *v;
	size_t n;
};

enum maildrop_status {
	MAILDROP_OK,
	MAILDROP_IN_USE, /* another session holds the lock */
	MAILDROP_ERROR	 /* logged */
};

/* create maildir from skel if missing, lock it, move new/, list cur/ */
enum maildrop_status maildrop_open(struct maildrop *m, const char *maildir,
				   const char *skel);
/* the size of message i as sent; 0, or -1 if it cannot be read */
int maildrop_octets(struct maildrop *m, size_t i, off_t *octets);
/* open message i for reading; a descriptor, or -1 */
int maildrop_msg_open(const struct maildrop *m, size_t i);
/*
 * The UPDATE state: remove every message marked deleted, then fsync
 * cur/.  0, or -1 if any could not be removed (the rest are).
 */
int maildrop_update(struct maildrop *m);
/* free the list and release the lock (without deleting anything) */
void maildrop_close(struct maildrop *m);

/* the UIDL of a Maildir file name (exposed for tests and fuzzing) */
void maildrop_uidl(const char *name, char *uidl, size_t size);

#endif
