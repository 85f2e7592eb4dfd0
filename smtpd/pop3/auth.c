/*
 * auth.c - logging in to POP3: USER/PASS (RFC 1939 §7) and AUTH
 * PLAIN (RFC 5034, RFC 4616), checked against the accounts file; then
 * the maildrop is opened (created from the skeleton if missing) and
 * locked, or the client is told [IN-USE].  A failure is answered after
 * about a second with [AUTH] (RFC 3206); the third in a session closes
 * it.  Whether a user exists is never told apart from a wrong password,
 * not even by the time the check takes (login.h).  A client
 * address over auth_fail_limit is told [SYS/TEMP] and the session ends.
 * With a cert loaded (smtpd->tls), USER and AUTH are refused outside TLS
 * unless auth_plaintext is on or the client is on loopback: the
 * password would cross the network in clear (RFC 2595 §2.4, RFC 8314).
 * Passwords and decoded credentials are wiped once checked.
 */
#include <limits.h>
#include <string.h>

#include "authgate.h"
#include "log.h"
#include "login.h"
#include "passwd.h"
#include "sasl.h"
#include "util.h"
#include "conf_lookup.h"

#include "pop3/auth.h"
#include "pop3/reply.h"

#define POP3_CRED_MAX 512
/* Dovecot's words; [AUTH]: RFC 3206 §5, a problem with logging in */
#define POP3_PLAINTEXT_REFUSED                                                 \
	"-ERR [AUTH] Plaintext authentication disallowed on non-secure "       \
	"connections"

int
pop3_login_allowed(const struct pop3_session *s)
{
	return login_in_clear_ok(s->d, s->lio.tls != NULL, s->client_ip);
}

/* 1 when refused (answered); the credentials of AUTH's line wiped */
static int
pop3_refuse_plaintext(struct pop3_session *s, char *arg)
{
	if (pop3_login_allowed(s))
		return 0;
	log_info("login refused client=[%s] service=pop3 (not in TLS)",
		 s->client_ip);
	wipe(arg, strlen(arg));
	lio_wipe_consumed(&s->lio);
	pop3_reply(s, POP3_PLAINTEXT_REFUSED);
	return 1;
}

/* after a good password: open (create, lock) the maildrop */
static void
pop3_login(struct pop3_session *s, const struct account *a)
{
	char maildir[PATH_MAX];

	passwd_address(a, s->auth_user, sizeof(s->auth_user));
	s->state = P_AUTH;
	if (conf_mailbox(&s->d->conf, a->local, a->domain, maildir,
			 sizeof(maildir)) < 0) {
		log_warnx("login refused client=[%s] service=pop3 user=%s (no "
			  "safe mailbox path)",
			  s->client_ip, log_value(s->auth_user));
		pop3_reply(s, "-ERR [SYS/PERM] Mailbox unavailable");
		return;
	}
	switch (maildrop_open(&s->drop, maildir, s->d->conf.maildir_skel)) {
	case MAILDROP_IN_USE:
		log_info("login refused client=[%s] service=pop3 user=%s "
			 "(mailbox in use)",
			 s->client_ip, log_value(s->auth_user));
		pop3_reply(s, "-ERR [IN-USE] Mailbox is locked by another "
			      "session");
		return;
	case MAILDROP_ERROR:
		pop3_reply(s, "-ERR [SYS/TEMP] Unable to open mailbox");
		return;
	case MAILDROP_OK:
		break;
	}
	s->state = P_TRANS;
	log_info("login client=[%s] service=pop3 messages=%zu user=%s",
		 s->client_ip, s->drop.n, log_value(s->auth_user));
	pop3_reply(s, "+OK Logged in, %zu message%s", s->drop.n,
		   s->drop.n == 1 ? "" : "s");
}

static void
pop3_auth_fail(struct pop3_session *s, const char *user)
{
	log_info("auth failed client=[%s] service=pop3 user=%s", s->client_ip,
		 log_value(user));
	s->state = P_AUTH;
	s->user[0] = '\0';
	passwd_fail_delay(&s->lio);
	if (++s->auth_failures >= POP3_AUTH_FAILURES_MAX) {
		s->quit = 1;
		pop3_reply(s, "-ERR [AUTH] Too many authentication failures");
		return;
	}
	pop3_reply(s, "-ERR [AUTH] Authentication failed");
}

