/*
 * passwd.h - the accounts file (DESIGN.md "Accounts file"):
 * "user@domain:hash" a line, hash a crypt(3) string or {PLAIN}secret.
 * Loading parses into a new table and swaps it in only when the whole
 * file was read and every line parsed (OpenSMTPD's table-passwd), so a
 * half-edited file never takes accounts away.
 */
#ifndef PASSWD_H
#define PASSWD_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

struct account {
	char *local;  /* as written; compared case-insensitively */
	char *domain; /* lower-cased */
	char *hash;
};

struct accounts {
	char path[4096];
	struct account *v;
	size_t n;
	/* identity of the file last loaded, to notice a change */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	int loaded;
	int unreadable; /* the file is gone: warned already */
};

/*
 * Load path.  At first load malformed lines are reported (file:line:
 * problem) and skipped; returns the number of malformed lines, or -1 if
 * the file cannot be read.
 */
int passwd_load(struct accounts *t, const char *path);
/*
 * Re-read the file if it changed since the last load.  A file that cannot
 * be read or has a malformed line keeps the old table.  0 unchanged,
 * 1 reloaded, -1 kept the old table.
 */
int passwd_refresh(struct accounts *t);
void passwd_free(struct accounts *t);
const struct account *passwd_lookup(const struct accounts *t,
				    const char *local, const char *domain);
/* look up "user@domain" */
const struct account *passwd_lookup_address(const struct accounts *t,
					    const char *address);
/* 1 if password matches the account's hash; constant time in the hash */
int passwd_check(const struct account *a, const char *password);
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
