/*
 * message.c - compose the message mailc sends (see message.h).
 *
 * The input is fed a line at a time and streamed into an unlinked
 * temporary file, so memory stays bounded whatever the size; only a
 * To/Cc/Bcc field is held while it is read, because it may have to be
 * parsed (-t), dropped (Bcc) or extended (-c).
 *
 * Whether the input starts with a header block is decided by its first
 * line: "Name: value" with a valid field name (RFC 5322 §2.2: printable
 * US-ASCII but ":") starts one, which then runs to the first empty line,
 * or to the first line that is neither a field nor a folded continuation
 * (that line then starts the body, as sendmail does).  Any other first
 * line makes the whole input the body.  Missing headers are added at the
 * end of the header block.  Relies on addr.c for the address grammar.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "util.h"

#include "common.h"
#include "message.h"
#include "hdrenc.h"

enum { ST_HEADERS, ST_BODY };
enum { F_NONE, F_PASS, F_HOLD, F_TO, F_CC, F_BCC };

#define HAVE_FROM 0x01
#define HAVE_TO 0x02
#define HAVE_CC 0x04
#define HAVE_SUBJECT 0x08
#define HAVE_DATE 0x10
#define HAVE_MSGID 0x20
#define HAVE_MIME 0x40

#define FOLD_COLUMN 78 /* RFC 5322 §2.1.1: lines should stay within 78 */

/* the headers mailc adds */

static void
put_addrs(FILE *fp, const struct msg_addrs *l, size_t col, int comma)
{
	size_t i, len;

	for (i = 0; i < l->n; i++) {
		len = strlen(l->v[i]);
		if (comma) {
			fputc(',', fp);
			col++;
		}
		if (comma && col + 1 + len > FOLD_COLUMN) {
			fputs("\n ", fp);
			col = 1;
		} else {
			fputc(' ', fp);
			col++;
		}
		fputs(l->v[i], fp);
		col += len;
		comma = 1;
	}
	fputc('\n', fp);
}

char *
msg_headers(const struct msg_gen *g, unsigned seen, size_t *len)
{
	static unsigned counter;
	struct timespec ts;
	char date[64], *buf = NULL;
	const char *domain;
	FILE *fp;
	int bad;

	if ((fp = open_memstream(&buf, len)) == NULL) {
		mailc_warn("open_memstream");
		return NULL;
	}
	if (!(seen & HAVE_DATE)) {
		rfc5322_date(date, sizeof(date), time(NULL));
		fprintf(fp, "Date: %s\n", date);
	}
	if (!(seen & HAVE_FROM)) /* a display name (-F) may be non-ASCII */
		hdrenc_put_field(fp, "From", g->from);
	if (!(seen & HAVE_TO)) {
		if (g->to != NULL && g->to->n > 0) {
			fputs("To:", fp);
			put_addrs(fp, g->to, 3, 0);
		} else if (!(seen & HAVE_CC) &&
			   (g->cc == NULL || g->cc->n == 0))
			fputs("To: undisclosed-recipients:;\n", fp);
	}
	if (!(seen & HAVE_CC) && g->cc != NULL && g->cc->n > 0) {
		fputs("Cc:", fp);
		put_addrs(fp, g->cc, 3, 0);
	}
	if (!(seen & HAVE_SUBJECT) && g->subject != NULL)
		hdrenc_put_field(fp, "Subject", g->subject);
	if (!(seen & HAVE_MSGID)) {
		/*
		 * unique: the time to the nanosecond, our pid, a counter; at
		 * the sender's domain (by default mailc_domain(), fully
		 * qualified), which is the sender's to keep unique
		 */
		domain = strrchr(g->from, '@'); /* "Name <a@b>" too: up to > */
		clock_gettime(CLOCK_REALTIME, &ts);
		fprintf(fp, "Message-ID: <%lld.%09ld.%ld.%u@%.*s>\n",
			(long long)ts.tv_sec, (long)ts.tv_nsec, (long)getpid(),
			counter++,
			domain != NULL ? (int)strcspn(domain + 1, ">") : 255,
			domain != NULL ? domain + 1 : mailc_domain());
	}
	bad = ferror(fp);
	if (fclose(fp) != 0 || bad) {
		mailc_warn("composing headers");
		free(buf);
		return NULL;
	}
	return buf;
}

/* the spool */

