/*
 * verify.c - recipient verification at RCPT time (verify_recipients):
 * a remote recipient is checked with the peer its route leads to (the
 * first host of mxroute_lookup's list that answers: static or MX), by
 * MAIL FROM:<> / RCPT TO / RSET (as Postfix's reject_unverified_recipient
 * does with its probes).  A peer's 5xx becomes our 550 5.1.1 so the user
 * learns at once; a 4xx or a peer that cannot be reached leaves the
 * recipient accepted and queued; a domain whose lookup fails for good
 * (NXDOMAIN, null MX, mail looping back to this host, no address for
 * its mail host) is refused the same way.  The whole probe, lookup
 * included, has one deadline (verify_timeout): every wait of it
 * (connect, each reply) is cut to what is left, and once it is spent no
 * further host is asked and the recipient is accepted.  TLS as the
 * relay worker would use it (peertls.h): STARTTLS when offered, and on
 * a `route ... tls` required with a verified certificate; a host where
 * TLS fails is not asked (never in clear), as one that cannot be
 * reached.
 * Definite answers (2xx, 5xx) are cached for verify_cache seconds in the
 * queue's verify/ directory, one small file per address, shared by all
 * session children.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "durable.h"
#include "log.h"
#include "smtpc.h"
#include "util.h"
#include "conf_lookup.h"
#include "mxroute.h"
#include "peertls.h"

#include "smtp/reply.h"
#include "smtp/verify.h"

static int
cache_path(const struct conf *c, const char *addr, char *buf, size_t size)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	const char *p;

	for (p = addr; *p; p++) {
		h ^= (unsigned char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		h *= 1099511628211ULL;
	}
	return xsnprintf(buf, size, "%s/verify/%016llx", c->queue,
			 (unsigned long long)h);
}

/* the cached reply for addr, or 0 when none is fresh */
static int
cache_get(const struct conf *c, const char *addr, char *text, size_t size)
{
	char path[PATH_MAX], buf[600], *nl;
	struct stat st;
	ssize_t n;
	int fd, code;

	if (cache_path(c, addr, path, sizeof(path)) < 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if (fstat(fd, &st) < 0 ||
	    time(NULL) - st.st_mtime > c->verify_cache_ttl ||
	    (n = read(fd, buf, sizeof(buf) - 1)) <= 0) {
		close(fd);
		return 0;
	}
	close(fd);
	buf[n] = '\0';
	/* "code address\ntext": the address guards against hash collisions */
	if ((nl = strchr(buf, '\n')) == NULL)
		return 0;
	*nl = '\0';
	code = atoi(buf);
	if (strchr(buf, ' ') == NULL || !str_ieq(strchr(buf, ' ') + 1, addr))
		return 0;
	strlcpy(text, nl + 1, size);
	return code;
}

static void
cache_put(const struct conf *c, const char *addr, int code, const char *text)
{
	char path[PATH_MAX], buf[1200], dir[PATH_MAX];
	int n;

	if (xsnprintf(dir, sizeof(dir), "%s/verify", c->queue) < 0 ||
	    (mkdir(dir, 0700) < 0 && errno != EEXIST) ||
	    cache_path(c, addr, path, sizeof(path)) < 0 ||
	    (n = xsnprintf(buf, sizeof(buf), "%d %s\n%.500s", code, addr,
			   text)) < 0)
		return;
	/* replaced whole: a reader sees an old answer or a new one */
	if (durable_replace(NULL, path, buf, (size_t)n) < 0)
		log_warn("verify: %s", path);
}

/* milliseconds left before deadline (now_ms), 0 when it is spent */
static int
verify_left(int64_t deadline)
{
	int64_t now = now_ms();

	return now < deadline ? (int)(deadline - now) : 0;
}

/* the next step of the probe may wait for what is left of it, no more */
static int
probe_step(struct smtpc *sc, int64_t deadline)
{
	int left = verify_left(deadline);

	sc->lio.timeout_ms = left;
	if (left == 0) {
		/* not the last reply's text: that is not why it ended */
		strlcpy(sc->err, "probe timed out", sizeof(sc->err));
		sc->text[0] = '\0';
	}
	return left > 0;
}

/*
 * The greeting, EHLO and TLS as the relay worker would have them
 * (peertls.h: STARTTLS when offered; required, a certificate verified
 * for the host's name), each wait before deadline: 0, or -1 with why in
 * text (a TLS failure: this host is not asked, in clear or at all).
 */
static int
probe_hello(const struct conf *c, struct smtpc *sc, const struct mxhost *host,
	    int required, int64_t deadline, char *text, size_t size)
{
	/* made once per session, at its first probe */
	static struct peertls tls;
	int k;

	if (!(probe_step(sc, deadline) && smtpc_reply(sc) == 220 &&
	      probe_step(sc, deadline) &&
	      smtpc_hello(sc, c->hostname) / 100 == 2 &&
	      probe_step(sc, deadline)))
		goto failed;
	if (!tls.made && (required || (sc->ext & SMTPC_EXT_STARTTLS)))
		peertls_init(&tls, c);
	/* STARTTLS's reply and the handshake share what is left */
	lio_hold_deadline(&sc->lio, 1);
	k = peertls_start(&tls, sc, host->name, required, text, size);
	lio_hold_deadline(&sc->lio, 0);
	if (k < 0)
		return -1;
	if (k == 1 && !(probe_step(sc, deadline) &&
			smtpc_hello(sc, c->hostname) / 100 == 2 &&
			probe_step(sc, deadline)))
		goto failed;
	return 0;
failed:
	strlcpy(text,
		sc->err[0]    ? sc->err
		: sc->text[0] ? sc->text
			      : "probe timed out",
		size);
	return -1;
}

/* ask the first of mr's hosts that greets (as the relay worker
 * would deliver: mxroute.h; in TLS as it would, probe_hello), all
 * before deadline; its RCPT reply code (its text in text), or -1 when
 * none could be asked (why in text); the host in where */
static int
verify_probe(const struct conf *c, const struct mxroute *mr, int required,
	     const char *addr, int64_t deadline, char *text, size_t size,
	     char *where, size_t wsize)
{
	struct smtpc sc;
	int code = -1, h, left;

	for (h = 0; h < mr->nhosts && code < 0; h++) {
		if ((left = verify_left(deadline)) == 0) {
			strlcpy(text, "probe timed out", size);
			break;
		}
		mxhost_where(&mr->hosts[h], where, wsize);
		/* whole seconds: at most one more than is left */
		if (smtpc_connect(&sc, mr->hosts[h].addr, mr->hosts[h].port,
				  (left + 999) / 1000, NULL) < 0) {
			strlcpy(text, sc.err, size);
			continue;
		}
		if (probe_hello(c, &sc, &mr->hosts[h], required, deadline,
				text, size) < 0) {
			if (!sc.broken && sc.code > 0 &&
			    probe_step(&sc, deadline))
				smtpc_cmd(&sc, "QUIT");
		} else if (smtpc_cmd(&sc, "MAIL FROM:<>") / 100 == 2 &&
			   probe_step(&sc, deadline)) {
			code = smtpc_cmd(&sc, "RCPT TO:<%s>", addr);
			strlcpy(text, sc.text, size);
			if (probe_step(&sc, deadline))
				smtpc_cmd(&sc, "RSET");
			if (probe_step(&sc, deadline))
				smtpc_cmd(&sc, "QUIT");
		} else
			strlcpy(text,
				sc.err[0]    ? sc.err
				: sc.text[0] ? sc.text
					     : "probe timed out",
				size);
		smtpc_close(&sc);
	}
	return code;
}

int
verify_rcpt(struct smtp_session *s, const struct rcpt *r)
{
	const struct conf *c = &s->d->conf;
	const struct route *rt = conf_route(c, r->addr.domain);
	struct mxroute mr;
	char text[600] = "", where[300] = "none", *nl;
	int code;

	if (!c->verify_recipients || r->addr.literal || rt == NULL)
		return 0;
	/* text: the peer and the first line of its answer, as Postfix
	 * quotes it ("HOST said: ..."); cached so */
	if ((code = cache_get(c, r->text, text, sizeof(text))) == 0) {
		char answer[sizeof(text)] = "";
		/* one deadline for the lookup and every host asked: a probe
		 * that runs out leaves the recipient accepted */
		int64_t deadline = now_ms() + (int64_t)c->verify_timeout * 1000;
		int found;
		/* a domain that cannot be looked up now is left to the
		 * relay, as an unreachable peer is; one that never will be
		 * (NXDOMAIN, null MX, no route: mxroute.h) is refused */
		found = mxroute_lookup(c, r->addr.domain, deadline, &mr,
				       answer, sizeof(answer));
		if (found != 0)
			code = found >= 500 ? found : -1;
		else
			code = verify_probe(c, &mr, rt->tls, r->text, deadline,
					    answer, sizeof(answer), where,
					    sizeof(where));
		if ((nl = strchr(answer, '\n')) != NULL)
			*nl = '\0';
		snprintf(text, sizeof(text), "%s%s%.200s",
			 code > 0 && found == 0 ? where : "",
			 code > 0 && found == 0 ? " said: " : "", answer);
		if (code >= 200 && code < 300)
			cache_put(c, r->text, code, "");
		else if (code >= 500)
			cache_put(c, r->text, code, text);
	}
	log_info("%s: verify to=<%s> code=%d relay=%s%s%s%s", s->qid,
		 log_value(r->text), code, where, text[0] ? " (" : "", text,
		 text[0] ? ")" : "");
	if (code >= 500) {
		smtp_reject(s, r->text,
			    "550 5.1.1 <%s>: Recipient address rejected: "
			    "undeliverable address: %s",
			    r->text, text);
		return -1;
	}
	return 0;
}
