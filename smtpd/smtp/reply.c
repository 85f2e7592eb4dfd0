/*
 * reply.c - see reply.h.  The reply formatter (lio_vline) and the
 * command-read step (lio_next_command) are lineio's, shared with POP3;
 * what is SMTP's own is the texts and which replies count as errors.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lineio.h"
#include "log.h"
#include "util.h"

#include "smtp/reply.h"

void
smtp_reply(struct smtp_session *s, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	lio_vline(&s->lio, s->client_ip, buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/*
	 * The last line of a reply decides; 421 ends the session anyway.
	 * "452 4.5.3" is not the client's error: told it, a client sends those
	 * recipients again later (RFC 5321 §4.5.3.1.10; Postfix's
	 * smtpd_recipient_overshoot_limit), so it must not end the session.
	 */
	if (buf[0] >= '4' && buf[3] != '-' && strncmp(buf, "421", 3) != 0 &&
	    strncmp(buf, "452 4.5.3", 9) != 0 &&
	    ++s->errors >= SMTP_ERRORS_MAX && !s->quit) {
		s->quit = 1;
		smtp_reply(s, "421 4.7.0 Too many errors");
		log_info("%s: too many errors, disconnecting", s->client_ip);
	}
}

static void
smtp_reply_text(void *s, const char *text)
{
	smtp_reply(s, "%s", text);
}

void
smtp_command_replies(struct smtp_session *s)
{
	(void)xsnprintf(s->timeout_reply, sizeof(s->timeout_reply),
			"421 4.4.2 %s Timeout exceeded", s->d->conf.hostname);
	s->cmd.too_long = "500 5.5.2 Line too long";
	s->cmd.bad_char = "500 5.5.2 Invalid character in command";
	s->cmd.timeout = s->timeout_reply;
	/* RFC 5321 §3.8: a server shut down sends a 421 before exiting */
	s->cmd.stopping = SMTP_STOPPING_REPLY;
	s->cmd.reply = smtp_reply_text;
	s->cmd.ctx = s;
	s->cmd.peer = s->client_ip;
}

void
smtp_reset(struct smtp_session *s)
{
	free(s->rcpts);
	s->rcpts = NULL;
	s->nrcpt = 0;
	memset(&s->from, 0, sizeof(s->from));
	s->from_text[0] = '\0';
	s->qid[0] = '\0';
	if (s->state != S_INIT)
		s->state = S_GREETED;
}
