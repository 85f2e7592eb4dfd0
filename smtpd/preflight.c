/*
 * preflight.c - see preflight.h.  It only looks (getpwnam, stat): it
 * creates, chowns and opens nothing, so an admin (or the unit's
 * ExecStartPre, as root) can run it on the live config at any time.
 *
 * It restates setup.c's rules as predictions.  Started as root, smtpd
 * refuses to run without a `user`, creates what is missing of the queue
 * and the mail root, hands each to the user when it is root's or the
 * user's already (leaving its mode), and refuses a link or another
 * user's directory; then it runs as the user and its primary group
 * only.  Not root, it runs as whoever started it, `user` unused, and
 * creates what is missing with mkdir -p.  Write access is judged by
 * the mode bits, as the kernel does without ACLs.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_lookup.h"
#include "expand.h"
#include "log.h"
#include "preflight.h"
#include "util.h"

/* who smtpd would run as: its uid and groups */
struct runas {
	const char *name;
	uid_t uid;
	gid_t groups[64];
	int ngroups;
	int root; /* started as root: start-up creates and chowns */
};

static int
in_groups(gid_t gid, const struct runas *r)
{
	int i;

	for (i = 0; i < r->ngroups; i++)
		if (r->groups[i] == gid)
			return 1;
	return 0;
}

/* may r create and remove names in the directory st (write + search)? */
static int
writable_by(const struct stat *st, const struct runas *r)
{
	mode_t need = S_IWOTH | S_IXOTH;

	if (st->st_uid == r->uid)
		need = S_IWUSR | S_IXUSR;
	else if (in_groups(st->st_gid, r))
		need = S_IWGRP | S_IXGRP;
	return (st->st_mode & need) == need;
}

/* a missing root: can r create it (root always can, on directories) */
static int
check_missing(const struct conf *c, const char *what, const char *path,
	      const struct runas *r)
{
	char up[PATH_MAX], *slash;
	struct stat st;

	strlcpy(up, path, sizeof(up));
	for (;;) {
		if ((slash = strrchr(up, '/')) == NULL)
			return 0; /* relative: conf.c made it absolute */
		slash[slash == up ? 1 : 0] = '\0';
		if (stat(up, &st) == 0)
			break;
		if ((errno != ENOENT && errno != ENOTDIR) ||
		    strcmp(up, "/") == 0) {
			log_warnx("%s: %s %s: %s: %s", c->path, what, path, up,
				  strerror(errno));
			return 1;
		}
	}
	if (!S_ISDIR(st.st_mode)) {
		log_warnx("%s: %s %s: %s on the way is not a directory",
			  c->path, what, path, up);
		return 1;
	}
	if (r->root || writable_by(&st, r))
		return 0;
	log_warnx("%s: %s %s: missing, and %s cannot create it: %s is not "
		  "writable by %s",
		  c->path, what, path, r->name, up, r->name);
	return 1;
}

/* the queue or the mail root: writable by r, or to be made so */
static int
check_root(const struct conf *c, const char *what, const char *path,
	   const struct runas *r)
{
	struct stat st;

	if ((r->root ? lstat(path, &st) : stat(path, &st)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return check_missing(c, what, path, r);
		log_warnx("%s: %s %s: %s", c->path, what, path,
			  strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_warnx("%s: %s %s: %s", c->path, what, path,
			  S_ISLNK(st.st_mode)
			      ? "a symbolic link: starting as root would "
				"refuse it"
			      : "not a directory");
		return 1;
	}
	if (r->root) {
		if (strcmp(path, "/") == 0) {
			log_warnx("%s: %s /: starting would refuse to hand / "
				  "to the run user",
				  c->path, what);
			return 1;
		}
		if (st.st_uid != 0 && st.st_uid != r->uid) {
			log_warnx("%s: %s %s: owned by uid %ld, not by %s nor "
				  "root: starting would refuse it",
				  c->path, what, path, (long)st.st_uid,
				  r->name);
			return 1;
		}
		st.st_uid = r->uid; /* start-up hands it over */
		st.st_gid = r->groups[0];
	}
	if (writable_by(&st, r))
		return 0;
	log_warnx("%s: %s %s: not writable by %s (uid %ld, mode %04o, owner "
		  "uid %ld%s)",
		  c->path, what, path, r->name, (long)r->uid,
		  (unsigned)(st.st_mode & 07777), (long)st.st_uid,
		  r->root ? " once start-up hands it over" : "");
	return 1;
}

int
preflight_check(const struct conf *c)
{
	struct runas r;
	struct passwd *pw = NULL;
	char mailroot[PATH_MAX];
	int n, bad = 0;

	memset(&r, 0, sizeof(r));
	r.root = geteuid() == 0;
	if (c->user[0] != '\0' && (pw = getpwnam(c->user)) == NULL) {
		log_warnx("%s: user: no such user '%s': create it (useradd "
			  "--system %s) or name another",
			  c->path, c->user, c->user);
		return 1;
	}
	if (r.root) {
		if (pw == NULL) {
			log_warnx("%s: no 'user' directive: started as root, "
				  "smtpd would refuse to run as root",
				  c->path);
			return 1;
		}
		if (pw->pw_uid == 0) {
			log_warnx("%s: user %s: uid 0: smtpd drops root for "
				  "the user, name an unprivileged one",
				  c->path, c->user);
			return 1;
		}
		r.name = c->user;
		r.uid = pw->pw_uid;
		r.groups[r.ngroups++] = pw->pw_gid;
	} else {
		struct passwd *self = getpwuid(geteuid());
		r.name = self ? self->pw_name : "this user";
		r.uid = geteuid();
		r.groups[r.ngroups++] = getegid();
		n = getgroups((int)nitems(r.groups) - 1, r.groups + 1);
		r.ngroups += n > 0 ? n : 0;
	}
	bad += check_root(c, "queue", c->queue, &r);
	conf_mailbox_root(c, mailroot, sizeof(mailroot));
	if (mailroot[0] != '\0')
		bad += check_root(c, "mail root", mailroot, &r);
	return bad;
}

int
preflight_postmaster(const struct smtpd *d)
{
	char maildir[PATH_MAX];

	if (expand_postmaster_ok(d, maildir, sizeof(maildir)))
		return 0;
	log_warnx("%s: warning: postmaster@%s leads nowhere (no alias, "
		  "account or catch-all): its mail, and postmaster's at every "
		  "local domain, is kept in %s, which no account reads; add "
		  "\"postmaster: you@%s\" to the aliases file",
		  d->conf.path, d->conf.domains[0],
		  maildir[0] ? maildir : "(no Maildir either)",
		  d->conf.domains[0]);
	return 1;
}
