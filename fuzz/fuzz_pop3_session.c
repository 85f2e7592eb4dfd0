/*
 * fuzz_pop3_session.c - the POP3 session (smtpd/pop3/, pop3_session_run):
 * the input is what a client sends, read from a pipe whose write end is
 * already closed, so the session ends at EOF and never waits.  Before
 * each run alice@example.org (password alicepw) gets a fresh Maildir with
 * two new messages (one with lines that need dot-stuffing) and one in
 * cur/; it is removed after the run.  Replies go to an unlinked file and
 * are checked: the first line is +OK or -ERR, every line ends in CRLF,
 * nothing follows "-ERR Too many errors" or "-ERR [AUTH] Too many
 * authentication failures" (the session is over), and the session leaves no
 * more messages than it found and nothing in tmp/.  The failed-login delay
 * (passwd_fail_delay) does not sleep in a -DFUZZING build.  Logs go to
 * stderr: run with -close_fd_mask=2 to hide them.
 */
#include "fuzz_util.h"

#include "fuzz_smtpd.h"
#include "pop3/session.h"

#include <time.h>

static const char msg1[] = "Return-Path: <bob@example.org>\n"
			   "From: bob@example.org\n"
			   "To: alice@example.org\n"
			   "Subject: hello\n"
			   "\n"
			   "Hi Alice,\n"
			   "lunch?\n";
static const char msg2[] = "From: carol@example.net\n"
			   "Subject: dots\n"
			   "\n"
			   ".\n"
			   "..two\n"
			   ".leading dot\n"
			   "no final newline";
static const char msg3[] = "From: bob@example.org\nSubject: old\n\nseen\n";

static int
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void
fill_mailbox(void)
{
	char path[PATH_MAX];

	fz_mkdir("mail/example.org");
	fz_mkdir("mail/example.org/alice");
	fz_mkdir("mail/example.org/alice/cur");
	fz_mkdir("mail/example.org/alice/new");
	fz_mkdir("mail/example.org/alice/tmp");
	fuzz_write_file(fuzz_path(path, sizeof(path),
				  "mail/example.org/alice/new/"
				  "1700000000.M1P1Q1.mx,S=108"),
			msg1, sizeof(msg1) - 1);
	fuzz_write_file(fuzz_path(path, sizeof(path),
				  "mail/example.org/alice/new/"
				  "1700000001.M1P1Q2.mx,S=76"),
			msg2, sizeof(msg2) - 1);
	fuzz_write_file(fuzz_path(path, sizeof(path),
				  "mail/example.org/alice/cur/"
				  "1600000000.M1P1Q1.mx,S=41:2,S"),
			msg3, sizeof(msg3) - 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *replies, *p;
	size_t rlen;
	int fd;

	fill_mailbox();
	fd = fuzz_input_fd(data, size);
	fz_output_reset(out_fd);
	pop3_session_run(d, SVC_POP3, fd, out_fd, "192.0.2.1");
	close(fd);

	replies = fz_output(out_fd, &rlen);
	CHECK(rlen == 0 || strncmp(replies, "+OK", 3) == 0 ||
	      strncmp(replies, "-ERR", 4) == 0);
	for (p = replies; (p = memchr(p, '\n', rlen - (size_t)(p - replies)));
	     p++) {
		CHECK(p > replies && p[-1] == '\r');
		/* the session ends with these: nothing may follow */
		if (starts(p + 1, "-ERR Too many errors\r\n") ||
		    starts(p + 1, "-ERR [AUTH] Too many authentication "
				  "failures\r\n"))
			CHECK(strchr(p + 1, '\n') == replies + rlen - 1);
	}
	CHECK(rlen == 0 || replies[rlen - 1] == '\n');
	free(replies);
	CHECK(fz_count_in("mail", "new") + fz_count_in("mail", "cur") <= 3);
	CHECK(fz_count_in("mail", "tmp") == 0);
	fz_smtpd_clean();
	return 0;
}
