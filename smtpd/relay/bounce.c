/*
 * bounce.c - see bounce.h.  A notice is composed into an unlinked spool
 * file and handed to deliver(), like any message: into the sender's
 * Maildir if the sender is local, into the queue otherwise.
 *
 * The report (RFC 3464, RFC 6522), for each notice:
 *   multipart/report; report-type=delivery-status
 *     text/plain               what happened, one line per recipient
 *     message/delivery-status  Reporting-MTA, X-Smtpd-Queue-ID,
 *                              X-Smtpd-Sender, Arrival-Date; then per
 *                              recipient Final-Recipient, Action, Status,
 *                              Remote-MTA, Diagnostic-Code,
 *                              Last-Attempt-Date (Will-Retry-Until when
 *                              delayed)
 *     text/rfc822-headers      the original header block, whole lines,
 *                              at most BOUNCE_HEADERS_MAX bytes
 * Status is the enhanced code (RFC 3463) of the reply that decided it,
 * else X.0.0, its class that of the action (5 failed, 4 delayed); a
 * recipient expired in the queue is 5.4.7.  Diagnostic-Code is "smtp;"
 * and the peer's reply when a peer replied (the text after "said: " in
 * the worker's error), else "X-Smtpd;" and our own error (as Postfix's
 * X-Postfix type): a connection refused or no route is told too.
 *
 * The MIME boundary cannot occur in the content: every line of the
 * first two parts starts with a fixed text of ours or "<" (the variable
 * texts are written as single lines of printable ASCII, put_clean), so
 * none starts with "--"; the quoted headers, which could hold anything,
 * are searched and the boundary changed until it is not among them.
 * It relies on the worker's error texts (worker.c, rcpt_result) and the
 * envelope's created, last_try, warned and remote fields (queue_env.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "aliases.h"
#include "expand.h"

#include "relay/bounce.h"
#include "store/deliver.h"
#include "store/queue.h"
#include "store/spool.h"

#define BOUNCE_HEADERS_MAX (64 * 1024)
/* RFC 2046 §5.1.1: a boundary is at most 70 characters */
#define BOUNDARY_MAX 71

enum notice { NOTICE_FAILED, NOTICE_DELAYED };

/* RFC 5322 §2.1.1: a line is at most 998 octets without its CRLF */
#define QUOTED_LINE_MAX 998

/*
 * the original's header block: LF-terminated lines a strict peer takes
 * (a line cut at QUOTED_LINE_MAX octets, a NUL or a CR as '?': the
 * queued text's lines end in LF alone, so any CR in it is bare)
 */
struct quoted {
	char *text;
	size_t len;
	int cut;      /* longer than BOUNCE_HEADERS_MAX: the rest left out */
	int eightbit; /* a byte above 127 in it */
};

/* read the header block of the original (up to the empty line) */
static void
quoted_read(struct quoted *h, int datafd)
{
	char buf[8192];
	size_t i, last_line = 0, col = 0;
	off_t off = 0;
	int bol = 1;

	memset(h, 0, sizeof(*h));
	h->text = xmalloc(BOUNCE_HEADERS_MAX + 1);
	for (;;) {
		ssize_t n = pread(datafd, buf, sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < (size_t)n; i++) {
			char ch = buf[i];
			if (bol && ch == '\n')
				return;
			if (ch != '\n' && col == QUOTED_LINE_MAX)
				continue; /* the rest of a long line */
			if (h->len == BOUNCE_HEADERS_MAX) {
				/* keep whole lines only */
				h->len = last_line;
				h->cut = 1;
				return;
			}
			if (ch == '\0' || ch == '\r')
				ch = '?';
			h->text[h->len++] = ch;
			h->eightbit |= (unsigned char)ch > 127;
			bol = ch == '\n';
			col = bol ? 0 : col + 1;
			if (bol)
				last_line = h->len;
		}
		off += n;
	}
	if (!bol)
		h->text[h->len++] = '\n'; /* room: the + 1 */
}

/* needle in the n bytes at hay (which may hold NULs) */
static int
contains(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; k <= n && i <= n - k; i++)
		if (memcmp(hay + i, needle, k) == 0)
			return 1;
	return 0;
}

/*
 * A boundary the quoted headers do not contain: "QID.N/HOST".  At one
 * place in them at most one N matches, so one of the first len + 1 is
 * free.  It fits: a queue id is 18 characters, 18 + 1 + 10 + 1 + 40 is
 * 70.
 */
static void
choose_boundary(char *b, const char *qid, const char *host,
		const struct quoted *h)
{
	unsigned n;

	for (n = 0;; n++) {
		snprintf(b, BOUNDARY_MAX, "%s.%u/%.40s", qid, n, host);
		if (!contains(h->text, h->len, b))
			return;
	}
}

