/*
 * data.h - the message after DATA's 354: received into a spool file,
 * then handed to store/deliver.
 */
#ifndef SMTP_DATA_H
#define SMTP_DATA_H

#include <sys/types.h>

#include "smtp/smtp.h"

enum data_result { DATA_OK, DATA_TOO_BIG, DATA_IO_ERROR, DATA_LOST };

/* read the text up to <CRLF>.<CRLF>; the spool and its size on DATA_OK */
enum data_result data_receive(struct smtp_session *s, int *spoolfd,
			      off_t *size);
/* every recipient gets the spooled message, or none does (deliver());
 * answered 250 or 451, the answer sent before a stop signal may act */
void data_deliver(struct smtp_session *s, int spoolfd, off_t size);

#endif
