/*
 * maildrop.c - see maildrop.h.  Relies on the Maildir conventions: a
 * message is one file, named <secs>.<unique>.<host>[:2,<flags>], written
 * to tmp/ and renamed into new/ by the deliverer; a reader moves it to
 * cur/ and may append the info after ":".  Only this file and the
 * deliverer's rename touch the Maildir, and only under the session's
 * lock (deliveries do not lock: they only ever add to new/).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "log.h"
#include "util.h"

#include "pop3/maildrop.h"
#include "store/maildir.h"

#define MAILDROP_READ_CHUNK 65536

/*
 * FNV-1a, 64 bits, from a given offset basis: two of them make the
 * 128-bit fallback UIDL for a name that cannot be its own UIDL.
 */
static uint64_t
fnv1a64(const char *s, size_t n, uint64_t h)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void
maildrop_uidl(const char *name, char *uidl, size_t size)
{
	size_t n = strcspn(name, ":"), i;
	int ok = n > 0 && n <= MAILDROP_UIDL_MAX && n < size;

	/* RFC 1939 §7: 1 to 70 characters in the range 0x21 to 0x7E */
	for (i = 0; ok && i < n; i++)
		if (name[i] < 0x21 || name[i] > 0x7e)
			ok = 0;
	if (ok) {
		memcpy(uidl, name, n);
		uidl[n] = '\0';
		return;
	}
	(void)snprintf(
	    uidl, size, "%016llx%016llx",
	    (unsigned long long)fnv1a64(name, n, 0xcbf29ce484222325ULL),
	    (unsigned long long)fnv1a64(name, n, 0x84222325cbf29ce4ULL));
}

/* up to 18 digits at *p as a number; advances *p; -1 if none */
static long long
parse_digits(const char **p)
{
	long long v = 0;
	int n = 0;

	while (**p >= '0' && **p <= '9' && n < 18) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n > 0 ? v : -1;
}

/*
 * Delivery order from the name: "<secs>.", then "M<usecs>" anywhere in
 * the second field (ours: M<usecs>P<pid>Q<n>; Courier and Dovecot:
 * V<dev>I<ino>M<usecs>...).  A name without leading seconds sorts by
 * its file's mtime.
 */
static void
order_keys(struct maildrop_msg *msg, time_t mtime)
{
	const char *p = msg->name, *end;

	msg->usecs = 0;
	if ((msg->secs = parse_digits(&p)) < 0 || *p != '.') {
		msg->secs = (long long)mtime;
		return;
	}
	p++;
	end = p + strcspn(p, ".:");
	for (; p < end; p++)
		if (*p == 'M' && p[1] >= '0' && p[1] <= '9') {
			p++;
			msg->usecs = parse_digits(&p);
			return;
		}
}

