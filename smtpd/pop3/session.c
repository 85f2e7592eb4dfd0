/*
 * session.c - the POP3 session (RFC 1939) with CAPA and response codes
 * (RFC 2449), as a table of commands like the SMTP session's: each row
 * names the verb, its handler, the states it is allowed in and how many
 * arguments it takes, so sequence and syntax errors come from one
 * generic check and no handler repeats them.  Logging in is auth.c, RETR
 * and TOP are retr.c, replies are reply.c, the maildrop (Maildir scan,
 * lock, sizes, UIDL, deletion) is maildrop.c; this file holds the loop
 * and the rest of the commands.  APOP is not offered (it needs every
 * password in clear on the server).  Every read goes through lineio: bounded, and timed by
 * pop3_timeout, RFC 1939's autologout timer.
 *
 * TLS (lineio over tlsio.h): with a cert loaded, a pop3 listener offers
 * STLS (RFC 2595 §4) before TLS; a pop3s listener shakes hands before
 * the greeting (RFC 8314 §3.3).  Either handshake is bounded by
 * pop3_timeout like a line, and a failed one ends the session.  What a
 * client pipelined behind STLS is dropped, not executed (lineio).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "util.h"

#include "sesstls.h"

#include "pop3/auth.h"
#include "pop3/reply.h"
#include "pop3/retr.h"
#include "pop3/session.h"

#define POP3_REST (-1) /* the argument is the rest of the line, blanks too */

struct pop3_cmd {
	const char *verb;
	void (*handler)(struct pop3_session *, char *);
	unsigned states;
	/* maxargs POP3_REST: one argument, blanks and all */
	int minargs, maxargs;
	const char *syntax;
};

static void pop3_cmd_capa(struct pop3_session *, char *);
static void pop3_cmd_stls(struct pop3_session *, char *);
static void pop3_cmd_stat(struct pop3_session *, char *);
static void pop3_cmd_list(struct pop3_session *, char *);
static void pop3_cmd_uidl(struct pop3_session *, char *);
static void pop3_cmd_dele(struct pop3_session *, char *);
static void pop3_cmd_rset(struct pop3_session *, char *);
static void pop3_cmd_noop(struct pop3_session *, char *);
static void pop3_cmd_quit(struct pop3_session *, char *);

/* clang-format off */
static const struct pop3_cmd pop3_cmds[] = {
	{"CAPA", pop3_cmd_capa, P_ANY, 0, 0, "CAPA"},
	{"STLS", pop3_cmd_stls, P_AUTH | P_USER, 0, 0, "STLS"},
	{"USER", pop3_cmd_user, P_AUTH | P_USER, 1, POP3_REST, "USER name"},
	{"PASS", pop3_cmd_pass, P_USER, 1, POP3_REST, "PASS password"},
	{"AUTH", pop3_cmd_auth, P_AUTH | P_USER, 0, 2,
	 "AUTH mechanism [initial-response]"},
	{"STAT", pop3_cmd_stat, P_TRANS, 0, 0, "STAT"},
	{"LIST", pop3_cmd_list, P_TRANS, 0, 1, "LIST [msg]"},
	{"UIDL", pop3_cmd_uidl, P_TRANS, 0, 1, "UIDL [msg]"},
	{"TOP", pop3_cmd_top, P_TRANS, 2, 2, "TOP msg lines"},
	{"RETR", pop3_cmd_retr, P_TRANS, 1, 1, "RETR msg"},
	{"DELE", pop3_cmd_dele, P_TRANS, 1, 1, "DELE msg"},
	{"RSET", pop3_cmd_rset, P_TRANS, 0, 0, "RSET"},
	{"NOOP", pop3_cmd_noop, P_TRANS, 0, 0, "NOOP"},
	{"QUIT", pop3_cmd_quit, P_ANY, 0, 0, "QUIT"},
	{NULL, NULL, 0, 0, 0, NULL}};
/* clang-format on */

/* the "wrong state" reply for each state */
static const char *
pop3_sequence_text(enum pop3_state st)
{
	switch (st) {
	case P_AUTH:
		return "Not logged in: USER and PASS, or AUTH, first";
	case P_USER:
		return "Not logged in: PASS expected";
	default:
		return "Already logged in";
	}
}

/* the messages not marked deleted and their total size; -1 replied */
static int
pop3_totals(struct pop3_session *s, size_t *count, long long *total)
{
	size_t i;
	off_t o;

	*count = 0;
	*total = 0;
	for (i = 0; i < s->drop.n; i++) {
		if (s->drop.v[i].deleted)
			continue;
		if (pop3_octets(s, i, &o) < 0)
			return -1;
		(*count)++;
		*total += (long long)o;
	}
	return 0;
}

