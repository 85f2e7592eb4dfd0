/*
 * reader.c - mailc's reading modes (see reader.h): the command line of
 * inbox, read and fetch, logging in, and the first two of them.
 *
 *   inbox: LIST, then TOP n 0 for each message; one line a message with
 *          its number, Date, From (else Return-Path), Subject and size.
 *          Folded header lines are unfolded; nothing is decoded (RFC 2047
 *          words show as they are); control characters show as "?".
 *   read:  RETR N to stdout as the server's file holds it (LF line ends,
 *          dot-stuffing removed); with -d then DELE N and QUIT, and
 *          success only once the server confirmed the QUIT (RFC 1939 §6:
 *          the deletion happens there).
 *
 * fetch is fetch.c, the protocol pop3c.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util.h"

#include "common.h"
#include "password.h"
#include "reader.h"

#define READER_MSGS_MAX 100000 /* listed in one session, as the server */
#define FIELD_MAX 256	       /* of a header shown by inbox */

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

int
reader_open(struct pop3c *c, const struct reader_opts *o)
{
	char pass[PASSWORD_MAX + 1];
	int status;

	/* ask first: a person typing must not run into the server's timeout */
	if ((status = password_get(o->user, pass, sizeof(pass))) != 0)
		return status;
	if ((status = pop3c_connect(c, o->host, o->port)) == 0 &&
	    (status = pop3c_login(c, o->user, pass)) != 0) {
		(void)pop3c_quit(c);
		pop3c_close(c);
	}
	wipe(pass, sizeof(pass));
	return status;
}

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
		if (*n >= READER_MSGS_MAX)
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

/* a message number: 1 to 9 digits, not 0; -1 otherwise */
static long
reader_msgno(const char *s)
{
	long v = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9' && p - s < 9; p++)
		v = v * 10 + (*p - '0');
	return p == s || *p != '\0' || v == 0 ? -1 : v;
}

static int
read_run(struct pop3c *c, const struct reader_opts *o, long num)
{
	char piece[POP3C_CHUNK_MAX], what[64];
	size_t len;
	enum pop3c_piece p;
	int status, r;

	snprintf(what, sizeof(what), "message %ld", num);
	if ((r = pop3c_cmd(c, "RETR %ld", num)) != 1) {
		status = pop3c_fail(c, what);
		(void)pop3c_quit(c);
		/* a plain -ERR to RETR: there is no such message */
		return r == 0 && status == EX_UNAVAILABLE ? EX_NOINPUT : status;
	}
	while ((p = pop3c_read(c, piece, sizeof(piece), &len)) == POP3C_DATA)
		if (fwrite(piece, 1, len, stdout) != len)
			break;
	if (fflush(stdout) == EOF || ferror(stdout)) {
		mailc_warn("standard output");
		(void)pop3c_quit(c); /* the connection is out of step: no -d */
		return EX_IOERR;
	}
	if (p != POP3C_END)
		return pop3c_fail(c, what);
	if (!o->delete) {
		(void)pop3c_quit(c);
		return 0;
	}
	if (pop3c_cmd(c, "DELE %ld", num) != 1) {
		status = pop3c_fail(c, "DELE");
		(void)pop3c_quit(c);
		return status;
	}
	if (pop3c_quit(c) != 1)
		return pop3c_fail(c, "QUIT (the message may not be deleted)");
	return 0;
}

static const char *
reader_env_port(void)
{
	const char *v = getenv("MAILC_POP3_PORT");

	return v != NULL && *v != '\0' ? v : READER_DEFAULT_PORT;
}

int
pop3c_main(const char *cmd, int argc, char **argv)
{
	struct reader_opts o;
	struct pop3c c;
	int inbox = strcmp(cmd, "inbox") == 0, ch, status;
	long num = 0;

	memset(&o, 0, sizeof(o));
	o.host = mailc_env_host();
	o.port = reader_env_port();
	if ((o.user = getenv("MAILC_USER")) != NULL && *o.user == '\0')
		o.user = NULL;
	/* the operand may come first (mailc read 3 -u bob) or last */
	if (!inbox && argc > 1 && argv[1][0] != '-') {
		o.arg = argv[1];
		argc--;
		argv++;
	}
	opterr = 0;
	optind = 1;
	while ((ch = getopt(argc, argv, inbox ? ":H:p:u:" : ":H:p:u:d")) !=
	       -1) {
		switch (ch) {
		case 'H':
			o.host = optarg;
			break;
		case 'p':
			o.port = optarg;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'd':
			o.delete = 1;
			break;
		case ':':
			mailc_warnx("%s: option -%c needs a value", cmd,
				    optopt);
			return mailc_usage();
		default:
			mailc_warnx("%s: unknown option -%c", cmd, optopt);
			return mailc_usage();
		}
	}
	if (!inbox && o.arg == NULL && optind < argc)
		o.arg = argv[optind++];
	if (optind != argc || (!inbox && o.arg == NULL))
		return mailc_usage();
	if (o.user == NULL) {
		mailc_warnx("%s: who is reading? use -u user (or MAILC_USER)",
			    cmd);
		return EX_USAGE;
	}
	if (mailc_check_host(o.host) < 0 || mailc_check_port(o.port) < 0)
		return EX_USAGE;
	if (strcmp(cmd, "read") == 0 && (num = reader_msgno(o.arg)) < 0) {
		mailc_warnx("read: bad message number: %.40s", o.arg);
		return EX_USAGE;
	}
	if (strcmp(cmd, "fetch") == 0)
		return fetch_run(&o);
	if ((status = reader_open(&c, &o)) != 0)
		return status;
	status = inbox ? inbox_run(&c) : read_run(&c, &o, num);
	pop3c_close(&c);
	return status;
}
