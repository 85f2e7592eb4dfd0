/*
 * setup.c - see setup.h.  Runs in the master before it serves anyone,
 * and in inetd mode before the one session.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store/queue.h"
#include "setup.h"
#include "util.h"

void
setup_hash_password(void)
{
	char pw[1024], salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	const char *h;

	if (fgets(pw, sizeof(pw), stdin) == NULL) {
		fprintf(stderr, "smtpd: -H: no password on standard input\n");
		exit(EX_USAGE);
	}
	pw[strcspn(pw, "\r\n")] = '\0';
	if (pw[0] == '\0') {
		fprintf(stderr, "smtpd: -H: the password is empty\n");
		exit(EX_USAGE);
	}
	if (crypt_gensalt_rn("$6$", 0, NULL, 0, salt, sizeof(salt)) == NULL ||
	    (h = crypt_r(pw, salt, cd)) == NULL || h[0] == '*') {
		wipe(pw, sizeof(pw));
		fatal("crypt");
	}
	printf("%s\n", h);
	wipe(pw, sizeof(pw));
	wipe(cd, sizeof(*cd));
	free(cd);
	exit(0);
}

/* the directory part of the mailbox template before the first % */
static void
mailbox_root(const struct smtpd *d, char *buf, size_t size)
{
	char *pct, *slash;

	strlcpy(buf, d->conf.mailbox, size);
	if ((pct = strchr(buf, '%')) != NULL)
		*pct = '\0';
	if ((slash = strrchr(buf, '/')) != NULL)
		slash[slash == buf ? 1 : 0] = '\0';
}

static void
chown_tree_top(const char *path, uid_t uid, gid_t gid)
{
	char sub[PATH_MAX];
	const char *subs[] = {"", "/tmp", "/data", "/env", "/wake"};
	size_t i;

	for (i = 0; i < nitems(subs); i++)
		if (xsnprintf(sub, sizeof(sub), "%s%s", path, subs[i]) >= 0)
			(void)!chown(sub, uid, gid);
}

/* create the queue and the mail root; drop root for the `user` */
void
setup_privileges(const struct smtpd *d)
{
	struct passwd *pw = NULL;
	char root[PATH_MAX];

	if (geteuid() == 0) {
		if (d->conf.user[0] == '\0') {
			log_warnx("%s: started as root without a 'user' "
				  "directive: refusing to run as root",
				  d->conf.path);
			exit(EX_CONFIG);
		}
		if ((pw = getpwnam(d->conf.user)) == NULL) {
			log_warnx("%s: user: no such user '%s'", d->conf.path,
				  d->conf.user);
			exit(EX_CONFIG);
		}
	}
	if (queue_init(d->conf.queue) < 0)
		fatal("queue %s", d->conf.queue);
	mailbox_root(d, root, sizeof(root));
	if (root[0] && mkdir_p(root, 0755) < 0)
		fatal("mailbox root %s", root);
	if (pw == NULL)
		return;
	chown_tree_top(d->conf.queue, pw->pw_uid, pw->pw_gid);
	if (root[0])
		(void)!chown(root, pw->pw_uid, pw->pw_gid);
	if (setgroups(1, &pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		fatal("drop privileges to %s", d->conf.user);
	if (setuid(0) == 0)
		fatalx("could not drop root privileges");
}

int
setup_listen_bind(const struct listen_conf *l)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, on = 1, r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((r = getaddrinfo(l->host, l->port, &hints, &res)) != 0)
		fatalx("listen %s %s:%s: %s", service_name(l->svc), l->host,
		       l->port, gai_strerror(r));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
					       SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 128) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		fatal("listen %s %s:%s", service_name(l->svc), l->host,
		      l->port);
	return fd;
}

/* systemd socket activation: LISTEN_FDS named by LISTEN_FDNAMES */
int
setup_systemd_listeners(struct listener *listeners, int *nlisteners)
{
	const char *pid = getenv("LISTEN_PID"), *nfds = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	char buf[1024], *name, *save = NULL;
	int n, i;

	if (pid == NULL || nfds == NULL || atol(pid) != (long)getpid())
		return 0;
	n = atoi(nfds);
	if (n <= 0 || n > CONF_LISTEN_MAX)
		fatalx("LISTEN_FDS=%s: bad value", nfds);
	strlcpy(buf, names ? names : "", sizeof(buf));
	name = strtok_r(buf, ":", &save);
	for (i = 0; i < n; i++) {
		enum service svc;
		if (name == NULL || service_parse(name, &svc) < 0)
			fatalx("LISTEN_FDNAMES: descriptor %d: want smtp, "
			       "submission or pop3",
			       3 + i);
		listeners[*nlisteners].fd = 3 + i;
		listeners[(*nlisteners)++].svc = svc;
		fcntl(3 + i, F_SETFD, FD_CLOEXEC);
		fcntl(3 + i, F_SETFL, fcntl(3 + i, F_GETFL) | O_NONBLOCK);
		name = strtok_r(NULL, ":", &save);
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return 1;
}
