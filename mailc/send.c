/*
 * send.c - mailc's sending mode:
 *
 *   mailc [-tv] [-H host] [-p port] [-u user] [-f from] [-s subject]
 *         [-c cc] [-b bcc] [-a file]... [rcpt ...] < message
 *
 * Takes the parsed command line (cmdline.c), checks it, opens the
 * attachments, spools stdin into the message (message.c) and adds its
 * MIME structure (mime.c), then runs one SMTP transaction (smtpc.c;
 * opened and closed by smtp.c): banner, EHLO (HELO if refused), AUTH
 * PLAIN with -u (STARTTLS and EHLO again first when the server offers it,
 * implicit TLS with --tls: secure.h), MAIL FROM (with SIZE= when offered, BODY=8BITMIME for
 * an 8-bit body when offered), RCPT TO for each recipient, DATA, the
 * message (its 8-bit text quoted-printable without 8BITMIME), QUIT.
 * Every failure becomes a sysexits(3) status with the server's reply on
 * stderr.  It never sends a message that any recipient refused: the
 * sender then fixes the list and sends again, and nobody gets it twice.
 *
 * The settings the command line lacks come from config.c.  Before the
 * message is tried the outbox is flushed (outbox.c); a message the
 * server cannot take now (no connection, 4xx) is stored there instead of
 * lost.  outbox.c sends what waits through send_session() as well.
 */
#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "smtpc.h"
#include "util.h"

#include "cmdline.h"
#include "common.h"
#include "config.h"
#include "input.h"
#include "message.h"
#include "mime.h"
#include "outbox.h"
#include "password.h"
#include "secure.h"
#include "send.h"
#include "smtp.h"

#define SEND_FULLNAME_MAX 200 /* sendmail -F: bytes of the display name */

/* sendmail's -f '<>' (or ''): the null reverse-path, RFC 5321 §4.5.5 */
static int
send_null_sender(const struct cmdline *o)
{
	return o->from != NULL &&
	       (*o->from == '\0' || strcmp(o->from, "<>") == 0);
}

/*
 * The sender: -f, else the AUTH user, else $USER@domain.  The null
 * sender's messages still get a From: the user's own address.
 */
static int
send_sender(const struct cmdline *o, char *out, size_t size)
{
	const char *s =
	    o->from != NULL && !send_null_sender(o) ? o->from : o->user;
	const char *name;
	char buf[ADDR_MAX + 1];
	struct passwd *pw;
	struct mailaddr a;

	if (s == NULL) {
		if ((name = getenv("USER")) == NULL || *name == '\0')
			name = getenv("LOGNAME");
		if ((name == NULL || *name == '\0') &&
		    (pw = getpwuid(getuid())) != NULL)
			name = pw->pw_name;
		if (name == NULL || *name == '\0' ||
		    xsnprintf(buf, sizeof(buf), "%s@%s", name,
			      mailc_domain()) < 0) {
			mailc_warnx("cannot tell who the sender is: use -f");
			return EX_USAGE;
		}
		s = buf;
	}
	if (addr_parse_mailbox(s, &a) < 0 || addr_format(&a, out, size) < 0) {
		mailc_warnx("bad sender address: %.300s%s", s,
			    o->from != NULL ? "" : " (use -f)");
		return EX_DATAERR;
	}
	return 0;
}

/*
 * The From header mailc adds: the sender, with sendmail's -F as its
 * display name (RFC 5322 §3.4): atoms as they are, else a quoted string.
 */
