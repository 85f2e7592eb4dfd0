/*
 * outbox.c - see outbox.h.  It relies on lib/durable for every write
 * that must survive a crash; the SMTP transaction is the caller's (the
 * same one a new message gets, send.c's send_session), passed in.  It never
 * sends a message twice on its own: an entry leaves new/ only after 250, and
 * one lock keeps two flushes apart.  (A connection lost after the final dot but
 * before the reply leaves the message waiting; the server may have it: SMTP's
 * own duplicate window, RFC 5321 section 6.1.)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "durable.h"
#include "util.h"

#include "cmdline.h"
#include "common.h"
#include "message.h"
#include "outbox.h"
#include "smtp.h"

#define OUTBOX_MAGIC "Mailc-Outbox: 1\n"
#define OUTBOX_SENDER "Mailc-Sender: "
#define OUTBOX_RCPT "Mailc-Recipient: "
/* an 8-bit message: where "8bit" and its text part are, past the
 * envelope (mime.h), so that a flush can still send it quoted-printable
 * to a server without 8BITMIME; -1 -1 -1 when mailc did not compose it */
#define OUTBOX_8BIT "Mailc-8bit: "
#define OUTBOX_TMP_AGE (36 * 3600) /* Maildir: stale tmp/ files */

static const char *const outbox_subdirs[] = {"tmp", "new", "cur", "failed"};

