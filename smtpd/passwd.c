/*
 * passwd.c - see passwd.h.  Relies on crypt(3) (libcrypt) for hashes,
 * on conf_mailbox for the mailbox check.
 * It never logs a hash or a password.  The file is read whole with
 * pread, so a descriptor that forked children share never has its
 * offset moved under them.
 */
#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "conf_lookup.h"
#include "fileid.h"
#include "lineio.h"
#include "log.h"
#include "passwd.h"
#include "util.h"

#define PASSWD_LINE_MAX 1024
#define PASSWD_FILE_MAX ((size_t)64 * 1024 * 1024)

static void
account_free(struct account *a)
{
	free(a->local);
	free(a->domain);
	if (a->hash) {
		wipe(a->hash, strlen(a->hash));
		free(a->hash);
	}
}

static void
table_free(struct account *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		account_free(&v[i]);
	free(v);
}

static int
valid_hash(const char *h)
{
	if (strncmp(h, "{PLAIN}", 7) == 0)
		return h[7] != '\0';
	/* crypt(3) strings: "$id$...", or traditional DES (13 chars) */
	if (h[0] == '$')
		return strchr(h + 1, '$') != NULL;
	return strlen(h) == 13;
}

/* parse one line into a; 0 ok, 1 blank/comment, -1 malformed (why set) */
static int
parse_line(char *line, struct account *a, const char **why)
{
	struct mailaddr ad;
	char *colon, *p;

	line[strcspn(line, "\r\n")] = '\0';
	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '\0' || *p == '#')
		return 1;
	if ((colon = strchr(line, ':')) == NULL) {
		*why = "expected address:hash";
		return -1;
	}
	*colon = '\0';
	if (addr_parse_mailbox(line, &ad) < 0 || ad.literal) {
		*why = "not a valid user@domain address";
		return -1;
	}
	if (!valid_hash(colon + 1)) {
		*why = "not a crypt(3) hash or {PLAIN}secret";
		return -1;
	}
	a->local = xstrdup(ad.local);
	a->domain = xstrdup(ad.domain);
	a->hash = xstrdup(colon + 1);
	return 0;
}

/* mail to it would be accepted, then never delivered (issue 7, 14) */
static int
mailbox_ok(const struct conf *c, const struct account *a)
{
	char path[PATH_MAX];

	return c == NULL ||
	       conf_mailbox(c, a->local, a->domain, path, sizeof(path)) == 0;
}

static int
account_cmp(const void *x, const void *y)
{
	const struct account *a = *(const struct account *const *)x;
	const struct account *b = *(const struct account *const *)y;
	const char *p, *q;
	int d = strcmp(a->domain, b->domain); /* both lower-cased */

	for (p = a->local, q = b->local; d == 0 && (*p || *q); p++, q++)
		d = tolower((unsigned char)*p) - tolower((unsigned char)*q);
	return d != 0 ? d : a->line - b->line;
}

/* drop every account whose address an earlier line has: that one wins */
static void
drop_duplicates(const char *path, struct account *v, size_t *np,
		struct file_bad_lines *bad)
{
	struct account **idx;
	int *first;
	char why[200], addr[ADDR_MAX];
	size_t i, k, n = *np;

	if (n < 2)
		return;
	idx = xreallocarray(NULL, n, sizeof(*idx));
	first = xcalloc(n, sizeof(*first));
	for (i = 0; i < n; i++)
		idx[i] = &v[i];
	qsort(idx, n, sizeof(*idx), account_cmp);
	for (i = 1; i < n; i++)
		if (str_ieq(idx[i]->local, idx[i - 1]->local) &&
		    strcmp(idx[i]->domain, idx[i - 1]->domain) == 0)
			first[idx[i] - v] = first[idx[i - 1] - v]
						? first[idx[i - 1] - v]
						: idx[i - 1]->line;
	for (i = k = 0; i < n; i++) {
		if (first[i] == 0) {
			v[k++] = v[i];
			continue;
		}
		if (xsnprintf(addr, sizeof(addr), "%s@%s", v[i].local,
			      v[i].domain) < 0)
			addr[0] = '\0';
		xsnprintf(why, sizeof(why),
			  "duplicate account %s (the first is line %d)", addr,
			  first[i]);
		file_bad_line(bad, path, v[i].line, why);
		account_free(&v[i]);
	}
	*np = k;
	free(first);
	free(idx);
}