static int
send_from_header(const struct cmdline *o, const char *from, char *out,
		 size_t size)
{
	const char *p, *atext = "!#$%&'*+-/=?^_`{|}~ ";
	size_t n = 0;
	int quote = 0;

	if (o->fullname == NULL || *o->fullname == '\0')
		return xsnprintf(out, size, "%s", from) < 0 ? EX_SOFTWARE : 0;
	for (p = o->fullname; *p; p++) {
		if (((unsigned char)*p < ' ' && *p != '\t') || *p == 0x7f) {
			mailc_warnx("bad full name: control characters");
			return EX_DATAERR;
		}
		if (!isalnum((unsigned char)*p) && strchr(atext, *p) == NULL)
			quote = 1;
	}
	if (p - o->fullname > SEND_FULLNAME_MAX) {
		mailc_warnx("full name too long (at most %d bytes)",
			    SEND_FULLNAME_MAX);
		return EX_DATAERR;
	}
	if (quote)
		out[n++] = '"';
	for (p = o->fullname; *p; p++) {
		if (quote && (*p == '"' || *p == '\\'))
			out[n++] = '\\';
		out[n++] = *p;
	}
	if (quote)
		out[n++] = '"';
	if (xsnprintf(out + n, size - n, " <%s>", from) < 0)
		return EX_SOFTWARE;
	return 0;
}

static int
send_check_subject(const char *s)
{
	const char *p;

	for (p = s; *p; p++)
		if (((unsigned char)*p < ' ' && *p != '\t') || *p == 0x7f) {
			mailc_warnx("bad subject: control characters");
			return EX_DATAERR;
		}
	if (p - s > MSG_SUBJECT_MAX) {
		mailc_warnx("subject too long (at most %d bytes)",
			    MSG_SUBJECT_MAX);
		return EX_DATAERR;
	}
	return 0;
}

/* stdin into the spool */
static int
send_spool(struct msg *m)
{
	struct input in;
	char line[MSG_LINE_MAX];
	size_t len;
	enum input_status st;
	int r;

	input_init(&in, STDIN_FILENO);
	while ((st = input_line(&in, line, sizeof(line), &len)) > 0)
		if ((r = msg_feed(m, line, len)) != 0)
			return r;
	if (st == INPUT_ERROR) {
		mailc_warn("reading the message");
		return EX_IOERR;
	}
	return msg_close(m);
}

/* the recipients refused; RSET and the status (EX_NOUSER wins) */
static int
send_rcpts(struct smtpc *c, const struct msg_addrs *rcpts, int *code)
{
	size_t i, refused = 0, deferred = 0;
	int status = 0;

	for (i = 0; i < rcpts->n; i++) {
		*code = smtpc_cmd(c, "RCPT TO:<%s>", rcpts->v[i]);
		if (*code / 100 == 2)
			continue;
		status = mailc_smtp_fail(c, *code, rcpts->v[i]);
		if (*code < 0 || *code == 421)
			return status;
		if (*code >= 500)
			refused++;
		else
			deferred++;
	}
	if (refused + deferred == 0)
		return 0;
	mailc_warnx("message not sent: %zu of %zu recipient%s %s",
		    refused + deferred, rcpts->n, rcpts->n == 1 ? "" : "s",
		    refused ? "refused" : "deferred");
	*code = smtpc_cmd(c, "RSET");
	return refused ? EX_NOUSER : EX_TEMPFAIL;
}

/* the message into the outbox, and the reader told where; EX_TEMPFAIL */
static int
send_keep(struct cmdline *o, const char *from, const struct msg_addrs *rcpts,
	  struct msg *m)
{
	char path[OUTBOX_PATH_MAX];

	if (outbox_store(m, from, rcpts, path, sizeof(path)) < 0) {
		mailc_warnx("message not sent and not kept");
		return EX_TEMPFAIL;
	}
	mailc_warnx("message kept in the outbox, to be sent by "
		    "`mailc flush` or the next message: %s",
		    path);
	o->queued = 1;
	return EX_TEMPFAIL;
}

int
send_session(const struct cmdline *o, const char *from,
	     const struct msg_addrs *rcpts, struct msg *m, const char *pass,
	     enum send_outcome *out)
{
	struct smtpc c;
	char what[MAILC_HOST_MAX + 64];
	int code, status, inmsg = 0, eightbit, keep = 0;