static void
spool_write(struct msg *m, const char *p, size_t n)
{
	const char *q;
	size_t i;

	if (m->state == ST_BODY && !m->eightbit)
		for (i = 0; i < n; i++)
			if ((unsigned char)p[i] >= 0x80)
				m->eightbit = 1;
	fwrite(p, 1, n, m->spool);
	m->size += (long long)n;
	for (q = p; (q = memchr(q, '\n', n - (size_t)(q - p))) != NULL; q++)
		m->lines++;
}

FILE *
msg_tmpfile(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	FILE *fp = NULL;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if (xsnprintf(path, sizeof(path), "%s/mailc.XXXXXX", dir) < 0) {
		mailc_warnx("TMPDIR too long");
		return NULL;
	}
	/* unlinked at once: nothing is left behind whatever happens */
	if ((fd = mkstemp(path)) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || unlink(path) < 0 ||
	    (fp = fdopen(fd, "w+")) == NULL) {
		mailc_warn("temporary file in %s", dir);
		if (fd >= 0)
			close(fd);
	}
	return fp;
}

int
msg_open(struct msg *m, const struct msg_gen *gen, int flags)
{
	memset(m, 0, sizeof(*m));
	m->gen = gen;
	m->flags = flags;
	m->bol = 1;
	m->state = flags & MSG_BODYONLY ? ST_BODY : ST_HEADERS;
	m->cte_off = -1;
	return (m->spool = msg_tmpfile()) != NULL ? 0 : EX_IOERR;
}

static int
field_add(struct msg *m, const char *p, size_t n)
{
	if (m->field == F_PASS) {
		spool_write(m, p, n);
		return 0;
	}
	if (m->flen + n + 1 > MSG_FIELD_MAX) {
		mailc_warnx("a From, To, Cc, Bcc or Subject header is too long "
			    "(limit %d KiB)",
			    MSG_FIELD_MAX / 1024);
		return EX_DATAERR;
	}
	if (m->flen + n + 1 > m->fcap) {
		while (m->flen + n + 1 > m->fcap)
			m->fcap = m->fcap ? m->fcap * 2 : 1024;
		m->fbuf = xreallocarray(m->fbuf, m->fcap, 1);
	}
	memcpy(m->fbuf + m->flen, p, n);
	m->flen += n;
	m->fbuf[m->flen] = '\0';
	return 0;
}

/* the input's Cc field with the -c addresses added to it */
static int
cc_extend(struct msg *m, const char *value)
{
	char *buf = NULL;
	size_t len, col = 0;
	const char *p;
	int empty = 1, bad;
	FILE *fp;

	if ((fp = open_memstream(&buf, &len)) == NULL) {
		mailc_warn("open_memstream");
		return EX_OSERR;
	}
	for (p = value; *p; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n')
			empty = 0;
	for (p = m->fbuf; p < m->fbuf + m->flen - 1; p++)
		col = *p == '\n' ? 0 : col + 1;
	fwrite(m->fbuf, 1, m->flen - 1, fp); /* all but its final LF */
	put_addrs(fp, m->gen->cc, col, !empty);
	bad = ferror(fp);
	if (fclose(fp) != 0 || bad) {
		mailc_warn("composing the Cc header");
		free(buf);
		return EX_OSERR;
	}
	spool_write(m, buf, len);
	free(buf);
	return 0;
}

/* a held field as it is, or with its non-ASCII text RFC 2047-encoded */
static int
field_write(struct msg *m)
{
	char *enc;
	size_t len;

	if ((enc = hdrenc_field(m->fbuf, m->flen, &len)) != NULL) {
		spool_write(m, enc, len);
		free(enc);
	} else
		spool_write(m, m->fbuf, m->flen);
	return 0;
}

/* a field is complete: parse it (-t), drop it (Bcc), extend it (-c) */
static int
field_end(struct msg *m)
{
	static const char *names[] = {
	    [F_TO] = "To header", [F_CC] = "Cc header", [F_BCC] = "Bcc header"};
	int kind = m->field;
	const char *value;

	m->field = F_NONE;
	if (kind == F_NONE || kind == F_PASS)
		return 0;
	if (kind == F_HOLD)
		return field_write(m);
	value = strchr(m->fbuf, ':') + 1;
	if ((m->flags & MSG_EXTRACT) &&
	    msg_addrs_parse(&m->rcpts, value, names[kind]) < 0)
		return EX_DATAERR;
	if (kind == F_BCC)
		return 0;
	if (kind == F_CC && m->gen->cc != NULL && m->gen->cc->n > 0)
		return cc_extend(m, value);
	return field_write(m);
}

/* "Name:" with printable US-ASCII but ":" in the name; its length or 0 */
static size_t
field_name_len(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && s[i] != ':'; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126)
			return 0;
	return i < len ? i : 0;
}