/* s as one line of printable US-ASCII: any other byte becomes '?' */
static void
put_clean(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(*s >= ' ' && *s <= '~' ? *s : '?', out);
}

/* the reply a peer gave, inside the worker's error text; or NULL */
static const char *
peer_reply(const char *error)
{
	const char *p = strstr(error, " said: ");

	return p ? p + strlen(" said: ") : NULL;
}

/* the length of an RFC 3463 code "C.S.D" at s (then a blank or the
 * end), or 0 */
static size_t
enhanced_code(const char *s)
{
	size_t n = 0, k;
	int part;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return 0;
	n = 1;
	for (part = 0; part < 2; part++) {
		if (s[n++] != '.')
			return 0;
		k = strspn(s + n, "0123456789");
		if (k < 1 || k > 3)
			return 0;
		n += k;
	}
	return s[n] == '\0' || s[n] == ' ' ? n : 0;
}

/* the Status of q in a notice of this kind (see the top) */
static void
rcpt_status(const struct qrcpt *q, enum notice kind, char *buf, size_t size)
{
	const char *text = peer_reply(q->error);
	size_t n = 0;

	if (kind == NOTICE_FAILED &&
	    strncmp(q->error, BOUNCE_EXPIRED, strlen(BOUNCE_EXPIRED)) == 0) {
		strlcpy(buf, "5.4.7", size);
		return;
	}
	if (text == NULL)
		text = q->error; /* ours, as "554 5.4.4 no route ..." */
	/* a reply: three digits, a blank (or '-'), the enhanced code */
	if (strspn(text, "0123456789") == 3 &&
	    (text[3] == ' ' || text[3] == '-'))
		n = enhanced_code(text + 4);
	if (n > 0 && n < size) {
		memcpy(buf, text + 4, n);
		buf[n] = '\0';
	} else
		strlcpy(buf, "X.0.0", size);
	buf[0] = kind == NOTICE_FAILED ? '5' : '4';
}

/* the host name part of a remote field, "HOST [ADDR]:PORT" or
 * "HOST:PORT", into buf ("" when remote is) */
static void
remote_host(const char *remote, char *buf, size_t size)
{
	const char *end = strstr(remote, " [");
	size_t n;

	if (end == NULL) {
		end = strrchr(remote, ':');
		if (end == NULL || end[1] == '\0' ||
		    end[1 + strspn(end + 1, "0123456789")] != '\0')
			end = remote + strlen(remote);
	}
	n = (size_t)(end - remote);
	if (n >= size)
		n = size - 1;
	memcpy(buf, remote, n);
	buf[n] = '\0';
}

/* a number of seconds as words: "4 hours", "5 days", "2 seconds" */
static void
duration_words(char *buf, size_t size, long long secs)
{
	static const struct {
		long long secs;
		const char *unit;
	} units[] = {{86400, "day"}, {3600, "hour"}, {60, "minute"}};
	size_t i;
	long long n = secs;
	const char *unit = "second";

	for (i = 0; i < nitems(units); i++)
		if (secs >= units[i].secs) {
			n = secs / units[i].secs;
			unit = units[i].unit;
			break;
		}
	snprintf(buf, size, "%lld %s%s", n, unit, n == 1 ? "" : "s");
}

/* is q one the notice of this kind is about */
static int
about(const struct qrcpt *q, enum notice kind)
{
	return q->state == (kind == NOTICE_FAILED ? QR_FAILED : QR_PENDING);
}

static void
human_part(FILE *out, const struct conf *c, const struct envelope *env,
	   enum notice kind, const struct quoted *h)
{
	char queued[64], lifetime[64];
	int i;

	fprintf(out, "This is the mail system at host %s.\n\n", c->hostname);
	if (kind == NOTICE_FAILED)
		fprintf(out,
			"I'm sorry to have to inform you that your message "
			"(queue id %s)\n"
			"could not be delivered to one or more recipients:\n\n",
			env->id);
	else {
		duration_words(queued, sizeof(queued), c->delay_warning);
		duration_words(lifetime, sizeof(lifetime), c->queue_lifetime);
		fprintf(out,
			"This is a warning only: you need not send your "
			"message again.\n\n"
			"Your message (queue id %s) has not been delivered "
			"to\n"
			"the recipients below for %s or more.  It will be "
			"tried\n"
			"again until it is %s old, and you will be told if "
			"it\n"
			"cannot be delivered by then:\n\n",
			env->id, queued, lifetime);
	}
	for (i = 0; i < env->nrcpt; i++) {
		const struct qrcpt *q = &env->rcpts[i];
		if (!about(q, kind))
			continue;
		fputc('<', out);
		put_clean(out, q->addr);
		fputs(">: ", out);
		if (q->error[0])
			put_clean(out, q->error);
		else
			fputs(kind == NOTICE_FAILED ? "delivery failed"
						    : "not delivered yet",
			      out);
		fputc('\n', out);
	}
	fprintf(out, "\nThe delivery report and the headers of your message "
		     "are attached.\n");
	if (h->cut)
		fprintf(out, "The headers were cut at %d KiB.\n",
			BOUNCE_HEADERS_MAX / 1024);
}

