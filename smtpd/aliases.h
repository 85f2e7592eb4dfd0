/*
 * aliases.h - the aliases file (`aliases FILE`, smtpd.conf(5)):
 *
 *   address: target, target, ...
 *
 * address is "user@domain" (that address), "user" (user at every local
 * domain) or "@domain" (the catch-all of a local domain: any address
 * there that nothing else takes).  A target is "user@domain" (a local
 * account, another alias, or a remote address: forwarded through the
 * queue) or "user" (that user at the domain of the address expanded).
 * A line that starts with a blank continues the one before it (more
 * targets).  No pipes to commands, no file targets, no :include: (a
 * line with one is malformed).  Keys are compared case-insensitively.
 *
 * Like the accounts file (passwd.h): a malformed line is reported with
 * its line number and skipped at start; a reload is parsed into a new
 * table and swapped in only when every line parsed, so a half-edited
 * file never changes where mail goes; the file is re-read when it
 * changes.  What an address expands to is expand.h's.
 */
#ifndef ALIASES_H
#define ALIASES_H

#include <stddef.h>

#include "fileid.h"

#define ALIASES_LINE_MAX 1024
#define ALIASES_MAX 100000     /* entries in a file */
#define ALIAS_TARGETS_MAX 1000 /* targets of one entry */

struct alias {
	char *key;	/* "user@domain", "user" or "@domain"; lower-cased */
	char **targets; /* as written (blanks trimmed) */
	int ntargets;
	int line; /* in the file, for messages */
};

struct aliases {
	char path[4096]; /* "": no aliases file */
	struct alias *v; /* sorted by key */
	size_t n;
	struct file_id id; /* the file last loaded (or refused) */
	int loaded;
	int unreadable; /* could not be read: warned already */
};

/*
 * Load path.  Malformed lines are reported (file:line: problem) and
 * skipped; returns the number of malformed lines, or -1 if the file
 * cannot be read.
 */
int aliases_load(struct aliases *t, const char *path);
/*
 * Re-read the file if it changed since the last load; a file that
 * cannot be read or has a malformed line keeps the old table, and why
 * is logged (the first bad line named), once for each version of the
 * file.  0 unchanged, 1 reloaded, -1 kept the old table.
 */
int aliases_refresh(struct aliases *t);
/* re-read now, changed or not (SIGHUP) */
int aliases_reload(struct aliases *t);
/*
 * SIGHUP with the config's aliases path (maybe another, maybe "": none):
 * the same path is re-read (aliases_reload); a new one is loaded and
 * replaces the table if it could be read (bad lines skipped, as at start).
 */
void aliases_reconfigure(struct aliases *t, const char *path);
void aliases_free(struct aliases *t);
/* the entry for local@domain, else for "local" alone; or NULL */
const struct alias *aliases_find(const struct aliases *t, const char *local,
				 const char *domain);
/* the catch-all "@domain", or NULL */
const struct alias *aliases_catchall(const struct aliases *t,
				     const char *domain);

#endif
