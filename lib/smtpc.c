/*
 * smtpc.c - see smtpc.h.  Relies on net.c for the connection, lineio for
 * bounded, timed reads and dot.c for stuffing.  It does not decide what a
 * reply means for the message; its callers do (mailc's exit codes, the
 * relay's retry rules).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "net.h"
#include "smtpc.h"
#include "tlsio.h"
#include "util.h"

#define REPLY_LINE_MAX 1001 /* RFC 5321 §4.5.3.1.5 allows 512; be lenient */
#define REPLY_LINES_MAX 100

int
smtpc_connect(struct smtpc *c, const char *host, const char *port,
	      int timeout_sec, FILE *trace)
{
	int fd;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->code = -1;
	c->trace = trace;
	if ((fd = net_connect(host, port, timeout_sec, c->err,
			      sizeof(c->err))) < 0)
		return -1;
	net_nodelay(fd);
	c->fd = fd;
	lio_init(&c->lio, fd, fd, timeout_sec);
	c->timeout_sec = timeout_sec;
	c->sent_us[0] = now_us(); /* the banner's RTT counts from connect */
	c->npending = 1;
	return 0;
}

void
smtpc_set_timeout(struct smtpc *c, int sec, const char *name)
{
	lio_set_timeout(&c->lio, sec);
	c->timeout_sec = sec;
	strlcpy(c->timeout_name, name ? name : "", sizeof(c->timeout_name));
}

/*
 * why a wait ended: what, and when it may have run out of time, the
 * timeout's name if one is set (a write that fails may have: poll does
 * not say which)
 */
static void
smtpc_fail(struct smtpc *c, const char *what, int timed)
{
	if (timed && c->timeout_name[0])
		snprintf(c->err, sizeof(c->err), "%s (%s %ds)", what,
			 c->timeout_name, c->timeout_sec);
	else
		snprintf(c->err, sizeof(c->err), "%s", what);
}

/* a write failed: the connection, or the time to send one buffer */
static void
smtpc_write_fail(struct smtpc *c)
{
	smtpc_fail(c, c->timeout_name[0] ? "write: connection lost or timed out"
					 : "write: connection lost",
		   1);
}

static void
trace_line(struct smtpc *c, const char *dir, const char *s)
{
	if (c->trace)
		fprintf(c->trace, "%s %s\n", dir, s);
}

/* the lines of one reply into c->text; its code, or -1 (c->err set) */
static int
smtpc_reply_lines(struct smtpc *c)
{
	char line[REPLY_LINE_MAX + 1];
	size_t len, tlen = 0;
	int nlines = 0, code = -1;
	enum lio_status st;

	for (;;) {
		st = lio_read_line(&c->lio, line, sizeof(line), &len);
		if (st == LIO_PARTIAL) {
			/* an overlong reply line: keep its start, drop the rest */
			char skip[256];
			size_t slen;
			while ((st = lio_read_line(&c->lio, skip, sizeof(skip),
						   &slen)) == LIO_PARTIAL)
				;
		}
		if (st != LIO_LINE && st != LIO_PARTIAL) {
			if (st == LIO_TIMEOUT)
				smtpc_fail(c, "timeout waiting for reply", 1);
			else
				smtpc_fail(c, "connection closed by server", 0);
			return -1;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
		    line[1] > '9' || line[2] < '0' || line[2] > '9' ||
		    (len > 3 && line[3] != ' ' && line[3] != '-') ||
		    (code >= 0 && atoi(line) != code) || strlen(line) != len) {
			snprintf(c->err, sizeof(c->err), "malformed reply: %.80s",
				 line);
			return -1;
		}
		code = atoi(line);
		trace_line(c, "<", line);
		if (tlen + len + 2 < sizeof(c->text)) {
			if (tlen > 0)
				c->text[tlen++] = '\n';
			memcpy(c->text + tlen, line, len + 1);
			tlen += len;
		}
		if (len == 3 || line[3] == ' ')
			break;
		if (++nlines >= REPLY_LINES_MAX) {
			snprintf(c->err, sizeof(c->err), "reply too long");
			return -1;
		}
	}
	return code;
}

