/*
 * notify.c - see notify.h.  One connected datagram socket, opened at
 * start; each state change is one datagram (send(2), MSG_NOSIGNAL and
 * MSG_DONTWAIT: systemd's reading end never makes the master wait or
 * die).  A send that fails is logged once and otherwise ignored: mail
 * goes on being served whether systemd hears of it or not.  The
 * STATUS= text is built here from the listeners' local addresses, the
 * session count the master passes in, and the entries of queue/env/
 * (one per queued message, store/queue.h); it does not read the
 * messages.  It relies on sd_notify(3)'s protocol only: no libsystemd.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "util.h"

#include "notify.h"

#define STATUS_MIN_MS 1000	/* at most one STATUS= a second */
#define STATUS_REFRESH_MS 30000 /* the queue count, when nothing happens */

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_addrlen;
static const struct smtpd *notify_smtpd;
static char listening[1024];
static int64_t status_sent_ms;
static int status_sessions = -1;
static int send_failed;

void
notify_init(const struct smtpd *d)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	notify_smtpd = d;
	if (path == NULL)
		return;
	len = strlen(path);
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	if ((path[0] != '/' && path[0] != '@') || len < 2 ||
	    len >= sizeof(notify_addr.sun_path)) {
		log_warnx("NOTIFY_SOCKET=%s: not an AF_UNIX path or @name, "
			  "ignored",
			  path);
		unsetenv("NOTIFY_SOCKET");
		return;
	}
	memcpy(notify_addr.sun_path, path, len);
	/* an abstract name: a NUL first, and the length says where it ends */
	if (path[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				     len + (path[0] == '/' ? 1 : 0));
	unsetenv("NOTIFY_SOCKET");
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0) {
		log_warn("notify socket");
		return;
	}
	/* as root still: the run user may not be allowed to reach it */
	if (connect(notify_fd, (struct sockaddr *)&notify_addr,
		    notify_addrlen) < 0)
		log_warn("connect to NOTIFY_SOCKET %s", path);
}

void
notify_child(void)
{
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
}

/* one datagram: NAME=VALUE lines */
static void
notify_send(const char *msg)
{
	ssize_t n;

	if (notify_fd < 0)
		return;
	n = send(notify_fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
	/* not connected at start, or systemd's socket made anew since */
	if (n < 0 && (errno == ENOTCONN || errno == ECONNREFUSED ||
		      errno == EDESTADDRREQ))
		n = sendto(notify_fd, msg, strlen(msg),
			   MSG_NOSIGNAL | MSG_DONTWAIT,
			   (struct sockaddr *)&notify_addr, notify_addrlen);
	if (n < 0 && !send_failed) {
		send_failed = 1;
		log_warn("NOTIFY_SOCKET: send");
	} else if (n >= 0)
		send_failed = 0;
}

void
notify_listener(int fd, enum service svc)
{
	char addr[128], item[160];

	if (notify_fd < 0)
		return;
	net_local_text(fd, addr, sizeof(addr));
	if (xsnprintf(item, sizeof(item), "%s%s %s",
		      listening[0] ? ", " : "listening on ", service_name(svc),
		      addr) < 0 ||
	    strlcat(listening, item, sizeof(listening)) >= sizeof(listening))
		log_warnx("NOTIFY_SOCKET: too many listeners for STATUS=");
}

/* the messages in queue/env/, -1 when it cannot be read */
static int
queued_count(void)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *dir;
	int n = 0;

	if (xsnprintf(path, sizeof(path), "%s/env", notify_smtpd->conf.queue) <
		0 ||
	    (dir = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/* "STATUS=listening on ...; N sessions, M queued" after head */
static void
status_line(const char *head, int nsessions, char *buf, size_t size)
{
	char queued[32] = "queue unreadable";
	int q = queued_count();

	if (q >= 0)
		(void)xsnprintf(queued, sizeof(queued), "%d queued", q);
	if (xsnprintf(buf, size, "%sSTATUS=%s; %d session%s, %s\n", head,
		      listening, nsessions, nsessions == 1 ? "" : "s",
		      queued) < 0)
		(void)xsnprintf(buf, size, "%sSTATUS=%d sessions\n", head,
				nsessions);
	status_sent_ms = now_ms();
	status_sessions = nsessions;
}

void
notify_ready(int nsessions)
{
	char msg[sizeof(listening) + 128];

	if (notify_fd < 0)
		return;
	status_line("READY=1\n", nsessions, msg, sizeof(msg));
	notify_send(msg);
}

void
notify_reloading(void)
{
	char msg[PATH_MAX + 128];

	if (notify_fd < 0)
		return;
	/* systemd (Type=notify-reload, v253) wants the time of the signal */
	if (xsnprintf(msg, sizeof(msg),
		      "RELOADING=1\nMONOTONIC_USEC=%lld\nSTATUS=reloading %s\n",
		      (long long)now_us(), notify_smtpd->conf.path) < 0)
		(void)xsnprintf(msg, sizeof(msg),
				"RELOADING=1\nMONOTONIC_USEC=%lld\n",
				(long long)now_us());
	notify_send(msg);
}

void
notify_stopping(int nsessions)
{
	char msg[128];

	if (notify_fd < 0)
		return;
	(void)xsnprintf(msg, sizeof(msg),
			"STOPPING=1\nSTATUS=stopping, %d session%s to finish\n",
			nsessions, nsessions == 1 ? "" : "s");
	notify_send(msg);
}

/* ms until the next STATUS= is due, or -1 when none is */
static int64_t
status_due_in(int nsessions)
{
	int64_t wait =
	    nsessions != status_sessions ? STATUS_MIN_MS : STATUS_REFRESH_MS;
	int64_t left = status_sent_ms + wait - now_ms();

	return left > 0 ? left : 0;
}

void
notify_status(int nsessions)
{
	char msg[sizeof(listening) + 128];

	if (notify_fd < 0 || status_sessions < 0 ||
	    status_due_in(nsessions) > 0)
		return;
	status_line("", nsessions, msg, sizeof(msg));
	notify_send(msg);
}

int
notify_poll_timeout(int timeout, int nsessions)
{
	int64_t due;

	if (notify_fd < 0 || status_sessions < 0)
		return timeout;
	due = status_due_in(nsessions);
	return timeout < 0 || due < timeout ? (int)due : timeout;
}
