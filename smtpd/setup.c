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

#include "conf_lookup.h"
#include "log.h"
#include "tlsio.h"
#include "util.h"

#include "activate.h"
#include "setup.h"

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

/*
 * What start-up hands to the run user when started as root: the queue,
 * its tmp/ data/ env/ hold/ and wake FIFO, and the mailbox root.  Each sits
 * in a directory the run user can write, so the run user may have
 * replaced any of them by a link to a file of root's, to have root
 * chown it at the next start.  So, as root, nothing is ever reached
 * through a link the run user could have made: paths are walked from /
 * one name at a time with O_NOFOLLOW, each of those paths is created if
 * missing, checked with fstatat(AT_SYMLINK_NOFOLLOW) (what we created
 * too: it may have been replaced since), opened with O_NOFOLLOW,
 * matched to that check by device and inode, and chowned through the
 * descriptor.  Anything else, named, stops the start (as OpenSMTPD
 * checks its queue).  Not root, nothing is chowned and links are the
 * user's own: only the kinds are checked.
 */
static const char *
file_kind(mode_t mode)
{
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	return "a device";
}

static void
check_owned(const struct stat *st, mode_t want, const char *path,
	    const struct passwd *pw)
{
	const char *what = want == S_IFDIR ? "a directory" : "a FIFO";

	if ((st->st_mode & S_IFMT) != want)
		fatalx("%s: %s, not %s%s%s: refusing to start", path,
		       file_kind(st->st_mode), what, pw ? " owned by " : "",
		       pw ? pw->pw_name : "");
	/* a second name: a hard link to someone else's FIFO */
	if (want != S_IFDIR && st->st_nlink != 1)
		fatalx("%s: a FIFO with %ld names: refusing to start", path,
		       (long)st->st_nlink);
	if (pw != NULL && st->st_uid != 0 && st->st_uid != pw->pw_uid)
		fatalx("%s: owned by uid %ld, not by %s: refusing to start",
		       path, (long)st->st_uid, pw->pw_name);
}

/*
 * name under at (path, for messages) must be a directory or a FIFO
 * (want), created with mode if missing; as root (pw) it is handed to
 * pw and its open descriptor returned, else AT_FDCWD
 */
static int
setup_own(int at, const char *name, const char *path, mode_t want,
	  mode_t mode, const struct passwd *pw)
{
	int flags = pw ? AT_SYMLINK_NOFOLLOW : 0, fd;
	struct stat st, fst;

	if (fstatat(at, name, &st, flags) < 0) {
		if (errno != ENOENT)
			fatal("%s", path);
		if ((want == S_IFDIR ? mkdirat(at, name, mode)
				     : mkfifoat(at, name, mode)) < 0 &&
		    errno != EEXIST)
			fatal("create %s", path);
		if (fstatat(at, name, &st, flags) < 0)
			fatal("%s", path);
	}
	check_owned(&st, want, path, pw);
	if (pw == NULL)
		return AT_FDCWD;
	/* O_NONBLOCK: a FIFO opens at once, writer or not */
	fd = openat(at, name,
		    O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
			(want == S_IFDIR ? O_DIRECTORY : O_NONBLOCK));
	if (fd < 0 || fstat(fd, &fst) < 0)
		fatal("%s", path);
	if (fst.st_dev != st.st_dev || fst.st_ino != st.st_ino)
		fatalx("%s: replaced while being checked: refusing to start",
		       path);
	if ((fst.st_uid != pw->pw_uid || fst.st_gid != pw->pw_gid) &&
	    fchown(fd, pw->pw_uid, pw->pw_gid) < 0)
		fatal("chown %s", path);
	return fd;
}

/*
 * As root: one directory on the way to path, under at, created 0755 if
 * missing (as mkdir -p).  A link is followed only if root made it (it
 * is root's, with one name) in a directory only root can change (root's,
 * not writable by others, or sticky): /var/mail -> spool/mail.
 */
static int
walk_step(int at, const char *name, const char *path)
{
	int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW, fd;
	struct stat st, dir;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT ||
		    (mkdirat(at, name, 0755) < 0 && errno != EEXIST) ||
		    fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			fatal("%s: '%s'", path, name);
	}
	if (S_ISLNK(st.st_mode)) {
		if (fstat(at, &dir) < 0)
			fatal("%s", path);
		if (st.st_uid != 0 || st.st_nlink != 1 || dir.st_uid != 0 ||
		    ((dir.st_mode & (S_IWGRP | S_IWOTH)) &&
		     !(dir.st_mode & S_ISVTX)))
			fatalx("%s: '%s' on the way is a symbolic link root "
			       "did not make: refusing to start",
			       path, name);
		flags &= ~O_NOFOLLOW;
	}
	if ((fd = openat(at, name, flags)) < 0)
		fatal("%s: '%s'", path, name);
	return fd;
}

/*
 * The directory path, created (mode) if missing, made pw's (when root)
 * as setup_own() does; as root each directory on the way is reached by
 * walk_step(), otherwise by mkdir_p().  Its descriptor, or AT_FDCWD.
 */
