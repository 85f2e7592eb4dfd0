/*
 * queue_admin.c - see queue_admin.h: `smtpd -q` and its commands.
 *
 * Who runs it: root, or the run user.  As root it first becomes the
 * owner of the queue directory (a link to it only if root's), so nothing in
 * the queue is ever opened, renamed or removed by root through a link
 * the run user could have made, and what it creates (hold/) is owned
 * like the rest; a queue directory of root's own is worked on as root,
 * after checking that its directories are directories of its owner.
 *
 * Every change to a message is made under its lock (queue_data_lock,
 * the flock a relay worker holds while it delivers), so a message a
 * worker is sending is refused, not pulled from under it; the relay
 * child's scan reads env/ without the lock, and a worker reads the
 * envelope again once it has the lock, so it finds a message held or
 * deleted meanwhile gone.  Nothing is ever half removed: the envelope
 * goes first (env/ID or hold/ID), then the data (queue_remove_from),
 * and data left without either (a crash in between) is swept by
 * queue_cleanup, which knows hold/.  Holding and releasing are one
 * rename each, with both directories fsync'd.
 *
 * queue_lifetime and held messages: the lifetime counts from the
 * message's arrival, on hold or not; a held message is never expired
 * while held (nothing looks at it), and once released it is tried at
 * once, then bounced if it is older than queue_lifetime and still not
 * delivered (Postfix's way: held mail is kept until released, then
 * its lifetime counts from arrival).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "durable.h"
#include "util.h"

#include "store/queue.h"
#include "store/queue_admin.h"
#include "store/queue_master.h"

static int
fail(const char *id, const char *what)
{
	fprintf(stderr, "smtpd: %s: %s: %s\n", id, what, strerror(errno));
	return 1;
}

static int
path_of(char *buf, size_t size, const char *queue, const char *dir,
	const char *id, const char *suffix)
{
	if (xsnprintf(buf, size, "%s/%s/%s%s", queue, dir, id, suffix) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
exists(const char *queue, const char *dir, const char *id, const char *suffix)
{
	char path[PATH_MAX];
	struct stat st;

	return path_of(path, sizeof(path), queue, dir, id, suffix) == 0 &&
	       lstat(path, &st) == 0;
}

/*
 * As root, become the queue directory's owner; a directory of root's
 * stays root's, its subdirectories checked (above).  The queue path
 * itself may be a link only if root made it (/var/spool/smtpd ->
 * /srv/queue).  -1 said on stderr.
 */
