/*
 * fuzz_msghdr.c - lib/msghdr.c, the header scanner smtp/data.c feeds
 * while it spools and the relay worker runs over a queued file.  The
 * first input byte picks a piece size; the rest is a stored message (LF
 * line ends).  It is scanned three ways:
 *   A. whole lines (the last one, without LF, as an unfinished piece);
 *   B. each line in pieces of MSGHDR_NAME_MAX+1 .. +256 octets (so a
 *      field name always ends in a line's first piece, as with data.c's
 *      8 KB chunks);
 *   C. msghdr_scan_fd over a file holding it.
 * Checks: A, B and C agree on everything (where the block ended, and
 * how, Received: count, Date:, Message-ID:, the Delivered-To:
 * addresses); NOSEP comes at most once, at a line's first piece, and
 * never after SEPARATOR; after either, every piece is BODY; the counts
 * stay within their bounds, the addresses are NUL-terminated, without
 * LF.  A fourth pass in tiny pieces (1..16 octets) checks only memory
 * safety and the bounds.
 */
#include "fuzz_util.h"

#include "msghdr.h"

static FILE *file;
static struct msghdr ha, hb, hc, hd;

/* feed data as lines, each cut in pieces of at most piece octets (0:
 * whole); check what each piece is said to be */
static void
feed(struct msghdr *h, const char *p, size_t n, size_t piece)
{
	int ends = 0;

	msghdr_init(h);
	while (n > 0) {
		const char *lf = memchr(p, '\n', n);
		size_t len = lf ? (size_t)(lf - p) + 1 : n, off = 0;

		while (off < len) {
			size_t k =
			    piece && len - off > piece ? piece : len - off;
			int complete = lf != NULL && off + k == len;
			int was_ended = h->ended;
			enum msghdr_kind kind =
			    msghdr_feed(h, p + off, k, complete);

			if (was_ended)
				CHECK(kind == MSGHDR_BODY);
			if (kind == MSGHDR_NOSEP || kind == MSGHDR_SEPARATOR) {
				CHECK(off == 0 && !was_ended && h->ended);
				ends++;
			}
			if (kind == MSGHDR_SEPARATOR)
				CHECK(k == 1 && p[0] == '\n' && h->separator);
			if (kind == MSGHDR_NOSEP)
				CHECK(!h->separator);
			off += k;
		}
		p += len;
		n -= len;
	}
	msghdr_end(h);
	CHECK(ends <= 1);
}

static void
check_bounds(const struct msghdr *h, size_t size)
{
	int i;

	CHECK(h->received <= size / 9); /* "Received:" and more */
	CHECK(h->ndelivered >= 0 && h->ndelivered <= MSGHDR_DELIVERED_MAX + 1);
	for (i = 0; i < MSGHDR_DELIVERED_MAX; i++) {
		CHECK(memchr(h->delivered[i], '\0', sizeof(h->delivered[i])));
		CHECK(strchr(h->delivered[i], '\n') == NULL);
	}
	CHECK(h->date == 0 || h->date == 1);
	CHECK(h->message_id == 0 || h->message_id == 1);
}

static void
check_same(const struct msghdr *x, const struct msghdr *y)
{
	int i;

	CHECK(x->ended == y->ended && x->separator == y->separator);
	CHECK(x->received == y->received);
	CHECK(x->date == y->date && x->message_id == y->message_id);
	CHECK(x->ndelivered == y->ndelivered);
	for (i = 0; i < MSGHDR_DELIVERED_MAX; i++)
		CHECK(strcmp(x->delivered[i], y->delivered[i]) == 0);
	for (i = 0; i < MSGHDR_DELIVERED_MAX && i < x->ndelivered; i++)
		CHECK(x->delivered[i][0] == '\0' ||
		      msghdr_delivered_to(y, x->delivered[i]));
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((file = tmpfile()) == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text;
	size_t piece, tiny;
	int fd = fileno(file);

	if (size < 1)
		return 0;
	piece = MSGHDR_NAME_MAX + 1 + data[0];
	tiny = 1 + data[0] % 16;
	text = (const char *)data + 1;
	size--;

	feed(&ha, text, size, 0);
	check_bounds(&ha, size);
	feed(&hb, text, size, piece);
	check_same(&ha, &hb);

	CHECK(ftruncate(fd, 0) == 0);
	CHECK(pwrite(fd, text, size, 0) == (ssize_t)size);
	CHECK(msghdr_scan_fd(&hc, fd) == 0);
	check_same(&ha, &hc);

	feed(&hd, text, size, tiny);
	check_bounds(&hd, size);
	return 0;
}
