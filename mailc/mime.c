/*
 * mime.c - see mime.h.  Attachments are opened before the message is
 * read (a missing file is an error before any connection) and copied
 * into a new spool by mime_finish(), base64 in 76-character lines (RFC
 * 2045 §6.8).  Quoted-printable (RFC 2045 §6.7) is streamed: lines of at
 * most 76 characters with soft breaks, "=", non-ASCII and a blank
 * before a line end encoded, on the way out.  It relies on message.c's
 * spool, lib/base64 and smtpc (which turns LF into CRLF and dot-stuffs);
 * header text is hdrenc.c's.  It talks to no server but through smtpc.
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

#define B64_LINE 57 /* input bytes per 76-character base64 line */
#define QP_LINE 76  /* RFC 2045 §6.7 (5) */

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

/* composing: the new spool, its size and lines counted */
struct out {
	FILE *fp;
	long long size, lines;
};

static void
out_write(struct out *o, const void *p, size_t n)
{
	const char *q = p, *end = q + n;

	fwrite(p, 1, n, o->fp);
	o->size += (long long)n;
	while ((q = memchr(q, '\n', (size_t)(end - q))) != NULL && q++ < end)
		o->lines++;
}

static void out_printf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
out_printf(struct out *o, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		out_write(o, buf,
			  (size_t)n < sizeof(buf) ? (size_t)n
						  : sizeof(buf) - 1);
}

/* read at most size bytes of fd at off, retrying EINTR; -1 said why */
static ssize_t
read_at(int fd, void *buf, size_t size, off_t off, const char *what)
{
	ssize_t n;

	while ((n = pread(fd, buf, size, off)) < 0 && errno == EINTR)
		;
	if (n < 0)
		mailc_warn("reading %s", what);
	return n;
}

/* [off, off+len) of the old spool, or to its end with len < 0 */
static int
out_copy(struct out *o, int fd, off_t off, long long len)
{
	char buf[16384];
	size_t want;
	ssize_t n;

	while (len != 0) {
		want = len < 0 || len > (long long)sizeof(buf) ? sizeof(buf)
							       : (size_t)len;
		if ((n = read_at(fd, buf, want, off, "the message")) < 0)
			return -1;
		if (n == 0)
			break;
		out_write(o, buf, (size_t)n);
		off += n;
		if (len > 0)
			len -= n;
	}
	return 0;
}

/* an attachment, base64 in 76-character lines */
static int
out_base64(struct out *o, const struct mime_file *f)
{
	unsigned char buf[B64_LINE * 256];
	char line[80];
	size_t have, i, k;
	off_t off = 0;
	ssize_t n;

	do {
		/* fill whole lines: only the last one may be short */
		for (have = 0; have < sizeof(buf); have += (size_t)n) {
			n = read_at(f->fd, buf + have, sizeof(buf) - have, off,
				    f->name);
			if (n < 0)
				return -1;
			if (n == 0)
				break;
			off += n;
		}
		for (i = 0; i < have; i += k) {
			k = have - i < B64_LINE ? have - i : B64_LINE;
			base64_encode(buf + i, k, line, sizeof(line) - 1);
			strlcat(line, "\n", sizeof(line));
			out_write(o, line, strlen(line));
		}
	} while (have == sizeof(buf));
	return 0;
}

/* Content-Disposition with the base name: quoted, or RFC 2231 if 8-bit */
static void
out_disposition(struct out *o, const char *name)
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
		out_printf(o,
			   "Content-Disposition: attachment; filename=\"%s\"\n",
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
	out_printf(o,
		   "Content-Disposition: attachment;\n"
		   " filename*=UTF-8''%s\n",
		   buf);
}

