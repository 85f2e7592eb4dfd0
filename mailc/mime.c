/*
 * mime.c - see mime.h.  Attachments are opened when the command line is
 * checked (a missing file is an error before any connection) and read
 * only while the message is sent, base64 in 76-character lines (RFC
 * 2045 §6.8).  Quoted-printable (RFC 2045 §6.7) is streamed: lines of at
 * most 76 characters with soft breaks, "=", non-ASCII and a blank
 * before a line end encoded.  It relies on message.c's spool, lib/base64
 * and smtpc (which turns LF into CRLF and dot-stuffs); header text is
 * hdrenc.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "util.h"

#include "common.h"
#include "mime.h"

#define B64_LINE 57	  /* input bytes per 76-character base64 line */
#define QP_LINE 76	  /* RFC 2045 §6.7 (5) */
#define PART_HEADERS 400L /* SIZE= allowance for a part's headers */

/* Content-Type by extension; anything else is application/octet-stream */
static const struct {
	const char *ext, *type;
} types[] = {
    {"txt", "text/plain"},
    {"text", "text/plain"},
    {"csv", "text/csv"},
    {"html", "text/html"},
    {"htm", "text/html"},
    {"md", "text/markdown"},
    {"ics", "text/calendar"},
    {"diff", "text/x-diff"},
    {"patch", "text/x-diff"},
    {"pdf", "application/pdf"},
    {"json", "application/json"},
    {"xml", "application/xml"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"svg", "image/svg+xml"},
    {"webp", "image/webp"},
    {"mp3", "audio/mpeg"},
    {"wav", "audio/wav"},
    {"ogg", "audio/ogg"},
    {"mp4", "video/mp4"},
    {"odt", "application/vnd.oasis.opendocument.text"},
    {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument."
	     "wordprocessingml.document"},
    {"xlsx", "application/vnd.openxmlformats-officedocument."
	     "spreadsheetml.sheet"},
};

