/*
 * pop3c.c - see pop3c.h.  The TCP connection (name lookup, connect with
 * a timeout) comes from net_connect(), the bounded, timed lines from
 * lineio; everything on top of them is POP3.  Status lines are bounded
 * (RFC 2449 §4: 512 octets), an overlong one is cut, and control
 * characters in them are never printed.  A command is never sent with
 * a line break inside it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lineio.h"
#include "net.h"
#include "tlsio.h"
#include "util.h"

#include "common.h"
#include "pop3c.h"
#include "secure.h"

static int
pop3c_lost(struct pop3c *c, int garbled, const char *why)
{
	strlcpy(c->err, why, sizeof(c->err));
	c->lost = 1;
	c->garbled = garbled;
	return -1;
}

/* read one status line: 1 +OK, 0 -ERR, -1 lost */
static int
pop3c_status(struct pop3c *c)
{
	char line[POP3C_STATUS_MAX + 1], skip[256], why[256];
	size_t len, i;
	enum lio_status st;

	c->status[0] = '\0';
	if (c->lost)
		return -1;
	if (lio_flush(&c->lio) < 0)
		return pop3c_lost(c, 0, "connection lost");
	st = lio_read_line(&c->lio, line, sizeof(line), &len);
	if (st == LIO_PARTIAL) {
		/* an overlong status line: keep its start, drop the rest */
		size_t n;
		while ((st = lio_read_line(&c->lio, skip, sizeof(skip), &n)) ==
		       LIO_PARTIAL)
			;
		if (st == LIO_LINE)
			st = LIO_PARTIAL;
	}
	if (st != LIO_LINE && st != LIO_PARTIAL)
		return pop3c_lost(c, 0,
				  st == LIO_TIMEOUT
				      ? "timeout waiting for the server"
				      : "connection closed by the server");
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < ' ' || line[i] == 0x7f)
			line[i] = '?';
	strlcpy(c->status, line, sizeof(c->status));
	if (c->trace != NULL)
		fprintf(c->trace, "< %s\nRTT = %.2f ms\n", line,
			(double)(now_us() - c->sent_us) / 1000.0);
	if (strncmp(line, "+OK", 3) == 0 && (line[3] == '\0' || line[3] == ' '))
		return 1;
	if (strncmp(line, "-ERR", 4) == 0 &&
	    (line[4] == '\0' || line[4] == ' '))
		return 0;
	snprintf(why, sizeof(why), "not a POP3 response: %.80s", line);
	return pop3c_lost(c, 1, why);
}

int
pop3c_cmd(struct pop3c *c, const char *fmt, ...)
{
	char cmd[POP3C_STATUS_MAX];
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd) - 2 || strpbrk(cmd, "\r\n")) {
		wipe(cmd, sizeof(cmd));
		return pop3c_lost(c, 0,
				  "command too long or with a line break");
	}
	if (c->trace != NULL)
		fprintf(c->trace, "> %s\n",
			str_iprefix(cmd, "PASS ") ? "PASS ****" : cmd);
	lio_write(&c->lio, cmd, (size_t)n);
	lio_write(&c->lio, "\r\n", 2);
	c->sent_us = now_us();
	wipe(cmd, sizeof(cmd)); /* it may be PASS */
	r = pop3c_status(c);
	wipe(c->lio.wbuf, sizeof(c->lio.wbuf));
	c->bol = 1;
	return r;
}

/* TLS on the connection now, the certificate checked against host */
static int
pop3c_tls(struct pop3c *c, const struct secure *s, const char *host,
	  const char *what)
{
	struct tlsio_ctx *ctx;
	struct tlsio *t;
	char err[200], desc[128];
	size_t dropped;

	if ((ctx = secure_ctx(s, err, sizeof(err))) == NULL) {
		mailc_warnx("%s: %s", what, err);
		c->lost = 1; /* the server waits for a handshake now */
		return EX_UNAVAILABLE;
	}
	if ((t = tlsio_client(ctx, c->fd, host, err, sizeof(err))) == NULL ||
	    lio_tls_start(&c->lio, t, &dropped, err, sizeof(err)) < 0) {
		secure_tls_failed(what, err);
		c->lost = 1;
		return EX_UNAVAILABLE;
	}
	tlsio_describe(t, desc, sizeof(desc));
	if (c->trace != NULL)
		fprintf(c->trace, "--- TLS started: %s\n", desc);
	return 0;
}

/*
 * After the greeting: STLS when CAPA lists it (RFC 2595 §4), or when s
 * requires it; 0 or an exit status after a message
 */
static int
pop3c_stls(struct pop3c *c, const struct secure *s, const char *host,
	   const char *what)
{
	char line[POP3C_STATUS_MAX + 1];
	size_t len;
	enum pop3c_piece p = POP3C_END;
	int offered = 0, r;

	/* a server without CAPA (RFC 2449) answers -ERR: no STLS either */
	if ((r = pop3c_cmd(c, "CAPA")) < 0)
		return pop3c_fail(c, "CAPA");
	while (r == 1 &&
	       (p = pop3c_read(c, line, sizeof(line), &len)) == POP3C_DATA)
		if (strcasecmp(line, "STLS\n") == 0)
			offered = 1;
	if (r == 1 && p != POP3C_END)
		return pop3c_fail(c, "CAPA");
	if (!offered)
		return secure_not_offered(s, what, "STLS");
	/* no STLS without a context to shake hands with */
	if (secure_ctx(s, line, sizeof(line)) == NULL) {
		mailc_warnx("%s offers STLS: %s", what, line);
		return EX_UNAVAILABLE;
	}
	if ((r = pop3c_cmd(c, "STLS")) != 1)
		return pop3c_fail(c, "STLS");
	return pop3c_tls(c, s, host, what);
}

