/*
 * mime.h - what mailc adds to a message for MIME (RFC 2045, 2046, 2231):
 * attachments (-a, multipart/mixed, base64) and the charset and transfer
 * encoding of an 8-bit body.  (Non-ASCII header text is hdrenc.c's.)
 *
 * The message is composed (message.c, then mime_finish()) before the
 * server is known, whole in its spool, with the text as it came
 * ("8bit").  On the way out, mime_send() sends it as it is (with
 * BODY=8BITMIME) to a server that offers 8BITMIME (RFC 6152), else
 * re-encodes that one text part as quoted-printable.  A message whose
 * input has MIME headers of its own is sent as it is; attaching to it is
 * an error.
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
/*
 * Make m's spool the whole message: its headers, extra (more headers, may
 * be NULL), and, unless the input has MIME headers of its own, the MIME
 * structure an 8-bit body or l's files need (l may be NULL), the body
 * 8bit.  0, or an exit status after a message.
 */
int mime_finish(struct msg *m, const struct mime_files *l, const char *extra,
		size_t extralen);
/*
 * After a 354: send the finished message, an 8-bit text part as it is
 * when eightbitmime, else quoted-printable; then the final ".".  The
 * reply code, or -1 (c->err set).
 */
int mime_send(struct smtpc *c, const struct msg *m, int eightbitmime);

#endif