	*out = SEND_FAILED;
	if ((status = mailc_smtp_open(&c, o->host, o->port, o->trace,
				      &o->tls)) != 0) {
		/* no connection, no TLS, or a 4xx banner or none: later */
		if (status == EX_TEMPFAIL ||
		    (c.code < 0 && strncmp(c.err, "malformed", 9) != 0))
			*out = SEND_DEFER_SERVER;
		return status;
	}
	snprintf(what, sizeof(what), "%s port %s", o->host, o->port);
	if ((code = smtpc_hello(&c, mailc_hostname())) / 100 != 2) {
		status = mailc_smtp_fail(&c, code, "EHLO");
		goto quit;
	}
	/*
	 * TLS that cannot be had as the settings ask, and a password that
	 * would cross the network in clear: the message waits (the
	 * settings or the server may change), nothing is sent.
	 */
	if ((status = mailc_smtp_starttls(&c, &o->tls, o->host, what)) != 0) {
		keep = 1;
		code = c.lio.tls == NULL && !c.broken ? c.code : -1;
		goto quit;
	}
	if (o->user != NULL &&
	    secure_may_send_password(&o->tls, c.fd, c.lio.tls != NULL, what) <
		0) {
		status = EX_NOPERM;
		keep = 1;
		goto quit;
	}
	if (o->user != NULL) {
		if (!(c.ext & SMTPC_EXT_AUTH_PLAIN)) {
			mailc_warnx("%s does not offer AUTH PLAIN", what);
			status = EX_UNAVAILABLE;
			goto quit;
		}
		if ((code = smtpc_auth_plain(&c, o->user, pass)) != 235) {
			status = mailc_smtp_fail(&c, code, "AUTH PLAIN");
			if (code >= 500) /* 535 5.7.8 and the like */
				status = EX_NOPERM;
			goto quit;
		}
	}
	inmsg = 1; /* from here on, the replies are about this message */
	/*
	 * RFC 1870: the size with CRLF line ends; too big is refused now.
	 * RFC 6152: an 8-bit body goes as it is where 8BITMIME is offered,
	 * else mime_send() turns it into quoted-printable.
	 */
	eightbit = mime_8bit(m) && (c.ext & SMTPC_EXT_8BITMIME);
	if (c.ext & SMTPC_EXT_SIZE)
		code = smtpc_cmd(&c, "MAIL FROM:<%s> SIZE=%lld%s", from,
				 msg_wire_size(m),
				 eightbit ? " BODY=8BITMIME" : "");
	else
		code = smtpc_cmd(&c, "MAIL FROM:<%s>%s", from,
				 eightbit ? " BODY=8BITMIME" : "");
	if (code / 100 != 2) {
		snprintf(what, sizeof(what), "MAIL FROM:<%s>", from);
		status = mailc_smtp_fail(&c, code, what);
		goto quit;
	}
	if ((status = send_rcpts(&c, rcpts, &code)) != 0)
		goto quit;
	if ((code = smtpc_cmd(&c, "DATA")) != 354) {
		status = mailc_smtp_fail(&c, code, "DATA");
		goto quit;
	}
	lio_set_timeout(&c.lio, MAILC_DATA_TIMEOUT);
	code = mime_send(&c, m, c.ext & SMTPC_EXT_8BITMIME);
	if (code / 100 != 2) {
		status = mailc_smtp_fail(&c, code, "message not sent");
		goto quit;
	}
	status = 0;
quit:
	mailc_smtp_quit(&c, code);
	if (status == 0)
		*out = SEND_SENT;
	else if (keep)
		*out = SEND_DEFER_SERVER;
	else if (status == EX_TEMPFAIL)
		/* a lost connection or 421 says nothing of the message */
		*out = inmsg && code >= 0 && code != 421 ? SEND_DEFER_MESSAGE
							 : SEND_DEFER_SERVER;
	else if (inmsg && code >= 0)
		*out = SEND_REFUSED;
	return status;
}

