/*
 * base64.h - RFC 4648 base64, for AUTH PLAIN/LOGIN (RFC 4954, RFC 5034).
 */
#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>

/* encode len bytes; NUL-terminated result; -1 if dst is too small */
int base64_encode(const void *src, size_t len, char *dst, size_t dstlen);
/* decode a NUL-terminated string; -1 on bad input or small dst, else length */
int base64_decode(const char *src, unsigned char *dst, size_t dstlen);

#endif
