/*
 * expand.c - see expand.h.  Reads the tables as they are (the caller
 * refreshes them first); the only memory it keeps is the expansion's.
 * Bounded: EXPAND_WORK_MAX addresses looked at, EXPAND_DEPTH_MAX deep,
 * whatever the aliases file holds (a -> b -> a, or an alias fanning out
 * to itself a thousand times, ends in that many steps).
 */
#include <stdlib.h>
#include <string.h>

#include "aliases.h"
#include "conf_lookup.h"
#include "expand.h"
#include "log.h"
#include "passwd.h"
#include "util.h"

/* an address expanded, and whether it led somewhere */
struct seen {
	char *addr;
	int led;
};

struct expand_ctx {
	const struct smtpd *d;
	struct expansion *x;
	int fallback; /* the postmaster Maildir fallback may be used */
	/* the aliases being expanded, outermost first */
	char chain[EXPAND_DEPTH_MAX][ADDR_MAX];
	int depth;
	/* every address expanded so far (an alias, an account...) */
	struct seen *seen;
	int nseen;
	int work;
};

static int resolve(struct expand_ctx *cx, const struct mailaddr *a,
		   const char *via);

int
expand_is_postmaster(const char *local)
{
	return str_ieq(local, "postmaster");
}

/* add a target unless it is there already; 1 (it leads somewhere) */
static int
add_target(struct expand_ctx *cx, const char *addr, const char *delivered_to,
	   int local)
{
	struct expansion *x = cx->x;
	struct target *t;
	int i;

	for (i = 0; i < x->n; i++)
		if (str_ieq(x->v[i].addr, addr) && x->v[i].local == local)
			return 1;
	x->v = xreallocarray(x->v, (size_t)x->n + 1, sizeof(*x->v));
	t = &x->v[x->n++];
	memset(t, 0, sizeof(*t));
	strlcpy(t->addr, addr, sizeof(t->addr));
	strlcpy(t->delivered_to, delivered_to, sizeof(t->delivered_to));
	t->local = local;
	return 1;
}

/* the account a reached; text is a as written (its Delivered-To) */
static int
add_account(struct expand_ctx *cx, const struct account *acct, const char *text)
{
	char addr[ADDR_MAX];

	if (passwd_address(acct, addr, sizeof(addr)) < 0)
		return 0;
	return add_target(cx, addr, text, 1);
}

/* a target of an alias, "user" meaning user@domain; 0 or -1 */
static int
parse_target(const char *t, const char *domain, struct mailaddr *a)
{
	char buf[ADDR_MAX];

	if (strchr(t, '@') != NULL)
		return addr_parse_mailbox(t, a);
	if (xsnprintf(buf, sizeof(buf), "%s@%s", t, domain) < 0)
		return -1;
	return addr_parse_mailbox(buf, a);
}

/* every target of al, for an address at domain written as text */
static int
expand_alias(struct expand_ctx *cx, const struct alias *al, const char *domain,
	     const char *text)
{
	struct mailaddr t;
	int i, any = 0;

	cx->x->aliased = 1;
	for (i = 0; i < al->ntargets && !cx->x->too_big; i++) {
		if (parse_target(al->targets[i], domain, &t) < 0) {
			log_warnx("alias %s (line %d): target %s is not an "
				  "address here",
				  al->key, al->line, al->targets[i]);
			continue;
		}
		if (resolve(cx, &t, text))
			any = 1;
		else if (!cx->x->too_big)
			log_info(
			    "alias %s (line %d): for <%s>, target %s leads "
			    "nowhere",
			    al->key, al->line, log_value(text), al->targets[i]);
	}
	return any;
}

/* text's entry in the addresses seen: found (*isnew 0) or added */
static int
seen_index(struct expand_ctx *cx, const char *text, int *isnew)
{
	int i;

	*isnew = 0;
	for (i = 0; i < cx->nseen; i++)
		if (str_ieq(cx->seen[i].addr, text))
			return i;
	cx->seen =
	    xreallocarray(cx->seen, (size_t)cx->nseen + 1, sizeof(*cx->seen));
	cx->seen[cx->nseen].addr = xstrdup(text);
	cx->seen[cx->nseen].led = 0;
	*isnew = 1;
	return cx->nseen++;
}

/* a with its recipient_delimiter part cut off, in base; 0 if it has none */
static int
strip_tag(const struct conf *c, const struct mailaddr *a, struct mailaddr *base)
{
	size_t n;

	if (c->recipient_delimiter[0] == '\0')
		return 0;
	n = strcspn(a->local, c->recipient_delimiter);
	if (n == 0 || a->local[n] == '\0')
		return 0;
	*base = *a;
	base->local[n] = '\0';
	return 1;
}

/* postmaster@domain led nowhere: postmaster@FIRST, then its Maildir */
static int
postmaster(struct expand_ctx *cx, const struct mailaddr *a)
{
	const struct conf *c = &cx->d->conf;
	struct mailaddr pm;
	char addr[ADDR_MAX];

	memset(&pm, 0, sizeof(pm));
	strlcpy(pm.local, "postmaster", sizeof(pm.local));
	strlcpy(pm.domain, c->domains[0], sizeof(pm.domain));
	if (!str_ieq(a->domain, pm.domain))
		return resolve(cx, &pm, NULL);
	if (!cx->fallback || addr_format(&pm, addr, sizeof(addr)) < 0)
		return 0;
	return add_target(cx, addr, addr, 1);
}

