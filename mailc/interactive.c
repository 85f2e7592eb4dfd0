/*
 * interactive.c - mailc -i (or mailc with no arguments on a terminal):
 * walks a person through sending mail, as DESIGN.md §3 describes.
 *
 * Asks for the server and port, connects and shows the banner; then for
 * each message asks for the sender, the recipients, the subject and the
 * body (ended by a line holding a single "."), and sends HELO (once),
 * MAIL FROM, RCPT TO, DATA and the message with Date, From, To, Subject
 * and Message-ID headers added.  The SMTP trace goes to stdout, so the
 * person sees every command, every reply and its "RTT = N.NN ms".  A
 * refused sender or recipient is asked for again.  Prompts go to stdout,
 * answers come from stdin a line at a time (bounded), errors to stderr.
 * The session is opened and closed by smtp.c, the message composed by
 * message.c; it takes no options (main.c passes the -H/-p defaults).
 *
 * End of input at a question that starts something (server, sender,
 * "another?") ends the session quietly: QUIT, exit 0.  End of input in
 * the middle of a message loses it: QUIT, exit EX_DATAERR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "smtpc.h"
#include "util.h"

#include "common.h"
#include "input.h"
#include "interactive.h"
#include "message.h"
#include "mime.h"
#include "smtp.h"

#define ANSWER_MAX 1024

enum { ASK_OK, ASK_EOF, ASK_ERROR };

/* one message went through (or was refused, and the person was told) */
#define MESSAGE_DONE 0
/* the person ended the input before starting a message */
#define MESSAGE_NONE (-1)
/* the input ended in the middle of a message */
#define MESSAGE_CUT (-2)

/* ask, and read one answer without its line end and surrounding blanks */
static int
ask(struct input *in, const char *prompt, char *buf, size_t size)
{
	enum input_status st;
	size_t len, skip;
	char *p;

	for (;;) {
		fputs(prompt, stdout);
		fflush(stdout);
		st = input_line(in, buf, size, &len);
		if (st == INPUT_EOF) {
			/* the shell's prompt then starts on a line of its own
			 */
			fputc('\n', stdout);
			return ASK_EOF;
		}
		if (st == INPUT_ERROR) {
			mailc_warn("reading the answer");
			return ASK_ERROR;
		}
		if (st == INPUT_LINE)
			break;
		while (input_line(in, buf, size, &skip) == INPUT_PARTIAL)
			;
		mailc_warnx("answer too long (at most %zu bytes)", size - 2);
	}
	while (len > 0 && strchr(" \t\r\n", buf[len - 1]) != NULL)
		buf[--len] = '\0';
	for (p = buf; *p == ' ' || *p == '\t'; p++)
		;
	memmove(buf, p, strlen(p) + 1);
	return ASK_OK;
}

static int
ask_sender(struct input *in, char *from, size_t size)
{
	char answer[ANSWER_MAX];
	struct msg_addrs l;
	int r;

	for (;;) {
		if ((r = ask(in, "From: ", answer, sizeof(answer))) != ASK_OK)
			return r;
		memset(&l, 0, sizeof(l));
		if (msg_addrs_parse(&l, answer, "From") == 0) {
			if (l.n == 1) {
				strlcpy(from, l.v[0], size);
				msg_addrs_free(&l);
				return ASK_OK;
			}
			mailc_warnx("one sender address, please");
		}
		msg_addrs_free(&l);
	}
}

/* add the answer's addresses to l; an empty answer only if may_skip */
static int
ask_rcpts(struct input *in, struct msg_addrs *l, int may_skip)
{
	char answer[ANSWER_MAX];
	struct msg_addrs got;
	int r, ok;

	for (;;) {
		if ((r = ask(in, "To: ", answer, sizeof(answer))) != ASK_OK)
			return r;
		if (answer[0] == '\0' && may_skip)
			return ASK_OK;
		memset(&got, 0, sizeof(got));
		r = answer[0] == '\0' ? 0 : msg_addrs_parse(&got, answer, "To");
		if (r == 0 && got.n == 0)
			mailc_warnx("a recipient address, please");
		ok = r == 0 && got.n > 0 && msg_addrs_merge(l, &got) == 0;
		msg_addrs_free(&got);
		if (ok)
			return ASK_OK;
	}
}

