/*
 * read.c - mailc read N [-d]: message N over POP3, to stdout as the
 * server's file holds it (LF line ends, dot-stuffing removed).  The
 * command line and the session are reader.c's, the protocol pop3c.c's.
 *
 * With -d, DELE N and QUIT follow, and it succeeds only once the server
 * confirmed the QUIT (RFC 1939 §6: the deletion happens there).  Nothing
 * is deleted after a failed write to stdout.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "pop3c.h"
#include "read.h"
#include "reader.h"

/* a message number: 1 to 9 digits, not 0; -1 otherwise */
static long
read_msgno(const char *s)
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

int
read_main(int argc, char **argv)
{
	struct reader_opts o;
	struct pop3c c;
	long num;
	int status;

	if ((status = reader_options(&o, argc, argv, 1)) != 0)
		return status;
	if ((num = read_msgno(o.arg)) < 0) {
		mailc_warnx("read: bad message number: %.40s", o.arg);
		return EX_USAGE;
	}
	if ((status = reader_open(&c, &o)) != 0)
		return status;
	status = read_run(&c, &o, num);
	pop3c_close(&c);
	return status;
}
