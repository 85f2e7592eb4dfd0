/*
 * fetch.c - mailc fetch DIR [-d]: download every message into the local
 * Maildir DIR (created, with cur/ new/ tmp/, if missing).  The command
 * line and the session are reader.c's, the protocol pop3c.c's, every
 * durable write lib/durable's.
 *
 * Each message is written as a deliverer writes it: to tmp/ under a
 * unique name (durable_create), fsync, close, rename into new/ (named
 * <secs>.M<usecs>P<pid>Q<n>.<host>,S=<size>), fsync new/.  Only then is
 * its UIDL added to the state file DIR/.mailc-uidl (one UIDL a line,
 * rewritten whole by durable_replace), and only then, with -d, is it
 * deleted on the server, so a crash at any point can duplicate a message
 * but never lose one.  A message whose UIDL is in the state is not
 * fetched again.  The state keeps only the UIDLs the server still lists,
 * so it does not grow without bound; it belongs to one account (fetch
 * each account into its own DIR).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "util.h"

#include "common.h"
#include "fetch.h"
#include "pop3c.h"
#include "reader.h"

#define FETCH_STATE ".mailc-uidl"
#define FETCH_UIDL_MAX 70 /* RFC 1939 §7 */
#define FETCH_MSGS_MAX 100000
#define FETCH_WBUF 65536

struct uidl {
	char s[FETCH_UIDL_MAX + 1];
};

struct fetch_msg {
	unsigned long num;
	struct uidl uidl;
	int have; /* safe in DIR */
};

struct fetch {
	const struct reader_opts *o;
	struct pop3c c;
	struct uidl *known; /* the state file, sorted */
	size_t nknown;
	struct fetch_msg *v; /* the server's listing */
	size_t n;
};

static int
uidl_cmp(const void *a, const void *b)
{
	return strcmp(((const struct uidl *)a)->s, ((const struct uidl *)b)->s);
}

/* 1 to 70 characters from 0x21 to 0x7E */
static int
uidl_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > FETCH_UIDL_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

static int
fetch_path(char *buf, size_t size, const char *dir, const char *name)
{
	if (xsnprintf(buf, size, "%s/%s", dir, name) < 0) {
		mailc_warnx("%s/%s: path too long", dir, name);
		return -1;
	}
	return 0;
}

/* DIR and its cur/ new/ tmp/, durably; 0 or an exit status */
static int
fetch_maildir(const char *dir)
{
	static const char *subs[] = {"cur", "new", "tmp"};
	char path[PATH_MAX];
	size_t i;

	if (mkdir_p(dir, 0700) < 0) {
		mailc_warn("%s", dir);
		return EX_CANTCREAT;
	}
	for (i = 0; i < nitems(subs); i++) {
		if (fetch_path(path, sizeof(path), dir, subs[i]) < 0)
			return EX_CANTCREAT;
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			mailc_warn("%s", path);
			return EX_CANTCREAT;
		}
	}
	if (fsync_dir(dir) < 0 || fsync_parent(dir) < 0) {
		mailc_warn("fsync %s", dir);
		return EX_IOERR;
	}
	return 0;
}

/* read DIR/.mailc-uidl; 0 or an exit status */
static int
fetch_load_state(struct fetch *f)
{
	char path[PATH_MAX], line[FETCH_UIDL_MAX + 3];
	size_t cap = 0, len;
	int partial = 0;
	FILE *fp;

	if (fetch_path(path, sizeof(path), f->o->arg, FETCH_STATE) < 0)
		return EX_USAGE;
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		mailc_warn("%s", path);
		return EX_IOERR;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		len = strlen(line);
		/* only whole lines count; a longer one is no UIDL of ours */
		if (len == 0 || line[len - 1] != '\n') {
			partial = 1;
			continue;
		}
		if (partial || !uidl_valid(line, len - 1)) {
			partial = 0;
			continue;
		}
		if (f->nknown == cap) {
			cap = cap ? cap * 2 : 64;
			f->known =
			    xreallocarray(f->known, cap, sizeof(*f->known));
		}
		memcpy(f->known[f->nknown].s, line, len - 1);
		f->known[f->nknown++].s[len - 1] = '\0';
	}
	if (ferror(fp)) {
		mailc_warn("%s", path);
		fclose(fp);
		return EX_IOERR;
	}
	fclose(fp);
	if (f->nknown > 0)
		qsort(f->known, f->nknown, sizeof(*f->known), uidl_cmp);
	return 0;
}

