/*
 * durable.c - see durable.h.  Every call is checked and errno is kept
 * from the step that failed, so the caller's log line says why.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "durable.h"
#include "util.h"

#define DURABLE_BUF 65536

static unsigned long durable_seq;

int
durable_unique(char *buf, size_t size, const char *host)
{
	char h[256];
	size_t n = 0;
	struct timeval tv;
	const char *p;

	/* "/" and ":" cannot appear in a Maildir name (Maildir convention) */
	for (p = host; *p && n + 5 < sizeof(h); p++) {
		if (*p == '/' || *p == ':')
			n += (size_t)snprintf(h + n, sizeof(h) - n, "\\%03o",
					      (unsigned char)*p);
		else
			h[n++] = *p;
	}
	h[n] = '\0';
	gettimeofday(&tv, NULL);
	return xsnprintf(buf, size, "%lld.M%ldP%ldQ%lu.%s",
			 (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
			 ++durable_seq, h);
}

/* dir/<prefix><unique>, created for writing; the fd or -1 */
static int
durable_open(char *path, size_t size, const char *dir, const char *prefix,
	     const char *host)
{
	char base[300];

	if (durable_unique(base, sizeof(base), host) < 0 ||
	    xsnprintf(path, size, "%s/%s%s", dir, prefix, base) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
}

int
durable_create(char *path, size_t size, const char *dir, const char *host)
{
	return durable_open(path, size, dir, "", host);
}

int
durable_close(int fd)
{
	int r = fsync(fd), saved = errno;

	if (close(fd) < 0 && r == 0)
		return -1;
	errno = saved;
	return r;
}

int
durable_copy(int out, const char *prefix, size_t prefixlen, int fd,
	     off_t from, off_t size)
{
	char buf[DURABLE_BUF];
	off_t off = 0;
	int saved;

	if (prefixlen > 0 && write_all(out, prefix, prefixlen) < 0)
		goto fail;
	while (off < size) {
		size_t want = (size_t)(size - off) < sizeof(buf)
				  ? (size_t)(size - off)
				  : sizeof(buf);
		ssize_t n = pread(fd, buf, want, from + off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO; /* shorter than the caller said */
			goto fail;
		}
		if (write_all(out, buf, (size_t)n) < 0)
			goto fail;
		off += n;
	}
	return durable_close(out);
fail:
	saved = errno;
	close(out);
	errno = saved;
	return -1;
}

int
durable_write(int out, const void *data, size_t len)
{
	return durable_copy(out, data, len, -1, 0, 0);
}

int
durable_rename(const char *from, const char *to)
{
	if (rename(from, to) < 0)
		return -1;
	return fsync_parent(to);
}

int
durable_replace(const char *tmpdir, const char *dst, const void *data,
		size_t len)
{
	return durable_replace_as(tmpdir, dst, data, len, 1);
}

int
durable_replace_as(const char *tmpdir, const char *dst, const void *data,
		   size_t len, int syncdir)
{
	char dir[PATH_MAX], tmp[PATH_MAX], *slash;
	int fd, saved;

	if (tmpdir != NULL)
		fd = durable_open(tmp, sizeof(tmp), tmpdir, "", "tmp");
	else {
		/* dst's own directory, the file hidden by a leading "." */
		if (strlcpy(dir, dst, sizeof(dir)) >= sizeof(dir)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if ((slash = strrchr(dir, '/')) == NULL)
			strlcpy(dir, ".", sizeof(dir));
		else
			*slash = '\0';
		fd = durable_open(tmp, sizeof(tmp), dir, ".", "tmp");
	}
	if (fd < 0)
		return -1;
	if (durable_write(fd, data, len) < 0 ||
	    (syncdir ? durable_rename(tmp, dst) : rename(tmp, dst)) < 0) {
		saved = errno;
		goto fail;
	}
	return 0;
fail:
	(void)unlink(tmp);
	errno = saved;
	return -1;
}

int
fsync_dir(const char *path)
{
	int fd, r, saved;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	r = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

int
fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((slash = strrchr(dir, '/')) == NULL)
		return fsync_dir(".");
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return fsync_dir(dir);
}
