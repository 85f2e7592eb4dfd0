/*
 * reply.c - see reply.h.  The reply formatter (lio_vline) and the
 * command-read step (lio_next_command) are lineio's, shared with SMTP;
 * what is POP3's own is the texts and the error rule.
 */
#include <stdarg.h>
#include <string.h>

#include "lineio.h"
#include "log.h"

#include "pop3/maildrop.h"
#include "pop3/reply.h"

/* the 20th -ERR ends the session */
void
pop3_reply(struct pop3_session *s, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	lio_vline(&s->lio, s->client_ip, buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (strncmp(buf, "-ERR", 4) == 0 && ++s->errors >= POP3_ERRORS_MAX &&
	    !s->quit) {
		s->quit = 1;
		pop3_reply(s, "-ERR Too many errors");
		log_info("too many errors client=[%s] service=pop3",
			 s->client_ip);
	}
}

static void
pop3_reply_text(void *s, const char *text)
{
	pop3_reply(s, "%s", text);
}

void
pop3_command_replies(struct pop3_session *s)
{
	s->cmd.too_long = "-ERR Line too long";
	s->cmd.bad_char = "-ERR Invalid character in command";
	/* RFC 1939 §3: autologout, without entering UPDATE */
	s->cmd.timeout = "-ERR [SYS/TEMP] Timeout";
	s->cmd.stopping = POP3_STOPPING_REPLY;
	s->cmd.reply = pop3_reply_text;
	s->cmd.ctx = s;
	s->cmd.peer = s->client_ip;
}

/* a message number or line count: 1 to 9 digits, nothing else */
long long
pop3_number(const char *s)
{
	long long v = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9' && p - s < 9; p++)
		v = v * 10 + (*p - '0');
	return p == s || *p != '\0' ? -1 : v;
}

/* the message a number names (1..n, not deleted), 0-based; -1 replied */
int
pop3_msgno(struct pop3_session *s, const char *arg, size_t *i)
{
	long long v = pop3_number(arg);

	if (v < 0) {
		pop3_reply(s, "-ERR Invalid message number");
		return -1;
	}
	if (v < 1 || (unsigned long long)v > s->drop.n) {
		pop3_reply(s, "-ERR No such message");
		return -1;
	}
	if (s->drop.v[v - 1].deleted) {
		pop3_reply(s, "-ERR Message %lld already deleted", v);
		return -1;
	}
	*i = (size_t)(v - 1);
	return 0;
}

/* the size of message i as sent; -1 after the -ERR */
int
pop3_octets(struct pop3_session *s, size_t i, off_t *octets)
{
	if (maildrop_octets(&s->drop, i, octets) == 0)
		return 0;
	pop3_reply(s, "-ERR [SYS/TEMP] Cannot read message %zu", i + 1);
	return -1;
}