/*
 * STLS only before TLS (RFC 2595 §4); USER and SASL only where logging
 * in is allowed (auth.c), so a client is not led to send its password in
 * clear
 */
static void
pop3_cmd_capa(struct pop3_session *s, char *arg)
{
	int login = pop3_login_allowed(s);

	(void)arg;
	pop3_reply(s, "+OK Capability list follows");
	lio_puts(&s->lio, "TOP\r\n"
			  "UIDL\r\n");
	if (login)
		lio_puts(&s->lio, "USER\r\n");
	lio_puts(&s->lio, "RESP-CODES\r\n"
			  "AUTH-RESP-CODE\r\n"
			  "PIPELINING\r\n");
	if (sesstls_offered(s->d, &s->lio))
		lio_puts(&s->lio, "STLS\r\n");
	if (login)
		lio_puts(&s->lio, "SASL PLAIN\r\n");
	lio_puts(&s->lio, "IMPLEMENTATION smtpd\r\n"
			  ".\r\n");
}

/* sesstls_start() for this session: its tls= text in s->tls */
static int
pop3_tls_start(struct pop3_session *s, const char *what)
{
	return sesstls_start(s->d, &s->lio, s->svc, s->client_ip, what, s->tls,
			     sizeof(s->tls));
}

/*
 * RFC 2595 §4: in the AUTHORIZATION state only (the table); afterwards
 * the session starts again, with no USER given.  Dovecot's texts.
 */
static void
pop3_cmd_stls(struct pop3_session *s, char *arg)
{
	(void)arg;
	if (s->lio.tls != NULL) {
		pop3_reply(s, "-ERR TLS is already active");
		return;
	}
	pop3_reply(s, "+OK Begin TLS negotiation");
	s->state = P_AUTH;
	s->user[0] = '\0';
	if (pop3_tls_start(s, "STLS") < 0)
		s->quit = 1;
}

static void
pop3_cmd_stat(struct pop3_session *s, char *arg)
{
	size_t count;
	long long total;

	(void)arg;
	if (pop3_totals(s, &count, &total) == 0)
		pop3_reply(s, "+OK %zu %lld", count, total);
}

static void
pop3_cmd_list(struct pop3_session *s, char *arg)
{
	size_t i, count;
	long long total;
	off_t o;

	if (*arg != '\0') {
		if (pop3_msgno(s, arg, &i) == 0 && pop3_octets(s, i, &o) == 0)
			pop3_reply(s, "+OK %zu %lld", i + 1, (long long)o);
		return;
	}
	if (pop3_totals(s, &count, &total) < 0)
		return;
	pop3_reply(s, "+OK %zu message%s (%lld octets)", count,
		   count == 1 ? "" : "s", total);
	for (i = 0; i < s->drop.n; i++)
		if (!s->drop.v[i].deleted)
			lio_printf(&s->lio, "%zu %lld\r\n", i + 1,
				   (long long)s->drop.v[i].octets);
	lio_puts(&s->lio, ".\r\n");
}

static void
pop3_cmd_uidl(struct pop3_session *s, char *arg)
{
	size_t i;

	if (*arg != '\0') {
		if (pop3_msgno(s, arg, &i) == 0)
			pop3_reply(s, "+OK %zu %s", i + 1, s->drop.v[i].uidl);
		return;
	}
	pop3_reply(s, "+OK Unique-ID listing follows");
	for (i = 0; i < s->drop.n; i++)
		if (!s->drop.v[i].deleted)
			lio_printf(&s->lio, "%zu %s\r\n", i + 1,
				   s->drop.v[i].uidl);
	lio_puts(&s->lio, ".\r\n");
}

static void
pop3_cmd_dele(struct pop3_session *s, char *arg)
{
	size_t i;

	if (pop3_msgno(s, arg, &i) < 0)
		return;
	s->drop.v[i].deleted = 1;
	pop3_reply(s, "+OK Message %zu deleted", i + 1);
}

static void
pop3_cmd_rset(struct pop3_session *s, char *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < s->drop.n; i++)
		s->drop.v[i].deleted = 0;
	pop3_reply(s, "+OK %zu message%s", s->drop.n,
		   s->drop.n == 1 ? "" : "s");
}

static void
pop3_cmd_noop(struct pop3_session *s, char *arg)
{
	(void)arg;
	pop3_reply(s, "+OK");
}

/*
 * In TRANSACTION, QUIT enters UPDATE (RFC 1939 §6): the only deletions.
 * The deletions are durable (maildrop_update fsyncs cur/) and the lock
 * is released before the answer is written, so a client that reads the
 * answer and logs in again at once never finds the mailbox [IN-USE].
 */
