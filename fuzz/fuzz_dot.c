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
 *     at the terminator dot_out_end wrote.
 */
#include "fuzz_util.h"

#include "dot.h"
#include "lineio.h"

#define DATA_CHUNK_REAL 8193 /* data.c: DATA_CHUNK + 1 */

static struct lineio lio;
static char chunk[DATA_CHUNK_REAL + 1];
static FILE *wire;

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
	size_t max, slen = 0, s2len = 0, wlen;
	char *stored, *stored2, *w;
	int fd, wfd = fileno(wire);

	if (size < 1)
		return 0;
	max = data[0] >= 0xf0 ? DATA_CHUNK_REAL : 4 + data[0] % 64u;
	data++;
	size--;

	/* pass 1: the client's bytes, as data.c would store them */
	stored = malloc(size + 1);
	fd = fuzz_input_fd(data, size);
	(void)receive(fd, max, stored, &slen);
	close(fd);

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