/* parse the file at fd into a new table; the number of bad lines, or -1 */
static int
read_table(const struct accounts *t, int fd, struct account **vp, size_t *np,
	   struct file_bad_lines *bad)
{
	char line[PASSWD_LINE_MAX + 2], *buf;
	struct account *v = NULL, a;
	size_t n = 0, len, size;
	int lineno = 0, r, got;
	const char *why = NULL;
	FILE *fp = NULL;

	memset(bad, 0, sizeof(*bad));
	if ((buf = file_read_whole(fd, PASSWD_FILE_MAX, &size)) == NULL) {
		log_warn("%s", t->path);
		return -1;
	}
	/* an empty memory stream may be refused: an empty file has no lines */
	if (size > 0 && (fp = fmemopen(buf, size, "r")) == NULL)
		fatal("fmemopen");
	while (fp &&
	       (got = file_read_line(fp, line, sizeof(line), &len)) != 0) {
		lineno++;
		memset(&a, 0, sizeof(a));
		if (got < 0)
			file_bad_line(bad, t->path, lineno, "line too long");
		else if (memchr(line, '\0', len) != NULL)
			file_bad_line(bad, t->path, lineno, "NUL in line");
		else if ((r = parse_line(line, &a, &why)) < 0)
			file_bad_line(bad, t->path, lineno, why);
		else if (r == 0 && !mailbox_ok(t->conf, &a)) {
			char msg[200];
			xsnprintf(msg, sizeof(msg),
				  "%.64s@%.80s cannot be a mailbox path (no /, "
				  "blanks, controls or leading dot)",
				  a.local, a.domain);
			file_bad_line(bad, t->path, lineno, msg);
			account_free(&a);
		} else if (r == 0) {
			a.line = lineno;
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n++] = a;
		}
		wipe(line, sizeof(line));
	}
	if (fp)
		fclose(fp);
	wipe(buf, size);
	free(buf);
	drop_duplicates(t->path, v, &n, bad);
	*vp = v;
	*np = n;
	return bad->count;
}

static void
table_swap(struct accounts *t, struct account *v, size_t n, int fd)
{
	table_free(t->v, t->n);
	t->v = v;
	t->n = n;
	if (fd != t->fd) {
		if (t->fd >= 0)
			close(t->fd);
		t->fd = fd;
	}
	t->loaded = 1;
}

/*
 * Open the file for reading: by its path, or, when this process may not
 * read it, through the descriptor kept from the last read if that is
 * still the file at the path (changed in place).  *held says which.
 */
static int
open_current(const struct accounts *t, const struct stat *st, int *held)
{
	struct stat hs;
	int fd;

	*held = 0;
	if ((fd = open(t->path, O_RDONLY | O_CLOEXEC)) >= 0)
		return fd;
	if ((errno == EACCES || errno == EPERM) && t->fd >= 0 &&
	    fstat(t->fd, &hs) == 0 && hs.st_dev == st->st_dev &&
	    hs.st_ino == st->st_ino) {
		*held = 1;
		return t->fd;
	}
	return -1;
}

static int
load(struct accounts *t, const char *path, const struct conf *c)
{
	struct account *v;
	struct file_bad_lines bad;
	struct stat st;
	size_t n;
	int fd;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->conf = c;
	if (strlcpy(t->path, path, sizeof(t->path)) >= sizeof(t->path))
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		log_warn("%s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (read_table(t, fd, &v, &n, &bad) < 0) {
		close(fd);
		return -1;
	}
	file_id_set(&t->id, &st);
	table_swap(t, v, n, fd);
	return bad.count;
}

int
passwd_load(struct accounts *t, const char *path)
{
	return load(t, path, NULL);
}

int
passwd_load_conf(struct accounts *t, const struct conf *c)
{
	return load(t, c->passwd, c);
}

