/*
 * sasl.c - see sasl.h.
 */
#include <string.h>

#include "base64.h"
#include "sasl.h"
#include "util.h"

int
sasl_decode(const char *b64, char *out, size_t size)
{
	int n;

	if (size == 0 ||
	    (n = base64_decode(b64, (unsigned char *)out, size - 1)) < 0)
		return SASL_BAD_BASE64;
	out[n] = '\0';
	return n;
}

enum sasl_result
sasl_plain(const char *b64, char *raw, size_t size, const char **user,
	   const char **pass)
{
	const char *u, *p;
	int n;

	*user = *pass = NULL;
	if ((n = sasl_decode(b64, raw, size)) < 0)
		return SASL_BAD_BASE64;
	/* authzid NUL authcid NUL passwd */
	if ((u = memchr(raw, '\0', (size_t)n)) == NULL ||
	    (p = memchr(u + 1, '\0', (size_t)(n - (u + 1 - raw)))) == NULL)
		return SASL_MALFORMED;
	*user = u + 1;
	if (raw[0] && !str_ieq(raw, *user))
		return SASL_OTHER_USER;
	*pass = p + 1;
	return SASL_OK;
}