/* the rules of expand.h for the address at a under the alias chain */
static int
resolve_local(struct expand_ctx *cx, const struct mailaddr *a, const char *text)
{
	const struct smtpd *d = cx->d;
	const struct alias *al;
	const struct account *acct;
	struct mailaddr base;
	int tagged = strip_tag(&d->conf, a, &base);

	if ((al = aliases_find(&d->aliases, a->local, a->domain)) != NULL)
		return expand_alias(cx, al, a->domain, text);
	if ((acct = passwd_lookup(&d->accounts, a->local, a->domain)) != NULL)
		return add_account(cx, acct, text);
	if (tagged &&
	    (al = aliases_find(&d->aliases, base.local, base.domain)) != NULL)
		return expand_alias(cx, al, a->domain, text);
	if (tagged && (acct = passwd_lookup(&d->accounts, base.local,
					    base.domain)) != NULL)
		return add_account(cx, acct, text);
	if ((al = aliases_catchall(&d->aliases, a->domain)) != NULL)
		return expand_alias(cx, al, a->domain, text);
	return 0;
}

/*
 * Where a leads, adding the targets; 1 when it leads somewhere (or was
 * expanded already), 0 when not.  via: the alias whose target a is
 * (NULL for the recipient itself).
 */
static int
resolve(struct expand_ctx *cx, const struct mailaddr *a, const char *via)
{
	const struct account *acct;
	char text[ADDR_MAX];
	int i, r, seen, isnew;

	if (addr_format(a, text, sizeof(text)) < 0)
		return 0;
	if (++cx->work > EXPAND_WORK_MAX) {
		cx->x->too_big = 1;
		return 0;
	}
	if (a->literal || !conf_is_local(&cx->d->conf, a->domain))
		return add_target(cx, text, via ? via : text, 0);
	for (i = 0; i < cx->depth; i++)
		if (str_ieq(cx->chain[i], text)) {
			/* `bob: bob, ...`: the alias's own mailbox */
			acct = passwd_lookup(&cx->d->accounts, a->local,
					     a->domain);
			if (acct != NULL)
				return add_account(cx, acct, text);
			log_info("alias loop: <%s> comes back to itself",
				 log_value(text));
			cx->x->loops++;
			return 0;
		}
	/* expanded already: its targets are in (or it led nowhere) */
	seen = seen_index(cx, text, &isnew);
	if (!isnew)
		return cx->seen[seen].led;
	if (cx->depth == EXPAND_DEPTH_MAX) {
		log_info("alias <%s>: nested more than %d deep",
			 log_value(text), EXPAND_DEPTH_MAX);
		cx->x->loops++;
		return 0;
	}
	strlcpy(cx->chain[cx->depth++], text, sizeof(cx->chain[0]));
	r = resolve_local(cx, a, text);
	if (!r && !cx->x->too_big && expand_is_postmaster(a->local))
		r = postmaster(cx, a);
	cx->depth--;
	cx->seen[seen].led = r;
	return r;
}

static void
expand_run(const struct smtpd *d, const struct mailaddr *a, struct expansion *x,
	   int fallback)
{
	struct expand_ctx *cx = xcalloc(1, sizeof(*cx));
	int i;

	memset(x, 0, sizeof(*x));
	cx->d = d;
	cx->x = x;
	cx->fallback = fallback;
	resolve(cx, a, NULL);
	for (i = 0; i < cx->nseen; i++)
		free(cx->seen[i].addr);
	free(cx->seen);
	free(cx);
}

void
expand_address(const struct smtpd *d, const struct mailaddr *a,
	       struct expansion *x)
{
	expand_run(d, a, x, 1);
}

void
expand_free(struct expansion *x)
{
	free(x->v);
	x->v = NULL;
	x->n = 0;
}

static int
postmaster_mailbox(const struct conf *c, char *buf, size_t size)
{
	return c->ndomains == 0
		   ? -1
		   : conf_mailbox(c, "postmaster", c->domains[0], buf, size);
}

int
expand_mailbox(const struct smtpd *d, const char *addr, char *buf, size_t size)
{
	const struct conf *c = &d->conf;
	const struct account *a;
	struct mailaddr ad;

	if (addr_parse_mailbox(addr, &ad) < 0)
		return -1;
	if ((a = passwd_lookup(&d->accounts, ad.local, ad.domain)) != NULL)
		return conf_mailbox(c, a->local, a->domain, buf, size);
	if (expand_is_postmaster(ad.local) && c->ndomains > 0 &&
	    str_ieq(ad.domain, c->domains[0]))
		return postmaster_mailbox(c, buf, size);
	return -1;
}

int
expand_postmaster_ok(const struct smtpd *d, char *buf, size_t size)
{
	struct expansion x;
	struct mailaddr pm;
	int ok;

	buf[0] = '\0';
	if (d->conf.ndomains == 0)
		return 1; /* no local domain: no postmaster to have */
	memset(&pm, 0, sizeof(pm));
	strlcpy(pm.local, "postmaster", sizeof(pm.local));
	strlcpy(pm.domain, d->conf.domains[0], sizeof(pm.domain));
	expand_run(d, &pm, &x, 0);
	ok = x.n > 0;
	expand_free(&x);
	if (!ok && postmaster_mailbox(&d->conf, buf, size) < 0)
		buf[0] = '\0';
	return ok;
}