/* rewrite the state whole: the UIDLs of the listing that are safe in DIR */
static int
fetch_save_state(struct fetch *f)
{
	char path[PATH_MAX], *text;
	size_t i, n, len = 0;
	int r;

	if (fetch_path(path, sizeof(path), f->o->arg, FETCH_STATE) < 0)
		return EX_IOERR;
	/* at most FETCH_MSGS_MAX lines of a UIDL and an LF */
	text = xmalloc(f->n * (FETCH_UIDL_MAX + 1) + 1);
	for (i = 0; i < f->n; i++) {
		if (!f->v[i].have)
			continue;
		n = strlen(f->v[i].uidl.s);
		memcpy(text + len, f->v[i].uidl.s, n);
		text[len + n] = '\n';
		len += n + 1;
	}
	r = durable_replace(NULL, path, text, len);
	free(text);
	if (r < 0) {
		mailc_warn("%s", path);
		return EX_IOERR;
	}
	return 0;
}

/* UIDL: the listing, each marked if the state has it; 0 or a status */
static int
fetch_listing(struct fetch *f)
{
	char line[256], *end;
	size_t len, cap = 0;
	enum pop3c_piece p;

	if (pop3c_cmd(&f->c, "UIDL") != 1)
		return pop3c_fail(&f->c, "UIDL");
	while ((p = pop3c_read(&f->c, line, sizeof(line), &len)) ==
	       POP3C_DATA) {
		struct fetch_msg m;
		char *uid;
		memset(&m, 0, sizeof(m));
		m.num = strtoul(line, &end, 10);
		uid = end + 1;
		if (len == 0 || line[len - 1] != '\n' || end == line ||
		    *end != ' ' ||
		    !uidl_valid(uid, len - 1 - (size_t)(uid - line))) {
			mailc_warnx("UIDL: a malformed line: %.80s", line);
			pop3c_skip(&f->c);
			return EX_UNAVAILABLE;
		}
		memcpy(m.uidl.s, uid, len - 1 - (size_t)(uid - line));
		m.have = f->nknown > 0 &&
			 bsearch(&m.uidl, f->known, f->nknown,
				 sizeof(*f->known), uidl_cmp) != NULL;
		if (f->n >= FETCH_MSGS_MAX)
			continue;
		if (f->n == cap) {
			cap = cap ? cap * 2 : 64;
			f->v = xreallocarray(f->v, cap, sizeof(*f->v));
		}
		f->v[f->n++] = m;
	}
	return p == POP3C_END ? 0 : pop3c_fail(&f->c, "UIDL");
}

/*
 * RETR message i into fd; 0, or an exit status.  A local write error is
 * remembered and the response read to its end, so the session stays in
 * step; the caller removes the file.
 */
static int
fetch_retr(struct fetch *f, size_t i, int fd, long long *size)
{
	char piece[POP3C_CHUNK_MAX], what[64];
	char *wbuf = xmalloc(FETCH_WBUF);
	size_t len, wlen = 0;
	enum pop3c_piece p;
	int werr = 0;

	snprintf(what, sizeof(what), "RETR %lu", f->v[i].num);
	if (pop3c_cmd(&f->c, "%s", what) != 1) {
		free(wbuf);
		return pop3c_fail(&f->c, what);
	}
	*size = 0;
	while ((p = pop3c_read(&f->c, piece, sizeof(piece), &len)) ==
	       POP3C_DATA) {
		if (wlen + len > FETCH_WBUF) {
			werr |= write_all(fd, wbuf, wlen) < 0;
			wlen = 0;
		}
		memcpy(wbuf + wlen, piece, len);
		wlen += len;
		*size += (long long)len;
	}
	werr |= write_all(fd, wbuf, wlen) < 0;
	free(wbuf);
	if (p != POP3C_END)
		return pop3c_fail(&f->c, what);
	return werr ? EX_IOERR : 0;
}

