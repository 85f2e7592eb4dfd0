/*
 * message.h - the message mailc sends, composed in an unlinked temporary
 * file: the input's own header block (Bcc removed; non-ASCII text in
 * Subject, From, To and Cc RFC 2047-encoded by hdrenc.c), the headers mailc
 * adds when they are missing (From, To, Cc, Subject, Date, Message-ID),
 * and the body, all with LF line ends (smtpc turns them into CRLF and
 * dot-stuffs on the way out; mime.c adds MIME there).  With -t it
 * collects the To/Cc/Bcc addresses (address lists: addrlist.h).
 */
#ifndef MESSAGE_H
#define MESSAGE_H

#include <stddef.h>
#include <stdio.h>

#include "addrlist.h"

#define MSG_SIZE_MAX (64LL * 1024 * 1024) /* input refused beyond this */
#define MSG_LINE_MAX 4096		  /* chunk size fed to msg_feed */
#define MSG_FIELD_MAX (1024 * 1024)	  /* one To/Cc/Bcc field, unfolded */
#define MSG_SUBJECT_MAX 900		  /* keeps the line under 998 octets */

/* what mailc writes into headers the input lacks */
struct msg_gen {
	const char *from;	    /* From: */
	const char *subject;	    /* Subject:, NULL for none */
	const struct msg_addrs *to; /* To: when the input has none */
	const struct msg_addrs *cc; /* Cc:, or added to the input's Cc */
};

#define MSG_EXTRACT 0x01  /* -t: collect To/Cc/Bcc addresses */
#define MSG_BODYONLY 0x02 /* the input is all body (interactive mode) */

struct msg {
	FILE *spool; /* the unlinked temporary file */
	int flags;
	int state;     /* in the header block, or in the body */
	int bol;       /* the next chunk starts a line */
	int field;     /* the kind of header field in progress */
	unsigned seen; /* which headers the input has */
	int nfields;   /* header fields read so far */
	char *fbuf;    /* a To/Cc/Bcc field in progress */
	size_t flen, fcap;
	long long insize;      /* input bytes accepted */
	long long size, lines; /* what is in the spool */
	const struct msg_gen *gen;
	struct msg_addrs rcpts; /* with MSG_EXTRACT: To, Cc and Bcc */
	long long hdr_len;	/* header bytes at the spool's start */
	long long body_off;	/* where the body starts (after the empty line) */
	int eightbit;		/* the body has bytes beyond US-ASCII */
	int has_mime;		/* the input has MIME headers of its own */
	/* set by mime_finish(): where "8bit" and the 8-bit text part are */
	long long cte_off, text_off, text_len;
	/* where the message begins in the spool: 0, or past the envelope
	 * of an outbox entry (outbox.c) */
	long long start;
};

/* an unlinked temporary file in $TMPDIR, "w+"; NULL after a message */
FILE *msg_tmpfile(void);
/* 0, or an exit status after a message */
int msg_open(struct msg *m, const struct msg_gen *gen, int flags);
/*
 * Feed the input: one line or part of a line (at most MSG_LINE_MAX
 * bytes), complete when it ends in LF.  CRLF becomes LF.  0, or an exit
 * status after a message (EX_DATAERR for too big or a bad address).
 */
int msg_feed(struct msg *m, char *chunk, size_t len);
/* end the input; the spool is rewound for sending.  0 or exit status */
int msg_close(struct msg *m);
int msg_fd(const struct msg *m);
/* SIZE= estimate (RFC 1870): octets with CRLF line ends */
long long msg_wire_size(const struct msg *m);
void msg_free(struct msg *m);

/*
 * The headers to add for a message whose input has the headers in seen
 * (0: none), in a malloc'd buffer, LF line ends.  NULL on failure.
 */
char *msg_headers(const struct msg_gen *g, unsigned seen, size_t *len);

#endif
