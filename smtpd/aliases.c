/*
 * aliases.c - see aliases.h.  Parses and looks up; it does not follow
 * targets (expand.c does, with the accounts at hand).  The file is read
 * whole (fileid.c), then parsed line by line into a new table sorted by
 * key for bsearch.  It is opened by its path at every reload: unlike
 * the accounts file it holds no secret, so a file smtpd's user cannot
 * read is reported (once for each version) and the old table kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "aliases.h"
#include "fileid.h"
#include "log.h"
#include "util.h"

#define ALIASES_FILE_MAX ((size_t)64 * 1024 * 1024)

static void
alias_free(struct alias *a)
{
	int i;

	for (i = 0; i < a->ntargets; i++)
		free(a->targets[i]);
	free(a->targets);
	free(a->key);
}

static void
table_free(struct alias *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		alias_free(&v[i]);
	free(v);
}

/* "user": a local part that makes "user@x" an address */
static int
valid_local(const char *s)
{
	struct mailaddr a;
	char buf[ADDR_MAX];

	return xsnprintf(buf, sizeof(buf), "%s@x", s) >= 0 &&
	       addr_parse_mailbox(buf, &a) == 0;
}

/*
 * The key of "user@domain", "user" or "@domain" in key (quotes of a
 * local part removed, lower-cased, as lookups make theirs); -1 if it is
 * none of those, or its user has an "@" (quoted).
 */
static int
make_key(const char *s, char *key, size_t size)
{
	struct mailaddr a;
	char buf[ADDR_MAX];
	int n;

	if (s[0] == '@')
		n = xsnprintf(buf, sizeof(buf), "x%s", s) < 0 ||
			    addr_parse_mailbox(buf, &a) < 0 || a.literal
			? -1
			: xsnprintf(key, size, "@%s", a.domain);
	else if (strchr(s, '@') != NULL)
		n = addr_parse_mailbox(s, &a) < 0 || a.literal
			? -1
			: xsnprintf(key, size, "%s@%s", a.local, a.domain);
	else
		n = xsnprintf(buf, sizeof(buf), "%s@x", s) < 0 ||
			    addr_parse_mailbox(buf, &a) < 0
			? -1
			: xsnprintf(key, size, "%s", a.local);
	/* a quoted "@" would make "user@domain" of "@domain" and the like */
	if (n < 0 || (s[0] != '@' && strchr(a.local, '@') != NULL))
		return -1;
	str_lower(key);
	return 0;
}

/* why a target cannot be one, or NULL when it is fine */
static const char *
target_problem(const char *t)
{
	struct mailaddr a;

	if (t[0] == '|' || (t[0] == '"' && t[1] == '|'))
		return "pipes to commands are not supported";
	if (t[0] == '/' || (t[0] == '"' && t[1] == '/'))
		return "file targets are not supported";
	if (str_iprefix(t, ":include:"))
		return ":include: is not supported";
	if (strchr(t, '@') != NULL)
		return addr_parse_mailbox(t, &a) == 0 && a.local[0] != '\0'
			   ? NULL
			   : "a target is not a valid address";
	return valid_local(t) ? NULL : "a target is not a valid address";
}

/* split s at commas into more targets of a, all of them or none: NULL,
 * or why it is malformed */
