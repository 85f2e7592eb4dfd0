/*
 * session.c - the SMTP session (RFC 5321) as a table of commands (after
 * qmail's smtpd and Postfix's smtpd_cmd table): each row names the
 * verb, its handler and the states it is allowed in; one generic check
 * answers "503 5.5.2 ..." from the current state, so no handler repeats
 * sequence checks.  DATA reception is in data.c, AUTH in auth.c, the
 * RCPT-time probe in verify.c, the replies in reply.c.  Every read goes
 * through lineio: bounded and timed.
 *
 * TLS: STARTTLS (RFC 3207) on smtp and submission listeners when the
 * master holds a key pair (d->tls), and smtps listeners (RFC 8314) that
 * shake hands before the banner; both through lineio (lio_tls_start),
 * which drops whatever the client pipelined behind STARTTLS.
 */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "conf_lookup.h"
#include "expand.h"
#include "sesstls.h"

#include "smtp/auth.h"
#include "smtp/data.h"
#include "smtp/reply.h"
#include "smtp/session.h"
#include "smtp/verify.h"
#include "store/queue.h"

struct smtp_cmd {
	const char *verb;
	void (*handler)(struct smtp_session *, char *);
	unsigned states;
};

static void smtp_cmd_helo(struct smtp_session *, char *);
static void smtp_cmd_ehlo(struct smtp_session *, char *);
static void smtp_cmd_mail(struct smtp_session *, char *);
static void smtp_cmd_rcpt(struct smtp_session *, char *);
static void smtp_cmd_data(struct smtp_session *, char *);
static void smtp_cmd_rset(struct smtp_session *, char *);
static void smtp_cmd_noop(struct smtp_session *, char *);
static void smtp_cmd_help(struct smtp_session *, char *);
static void smtp_cmd_vrfy(struct smtp_session *, char *);
static void smtp_cmd_quit(struct smtp_session *, char *);
static void smtp_cmd_starttls(struct smtp_session *, char *);

static const struct smtp_cmd smtp_cmds[] = {
	{"HELO", smtp_cmd_helo, S_ANY},
	{"EHLO", smtp_cmd_ehlo, S_ANY},
	{"MAIL", smtp_cmd_mail, S_GREETED},
	{"RCPT", smtp_cmd_rcpt, S_MAIL | S_RCPT},
	{"DATA", smtp_cmd_data, S_RCPT},
	{"AUTH", smtp_cmd_auth, S_GREETED},
	{"RSET", smtp_cmd_rset, S_ANY},
	{"NOOP", smtp_cmd_noop, S_ANY},
	{"HELP", smtp_cmd_help, S_ANY},
	{"VRFY", smtp_cmd_vrfy, S_ANY},
	{"QUIT", smtp_cmd_quit, S_ANY},
	{"STARTTLS", smtp_cmd_starttls, S_ANY}, /* its own checks */
	{NULL, NULL, 0}};

/* the "bad sequence" reply for each state (DESIGN.md §2) */
static const char *
smtp_sequence_text(enum smtp_state st)
{
	switch (st) {
	case S_INIT:
		return "Send hello first";
	case S_GREETED:
		return "Need mail command";
	case S_MAIL:
		return "Need rcpt command";
	default:
		return "Need data command";
	}
}

/* a host name or address literal as HELO/EHLO argument: printable, no blanks */
static int
smtp_helo_ok(const char *arg)
{
	const char *p;

	if (*arg == '\0' || strlen(arg) >= 256)
		return 0;
	for (p = arg; *p; p++)
		if (*p <= ' ' || *p > '~')
			return 0;
	return 1;
}

static void
smtp_cmd_helo(struct smtp_session *s, char *arg)
{
	if (!smtp_helo_ok(arg)) {
		smtp_reply(s, "501 5.5.4 Syntax: HELO hostname");
		return;
	}
	strlcpy(s->helo, arg, sizeof(s->helo));
	s->esmtp = 0;
	s->state = S_GREETED;
	smtp_reset(s);
	smtp_reply(s, "250 Hello %s", s->helo);
}

