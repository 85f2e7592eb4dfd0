/*
 * sessproc.c - a session process: the session a connection gets (SMTP
 * or POP3, by its listener's service), in a session child of the
 * master or in inetd mode; and a session child's life, from the
 * connection it was forked for to the next ones the master sends it
 * (session_reuse_count, authgate.h) until it exits.
 */
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "util.h"

#include "authgate.h"
#include "pop3/pop3.h"
#include "pop3/session.h"
#include "sessproc.h"
#include "shutdown.h"
#include "smtp/session.h"
#include "smtp/smtp.h"
#include "smtpd.h"

int
sessproc_client_address(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, buf, (socklen_t)size, NULL,
			0, NI_NUMERICHOST) != 0) {
		strlcpy(buf, "local", size);
		return -1;
	}
	return 0;
}

void
sessproc_run(struct smtpd *d, enum service svc, int rfd, int wfd,
	     const char *ip)
{
	shutdown_session_signals(wfd, service_role(svc) == SVC_POP3
					  ? POP3_STOPPING_REPLY
					  : SMTP_STOPPING_REPLY);
	net_nodelay(wfd);
	fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL) | O_NONBLOCK);
	if (wfd != rfd)
		fcntl(wfd, F_SETFL, fcntl(wfd, F_GETFL) | O_NONBLOCK);
	if (service_role(svc) == SVC_POP3)
		pop3_session_run(d, svc, rfd, wfd, ip);
	else
		smtp_session_run(d, svc, rfd, wfd, ip);
}

void
sessproc_child(struct smtpd *d, enum service svc, int fd, char *ip,
	       size_t ipsize)
{
	int uses = 0, what;

	for (;;) {
		sessproc_run(d, svc, fd, fd, ip);
		shutdown_bye_off();
		close(fd);
		uses++;
		if (service_role(svc) == SVC_POP3 || shutdown_asked() ||
		    uses >= d->conf.session_reuse_count)
			_exit(0);
		/* logged before the master can know it (tests wait for it) */
		log_debug("session child: waiting for the next connection "
			  "(%d of %d served)",
			  uses, d->conf.session_reuse_count);
		/* one gone before it could be asked its address (it would be
		 * taken for a local one) is closed: the next */
		while ((fd = authgate_next(&what, shutdown_stop_fd())) >= 0 &&
		       sessproc_client_address(fd, ip, ipsize) < 0)
			close(fd);
		if (fd < 0)
			_exit(0);
		svc = (enum service)what;
		passwd_refresh(&d->accounts);
		aliases_refresh(&d->aliases);
	}
}
