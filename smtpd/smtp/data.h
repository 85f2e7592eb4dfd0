/*
 * data.h - the message after DATA's 354: received into a spool file,
 * then handed to store/deliver.
 */
#ifndef SMTP_DATA_H
#define SMTP_DATA_H

#include <sys/types.h>

#include "msghdr.h"
#include "smtp/smtp.h"

enum data_result { DATA_OK, DATA_TOO_BIG, DATA_IO_ERROR, DATA_LOST };

/* a message from DATA to its answer (data.c) */
struct incoming;

/*
 * After the 354: where the message will be written (store/spool.h),
 * made for the session's envelope as it stands.  Never NULL; a spool
 * that cannot be made shows as DATA_IO_ERROR from data_receive().
 */
struct incoming *data_begin(struct smtp_session *s);
/*
 * Read the text up to <CRLF>.<CRLF> into the spool, and what its header
 * block holds into *hdr (msghdr.h).  A header block that ends on a line
 * that is not empty gets the empty line (RFC 5322 §2.1) before that
 * line, as Postfix's cleanup adds it; so does a message with no header
 * at all.
 */
enum data_result data_receive(struct smtp_session *s, struct incoming *in,
			      struct msghdr *hdr);
/*
 * The checks of the end of DATA, on hdr: more than max_hops Received:
 * is 554 5.4.0, a Delivered-To: naming a recipient's delivered_to is
 * 554 5.4.6 (a loop).  Then every recipient gets the spooled message, or
 * none does (deliver()), with Date: and Message-ID: added when an
 * authenticated client's message lacks them (RFC 6409 §8); answered 250
 * or 451, the answer sent before a stop signal may act.
 */
void data_deliver(struct smtp_session *s, struct incoming *in,
		  const struct msghdr *hdr);
/* close the spool; remove what was written and not delivered */
void data_end(struct incoming *in);

#endif