static int
field_start(struct msg *m, const char *p, size_t len, size_t namelen)
{
	static const struct {
		const char *name;
		int kind;
		unsigned bit;
	} known[] = {
	    {"to", F_TO, HAVE_TO},
	    {"cc", F_CC, HAVE_CC},
	    {"bcc", F_BCC, 0},
	    {"from", F_HOLD, HAVE_FROM},
	    {"subject", F_HOLD, HAVE_SUBJECT},
	    {"reply-to", F_HOLD, 0},
	    {"mime-version", F_PASS, HAVE_MIME},
	    {"content-type", F_PASS, HAVE_MIME},
	    {"content-transfer-encoding", F_PASS, HAVE_MIME},
	    {"date", F_PASS, HAVE_DATE},
	    {"message-id", F_PASS, HAVE_MSGID},
	};
	size_t i;

	m->field = F_PASS;
	m->nfields++;
	for (i = 0; i < nitems(known); i++)
		if (strlen(known[i].name) == namelen &&
		    strncasecmp(p, known[i].name, namelen) == 0) {
			m->field = known[i].kind;
			m->seen |= known[i].bit;
		}
	m->flen = 0;
	return field_add(m, p, len);
}

/* the header block is over: add what it lacks, then the empty line */
static int
headers_end(struct msg *m)
{
	char *hdrs;
	size_t len;

	if ((hdrs = msg_headers(m->gen, m->seen, &len)) == NULL)
		return EX_OSERR;
	spool_write(m, hdrs, len);
	m->hdr_len = m->size;
	m->has_mime = (m->seen & HAVE_MIME) != 0;
	spool_write(m, "\n", 1);
	m->body_off = m->size;
	m->state = ST_BODY;
	free(hdrs);
	return 0;
}

int
msg_feed(struct msg *m, char *p, size_t len)
{
	int bol = m->bol, r;
	size_t namelen;

	if (len == 0)
		return 0;
	m->bol = p[len - 1] == '\n';
	if (m->bol && len >= 2 && p[len - 2] == '\r') {
		p[len - 2] = '\n'; /* CRLF in the input: LF, as stored */
		len--;
	}
	if ((m->insize += (long long)len) > MSG_SIZE_MAX) {
		mailc_warnx("message too big: more than %lld MiB",
			    MSG_SIZE_MAX / (1024 * 1024));
		return EX_DATAERR;
	}
	if (m->state == ST_BODY) {
		spool_write(m, p, len);
		return 0;
	}
	/* the rest of a long line, or a folded continuation line */
	if (m->field != F_NONE && (!bol || *p == ' ' || *p == '\t'))
		return field_add(m, p, len);
	if ((r = field_end(m)) != 0)
		return r;
	/*
	 * The first line must look like a header beyond doubt ("Name: ..."),
	 * so that a body starting "http://..." or "Note:..." stays a body.
	 */
	if (bol && (namelen = field_name_len(p, len)) > 0 &&
	    (m->nfields > 0 ||
	     (namelen + 1 < len && memchr(" \t\n", p[namelen + 1], 3) != NULL)))
		return field_start(m, p, len, namelen);
	if ((r = headers_end(m)) != 0)
		return r;
	if (!(bol && len == 1 && *p == '\n'))
		spool_write(m, p, len); /* no header: the body starts here */
	return 0;
}

int
msg_close(struct msg *m)
{
	char nl[] = "\n";
	int r;

	if (!m->bol && (r = msg_feed(m, nl, 1)) != 0)
		return r;
	if (m->state == ST_HEADERS &&
	    ((r = field_end(m)) != 0 || (r = headers_end(m)) != 0))
		return r;
	if (fflush(m->spool) != 0 || ferror(m->spool) ||
	    lseek(fileno(m->spool), 0, SEEK_SET) < 0) {
		mailc_warn("writing the temporary file");
		return EX_IOERR;
	}
	return 0;
}

int
msg_fd(const struct msg *m)
{
	return fileno(m->spool);
}

long long
msg_wire_size(const struct msg *m)
{
	return m->size + m->lines;
}

void
msg_free(struct msg *m)
{
	if (m->spool != NULL)
		fclose(m->spool);
	free(m->fbuf);
	msg_addrs_free(&m->rcpts);
	memset(m, 0, sizeof(*m));
}
