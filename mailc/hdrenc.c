/*
 * hdrenc.c - see hdrenc.h.  Encoded-words are UTF-8 "B" (RFC 2047 §4.1),
 * at most 75 characters each (§2), never splitting a UTF-8 character,
 * on lines of at most 76 characters.  It parses no more of a header
 * than splitting an address list at its top-level commas and taking the
 * phrase before "<"; it relies on lib/base64 only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "util.h"

#include "hdrenc.h"

#define WORD_MAX 75  /* RFC 2047 §2 */
#define WORD_LINE 76 /* RFC 2047 §2: a line with encoded-words */

/* RFC 2047 encoded-words */

/* the UTF-8 text s[0..n) as "B" words, each after a blank or a fold */
static void
put_words(FILE *fp, const unsigned char *s, size_t n, size_t *col)
{
	char b64[WORD_MAX];
	size_t take, len, room;

	while (n > 0) {
		/*
		 * 12 = "=?UTF-8?B?" and "?="; 45 bytes are 60 characters.  A
		 * word fills what is left of the line, else starts a new one.
		 */
		room =
		    *col + 1 + 12 < WORD_LINE ? WORD_LINE - *col - 1 - 12 : 0;
		if (room / 4 * 3 >= 6) {
			fputc(' ', fp);
			(*col)++;
		} else {
			fputs("\n ", fp);
			*col = 1;
			room = WORD_LINE - 1 - 1 - 12;
		}
		take = room / 4 * 3;
		take = n < take ? n : take < 45 ? take : 45;
		while (take < n && take > 1 && (s[take] & 0xC0) == 0x80)
			take--; /* never split a character */
		base64_encode(s, take, b64, sizeof(b64));
		len = 12 + strlen(b64);
		fprintf(fp, "=?UTF-8?B?%s?=", b64);
		*col += len;
		s += take;
		n -= take;
	}
}

static int
has_8bit(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

/* plain text s[0..n), folded where it has blanks */
static void
put_text(FILE *fp, const char *s, size_t n, size_t *col)
{
	size_t w;

	while (n > 0) {
		while (n > 0 && (*s == ' ' || *s == '\t'))
			s++, n--;
		for (w = 0; w < n && s[w] != ' ' && s[w] != '\t'; w++)
			;
		if (w == 0)
			break;
		if (*col + 1 + w > 78 && *col > 1) {
			fputs("\n ", fp);
			*col = 1;
		} else {
			fputc(' ', fp);
			(*col)++;
		}
		fwrite(s, 1, w, fp);
		*col += w;
		s += w;
		n -= w;
	}
}

/* one element of an address list: its display name encoded */
static void
put_mailbox(FILE *fp, const char *s, size_t n, size_t *col)
{
	const char *lt = memchr(s, '<', n);
	const char *p = s, *e;
	char name[1024];
	size_t k = 0;

	if (lt == NULL || !has_8bit(s, (size_t)(lt - s))) {
		put_text(fp, s, n, col);
		return;
	}
	/* the phrase before "<", unquoted */
	for (e = lt; p < e && (*p == ' ' || *p == '\t'); p++)
		;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	for (; p < e && k < sizeof(name) - 1; p++) {
		if (*p == '"')
			continue;
		if (*p == '\\' && p + 1 < e)
			p++;
		name[k++] = *p;
	}
	put_words(fp, (const unsigned char *)name, k, col);
	put_text(fp, lt, n - (size_t)(lt - s), col);
}

/* the address list s[0..n), split at top-level commas */
static void
put_addrlist(FILE *fp, const char *s, size_t n, size_t *col)
{
	size_t i, start = 0;
	int quote = 0, angle = 0, depth = 0;

	for (i = 0; i <= n; i++) {
		char ch = i < n ? s[i] : ',';
		if (quote) {
			if (ch == '\\' && i + 1 < n)
				i++;
			else if (ch == '"')
				quote = 0;
		} else if (ch == '"')
			quote = 1;
		else if (ch == '(')
			depth++;
		else if (ch == ')' && depth > 0)
			depth--;
		else if (ch == '<')
			angle = 1;
		else if (ch == '>')
			angle = 0;
		else if (ch == ',' && !angle && depth == 0) {
			put_mailbox(fp, s + start, i - start, col);
			if (i < n) {
				fputc(',', fp);
				(*col)++;
			}
			start = i + 1;
		}
	}
}

char *
hdrenc_field(const char *field, size_t len, size_t *outlen)
{
	static const char *addrs[] = {"from", "to", "cc", "reply-to", "sender"};
	const char *colon = memchr(field, ':', len);
	char *value, *out = NULL;
	size_t i, n = 0, namelen, col;
	int is_addr = 0, bad;
	FILE *fp;

	if (colon == NULL || !has_8bit(field, len))
		return NULL;
	namelen = (size_t)(colon - field);
	for (i = 0; i < nitems(addrs); i++)
		if (strlen(addrs[i]) == namelen &&
		    strncasecmp(field, addrs[i], namelen) == 0)
			is_addr = 1;
	if (!is_addr &&
	    !(namelen == 7 && strncasecmp(field, "subject", 7) == 0))
		return NULL;
	/* the value unfolded, without its line ends */
	value = xmalloc(len + 1);
	for (i = namelen + 1; i < len; i++)
		if (field[i] != '\n' && field[i] != '\r')
			value[n++] = field[i];
	value[n] = '\0';
	if ((fp = open_memstream(&out, outlen)) == NULL) {
		free(value);
		return NULL;
	}
	fwrite(field, 1, namelen + 1, fp);
	col = namelen + 1;
	if (is_addr)
		put_addrlist(fp, value, n, &col);
	else {
		for (i = 0; i < n && (value[i] == ' ' || value[i] == '\t'); i++)
			;
		while (n > i && (value[n - 1] == ' ' || value[n - 1] == '\t'))
			n--;
		put_words(fp, (const unsigned char *)value + i, n - i, &col);
	}
	fputc('\n', fp);
	bad = ferror(fp);
	free(value);
	if (fclose(fp) != 0 || bad) {
		free(out);
		return NULL;
	}
	return out;
}

void
hdrenc_put_field(FILE *fp, const char *name, const char *value)
{
	char *field, *enc;
	size_t len, enclen;

	len = strlen(name) + strlen(value) + 3;
	field = xmalloc(len + 1);
	snprintf(field, len + 1, "%s:%s%s\n", name, *value ? " " : "", value);
	len = strlen(field);
	if ((enc = hdrenc_field(field, len, &enclen)) != NULL) {
		fwrite(enc, 1, enclen, fp);
		free(enc);
	} else
		fwrite(field, 1, len, fp);
	free(field);
}
