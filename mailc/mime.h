/*
 * mime.h - what mailc adds to a message for MIME (RFC 2045, 2046, 2231):
 * attachments (-a, multipart/mixed, base64) and the charset and transfer
 * encoding of an 8-bit body.  (Non-ASCII header text is hdrenc.c's.)
 *
 * The message is composed (message.c) before the server is known, with
 * its body as it came (8bit).  The MIME structure is added on the way
 * out, by mime_send(): the body goes as it is ("8bit", with
 * BODY=8BITMIME) to a server that offers 8BITMIME (RFC 6152), else
 * re-encoded as quoted-printable.  A message whose input has MIME
 * headers of its own is sent as it is; attaching to it is an error.
 */
#ifndef MIME_H
#define MIME_H

#include <stdio.h>
#include <sys/types.h>

#include "smtpc.h"

#include "message.h"

/* one -a file, opened and checked before anything is sent */
struct mime_file {
	int fd;
	off_t size;
	char *name;	  /* base name, for Content-Disposition */
	const char *type; /* from the extension */
};

struct mime_files {
	struct mime_file *v;
	size_t n;
};

/* open path and add it to l: 0, or EX_NOINPUT said why */
int mime_attach(struct mime_files *l, const char *path);
/* close and free l's files */
void mime_free(struct mime_files *l);
/* 0 when m can be sent with l (files need a message without MIME) */
int mime_check(const struct msg *m, const struct mime_files *l);
/* the message needs BODY=8BITMIME to go unchanged */
int mime_8bit(const struct msg *m);
/* SIZE= estimate (RFC 1870): octets with CRLF line ends, MIME added */
long long mime_wire_size(const struct msg *m, const struct mime_files *l);
/*
 * After a 354: write m's headers, extra (more headers, may be NULL), and
 * m with its MIME structure and l's files (l may be NULL), an 8-bit body
 * as it is when eightbitmime, else quoted-printable; then the final ".".
 * The reply code, or -1 (c->err set).
 */
int mime_send(struct smtpc *c, const struct msg *m, const struct mime_files *l,
	      const char *extra, size_t extralen, int eightbitmime);

#endif