int
send_password(const struct cmdline *o, char *pass, size_t size)
{
	pass[0] = '\0';
	if (o->user == NULL)
		return 0;
	/* MAILC_PASSWORD (the environment) wins over the setting */
	if (o->password_command != NULL && getenv("MAILC_PASSWORD") == NULL)
		return password_command(o->password_command, pass, size);
	return password_get(o->user, pass, size);
}

int
send_main(struct cmdline *o)
{
	struct msg_addrs to, rcpts;
	struct msg_gen gen;
	struct mime_files files;
	struct msg m;
	char from[ADDR_MAX + 1], pass[PASSWORD_MAX + 1];
	char hdrfrom[2 * SEND_FULLNAME_MAX + ADDR_MAX + 8];
	enum send_outcome out;
	const char *envfrom;
	int status = 0, i;

	memset(&to, 0, sizeof(to));
	memset(&rcpts, 0, sizeof(rcpts));
	memset(&m, 0, sizeof(m));
	memset(&files, 0, sizeof(files));
	pass[0] = '\0';
	if ((status = config_apply(o)) != 0)
		goto done;
	if (mailc_check_host(o->host) < 0 || mailc_check_port(o->port) < 0) {
		status = EX_USAGE;
		goto done;
	}
	for (i = 0; i < o->nrcpts; i++)
		if (msg_addrs_parse(&to, o->rcpts[i], "recipient") < 0) {
			status = EX_DATAERR;
			goto done;
		}
	if (!o->extract && to.n + o->cc.n + o->bcc.n == 0) {
		mailc_warnx("no recipients");
		status = mailc_usage();
		goto done;
	}
	if ((o->subject != NULL &&
	     (status = send_check_subject(o->subject)) != 0) ||
	    (status = send_sender(o, from, sizeof(from))) != 0 ||
	    (status = send_from_header(o, from, hdrfrom, sizeof(hdrfrom))) != 0)
		goto done;

	gen.from = hdrfrom;
	gen.subject = o->subject;
	gen.to = &to;
	gen.cc = &o->cc;
	if ((status = msg_open(&m, &gen, o->extract ? MSG_EXTRACT : 0)) != 0)
		goto done;
	/* a missing attachment is an error before the message is read */
	for (i = 0; i < o->nattach; i++)
		if ((status = mime_attach(&files, o->attach[i])) != 0)
			goto done;
	if ((status = send_spool(&m)) != 0 ||
	    (status = mime_check(&m, &files)) != 0 ||
	    (status = mime_finish(&m, &files, NULL, 0)) != 0)
		goto done;
	if (msg_addrs_merge(&rcpts, &to) < 0 ||
	    msg_addrs_merge(&rcpts, &o->cc) < 0 ||
	    msg_addrs_merge(&rcpts, &o->bcc) < 0 ||
	    msg_addrs_merge(&rcpts, &m.rcpts) < 0) {
		status = EX_DATAERR;
		goto done;
	}
	if (rcpts.n == 0) {
		mailc_warnx("no recipients: none given and none in the "
			    "To, Cc or Bcc headers");
		status = EX_USAGE;
		goto done;
	}
	if ((status = send_password(o, pass, sizeof(pass))) != 0)
		goto done;
	/* what waits goes first; whatever becomes of it, this one is tried */
	(void)outbox_flush(o, pass, 0, send_session);
	envfrom = send_null_sender(o) ? "" : from;
	status = send_session(o, envfrom, &rcpts, &m, pass, &out);
	if (out == SEND_DEFER_SERVER || out == SEND_DEFER_MESSAGE)
		status = send_keep(o, envfrom, &rcpts, &m);
done:
	wipe(pass, sizeof(pass));
	mime_free(&files);
	msg_free(&m);
	msg_addrs_free(&rcpts);
	msg_addrs_free(&to);
	return status;
}