static void
status_part(FILE *out, const struct conf *c, const struct envelope *env,
	    enum notice kind)
{
	char date[64], status[16], host[300];
	const char *reply;
	int i;

	rfc5322_date(date, sizeof(date), env->created);
	fprintf(out, "Reporting-MTA: dns; %s\nX-Smtpd-Queue-ID: %s\n",
		c->hostname, env->id);
	fputs("X-Smtpd-Sender: rfc822; ", out);
	put_clean(out, env->sender);
	fprintf(out, "\nArrival-Date: %s\n", date);
	for (i = 0; i < env->nrcpt; i++) {
		const struct qrcpt *q = &env->rcpts[i];
		if (!about(q, kind))
			continue;
		fputs("\nFinal-Recipient: rfc822; ", out);
		put_clean(out, q->addr);
		rcpt_status(q, kind, status, sizeof(status));
		fprintf(out, "\nAction: %s\nStatus: %s\n",
			kind == NOTICE_FAILED ? "failed" : "delayed", status);
		remote_host(q->remote, host, sizeof(host));
		if (host[0]) {
			fputs("Remote-MTA: dns; ", out);
			put_clean(out, host);
			fputc('\n', out);
		}
		if ((reply = peer_reply(q->error)) != NULL) {
			fputs("Diagnostic-Code: smtp; ", out);
			put_clean(out, reply);
			fputc('\n', out);
		} else if (q->error[0]) {
			fputs("Diagnostic-Code: X-Smtpd; ", out);
			put_clean(out, q->error);
			fputc('\n', out);
		}
		if (env->last_try > 0) {
			rfc5322_date(date, sizeof(date), env->last_try);
			fprintf(out, "Last-Attempt-Date: %s\n", date);
		}
		if (kind == NOTICE_DELAYED) {
			rfc5322_date(date, sizeof(date),
				     env->created + (time_t)c->queue_lifetime);
			fprintf(out, "Will-Retry-Until: %s\n", date);
		}
	}
}

/* the whole notice, headers and the three parts, into out */
static void
compose(FILE *out, const struct conf *c, const struct envelope *env,
	enum notice kind, const struct quoted *h, const char *qid)
{
	char date[64], boundary[BOUNDARY_MAX];
	const char *cte = h->eightbit ? "8bit" : "7bit";

	choose_boundary(boundary, qid, c->hostname, h);
	rfc5322_date(date, sizeof(date), time(NULL));
	fprintf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\nTo: <",
		c->hostname);
	put_clean(out, env->sender);
	fprintf(out,
		">\n"
		"Subject: %s\n"
		"Date: %s\n"
		"Message-ID: <%s.%s@%s>\n"
		"Auto-Submitted: auto-replied\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/report; report-type=delivery-status;\n"
		"\tboundary=\"%s\"\n"
		"Content-Transfer-Encoding: %s\n"
		"\n"
		"This is a MIME-encapsulated message.\n"
		"\n"
		"--%s\n"
		"Content-Description: %s\n"
		"Content-Type: text/plain; charset=us-ascii\n"
		"\n",
		kind == NOTICE_FAILED ? "Undelivered Mail Returned to Sender"
				      : "Delayed Mail (still being retried)",
		date, qid, kind == NOTICE_FAILED ? "bounce" : "delay",
		c->hostname, boundary, cte, boundary,
		kind == NOTICE_FAILED ? "Notification" : "Delay notification");
	human_part(out, c, env, kind, h);
	fprintf(out,
		"\n--%s\n"
		"Content-Description: Delivery report\n"
		"Content-Type: message/delivery-status\n"
		"\n",
		boundary);
	status_part(out, c, env, kind);
	fprintf(out,
		"\n--%s\n"
		"Content-Description: %s message headers\n"
		"Content-Type: text/rfc822-headers\n"
		"Content-Transfer-Encoding: %s\n"
		"\n",
		boundary, kind == NOTICE_FAILED ? "Undelivered" : "Delayed",
		cte);
	fwrite(h->text, 1, h->len, out);
	fprintf(out, "\n--%s--\n", boundary);
}