static void
pop3_check(struct pop3_session *s, const char *user, const char *pass)
{
	const struct account *a;

	switch (login_check(&s->d->accounts, user, pass, &a)) {
	case LOGIN_OK:
		pop3_login(s, a);
		return;
	case LOGIN_FAILED:
		pop3_auth_fail(s, user);
		return;
	case LOGIN_REFUSED:
		log_info("auth refused client=[%s] service=pop3 (too many "
			 "failed logins)",
			 s->client_ip);
		s->quit = 1;
		pop3_reply(s, "-ERR [SYS/TEMP] Too many failed logins, try "
			      "again later");
		return;
	case LOGIN_TEMPFAIL:
		break;
	}
	s->state = P_AUTH;
	s->user[0] = '\0';
	pop3_reply(s, "-ERR [SYS/TEMP] Temporary authentication failure");
}

void
pop3_cmd_user(struct pop3_session *s, char *arg)
{
	if (pop3_refuse_plaintext(s, arg))
		return;
	if (strlcpy(s->user, arg, sizeof(s->user)) >= sizeof(s->user)) {
		s->user[0] = '\0';
		s->state = P_AUTH;
		pop3_reply(s, "-ERR User name too long");
		return;
	}
	/* whether the user exists is told at PASS only, after the delay */
	s->state = P_USER;
	pop3_reply(s, "+OK Send PASS");
}

void
pop3_cmd_pass(struct pop3_session *s, char *arg)
{
	pop3_check(s, s->user, arg);
	wipe(arg, strlen(arg));
	lio_wipe_consumed(&s->lio); /* the raw line that held it */
}

/* RFC 4616: [authzid] NUL authcid NUL passwd, base64 */
static void
pop3_auth_plain(struct pop3_session *s, const char *resp)
{
	char raw[POP3_CRED_MAX];
	const char *user, *pass;

	switch (sasl_plain(resp, raw, sizeof(raw), &user, &pass)) {
	case SASL_BAD_BASE64:
		pop3_reply(s, "-ERR Cannot decode response");
		break;
	case SASL_MALFORMED:
		pop3_reply(s, "-ERR Malformed PLAIN response");
		break;
	case SASL_OTHER_USER:
		authgate_failed(); /* no acting for another user */
		pop3_auth_fail(s, user);
		break;
	case SASL_OK:
		pop3_check(s, user, pass);
		break;
	}
	wipe(raw, sizeof(raw));
}

/* RFC 5034; "AUTH" alone lists the mechanisms, as older clients expect */
void
pop3_cmd_auth(struct pop3_session *s, char *arg)
{
	char line[POP3_LINE_MAX + 1];
	char *resp;
	int r;

	if (pop3_refuse_plaintext(s, arg))
		return;
	if (*arg == '\0') {
		pop3_reply(s, "+OK Supported mechanisms follow");
		lio_puts(&s->lio, "PLAIN\r\n.\r\n");
		return;
	}
	if ((resp = strchr(arg, ' ')) != NULL)
		*resp++ = '\0';
	if (!str_ieq(arg, "PLAIN")) {
		pop3_reply(s, "-ERR Unsupported authentication mechanism");
		return;
	}
	if (resp == NULL) {
		pop3_reply(s, "+ ");
		if ((r = lio_next_command(&s->lio, line, sizeof(line),
					  &s->cmd)) <= 0) {
			if (r < 0) /* never clear a quit set by the reply */
				s->quit = 1;
			wipe(line, sizeof(line));
			return;
		}
		resp = line;
	} else if (strcmp(resp, "=") == 0)
		resp[0] = '\0'; /* the empty initial response (RFC 5034 §4) */
	if (strcmp(resp, "*") == 0)
		pop3_reply(s, "-ERR Authentication cancelled");
	else
		pop3_auth_plain(s, resp);
	wipe(resp, strlen(resp)); /* the line, or the rest of the command */
	lio_wipe_consumed(&s->lio);
}
