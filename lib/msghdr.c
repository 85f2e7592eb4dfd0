/*
 * msghdr.c - see msghdr.h.  One state machine: at the start of each line
 * it decides, from the line's first piece, whether the header block goes
 * on (a field, a continuation) or ends (an empty line, anything else);
 * within a Delivered-To: field it gathers the value, unfolded and
 * bounded, and takes the address out when the field ends.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "msghdr.h"
#include "util.h"

enum field { F_OTHER, F_RECEIVED, F_DELIVERED_TO, F_DATE, F_MESSAGE_ID };

static const struct {
	const char *name;
	enum field field;
} known_fields[] = {
    {"Received", F_RECEIVED},
    {"Delivered-To", F_DELIVERED_TO},
    {"Date", F_DATE},
    {"Message-ID", F_MESSAGE_ID},
};

void
msghdr_init(struct msghdr *h)
{
	memset(h, 0, sizeof(*h));
	h->bol = 1;
}

/*
 * The offset of the value if p starts a header field ("name:", blanks
 * allowed before the colon), the name's length in *namelen; 0 if not.
 * The name and its blanks together are at most MSGHDR_NAME_MAX octets,
 * so the colon is always within a line's first piece: a line judged in
 * pieces is judged as it would be whole.
 */
static size_t
field_start(const char *p, size_t n, size_t *namelen)
{
	size_t i = 0;

	while (i < n && i < MSGHDR_NAME_MAX && p[i] >= 33 && p[i] <= 126 &&
	       p[i] != ':')
		i++;
	if (i == 0)
		return 0;
	*namelen = i;
	while (i < n && i < MSGHDR_NAME_MAX && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i < n && p[i] == ':' ? i + 1 : 0;
}

static enum field
field_of(const char *name, size_t len)
{
	char one[MSGHDR_NAME_MAX + 1];
	size_t i;

	memcpy(one, name, len);
	one[len] = '\0';
	for (i = 0; i < nitems(known_fields); i++)
		if (str_ieq(one, known_fields[i].name))
			return known_fields[i].field;
	return F_OTHER;
}

static void
value_add(struct msghdr *h, const char *p, size_t n)
{
	if (h->vlong)
		return;
	if (n >= sizeof(h->value) - h->vlen || memchr(p, '\0', n) != NULL) {
		h->vlong = 1;
		return;
	}
	memcpy(h->value + h->vlen, p, n);
	h->vlen += n;
}

/* the field being read ends: a Delivered-To: gives up its address */
static void
field_end(struct msghdr *h)
{
	char *v = h->value, *end;

	if (h->field == F_DELIVERED_TO &&
	    h->ndelivered < MSGHDR_DELIVERED_MAX + 1) {
		h->ndelivered++;
		h->value[h->vlen] = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		end = v + strlen(v);
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		*end = '\0';
		/* "<addr>" as well as "addr" (Postfix writes the latter) */
		if (*v == '<' && end > v + 1 && end[-1] == '>') {
			end[-1] = '\0';
			v++;
		}
		if (h->ndelivered <= MSGHDR_DELIVERED_MAX && !h->vlong)
			strlcpy(h->delivered[h->ndelivered - 1], v,
				sizeof(h->delivered[0]));
	}
	h->field = F_OTHER;
	h->vlen = 0;
	h->vlong = 0;
}

enum msghdr_kind
msghdr_feed(struct msghdr *h, const char *p, size_t n, int complete)
{
	size_t value = 0, namelen = 0, lf;

	if (h->ended)
		return MSGHDR_BODY;
	if (n == 0)
		return MSGHDR_FIELD; /* nothing to judge yet */
	lf = complete && p[n - 1] == '\n';
	if (h->bol) {
		if (p[0] == '\n') {
			field_end(h);
			h->ended = h->separator = 1;
			return MSGHDR_SEPARATOR;
		}
		if ((p[0] == ' ' || p[0] == '\t') && h->had_field) {
			/* a continuation: the value goes on, unfolded */
		} else if ((value = field_start(p, n, &namelen)) > 0) {
			field_end(h);
			h->field = field_of(p, namelen);
			h->had_field = 1;
			if (h->field == F_RECEIVED)
				h->received++;
			else if (h->field == F_DATE)
				h->date = 1;
			else if (h->field == F_MESSAGE_ID)
				h->message_id = 1;
		} else {
			field_end(h);
			h->ended = 1;
			return MSGHDR_NOSEP;
		}
	}
	if (h->field == F_DELIVERED_TO)
		value_add(h, p + value, n - value - lf);
	h->bol = complete;
	return MSGHDR_FIELD;
}

void
msghdr_end(struct msghdr *h)
{
	if (!h->ended)
		field_end(h);
}

int
msghdr_scan_fd(struct msghdr *h, int fd)
{
	char buf[8192];
	size_t have = 0, start, len;
	off_t off = 0;
	ssize_t r;
	char *lf;

	msghdr_init(h);
	while (!h->ended) {
		r = pread(fd, buf + have, sizeof(buf) - have, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			if (have > 0)
				msghdr_feed(h, buf, have, 0);
			break;
		}
		off += r;
		have += (size_t)r;
		start = 0;
		while (!h->ended &&
		       (lf = memchr(buf + start, '\n', have - start)) != NULL) {
			len = (size_t)(lf - (buf + start)) + 1;
			msghdr_feed(h, buf + start, len, 1);
			start += len;
		}
		if (start == 0 && have == sizeof(buf)) {
			/* the first piece of a long line: the whole buffer */
			msghdr_feed(h, buf, have, 0);
			have = 0;
			continue;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
	}
	msghdr_end(h);
	return 0;
}

int
msghdr_delivered_to(const struct msghdr *h, const char *addr)
{
	int i, n = h->ndelivered < MSGHDR_DELIVERED_MAX ? h->ndelivered
							: MSGHDR_DELIVERED_MAX;

	for (i = 0; i < n; i++)
		if (h->delivered[i][0] != '\0' &&
		    str_ieq(h->delivered[i], addr))
			return 1;
	return 0;
}
