/*
 * fuzz_smtp_reply.c - lib/smtpc.c's reply reader (smtpc_reply), what the
 * relay child and mailc hear from a peer.  The input is the peer's side
 * of the conversation, read through a pipe; our commands go to
 * /dev/null.  As in a real client the first reply is the banner, the
 * second is read by smtpc_hello, so the EHLO extension parser runs on it
 * (and a 5xx makes it fall back to HELO); then replies are read until
 * the input ends or one is malformed.  Each reply must have a code from
 * 200 to 599 whose digits start c->text, the text and error strings must
 * stay terminated within bounds, and an extension may only be taken
 * from the EHLO reply's own text.
 */
#include "fuzz_util.h"

#include "smtpc.h"
#include "util.h"

static struct smtpc c;

/* keyword occurs in the reply text, in any case */
static int
in_text(const char *kw)
{
	const char *p;

	for (p = c.text; *p; p++)
		if (str_iprefix(p, kw))
			return 1;
	return 0;
}

static void
check_reply(int code)
{
	CHECK(memchr(c.text, '\0', sizeof(c.text)) != NULL);
	CHECK(memchr(c.err, '\0', sizeof(c.err)) != NULL);
	CHECK(code == c.code);
	if (code < 0)
		return;
	CHECK(code >= 200 && code <= 599);
	CHECK(c.text[0] - '0' == code / 100 &&
	      c.text[1] - '0' == code / 10 % 10 &&
	      c.text[2] - '0' == code % 10);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = fuzz_input_fd(data, size), code, n;

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	c.code = -1;
	lio_init(&c.lio, fd, fuzz_null_fd(), 1);
	check_reply(code = smtpc_reply(&c)); /* the banner */
	if (code >= 0) {
		code = smtpc_hello(&c, "fuzz.example.org");
		check_reply(code);
		CHECK(!(c.ext & SMTPC_EXT_PIPELINING) || in_text("PIPELINING"));
		CHECK(!(c.ext & SMTPC_EXT_8BITMIME) || in_text("8BITMIME"));
		CHECK(!(c.ext & SMTPC_EXT_SIZE) || in_text("SIZE"));
		CHECK(!(c.ext & SMTPC_EXT_AUTH_PLAIN) || in_text("PLAIN"));
		CHECK(!(c.ext & SMTPC_EXT_AUTH_LOGIN) || in_text("LOGIN"));
		CHECK(!(c.ext & SMTPC_EXT_ENHANCED) ||
		      in_text("ENHANCEDSTATUSCODES"));
	}
	for (n = 0; code >= 0 && n < 1000; n++) {
		if (n % 2)
			smtpc_send(&c, "NOOP"); /* pipelined: RTT bookkeeping */
		code = smtpc_reply(&c);
		check_reply(code);
		CHECK(c.npending >= 0 && c.npending <= SMTPC_PIPE_MAX);
	}
	close(fd);
	return 0;
}