/* the body, up to a line holding a single "." */
static int
ask_body(struct input *in, struct msg *m)
{
	char line[MSG_LINE_MAX];
	enum input_status st;
	size_t len;
	int bol = 1, r;

	puts("Enter the message; end it with a line containing only a "
	     "single \".\"");
	fflush(stdout);
	while ((st = input_line(in, line, sizeof(line), &len)) > 0) {
		if (bol &&
		    (strcmp(line, ".\n") == 0 || strcmp(line, ".\r\n") == 0))
			return msg_close(m);
		bol = st == INPUT_LINE;
		if ((r = msg_feed(m, line, len)) != 0)
			return r;
	}
	if (st == INPUT_ERROR)
		mailc_warn("reading the message");
	return st == INPUT_ERROR ? EX_IOERR : MESSAGE_CUT;
}

/* a reply that ends the session: the connection is gone or going */
static int
fatal_reply(int code)
{
	return code < 0 || code == 421;
}

/* MAIL FROM, asking again while it is refused: 0, MESSAGE_CUT or status */
static int
send_mail_from(struct input *in, struct smtpc *c, char *from, size_t size)
{
	int code, r;

	for (;;) {
		code = smtpc_cmd(c, "MAIL FROM:<%s>", from);
		if (code / 100 == 2)
			return 0;
		if (fatal_reply(code))
			return mailc_smtp_fail(c, code, "MAIL FROM");
		printf("The sender was refused; try another.\n");
		if ((r = ask_sender(in, from, size)) != ASK_OK)
			return r == ASK_EOF ? MESSAGE_CUT : EX_IOERR;
	}
}

/* RCPT TO for each of want, into got; asks again while any is refused */
static int
send_rcpt_to(struct input *in, struct smtpc *c, struct msg_addrs *want,
	     struct msg_addrs *got)
{
	size_t i, refused;
	int code, r;

	for (;;) {
		refused = 0;
		for (i = 0; i < want->n; i++) {
			code = smtpc_cmd(c, "RCPT TO:<%s>", want->v[i]);
			if (fatal_reply(code))
				return mailc_smtp_fail(c, code, want->v[i]);
			if (code / 100 != 2)
				refused++;
			else if (msg_addrs_add(got, want->v[i]) < 0)
				return EX_DATAERR;
		}
		msg_addrs_free(want);
		if (refused == 0 && got->n > 0)
			return 0;
		if (got->n == 0)
			printf("No recipient was accepted; enter another.\n");
		else
			printf("A recipient was refused; enter another, or "
			       "just Enter to send to those accepted.\n");
		if ((r = ask_rcpts(in, want, got->n > 0)) != ASK_OK)
			return r == ASK_EOF ? MESSAGE_CUT : EX_IOERR;
		if (want->n == 0)
			return 0;
	}
}

/* our headers and MIME, DATA, the message, the reply to the final "." */
static int
send_data(struct smtpc *c, const struct msg_gen *gen, struct msg *m)
{
	char *hdrs;
	size_t len;
	int code;

	if ((hdrs = msg_headers(gen, 0, &len)) == NULL)
		return EX_OSERR;
	code = mime_finish(m, NULL, hdrs, len);
	free(hdrs);
	if (code != 0)
		return code;
	if ((code = smtpc_cmd(c, "DATA")) != 354)
		return fatal_reply(code) ? mailc_smtp_fail(c, code, "DATA")
					 : EX_UNAVAILABLE;
	lio_set_timeout(&c->lio, MAILC_DATA_TIMEOUT);
	/* HELO: no 8BITMIME, so an 8-bit body goes quoted-printable */
	code = mime_send(c, m, 0);
	lio_set_timeout(&c->lio, MAILC_TIMEOUT);
	if (fatal_reply(code))
		return mailc_smtp_fail(c, code, "message not sent");
	return code / 100 == 2 ? 0 : EX_UNAVAILABLE;
}

