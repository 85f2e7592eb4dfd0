/*
 * hdrenc.h - non-ASCII text in the header fields mailc writes or passes
 * on, as RFC 2047 encoded-words: the whole value of Subject, the display
 * names of From, To, Cc, Reply-To and Sender.  Text is taken to be UTF-8.
 * Other fields, and ASCII ones, are left as they are.
 */
#ifndef HDRENC_H
#define HDRENC_H

#include <stddef.h>
#include <stdio.h>

/*
 * A header field "Name: value\n" (folded lines allowed), rewritten with
 * encoded-words if it has non-ASCII text to encode: a malloc'd field,
 * its length in *outlen; NULL when it is to be left as it is.
 */
char *hdrenc_field(const char *field, size_t len, size_t *outlen);
/* "name: value\n" on fp, encoded as hdrenc_field() does */
void hdrenc_put_field(FILE *fp, const char *name, const char *value);

#endif
