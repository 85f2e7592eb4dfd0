/*
 * durable.h - the one way anything here writes a file that must survive
 * a crash: Maildir delivery, the relay queue, mailc fetch and the
 * recipient-verification cache all go through it.
 *
 * The chain is always the same, each step checked (OpenSMTPD's Maildir
 * writer checks fflush, ferror, fsync and fclose; we also fsync the
 * directory after the rename, which makes the new name durable):
 *   create a new file under a unique name (O_EXCL), write, fsync, close,
 *   rename into place, fsync the directory that now holds the name.
 * A failure at any step leaves no file under the final name.  It knows
 * nothing of mail: what the names and contents mean is the caller's.
 */
#ifndef DURABLE_H
#define DURABLE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * A unique file name in the Maildir convention:
 * <secs>.M<usecs>P<pid>Q<n>.<host>, "/" and ":" in host written as \057
 * and \072.  The length, or -1 when it does not fit.
 */
int durable_unique(char *buf, size_t size, const char *host);
/* create dir/<unique> for reading and writing (O_EXCL, mode 0600): the fd, or -1;
 * its path in path */
int durable_create(char *path, size_t size, const char *dir,
		   const char *host);
/* fsync and close fd (closed whatever happens); 0 or -1 with errno */
int durable_close(int fd);
/*
 * Write prefix, then bytes [from, from + size) of fd (read with pread,
 * so fd's offset is untouched), to out; then durable_close(out).  0 or
 * -1; out is closed either way.
 */
int durable_copy(int out, const char *prefix, size_t prefixlen, int fd,
		 off_t from, off_t size);
/* write data to out, then durable_close(out); 0 or -1 */
int durable_write(int out, const void *data, size_t len);
/*
 * rename from to to, then fsync to's directory; 0 or -1 with errno.
 * After a failure, from is gone if the rename itself was done.
 */
int durable_rename(const char *from, const char *to);
/*
 * Replace dst whole with data: a new file in tmpdir (NULL: dst's own
 * directory, under a name starting with "."), written, fsync'd, renamed
 * over dst, dst's directory fsync'd.  Readers see the old or the new
 * contents, never a mix.  0 or -1 with errno; nothing is left in tmpdir.
 */
int durable_replace(const char *tmpdir, const char *dst, const void *data,
		    size_t len);
/*
 * The same with syncdir 0: the new file is fsync'd and renamed over dst,
 * but dst's directory is not fsync'd, for a caller that makes the rename
 * durable itself, or whose next step in that directory does (a relay
 * worker removes a delivered message's envelope and fsyncs env/ then;
 * after a crash before that, either contents are a right state).
 */
int durable_replace_as(const char *tmpdir, const char *dst, const void *data,
		       size_t len, int syncdir);
/* open a directory and fsync it; 0 or -1 with errno */
int fsync_dir(const char *path);
/* fsync the directory holding path (path's dirname) */
int fsync_parent(const char *path);

#endif
