/*
 * fileid.c - see fileid.h.  Relies on util.c (xmalloc, wipe) and
 * log.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileid.h"
#include "log.h"
#include "util.h"

void
file_id_set(struct file_id *id, const struct stat *st)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
	id->ctime = st->st_ctim;
}

int
file_id_same(const struct file_id *id, const struct stat *st)
{
	return st->st_dev == id->dev && st->st_ino == id->ino &&
	       st->st_size == id->size &&
	       st->st_mtim.tv_sec == id->mtime.tv_sec &&
	       st->st_mtim.tv_nsec == id->mtime.tv_nsec &&
	       st->st_ctim.tv_sec == id->ctime.tv_sec &&
	       st->st_ctim.tv_nsec == id->ctime.tv_nsec;
}

char *
file_read_whole(int fd, size_t max, size_t *len)
{
	size_t cap = 8192, n = 0;
	char *buf = xmalloc(cap + 1);
	ssize_t got;

	for (;;) {
		if (n == cap) {
			char *nbuf;
			if (cap >= max) {
				errno = EFBIG;
				break;
			}
			nbuf = xmalloc(cap * 2 + 1);
			memcpy(nbuf, buf, n);
			wipe(buf, n);
			free(buf);
			buf = nbuf;
			cap *= 2;
		}
		got = pread(fd, buf + n, cap - n, (off_t)n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got == 0) {
				buf[n] = '\0';
				*len = n;
				return buf;
			}
			break;
		}
		n += (size_t)got;
	}
	wipe(buf, n);
	free(buf);
	return NULL;
}

void
file_bad_line(struct file_bad_lines *b, const char *path, int line,
	      const char *why)
{
	log_warnx("%s:%d: %s", path, line, why);
	if (b->count++ == 0) {
		b->first_line = line;
		strlcpy(b->first_why, why, sizeof(b->first_why));
	}
}

void
file_bad_refused(const struct file_bad_lines *b, const char *path, size_t n,
		 const char *kept)
{
	log_warnx("%s: %d malformed line%s: keeping the previous %zu %s "
		  "(%sline %d: %s)",
		  path, b->count, b->count == 1 ? "" : "s", n, kept,
		  b->count == 1 ? "" : "the first: ", b->first_line,
		  b->first_why);
}