int
pop3c_connect(struct pop3c *c, const char *host, const char *port,
	      const struct secure *s, FILE *trace)
{
	char what[MAILC_HOST_MAX + 64], err[200];
	int status;

	memset(c, 0, sizeof(*c));
	c->trace = trace;
	snprintf(what, sizeof(what), "%s port %s", host, port);
	/* TLS required, and no way to it (a build without): said before
	 * connecting */
	if ((secure_mode(s) == SECURE_IMPLICIT ||
	     secure_mode(s) == SECURE_REQUIRED) &&
	    secure_ctx(s, err, sizeof(err)) == NULL) {
		c->fd = -1;
		mailc_warnx("%s: %s",
			    secure_mode(s) == SECURE_IMPLICIT ? "--tls"
							      : "--tls-required",
			    err);
		return EX_UNAVAILABLE;
	}
	if ((c->fd = net_connect(host, port, POP3C_TIMEOUT, c->err,
				 sizeof(c->err))) < 0) {
		mailc_warnx("%s", c->err);
		return EX_UNAVAILABLE;
	}
	lio_init(&c->lio, c->fd, c->fd, POP3C_TIMEOUT);
	c->sent_us = now_us(); /* the greeting's RTT counts from connect */
	/* RFC 8314 §3.3: pop3s shakes hands first, then greets inside */
	if (secure_mode(s) == SECURE_IMPLICIT &&
	    (status = pop3c_tls(c, s, host, what)) != 0) {
		pop3c_close(c);
		return status;
	}
	if (pop3c_status(c) != 1) {
		status = pop3c_fail(c, what);
		pop3c_close(c);
		return status;
	}
	if (c->lio.tls == NULL && secure_try_starttls(s, c->fd) &&
	    (status = pop3c_stls(c, s, host, what)) != 0) {
		if (!c->lost)
			(void)pop3c_quit(c);
		pop3c_close(c);
		return status;
	}
	return 0;
}

/* a user name or password that can go on one command line */
static int
pop3c_one_line(const char *s)
{
	return strlen(s) < 256 && strpbrk(s, "\r\n") == NULL;
}

int
pop3c_login(struct pop3c *c, const char *user, const char *pass)
{
	int r;

	if (!pop3c_one_line(user)) {
		mailc_warnx("bad user name: too long or a line break in it");
		return EX_USAGE;
	}
	if (!pop3c_one_line(pass)) {
		mailc_warnx("bad password: too long or a line break in it");
		return EX_USAGE;
	}
	if ((r = pop3c_cmd(c, "USER %s", user)) == 1)
		r = pop3c_cmd(c, "PASS %s", pass);
	if (r == 1)
		return 0;
	r = pop3c_fail(c, "login");
	/* any other refusal of USER or PASS is a bad login */
	return r == EX_UNAVAILABLE && !c->lost ? EX_NOPERM : r;
}

enum pop3c_piece
pop3c_read(struct pop3c *c, char *buf, size_t size, size_t *len)
{
	enum lio_status st;
	size_t n;

	*len = 0;
	buf[0] = '\0';
	if (c->lost)
		return POP3C_LOST;
	st = lio_read_line(&c->lio, buf, size, &n);
	if (st != LIO_LINE && st != LIO_PARTIAL) {
		pop3c_lost(c, 0,
			   st == LIO_TIMEOUT
			       ? "timeout waiting for the server"
			       : "connection closed by the server");
		return POP3C_LOST;
	}
	/* RFC 1939 §3: the lone "." ends it; a leading dot was doubled */
	if (c->bol && st == LIO_LINE &&
	    ((n == 3 && memcmp(buf, ".\r\n", 3) == 0) ||
	     (n == 2 && memcmp(buf, ".\n", 2) == 0)))
		return POP3C_END;
	if (c->bol && n > 0 && buf[0] == '.') {
		memmove(buf, buf + 1, n); /* the NUL comes along */
		n--;
	}
	if (st == LIO_LINE && n >= 2 && buf[n - 2] == '\r') {
		buf[n - 2] = '\n';
		buf[--n] = '\0';
	}
	c->bol = st == LIO_LINE;
	*len = n;
	return POP3C_DATA;
}

int
pop3c_skip(struct pop3c *c)
{
	char buf[4096];
	size_t len;
	enum pop3c_piece p;

	while ((p = pop3c_read(c, buf, sizeof(buf), &len)) == POP3C_DATA)
		;
	return p == POP3C_END ? 0 : -1;
}

int
pop3c_fail(const struct pop3c *c, const char *what)
{
	const char *code = c->status + 4;

	if (c->lost) {
		mailc_warnx("%s: %s", what, c->err);
		return c->garbled ? EX_UNAVAILABLE : EX_TEMPFAIL;
	}
	mailc_warnx("%s: %s", what, c->status);
	/* the response codes of RFC 2449 §8 and RFC 3206 */
	if (*code == ' ')
		code++;
	if (str_iprefix(code, "[IN-USE]") || str_iprefix(code, "[SYS/TEMP]") ||
	    str_iprefix(code, "[LOGIN-DELAY]"))
		return EX_TEMPFAIL;
	if (str_iprefix(code, "[AUTH]"))
		return EX_NOPERM;
	return EX_UNAVAILABLE;
}

int
pop3c_quit(struct pop3c *c)
{
	if (c->lost || c->fd < 0)
		return -1;
	return pop3c_cmd(c, "QUIT");
}

void
pop3c_close(struct pop3c *c)
{
	lio_tls_end(&c->lio);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
