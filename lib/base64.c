/*
 * base64.c - see base64.h.  Strict decoder: no whitespace, correct
 * padding, so a malformed AUTH response is an error, not a guess.
 */
#include <string.h>

#include "base64.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
base64_encode(const void *src, size_t len, char *dst, size_t dstlen)
{
	const unsigned char *s = src;
	size_t i, o = 0;

	if ((len + 2) / 3 * 4 + 1 > dstlen)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		dst[o++] = b64[s[i] >> 2];
		dst[o++] = b64[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		dst[o++] = b64[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
		dst[o++] = b64[s[i + 2] & 63];
	}
	if (i < len) {
		dst[o++] = b64[s[i] >> 2];
		if (i + 1 < len) {
			dst[o++] = b64[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
			dst[o++] = b64[(s[i + 1] & 15) << 2];
		} else {
			dst[o++] = b64[(s[i] & 3) << 4];
			dst[o++] = '=';
		}
		dst[o++] = '=';
	}
	dst[o] = '\0';
	return (int)o;
}

static int
b64val(char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64, c)) == NULL)
		return -1;
	return (int)(p - b64);
}

int
base64_decode(const char *src, unsigned char *dst, size_t dstlen)
{
	size_t len = strlen(src), i, o = 0;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		int a = b64val(src[i]), b = b64val(src[i + 1]);
		int c = src[i + 2] == '=' ? -2 : b64val(src[i + 2]);
		int d = src[i + 3] == '=' ? -2 : b64val(src[i + 3]);
		int last = i + 4 == len;

		if (a < 0 || b < 0 || c == -1 || d == -1)
			return -1;
		if ((c == -2 || d == -2) && !last)
			return -1;
		if (c == -2 && d != -2)
			return -1;
		/* room for what this quantum yields: 1 to 3 bytes */
		if (o + 1 + (c >= 0) + (d >= 0) > dstlen)
			return -1;
		dst[o++] = (unsigned char)((a << 2) | (b >> 4));
		if (c >= 0)
			dst[o++] = (unsigned char)(((b & 15) << 4) | (c >> 2));
		if (d >= 0)
			dst[o++] = (unsigned char)(((c & 3) << 6) | d);
	}
	return (int)o;
}
