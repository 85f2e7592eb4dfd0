/*
 * net.h - a TCP connection to host:port within a time limit, for every
 * client here: the SMTP client (smtpc: the relay, the recipient probe,
 * mailc's sending) and mailc's POP3 client.
 *
 * The name is looked up with getaddrinfo(3) and each address it gives is
 * tried in turn, each connect non-blocking and bounded by poll(2).  It
 * speaks no protocol: not a byte is read or written on the socket.
 * Also: a socket address as text, for the master's listeners.
 */
#ifndef NET_H
#define NET_H

#include <stddef.h>

/*
 * Connect to host, port (a number or a service name), giving each
 * address at most timeout_sec seconds.  The connected socket (left
 * non-blocking, close-on-exec), or -1 with why in err (errsize bytes):
 * "HOST: <getaddrinfo's message>" when the name does not resolve, else
 * "connect to HOST port PORT: <strerror of the last address's error>".
 */
int net_connect(const char *host, const char *port, int timeout_sec, char *err,
		size_t errsize);

/*
 * No Nagle on fd (best effort: not a TCP socket is fine).  lineio sends
 * only a full buffer, or what must go before a reply is awaited, so
 * Nagle never saves a segment on our connections; its only effect was
 * to hold the last piece of anything longer than the buffer (a DATA
 * body, a RETR) until the peer's delayed ACK: 40 ms.  Postfix's smtp
 * client turns it off too when its buffer is under the MSS, as lineio's
 * 16 KiB is on loopback.
 */
void net_nodelay(int fd);

struct sockaddr;
/*
 * sa (len bytes) as numeric text: "192.0.2.1:25", "[::]:25" (an
 * IPv4-mapped IPv6 address as IPv4); "?" for what getnameinfo(3)
 * cannot show.  net_local_text() does it for fd's local address
 * (getsockname(2)).
 */
void net_addr_text(const struct sockaddr *sa, unsigned len, char *buf,
		   size_t size);
void net_local_text(int fd, char *buf, size_t size);

#endif