/*
 * message i into DIR/new, durably; 0 or an exit status.  The file is
 * created in tmp/ under a unique name, the same name with ",S=<size>"
 * added is its name in new/ (the Maildir convention).
 */
static int
fetch_store(struct fetch *f, size_t i)
{
	const char *dir = f->o->arg;
	char tmpdir[PATH_MAX], tmp[PATH_MAX], new[PATH_MAX];
	long long size = 0;
	int fd, status;

	if (xsnprintf(tmpdir, sizeof(tmpdir), "%s/tmp", dir) < 0) {
		mailc_warnx("%s: path too long", dir);
		return EX_CANTCREAT;
	}
	fd = durable_create(tmp, sizeof(tmp), tmpdir, mailc_hostname());
	if (fd < 0) {
		/* a name too long for our buffers or for the system */
		if (errno == ENAMETOOLONG)
			mailc_warnx("%s: path too long", dir);
		else
			mailc_warn("%s", tmp);
		return EX_CANTCREAT;
	}
	status = fetch_retr(f, i, fd, &size);
	if (status != 0)
		close(fd);
	else if (durable_close(fd) < 0 ||
		 xsnprintf(new, sizeof(new), "%s/new/%s,S=%lld", dir,
			   strrchr(tmp, '/') + 1, size) < 0 ||
		 durable_rename(tmp, new) < 0)
		status = EX_IOERR;
	if (status == EX_IOERR)
		mailc_warn("writing %s", tmp);
	if (status != 0)
		(void)unlink(tmp);
	return status;
}

static int
fetch_session(struct fetch *f)
{
	size_t i, fetched = 0, already = 0, deleted = 0;
	int status;

	if ((status = fetch_listing(f)) != 0)
		return status;
	for (i = 0; i < f->n; i++) {
		if (f->v[i].have)
			already++;
		else {
			if ((status = fetch_store(f, i)) != 0)
				return status;
			f->v[i].have = 1;
			fetched++;
			if ((status = fetch_save_state(f)) != 0)
				return status;
		}
		if (f->o->delete) {
			if (pop3c_cmd(&f->c, "DELE %lu", f->v[i].num) != 1)
				return pop3c_fail(&f->c, "DELE");
			deleted++;
		}
	}
	/* forget what the server no longer has */
	if (fetched == 0 && already != f->nknown &&
	    (status = fetch_save_state(f)) != 0)
		return status;
	/* the deletions happen at QUIT (RFC 1939 §6): it must succeed */
	if (pop3c_quit(&f->c) != 1 && deleted > 0)
		return pop3c_fail(&f->c, "QUIT (messages may not be deleted)");
	printf("%zu fetched, %zu already there", fetched, already);
	if (f->o->delete)
		printf(", %zu deleted on the server", deleted);
	printf("\n");
	if (fflush(stdout) == EOF || ferror(stdout))
		return EX_IOERR;
	return 0;
}

int
fetch_main(int argc, char **argv)
{
	struct reader_opts o;
	struct fetch f;
	int status;

	if ((status = reader_options(&o, argc, argv, 1)) != 0)
		return status;
	memset(&f, 0, sizeof(f));
	f.o = &o;
	if ((status = fetch_maildir(o.arg)) != 0 ||
	    (status = fetch_load_state(&f)) != 0)
		goto done;
	if ((status = reader_open(&f.c, &o)) != 0)
		goto done;
	/* after a failure, QUIT removes only what -d deleted: safe in DIR */
	if ((status = fetch_session(&f)) != 0)
		(void)pop3c_quit(&f.c);
	pop3c_close(&f.c);
done:
	free(f.known);
	free(f.v);
	return status;
}