static const char *
mime_type(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t i;

	if (dot != NULL && dot != name)
		for (i = 0; i < nitems(types); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

int
mime_attach(struct mime_files *l, const char *path)
{
	struct mime_file *f;
	const char *base;
	struct stat st;
	size_t len;
	int fd;

	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		mailc_warn("-a %.300s", path);
		if (fd >= 0)
			close(fd);
		return EX_NOINPUT;
	}
	if (!S_ISREG(st.st_mode)) {
		mailc_warnx("-a %.300s: not a regular file", path);
		close(fd);
		return EX_NOINPUT;
	}
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	f = &l->v[l->n++];
	f->fd = fd;
	f->size = st.st_size;
	base = strrchr(path, '/');
	f->name = xstrdup(base != NULL ? base + 1 : path);
	f->type = mime_type(f->name);
	return 0;
}

void
mime_free(struct mime_files *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		close(l->v[i].fd);
		free(l->v[i].name);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static size_t
nfiles(const struct mime_files *l)
{
	return l != NULL ? l->n : 0;
}

int
mime_check(const struct msg *m, const struct mime_files *l)
{
	if (nfiles(l) > 0 && m->has_mime) {
		mailc_warnx("cannot attach files to a message that has MIME "
			    "headers of its own");
		return EX_DATAERR;
	}
	return 0;
}

int
mime_8bit(const struct msg *m)
{
	return m->eightbit;
}

long long
mime_wire_size(const struct msg *m, const struct mime_files *l)
{
	long long n = msg_wire_size(m), b;
	size_t i;

	if (m->has_mime)
		return n;
	if (m->eightbit || nfiles(l) > 0)
		n += PART_HEADERS;
	for (i = 0; i < nfiles(l); i++) {
		b = ((long long)l->v[i].size + 2) / 3 * 4;
		n += b + (b + 75) / 76 * 2 + PART_HEADERS;
	}
	return n;
}

/* output */

/* quoted-printable, streamed: the column and a blank held back */
struct qp {
	struct smtpc *c;
	int col;
	int blank; /* a space or tab not written yet, or 0 */
};

static void
qp_token(struct qp *q, const char *s, int n)
{
	if (q->col + n > QP_LINE - 1) { /* room for the soft break's "=" */
		smtpc_body(q->c, "=\n", 2);
		q->col = 0;
	}
	smtpc_body(q->c, s, (size_t)n);
	q->col += n;
}

static void
qp_encoded(struct qp *q, unsigned char ch)
{
	char hex[4];

	snprintf(hex, sizeof(hex), "=%02X", ch);
	qp_token(q, hex, 3);
}

static void
qp_byte(struct qp *q, unsigned char ch)
{
	char lit;

	if (q->blank) {
		/* a blank before a line end would be lost: encode it */
		if (ch == '\n')
			qp_encoded(q, (unsigned char)q->blank);
		else {
			lit = (char)q->blank;
			qp_token(q, &lit, 1);
		}
		q->blank = 0;
	}
	if (ch == '\n') {
		smtpc_body(q->c, "\n", 1);
		q->col = 0;
	} else if (ch == ' ' || ch == '\t')
		q->blank = ch;
	else if (ch == '=' || ch < ' ' || ch > '~')
		qp_encoded(q, ch);
	else {
		lit = (char)ch;
		qp_token(q, &lit, 1);
	}
}

/* [off, off+len) of fd (len < 0: to its end), as it is or QP */
static int
send_range(struct smtpc *c, int fd, off_t off, long long len, struct qp *q)
{
	char buf[16384];
	ssize_t n, i;
	size_t want;

	while (len != 0) {
		want = len < 0 || len > (long long)sizeof(buf) ? sizeof(buf)
							       : (size_t)len;
		if ((n = pread(fd, buf, want, off)) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(c->err, sizeof(c->err), "read message: %s",
				 strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		if (q != NULL)
			for (i = 0; i < n; i++)
				qp_byte(q, (unsigned char)buf[i]);
		else
			smtpc_body(c, buf, (size_t)n);
		off += n;
		if (len > 0)
			len -= n;
		if (c->lio.werr) {
			snprintf(c->err, sizeof(c->err),
				 "write: connection lost");
			return -1;
		}
	}
	if (q != NULL && q->blank) { /* at the very end: as before a LF */
		qp_encoded(q, (unsigned char)q->blank);
		q->blank = 0;
	}
	return 0;
}

/* an attachment, base64 in 76-character lines */
static int
send_base64(struct smtpc *c, const struct mime_file *f)
{
	unsigned char buf[B64_LINE * 256];
	char line[80];
	size_t have, i, k;
	off_t off = 0;
	ssize_t n;

	for (;;) {
		/* fill whole lines: only the last one may be short */
		for (have = 0; have < sizeof(buf); have += (size_t)n) {
			n = pread(f->fd, buf + have, sizeof(buf) - have, off);
			if (n < 0 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n < 0) {
				snprintf(c->err, sizeof(c->err), "read %s: %s",
					 f->name, strerror(errno));
				return -1;
			}
			if (n == 0)
				break;
			off += n;
		}
		for (i = 0; i < have; i += k) {
			k = have - i < B64_LINE ? have - i : B64_LINE;
			base64_encode(buf + i, k, line, sizeof(line) - 1);
			strlcat(line, "\n", sizeof(line));
			smtpc_body(c, line, strlen(line));
		}
		if (c->lio.werr) {
			snprintf(c->err, sizeof(c->err),
				 "write: connection lost");
			return -1;
		}
		if (have < sizeof(buf))
			return 0;
	}
}

static void body_printf(struct smtpc *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
body_printf(struct smtpc *c, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		smtpc_body(c, buf,
			   (size_t)n < sizeof(buf) ? (size_t)n
						   : sizeof(buf) - 1);
}

/* Content-Disposition with the base name: quoted, or RFC 2231 if 8-bit */
static void
send_disposition(struct smtpc *c, const char *name)
{
	const unsigned char *p;
	char buf[1024];
	size_t n = 0;
	int plain = 1;

	for (p = (const unsigned char *)name; *p; p++)
		if (*p < ' ' || *p > '~')
			plain = 0;
	if (plain) {
		for (p = (const unsigned char *)name; *p && n < sizeof(buf) - 3;
		     p++) {
			if (*p == '"' || *p == '\\')
				buf[n++] = '\\';
			buf[n++] = (char)*p;
		}
		buf[n] = '\0';
		body_printf(c,
			    "Content-Disposition: attachment; "
			    "filename=\"%s\"\n",
			    buf);
		return;
	}
	for (p = (const unsigned char *)name; *p && n < sizeof(buf) - 4; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(".-_~", *p) != NULL)
			buf[n++] = (char)*p;
		else
			n += (size_t)snprintf(buf + n, 4, "%%%02X", *p);
	buf[n] = '\0';
	body_printf(c,
		    "Content-Disposition: attachment;\n"
		    " filename*=UTF-8''%s\n",
		    buf);
}

/* the body, as it is or quoted-printable, and the final "." */
static int
send_body(struct smtpc *c, const struct msg *m, struct qp *qp)
{
	if (send_range(c, msg_fd(m), m->body_off, -1, qp) < 0)
		return -1;
	return smtpc_body_end(c);
}

int
mime_send(struct smtpc *c, const struct msg *m, const struct mime_files *l,
	  const char *extra, size_t extralen, int eightbitmime)
{
	static unsigned counter;
	const char *charset = m->eightbit ? "UTF-8" : "us-ascii";
	const char *cte = !m->eightbit	 ? "7bit"
			  : eightbitmime ? "8bit"
					 : "quoted-printable";
	struct qp q = {c, 0, 0}, *qp = NULL;
	char boundary[80];
	struct timespec ts;
	int fd = msg_fd(m);
	size_t i;

	/* the headers: the spool's, the caller's, then ours */
	if (send_range(c, fd, 0, m->hdr_len, NULL) < 0)
		return -1;
	if (extra != NULL)
		smtpc_body(c, extra, extralen);
	if (m->has_mime || (!m->eightbit && nfiles(l) == 0)) {
		smtpc_body(c, "\n", 1);
		return send_body(c, m, NULL);
	}
	smtpc_body(c, "MIME-Version: 1.0\n", 18);
	if (m->eightbit && !eightbitmime)
		qp = &q;
	if (nfiles(l) == 0) {
		body_printf(c,
			    "Content-Type: text/plain; charset=%s\n"
			    "Content-Transfer-Encoding: %s\n\n",
			    charset, cte);
		return send_body(c, m, qp);
	}
	/* "=_" cannot occur in base64 or quoted-printable text */
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(boundary, sizeof(boundary), "=_mailc_%lld_%09ld_%ld_%u",
		 (long long)ts.tv_sec, (long)ts.tv_nsec, (long)getpid(),
		 counter++);
	body_printf(c,
		    "Content-Type: multipart/mixed;\n boundary=\"%s\"\n\n"
		    "This is a message in MIME format.\n\n--%s\n"
		    "Content-Type: text/plain; charset=%s\n"
		    "Content-Transfer-Encoding: %s\n\n",
		    boundary, boundary, charset, cte);
	if (send_range(c, fd, m->body_off, -1, qp) < 0)
		return -1;
	for (i = 0; i < l->n; i++) {
		/* the line end before "--" belongs to the boundary */
		body_printf(c, "\n--%s\nContent-Type: %s\n", boundary,
			    l->v[i].type);
		send_disposition(c, l->v[i].name);
		smtpc_body(c, "Content-Transfer-Encoding: base64\n\n", 35);
		if (send_base64(c, &l->v[i]) < 0)
			return -1;
	}
	body_printf(c, "\n--%s--\n", boundary);
	return smtpc_body_end(c);
}