static void
smtp_cmd_ehlo(struct smtp_session *s, char *arg)
{
	if (!smtp_helo_ok(arg)) {
		smtp_reply(s, "501 5.5.4 Syntax: EHLO hostname");
		return;
	}
	strlcpy(s->helo, arg, sizeof(s->helo));
	s->esmtp = 1;
	s->state = S_GREETED;
	smtp_reset(s);
	smtp_reply(s, "250-%s Hello %s", s->d->conf.hostname, s->helo);
	smtp_reply(s, "250-PIPELINING");
	smtp_reply(s, "250-SIZE %lld", s->d->conf.max_message_size);
	smtp_reply(s, "250-8BITMIME");
	if (!sesstls_offered(s->d, &s->lio)) {
		smtp_reply(s, "250%sENHANCEDSTATUSCODES",
			   auth_offered(s) ? "-" : " ");
	} else {
		smtp_reply(s, "250-ENHANCEDSTATUSCODES");
		smtp_reply(s, "250%sSTARTTLS", auth_offered(s) ? "-" : " ");
	}
	if (auth_offered(s))
		smtp_reply(s, "250 AUTH PLAIN LOGIN");
}

/* "FROM:" / "TO:" then a path; returns what follows the path */
static const char *
smtp_path_arg(const char *arg, const char *kw, struct mailaddr *a)
{
	size_t kl = strlen(kw);

	if (!str_iprefix(arg, kw))
		return NULL;
	return addr_parse_path(arg + kl, a);
}

/* MAIL parameters (RFC 1870 SIZE, RFC 6152 BODY, RFC 4954 AUTH) */
static int
smtp_mail_params(struct smtp_session *s, const char *p)
{
	char word[128];

	while (*p) {
		size_t n;
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, " ");
		if (n >= sizeof(word)) {
			smtp_reply(s, "501 5.5.4 Bad MAIL parameter");
			return -1;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		if (str_iprefix(word, "SIZE=")) {
			char *end;
			long long v;
			errno = 0;
			v = strtoll(word + 5, &end, 10);
			if (errno || *end || end == word + 5 || v < 0) {
				smtp_reply(s, "501 5.5.4 Bad SIZE parameter");
				return -1;
			}
			if (v > s->d->conf.max_message_size) {
				smtp_reply(s, "552 5.3.4 Message size exceeds "
					      "fixed limit");
				return -1;
			}
		} else if (str_ieq(word, "BODY=8BITMIME") ||
			   str_ieq(word, "BODY=7BIT") ||
			   str_iprefix(word, "AUTH=")) {
			/* accepted; nothing to do for a store-and-forward MTA */
		} else {
			smtp_reply(s, "555 5.5.4 Unsupported option: %.60s", word);
			return -1;
		}
	}
	return 0;
}

