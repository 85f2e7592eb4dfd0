/*
 * inbox.c - mailc inbox: one line a message, listed over POP3 (the
 * command line and the session are reader.c's, the protocol pop3c.c's).
 *
 * LIST, then TOP n 0 for each message; one line a message with its
 * number, Date, From (else Return-Path), Subject and size.  Folded
 * header lines are unfolded; nothing is decoded (RFC 2047 words show as
 * they are); control characters show as "?".  It changes nothing on the
 * server.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#include "common.h"
#include "inbox.h"
#include "pop3c.h"
#include "reader.h"

#define INBOX_MSGS_MAX 100000 /* listed in one session, as the server */
#define FIELD_MAX 256	      /* of a header shown */

struct inbox_msg {
	unsigned long num;
	long long size;
};

struct field {
	char text[FIELD_MAX];
	size_t len;
	int seen;
};

/* the headers inbox shows, collected from the pieces of TOP n 0 */
struct inbox_hdrs {
	struct field date, from, subject, return_path;
	struct field *cur; /* the field being unfolded, or NULL */
	int bol, done;
};

static void
field_add(struct field *f, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && f->len + 1 < sizeof(f->text); i++) {
		char ch = p[i];
		if (ch == '\n' || ch == '\r')
			continue; /* unfolding: the line break goes */
		if (ch == '\t')
			ch = ' ';
		else if ((unsigned char)ch < ' ' || ch == 0x7f)
			ch = '?';
		f->text[f->len++] = ch;
	}
	f->text[f->len] = '\0';
}

/* the field a header line names, if inbox shows it and has not got it */
static struct field *
hdrs_field(struct inbox_hdrs *h, const char *name, size_t n)
{
	static const struct {
		const char *name;
		size_t off;
	} shown[] = {
	    {"Date", offsetof(struct inbox_hdrs, date)},
	    {"From", offsetof(struct inbox_hdrs, from)},
	    {"Subject", offsetof(struct inbox_hdrs, subject)},
	    {"Return-Path", offsetof(struct inbox_hdrs, return_path)},
	};
	size_t i;

	while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t'))
		n--;
	for (i = 0; i < nitems(shown); i++) {
		struct field *f = (struct field *)((char *)h + shown[i].off);
		if (strlen(shown[i].name) == n &&
		    strncasecmp(name, shown[i].name, n) == 0 && !f->seen) {
			f->seen = 1;
			return f;
		}
	}
	return NULL;
}

static void
hdrs_feed(struct inbox_hdrs *h, const char *p, size_t n)
{
	int ends_line = n > 0 && p[n - 1] == '\n';

	if (h->done || n == 0)
		return;
	if (h->bol) {
		const char *colon;
		if (p[0] == '\n' || (p[0] == '\r' && n > 1 && p[1] == '\n')) {
			h->done =
			    1; /* the empty line ends the header section */
			return;
		}
		if (p[0] != ' ' && p[0] != '\t') {
			/* a new field; a line without a colon is not one */
			h->cur = NULL;
			if ((colon = memchr(p, ':', n)) != NULL) {
				h->cur = hdrs_field(h, p, (size_t)(colon - p));
				n -= (size_t)(colon + 1 - p);
				p = colon + 1;
			}
		}
	}
	if (h->cur != NULL)
		field_add(h->cur, p, n);
	h->bol = ends_line;
}

/* leading and trailing blanks off; "-" for an empty field */
static const char *
field_show(struct field *f)
{
	char *s = f->text;

	while (f->len > 0 && s[f->len - 1] == ' ')
		s[--f->len] = '\0';
	while (*s == ' ')
		s++;
	return *s ? s : "-";
}

/* LIST: the message numbers and sizes; 0 or an exit status */
static int
inbox_list(struct pop3c *c, struct inbox_msg **v, size_t *n)
{
	char line[256], *end;
	size_t len, cap = 0;
	enum pop3c_piece p;

	if (pop3c_cmd(c, "LIST") != 1)
		return pop3c_fail(c, "LIST");
	while ((p = pop3c_read(c, line, sizeof(line), &len)) == POP3C_DATA) {
		struct inbox_msg m;
		m.num = strtoul(line, &end, 10);
		if (len == 0 || line[len - 1] != '\n' || end == line ||
		    *end != ' ' || (m.size = strtoll(end + 1, &end, 10)) < 0 ||
		    (*end != '\n' && *end != ' ')) {
			mailc_warnx("LIST: a malformed line: %.40s", line);
			(void)pop3c_skip(c);
			return EX_UNAVAILABLE;
		}
		if (*n >= INBOX_MSGS_MAX)
			continue; /* the rest in a later run */
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*v = xreallocarray(*v, cap, sizeof(**v));
		}
		(*v)[(*n)++] = m;
	}
	return p == POP3C_END ? 0 : pop3c_fail(c, "LIST");
}

static int
inbox_run(struct pop3c *c)
{
	struct inbox_msg *v = NULL;
	struct inbox_hdrs h;
	char piece[POP3C_CHUNK_MAX];
	size_t n = 0, i, len;
	enum pop3c_piece p;
	int status;

	if ((status = inbox_list(c, &v, &n)) != 0)
		goto done;
	for (i = 0; i < n; i++) {
		char what[64];
		snprintf(what, sizeof(what), "TOP %lu 0", v[i].num);
		if (pop3c_cmd(c, "%s", what) != 1) {
			status = pop3c_fail(c, what);
			goto done;
		}
		memset(&h, 0, sizeof(h));
		h.bol = 1;
		while ((p = pop3c_read(c, piece, sizeof(piece), &len)) ==
		       POP3C_DATA)
			hdrs_feed(&h, piece, len);
		if (p != POP3C_END) {
			status = pop3c_fail(c, what);
			goto done;
		}
		printf("%4lu  %-31s  %-30s  %s  (%lld octets)\n", v[i].num,
		       field_show(&h.date),
		       field_show(h.from.seen ? &h.from : &h.return_path),
		       field_show(&h.subject), v[i].size);
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		mailc_warn("standard output");
		status = EX_IOERR;
	}
done:
	free(v);
	(void)pop3c_quit(c);
	return status;
}

int
inbox_main(int argc, char **argv)
{
	struct reader_opts o;
	struct pop3c c;
	int status;

	if ((status = reader_options(&o, argc, argv, 0)) != 0 ||
	    (status = reader_open(&c, &o)) != 0)
		return status;
	status = inbox_run(&c);
	pop3c_close(&c);
	return status;
}
