/*
 * fuzz_smtp_session.c - the whole SMTP session (smtpd/smtp/ with
 * smtpd/store/'s deliver.c, maildir.c, queue.c behind it): the input is what a
 * client sends, read by smtp_session_run from a pipe whose write end is
 * already closed, so the session always ends at EOF and never waits.
 * Input starting with "SUBMISSION\n" is served as the submission
 * listener (AUTH required), anything else as smtp.  Replies go to an
 * unlinked file and are checked: CRLF-terminated lines of at most 512
 * octets (RFC 5321 §4.5.3.1.5), a three-digit code, no NUL or CR inside,
 * the 220 banner first, nothing after 221/421, and after a 354 the next
 * reply is the one answer to the message (250, 552, 451 or 421): were a
 * smuggled command run inside DATA, its reply would come first.
 * Delivery is real (into Maildirs and the queue in the temporary
 * directory, emptied after each run): nothing may appear in new/ or the
 * queue without a "250 Message received", and nothing may be left in any
 * tmp/.  Needs the AUTH delay off (auth.c skips it under -DFUZZING).
 * Logs go to stderr (verbose): run with -close_fd_mask=2 to hide them.
 */
#include "fuzz_util.h"

#include "fuzz_smtpd.h"
#include "smtp/session.h"

/* check every reply line; the number of messages acknowledged */
static int
check_replies(const char *p, size_t len)
{
	const char *end = p + len;
	int acks = 0, first = 1, closed = 0, in_data = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n;

		CHECK(nl != NULL && nl > p && nl[-1] == '\r');
		n = (size_t)(nl - p) + 1;
		CHECK(n <= 512 && n >= 6);
		CHECK(memchr(p, '\0', n) == NULL &&
		      memchr(p, '\r', n - 2) == NULL);
		CHECK(p[0] >= '2' && p[0] <= '5' && p[1] >= '0' &&
		      p[1] <= '9' && p[2] >= '0' && p[2] <= '9' &&
		      (p[3] == ' ' || p[3] == '-'));
		CHECK(!closed);
		if (first)
			CHECK(strncmp(p, "220 mx.example.org ESMTP ready\r\n",
				      n) == 0);
		/* DATA is answered once, at its end: nothing in between */
		if (in_data)
			CHECK(strncmp(p, "250 Message received", 20) == 0 ||
			      strncmp(p, "552 ", 4) == 0 ||
			      strncmp(p, "451 ", 4) == 0 ||
			      strncmp(p, "421 ", 4) == 0);
		in_data = strncmp(p, "354 ", 4) == 0;
		if (strncmp(p, "250 Message received", 20) == 0)
			acks++;
		if (strncmp(p, "221 ", 4) == 0 || strncmp(p, "421 ", 4) == 0)
			closed = 1;
		first = 0;
		p = nl + 1;
	}
	return acks;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum service svc = SVC_SMTP;
	int fd, acks, nnew, nqueued;
	char *replies;
	size_t rlen;

	if (size >= 11 && memcmp(data, "SUBMISSION\n", 11) == 0) {
		svc = SVC_SUBMISSION;
		data += 11;
		size -= 11;
	}
	fd = fuzz_input_fd(data, size);
	fz_output_reset(out_fd);
	smtp_session_run(d, svc, fd, out_fd, "192.0.2.1");
	close(fd);

	replies = fz_output(out_fd, &rlen);
	acks = check_replies(replies, rlen);
	free(replies);
	nnew = fz_count_in("mail", "new");
	nqueued = fz_count_in("queue", "env");
	CHECK(fz_count_in("mail", "tmp") == 0);
	CHECK(fz_count_in("queue", "tmp") == 0);
	CHECK(fz_count_in("queue", "data") == nqueued);
	CHECK(nnew + nqueued >= acks);
	if (acks == 0)
		CHECK(nnew == 0 && nqueued == 0);
	fz_smtpd_clean();
	return 0;
}
