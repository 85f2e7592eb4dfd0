/*
 * dot.h - the SMTP/POP3 dot conventions in one small place (RFC 5321
 * §4.5.2, RFC 1939 §3), and the end-of-DATA rule that defeats SMTP
 * smuggling (CVE-2023-51764/51765/51766).
 *
 * In: lines read by lio_read_line during DATA.  Only <CR><LF>.<CR><LF>
 * ends the data: the "." line must end in CRLF and so must the line before
 * it (the DATA command counts).  A leading dot is removed from every other
 * line except a lone "." (which can only be content here).  CRLF becomes
 * LF, a bare LF stays LF (Postfix's normalize), a bare CR is content.
 *
 * Out: stored text with LF line ends is sent with CRLF and every line
 * that starts with a dot gets one more, so no stored line can end DATA
 * or a POP3 multi-line response.
 */
#ifndef DOT_H
#define DOT_H

#include <stddef.h>

struct lineio;

struct dot_in {
	int bol;       /* the next chunk starts a line */
	int prev_crlf; /* the previous line ended in CRLF */
};

void dot_in_init(struct dot_in *d);
/*
 * Feed one chunk (complete: it ends in LF).  Returns 1 at the end of
 * data; otherwise 0 and the bytes to store in [*out, *out + *outlen),
 * which point into chunk (it is edited in place).
 */
int dot_in_chunk(struct dot_in *d, char *chunk, size_t len, int complete,
		 char **out, size_t *outlen);

struct dot_out {
	int bol;
};

void dot_out_init(struct dot_out *d);
void dot_out_write(struct dot_out *d, struct lineio *lio, const char *p,
		   size_t n);
/* end the body: a CRLF if the text did not end in one, then ".\r\n" */
void dot_out_end(struct dot_out *d, struct lineio *lio);

#endif
