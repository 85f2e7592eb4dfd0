/*
 * smtp.c - see smtp.h.  Relies on lib/smtpc for the protocol and on
 * common.c for the messages; what a reply means for the exit status is
 * decided here once, for both sending modes.
 */
#include <stdio.h>
#include <string.h>

#include "smtpc.h"
#include "tlsio.h"
#include "util.h"

#include "common.h"
#include "smtp.h"

int
mailc_smtp_open(struct smtpc *c, const char *host, const char *port,
		FILE *trace, const struct secure *s)
{
	char what[MAILC_HOST_MAX + 64], err[200];
	struct tlsio_ctx *ctx = NULL;
	int code, status;

	snprintf(what, sizeof(what), "%s port %s", host, port);
	/* TLS required, and no way to it (a build without): said before
	 * connecting, with nothing to say in clear */
	if (s != NULL &&
	    (secure_mode(s) == SECURE_IMPLICIT ||
	     secure_mode(s) == SECURE_REQUIRED) &&
	    (ctx = secure_ctx(s, err, sizeof(err))) == NULL) {
		memset(c, 0, sizeof(*c));
		c->fd = -1;
		c->code = -1;
		strlcpy(c->err, err, sizeof(c->err));
		mailc_warnx("%s: %s",
			    secure_mode(s) == SECURE_IMPLICIT ? "--tls"
							      : "--tls-required",
			    err);
		return EX_UNAVAILABLE;
	}
	if (s != NULL && secure_mode(s) != SECURE_IMPLICIT)
		ctx = NULL; /* STARTTLS makes its own */
	if (smtpc_connect(c, host, port, MAILC_TIMEOUT, trace) < 0) {
		mailc_warnx("%s", c->err);
		return EX_UNAVAILABLE;
	}
	/* RFC 8314 §3.3: the handshake first, then the banner inside */
	if (ctx != NULL && smtpc_tls(c, ctx, host, 0) < 0) {
		secure_tls_failed(what, c->err);
		smtpc_close(c);
		c->code = -1;
		return EX_UNAVAILABLE;
	}
	if ((code = smtpc_reply(c)) != 220) {
		status = mailc_smtp_fail(c, code, what);
		mailc_smtp_quit(c, code);
		return status;
	}
	return 0;
}

int
mailc_smtp_starttls(struct smtpc *c, const struct secure *s,
		    const char *host, const char *what)
{
	struct tlsio_ctx *ctx;
	char err[200];
	int code;

	if (c->lio.tls != NULL || !secure_try_starttls(s, c->fd))
		return 0;
	if (!(c->ext & SMTPC_EXT_STARTTLS))
		return secure_not_offered(s, what, "STARTTLS");
	if ((ctx = secure_ctx(s, err, sizeof(err))) == NULL) {
		mailc_warnx("%s offers STARTTLS: %s", what, err);
		return EX_UNAVAILABLE;
	}
	if (smtpc_tls(c, ctx, host, 1) < 0) {
		secure_tls_failed(what, c->err);
		return EX_UNAVAILABLE;
	}
	if ((code = smtpc_hello(c, mailc_hostname())) / 100 != 2)
		return mailc_smtp_fail(c, code, "EHLO after STARTTLS");
	return 0;
}

int
mailc_smtp_fail(const struct smtpc *c, int code, const char *what)
{
	char text[sizeof(c->text)];
	char *p;

	if (code < 0) {
		/* "malformed reply" (smtpc): not SMTP, no use trying again */
		mailc_warnx("%s: %s", what, c->err);
		return strncmp(c->err, "malformed", 9) == 0 ? EX_UNAVAILABLE
							    : EX_TEMPFAIL;
	}
	/* a multi-line reply on one line of stderr */
	strlcpy(text, c->text, sizeof(text));
	for (p = text; (p = strchr(p, '\n')) != NULL;)
		*p = ' ';
	mailc_warnx("%s: %s", what, text);
	return code >= 400 && code < 500 ? EX_TEMPFAIL : EX_UNAVAILABLE;
}

void
mailc_smtp_quit(struct smtpc *c, int code)
{
	/* after 421 or a lost connection there is no one left to talk to */
	if (c->fd >= 0 && code >= 0 && code != 421 && !c->lio.werr) {
		lio_set_timeout(&c->lio, MAILC_TIMEOUT);
		smtpc_cmd(c, "QUIT");
	}
	smtpc_close(c);
}
