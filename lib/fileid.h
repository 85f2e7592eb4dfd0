/*
 * fileid.h - noticing that a file read earlier has changed, and reading
 * one whole, for the tables smtpd re-reads while it runs (the accounts
 * file, the aliases file).  A file is the same when its device, inode,
 * size, mtime and ctime all are (ctime: a chmod may make it readable).
 * Nothing here parses; it logs only what file_bad_line and
 * file_bad_refused are asked to.
 */
#ifndef FILEID_H
#define FILEID_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size; /* -1: no file has it (changed or not, re-read it) */
	struct timespec mtime;
	struct timespec ctime;
};

void file_id_set(struct file_id *id, const struct stat *st);
int file_id_same(const struct file_id *id, const struct stat *st);
/*
 * The whole file at fd (read with pread: the offset of a descriptor
 * forked children share never moves), NUL-terminated, its length in
 * *len; NULL with errno set on a read error or a file over max bytes
 * (EFBIG).  Every buffer it lets go of is wiped first (it may hold
 * password hashes); the caller wipes and frees the result.
 */
char *file_read_whole(int fd, size_t max, size_t *len);

/* the malformed lines of a table file, the first one kept to be named
 * when a reload is refused */
struct file_bad_lines {
	int count;
	int first_line;
	char first_why[200];
};

/* log "path:line: why" (log_warnx) and count it in b */
void file_bad_line(struct file_bad_lines *b, const char *path, int line,
		   const char *why);
/* log that a reload of path with b's bad lines keeps the previous
 * kept things (n of them: "accounts", "aliases") */
void file_bad_refused(const struct file_bad_lines *b, const char *path,
		      size_t n, const char *kept);

#endif