static void
pop3_cmd_quit(struct pop3_session *s, char *arg)
{
	size_t i, deleted = 0, left;
	int updated;

	(void)arg;
	s->quit = 1;
	if (s->state != P_TRANS) {
		pop3_reply(s, "+OK %s POP3 server signing off",
			   s->d->conf.hostname);
		return;
	}
	for (i = 0; i < s->drop.n; i++)
		deleted += s->drop.v[i].deleted != 0;
	left = s->drop.n - deleted;
	updated = maildrop_update(&s->drop);
	maildrop_close(&s->drop);
	if (updated < 0) {
		pop3_reply(s, "-ERR [SYS/TEMP] Some deleted messages not "
			      "removed");
		return;
	}
	log_info("logout client=[%s] service=pop3 deleted=%zu left=%zu "
		 "user=%s",
		 s->client_ip, deleted, left, log_value(s->auth_user));
	pop3_reply(s, "+OK %s POP3 server signing off (%zu message%s left)",
		   s->d->conf.hostname, left, left == 1 ? "" : "s");
}

/* the number of blank-separated words in s */
static int
pop3_count_args(const char *s)
{
	int n = 0;

	while (*s) {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		n++;
		s += strcspn(s, " ");
	}
	return n;
}

static void
pop3_dispatch(struct pop3_session *s, char *line)
{
	char *arg = lio_command_split(line);
	const struct pop3_cmd *c =
	    lio_command_find(pop3_cmds, sizeof(*pop3_cmds), line);
	int nargs;

	s->commands++;
	/* without a cert STLS is unknown, as before there was TLS */
	if (c == NULL || (c->handler == pop3_cmd_stls && s->d->tls == NULL)) {
		pop3_reply(s, "-ERR Unknown command");
		return;
	}
	if (!(c->states & s->state)) {
		pop3_reply(s, "-ERR %s", pop3_sequence_text(s->state));
		return;
	}
	nargs = pop3_count_args(arg);
	if (c->maxargs != POP3_REST) {
		/* single blanks between arguments (RFC 1939 §3) */
		if (arg[0] == ' ' || strstr(arg, "  ") != NULL ||
		    (arg[0] != '\0' && arg[strlen(arg) - 1] == ' '))
			nargs = -1;
	} else if (*arg != '\0')
		nargs = 1;
	if (nargs < c->minargs ||
	    (c->maxargs != POP3_REST && nargs > c->maxargs)) {
		pop3_reply(s, "-ERR Syntax: %s", c->syntax);
		return;
	}
	c->handler(s, arg);
}

/* the command for the transcript, with credentials hidden */
static void
pop3_log_command(const struct pop3_session *s)
{
	if (!log_verbose())
		return;
	if (str_iprefix(s->line, "PASS ") ||
	    (str_iprefix(s->line, "AUTH ") && strchr(s->line + 5, ' ') != NULL))
		log_debug("%s: < %.4s ... <credentials hidden>", s->client_ip,
			  s->line);
	else
		log_debug("%s: < %s", s->client_ip, s->line);
}

void
pop3_session_run(struct smtpd *d, enum service svc, int rfd, int wfd,
		 const char *client_ip)
{
	struct pop3_session s;

	memset(&s, 0, offsetof(struct pop3_session, lio));
	s.d = d;
	s.svc = svc;
	s.state = P_AUTH;
	s.drop.lockfd = -1;
	strlcpy(s.client_ip, client_ip, sizeof(s.client_ip));
	lio_init(&s.lio, rfd, wfd, d->conf.pop3_timeout);
	pop3_command_replies(&s);
	s.start_ms = now_ms();
	log_info("connect client=[%s] service=%s", client_ip,
		 service_name(svc));
	if (service_implicit_tls(svc) && pop3_tls_start(&s, "TLS") < 0)
		s.quit = 1;
	if (!s.quit)
		pop3_reply(&s, "+OK %s POP3 ready", d->conf.hostname);
	while (!s.quit) {
		int r = lio_next_command(&s.lio, s.line, sizeof(s.line), &s.cmd);
		if (r == 0)
			continue; /* answered */
		if (r < 0)
			break;
		pop3_log_command(&s);
		pop3_dispatch(&s, s.line);
		wipe(s.line, sizeof(s.line));
	}
	/* nothing deleted unless QUIT did it; the lock goes before the
	 * last answer does (a timeout's, a 20th error's) */
	maildrop_close(&s.drop);
	lio_flush(&s.lio);
	lio_tls_end(&s.lio);
	log_info("disconnect client=[%s] service=%s commands=%d errors=%d "
		 "duration=%.2f%s%s",
		 client_ip, service_name(svc), s.commands, s.errors,
		 (double)(now_ms() - s.start_ms) / 1000, s.tls[0] ? " tls=" : "",
		 s.tls);
}
