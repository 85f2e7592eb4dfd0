/*
 * auth.c - SMTP AUTH (RFC 4954) with the PLAIN (RFC 4616) and LOGIN
 * mechanisms, checked against the accounts file.  A failure is answered
 * after about a second; the third in a session ends it.  A client
 * address over auth_fail_limit is told 421 and the session ends; a check
 * that got no hash slot in time is a 454 (authgate.h).  Decoded
 * credentials are wiped as soon as they have been checked.  With a key
 * pair configured, AUTH in clear is refused (530) but from the loopback
 * address or with auth_plaintext: passwords cross networks only in TLS.
 */
#include <string.h>

#include "authgate.h"
#include "log.h"
#include "login.h"
#include "passwd.h"
#include "sasl.h"
#include "util.h"

#include "smtp/auth.h"
#include "smtp/reply.h"

#define CRED_MAX 512

/* one continuation line (CRLF stripped): 1; 0 when it has been answered
 * already; -1 when the session ends */
static int
auth_read(struct smtp_session *s, char *line, size_t size)
{
	int r = lio_next_command(&s->lio, line, size, &s->cmd);

	if (r < 0)
		s->quit = 1; /* never cleared: a reply may have set it too */
	return r;
}

static void
auth_fail(struct smtp_session *s, const char *user)
{
	log_info("auth failed client=[%s] service=%s user=%s", s->client_ip,
		 service_name(s->svc), log_value(user));
	passwd_fail_delay(&s->lio);
	if (++s->auth_failures >= SMTP_AUTH_FAILURES_MAX) {
		smtp_reply(s, "421 4.7.0 Too many authentication failures");
		s->quit = 1;
		return;
	}
	smtp_reply(s, "535 5.7.8 Authentication credentials invalid");
}

static void
auth_check(struct smtp_session *s, const char *user, const char *pass)
{
	const struct account *a;

	switch (login_check(&s->d->accounts, user, pass, &a)) {
	case LOGIN_FAILED:
		auth_fail(s, user);
		return;
	case LOGIN_REFUSED:
		log_info("auth refused client=[%s] service=%s (too many failed "
			 "logins)",
			 s->client_ip, service_name(s->svc));
		smtp_reply(s, "421 4.7.0 Too many failed logins, try again "
			      "later");
		s->quit = 1;
		return;
	case LOGIN_TEMPFAIL: /* RFC 4954 §6 */
		smtp_reply(s, "454 4.7.0 Temporary authentication failure");
		return;
	case LOGIN_OK:
		break;
	}
	passwd_address(a, s->auth_user, sizeof(s->auth_user));
	s->authenticated = 1;
	log_info("auth ok client=[%s] service=%s user=%s", s->client_ip,
		 service_name(s->svc), log_value(s->auth_user));
	smtp_reply(s, "235 2.7.0 Authentication successful");
}

static void
auth_plain(struct smtp_session *s, const char *initial)
{
	char line[SMTP_LINE_MAX + 1], raw[CRED_MAX];
	const char *resp = initial;
	const char *user, *pass;

	if (resp == NULL) {
		smtp_reply(s, "334 ");
		if (auth_read(s, line, sizeof(line)) <= 0)
			return;
		resp = line;
	}
	if (strcmp(resp, "*") == 0) {
		smtp_reply(s, "501 5.0.0 Authentication aborted");
		return;
	}
	switch (sasl_plain(resp, raw, sizeof(raw), &user, &pass)) {
	case SASL_BAD_BASE64:
		smtp_reply(s, "501 5.5.2 Cannot decode response");
		break;
	case SASL_MALFORMED:
		smtp_reply(s, "501 5.5.2 Malformed PLAIN response");
		break;
	case SASL_OTHER_USER:
		authgate_failed(); /* no hash needed, still a failure */
		auth_fail(s, user);
		break;
	case SASL_OK:
		auth_check(s, user, pass);
		break;
	}
	wipe(raw, sizeof(raw));
	wipe(line, sizeof(line));
}

static void
auth_login(struct smtp_session *s, const char *initial)
{
	char line[SMTP_LINE_MAX + 1], user[CRED_MAX], pass[CRED_MAX];

	if (initial == NULL) {
		smtp_reply(s, "334 VXNlcm5hbWU6"); /* "Username:" */
		if (auth_read(s, line, sizeof(line)) <= 0)
			return;
		initial = line;
	}
	if (strcmp(initial, "*") == 0) {
		smtp_reply(s, "501 5.0.0 Authentication aborted");
		return;
	}
	if (sasl_decode(initial, user, sizeof(user)) < 0) {
		smtp_reply(s, "501 5.5.2 Cannot decode response");
		return;
	}
	smtp_reply(s, "334 UGFzc3dvcmQ6"); /* "Password:" */
	if (auth_read(s, line, sizeof(line)) <= 0)
		return;
	if (strcmp(line, "*") == 0)
		smtp_reply(s, "501 5.0.0 Authentication aborted");
	else if (sasl_decode(line, pass, sizeof(pass)) < 0)
		smtp_reply(s, "501 5.5.2 Cannot decode response");
	else
		auth_check(s, user, pass);
	wipe(pass, sizeof(pass));
	wipe(line, sizeof(line));
}

int
auth_offered(const struct smtp_session *s)
{
	return login_in_clear_ok(s->d, s->lio.tls != NULL, s->client_ip);
}

void
smtp_cmd_auth(struct smtp_session *s, char *arg)
{
	char *initial;

	if (!auth_offered(s)) { /* RFC 3207 §4 */
		smtp_reply(s, "530 5.7.0 Must issue a STARTTLS command first");
		/* the line may hold credentials: in the buffer, and here */
		lio_wipe_consumed(&s->lio);
		wipe(arg, strlen(arg));
		return;
	}
	if (s->authenticated) {
		smtp_reply(s, "503 5.5.1 Already authenticated");
		return;
	}
	if ((initial = strchr(arg, ' ')) != NULL) {
		*initial++ = '\0';
		if (*initial == '\0')
			initial = NULL;
	}
	/* "=" is the empty initial response (RFC 4954 §4) */
	if (initial != NULL && strcmp(initial, "=") == 0)
		initial = "";
	if (str_ieq(arg, "PLAIN"))
		auth_plain(s, initial);
	else if (str_ieq(arg, "LOGIN"))
		auth_login(s, initial);
	else if (*arg == '\0')
		smtp_reply(s, "501 5.5.4 Syntax: AUTH mechanism");
	else
		smtp_reply(s, "504 5.5.4 Unrecognized authentication type");
	if (initial)
		wipe(initial, strlen(initial));
	lio_wipe_consumed(&s->lio); /* the raw lines that held them */
}