static void
smtp_cmd_mail(struct smtp_session *s, char *arg)
{
	struct mailaddr a;
	const char *rest;

	if ((rest = smtp_path_arg(arg, "FROM:", &a)) == NULL ||
	    (*rest != '\0' && *rest != ' ')) {
		smtp_reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	if (service_role(s->svc) == SVC_SUBMISSION && !s->authenticated) {
		smtp_reply(s, "530 5.7.0 Authentication required");
		return;
	}
	if (smtp_mail_params(s, rest) < 0)
		return;
	if (addr_format(&a, s->from_text, sizeof(s->from_text)) < 0) {
		smtp_reply(s, "501 5.1.7 Bad sender address syntax");
		return;
	}
	if (s->authenticated && !str_ieq(s->from_text, s->auth_user)) {
		smtp_reply(s, "553 5.7.1 <%s>: Sender address rejected: not "
			      "owned by user %s",
			   s->from_text, s->auth_user);
		s->from_text[0] = '\0';
		return;
	}
	s->from = a;
	queue_new_id(s->qid, sizeof(s->qid));
	s->state = S_MAIL;
	smtp_reply(s, "250 2.1.0 Sender OK");
}

/*
 * RCPT TO:<Postmaster>, no domain (RFC 5321 §4.5.1: any case, and it
 * MUST be accepted) is postmaster@ the first local domain: what follows
 * it, with a filled in; NULL when arg is not that.
 */
static const char *
smtp_bare_postmaster(const struct smtp_session *s, const char *arg,
		     struct mailaddr *a)
{
	const struct conf *c = &s->d->conf;

	if (!str_iprefix(arg, "TO:"))
		return NULL;
	for (arg += 3; *arg == ' '; arg++)
		;
	if (!str_iprefix(arg, "<postmaster>") || c->ndomains == 0)
		return NULL;
	memset(a, 0, sizeof(*a));
	strlcpy(a->local, "postmaster", sizeof(a->local));
	strlcpy(a->domain, c->domains[0], sizeof(a->domain));
	return arg + strlen("<postmaster>");
}

/* is it in the transaction already */
static int
smtp_rcpt_has(const struct smtp_session *s, const char *text)
{
	int i;

	for (i = 0; i < s->nrcpt; i++)
		if (str_ieq(s->rcpts[i].text, text))
			return 1;
	return 0;
}

static void
smtp_rcpt_add(struct smtp_session *s, const struct rcpt *r)
{
	if (smtp_rcpt_has(s, r->text))
		return;
	s->rcpts = xreallocarray(s->rcpts, (size_t)s->nrcpt + 1,
				 sizeof(*s->rcpts));
	s->rcpts[s->nrcpt++] = *r;
}

/* the transaction's limit: max_recipients, and what the queue holds */
static int
smtp_rcpt_limit(const struct smtp_session *s)
{
	return s->d->conf.max_recipients < QUEUE_RCPT_MAX
		   ? s->d->conf.max_recipients
		   : QUEUE_RCPT_MAX;
}

/*
 * A recipient in a local domain: its targets (expand.h) join the
 * transaction, all of them or none.  0, or -1 when refused (answered).
 */
static int
smtp_rcpt_local(struct smtp_session *s, const struct rcpt *r)
{
	struct expansion x;
	struct rcpt t;
	int i, nnew = 0, limit = smtp_rcpt_limit(s), ret = -1;

	passwd_refresh(&s->d->accounts);
	aliases_refresh(&s->d->aliases);
	expand_address(s->d, &r->addr, &x);
	for (i = 0; i < x.n; i++)
		nnew += !smtp_rcpt_has(s, x.v[i].addr);
	if (x.too_big)
		smtp_reject(s, r->text,
			    "550 5.3.0 <%s>: Recipient address rejected: alias "
			    "expansion too large",
			    r->text);
	else if (x.n == 0 && x.loops)
		smtp_reject(s, r->text,
			    "550 5.4.6 <%s>: Recipient address rejected: alias "
			    "loop",
			    r->text);
	else if (x.n == 0)
		smtp_reject(s, r->text,
			    "550 5.1.1 <%s>: Recipient address rejected: User "
			    "unknown",
			    r->text);
	else if (nnew > limit) /* never fits: no use trying again */
		smtp_reject(s, r->text,
			    "550 5.5.3 <%s>: Recipient address rejected: it "
			    "expands to more than %d recipients",
			    r->text, limit);
	else if (nnew > limit - s->nrcpt)
		smtp_reject(s, r->text, "452 4.5.3 Too many recipients");
	else
		ret = 0;
	for (i = 0; ret == 0 && i < x.n; i++) {
		memset(&t, 0, sizeof(t));
		if (addr_parse_mailbox(x.v[i].addr, &t.addr) < 0)
			continue; /* made by addr_format: not expected */
		strlcpy(t.text, x.v[i].addr, sizeof(t.text));
		strlcpy(t.delivered_to, x.v[i].delivered_to,
			sizeof(t.delivered_to));
		t.local = x.v[i].local;
		smtp_rcpt_add(s, &t);
		if (x.aliased)
			log_debug("%s: <%s> -> <%s>", s->qid,
				  log_value(r->text), log_value(t.text));
	}
	if (ret == 0 && x.aliased)
		log_info("%s: to=<%s> expands to %d address%s", s->qid,
			 log_value(r->text), x.n, x.n == 1 ? "" : "es");
	expand_free(&x);
	return ret;
}

static void
smtp_cmd_rcpt(struct smtp_session *s, char *arg)
{
	struct rcpt r;
	const char *rest;

	memset(&r, 0, sizeof(r));
	if ((rest = smtp_bare_postmaster(s, arg, &r.addr)) == NULL &&
	    ((rest = smtp_path_arg(arg, "TO:", &r.addr)) == NULL ||
	     r.addr.null)) {
		smtp_reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	while (*rest == ' ')
		rest++;
	if (*rest != '\0') {
		smtp_reply(s, "555 5.5.4 Unsupported option: %.60s", rest);
		return;
	}
	if (addr_format(&r.addr, r.text, sizeof(r.text)) < 0) {
		smtp_reply(s, "501 5.1.3 Bad recipient address syntax");
		return;
	}
	/* the queue's envelope holds at most QUEUE_RCPT_MAX: refuse more
	 * here rather than queue what the relay could not read back */
	if (s->nrcpt >= smtp_rcpt_limit(s)) {
		smtp_reject(s, r.text, "452 4.5.3 Too many recipients");
		return;
	}
	r.local = !r.addr.literal && conf_is_local(&s->d->conf, r.addr.domain);
	if (r.local) {
		if (smtp_rcpt_local(s, &r) < 0)
			return;
	} else if (!s->authenticated &&
		   !conf_relay_client(&s->d->conf, s->client_ip)) {
		smtp_reject(s, r.text, "554 5.7.1 Relay access denied");
		return;
	} else if (verify_rcpt(s, &r) < 0)
		return;
	else {
		strlcpy(r.delivered_to, r.text, sizeof(r.delivered_to));
		smtp_rcpt_add(s, &r);
	}
	s->state = S_RCPT;
	smtp_reply(s, "250 2.1.5 Recipient OK");
}

static void
smtp_cmd_data(struct smtp_session *s, char *arg)
{
	struct msghdr hdr;
	struct incoming *in;
	enum data_result r;

	if (*arg != '\0') {
		smtp_reply(s, "501 5.5.4 Syntax: DATA");
		return;
	}
	smtp_reply(s, "354 Start mail input; end with <CRLF>.<CRLF>");
	in = data_begin(s);
	r = data_receive(s, in, &hdr);
	switch (r) {
	case DATA_LOST:
		s->quit = 1;
		break;
	case DATA_TOO_BIG:
		smtp_reject(s, NULL,
			    "552 5.3.4 Message size exceeds fixed limit");
		break;
	case DATA_IO_ERROR:
		smtp_reply(s, "451 4.3.0 Error: queue file write error");
		break;
	case DATA_OK:
		data_deliver(s, in, &hdr);
		break;
	}
	data_end(in);
	smtp_reset(s);
}

static void
smtp_cmd_rset(struct smtp_session *s, char *arg)
{
	(void)arg;
	smtp_reset(s);
	smtp_reply(s, "250 2.0.0 OK");
}

static void
smtp_cmd_noop(struct smtp_session *s, char *arg)
{
	(void)arg;
	smtp_reply(s, "250 2.0.0 OK");
}

static void
smtp_cmd_help(struct smtp_session *s, char *arg)
{
	(void)arg;
	smtp_reply(s, "214 2.0.0 Commands: HELO EHLO AUTH MAIL RCPT DATA RSET "
		      "NOOP HELP VRFY QUIT");
}

static void
smtp_cmd_vrfy(struct smtp_session *s, char *arg)
{
	(void)arg;
	/* RFC 5321 §3.5.3: 252 when we will not confirm addresses */
	smtp_reply(s, "252 2.5.2 Cannot VRFY user, but will accept message "
		      "and attempt delivery");
}

static void
smtp_cmd_quit(struct smtp_session *s, char *arg)
{
	(void)arg;
	smtp_reply(s, "221 closing connection");
	s->quit = 1;
}

/* sesstls_start() for this session: its tls= text in s->tls */
static int
smtp_tls_start(struct smtp_session *s, const char *what)
{
	return sesstls_start(s->d, &s->lio, s->svc, s->client_ip, what, s->tls,
			     sizeof(s->tls));
}

/*
 * RFC 3207.  Without a key pair it is not a command here, as before
 * TLS existed.  The texts are Postfix's; in a transaction it is refused
 * (503) rather than the transaction silently dropped.  After the
 * handshake the session is as new (§4.2): not greeted, no transaction,
 * no AUTH (the failure count stays: it is ours, not the client's).
 */
static void
smtp_cmd_starttls(struct smtp_session *s, char *arg)
{
	if (s->d->tls == NULL) {
		smtp_reply(s, "500 5.5.1 Unknown command");
		return;
	}
	if (*arg != '\0') {
		smtp_reply(s, "501 5.5.4 Syntax: STARTTLS");
		return;
	}
	if (s->lio.tls != NULL) {
		smtp_reply(s, "554 5.5.1 Error: TLS already active");
		return;
	}
	if (s->state & (S_MAIL | S_RCPT)) {
		smtp_reply(s, "503 5.5.1 Error: MAIL transaction in progress");
		return;
	}
	smtp_reply(s, "220 2.0.0 Ready to start TLS");
	if (smtp_tls_start(s, "STARTTLS") < 0) {
		s->quit = 1;
		return;
	}
	s->state = S_INIT;
	smtp_reset(s);
	s->helo[0] = '\0';
	s->esmtp = 0;
	s->authenticated = 0;
	s->auth_user[0] = '\0';
}

static void
smtp_dispatch(struct smtp_session *s, char *line)
{
	char *arg = lio_command_split(line);
	const struct smtp_cmd *c =
	    lio_command_find(smtp_cmds, sizeof(*smtp_cmds), line);

	s->commands++;
	if (c == NULL)
		smtp_reply(s, "500 5.5.1 Unknown command");
	else if (!(c->states & s->state))
		smtp_reply(s, "503 5.5.2 %s", smtp_sequence_text(s->state));
	else
		c->handler(s, arg);
}

void
smtp_session_run(struct smtpd *d, enum service svc, int rfd, int wfd,
		 const char *client_ip)
{
	struct smtp_session s;

	memset(&s, 0, offsetof(struct smtp_session, lio));
	s.d = d;
	s.svc = svc;
	s.state = S_INIT;
	strlcpy(s.client_ip, client_ip, sizeof(s.client_ip));
	lio_init(&s.lio, rfd, wfd, d->conf.timeout);
	smtp_command_replies(&s);
	s.start_ms = now_ms();
	log_info("connect client=[%s] service=%s", client_ip,
		 service_name(svc));
	/* RFC 8314 §3: the handshake first; in clear not a byte, not even
	 * a 421 (a session started in inetd mode without a key pair) */
	if (service_implicit_tls(svc) && smtp_tls_start(&s, "TLS") < 0)
		s.quit = 1;
	else
		smtp_reply(&s, "220 %s ESMTP ready", d->conf.hostname);
	while (!s.quit) {
		int r = lio_next_command(&s.lio, s.line, sizeof(s.line), &s.cmd);
		if (r == 0)
			continue; /* answered */
		if (r < 0)
			break;
		if (str_iprefix(s.line, "AUTH ") && strchr(s.line + 5, ' '))
			log_debug("%s: < %.*s <credentials hidden>", client_ip,
				  (int)(strchr(s.line + 5, ' ') - s.line),
				  s.line);
		else
			log_debug("%s: < %s", client_ip, s.line);
		smtp_dispatch(&s, s.line);
	}
	lio_flush(&s.lio);
	lio_tls_end(&s.lio);
	lio_wipe_all(&s.lio);
	smtp_reset(&s);
	log_info("disconnect client=[%s] service=%s commands=%d errors=%d "
		 "duration=%.2f%s%s",
		 client_ip, service_name(svc), s.commands, s.errors,
		 (double)(now_ms() - s.start_ms) / 1000, s.tls[0] ? " tls=" : "",
		 s.tls);
}
