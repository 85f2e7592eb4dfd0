/*
 * passwd.c - see passwd.h.  Relies on crypt(3) (libcrypt) for hashes.
 * It never logs a hash or a password.
 */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "addr.h"
#include "lineio.h"
#include "log.h"
#include "passwd.h"
#include "util.h"

#define PASSWD_LINE_MAX 1024

static void
table_free(struct account *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].local);
		free(v[i].domain);
		if (v[i].hash) {
			wipe(v[i].hash, strlen(v[i].hash));
			free(v[i].hash);
		}
	}
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

/* read the file into a new table; the number of bad lines, or -1 */
static int
read_table(const char *path, struct account **vp, size_t *np, struct stat *st)
{
	char line[PASSWD_LINE_MAX + 2];
	struct account *v = NULL, a;
	size_t n = 0, len;
	int lineno = 0, bad = 0, r, got;
	const char *why = NULL;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	if (fstat(fileno(fp), st) < 0) {
		log_warn("%s", path);
		fclose(fp);
		return -1;
	}
	while ((got = file_read_line(fp, line, sizeof(line), &len)) != 0) {
		lineno++;
		if (got < 0) {
			log_warnx("%s:%d: line too long", path, lineno);
			bad++;
			continue;
		}
		if (memchr(line, '\0', len) != NULL) {
			log_warnx("%s:%d: NUL in line", path, lineno);
			bad++;
			continue;
		}
		memset(&a, 0, sizeof(a));
		if ((r = parse_line(line, &a, &why)) < 0) {
			log_warnx("%s:%d: %s", path, lineno, why);
			bad++;
		} else if (r == 0) {
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n++] = a;
		}
		wipe(line, sizeof(line));
	}
	if (ferror(fp)) {
		log_warn("%s: read", path);
		fclose(fp);
		table_free(v, n);
		return -1;
	}
	fclose(fp);
	*vp = v;
	*np = n;
	return bad;
}

static void
table_swap(struct accounts *t, struct account *v, size_t n,
	   const struct stat *st)
{
	table_free(t->v, t->n);
	t->v = v;
	t->n = n;
	t->dev = st->st_dev;
	t->ino = st->st_ino;
	t->size = st->st_size;
	t->mtime = st->st_mtim;
	t->loaded = 1;
}

int
passwd_load(struct accounts *t, const char *path)
{
	struct account *v;
	struct stat st;
	size_t n;
	int bad;

	memset(t, 0, sizeof(*t));
	if (strlcpy(t->path, path, sizeof(t->path)) >= sizeof(t->path))
		return -1;
	if ((bad = read_table(path, &v, &n, &st)) < 0)
		return -1;
	table_swap(t, v, n, &st);
	return bad;
}

int
passwd_refresh(struct accounts *t)
{
	struct account *v;
	struct stat st;
	size_t n;
	int bad;

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
	if (t->loaded && st.st_dev == t->dev && st.st_ino == t->ino &&
	    st.st_size == t->size && st.st_mtim.tv_sec == t->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == t->mtime.tv_nsec)
		return 0;
	if ((bad = read_table(t->path, &v, &n, &st)) < 0) {
		log_warnx("%s: keeping the previous %zu accounts", t->path,
			  t->n);
		return -1;
	}
	t->unreadable = 0;
	if (bad > 0) {
		table_free(v, n);
		log_warnx("%s: %d malformed line%s: keeping the previous %zu "
			  "accounts",
			  t->path, bad, bad == 1 ? "" : "s", t->n);
		/* remember this version so it is not re-read on every call */
		t->dev = st.st_dev;
		t->ino = st.st_ino;
		t->size = st.st_size;
		t->mtime = st.st_mtim;
		return -1;
	}
	table_swap(t, v, n, &st);
	log_info("%s: reloaded, %zu accounts", t->path, n);
	return 1;
}

void
passwd_free(struct accounts *t)
{
	table_free(t->v, t->n);
	t->v = NULL;
	t->n = 0;
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
passwd_check(const struct account *a, const char *password)
{
	struct crypt_data *cd;
	const char *h;
	int ok;

	if (strncmp(a->hash, "{PLAIN}", 7) == 0) {
		const char *s = a->hash + 7;
		return ct_compare(password, strlen(password), s, strlen(s)) == 0;
	}
	/* crypt_data is large (~32K): keep it off the stack */
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_r(password, a->hash, cd);
	ok = h != NULL && h[0] != '*' &&
	     ct_compare(h, strlen(h), a->hash, strlen(a->hash)) == 0;
	wipe(cd, sizeof(*cd));
	free(cd);
	return ok;
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