/* read the file at the path again (its stat is st); see passwd_refresh */
static int
reread(struct accounts *t, const struct stat *st)
{
	struct account *v;
	struct file_bad_lines bad;
	size_t n;
	int fd, held;

	/* a version is tried once, not on every connection while it lasts */
	file_id_set(&t->id, st);
	t->unreadable = 0;
	if ((fd = open_current(t, st, &held)) < 0) {
		log_warn("%s: keeping the previous %zu accounts%s", t->path,
			 t->n,
			 errno == EACCES || errno == EPERM
			     ? " (a file replaced while smtpd runs must be "
			       "readable by its user, or smtpd restarted)"
			     : "");
		return -1;
	}
	if (read_table(t, fd, &v, &n, &bad) < 0) {
		if (!held)
			close(fd);
		log_warnx("%s: keeping the previous %zu accounts", t->path,
			  t->n);
		return -1;
	}
	if (bad.count > 0) {
		table_free(v, n);
		if (!held)
			close(fd);
		file_bad_refused(&bad, t->path, t->n, "accounts");
		return -1;
	}
	table_swap(t, v, n, fd);
	log_info("%s: reloaded, %zu accounts", t->path, n);
	return 1;
}

int
passwd_refresh(struct accounts *t)
{
	struct stat st;

	if (t->path[0] == '\0')
		return 0;
	if (stat(t->path, &st) < 0) {
		/* say it once, not on every connection while it lasts */
		if (!t->unreadable)
			log_warn("%s: keeping the previous %zu accounts",
				 t->path, t->n);
		t->unreadable = 1;
		return -1;
	}
	if (t->loaded && file_id_same(&t->id, &st))
		return 0;
	return reread(t, &st);
}

int
passwd_reload(struct accounts *t)
{
	t->id.size = -1; /* no file has it: changed or not, it is read */
	t->unreadable = 0;
	return passwd_refresh(t);
}

void
passwd_note_readable(const struct accounts *t, const char *user)
{
	int fd;

	if (t->path[0] == '\0')
		return;
	if ((fd = open(t->path, O_RDONLY | O_CLOEXEC)) >= 0) {
		close(fd);
		return;
	}
	if (errno != EACCES && errno != EPERM)
		return;
	log_warnx("%s: user %s cannot read it: changes written into this "
		  "file are re-read through the descriptor opened at start, a "
		  "replaced file (most editors, sed -i, mv) is not: let the "
		  "group of %s read it (chmod 640), or restart smtpd after "
		  "replacing it",
		  t->path, user, user);
}

void
passwd_free(struct accounts *t)
{
	table_free(t->v, t->n);
	t->v = NULL;
	t->n = 0;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

const struct account *
passwd_lookup(const struct accounts *t, const char *local, const char *domain)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (str_ieq(t->v[i].local, local) &&
		    str_ieq(t->v[i].domain, domain))
			return &t->v[i];
	return NULL;
}

const struct account *
passwd_lookup_address(const struct accounts *t, const char *address)
{
	struct mailaddr a;

	if (addr_parse_mailbox(address, &a) < 0)
		return NULL;
	return passwd_lookup(t, a.local, a.domain);
}

int
passwd_check_hash(const char *hash, const char *password)
{
	struct crypt_data *cd;
	const char *h;
	int ok;

	if (strncmp(hash, "{PLAIN}", 7) == 0) {
		const char *s = hash + 7;
		return ct_compare(password, strlen(password), s, strlen(s)) == 0;
	}
	/* crypt_data is large (~32K): keep it off the stack */
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_r(password, hash, cd);
	ok = h != NULL && h[0] != '*' &&
	     ct_compare(h, strlen(h), hash, strlen(hash)) == 0;
	wipe(cd, sizeof(*cd));
	free(cd);
	return ok;
}

int
passwd_check(const struct account *a, const char *password)
{
	return passwd_check_hash(a->hash, password);
}

int
passwd_address(const struct account *a, char *buf, size_t size)
{
	return xsnprintf(buf, size, "%s@%s", a->local, a->domain) < 0 ? -1 : 0;
}

void
passwd_fail_delay(struct lineio *lio)
{
	struct timespec ts = {PASSWD_FAIL_DELAY_MS / 1000,
			      (PASSWD_FAIL_DELAY_MS % 1000) * 1000000L};

	lio_flush(lio);
#ifndef FUZZING /* the session fuzzers must not sleep */
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
#else
	(void)ts;
#endif
}
