/*
 * fuzz_passwd.c - smtpd/passwd.c: the input is written as the accounts
 * file and loaded with passwd_load.  Loading never fails on a readable
 * file (bad lines are counted and skipped); every account loaded has a
 * clean address that passwd_lookup_address finds again, and a {PLAIN}
 * account accepts its own secret and refuses another.  crypt(3) hashes
 * are not checked here: a fuzzed "$5$rounds=999999999$" would only burn
 * time.  Warnings go to stderr: run with -close_fd_mask=2 to hide them.
 */
#include "fuzz_util.h"

#include "addr.h"
#include "passwd.h"
#include "util.h"

static char passwd_file[PATH_MAX];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_path(passwd_file, sizeof(passwd_file), "passwd");
	return 0;
}

static void
check_account(const struct accounts *t, const struct account *a)
{
	char addr[ADDR_MAX];
	const struct account *b;

	CHECK(a->local[0] && a->domain[0] && a->hash[0]);
	CHECK(strchr(a->hash, '\n') == NULL && strchr(a->hash, '\r') == NULL);
	CHECK(passwd_address(a, addr, sizeof(addr)) == 0);
	b = passwd_lookup(t, a->local, a->domain);
	CHECK(b != NULL && str_ieq(b->local, a->local));
	/* a quoted local part ("a b"@x) cannot be looked up by bare address */
	if ((b = passwd_lookup_address(t, addr)) != NULL)
		CHECK(str_ieq(b->domain, a->domain));
	if (strncmp(a->hash, "{PLAIN}", 7) == 0) {
		b = passwd_lookup(t, a->local, a->domain);
		if (b == a)
			CHECK(passwd_check(a, a->hash + 7) == 1);
		CHECK(passwd_check(a, "") == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct accounts t;
	size_t i;
	int bad;

	fuzz_write_file(passwd_file, data, size);
	bad = passwd_load(&t, passwd_file);
	CHECK(bad >= 0);
	for (i = 0; i < t.n; i++)
		check_account(&t, &t.v[i]);
	CHECK(passwd_refresh(&t) == 0); /* unchanged: not re-read */
	passwd_free(&t);
	return 0;
}
