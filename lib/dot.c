/*
 * dot.c - dot-stuffing in and out; see dot.h for the rules and why.
 */
#include <string.h>

#include "dot.h"
#include "lineio.h"

void
dot_in_init(struct dot_in *d)
{
	d->bol = 1;
	d->prev_crlf = 1; /* the DATA command's own CRLF */
}

int
dot_in_chunk(struct dot_in *d, char *chunk, size_t len, int complete,
	     char **out, size_t *outlen)
{
	char *p = chunk;
	size_t n = len;
	int crlf = complete && n >= 2 && p[n - 2] == '\r';

	if (d->bol && complete && d->prev_crlf && n == 3 &&
	    memcmp(p, ".\r\n", 3) == 0)
		return 1;
	if (d->bol && n > 0 && p[0] == '.') {
		size_t body = n - (complete ? (crlf ? 2 : 1) : 0);
		/* a lone "." that is not the end is content: keep it */
		if (!(complete && body == 1)) {
			p++;
			n--;
		}
	}
	if (crlf) {
		p[n - 2] = '\n';
		n--;
	}
	if (complete)
		d->prev_crlf = crlf;
	d->bol = complete;
	*out = p;
	*outlen = n;
	return 0;
}

void
dot_out_init(struct dot_out *d)
{
	d->bol = 1;
}

void
dot_out_write(struct dot_out *d, struct lineio *lio, const char *p, size_t n)
{
	while (n > 0) {
		const char *lf;
		size_t seg;

		if (d->bol && *p == '.')
			lio_write(lio, ".", 1);
		lf = memchr(p, '\n', n);
		seg = lf ? (size_t)(lf - p) : n;
		lio_write(lio, p, seg);
		if (lf) {
			lio_write(lio, "\r\n", 2);
			seg++;
			d->bol = 1;
		} else
			d->bol = 0;
		p += seg;
		n -= seg;
	}
}

void
dot_out_end(struct dot_out *d, struct lineio *lio)
{
	if (!d->bol)
		lio_write(lio, "\r\n", 2);
	lio_write(lio, ".\r\n", 3);
	d->bol = 1;
}