static const char *
add_targets(struct alias *a, char *s)
{
	char *save, *t, *end;
	const char *why;
	int before = a->ntargets;

	for (t = strtok_r(s, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ' || *t == '\t')
			t++;
		end = t + strlen(t);
		while (end > t && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*t == '\0')
			continue;
		if ((why = target_problem(t)) == NULL &&
		    a->ntargets == ALIAS_TARGETS_MAX)
			why = "too many targets (at most 1000)";
		if (why != NULL) {
			while (a->ntargets > before)
				free(a->targets[--a->ntargets]);
			return why;
		}
		a->targets = xreallocarray(a->targets, (size_t)a->ntargets + 1,
					   sizeof(*a->targets));
		a->targets[a->ntargets++] = xstrdup(t);
	}
	return NULL;
}

/* parse "key: targets" into a; 0 ok, -1 malformed (why set) */
static int
parse_entry(char *line, struct alias *a, const char **why)
{
	char *colon, *end, key[ADDR_MAX + 1];

	if ((colon = strchr(line, ':')) == NULL) {
		*why = "expected address: target, ...";
		return -1;
	}
	*colon = '\0';
	for (end = colon; end > line && (end[-1] == ' ' || end[-1] == '\t');)
		*--end = '\0';
	if (make_key(line, key, sizeof(key)) < 0) {
		*why = "not an address, a user name or @domain";
		return -1;
	}
	a->key = xstrdup(key);
	if ((*why = add_targets(a, colon + 1)) != NULL)
		return -1;
	return 0;
}

static int
alias_cmp(const void *x, const void *y)
{
	const struct alias *a = x, *b = y;
	int d = strcmp(a->key, b->key);

	return d != 0 ? d : a->line - b->line;
}

/* sort, and drop every entry whose key an earlier line has */
static void
sort_unique(const char *path, struct alias *v, size_t *np,
	    struct file_bad_lines *bad)
{
	char why[200];
	size_t i, k, n = *np;

	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), alias_cmp);
	for (i = 1, k = 1; i < n; i++) {
		if (strcmp(v[i].key, v[k - 1].key) != 0) {
			v[k++] = v[i];
			continue;
		}
		xsnprintf(why, sizeof(why),
			  "duplicate alias %.100s (the first is line %d)",
			  v[i].key, v[k - 1].line);
		file_bad_line(bad, path, v[i].line, why);
		alias_free(&v[i]);
	}
	*np = k;
}

/* parse the text of the file into a new table; the number of bad lines */
static int
parse_table(const char *path, char *buf, size_t size, struct alias **vp,
	    size_t *np, struct file_bad_lines *bad)
{
	char line[ALIASES_LINE_MAX + 2], *p;
	struct alias *v = NULL, a;
	size_t n = 0, len, i, k;
	int lineno = 0, got, last_ok = 0;
	const char *why;
	FILE *fp = NULL;

	memset(bad, 0, sizeof(*bad));
	/* an empty memory stream may be refused: an empty file has no lines */
	if (size > 0 && (fp = fmemopen(buf, size, "r")) == NULL)
		fatal("fmemopen");
	while (fp &&
	       (got = file_read_line(fp, line, sizeof(line), &len)) != 0) {
		lineno++;
		if (got < 0 || memchr(line, '\0', len) != NULL) {
			file_bad_line(bad, path, lineno,
				      got < 0 ? "line too long"
					      : "NUL in line");
			last_ok = 0;
			continue;
		}
		line[strcspn(line, "\r\n")] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#')
			continue; /* a comment does not end an entry */
		if (p != line) {  /* a continuation: more targets */
			if (!last_ok)
				file_bad_line(
				    bad, path, lineno,
				    "a continuation line with no good "
				    "alias line before it");
			else if ((why = add_targets(&v[n - 1], p)) != NULL) {
				file_bad_line(bad, path, lineno, why);
				last_ok = 0;
			}
			continue;
		}
		memset(&a, 0, sizeof(a));
		last_ok = 0;
		if (n == ALIASES_MAX)
			file_bad_line(bad, path, lineno, "too many aliases");
		else if (parse_entry(line, &a, &why) < 0) {
			file_bad_line(bad, path, lineno, why);
			alias_free(&a);
		} else {
			a.line = lineno;
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n++] = a;
			last_ok = 1;
		}
	}
	if (fp)
		fclose(fp);
	/* a target is needed, on the entry's line or a continuation */
	for (i = k = 0; i < n; i++) {
		if (v[i].ntargets > 0) {
			v[k++] = v[i];
			continue;
		}
		file_bad_line(bad, path, v[i].line, "no target");
		alias_free(&v[i]);
	}
	n = k;
	sort_unique(path, v, &n, bad);
	*vp = v;
	*np = n;
	return bad->count;
}

/* read and parse the file; -1 if it cannot be read */
static int
read_table(struct aliases *t, struct alias **vp, size_t *np,
	   struct file_bad_lines *bad)
{
	struct stat st;
	size_t size;
	char *buf;
	int fd, r;