static int
admin_enter(const char *queue)
{
	static const char *subs[] = {"tmp", "data", "env", "hold", "corrupt"};
	char path[PATH_MAX];
	struct stat q, st;
	size_t i;
	int fd;

	if (geteuid() != 0)
		return 0;
	if (lstat(queue, &st) == 0 && S_ISLNK(st.st_mode) && st.st_uid != 0) {
		fprintf(stderr,
			"smtpd: %s: a symbolic link root did not make: "
			"refusing to work on the queue\n",
			queue);
		return -1;
	}
	if ((fd = open(queue, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &q) < 0) {
		fprintf(stderr, "smtpd: %s: %s\n", queue, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (q.st_uid != 0) {
		if (setgroups(1, &q.st_gid) < 0 || setgid(q.st_gid) < 0 ||
		    setuid(q.st_uid) < 0) {
			fprintf(stderr,
				"smtpd: %s: becoming its owner, uid "
				"%ld: %s\n",
				queue, (long)q.st_uid, strerror(errno));
			return -1;
		}
		return 0;
	}
	for (i = 0; i < nitems(subs); i++) {
		if (xsnprintf(path, sizeof(path), "%s/%s", queue, subs[i]) <
			0 ||
		    lstat(path, &st) < 0)
			continue;
		if (!S_ISDIR(st.st_mode) || st.st_uid != q.st_uid) {
			fprintf(stderr,
				"smtpd: %s: not a directory of uid %ld: "
				"refusing to work on the queue\n",
				path, (long)q.st_uid);
			return -1;
		}
	}
	return 0;
}

/* "  LABEL YYYY-MM-DD HH:MM:SS" (local time) into buf; "" for t <= 0 */
static const char *
when(const char *label, time_t t, char *buf, size_t size)
{
	struct tm tm;
	char date[32];

	if (t <= 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm) == 0 ||
	    xsnprintf(buf, size, "  %s %s", label, date) < 0)
		return "";
	return buf;
}

/* the messages of sub (env, or hold: marked) as `smtpd -q` lists them;
 * their count, or -1 */
static int
print_messages(const char *queue, const char *sub, FILE *out)
{
	int held = strcmp(sub, "hold") == 0;
	time_t now = time(NULL);
	char **ids;
	int n, i, j;

	if ((n = queue_ids_from(queue, sub, &ids)) < 0) {
		if (held && errno == ENOENT)
			return 0; /* a queue from before hold/ */
		fprintf(stderr, "smtpd: %s/%s: %s\n", queue, sub,
			strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct envelope env;
		char tried[64], next[64];
		off_t size = 0;
		int fd = queue_data_open(queue, ids[i], &size);
		long age;

		if (fd >= 0)
			close(fd);
		if (queue_env_read_from(queue, sub, ids[i], &env) < 0) {
			if (errno == EINVAL || errno == EFBIG)
				fprintf(out, "%s  %sunreadable envelope%s\n",
					ids[i], held ? "held  " : "",
					held ? ""
					     : ": the relay child sets it "
					       "aside in corrupt/");
			continue;
		}
		age = (long)(now - env.created);
		/* the next attempt as the envelope has it (a dead
		 * destination or a flush, the relay child's, not) */
		fprintf(out,
			"%s  %sage %ldh%02ldm%02lds  size %lld  from <%s>  "
			"attempts %d%s%s\n",
			env.id, held ? "held  " : "", age / 3600, age / 60 % 60,
			age % 60, (long long)size, env.sender, env.attempts,
			when("last attempt", env.last_try, tried, sizeof(tried)),
			held		     ? ""
			: env.next_try <= now ? "  next attempt now"
					     : when("next attempt", env.next_try,
						    next, sizeof(next)));
		/* the host each was last tried at, "NAME [ADDR]:PORT" */
		for (j = 0; j < env.nrcpt; j++)
			fprintf(out, "    to <%s>  %s%s%s%s%s\n",
				env.rcpts[j].addr,
				queue_env_state_name(env.rcpts[j].state),
				env.rcpts[j].remote[0] ? "  at " : "",
				env.rcpts[j].remote,
				env.rcpts[j].error[0] ? "  last error: " : "",
				env.rcpts[j].error);
		queue_env_free(&env);
	}
	queue_ids_free(ids, n);
	return n;
}

/* the names of corrupt/'s envelopes, without ".env"; their count */
static int
corrupt_ids(const char *queue, char ***ids)
{
	int n, i, k = 0;

	if ((n = queue_ids_from(queue, "corrupt", ids)) < 0)
		return 0;
	for (i = 0; i < n; i++) {
		size_t l = strlen((*ids)[i]);
		if (l > 4 && strcmp((*ids)[i] + l - 4, ".env") == 0) {
			(*ids)[i][l - 4] = '\0';
			(*ids)[k++] = (*ids)[i];
		} else
			free((*ids)[i]);
	}
	return k;
}

/* the messages set aside in corrupt/, as `smtpd -q` lists them */
static void
print_corrupt(const char *queue, FILE *out)
{
	char path[PATH_MAX];
	struct stat st;
	char **ids;
	int n, i;

	n = corrupt_ids(queue, &ids);
	for (i = 0; i < n; i++) {
		fprintf(out, "%s  corrupt, not delivered: %s/corrupt/%s.env",
			ids[i], queue, ids[i]);
		/* ID.data beside ID.env: the message's size */
		if (path_of(path, sizeof(path), queue, "corrupt", ids[i],
			    ".data") == 0 &&
		    stat(path, &st) == 0)
			fprintf(out, "  size %lld", (long long)st.st_size);
		fputc('\n', out);
	}
	if (n > 0)
		fprintf(out, "%d corrupt message%s set aside in %s/corrupt\n",
			n, n == 1 ? "" : "s", queue);
	queue_ids_free(ids, n);
}

int
queue_print(const char *queue, FILE *out)
{
	int n, held;

	if ((n = print_messages(queue, "env", out)) < 0 ||
	    (held = print_messages(queue, "hold", out)) < 0)
		return -1;
	if (n + held == 0)
		fprintf(out, "Mail queue is empty\n");
	else if (held == 0)
		fprintf(out, "%d message%s in the queue\n", n,
			n == 1 ? "" : "s");
	else
		fprintf(out, "%d message%s in the queue, %d of them on hold\n",
			n + held, n + held == 1 ? "" : "s", held);
	print_corrupt(queue, out);
	return 0;
}

/* SIGUSR1 to the master holding the queue's lock, found by the lock */
static int
admin_flush(const char *queue)
{
	pid_t pid = queue_master_pid(queue);

	if (pid < 0)
		return fail("flush", QUEUE_MASTER_PIDFILE);
	if (pid == 0) {
		fprintf(stderr,
			"smtpd: flush: no smtpd runs on the queue %s "
			"(nothing holds %s/%s): nothing to flush\n",
			queue, queue, QUEUE_MASTER_PIDFILE);
		return 1;
	}
	if (kill(pid, SIGUSR1) < 0) {
		fprintf(stderr, "smtpd: flush: signal smtpd, pid %ld: %s\n",
			(long)pid, strerror(errno));
		return 1;
	}
	printf("flush: smtpd, pid %ld, retries every queued message now\n",
	       (long)pid);
	return 0;
}

/* the message's lock, or a refusal: -1 with *r the exit status */
static int
admin_lock(const char *queue, const char *id, const char *verb, int *r)
{
	int fd = queue_data_lock(queue, id);

	*r = 0;
	if (fd >= 0 || errno == ENOENT)
		return fd;
	if (errno == EWOULDBLOCK) {
		fprintf(stderr,
			"smtpd: %s: being delivered right now: not %s; "
			"try again\n",
			id, verb);
		*r = EX_TEMPFAIL;
	} else
		*r = fail(id, "data");
	return -1;
}

static int
unknown(const char *queue, const char *id)
{
	fprintf(stderr, "smtpd: %s: no such message in the queue %s\n", id,
		queue);
	return 1;
}

/* a message set aside in corrupt/: ID.env then ID.data */
static int
delete_corrupt(const char *queue, const char *id)
{
	char path[PATH_MAX];

	if (path_of(path, sizeof(path), queue, "corrupt", id, ".env") < 0 ||
	    unlink(path) < 0 || fsync_parent(path) < 0)
		return fail(id, "corrupt/");
	if (path_of(path, sizeof(path), queue, "corrupt", id, ".data") == 0 &&
	    unlink(path) == 0)
		(void)fsync_parent(path);
	printf("%s: deleted (it was set aside in corrupt/)\n", id);
	return 0;
}

static int
admin_delete(const char *queue, const char *id)
{
	const char *dir;
	int fd, r;

	if (!exists(queue, "env", id, "") && !exists(queue, "hold", id, "") &&
	    exists(queue, "corrupt", id, ".env"))
		return delete_corrupt(queue, id);
	if ((fd = admin_lock(queue, id, "deleted", &r)) < 0 && r != 0)
		return r;
	/* looked at again under the lock */
	dir = exists(queue, "env", id, "")    ? "env"
	      : exists(queue, "hold", id, "") ? "hold"
					      : NULL;
	if (dir == NULL)
		r = unknown(queue, id);
	else if (queue_remove_from(queue, dir, id) < 0)
		r = fail(id, "delete");
	else
		printf("%s: deleted%s\n", id,
		       dir[0] == 'h' ? " (it was on hold)" : "");
	if (fd >= 0)
		close(fd);
	return r;
}

/* rename queue/from/ID to queue/to/ID, durably */
static int
move(const char *queue, const char *from, const char *to, const char *id)
{
	char src[PATH_MAX], dst[PATH_MAX];

	if (path_of(src, sizeof(src), queue, from, id, "") < 0 ||
	    path_of(dst, sizeof(dst), queue, to, id, "") < 0 ||
	    rename(src, dst) < 0 || fsync_parent(dst) < 0 ||
	    fsync_parent(src) < 0)
		return -1;
	return 0;
}

static int
admin_hold(const char *queue, const char *id)
{
	char dir[PATH_MAX];
	int fd, r;

	if ((fd = admin_lock(queue, id, "held", &r)) < 0 && r != 0)
		return r;
	if (exists(queue, "env", id, "")) {
		if (xsnprintf(dir, sizeof(dir), "%s/hold", queue) < 0 ||
		    (mkdir(dir, 0700) < 0 && errno != EEXIST) ||
		    move(queue, "env", "hold", id) < 0)
			r = fail(id, "hold");
		else
			printf("%s: on hold\n", id);
	} else if (exists(queue, "hold", id, ""))
		printf("%s: already on hold\n", id);
	else
		r = unknown(queue, id);
	if (fd >= 0)
		close(fd);
	return r;
}

/* a released message is due at once (its lifetime still counts from
 * its arrival: the worker bounces it after this try if too old) */
static void
due_now(const char *queue, const char *id)
{
	struct envelope env;

	if (queue_env_read(queue, id, &env) < 0)
		return;
	env.next_try = time(NULL);
	if (queue_env_mark(queue, &env, NULL, 0, 1) < 0 &&
	    queue_env_write(queue, &env) < 0)
		fprintf(stderr, "smtpd: %s: due at its next retry, not now\n",
			id);
	queue_env_free(&env);
}

static int
admin_release(const char *queue, const char *id)
{
	int fd, r, released = 0;

	if ((fd = admin_lock(queue, id, "released", &r)) < 0 && r != 0)
		return r;
	if (!exists(queue, "hold", id, "")) {
		if (exists(queue, "env", id, ""))
			printf("%s: not on hold\n", id);
		else
			r = unknown(queue, id);
	} else if (exists(queue, "env", id, "")) {
		errno = EEXIST;
		r = fail(id, "release: both env/ and hold/ name it");
	} else if (move(queue, "hold", "env", id) < 0)
		r = fail(id, "release");
	else {
		due_now(queue, id);
		released = 1;
	}
	if (fd >= 0)
		close(fd);
	if (released) {
		queue_wake(queue, id);
		printf("%s: released%s\n", id,
		       queue_master_pid(queue) > 0
			   ? ", the relay child is woken"
			   : "; it is sent once smtpd runs");
	}
	return r;
}

/* every message -q lists: queued, held, set aside */
static int
admin_delete_all(const char *queue)
{
	static const char *subs[] = {"env", "hold", "corrupt"};
	char **ids;
	int n, i, r = 0, x, done = 0;
	size_t s;

	for (s = 0; s < nitems(subs); s++) {
		n = s == 2 ? corrupt_ids(queue, &ids)
			   : queue_ids_from(queue, subs[s], &ids);
		if (n < 0 && errno == ENOENT)
			continue;
		if (n < 0)
			return fail("delete all", subs[s]);
		for (i = 0; i < n; i++) {
			if ((x = admin_delete(queue, ids[i])) == 0)
				done++;
			/* busy wins: trying again may finish the job */
			if (x != 0 && r != EX_TEMPFAIL)
				r = x;
		}
		queue_ids_free(ids, n);
	}
	printf("%d message%s deleted\n", done, done == 1 ? "" : "s");
	return r;
}

/* a queue id: letters and digits (no '/', no dot), as queue_new_id
 * makes them, or as a file was named by hand */
static int
valid_id(const char *id)
{
	size_t n = strlen(id), i;

	if (n == 0 || n >= sizeof(((struct envelope *)0)->id))
		return 0;
	for (i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'A' && id[i] <= 'Z') ||
		      (id[i] >= 'a' && id[i] <= 'z')))
			return 0;
	return 1;
}

static int
usage_error(const char *why, const char *what)
{
	fprintf(stderr,
		"smtpd: -q: %s%s%s; want: smtpd -q [flush | delete ID... "
		"| delete all | hold ID... | release ID...]\n",
		why, what ? " " : "", what ? what : "");
	return EX_USAGE;
}

int
queue_admin(const char *queue, int argc, char **argv)
{
	int (*each)(const char *, const char *) = NULL;
	const char *cmd = argc > 0 ? argv[0] : "";
	int i, r = 0, x;

	if (argc == 0 || strcmp(cmd, "flush") == 0) {
		if (argc > 1)
			return usage_error("flush takes no argument:", argv[1]);
	} else if (strcmp(cmd, "delete") == 0)
		each = admin_delete;
	else if (strcmp(cmd, "hold") == 0)
		each = admin_hold;
	else if (strcmp(cmd, "release") == 0)
		each = admin_release;
	else
		return usage_error("unknown command", cmd);
	if (each != NULL && argc < 2)
		return usage_error(cmd, "needs a message id");
	for (i = 1; each != NULL && i < argc; i++) {
		if (each == admin_delete && strcmp(argv[i], "all") == 0) {
			if (argc > 2)
				return usage_error("delete all", "takes no id");
		} else if (!valid_id(argv[i]))
			return usage_error("not a message id:", argv[i]);
	}
	if (admin_enter(queue) < 0)
		return 1;
	if (argc == 0)
		return queue_print(queue, stdout) < 0 ? 1 : 0;
	if (each == NULL)
		return admin_flush(queue);
	if (each == admin_delete && strcmp(argv[1], "all") == 0)
		return admin_delete_all(queue);
	for (i = 1; i < argc; i++) {
		x = each(queue, argv[i]);
		if (x != 0 && r != EX_TEMPFAIL)
			r = x;
	}
	return r;
}
