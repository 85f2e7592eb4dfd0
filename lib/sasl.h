/*
 * sasl.h - the server's side of decoding what a client sends for SASL
 * PLAIN (RFC 4616) and LOGIN, shared by SMTP AUTH (RFC 4954) and POP3
 * AUTH (RFC 5034).  It decodes only: checking the password, the
 * protocol's reply texts and wiping the buffers are the callers'.
 */
#ifndef SASL_H
#define SASL_H

#include <stddef.h>

enum sasl_result {
	SASL_OK = 0,
	SASL_BAD_BASE64 = -1, /* not base64, or longer than the buffer */
	SASL_MALFORMED = -2,  /* PLAIN without its two NULs */
	SASL_OTHER_USER = -3  /* PLAIN: an authzid that is not the authcid */
};

/* base64 into out, NUL-terminated: the length, or SASL_BAD_BASE64 */
int sasl_decode(const char *b64, char *out, size_t size);
/*
 * PLAIN: "[authzid] NUL authcid NUL passwd" in base64, decoded into raw
 * (size bytes); *user and *pass point into raw.  With SASL_OTHER_USER,
 * *user is set too, for the log: acting for another user is refused.
 */
enum sasl_result sasl_plain(const char *b64, char *raw, size_t size,
			    const char **user, const char **pass);

#endif
