/*
 * retr.c - RETR and TOP (RFC 1939 §7): a message goes out as a
 * multi-line response with CRLF line ends and dot-stuffing (dot.c), read
 * and sent in chunks so that a message of any size needs only one
 * buffer.  It does not know where messages are kept (maildrop.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dot.h"
#include "log.h"
#include "util.h"

#include "pop3/reply.h"
#include "pop3/retr.h"

#define POP3_CHUNK 65536

/*
 * Which part of a chunk TOP sends: the header section through its empty
 * line (RFC 1939 §7: "the headers ... the blank line separating the
 * headers from the body"), then `left` lines of the body.
 */
struct pop3_top {
	int in_headers;
	long long left;
	size_t linelen; /* bytes of the current line so far */
	char first;	/* its first byte */
	int done;
};

static size_t
pop3_top_cut(struct pop3_top *t, const char *buf, size_t n)
{
	const char *p = buf, *end = buf + n, *lf;

	while (p < end) {
		size_t seg;
		lf = memchr(p, '\n', (size_t)(end - p));
		seg = (size_t)((lf ? lf : end) - p);
		if (t->linelen == 0 && seg > 0)
			t->first = *p;
		t->linelen += seg;
		if (lf == NULL)
			break;
		p = lf + 1;
		/* the empty line ending the headers is sent, not counted */
		if (!t->in_headers)
			t->left--;
		else if (t->linelen == 0 ||
			 (t->linelen == 1 && t->first == '\r'))
			t->in_headers = 0;
		t->linelen = 0;
		if (!t->in_headers && t->left <= 0) {
			t->done = 1;
			return (size_t)(p - buf);
		}
	}
	return n;
}

/*
 * Send fd as a multi-line response: CRLF line ends, dot-stuffed (dot.c),
 * in chunks, so a message is never held in memory.  With top >= 0 only
 * the headers and top lines of the body.  -1 if the file cannot be read
 * or the client is gone: the response is then left unterminated and the
 * session ends, so the client cannot mistake a part for the whole.
 */
static int
pop3_stream(struct pop3_session *s, int fd, long long top)
{
	struct pop3_top t = {1, top, 0, 0, 0};
	struct dot_out dot;
	char *buf = xmalloc(POP3_CHUNK);
	ssize_t n;
	int r = 0;

	dot_out_init(&dot);
	while (!t.done && (n = read(fd, buf, POP3_CHUNK)) != 0) {
		size_t len = (size_t)n;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("[%s]: pop3: read message", s->client_ip);
			r = -1;
			break;
		}
		if (top >= 0)
			len = pop3_top_cut(&t, buf, len);
		dot_out_write(&dot, &s->lio, buf, len);
		if (s->lio.werr) {
			r = -1;
			break;
		}
	}
	free(buf);
	if (r == 0)
		dot_out_end(&dot, &s->lio);
	return r;
}

/* RETR (top < 0) and TOP */
static void
pop3_send_msg(struct pop3_session *s, size_t i, long long top)
{
	off_t octets;
	int fd;

	if (pop3_octets(s, i, &octets) < 0)
		return;
	if ((fd = maildrop_msg_open(&s->drop, i)) < 0) {
		log_warn("[%s]: pop3: open message %zu", s->client_ip, i + 1);
		pop3_reply(s, "-ERR [SYS/TEMP] Cannot read message %zu", i + 1);
		return;
	}
	if (top < 0)
		pop3_reply(s, "+OK %lld octets", (long long)octets);
	else
		pop3_reply(s, "+OK Top of message %zu follows", i + 1);
	if (pop3_stream(s, fd, top) < 0)
		s->quit = 1; /* no UPDATE: nothing is deleted */
	close(fd);
}

void
pop3_cmd_top(struct pop3_session *s, char *arg)
{
	char *lines = strchr(arg, ' ');
	long long n;
	size_t i;

	*lines++ = '\0'; /* two arguments: the generic check made sure */
	if (pop3_msgno(s, arg, &i) < 0)
		return;
	if ((n = pop3_number(lines)) < 0) {
		pop3_reply(s, "-ERR Invalid number of lines");
		return;
	}
	pop3_send_msg(s, i, n);
}

void
pop3_cmd_retr(struct pop3_session *s, char *arg)
{
	size_t i;

	if (pop3_msgno(s, arg, &i) == 0)
		pop3_send_msg(s, i, -1);
}
