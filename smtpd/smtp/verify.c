/*
 * verify.c - recipient verification at RCPT time (verify_recipients):
 * a remote recipient is checked with the peer its route names, by
 * MAIL FROM:<> / RCPT TO / RSET (as Postfix's reject_unverified_recipient
 * does with its probes).  A peer's 5xx becomes our 550 5.1.1 so the user
 * learns at once; a 4xx or a peer that cannot be reached leaves the
 * recipient accepted and queued.  Definite answers (2xx, 5xx) are cached
 * for verify_cache seconds in the queue's verify/ directory, one small
 * file per address, shared by all session children.
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

#include "smtp/reply.h"
#include "smtp/verify.h"

#define VERIFY_TIMEOUT 30

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

/* ask the peer; its RCPT reply code (its text in text), or -1 when it
 * could not be asked (why in text) */
static int
verify_probe(const struct conf *c, const struct route *rt, const char *addr,
	     char *text, size_t size)
{
	struct smtpc sc;
	int code = -1;
	int timeout = c->timeout < VERIFY_TIMEOUT ? c->timeout : VERIFY_TIMEOUT;

	if (smtpc_connect(&sc, rt->host, rt->port, timeout, NULL) < 0) {
		strlcpy(text, sc.err, size);
		return -1;
	}
	if (smtpc_reply(&sc) == 220 && smtpc_hello(&sc, c->hostname) / 100 == 2 &&
	    smtpc_cmd(&sc, "MAIL FROM:<>") / 100 == 2) {
		code = smtpc_cmd(&sc, "RCPT TO:<%s>", addr);
		strlcpy(text, sc.text, size);
		smtpc_cmd(&sc, "RSET");
		smtpc_cmd(&sc, "QUIT");
	} else
		strlcpy(text, sc.err, size);
	smtpc_close(&sc);
	return code;
}

int
verify_rcpt(struct smtp_session *s, const struct rcpt *r)
{
	const struct conf *c = &s->d->conf;
	const struct route *rt;
	char text[600] = "", *nl;
	int code;

	if (!c->verify_recipients || r->addr.literal ||
	    (rt = conf_route(c, r->addr.domain)) == NULL)
		return 0;
	if ((code = cache_get(c, r->text, text, sizeof(text))) == 0) {
		code = verify_probe(c, rt, r->text, text, sizeof(text));
		if (code >= 200 && code < 300)
			cache_put(c, r->text, code, "");
		else if (code >= 500)
			cache_put(c, r->text, code, text);
	}
	/* name the peer and quote its first line, as Postfix does */
	if ((nl = strchr(text, '\n')) != NULL)
		*nl = '\0';
	log_info("%s: verify to=<%s> code=%d relay=%s:%s%s%s%s", s->qid,
		 log_value(r->text), code, rt->host, rt->port, text[0] ? " (" : "", text,
		 text[0] ? ")" : "");
	if (code >= 500) {
		smtp_reject(s, r->text,
			    "550 5.1.1 <%s>: Recipient address rejected: "
			    "undeliverable address: %s:%s said: %.200s",
			    r->text, rt->host, rt->port, text);
		return -1;
	}
	return 0;
}