	if ((fd = open(t->path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 ||
	    (buf = file_read_whole(fd, ALIASES_FILE_MAX, &size)) == NULL) {
		close(fd);
		return -1;
	}
	close(fd);
	file_id_set(&t->id, &st);
	r = parse_table(t->path, buf, size, vp, np, bad);
	free(buf);
	return r;
}

static void
table_swap(struct aliases *t, struct alias *v, size_t n)
{
	table_free(t->v, t->n);
	t->v = v;
	t->n = n;
	t->loaded = 1;
}

int
aliases_load(struct aliases *t, const char *path)
{
	struct file_bad_lines bad;
	struct alias *v;
	size_t n;

	memset(t, 0, sizeof(*t));
	if (strlcpy(t->path, path, sizeof(t->path)) >= sizeof(t->path)) {
		log_warnx("%s: path too long", path);
		return -1;
	}
	if (read_table(t, &v, &n, &bad) < 0) {
		log_warn("%s", path);
		return -1;
	}
	table_swap(t, v, n);
	return bad.count;
}

int
aliases_refresh(struct aliases *t)
{
	struct file_bad_lines bad;
	struct alias *v;
	struct stat st;
	size_t n;

	if (t->path[0] == '\0')
		return 0;
	if (stat(t->path, &st) < 0) {
		if (!t->unreadable) /* once, not at every RCPT */
			log_warn("%s: keeping the previous %zu aliases",
				 t->path, t->n);
		t->unreadable = 1;
		return -1;
	}
	if (t->loaded && file_id_same(&t->id, &st))
		return 0;
	/* a version is tried once, not at every RCPT while it lasts */
	file_id_set(&t->id, &st);
	t->unreadable = 0;
	if (read_table(t, &v, &n, &bad) < 0) {
		log_warn("%s: keeping the previous %zu aliases", t->path, t->n);
		return -1;
	}
	if (bad.count > 0) {
		table_free(v, n);
		file_bad_refused(&bad, t->path, t->n, "aliases");
		return -1;
	}
	table_swap(t, v, n);
	log_info("%s: reloaded, %zu aliases", t->path, n);
	return 1;
}

int
aliases_reload(struct aliases *t)
{
	t->id.size = -1; /* no file has it: changed or not, it is read */
	t->unreadable = 0;
	return aliases_refresh(t);
}

void
aliases_reconfigure(struct aliases *t, const char *path)
{
	struct aliases n;

	if (strcmp(t->path, path) == 0) {
		(void)aliases_reload(t);
		return;
	}
	if (path[0] != '\0' && aliases_load(&n, path) < 0) {
		log_warnx("%s: keeping the previous aliases (%s)", path,
			  t->path[0] ? t->path : "none");
		return;
	}
	aliases_free(t);
	if (path[0] == '\0')
		memset(t, 0, sizeof(*t));
	else
		*t = n;
}

void
aliases_free(struct aliases *t)
{
	table_free(t->v, t->n);
	t->v = NULL;
	t->n = 0;
	t->loaded = 0;
}

static int
key_cmp(const void *key, const void *entry)
{
	return strcmp(key, ((const struct alias *)entry)->key);
}

static const struct alias *
find_key(const struct aliases *t, const char *key)
{
	char k[ADDR_MAX + 1];

	if (t->n == 0 || strlcpy(k, key, sizeof(k)) >= sizeof(k))
		return NULL;
	str_lower(k);
	return bsearch(k, t->v, t->n, sizeof(*t->v), key_cmp);
}

const struct alias *
aliases_find(const struct aliases *t, const char *local, const char *domain)
{
	const struct alias *a;
	char k[ADDR_MAX + 1];

	/* a quoted local part may hold an @ ("x@other"@domain): it must
	 * never reach another domain's key or a catch-all ("@other"),
	 * and no key has one (aliases with one are refused) */
	if (strchr(local, '@') != NULL)
		return NULL;
	if (xsnprintf(k, sizeof(k), "%s@%s", local, domain) >= 0 &&
	    (a = find_key(t, k)) != NULL)
		return a;
	return find_key(t, local);
}

const struct alias *
aliases_catchall(const struct aliases *t, const char *domain)
{
	char k[ADDR_MAX + 1];

	if (xsnprintf(k, sizeof(k), "@%s", domain) < 0)
		return NULL;
	return find_key(t, k);
}