/* the new spool's MIME headers, body and attachments */
static int
out_message(struct out *o, struct msg *m, const struct mime_files *l,
	    const char *extra, size_t extralen)
{
	static unsigned counter;
	char boundary[80];
	struct timespec ts;
	int fd = msg_fd(m);
	size_t i;

	if (out_copy(o, fd, 0, m->hdr_len) < 0)
		return -1;
	if (extra != NULL)
		out_write(o, extra, extralen);
	if (!m->has_mime && (m->eightbit || nfiles(l) > 0)) {
		out_write(o, "MIME-Version: 1.0\n", 18);
		/* "=_" cannot occur in base64 or quoted-printable text */
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(boundary, sizeof(boundary),
			 "=_mailc_%lld_%09ld_%ld_%u", (long long)ts.tv_sec,
			 (long)ts.tv_nsec, (long)getpid(), counter++);
		if (nfiles(l) > 0)
			out_printf(o,
				   "Content-Type: multipart/mixed;\n"
				   " boundary=\"%s\"\n\n"
				   "This is a message in MIME format.\n\n"
				   "--%s\n",
				   boundary, boundary);
		out_printf(o,
			   "Content-Type: text/plain; charset=%s\n"
			   "Content-Transfer-Encoding: ",
			   m->eightbit ? "UTF-8" : "us-ascii");
		if (m->eightbit)
			m->cte_off = o->size; /* mime_send() may change it */
		out_write(o, m->eightbit ? "8bit\n" : "7bit\n", 5);
	}
	out_write(o, "\n", 1);
	m->text_off = o->size;
	if (out_copy(o, fd, m->body_off, -1) < 0)
		return -1;
	m->text_len = o->size - m->text_off;
	for (i = 0; i < nfiles(l); i++) {
		/* the line end before "--" belongs to the boundary */
		out_printf(o, "\n--%s\nContent-Type: %s\n", boundary,
			   l->v[i].type);
		out_disposition(o, l->v[i].name);
		out_write(o, "Content-Transfer-Encoding: base64\n\n", 35);
		if (out_base64(o, &l->v[i]) < 0)
			return -1;
	}
	if (nfiles(l) > 0)
		out_printf(o, "\n--%s--\n", boundary);
	return 0;
}

int
mime_finish(struct msg *m, const struct mime_files *l, const char *extra,
	    size_t extralen)
{
	struct out o = {NULL, 0, 0};

	m->cte_off = -1;
	if (extra == NULL && (m->has_mime || (!m->eightbit && nfiles(l) == 0)))
		return 0; /* the spool is the message */
	if ((o.fp = msg_tmpfile()) == NULL)
		return EX_IOERR;
	if (out_message(&o, m, l, extra, extralen) < 0) {
		fclose(o.fp);
		return EX_IOERR;
	}
	if (fflush(o.fp) != 0 || ferror(o.fp) ||
	    lseek(fileno(o.fp), 0, SEEK_SET) < 0) {
		mailc_warn("writing the temporary file");
		fclose(o.fp);
		return EX_IOERR;
	}
	fclose(m->spool);
	m->spool = o.fp;
	m->size = o.size;
	m->lines = o.lines;
	m->hdr_len = m->body_off = 0;
	return 0;
}

/* sending */

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
		while ((n = pread(fd, buf, want, off)) < 0 && errno == EINTR)
			;
		if (n < 0) {
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

int
mime_send(struct smtpc *c, const struct msg *m, int eightbitmime)
{
	struct qp q = {c, 0, 0};
	int fd = msg_fd(m);
	long long after = m->cte_off + 5; /* past "8bit\n" */

	if (eightbitmime || m->cte_off < 0) {
		if (send_range(c, fd, m->start, -1, NULL) < 0)
			return -1;
		return smtpc_body_end(c);
	}
	/* RFC 6152 §3: no 8BITMIME, so the 8-bit text goes encoded */
	if (send_range(c, fd, m->start, m->cte_off - m->start, NULL) < 0)
		return -1;
	smtpc_body(c, "quoted-printable\n", 17);
	if (send_range(c, fd, after, m->text_off - after, NULL) < 0 ||
	    send_range(c, fd, m->text_off, m->text_len, &q) < 0 ||
	    send_range(c, fd, m->text_off + m->text_len, -1, NULL) < 0)
		return -1;
	return smtpc_body_end(c);
}
