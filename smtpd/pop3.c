/* pop3.c - placeholder until the POP3 service lands (being written). */
#include "lineio.h"
#include "pop3.h"

void
pop3_session_run(struct smtpd *d, int rfd, int wfd, const char *client_ip)
{
	struct lineio lio;

	(void)d;
	(void)client_ip;
	lio_init(&lio, rfd, wfd, 10);
	lio_puts(&lio, "-ERR [SYS/PERM] POP3 not available\r\n");
	lio_flush(&lio);
}
