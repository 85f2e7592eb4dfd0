/*
 * mime.c - see mime.h.  Attachments are opened when the command line is
 * checked (a missing file is an error before any connection) and read
 * only while the message is sent, base64 in 76-character lines (RFC
 * 2045 §6.8).  Quoted-printable (RFC 2045 §6.7) is streamed: lines of at
 * most 76 characters with soft breaks, "=", non-ASCII and a blank
 * before a line end encoded.  Encoded-words (RFC 2047) are UTF-8 "B",
 * at most 75 characters each, on lines of at most 76.  It relies on
 * lib/base64 and smtpc (which turns LF into CRLF and dot-stuffs), and
 * parses no more of a header than splitting an address list.
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
#define WORD_MAX 75	  /* RFC 2047 §2 */
#define WORD_LINE 76	  /* RFC 2047 §2: a line with encoded-words */
#define PART_HEADERS 400L /* SIZE= allowance for a part's headers */

/* Content-Type by extension; anything else is application/octet-stream */
static const struct {
	const char *ext, *type;
} types[] = {
    {"txt", "text/plain"},	    {"text", "text/plain"},
    {"csv", "text/csv"},	    {"html", "text/html"},
    {"htm", "text/html"},	    {"md", "text/markdown"},
    {"ics", "text/calendar"},	    {"diff", "text/x-diff"},
    {"patch", "text/x-diff"},	    {"pdf", "application/pdf"},
    {"json", "application/json"},   {"xml", "application/xml"},
    {"zip", "application/zip"},	    {"gz", "application/gzip"},
    {"tar", "application/x-tar"},   {"png", "image/png"},
    {"jpg", "image/jpeg"},	    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},	    {"svg", "image/svg+xml"},
    {"webp", "image/webp"},	    {"mp3", "audio/mpeg"},
    {"wav", "audio/wav"},	    {"ogg", "audio/ogg"},
    {"mp4", "video/mp4"},	    {"odt", "application/vnd.oasis.opendocument.text"},
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
mime_attach(struct msg *m, const char *path)
{
	struct mime_file *f;
	const char *base;
	struct stat st;
	size_t len;
	int fd;

	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) < 0) {
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
	m->files = xreallocarray(m->files, m->nfiles + 1, sizeof(*m->files));
	f = &m->files[m->nfiles++];
	f->fd = fd;
	f->size = st.st_size;
	base = strrchr(path, '/');
	f->name = xstrdup(base != NULL ? base + 1 : path);
	f->type = mime_type(f->name);
	return 0;
}

void
mime_free(struct msg *m)
{
	size_t i;

	for (i = 0; i < m->nfiles; i++) {
		close(m->files[i].fd);
		free(m->files[i].name);
	}
	free(m->files);
	m->files = NULL;
	m->nfiles = 0;
}

