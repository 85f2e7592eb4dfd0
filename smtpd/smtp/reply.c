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

/* the reply of fmt in buf (of size SMTP_REPLY_MAX), sent and counted */
static void
smtp_vreply(struct smtp_session *s, char *buf, const char *fmt, va_list ap)
{
	lio_vline(&s->lio, s->client_ip, buf, SMTP_REPLY_MAX, fmt, ap);
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
		log_info("too many errors client=[%s] service=%s", s->client_ip,
			 service_name(s->svc));
	}
}

void
smtp_reply(struct smtp_session *s, const char *fmt, ...)
{
	char buf[SMTP_REPLY_MAX];
	va_list ap;

	va_start(ap, fmt);
	smtp_vreply(s, buf, fmt, ap);
	va_end(ap);
}

void
smtp_reject(struct smtp_session *s, const char *to, const char *fmt, ...)
{
	char buf[SMTP_REPLY_MAX];
	va_list ap;

	va_start(ap, fmt);
	smtp_vreply(s, buf, fmt, ap);
	va_end(ap);
	if (to != NULL)
		log_info("%s: reject client=[%s] from=<%s> to=<%s> (%s)",
			 s->qid, s->client_ip, log_value(s->from_text),
			 log_value(to), buf);
	else
		log_info("%s: reject client=[%s] from=<%s> nrcpt=%d (%s)",
			 s->qid, s->client_ip, log_value(s->from_text), s->nrcpt,
			 buf);
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
