/*
 * maildir.c - see maildir.h.  The durability chain is: write, fsync,
 * close (each checked), rename into new/, fsync new/.  A failure at any
 * step unlinks the copy, so new/ never shows a partial message.  The
 * caller makes sure the path comes from the accounts file and the
 * mailbox template, never from a client's address.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"
#include "maildir.h"
#include "util.h"

static unsigned long maildir_seq;

int
maildir_unique(char *buf, size_t size, const char *host)
{
	char h[256];
	size_t n = 0;
	struct timeval tv;
	const char *p;

	/* "/" and ":" cannot appear in a Maildir name (Maildir convention) */
	for (p = host; *p && n + 5 < sizeof(h); p++) {
		if (*p == '/' || *p == ':') {
			n += (size_t)snprintf(h + n, sizeof(h) - n, "\\%03o",
					      (unsigned char)*p);
		} else
			h[n++] = *p;
	}
	h[n] = '\0';
	gettimeofday(&tv, NULL);
	return xsnprintf(buf, size, "%lld.M%ldP%ldQ%lu.%s", (long long)tv.tv_sec,
			 (long)tv.tv_usec, (long)getpid(), ++maildir_seq, h);
}

static int
copy_tree(const char *from, const char *to)
{
	char s[PATH_MAX], d[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int r = 0;

	if (mkdir(to, 0700) < 0 && errno != EEXIST)
		return -1;
	if ((dir = opendir(from)) == NULL)
		return -1;
	while (r == 0 && (de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, ".keep") == 0)
			continue;
		if (xsnprintf(s, sizeof(s), "%s/%s", from, de->d_name) < 0 ||
		    xsnprintf(d, sizeof(d), "%s/%s", to, de->d_name) < 0 ||
		    lstat(s, &st) < 0) {
			r = -1;
			break;
		}
		if (S_ISDIR(st.st_mode))
			r = copy_tree(s, d);
		else if (S_ISREG(st.st_mode)) {
			int in = open(s, O_RDONLY | O_CLOEXEC), out;
			if (in < 0) {
				r = -1;
				break;
			}
			out = open(d, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
			if (out < 0)
				r = errno == EEXIST ? 0 : -1;
			else
				r = copy_fd_sync(out, NULL, 0, in, st.st_size);
			close(in);
		}
	}
	closedir(dir);
	return r;
}

int
maildir_create(const char *maildir, const char *skel)
{
	char sub[PATH_MAX];
	struct stat st;
	static const char *subs[] = {"cur", "new", "tmp"};
	size_t i;

	if (xsnprintf(sub, sizeof(sub), "%s/tmp", maildir) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (stat(sub, &st) == 0)
		return 0;
	{
		/* the parent (the domain's directory) may be missing too */
		char parent[PATH_MAX];
		char *slash;
		strlcpy(parent, maildir, sizeof(parent));
		if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
			*slash = '\0';
			if (mkdir_p(parent, 0755) < 0)
				return -1;
		}
	}
	if (copy_tree(skel, maildir) < 0) {
		log_warn("maildir: copy %s to %s", skel, maildir);
		/* fall through: make sure the three directories exist */
	}
	for (i = 0; i < nitems(subs); i++) {
		if (xsnprintf(sub, sizeof(sub), "%s/%s", maildir, subs[i]) < 0)
			return -1;
		if (mkdir(sub, 0700) < 0 && errno != EEXIST)
			return -1;
	}
	if (fsync_dir(maildir) < 0 || fsync_parent(maildir) < 0)
		return -1;
	return 0;
}

int
copy_fd_sync(int out, const char *prefix, size_t prefixlen, int fd, off_t size)
{
	char buf[65536];
	off_t off = 0;
	int r = 0;

	if (prefixlen > 0 && write_all(out, prefix, prefixlen) < 0)
		r = -1;
	while (r == 0 && off < size) {
		size_t want = (size_t)(size - off) < sizeof(buf)
				  ? (size_t)(size - off)
				  : sizeof(buf);
		ssize_t n = pread(fd, buf, want, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO; /* the spool is shorter than said */
			r = -1;
			break;
		}
		if (write_all(out, buf, (size_t)n) < 0)
			r = -1;
		off += n;
	}
	/* every step checked, as OpenSMTPD's Maildir writer does */
	if (r == 0 && fsync(out) < 0)
		r = -1;
	if (close(out) < 0)
		r = -1;
	return r;
}

int
maildir_prepare(struct maildir_tx *tx, const char *maildir, const char *skel,
		const char *host, const char *prefix, size_t prefixlen,
		int spoolfd, off_t spoolsize)
{
	char base[256];
	int fd, saved;

	tx->state = 0;
	if (maildir_create(maildir, skel) < 0) {
		log_warn("maildir: create %s", maildir);
		return -1;
	}
	if (maildir_unique(base, sizeof(base), host) < 0 ||
	    xsnprintf(tx->tmp, sizeof(tx->tmp), "%s/tmp/%s", maildir, base) < 0 ||
	    xsnprintf(tx->new, sizeof(tx->new), "%s/new/%s,S=%lld", maildir,
		      base, (long long)(spoolsize + (off_t)prefixlen)) < 0 ||
	    xsnprintf(tx->newdir, sizeof(tx->newdir), "%s/new", maildir) < 0) {
		errno = ENAMETOOLONG;
		log_warn("maildir: %s", maildir);
		return -1;
	}
	fd = open(tx->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("maildir: %s", tx->tmp);
		return -1;
	}
	tx->state = 1;
	if (copy_fd_sync(fd, prefix, prefixlen, spoolfd, spoolsize) < 0) {
		saved = errno;
		log_warn("maildir: write %s", tx->tmp);
		maildir_abort(tx);
		errno = saved;
		return -1;
	}
	return 0;
}

int
maildir_commit(struct maildir_tx *tx)
{
	if (tx->state != 1)
		return -1;
	if (rename(tx->tmp, tx->new) < 0) {
		log_warn("maildir: rename %s", tx->new);
		return -1;
	}
	tx->state = 2;
	if (fsync_dir(tx->newdir) < 0) {
		log_warn("maildir: fsync %s", tx->newdir);
		return -1;
	}
	return 0;
}

void
maildir_abort(struct maildir_tx *tx)
{
	if (tx->state == 1)
		(void)unlink(tx->tmp);
	else if (tx->state == 2)
		(void)unlink(tx->new);
	tx->state = 0;
}
