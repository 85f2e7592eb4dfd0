/*
 * maildir.c - see maildir.h.  The durability chain is lib/durable.c's:
 * write, fsync, close (each checked), rename into new/, fsync new/.  A
 * failure at any step unlinks the copy, so new/ never shows a partial
 * message.  The caller makes sure the path comes from the accounts file
 * and the mailbox template, never from a client's address.  Before
 * writing, tmp/ is swept of what killed deliveries left (the Maildir
 * convention: files untouched for 36 hours), at most once per
 * MAILDIR_SWEEP_EVERY per Maildir, timed by tmp/'s access time, which
 * the sweep sets (as Dovecot does; no file of ours in the Maildir).
 * Whoever else reads tmp/ delays the next sweep.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "durable.h"
#include "log.h"
#include "util.h"

#include "store/maildir.h"

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
				r = durable_copy(out, NULL, 0, in, 0, st.st_size);
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

#define MAILDIR_TMP_MAX_AGE (36 * 3600)
#define MAILDIR_SWEEP_EVERY (8 * 3600)

/* remove regular files in tmpdir neither read nor written for 36 hours */
static void
maildir_sweep_tmp(const char *tmpdir)
{
	/* atime now, mtime as it is */
	const struct timespec swept[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
	time_t now = time(NULL), old = now - MAILDIR_TMP_MAX_AGE;
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int fd;

	if ((fd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	if (fstat(fd, &st) < 0 || (st.st_atime > now - MAILDIR_SWEEP_EVERY &&
				   st.st_atime <= now)) {
		close(fd);
		return;
	}
	/* first: deliveries at the same moment need not sweep too */
	(void)futimens(fd, swept);
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || st.st_mtime > old || st.st_atime > old)
			continue;
		if (unlinkat(dirfd(dir), de->d_name, 0) == 0)
			log_info("maildir: removed %s/%s, left by a delivery "
				 "%lld hours ago",
				 tmpdir, de->d_name,
				 (long long)(now - st.st_mtime) / 3600);
	}
	closedir(dir);
}

int
maildir_open(struct maildir_tx *tx, const char *maildir, const char *skel,
	     const char *host)
{
	char tmpdir[PATH_MAX];
	int fd;

	tx->state = 0;
	if (maildir_create(maildir, skel) < 0) {
		log_warn("maildir: create %s", maildir);
		return -1;
	}
	if (xsnprintf(tmpdir, sizeof(tmpdir), "%s/tmp", maildir) < 0 ||
	    xsnprintf(tx->newdir, sizeof(tx->newdir), "%s/new", maildir) < 0) {
		errno = ENAMETOOLONG;
		log_warn("maildir: %s", maildir);
		return -1;
	}
	maildir_sweep_tmp(tmpdir);
	if ((fd = durable_create(tx->tmp, sizeof(tx->tmp), tmpdir, host)) < 0) {
		log_warn("maildir: a new file in %s", tmpdir);
		return -1;
	}
	tx->state = 1;
	return fd;
}

int
maildir_written(struct maildir_tx *tx, off_t size)
{
	/* the Maildir++ size in the name, as Dovecot and Courier write it */
	if (xsnprintf(tx->new, sizeof(tx->new), "%s/%s,S=%lld", tx->newdir,
		      strrchr(tx->tmp, '/') + 1, (long long)size) < 0) {
		errno = ENAMETOOLONG;
		log_warn("maildir: %s", tx->newdir);
		return -1;
	}
	return 0;
}

int
maildir_prepare(struct maildir_tx *tx, const char *maildir, const char *skel,
		const char *host, const char *prefix, size_t prefixlen, int fd,
		off_t from, off_t size)
{
	int out, saved;

	if ((out = maildir_open(tx, maildir, skel, host)) < 0)
		return -1;
	if (maildir_written(tx, size + (off_t)prefixlen) < 0) {
		close(out);
		maildir_abort(tx);
		return -1;
	}
	if (durable_copy(out, prefix, prefixlen, fd, from, size) < 0) {
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
	if (durable_rename(tx->tmp, tx->new) < 0) {
		/* the rename may have been done before the fsync failed */
		if (access(tx->tmp, F_OK) < 0)
			tx->state = 2;
		log_warn("maildir: rename %s", tx->new);
		return -1;
	}
	tx->state = 2;
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