static int
setup_own_path(const char *path, mode_t mode, const struct passwd *pw)
{
	char buf[PATH_MAX], *slash, *name, *save = NULL;
	const char *leaf = buf;
	size_t n;
	int at, fd;

	if ((n = strlcpy(buf, path, sizeof(buf))) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		fatal("%s", path);
	}
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	if (pw != NULL && strcmp(buf, "/") == 0)
		fatalx("%s: refusing to hand / to the run user", path);
	if ((slash = strrchr(buf, '/')) != NULL) {
		*slash = '\0';
		leaf = slash + 1;
	}
	if (pw == NULL) {
		if (slash != NULL && buf[0] && mkdir_p(buf, 0755) < 0)
			fatal("%s", buf);
		return setup_own(AT_FDCWD, path, path, S_IFDIR, mode, pw);
	}
	if ((at = open(path[0] == '/' ? "/" : ".",
		       O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		fatal("%s", path);
	for (name = slash ? strtok_r(buf, "/", &save) : NULL; name != NULL;
	     name = strtok_r(NULL, "/", &save)) {
		fd = walk_step(at, name, path);
		close(at);
		at = fd;
	}
	fd = setup_own(at, leaf, path, S_IFDIR, mode, pw);
	close(at);
	return fd;
}

/* the queue (queue.h's layout) and the mailbox root, pw's when root */
static void
setup_directories(const struct smtpd *d, const struct passwd *pw)
{
	static const char *subs[] = {"tmp", "data", "env", "hold"};
	char root[PATH_MAX], sub[PATH_MAX];
	int qfd, fd;
	size_t i;

	qfd = setup_own_path(d->conf.queue, 0700, pw);
	for (i = 0; i <= nitems(subs); i++) {
		const char *name = i < nitems(subs) ? subs[i] : "wake";
		if (xsnprintf(sub, sizeof(sub), "%s/%s", d->conf.queue, name) < 0)
			fatalx("%s/%s: path too long", d->conf.queue, name);
		fd = setup_own(qfd, pw ? name : sub, sub,
			       i < nitems(subs) ? S_IFDIR : S_IFIFO,
			       i < nitems(subs) ? 0700 : 0600, pw);
		if (fd >= 0)
			close(fd);
	}
	if (qfd >= 0)
		close(qfd);
	conf_mailbox_root(&d->conf, root, sizeof(root));
	if (root[0] && (fd = setup_own_path(root, 0755, pw)) >= 0)
		close(fd);
}

/* create the queue and the mail root; drop root for the `user` */
void
setup_privileges(const struct smtpd *d)
{
	struct passwd *pw = NULL;

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
	setup_directories(d, pw);
	if (pw == NULL)
		return;
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

/* systemd socket activation: activate.c matches them to the lines */
int
setup_systemd_listeners(const struct conf *c, struct listener *listeners,
			int *nlisteners)
{
	int fd[CONF_LISTEN_MAX], i;

	if (!activate_listeners(c, fd))
		return 0;
	for (i = 0; i < c->nlisten; i++) {
		listeners[*nlisteners].fd = fd[i];
		listeners[(*nlisteners)++].svc = c->listen[i].svc;
	}
	return 1;
}

struct tlsio_ctx *
setup_tls(const struct conf *c, int *failed)
{
	struct tlsio_params p = {0};
	struct tlsio_ctx *ctx;
	char err[512];

	*failed = 0;
	if (c->tls_cert[0] == '\0')
		return NULL;
	p.cert = c->tls_cert;
	p.key = c->tls_key;
	p.ciphers = c->tls_ciphers;
	p.protocols = c->tls_protocols;
	if ((ctx = tlsio_server_ctx(&p, err, sizeof(err))) == NULL) {
		log_warnx("%s: %s", c->path, err);
		*failed = 1;
	}
	return ctx;
}

void
setup_tls_reload(struct smtpd *d, struct conf *new)
{
	struct tlsio_ctx *ctx;
	int failed;

	ctx = setup_tls(new, &failed);
	if (failed) {
		log_warnx("%s: keeping the running TLS key pair (a key the "
			  "user smtpd runs as cannot read needs a restart)",
			  d->conf.path);
		strlcpy(new->tls_cert, d->conf.tls_cert, sizeof(new->tls_cert));
		strlcpy(new->tls_key, d->conf.tls_key, sizeof(new->tls_key));
		return;
	}
	tlsio_ctx_free(d->tls);
	d->tls = ctx;
}

void
setup_tls_note_readable(const struct conf *c)
{
	const char *files[] = {c->tls_cert, c->tls_key};
	size_t i;
	int fd;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (files[i][0] == '\0')
			continue;
		if ((fd = open(files[i], O_RDONLY | O_CLOEXEC)) >= 0) {
			close(fd);
			continue;
		}
		if (errno == EACCES || errno == EPERM)
			log_warnx("%s: user %s cannot read it: a SIGHUP cannot "
				  "load a new key pair, restart smtpd for that "
				  "(or let the group of %s read it)",
				  files[i], c->user, c->user);
	}
}