/* the outbox's path; with create, made (0700) with its subdirectories */
static int
outbox_dir(char *buf, size_t size, int create)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char sub[OUTBOX_PATH_MAX];
	struct passwd *pw;
	size_t i;
	int r;

	if ((home == NULL || *home != '/') && (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	/* XDG Base Directory: a relative value is to be ignored */
	if (state != NULL && *state == '/')
		r = xsnprintf(buf, size, "%s/mailc/outbox", state);
	else if (home != NULL && *home == '/')
		r = xsnprintf(buf, size, "%s/.local/state/mailc/outbox", home);
	else {
		mailc_warnx("outbox: no home directory (set HOME)");
		return -1;
	}
	if (r < 0) {
		mailc_warnx("outbox: path too long");
		return -1;
	}
	if (!create)
		return 0;
	if (mkdir_p(buf, 0700) < 0) {
		mailc_warn("outbox: %s", buf);
		return -1;
	}
	for (i = 0; i < nitems(outbox_subdirs); i++)
		if (xsnprintf(sub, sizeof(sub), "%s/%s", buf,
			      outbox_subdirs[i]) < 0 ||
		    (mkdir(sub, 0700) < 0 && errno != EEXIST)) {
			mailc_warn("outbox: %s", sub);
			return -1;
		}
	/* the directories themselves must outlast a crash, too */
	if (fsync_dir(buf) < 0 || fsync_parent(buf) < 0) {
		mailc_warn("outbox: fsync %s", buf);
		return -1;
	}
	return 0;
}

/* the envelope block, malloc'd; NULL after a message */
static char *
outbox_envelope(const struct msg *m, const char *from,
		const struct msg_addrs *rcpts, size_t *len)
{
	size_t i, size, n;
	char *buf;

	size = sizeof(OUTBOX_MAGIC) + sizeof(OUTBOX_SENDER) + strlen(from) + 4 +
	       sizeof(OUTBOX_8BIT) + 3 * 24;
	for (i = 0; i < rcpts->n; i++)
		size += sizeof(OUTBOX_RCPT) + strlen(rcpts->v[i]) + 3;
	buf = xmalloc(size);
	n = (size_t)snprintf(buf, size, "%s%s<%s>\n", OUTBOX_MAGIC,
			     OUTBOX_SENDER, from);
	for (i = 0; i < rcpts->n; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s<%s>\n",
				      OUTBOX_RCPT, rcpts->v[i]);
	if (m->eightbit)
		n += (size_t)snprintf(buf + n, size - n, "%s%lld %lld %lld\n",
				      OUTBOX_8BIT, m->cte_off, m->text_off,
				      m->text_len);
	n += (size_t)snprintf(buf + n, size - n, "\n");
	*len = n;
	return buf;
}

int
outbox_store(struct msg *m, const char *from, const struct msg_addrs *rcpts,
	     char *path, size_t size)
{
	char dir[OUTBOX_PATH_MAX], tmp[OUTBOX_PATH_MAX], sub[OUTBOX_PATH_MAX];
	char *env;
	struct stat st;
	size_t envlen;
	int fd, r;

	if (outbox_dir(dir, sizeof(dir), 1) < 0)
		return -1;
	if (fstat(msg_fd(m), &st) < 0) {
		mailc_warn("outbox: the message");
		return -1;
	}
	if (xsnprintf(sub, sizeof(sub), "%s/tmp", dir) < 0 ||
	    (fd = durable_create(tmp, sizeof(tmp), sub, mailc_hostname())) <
		0) {
		mailc_warn("outbox: creating a file in %s/tmp", dir);
		return -1;
	}
	env = outbox_envelope(m, from, rcpts, &envlen);
	r = durable_copy(fd, env, envlen, msg_fd(m), 0, st.st_size);
	free(env);
	if (r == 0 && xsnprintf(path, size, "%s/new/%s", dir,
				strrchr(tmp, '/') + 1) < 0) {
		errno = ENAMETOOLONG;
		r = -1;
	}
	if (r < 0 || durable_rename(tmp, path) < 0) {
		mailc_warn("outbox: writing %s", tmp);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* "<addr>\n" after prefix into out (the brackets gone); 0 or -1 */
static int
outbox_field(const char *line, const char *prefix, char *out, size_t size)
{
	size_t plen = strlen(prefix), n;

	if (strncmp(line, prefix, plen) != 0)
		return -1;
	line += plen;
	n = strlen(line);
	if (n < 3 || line[0] != '<' || line[n - 2] != '>' ||
	    line[n - 1] != '\n' || n - 3 >= size)
		return -1;
	memcpy(out, line + 1, n - 3);
	out[n - 3] = '\0';
	return 0;
}

/*
 * Send the entry at path: its envelope read, the rest streamed.  The
 * status; *out what became of it (SEND_REFUSED for a damaged entry).
 */
static int
outbox_send(const struct cmdline *o, const char *pass, const char *path,
	    outbox_send_fn *send, enum send_outcome *out)
{
	char line[ADDR_MAX + 64], from[ADDR_MAX + 1], rcpt[ADDR_MAX + 1];
	struct msg_addrs rcpts;
	struct msg m;
	size_t len;
	off_t off;
	int got, status, ch;

	memset(&rcpts, 0, sizeof(rcpts));
	memset(&m, 0, sizeof(m));
	*out = SEND_FAILED;
	if ((m.spool = fopen(path, "re")) == NULL) {
		mailc_warn("outbox: %s", path);
		return EX_IOERR;
	}
	*out = SEND_REFUSED;
	status = EX_DATAERR;
	if (file_read_line(m.spool, line, sizeof(line), &len) != 1 ||
	    strcmp(line, OUTBOX_MAGIC) != 0 ||
	    file_read_line(m.spool, line, sizeof(line), &len) != 1 ||
	    outbox_field(line, OUTBOX_SENDER, from, sizeof(from)) < 0)
		goto bad;
	m.cte_off = -1;
	while ((got = file_read_line(m.spool, line, sizeof(line), &len)) == 1 &&
	       strcmp(line, "\n") != 0) {
		if (strncmp(line, OUTBOX_8BIT, strlen(OUTBOX_8BIT)) == 0) {
			if (sscanf(line + strlen(OUTBOX_8BIT), "%lld %lld %lld",
				   &m.cte_off, &m.text_off, &m.text_len) != 3)
				goto bad;
			m.eightbit = 1;
			continue;
		}
		if (outbox_field(line, OUTBOX_RCPT, rcpt, sizeof(rcpt)) < 0 ||
		    msg_addrs_add(&rcpts, rcpt) < 0)
			goto bad;
	}
	if (got != 1 || rcpts.n == 0 || (off = ftello(m.spool)) < 0)
		goto bad;
	/* the message's offsets were its spool's: now past the envelope */
	m.start = off;
	if (m.cte_off >= 0) {
		if (m.text_off < m.cte_off + 5 || m.text_len < 0)
			goto bad;
		m.cte_off += off;
		m.text_off += off;
	}
	/* what msg_wire_size() needs: octets and lines of the message */
	while ((ch = getc(m.spool)) != EOF) {
		m.size++;
		m.lines += ch == '\n';
	}
	if (ferror(m.spool) || lseek(msg_fd(&m), off, SEEK_SET) < 0) {
		mailc_warn("outbox: reading %s", path);
		*out = SEND_FAILED;
		status = EX_IOERR;
		goto done;
	}
	status = send(o, from, &rcpts, &m, pass, out);
	goto done;
bad:
	mailc_warnx("outbox: %s: not an outbox entry", path);
done:
	msg_free(&m);
	msg_addrs_free(&rcpts);
	return status;
}

struct outbox_entry {
	long long sec;
	long usec;
	char *name;
};

static int
outbox_entry_cmp(const void *a, const void *b)
{
	const struct outbox_entry *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	if (x->usec != y->usec)
		return x->usec < y->usec ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* the entries of dir/new, oldest first (the time in their names); n */
static size_t
outbox_list(const char *dir, struct outbox_entry **list)
{
	struct outbox_entry *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	char *end;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		if (errno != ENOENT)
			mailc_warn("outbox: %s", dir);
		*list = NULL;
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap)
			v = xreallocarray(v, cap = cap ? cap * 2 : 16,
					  sizeof(*v));
		v[n].name = xstrdup(de->d_name);
		v[n].sec = strtoll(de->d_name, &end, 10);
		v[n].usec = *end == '.' && end[1] == 'M'
				? strtol(end + 2, NULL, 10)
				: 0;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), outbox_entry_cmp);
	*list = v;
	return n;
}

static void
outbox_list_free(struct outbox_entry *v, size_t n)
{
	while (n > 0)
		free(v[--n].name);
	free(v);
}

/* tmp/ files a crash left behind, as Maildir readers clean them */
static void
outbox_clean_tmp(const char *dir)
{
	char path[OUTBOX_PATH_MAX];
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	DIR *d;

	if (xsnprintf(path, sizeof(path), "%s/tmp", dir) < 0 ||
	    (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' &&
		    xsnprintf(path, sizeof(path), "%s/tmp/%s", dir,
			      de->d_name) >= 0 &&
		    lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    now - st.st_mtime > OUTBOX_TMP_AGE)
			unlink(path);
	closedir(d);
}

/* the lock on dir/.lock: the fd, -1 when another holds it, -2 failed */
static int
outbox_lock(const char *dir, int wait)
{
	char path[OUTBOX_PATH_MAX];
	struct flock fl;
	int fd;

	if (xsnprintf(path, sizeof(path), "%s/.lock", dir) < 0 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		mailc_warn("outbox: %s/.lock", dir);
		return -2;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	while (fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl) < 0) {
		if (errno == EINTR)
			continue;
		close(fd);
		if (errno == EACCES || errno == EAGAIN)
			return -1;
		mailc_warn("outbox: locking %s/.lock", dir);
		return -2;
	}
	return fd;
}

/* what becomes of the entry name after out; 0, or -1 to stop */
static int
outbox_settle(const char *dir, const char *name, enum send_outcome out)
{
	char path[OUTBOX_PATH_MAX], to[OUTBOX_PATH_MAX];

	if (xsnprintf(path, sizeof(path), "%s/new/%s", dir, name) < 0 ||
	    xsnprintf(to, sizeof(to), "%s/failed/%s", dir, name) < 0)
		return -1;
	switch (out) {
	case SEND_SENT:
		/* sent: gone from new/ for good, or it would go again */
		if (unlink(path) < 0 || fsync_parent(path) < 0) {
			mailc_warn("outbox: SENT, but removing %s", path);
			return -1;
		}
		return 0;
	case SEND_REFUSED:
		if (durable_rename(path, to) < 0) {
			mailc_warn("outbox: moving %s to %s/failed", path, dir);
			return -1;
		}
		mailc_warnx("outbox: message refused, moved to %s", to);
		return 0;
	case SEND_DEFER_MESSAGE:
		return 0;
	default:
		return -1;
	}
}

int
outbox_flush(const struct cmdline *o, const char *pass, int wait,
	     outbox_send_fn *send)
{
	char dir[OUTBOX_PATH_MAX], path[OUTBOX_PATH_MAX];
	struct outbox_entry *v;
	size_t n, i, sent = 0, refused = 0, waiting = 0;
	enum send_outcome out;
	int lock;

	if (outbox_dir(dir, sizeof(dir), 0) < 0 ||
	    xsnprintf(path, sizeof(path), "%s/new", dir) < 0)
		return EX_TEMPFAIL;
	if (access(path, F_OK) < 0)
		return 0; /* never made: nothing ever waited */
	if ((lock = outbox_lock(dir, wait)) < 0)
		return lock == -1 ? 0 : EX_TEMPFAIL;
	outbox_clean_tmp(dir);
	n = outbox_list(path, &v);
	for (i = 0; i < n; i++) {
		if (xsnprintf(path, sizeof(path), "%s/new/%s", dir, v[i].name) <
		    0)
			continue;
		(void)outbox_send(o, pass, path, send, &out);
		if (outbox_settle(dir, v[i].name, out) < 0) {
			waiting += n - i;
			break;
		}
		sent += out == SEND_SENT;
		refused += out == SEND_REFUSED;
		waiting += out == SEND_DEFER_MESSAGE;
	}
	outbox_list_free(v, n);
	close(lock); /* the lock goes with it */
	if (o->trace != NULL && sent > 0)
		mailc_warnx("outbox: %zu message%s sent", sent,
			    sent == 1 ? "" : "s");
	if (waiting > 0)
		mailc_warnx("outbox: %zu message%s still waiting in %s/new",
			    waiting, waiting == 1 ? "" : "s", dir);
	return waiting ? EX_TEMPFAIL : refused ? EX_UNAVAILABLE : 0;
}

int
outbox_waiting(void)
{
	char dir[OUTBOX_PATH_MAX], path[OUTBOX_PATH_MAX];
	struct outbox_entry *v;
	size_t n;

	if (outbox_dir(dir, sizeof(dir), 0) < 0 ||
	    xsnprintf(path, sizeof(path), "%s/new", dir) < 0)
		return 1; /* let the flush say what is wrong */
	n = outbox_list(path, &v);
	outbox_list_free(v, n);
	return n > 0;
}
