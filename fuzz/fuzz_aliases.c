/*
 * fuzz_aliases.c - smtpd/aliases.c and smtpd/expand.c: the input is
 * written as the aliases file and loaded with aliases_load.  Loading
 * never fails on a readable file (bad lines are counted and skipped);
 * every entry has a lower-cased key that the lookups find again and at
 * least one target, none of them a pipe, a file or :include:.  Then
 * each key is expanded for example.org (a local domain with accounts
 * bob and postmaster, and recipient_delimiter +): whatever the file,
 * the expansion ends within its bounds, gives only well-formed targets,
 * and never one twice.  Warnings go to stderr: run with
 * -close_fd_mask=2 to hide them.
 */
#include "fuzz_util.h"

#include "addr.h"
#include "aliases.h"
#include "expand.h"
#include "smtpd.h"
#include "util.h"

static char aliases_file[PATH_MAX];
static struct smtpd d;
static char *domains[] = {"example.org", "example.net"};
static struct account accounts[2] = {
    {"bob", "example.org", "{PLAIN}x", 1},
    {"postmaster", "example.org", "{PLAIN}x", 2},
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_path(aliases_file, sizeof(aliases_file), "aliases");
	d.conf.domains = domains;
	d.conf.ndomains = 2;
	strlcpy(d.conf.recipient_delimiter, "+",
		sizeof(d.conf.recipient_delimiter));
	strlcpy(d.conf.mailbox, "/nonexistent/%d/%u", sizeof(d.conf.mailbox));
	d.accounts.v = accounts;
	d.accounts.n = 2;
	return 0;
}

static void
check_expansion(const struct mailaddr *a)
{
	struct expansion x;
	struct mailaddr t;
	int i, j;

	expand_address(&d, a, &x);
	CHECK(x.n <= EXPAND_WORK_MAX);
	for (i = 0; i < x.n; i++) {
		CHECK(addr_parse_mailbox(x.v[i].addr, &t) == 0);
		CHECK(x.v[i].delivered_to[0] != '\0');
		for (j = 0; j < i; j++)
			CHECK(!str_ieq(x.v[i].addr, x.v[j].addr));
	}
	/* postmaster is never refused (RFC 5321 §4.5.1) */
	if (str_ieq(a->local, "postmaster") && !x.too_big)
		CHECK(x.n > 0);
	expand_free(&x);
}

static void
check_alias(const struct aliases *t, const struct alias *al)
{
	struct mailaddr a;
	char *at;
	int i;

	CHECK(al->key[0] != '\0' && al->ntargets > 0 &&
	      al->ntargets <= ALIAS_TARGETS_MAX);
	for (i = 0; al->key[i]; i++)
		CHECK(al->key[i] < 'A' || al->key[i] > 'Z');
	for (i = 0; i < al->ntargets; i++)
		CHECK(al->targets[i][0] != '\0' && al->targets[i][0] != '|' &&
		      al->targets[i][0] != '/' &&
		      strchr(al->targets[i], ',') == NULL);
	memset(&a, 0, sizeof(a));
	if (al->key[0] == '@') {
		CHECK(aliases_catchall(t, al->key + 1) == al);
		strlcpy(a.local, "nosuch", sizeof(a.local));
		strlcpy(a.domain, al->key + 1, sizeof(a.domain));
	} else if ((at = strrchr(al->key, '@')) != NULL) {
		if (addr_parse_mailbox(al->key, &a) < 0)
			return; /* a quoted local part: not looked up so */
		CHECK(aliases_find(t, a.local, a.domain) == al);
	} else {
		CHECK(strlcpy(a.local, al->key, sizeof(a.local)) <
		      sizeof(a.local));
		strlcpy(a.domain, "example.org", sizeof(a.domain));
		CHECK(aliases_find(t, a.local, "example.net") != NULL);
	}
	check_expansion(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mailaddr pm;
	size_t i;
	int bad;

	fuzz_write_file(aliases_file, data, size);
	bad = aliases_load(&d.aliases, aliases_file);
	CHECK(bad >= 0);
	for (i = 0; i < d.aliases.n; i++)
		check_alias(&d.aliases, &d.aliases.v[i]);
	memset(&pm, 0, sizeof(pm));
	strlcpy(pm.local, "Postmaster", sizeof(pm.local));
	strlcpy(pm.domain, "example.net", sizeof(pm.domain));
	check_expansion(&pm);
	CHECK(aliases_refresh(&d.aliases) == 0); /* unchanged: not re-read */
	aliases_free(&d.aliases);
	return 0;
}
