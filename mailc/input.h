/*
 * input.h - bounded line reading from a descriptor that is not a socket
 * (mailc's stdin: a piped message, or a person's answers).
 *
 * Unlike lineio, which drops an unterminated last line (on the network
 * that is a broken connection), here the last line of a file is data:
 * it is returned with an LF added.  No timeout: stdin may be a person.
 */
#ifndef INPUT_H
#define INPUT_H

#include <stddef.h>

#define INPUT_BUFSIZE 16384

enum input_status {
	INPUT_ERROR = -1, /* read error, errno set */
	INPUT_EOF = 0,	  /* no more input */
	INPUT_LINE = 1,	  /* a whole line, ending in LF */
	INPUT_PARTIAL = 2 /* the first max-2 bytes of a longer line */
};

struct input {
	int fd;
	int eof;
	size_t off, len;
	char buf[INPUT_BUFSIZE];
};

void input_init(struct input *in, int fd);
/*
 * Read the next line, or the next part of a long one, into line (size
 * max, at most INPUT_BUFSIZE), NUL-terminated, its length in *len.  A
 * partial chunk never ends in CR, so CRLF is never split.
 */
enum input_status input_line(struct input *in, char *line, size_t max,
			     size_t *len);

#endif