static int
order_cmp(const void *a, const void *b)
{
	const struct maildrop_msg *x = a, *y = b;

	if (x->secs != y->secs)
		return x->secs < y->secs ? -1 : 1;
	if (x->usecs != y->usecs)
		return x->usecs < y->usecs ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* 0 locked, 1 held by someone else, -1 error */
static int
maildrop_lock(struct maildrop *m)
{
	char path[PATH_MAX];
	struct flock fl;

	if (xsnprintf(path, sizeof(path), "%s/%s", m->dir, MAILDROP_LOCK_NAME) <
	    0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	m->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (m->lockfd < 0)
		return -1;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	/* a process's fcntl locks go when it exits, however it exits */
	if (fcntl(m->lockfd, F_SETLK, &fl) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		return 1;
	return -1;
}

/* move every message in new/ to cur/, with ":2," appended */
static int
maildrop_move_new(struct maildrop *m)
{
	char newdir[PATH_MAX], curdir[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int moved = 0, r = 0;
	DIR *dir;

	if (xsnprintf(newdir, sizeof(newdir), "%s/new", m->dir) < 0 ||
	    xsnprintf(curdir, sizeof(curdir), "%s/cur", m->dir) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((dir = opendir(newdir)) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		const char *info = strchr(de->d_name, ':') ? "" : ":2,";
		if (de->d_name[0] == '.')
			continue;
		if (xsnprintf(from, sizeof(from), "%s/%s", newdir, de->d_name) <
			0 ||
		    xsnprintf(to, sizeof(to), "%s/%s%s", curdir, de->d_name,
			      info) < 0) {
			log_warnx("maildrop: %s/%s: name too long", newdir,
				  de->d_name);
			continue;
		}
		if (lstat(from, &st) < 0 || !S_ISREG(st.st_mode))
			continue; /* only files are messages */
		/* never replace a message that is already in cur/ */
		if (lstat(to, &st) == 0) {
			log_warnx("maildrop: %s exists, leaving %s in new/", to,
				  de->d_name);
			continue;
		}
		if (rename(from, to) < 0) {
			log_warn("maildrop: rename %s", from);
			r = -1;
			continue;
		}
		moved++;
	}
	closedir(dir);
	/* the new names first, then the old ones gone */
	if (moved > 0 && (fsync_dir(curdir) < 0 || fsync_dir(newdir) < 0)) {
		log_warn("maildrop: fsync %s", m->dir);
		r = -1;
	}
	return r;
}

static int
maildrop_scan(struct maildrop *m)
{
	char curdir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	size_t cap = 0;
	DIR *dir;

	if (xsnprintf(curdir, sizeof(curdir), "%s/cur", m->dir) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((dir = opendir(curdir)) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		struct maildrop_msg *msg;
		if (de->d_name[0] == '.')
			continue;
		if (xsnprintf(path, sizeof(path), "%s/%s", curdir, de->d_name) <
			0 ||
		    lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (m->n >= MAILDROP_MSGS_MAX) {
			log_warnx("maildrop: %s: more than %d messages; the "
				  "rest in a later session",
				  m->dir, MAILDROP_MSGS_MAX);
			break;
		}
		if (m->n == cap) {
			cap = cap ? cap * 2 : 64;
			m->v = xreallocarray(m->v, cap, sizeof(*m->v));
		}
		msg = &m->v[m->n++];
		memset(msg, 0, sizeof(*msg));
		msg->name = xstrdup(de->d_name);
		msg->size = st.st_size;
		msg->octets = -1;
		order_keys(msg, st.st_mtime);
		maildrop_uidl(msg->name, msg->uidl, sizeof(msg->uidl));
	}
	closedir(dir);
	if (m->n > 0)
		qsort(m->v, m->n, sizeof(*m->v), order_cmp);
	return 0;
}

enum maildrop_status
maildrop_open(struct maildrop *m, const char *maildir, const char *skel)
{
	int r;

	memset(m, 0, sizeof(*m));
	m->lockfd = -1;
	if (strlcpy(m->dir, maildir, sizeof(m->dir)) >= sizeof(m->dir)) {
		log_warnx("maildrop: %s: path too long", maildir);
		return MAILDROP_ERROR;
	}
	if (maildir_create(maildir, skel) < 0) {
		log_warn("maildrop: create %s", maildir);
		return MAILDROP_ERROR;
	}
	if ((r = maildrop_lock(m)) != 0) {
		if (r < 0)
			log_warn("maildrop: lock %s", maildir);
		maildrop_close(m);
		return r > 0 ? MAILDROP_IN_USE : MAILDROP_ERROR;
	}
	/* a failed move leaves that message in new/ for the next session */
	(void)maildrop_move_new(m);
	if (maildrop_scan(m) < 0) {
		log_warn("maildrop: read %s/cur", maildir);
		maildrop_close(m);
		return MAILDROP_ERROR;
	}
	return MAILDROP_OK;
}

int
maildrop_msg_open(const struct maildrop *m, size_t i)
{
	char path[PATH_MAX];

	if (i >= m->n) {
		errno = ENOENT;
		return -1;
	}
	if (xsnprintf(path, sizeof(path), "%s/cur/%s", m->dir, m->v[i].name) <
	    0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

int
maildrop_octets(struct maildrop *m, size_t i, off_t *octets)
{
	char *buf;
	off_t size = 0, lfs = 0;
	ssize_t n;
	int fd;

	if (i < m->n && m->v[i].octets >= 0) {
		*octets = m->v[i].octets;
		return 0;
	}
	if ((fd = maildrop_msg_open(m, i)) < 0) {
		log_warn("maildrop: %s: message %zu", m->dir, i + 1);
		return -1;
	}
	buf = xmalloc(MAILDROP_READ_CHUNK);
	while ((n = read(fd, buf, MAILDROP_READ_CHUNK)) != 0) {
		const char *p = buf, *end;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		end = buf + n;
		while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			lfs++;
			p++;
		}
		size += n;
	}
	free(buf);
	close(fd);
	if (n < 0) {
		log_warn("maildrop: read %s/cur/%s", m->dir, m->v[i].name);
		return -1;
	}
	m->v[i].size = size;
	m->v[i].octets = size + lfs;
	*octets = m->v[i].octets;
	return 0;
}

int
maildrop_update(struct maildrop *m)
{
	char path[PATH_MAX];
	size_t i, removed = 0;
	int r = 0;

	for (i = 0; i < m->n; i++) {
		if (!m->v[i].deleted)
			continue;
		if (xsnprintf(path, sizeof(path), "%s/cur/%s", m->dir,
			      m->v[i].name) < 0) {
			r = -1;
			continue;
		}
		/* gone already (another reader removed it): as good as done */
		if (unlink(path) < 0 && errno != ENOENT) {
			log_warn("maildrop: unlink %s", path);
			r = -1;
			continue;
		}
		removed++;
	}
	if (removed > 0) {
		if (xsnprintf(path, sizeof(path), "%s/cur", m->dir) < 0 ||
		    fsync_dir(path) < 0) {
			log_warn("maildrop: fsync %s/cur", m->dir);
			r = -1;
		}
	}
	return r;
}

void
maildrop_close(struct maildrop *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	m->v = NULL;
	m->n = 0;
	if (m->lockfd >= 0)
		close(m->lockfd);
	m->lockfd = -1;
}
