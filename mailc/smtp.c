/*
 * smtp.c - see smtp.h.  Relies on lib/smtpc for the protocol and on
 * common.c for the messages; what a reply means for the exit status is
 * decided here once, for both sending modes.
 */
#include <stdio.h>
#include <string.h>

#include "smtpc.h"
#include "util.h"

#include "common.h"
#include "smtp.h"

int
mailc_smtp_open(struct smtpc *c, const char *host, const char *port,
		FILE *trace)
{
	char what[MAILC_HOST_MAX + 64];
	int code, status;

	if (smtpc_connect(c, host, port, MAILC_TIMEOUT, trace) < 0) {
		mailc_warnx("%s", c->err);
		return EX_UNAVAILABLE;
	}
	if ((code = smtpc_reply(c)) != 220) {
		snprintf(what, sizeof(what), "%s port %s", host, port);
		status = mailc_smtp_fail(c, code, what);
		mailc_smtp_quit(c, code);
		return status;
	}
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
