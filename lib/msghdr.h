/*
 * msghdr.h - a streaming scanner of a message's header block (RFC 5322
 * §2.2), fed line by line, or a line in pieces, as it arrives: where the
 * header block ends, how many Received: fields it has (hop count, RFC
 * 5321 §6.3), the addresses of its Delivered-To: fields (loop detection,
 * as Postfix's local delivery agent does it), and whether it has Date:
 * and Message-ID: (RFC 6409 §8.2, §8.3).  Pure: no I/O but
 * msghdr_scan_fd(), no allocation, bounded memory.
 *
 * The header block ends at the first empty line (the separator) or at
 * the first line that is neither a header field ("name:" with a name of
 * printable US-ASCII but ':', blanks allowed before the colon as RFC 5322
 * §4.5 obs-syntax, the two together up to MSGHDR_NAME_MAX octets) nor a
 * continuation (a line starting with a blank, after a field).  A line is
 * judged on its first piece, as Postfix's cleanup judges the first
 * record of a long line: a field name must end within it.  Fed as
 * smtp/data.c feeds it (whole lines, or pieces of DATA_CHUNK octets, far
 * more than MSGHDR_NAME_MAX), that never cuts a name short.
 *
 * It relies on the stored form of a message: lines end in LF only.
 */
#ifndef MSGHDR_H
#define MSGHDR_H

#include <stddef.h>

#include "addr.h"

/* the longest field name: a header line is at most 998 octets (RFC 5322
 * §2.1.1), its colon included */
#define MSGHDR_NAME_MAX 997
/* Delivered-To: addresses kept; a message with more is a loop anyway */
#define MSGHDR_DELIVERED_MAX 32

/* what one piece fed was */
enum msghdr_kind {
	MSGHDR_FIELD,	  /* a header field, a continuation, or more of one */
	MSGHDR_SEPARATOR, /* the empty line that ends the header block */
	MSGHDR_NOSEP,	  /* the first line of the body, with no empty line
			     before it: a separator belongs before this piece */
	MSGHDR_BODY	  /* after the header block */
};

struct msghdr {
	int ended;     /* the header block has ended */
	int separator; /* ... at an empty line (not at a body line) */
	int bol;       /* the next piece starts a line */
	int field;     /* the field the current line is part of (enum in .c) */
	int had_field; /* a field came: a line starting blank continues it */
	unsigned long received; /* Received: fields */
	int date, message_id;	/* Date: / Message-ID: present */
	int ndelivered;		/* Delivered-To: fields, kept or not */
	char delivered[MSGHDR_DELIVERED_MAX][ADDR_MAX];
	/* the value of the Delivered-To: being read (unfolded), bounded */
	char value[ADDR_MAX];
	size_t vlen;
	int vlong; /* longer than value[]: kept as no address */
};

void msghdr_init(struct msghdr *h);
/*
 * Feed the next piece: a whole line (complete, ending in LF), or a piece
 * of one (complete 0, more of that line follows).  Says what it was.
 */
enum msghdr_kind msghdr_feed(struct msghdr *h, const char *p, size_t n,
			     int complete);
/*
 * Call at the end of the message: finishes the field being read (a
 * Delivered-To: on the last line of a message that is all header).
 */
void msghdr_end(struct msghdr *h);
/*
 * Scan the header block of the stored message in fd (from offset 0,
 * with pread: fd's offset is left alone), as msghdr_feed would be fed
 * it, and end it.  -1 on a read error (errno set).
 */
int msghdr_scan_fd(struct msghdr *h, int fd);
/* 1 if addr is among the Delivered-To: addresses (case-insensitive) */
int msghdr_delivered_to(const struct msghdr *h, const char *addr);

#endif
