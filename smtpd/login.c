/*
 * login.c - see login.h.  Relies on passwd.c for the table and the hash
 * check, on authgate.c for the slots.  The dummy is chosen at each
 * unknown user's login: one pass over the table, as the lookup that
 * failed just made, small next to any hash.
 */
#include <string.h>

#include "authgate.h"
#include "login.h"

/* the dummy when no account gives the kind: SHA-512, as smtpd -H makes */
#define LOGIN_DUMMY_DEFAULT "$6$Hq0dXbLk2sWv8Tn4$"
#define LOGIN_KINDS_MAX 16

/*
 * The part of a hash that sets its cost: "$6$rounds=N$", "$2b$12$",
 * "$y$j9T$"; "$6$" alone; "" for DES; "{PLAIN}".
 */
static size_t
hash_kind_len(const char *h)
{
	const char *p, *q;

	if (strncmp(h, "{PLAIN}", 7) == 0)
		return 7;
	if (h[0] != '$' || (p = strchr(h + 1, '$')) == NULL)
		return 0;
	p++; /* past "$id$" */
	if ((q = strchr(p, '$')) != NULL &&
	    (strncmp(h, "$2", 2) == 0 || strncmp(h, "$y$", 3) == 0 ||
	     strncmp(h, "$gy$", 4) == 0 || strncmp(h, "$7$", 3) == 0 ||
	     strncmp(p, "rounds=", 7) == 0))
		p = q + 1;
	return (size_t)(p - h);
}

/*
 * The dummy an unknown user's password is hashed against: an account's
 * own hash (crypt(3) takes its salt and cost from it) of the kind most
 * accounts have, so a failure costs what a wrong password costs.
 */
static const char *
choose_dummy(const struct account *v, size_t n)
{
	struct {
		size_t first, len, count;
	} kinds[LOGIN_KINDS_MAX];
	size_t nk = 0, i, k, best = 0;

	for (i = 0; i < n; i++) {
		const char *h = v[i].hash;
		size_t len = hash_kind_len(h);
		for (k = 0; k < nk; k++)
			if (kinds[k].len == len &&
			    memcmp(v[kinds[k].first].hash, h, len) == 0)
				break;
		if (k == nk) {
			if (nk == LOGIN_KINDS_MAX)
				continue;
			kinds[nk].first = i;
			kinds[nk].len = len;
			kinds[nk++].count = 0;
		}
		kinds[k].count++;
	}
	if (nk == 0)
		return LOGIN_DUMMY_DEFAULT;
	for (k = 1; k < nk; k++)
		if (kinds[k].count > kinds[best].count)
			best = k;
	return v[kinds[best].first].hash;
}

enum login_result
login_check(struct accounts *t, const char *user, const char *password,
	    const struct account **ap)
{
	const struct account *a;
	int ok, r;

	*ap = NULL;
	passwd_refresh(t);
	a = passwd_lookup_address(t, user);
	if ((r = authgate_enter()) <= 0)
		return r == 0 ? LOGIN_REFUSED : LOGIN_TEMPFAIL;
	if (a != NULL)
		ok = passwd_check(a, password);
	else {
		/* a wrong password's work: whether it exists stays hidden */
		(void)passwd_check_hash(choose_dummy(t->v, t->n), password);
		ok = 0;
	}
	authgate_leave(ok);
	if (!ok)
		return LOGIN_FAILED;
	*ap = a;
	return LOGIN_OK;
}

int
login_in_clear_ok(const struct smtpd *d, int in_tls, const char *client_ip)
{
	return d->tls == NULL || in_tls || d->conf.auth_plaintext ||
	       strcmp(client_ip, "127.0.0.1") == 0 ||
	       strcmp(client_ip, "::1") == 0 ||
	       strcmp(client_ip, "::ffff:127.0.0.1") == 0 ||
	       strcmp(client_ip, "local") == 0;
}
