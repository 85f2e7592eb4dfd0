/*
 * queue.c - the relay queue's files (see queue.h for the layout and the
 * order of writes that makes it crash-safe): queueing a message, listing
 * and removing messages, sweeping what crashes and time leave behind,
 * setting unreadable envelopes aside, the relay child's lock and each
 * message's.  The envelope's text is store/queue_env.c's; `smtpd -q` is
 * store/queue_admin.c's.  It does not deliver anything; relay/ does.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "log.h"
#include "util.h"

#include "store/queue.h"

int
queue_init(const char *queue)
{
	static const char *subs[] = {"tmp", "data", "env", "hold"};
	char path[PATH_MAX];
	size_t i;

	if (mkdir_p(queue, 0700) < 0)
		return -1;
	for (i = 0; i < nitems(subs); i++) {
		if (xsnprintf(path, sizeof(path), "%s/%s", queue, subs[i]) < 0)
			return -1;
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -1;
	}
	if (xsnprintf(path, sizeof(path), "%s/wake", queue) < 0)
		return -1;
	if (mkfifo(path, 0600) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

void
queue_wake(const char *queue, const char *id)
{
	char path[PATH_MAX], line[64];
	int fd, n;

	if (xsnprintf(path, sizeof(path), "%s/wake", queue) < 0 ||
	    (n = xsnprintf(line, sizeof(line), "%s\n", id)) < 0)
		return;
	/* O_NONBLOCK: ENXIO when no relay child listens; that is fine.
	 * A line is far shorter than PIPE_BUF, so it goes in whole or
	 * not at all (a full FIFO: the relay child notices, relay.c) */
	if ((fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return;
	(void)!write(fd, line, (size_t)n);
	close(fd);
}

int
queue_prepare(struct queue_tx *tx, const char *queue, struct envelope *env,
	      const char *prefix, size_t prefixlen, int spoolfd, off_t from,
	      off_t size)
{
	char *buf;
	size_t len;
	int fd, envfd;

	memset(tx, 0, sizeof(*tx));
	strlcpy(tx->queue, queue, sizeof(tx->queue));
	if (xsnprintf(tx->data_tmp, sizeof(tx->data_tmp), "%s/tmp/%s.data",
		      queue, env->id) < 0 ||
	    xsnprintf(tx->env_tmp, sizeof(tx->env_tmp), "%s/tmp/%s.env", queue,
		      env->id) < 0 ||
	    queue_env_path(tx->data, sizeof(tx->data), queue, "data", env->id) < 0 ||
	    queue_env_path(tx->env, sizeof(tx->env), queue, "env", env->id) < 0)
		return -1;
	/* the id is ours: refuse to overwrite an existing message */
	if (access(tx->env, F_OK) == 0 || access(tx->data, F_OK) == 0) {
		errno = EEXIST;
		log_warn("queue: %s", tx->env);
		return -1;
	}
	fd = open(tx->data_tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("queue: %s", tx->data_tmp);
		return -1;
	}
	tx->state = 1;
	if (durable_copy(fd, prefix, prefixlen, spoolfd, from, size) < 0) {
		log_warn("queue: write %s", tx->data_tmp);
		queue_abort(tx);
		return -1;
	}
	if (queue_env_format(env, &buf, &len) < 0) {
		log_warn("queue: %s: envelope", env->id);
		queue_abort(tx);
		return -1;
	}
	envfd = open(tx->env_tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (envfd < 0 || durable_write(envfd, buf, len) < 0) {
		log_warn("queue: write %s", tx->env_tmp);
		free(buf);
		queue_abort(tx);
		return -1;
	}
	free(buf);
	return 0;
}

int
queue_commit(struct queue_tx *tx)
{
	if (tx->state != 1)
		return -1;
	/* data first: an envelope never names missing data */
	if (durable_rename(tx->data_tmp, tx->data) < 0) {
		/* the rename may have been done before the fsync failed */
		if (access(tx->data_tmp, F_OK) < 0)
			tx->state = 2;
		goto fail;
	}
	tx->state = 2;
	if (durable_rename(tx->env_tmp, tx->env) < 0) {
		if (access(tx->env_tmp, F_OK) < 0)
			tx->state = 3;
		goto fail;
	}
	tx->state = 3;
	return 0;
fail:
	log_warn("queue: commit %s", tx->env);
	return -1;
}

void
queue_abort(struct queue_tx *tx)
{
	if (tx->state >= 3)
		(void)unlink(tx->env);
	else
		(void)unlink(tx->env_tmp);
	if (tx->state >= 2)
		(void)unlink(tx->data);
	else if (tx->state >= 1)
		(void)unlink(tx->data_tmp);
	tx->state = 0;
}

int
queue_remove(const char *queue, const char *id)
{
	return queue_remove_from(queue, "env", id);
}

int
queue_remove_from(const char *queue, const char *dir, const char *id)
{
	char path[PATH_MAX];
	int r = 0;

	/* envelope first: data without an envelope is only litter (and
	 * while the envelope is there, the data stays: it names it) */
	if (queue_env_path(path, sizeof(path), queue, dir, id) < 0 ||
	    unlink(path) < 0)
		return -1;
	if (fsync_parent(path) < 0)
		r = -1;
	if (queue_env_path(path, sizeof(path), queue, "data", id) == 0 &&
	    unlink(path) == 0)
		(void)fsync_parent(path);
	return r;
}

int
queue_remove_many(const char *queue, char *const *ids, int n, int *removed)
{
	char path[PATH_MAX];
	int i, k = 0, gone = 0;

	for (i = 0; i < n; i++) {
		removed[i] = queue_env_path(path, sizeof(path), queue, "env",
					    ids[i]) == 0 &&
			     unlink(path) == 0;
		k += removed[i];
	}
	if (k == 0)
		return 0;
	/* every envelope before any data, as queue_remove_from */
	if (xsnprintf(path, sizeof(path), "%s/env", queue) < 0 ||
	    fsync_dir(path) < 0) {
		for (i = 0; i < n; i++)
			removed[i] = 0;
		return 0;
	}
	for (i = 0; i < n; i++)
		if (removed[i] &&
		    queue_env_path(path, sizeof(path), queue, "data", ids[i]) ==
			0 &&
		    unlink(path) == 0)
			gone = 1;
	if (gone && xsnprintf(path, sizeof(path), "%s/data", queue) >= 0)
		(void)fsync_dir(path);
	return k;
}

int
queue_data_open(const char *queue, const char *id, off_t *size)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (queue_env_path(path, sizeof(path), queue, "data", id) < 0)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	*size = st.st_size;
	return fd;
}

/* open path (flags, never through a link) and flock it, not waiting:
 * the fd, or -1 with errno (EWOULDBLOCK: another process holds it) */
static int
lock_open(const char *path, int flags)
{
	int fd, saved;

	fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		saved = errno == EAGAIN ? EWOULDBLOCK : errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
queue_data_lock(const char *queue, const char *id)
{
	char path[PATH_MAX];

	if (queue_env_path(path, sizeof(path), queue, "data", id) < 0)
		return -1;
	return lock_open(path, O_RDONLY);
}

/* an envelope, queued or held, names data/ID */
static int
queue_named(const char *queue, const char *id)
{
	char path[PATH_MAX];

	return queue_env_path(path, sizeof(path), queue, "env", id) < 0 ||
	       access(path, F_OK) == 0 ||
	       queue_env_path(path, sizeof(path), queue, "hold", id) < 0 ||
	       access(path, F_OK) == 0;
}

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
queue_ids(const char *queue, char ***ids)
{
	return queue_ids_from(queue, "env", ids);
}

int
queue_ids_from(const char *queue, const char *sub, char ***ids)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int n = 0;

	*ids = NULL;
	if (xsnprintf(path, sizeof(path), "%s/%s", queue, sub) < 0 ||
	    (dir = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		*ids = xreallocarray(*ids, (size_t)n + 1, sizeof(**ids));
		(*ids)[n++] = xstrdup(de->d_name);
	}
	closedir(dir);
	/* ids start with the time in hex: sorting puts the oldest first */
	if (n > 1)
		qsort(*ids, (size_t)n, sizeof(**ids), id_cmp);
	return n;
}

void
queue_ids_free(char **ids, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

int
queue_set_aside(const char *queue, const char *id)
{
	char dir[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
	struct envelope env;
	int fd, r = -1;

	/* under the message's lock, as a worker holds it: no torn reads */
	if ((fd = queue_data_lock(queue, id)) < 0 && errno != ENOENT)
		return errno == EWOULDBLOCK ? 0 : -1;
	if (queue_env_read(queue, id, &env) == 0) {
		queue_env_free(&env);
		r = 0;
		goto done;
	}
	if (errno != EINVAL && errno != EFBIG) {
		r = errno == ENOENT ? 0 : -1;
		goto done;
	}
	if (xsnprintf(dir, sizeof(dir), "%s/corrupt", queue) < 0 ||
	    (mkdir(dir, 0700) < 0 && errno != EEXIST))
		goto fail;
	/* data first: an envelope left behind is set aside next time, but
	 * data without an envelope is removed by queue_cleanup */
	if (fd >= 0 &&
	    (queue_env_path(from, sizeof(from), queue, "data", id) < 0 ||
	     xsnprintf(to, sizeof(to), "%s/%s.data", dir, id) < 0 ||
	     rename(from, to) < 0))
		goto fail;
	if (queue_env_path(from, sizeof(from), queue, "env", id) < 0 ||
	    xsnprintf(to, sizeof(to), "%s/%s.env", dir, id) < 0 ||
	    rename(from, to) < 0 || fsync_dir(dir) < 0 || fsync_parent(from) < 0)
		goto fail;
	log_warnx("queue: %s: unreadable envelope, set aside in %s (not "
		  "delivered)",
		  id, to);
	r = 1;
	goto done;
fail:
	log_warn("queue: %s: unreadable envelope; setting it aside in "
		 "%s/corrupt",
		 id, queue);
done:
	if (fd >= 0)
		close(fd);
	return r;
}

int
queue_lock(const char *queue)
{
	char path[PATH_MAX];

	if (xsnprintf(path, sizeof(path), "%s/relay.lock", queue) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return lock_open(path, O_RDWR | O_CREAT);
}

int
queue_verify_expire(const char *queue, time_t ttl)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	int n = 0;
	DIR *d;

	if (xsnprintf(dir, sizeof(dir), "%s/verify", queue) < 0 ||
	    (d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		/* ".name": durable_replace's file being written; give it a day */
		time_t max_age = de->d_name[0] == '.' ? 86400 : ttl;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    xsnprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < 0 ||
		    lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
		    now - st.st_mtime <= max_age)
			continue;
		if (unlink(path) == 0)
			n++;
	}
	closedir(d);
	if (n > 0)
		log_info("verify cache: %d expired entr%s removed", n,
			 n == 1 ? "y" : "ies");
	return n;
}

int
queue_drop_litter(const char *queue, const char *id)
{
	char path[PATH_MAX];
	int fd, r = 0;

	/* data/ID is litter only when no envelope names it, queued or
	 * held; asked again under the message's lock, which `smtpd -q
	 * hold` and `release` hold while they move the envelope */
	if (queue_named(queue, id) ||
	    xsnprintf(path, sizeof(path), "%s/data/%s", queue, id) < 0 ||
	    (fd = queue_data_lock(queue, id)) < 0)
		return 0;
	if (!queue_named(queue, id) && unlink(path) == 0) {
		log_info("queue: removed stale %s", path);
		r = 1;
	}
	close(fd);
	return r;
}

void
queue_cleanup(const char *queue, time_t max_age)
{
	static const char *subs[] = {"tmp", "data"};
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	size_t i;
	DIR *d;

	for (i = 0; i < nitems(subs); i++) {
		if (xsnprintf(dir, sizeof(dir), "%s/%s", queue, subs[i]) < 0 ||
		    (d = opendir(dir)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' ||
			    xsnprintf(path, sizeof(path), "%s/%s", dir,
				      de->d_name) < 0 ||
			    lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
			    now - st.st_mtime < max_age)
				continue;
			if (i == 1)
				queue_drop_litter(queue, de->d_name);
			else if (unlink(path) == 0)
				log_info("queue: removed stale %s", path);
		}
		closedir(d);
	}
}

void
queue_new_id(char *buf, size_t size)
{
	static unsigned seq;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	/* seconds first, so ids sort by age; then microseconds, pid, sequence */
	snprintf(buf, size, "%08llX%05lX%04X%X", (long long)ts.tv_sec,
		 ts.tv_nsec / 1000, (unsigned)getpid() & 0xffff, seq++ & 0xf);
}

double
queue_delay(const char *id, time_t since)
{
	struct timespec now, t = {since, 0};
	char secs[9], usecs[6], *end1, *end2;
	unsigned long long s, us;
	double d;

	/* the first 13 digits of queue_new_id's: seconds, microseconds */
	if (strspn(id, "0123456789ABCDEF") >= 13) {
		memcpy(secs, id, 8);
		secs[8] = '\0';
		memcpy(usecs, id + 8, 5);
		usecs[5] = '\0';
		s = strtoull(secs, &end1, 16);
		us = strtoull(usecs, &end2, 16);
		if (*end1 == '\0' && *end2 == '\0' && us < 1000000) {
			t.tv_sec = (time_t)s;
			t.tv_nsec = (long)us * 1000;
		}
	}
	clock_gettime(CLOCK_REALTIME, &now);
	d = (double)(now.tv_sec - t.tv_sec) +
	    (double)(now.tv_nsec - t.tv_nsec) / 1e9;
	return d > 0 ? d : 0;
}