/*
 * One message: MESSAGE_DONE, MESSAGE_NONE, or an exit status when the
 * session cannot go on.
 */
static int
interactive_message(struct input *in, struct smtpc *c, int *said_hello)
{
	char from[ADDR_MAX + 1], subject[MSG_SUBJECT_MAX + 2];
	struct msg_addrs want, got;
	struct msg_gen gen;
	struct msg m;
	int r, status;

	memset(&want, 0, sizeof(want));
	memset(&got, 0, sizeof(got));
	memset(&m, 0, sizeof(m));
	if ((r = ask_sender(in, from, sizeof(from))) != ASK_OK)
		return r == ASK_EOF ? MESSAGE_NONE : EX_IOERR;
	if ((r = ask_rcpts(in, &want, 0)) != ASK_OK ||
	    (r = ask(in, "Subject: ", subject, sizeof(subject))) != ASK_OK) {
		status = r == ASK_EOF ? MESSAGE_CUT : EX_IOERR;
		goto out;
	}
	gen.from = from;
	gen.subject = subject;
	gen.to = &got;
	gen.cc = NULL;
	if ((status = msg_open(&m, &gen, MSG_BODYONLY)) != 0 ||
	    (status = ask_body(in, &m)) != 0)
		goto out;

	if (!*said_hello) {
		/* DESIGN.md §3: HELO, the plain greeting, in this mode */
		if ((r = smtpc_cmd(c, "HELO %s", mailc_hostname())) / 100 !=
		    2) {
			status = mailc_smtp_fail(c, r, "HELO");
			goto out;
		}
		*said_hello = 1;
	}
	if ((status = send_mail_from(in, c, from, sizeof(from))) != 0 ||
	    (status = send_rcpt_to(in, c, &want, &got)) != 0)
		goto out;
	if ((status = send_data(c, &gen, &m)) == EX_UNAVAILABLE) {
		/* the reply is on the screen already; clear the transaction */
		printf("The message was not sent.\n");
		smtpc_cmd(c, "RSET");
		status = MESSAGE_DONE;
	}
out:
	if (status == MESSAGE_CUT) {
		mailc_warnx("end of input: the message was not sent");
		status = EX_DATAERR;
	}
	msg_free(&m);
	msg_addrs_free(&want);
	msg_addrs_free(&got);
	return status;
}

int
interactive_main(const char *host_default, const char *port_default)
{
	char host[MAILC_HOST_MAX + 2], port[16], answer[64];
	char prompt[MAILC_HOST_MAX + 64];
	struct input in;
	struct smtpc c;
	int r, status, said_hello = 0;

	input_init(&in, STDIN_FILENO);
	snprintf(prompt, sizeof(prompt),
		 "Server host name [%s]: ", host_default);
	do {
		if ((r = ask(&in, prompt, host, sizeof(host))) != ASK_OK)
			return r == ASK_EOF ? 0 : EX_IOERR;
		if (host[0] == '\0')
			strlcpy(host, host_default, sizeof(host));
	} while (mailc_check_host(host) < 0);
	snprintf(prompt, sizeof(prompt), "Port [%s]: ", port_default);
	do {
		if ((r = ask(&in, prompt, port, sizeof(port))) != ASK_OK)
			return r == ASK_EOF ? 0 : EX_IOERR;
		if (port[0] == '\0')
			strlcpy(port, port_default, sizeof(port));
	} while (mailc_check_port(port) < 0);

	if ((status = mailc_smtp_open(&c, host, port, stdout, NULL)) != 0)
		return status;
	for (;;) {
		status = interactive_message(&in, &c, &said_hello);
		if (status != MESSAGE_DONE)
			break;
		r = ask(&in, "Send another message? [y/N]: ", answer,
			sizeof(answer));
		if (r != ASK_OK || (answer[0] != 'y' && answer[0] != 'Y'))
			break;
	}
	mailc_smtp_quit(&c, c.code);
	return status == MESSAGE_NONE ? 0 : status;
}