int
mime_check(const struct msg *m)
{
	if (m->nfiles > 0 && m->has_mime) {
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
mime_wire_size(const struct msg *m)
{
	long long n = msg_wire_size(m), b;
	size_t i;

	if (m->has_mime)
		return n;
	if (m->eightbit || m->nfiles > 0)
		n += PART_HEADERS;
	for (i = 0; i < m->nfiles; i++) {
		b = ((long long)m->files[i].size + 2) / 3 * 4;
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

static void
body_printf(struct smtpc *c, const char *fmt, ...)
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
		smtpc_body(c, buf, (size_t)n < sizeof(buf) ? (size_t)n
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
		for (p = (const unsigned char *)name;
		     *p && n < sizeof(buf) - 3; p++) {
			if (*p == '"' || *p == '\\')
				buf[n++] = '\\';
			buf[n++] = (char)*p;
		}
		buf[n] = '\0';
		body_printf(c, "Content-Disposition: attachment; "
			       "filename=\"%s\"\n", buf);
		return;
	}
	for (p = (const unsigned char *)name; *p && n < sizeof(buf) - 4; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(".-_~", *p) != NULL)
			buf[n++] = (char)*p;
		else
			n += (size_t)snprintf(buf + n, 4, "%%%02X", *p);
	buf[n] = '\0';
	body_printf(c, "Content-Disposition: attachment;\n"
		       " filename*=UTF-8''%s\n", buf);
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
mime_send(struct smtpc *c, const struct msg *m, const char *extra,
	  size_t extralen, int eightbitmime)
{
	static unsigned counter;
	const char *charset = m->eightbit ? "UTF-8" : "us-ascii";
	const char *cte = !m->eightbit ? "7bit"
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
	if (m->has_mime || (!m->eightbit && m->nfiles == 0)) {
		smtpc_body(c, "\n", 1);
		return send_body(c, m, NULL);
	}
	smtpc_body(c, "MIME-Version: 1.0\n", 18);
	if (m->eightbit && !eightbitmime)
		qp = &q;
	if (m->nfiles == 0) {
		body_printf(c, "Content-Type: text/plain; charset=%s\n"
			       "Content-Transfer-Encoding: %s\n\n",
			    charset, cte);
		return send_body(c, m, qp);
	}
	/* "=_" cannot occur in base64 or quoted-printable text */
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(boundary, sizeof(boundary), "=_mailc_%lld_%09ld_%ld_%u",
		 (long long)ts.tv_sec, (long)ts.tv_nsec, (long)getpid(),
		 counter++);
	body_printf(c, "Content-Type: multipart/mixed;\n boundary=\"%s\"\n\n"
		       "This is a message in MIME format.\n\n--%s\n"
		       "Content-Type: text/plain; charset=%s\n"
		       "Content-Transfer-Encoding: %s\n\n",
		    boundary, boundary, charset, cte);
	if (send_range(c, fd, m->body_off, -1, qp) < 0)
		return -1;
	for (i = 0; i < m->nfiles; i++) {
		/* the line end before "--" belongs to the boundary */
		body_printf(c, "\n--%s\nContent-Type: %s\n", boundary,
			    m->files[i].type);
		send_disposition(c, m->files[i].name);
		smtpc_body(c, "Content-Transfer-Encoding: base64\n\n", 35);
		if (send_base64(c, &m->files[i]) < 0)
			return -1;
	}
	body_printf(c, "\n--%s--\n", boundary);
	return smtpc_body_end(c);
}

/* RFC 2047 encoded-words */

/* the UTF-8 text s[0..n) as "B" words, each after a blank or a fold */
static void
put_words(FILE *fp, const unsigned char *s, size_t n, size_t *col)
{
	char b64[WORD_MAX];
	size_t take, len;

	while (n > 0) {
		/* 12 = "=?UTF-8?B?" and "?="; 45 bytes are 60 characters */
		take = n < 45 ? n : 45;
		while (take < n && take > 1 && (s[take] & 0xC0) == 0x80)
			take--; /* never split a character */
		base64_encode(s, take, b64, sizeof(b64));
		len = 12 + strlen(b64);
		if (*col + 1 + len > WORD_LINE) {
			fputs("\n ", fp);
			*col = 1;
		} else {
			fputc(' ', fp);
			(*col)++;
		}
		fprintf(fp, "=?UTF-8?B?%s?=", b64);
		*col += len;
		s += take;
		n -= take;
	}
}

static int
has_8bit(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

/* plain text s[0..n), folded where it has blanks */
static void
put_text(FILE *fp, const char *s, size_t n, size_t *col)
{
	size_t w;

	while (n > 0) {
		while (n > 0 && (*s == ' ' || *s == '\t'))
			s++, n--;
		for (w = 0; w < n && s[w] != ' ' && s[w] != '\t'; w++)
			;
		if (w == 0)
			break;
		if (*col + 1 + w > 78 && *col > 1) {
			fputs("\n ", fp);
			*col = 1;
		} else {
			fputc(' ', fp);
			(*col)++;
		}
		fwrite(s, 1, w, fp);
		*col += w;
		s += w;
		n -= w;
	}
}

/* one element of an address list: its display name encoded */
static void
put_mailbox(FILE *fp, const char *s, size_t n, size_t *col)
{
	const char *lt = memchr(s, '<', n);
	const char *p = s, *e;
	char name[1024];
	size_t k = 0;

	if (lt == NULL || !has_8bit(s, (size_t)(lt - s))) {
		put_text(fp, s, n, col);
		return;
	}
	/* the phrase before "<", unquoted */
	for (e = lt; p < e && (*p == ' ' || *p == '\t'); p++)
		;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	for (; p < e && k < sizeof(name) - 1; p++) {
		if (*p == '"')
			continue;
		if (*p == '\\' && p + 1 < e)
			p++;
		name[k++] = *p;
	}
	put_words(fp, (const unsigned char *)name, k, col);
	put_text(fp, lt, n - (size_t)(lt - s), col);
}

/* the address list s[0..n), split at top-level commas */
static void
put_addrlist(FILE *fp, const char *s, size_t n, size_t *col)
{
	size_t i, start = 0;
	int quote = 0, angle = 0, depth = 0;

	for (i = 0; i <= n; i++) {
		char ch = i < n ? s[i] : ',';
		if (quote) {
			if (ch == '\\' && i + 1 < n)
				i++;
			else if (ch == '"')
				quote = 0;
		} else if (ch == '"')
			quote = 1;
		else if (ch == '(')
			depth++;
		else if (ch == ')' && depth > 0)
			depth--;
		else if (ch == '<')
			angle = 1;
		else if (ch == '>')
			angle = 0;
		else if (ch == ',' && !angle && depth == 0) {
			put_mailbox(fp, s + start, i - start, col);
			if (i < n) {
				fputc(',', fp);
				(*col)++;
			}
			start = i + 1;
		}
	}
}

char *
mime_header_encode(const char *field, size_t len, size_t *outlen)
{
	static const char *addrs[] = {"from", "to", "cc", "reply-to",
				      "sender"};
	const char *colon = memchr(field, ':', len);
	char *value, *out = NULL;
	size_t i, n = 0, namelen, col;
	int is_addr = 0, bad;
	FILE *fp;

	if (colon == NULL || !has_8bit(field, len))
		return NULL;
	namelen = (size_t)(colon - field);
	for (i = 0; i < nitems(addrs); i++)
		if (strlen(addrs[i]) == namelen &&
		    strncasecmp(field, addrs[i], namelen) == 0)
			is_addr = 1;
	if (!is_addr && !(namelen == 7 && strncasecmp(field, "subject", 7) == 0))
		return NULL;
	/* the value unfolded, without its line ends */
	value = xmalloc(len + 1);
	for (i = namelen + 1; i < len; i++)
		if (field[i] != '\n' && field[i] != '\r')
			value[n++] = field[i];
	value[n] = '\0';
	if ((fp = open_memstream(&out, outlen)) == NULL) {
		free(value);
		return NULL;
	}
	fwrite(field, 1, namelen + 1, fp);
	col = namelen + 1;
	if (is_addr)
		put_addrlist(fp, value, n, &col);
	else {
		for (i = 0; i < n && (value[i] == ' ' || value[i] == '\t'); i++)
			;
		while (n > i && (value[n - 1] == ' ' || value[n - 1] == '\t'))
			n--;
		put_words(fp, (const unsigned char *)value + i, n - i, &col);
	}
	fputc('\n', fp);
	bad = ferror(fp);
	free(value);
	if (fclose(fp) != 0 || bad) {
		free(out);
		return NULL;
	}
	return out;
}

void
mime_put_field(FILE *fp, const char *name, const char *value)
{
	char *field, *enc;
	size_t len, enclen;

	len = strlen(name) + strlen(value) + 3;
	field = xmalloc(len + 1);
	snprintf(field, len + 1, "%s:%s%s\n", name, *value ? " " : "",
		 value);
	len = strlen(field);
	if ((enc = mime_header_encode(field, len, &enclen)) != NULL) {
		fwrite(enc, 1, enclen, fp);
		free(enc);
	} else
		fwrite(field, 1, len, fp);
	free(field);
}
