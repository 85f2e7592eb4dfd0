/*
 * mime.h - what mailc adds to a message for MIME (RFC 2045-2047, 2231):
 * attachments (-a, multipart/mixed, base64), the charset and transfer
 * encoding of an 8-bit body, and encoded-words for non-ASCII header text.
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

/* open path and add it to m's attachments: 0, or EX_NOINPUT said why */
int mime_attach(struct msg *m, const char *path);
/* close m's attachments (msg_free calls it) */
void mime_free(struct msg *m);
/* 0 when m can be sent (attachments need a message without MIME) */
int mime_check(const struct msg *m);
/* the message needs BODY=8BITMIME to go unchanged */
int mime_8bit(const struct msg *m);
/* SIZE= estimate (RFC 1870): octets with CRLF line ends, MIME added */
long long mime_wire_size(const struct msg *m);
/*
 * After a 354: write extra (headers, may be NULL) and the message with
 * its MIME structure, 8bit when eightbitmime, else quoted-printable,
 * then the final ".".  The reply code, or -1 (c->err set).
 */
int mime_send(struct smtpc *c, const struct msg *m, const char *extra,
	      size_t extralen, int eightbitmime);
/*
 * A header field "Name: value\n" (folded lines allowed), rewritten with
 * RFC 2047 encoded-words if it has non-ASCII text: the whole value of
 * an unstructured field (Subject), the display names of an address
 * field (From, To, Cc, Reply-To, Sender).  A malloc'd field, or NULL
 * when it is ASCII already (or has nothing to encode).
 */
char *mime_header_encode(const char *field, size_t len, size_t *outlen);
/* "name: value\n" on fp, encoded as mime_header_encode() does */
void mime_put_field(FILE *fp, const char *name, const char *value);

#endif
