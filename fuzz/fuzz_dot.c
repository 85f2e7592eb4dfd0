/*
 * fuzz_dot.c - lib/dot.c (end of DATA, un-stuffing, re-stuffing), fed
 * the way data.c feeds it: chunks from lio_read_line (lib/lineio.c) over
 * a pipe.  The first input byte picks the chunk size (tiny ones split
 * lines into partial chunks; 0xf0 and up is data.c's real size); the rest
 * is what a client sends after DATA.  Checks:
 *   - a chunk's stored output is never longer than the chunk;
 *   - the end is reported exactly for a whole ".\r\n" line at the start
 *     of a line that follows a CRLF (or the DATA command), never else;
 *   - round trip: the stored bytes, sent out again through dot_out and
 *     read back through dot_in, give the same stored bytes (plus the line
 *     end dot_out_end adds to an unfinished last line) and end exactly
 *     at the terminator dot_out_end wrote;
 *   - lio_span, used as data.c uses it (pieces left in lineio's buffer,
 *     un-stuffed there, written out only when a call without reading
 *     says LIO_MORE), stores the same bytes as lio_read_line's copies,
 *     ends at the same place, consumes nothing when it says LIO_MORE,
 *     and no piece changes between its hand-out and its write.
 */
#include "fuzz_util.h"

#include "dot.h"
#include "lineio.h"

#define DATA_CHUNK_REAL 8193 /* data.c: DATA_CHUNK + 1 */

static struct lineio lio;
static char chunk[DATA_CHUNK_REAL + 1];
static FILE *wire;

/* pieces handed out by lio_span and not yet written, and their bytes then */
static struct {
	const char *p;
	size_t n;
} held[LIO_BUFSIZE + 1];
static char shadow[LIO_BUFSIZE];

/*
 * Run the DATA reader over fd, appending what it stores to store.
 * Returns 1 if the end of data was seen, 0 if the input ran out first.
 */
static int
receive(int fd, size_t max, char *store, size_t *storelen)
{
	struct dot_in d;
	int bol = 1, prev_crlf = 1;

	lio_init(&lio, fd, fuzz_null_fd(), 0);
	dot_in_init(&d);
	for (;;) {
		size_t len, outlen;
		char *out;
		int complete, is_end, crlf, r;
		enum lio_status st = lio_read_line(&lio, chunk, max, &len);

		if (st != LIO_LINE && st != LIO_PARTIAL) {
			CHECK(st == LIO_EOF);
			return 0;
		}
		CHECK(len > 0 && len < max);
		complete = st == LIO_LINE;
		CHECK(complete == (chunk[len - 1] == '\n'));
		crlf = complete && len >= 2 && chunk[len - 2] == '\r';
		is_end = bol && prev_crlf && complete && len == 3 &&
			 memcmp(chunk, ".\r\n", 3) == 0;
		r = dot_in_chunk(&d, chunk, len, complete, &out, &outlen);
		CHECK(r == is_end);
		if (r)
			return 1;
		CHECK(outlen <= len);
		CHECK(out >= chunk && out + outlen <= chunk + len);
		memcpy(store + *storelen, out, outlen);
		*storelen += outlen;
		if (complete)
			prev_crlf = crlf;
		bol = complete;
	}
}

/* data.c's write before a read: every held piece, unchanged since */
static void
spans_write(int nheld, char *store, size_t *storelen)
{
	size_t off = 0;
	int i;

	for (i = 0; i < nheld; i++) {
		CHECK(memcmp(held[i].p, shadow + off, held[i].n) == 0);
		memcpy(store + *storelen, held[i].p, held[i].n);
		*storelen += held[i].n;
		off += held[i].n;
	}
}

/* receive() through lio_span, as data.c reads: the same contract */
static int
receive_spans(int fd, size_t max, char *store, size_t *storelen)
{
	struct dot_in d;
	size_t shadowlen = 0;
	int nheld = 0;

	lio_init(&lio, fd, fuzz_null_fd(), 0);
	dot_in_init(&d);
	for (;;) {
		size_t len, outlen, roff = lio.roff;
		char *p, *out;
		enum lio_status st = lio_span(&lio, max, 0, &p, &len);

		if (st == LIO_MORE) {
			CHECK(lio.roff == roff && len == 0);
			spans_write(nheld, store, storelen);
			nheld = 0;
			shadowlen = 0;
			st = lio_span(&lio, max, 1, &p, &len);
		}
		if (st != LIO_LINE && st != LIO_PARTIAL) {
			CHECK(st == LIO_EOF);
			spans_write(nheld, store, storelen);
			return 0;
		}
		CHECK(len > 0 && len < max);
		CHECK(p >= lio.rbuf && p + len <= lio.rbuf + sizeof(lio.rbuf));
		if (dot_in_chunk(&d, p, len, st == LIO_LINE, &out, &outlen)) {
			spans_write(nheld, store, storelen);
			return 1;
		}
		CHECK(nheld < (int)(sizeof(held) / sizeof(held[0])) &&
		      shadowlen + outlen <= sizeof(shadow));
		held[nheld].p = out;
		held[nheld++].n = outlen;
		memcpy(shadow + shadowlen, out, outlen);
		shadowlen += outlen;
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((wire = tmpfile()) == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dot_out dout;
	size_t max, slen = 0, s2len = 0, s3len = 0, wlen;
	char *stored, *stored2, *stored3, *w;
	int fd, wfd = fileno(wire), ended, ended3;

	if (size < 1)
		return 0;
	max = data[0] >= 0xf0 ? DATA_CHUNK_REAL : 4 + data[0] % 64u;
	data++;
	size--;

	/* pass 1: the client's bytes, as data.c would store them */
	stored = malloc(size + 1);
	fd = fuzz_input_fd(data, size);
	ended = receive(fd, max, stored, &slen);
	close(fd);

	/* pass 1 again, without the copies: the same text, the same end */
	stored3 = malloc(size + 1);
	fd = fuzz_input_fd(data, size);
	ended3 = receive_spans(fd, max, stored3, &s3len);
	close(fd);
	CHECK(ended3 == ended && s3len == slen &&
	      memcmp(stored3, stored, slen) == 0);
	free(stored3);

	/* out again: dot-stuffed with CRLF, as the relay and RETR send it */
	CHECK(ftruncate(wfd, 0) == 0 && lseek(wfd, 0, SEEK_SET) == 0);
	lio_init(&lio, -1, wfd, 0);
	dot_out_init(&dout);
	dot_out_write(&dout, &lio, stored, slen);
	dot_out_end(&dout, &lio);
	CHECK(lio_flush(&lio) == 0);
	wlen = (size_t)lseek(wfd, 0, SEEK_CUR);
	w = malloc(wlen + 1);
	CHECK(pread(wfd, w, wlen, 0) == (ssize_t)wlen);
	CHECK(wlen >= 3 && memcmp(w + wlen - 3, ".\r\n", 3) == 0);

	/* pass 2: read that back; the same text, ending at the terminator */
	stored2 = malloc(wlen + 1);
	fd = fuzz_input_fd(w, wlen);
	CHECK(receive(fd, max, stored2, &s2len) == 1);
	{
		size_t dummy;
		CHECK(lio_read_line(&lio, chunk, max, &dummy) == LIO_EOF);
	}
	close(fd);
	if (slen > 0 && stored[slen - 1] != '\n')
		stored[slen++] = '\n'; /* dot_out_end ends the last line */
	CHECK(s2len == slen && memcmp(stored, stored2, slen) == 0);

	free(stored);
	free(stored2);
	free(w);
	return 0;
}
