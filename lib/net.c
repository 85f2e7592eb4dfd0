/*
 * net.c - see net.h.  connect(2) on a non-blocking socket returns
 * EINPROGRESS; poll(2) for writability then bounds the wait, and
 * SO_ERROR tells how the attempt ended.  It does not retry an address,
 * keep a connection open for anyone or decide what a failure means
 * (the callers' retry rules and exit statuses do).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "util.h"

/* connect fd to sa within ms milliseconds; 0, or -1 with errno */
static int
connect_timeout(int fd, const struct sockaddr *sa, socklen_t len, int ms)
{
	struct pollfd pfd;
	int err = 0, n;
	socklen_t elen = sizeof(err);

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	do
		n = poll(&pfd, 1, ms);
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		return -1;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

int
net_connect(const char *host, const char *port, int timeout_sec, char *err,
	    size_t errsize)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, r, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errsize, "%s: %s", host, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		if (connect_timeout(fd, ai->ai_addr, ai->ai_addrlen,
				    timeout_sec * 1000) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errsize, "connect to %s port %s: %s", host, port,
			 strerror(saved));
		return -1;
	}
	return fd;
}

void
net_addr_text(const struct sockaddr *sa, unsigned len, char *buf, size_t size)
{
	char host[NI_MAXHOST], port[NI_MAXSERV];
	const char *h = host;

	if (getnameinfo(sa, (socklen_t)len, host, sizeof(host), port,
			sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		strlcpy(buf, "?", size);
		return;
	}
	if (strncmp(h, "::ffff:", 7) == 0 && strchr(h + 7, ':') == NULL)
		h += 7;
	if (xsnprintf(buf, size, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h,
		      port) < 0)
		strlcpy(buf, "?", size);
}

void
net_local_text(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		strlcpy(buf, "?", size);
		return;
	}
	net_addr_text((struct sockaddr *)&ss, len, buf, size);
}

void
net_nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}