/*
 * Compose the notice of this kind for env and deliver it to the sender.
 * 0 when delivered or queued, or when there is nobody to tell; -1 to
 * be tried again later.
 */
static int
notice_send(struct smtpd *d, const struct envelope *env, int datafd,
	    enum notice kind)
{
	const struct conf *c = &d->conf;
	struct mailaddr sender;
	struct expansion x;
	struct delivery dv;
	struct spool sp;
	struct quoted h;
	char qid[24];
	const char **rcpt, **dto;
	int *local, fd, i, r = -1;
	FILE *out = NULL;

	if (addr_parse_mailbox(env->sender, &sender) < 0) {
		log_warnx("%s: sender <%s> unusable: no notice", env->id,
			  env->sender);
		return 0;
	}
	/*
	 * Where the sender's mail goes, as RCPT would say (expand.h): the
	 * account, or through the aliases file, user+tag, the catch-all or
	 * postmaster; a remote sender is its own target.  The relay child's
	 * tables are from its start: see what was added since.
	 */
	passwd_refresh(&d->accounts);
	aliases_refresh(&d->aliases);
	expand_address(d, &sender, &x);
	if (x.n == 0) {
		log_warnx("%s: sender <%s> has no mailbox: no notice", env->id,
			  env->sender);
		expand_free(&x);
		return 0;
	}
	rcpt = xcalloc((size_t)x.n, sizeof(*rcpt));
	dto = xcalloc((size_t)x.n, sizeof(*dto));
	local = xcalloc((size_t)x.n, sizeof(*local));
	for (i = 0; i < x.n; i++) {
		rcpt[i] = x.v[i].addr;
		dto[i] = x.v[i].delivered_to;
		local[i] = x.v[i].local;
	}
	if ((fd = spool_create(c)) < 0 || (out = fdopen(fd, "w+")) == NULL) {
		log_warn("%s: notice spool", env->id);
		if (fd >= 0)
			close(fd);
		goto done;
	}
	queue_new_id(qid, sizeof(qid));
	quoted_read(&h, datafd);
	compose(out, c, env, kind, &h, qid);
	free(h.text);
	if (fflush(out) != 0 || ferror(out)) {
		log_warn("%s: notice spool write", env->id);
		goto done;
	}
	memset(&dv, 0, sizeof(dv));
	dv.d = d;
	dv.qid = qid;
	dv.sender = "";
	dv.helo = NULL;
	dv.proto = "local";
	dv.rcpts = rcpt;
	dv.local = local;
	dv.delivered_to = dto;
	dv.nrcpt = x.n;
	sp.fd = fd;
	sp.start = 0;
	sp.size = ftello(out);
	sp.owner = -1;
	sp.owner_tx.state = 0;
	r = deliver(&dv, &sp);
	if (r == 0)
		log_info("%s: sender %s notification: %s", env->id,
			 kind == NOTICE_FAILED ? "non-delivery" : "delay", qid);
done:
	if (out != NULL)
		fclose(out);
	free(rcpt);
	free(dto);
	free(local);
	expand_free(&x);
	return r;
}

int
bounce_send(struct smtpd *d, const struct envelope *env, int datafd)
{
	int i, nfailed = 0;

	for (i = 0; i < env->nrcpt; i++)
		nfailed += about(&env->rcpts[i], NOTICE_FAILED);
	if (nfailed == 0)
		return 0;
	if (env->sender[0] == '\0') {
		log_info("%s: a bounce could not be delivered; not bouncing it",
			 env->id);
		return 0;
	}
	return notice_send(d, env, datafd, NOTICE_FAILED);
}

int
bounce_delay_notice(struct smtpd *d, struct envelope *env, int datafd,
		    time_t now)
{
	const struct conf *c = &d->conf;
	int i, npending = 0;

	for (i = 0; i < env->nrcpt; i++)
		npending += about(&env->rcpts[i], NOTICE_DELAYED);
	/* never for the null sender: nobody to tell, and no notice loops */
	if (npending == 0 || c->delay_warning == 0 || env->warned ||
	    env->sender[0] == '\0' || now - env->created < c->delay_warning)
		return 0;
	if (notice_send(d, env, datafd, NOTICE_DELAYED) < 0) {
		log_warnx("%s: delay notice not sent: tried again after the "
			  "next attempt",
			  env->id);
		return -1;
	}
	env->warned = 1;
	if (queue_env_write(c->queue, env) < 0) {
		log_warnx("%s: delay notice sent but not recorded: it may be "
			  "sent again",
			  env->id);
		return -1;
	}
	return 0;
}