int
smtpc_reply(struct smtpc *c)
{
	int code;

	c->text[0] = '\0';
	if (c->broken) {
		snprintf(c->err, sizeof(c->err), "command too long");
		return c->code = -1;
	}
	if (lio_flush(&c->lio) < 0) {
		smtpc_write_fail(c);
		return c->code = -1;
	}
	/* the timeout bounds the whole reply, however many lines */
	lio_hold_deadline(&c->lio, 1);
	code = smtpc_reply_lines(c);
	lio_hold_deadline(&c->lio, 0);
	if (code < 0)
		return c->code = -1;
	if (c->npending > 0) {
		c->rtt_ms = (double)(now_us() - c->sent_us[0]) / 1000.0;
		memmove(c->sent_us, c->sent_us + 1,
			(size_t)(c->npending - 1) * sizeof(c->sent_us[0]));
		c->npending--;
		if (c->trace)
			fprintf(c->trace, "RTT = %.2f ms\n", c->rtt_ms);
	}
	if (code >= 400)
		strlcpy(c->err, c->text, sizeof(c->err));
	if (code == 354)
		dot_out_init(&c->dot); /* a body follows */
	return c->code = code;
}

static void
smtpc_vsend(struct smtpc *c, const char *shown, const char *fmt, va_list ap)
{
	char cmd[1024];
	int n = vsnprintf(cmd, sizeof(cmd), fmt, ap);

	if (n < 0 || (size_t)n >= sizeof(cmd) - 2) {
		/* never send a truncated command: fail its reply instead */
		c->broken = 1;
		return;
	}
	trace_line(c, ">", shown ? shown : cmd);
	lio_write(&c->lio, cmd, (size_t)n);
	lio_write(&c->lio, "\r\n", 2);
	if (c->npending < SMTPC_PIPE_MAX)
		c->sent_us[c->npending++] = now_us();
}

void
smtpc_send(struct smtpc *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	smtpc_vsend(c, NULL, fmt, ap);
	va_end(ap);
}

int
smtpc_cmd(struct smtpc *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	smtpc_vsend(c, NULL, fmt, ap);
	va_end(ap);
	return smtpc_reply(c);
}

static void
parse_ehlo(struct smtpc *c)
{
	const char *line = c->text;

	c->ext = 0;
	c->size_max = 0;
	while ((line = strchr(line, '\n')) != NULL) {
		const char *kw = ++line + 4;
		/* a last line of just "250" has no keyword: do not read past it */
		if (strnlen(line, 4) < 4)
			break;
		if (str_iprefix(kw, "PIPELINING"))
			c->ext |= SMTPC_EXT_PIPELINING;
		else if (str_iprefix(kw, "8BITMIME"))
			c->ext |= SMTPC_EXT_8BITMIME;
		else if (str_iprefix(kw, "ENHANCEDSTATUSCODES"))
			c->ext |= SMTPC_EXT_ENHANCED;
		else if (str_iprefix(kw, "STARTTLS") &&
			 (kw[8] == '\0' || kw[8] == '\n' || kw[8] == ' '))
			c->ext |= SMTPC_EXT_STARTTLS;
		else if (str_iprefix(kw, "SIZE")) {
			c->ext |= SMTPC_EXT_SIZE;
			c->size_max = atoll(kw + 4);
		} else if (str_iprefix(kw, "AUTH ") || str_iprefix(kw, "AUTH=")) {
			const char *p = kw + 4;
			while (*p && *p != '\n') {
				while (*p == ' ' || *p == '=')
					p++;
				if (str_iprefix(p, "PLAIN") &&
				    (p[5] == ' ' || p[5] == '\n' || !p[5]))
					c->ext |= SMTPC_EXT_AUTH_PLAIN;
				if (str_iprefix(p, "LOGIN") &&
				    (p[5] == ' ' || p[5] == '\n' || !p[5]))
					c->ext |= SMTPC_EXT_AUTH_LOGIN;
				while (*p && *p != ' ' && *p != '\n')
					p++;
			}
		}
	}
}

