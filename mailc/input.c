/*
 * input.c - see input.h.  Plain read(2) into one fixed buffer; never
 * allocates.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "input.h"

void
input_init(struct input *in, int fd)
{
	in->fd = fd;
	in->eof = 0;
	in->off = in->len = 0;
}

static enum input_status
input_fill(struct input *in)
{
	ssize_t n;

	if (in->off > 0) {
		memmove(in->buf, in->buf + in->off, in->len - in->off);
		in->len -= in->off;
		in->off = 0;
	}
	do
		n = read(in->fd, in->buf + in->len, sizeof(in->buf) - in->len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return INPUT_ERROR;
	if (n == 0)
		in->eof = 1;
	in->len += (size_t)n;
	return INPUT_LINE;
}

enum input_status
input_line(struct input *in, char *line, size_t max, size_t *len)
{
	size_t avail, n;
	char *lf;
	enum input_status st;

	if (max > sizeof(in->buf))
		max = sizeof(in->buf);
	*len = 0;
	line[0] = '\0';
	for (;;) {
		avail = in->len - in->off;
		/* a whole line fits when it has at most max-1 bytes */
		lf = memchr(in->buf + in->off, '\n',
			    avail < max - 1 ? avail : max - 1);
		if (lf != NULL) {
			n = (size_t)(lf - (in->buf + in->off)) + 1;
			st = INPUT_LINE;
			break;
		}
		if (avail >= max - 1) {
			n = max - 2;
			if (n > 1 && in->buf[in->off + n - 1] == '\r')
				n--;
			st = INPUT_PARTIAL;
			break;
		}
		if (in->eof) {
			if (avail == 0)
				return INPUT_EOF;
			/* the unterminated last line: avail <= max-2 here */
			memcpy(line, in->buf + in->off, avail);
			line[avail] = '\n';
			line[avail + 1] = '\0';
			in->off = in->len;
			*len = avail + 1;
			return INPUT_LINE;
		}
		if (input_fill(in) == INPUT_ERROR)
			return INPUT_ERROR;
	}
	memcpy(line, in->buf + in->off, n);
	line[n] = '\0';
	in->off += n;
	*len = n;
	return st;
}
