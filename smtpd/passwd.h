/*
 * passwd.h - the accounts file (DESIGN.md "Accounts file"):
 * "user@domain:hash" a line, hash a crypt(3) string or {PLAIN}secret.
 * Loading parses into a new table and swaps it in only when the whole
 * file was read and every line parsed (OpenSMTPD's table-passwd), so a
 * half-edited file never takes accounts away.  A duplicate address and,
 * when loaded for a config, an address that cannot become a mailbox path
 * count as malformed lines.  Logging in is login.h.
 */
#ifndef PASSWD_H
#define PASSWD_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "fileid.h"

struct conf;

struct account {
	char *local;  /* as written; compared case-insensitively */
	char *domain; /* lower-cased */
	char *hash;
	int line; /* in the file, for messages */
};

struct accounts {
	char path[4096];
	const struct conf *conf; /* for mailbox paths; NULL: not checked */
	struct account *v;
	size_t n;
	/*
	 * The file last read, kept open: a root-only file opened before
	 * privileges were dropped can still be re-read when it is changed
	 * in place (not when it is replaced).
	 */
	int fd;
	/* identity of the file last loaded (or refused), to notice a change */
	struct file_id id;
	int loaded;
	int unreadable; /* could not be read: warned already */
};

/*
 * Load path.  Malformed lines are reported (file:line: problem) and
 * skipped; returns the number of malformed lines, or -1 if the file
 * cannot be read.
 */
int passwd_load(struct accounts *t, const char *path);
/* the same for c->passwd, and every account must have a mailbox path
 * (conf_mailbox); c must outlive t */
int passwd_load_conf(struct accounts *t, const struct conf *c);
/*
 * Re-read the file if it changed since the last load.  A file that cannot
 * be read or has a malformed line keeps the old table; why is logged,
 * naming the first bad line, once for each version of the file.
 * 0 unchanged, 1 reloaded, -1 kept the old table.
 */
int passwd_refresh(struct accounts *t);
/* re-read now, changed or not (SIGHUP): say again why if it is refused */
int passwd_reload(struct accounts *t);
/* after dropping privileges: say once if later changes cannot be read */
void passwd_note_readable(const struct accounts *t, const char *user);
void passwd_free(struct accounts *t);
const struct account *passwd_lookup(const struct accounts *t,
				    const char *local, const char *domain);
/* look up "user@domain" */
const struct account *passwd_lookup_address(const struct accounts *t,
					    const char *address);
/* 1 if password matches the account's hash; constant time in the hash */
int passwd_check(const struct account *a, const char *password);
/* the same for a hash string (crypt(3) or {PLAIN}) */
int passwd_check_hash(const char *hash, const char *password);

/*
 * After a failed login (SMTP AUTH, POP3): send what is queued, then wait
 * about a second before the reply, to slow password guessing.
 */
#define PASSWD_FAIL_DELAY_MS 1000
struct lineio;
void passwd_fail_delay(struct lineio *lio);
/* "user@domain" of an account */
int passwd_address(const struct account *a, char *buf, size_t size);

#endif