int
smtpc_hello(struct smtpc *c, const char *name)
{
	int code = smtpc_cmd(c, "EHLO %s", name);

	if (code >= 200 && code < 300) {
		parse_ehlo(c);
		return code;
	}
	if (code < 500)
		return code;
	c->ext = 0;
	return smtpc_cmd(c, "HELO %s", name);
}

static int
smtpc_cmd_shown(struct smtpc *c, const char *shown, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	smtpc_vsend(c, shown, fmt, ap);
	va_end(ap);
	return smtpc_reply(c);
}

int
smtpc_auth_plain(struct smtpc *c, const char *user, const char *pass)
{
	unsigned char raw[600];
	char b64[820];
	size_t ulen = strlen(user), plen = strlen(pass);
	int code;

	if (2 * ulen + plen + 2 > sizeof(raw)) {
		snprintf(c->err, sizeof(c->err), "user name or password too long");
		return -1;
	}
	/* authzid NUL authcid NUL passwd (RFC 4616) */
	memcpy(raw, user, ulen);
	raw[ulen] = '\0';
	memcpy(raw + ulen + 1, user, ulen);
	raw[2 * ulen + 1] = '\0';
	memcpy(raw + 2 * ulen + 2, pass, plen);
	if (base64_encode(raw, 2 * ulen + 2 + plen, b64, sizeof(b64)) < 0) {
		wipe(raw, sizeof(raw));
		return -1;
	}
	code = smtpc_cmd_shown(c, "AUTH PLAIN <credentials hidden>",
			       "AUTH PLAIN %s", b64);
	wipe(raw, sizeof(raw));
	wipe(b64, sizeof(b64));
	/* sent by now (the reply has come): clear the copy in the buffer */
	wipe(c->lio.wbuf, sizeof(c->lio.wbuf));
	return code;
}

void
smtpc_body(struct smtpc *c, const char *p, size_t n)
{
	dot_out_write(&c->dot, &c->lio, p, n);
}

/* the final ".", queued; its reply's RTT counts from now */
static void
smtpc_body_dot(struct smtpc *c)
{
	dot_out_end(&c->dot, &c->lio);
	trace_line(c, ">", ".");
	if (c->npending < SMTPC_PIPE_MAX)
		c->sent_us[c->npending++] = now_us();
}

int
smtpc_body_end(struct smtpc *c)
{
	smtpc_body_dot(c);
	return smtpc_reply(c);
}

int
smtpc_body_fd(struct smtpc *c, int fd)
{
	char buf[16384];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(c->err, sizeof(c->err), "read message: %s",
				 strerror(errno));
			return -1;
		}
		smtpc_body(c, buf, (size_t)n);
		if (c->lio.werr) {
			smtpc_write_fail(c);
			return -1;
		}
	}
	smtpc_body_dot(c);
	if (lio_flush(&c->lio) < 0) {
		smtpc_write_fail(c);
		return -1;
	}
	return 0;
}

int
smtpc_tls(struct smtpc *c, struct tlsio_ctx *ctx, const char *servername,
	  int starttls)
{
	struct tlsio *t;
	size_t dropped;
	char err[200];

	if (starttls) {
		int code = smtpc_cmd(c, "STARTTLS");
		if (code < 0)
			return -1;
		if (code != 220) {
			snprintf(c->err, sizeof(c->err),
				 "STARTTLS refused: %.200s", c->text);
			return -1;
		}
	}
	if ((t = tlsio_client(ctx, c->fd, servername, err, sizeof(err))) ==
		NULL ||
	    lio_tls_start(&c->lio, t, &dropped, err, sizeof(err)) < 0) {
		/* the timeout is named only when it is why */
		smtpc_fail(c, err, strstr(err, "timed out") != NULL);
		c->broken = 1;
		return -1;
	}
	c->ext = 0;
	tlsio_describe(t, c->tls_desc, sizeof(c->tls_desc));
	if (c->trace)
		fprintf(c->trace, "--- TLS started: %s\n", c->tls_desc);
	return 0;
}

void
smtpc_close(struct smtpc *c)
{
	lio_tls_end(&c->lio);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
