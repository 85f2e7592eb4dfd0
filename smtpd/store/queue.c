/*
 * queue.c - the relay queue's files (see queue.h for the layout and the
 * order of writes that makes it crash-safe).  The envelope is a small
 * text file, one field a line:
 *   id ID / created SECS / next SECS / attempts N
 *   sender ADDRESS            (empty for the null sender)
 *   rcpt pending|done|failed|bounced ADDRESS
 *   error TEXT                (the last error of the rcpt line above)
 * It does not deliver anything; relay.c does.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "log.h"
#include "util.h"

#include "store/queue.h"

#define ENV_MAX (1024 * 1024)

static const char *qr_names[] = {"pending", "done", "failed", "bounced"};

int
queue_init(const char *queue)
{
	static const char *subs[] = {"tmp", "data", "env"};
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
queue_wake(const char *queue)
{
	char path[PATH_MAX];
	int fd;

	if (xsnprintf(path, sizeof(path), "%s/wake", queue) < 0)
		return;
	/* O_NONBLOCK: ENXIO when no relay child listens; that is fine */
	if ((fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return;
	(void)!write(fd, "w", 1);
	close(fd);
}

static int
env_serialize(const struct envelope *env, char **out, size_t *outlen)
{
	size_t cap = 512 + (size_t)env->nrcpt * (ADDR_MAX + 600), n = 0;
	char *buf = xmalloc(cap);
	int i, r;

	r = snprintf(buf, cap,
		     "id %s\ncreated %lld\nnext %lld\nattempts %d\nsender %s\n",
		     env->id, (long long)env->created, (long long)env->next_try,
		     env->attempts, env->sender);
	if (r < 0 || (size_t)r >= cap)
		goto fail;
	n = (size_t)r;
	for (i = 0; i < env->nrcpt; i++) {
		const struct qrcpt *q = &env->rcpts[i];
		char err[sizeof(q->error)];
		size_t k;
		/* the error text is one line, whatever the peer sent */
		strlcpy(err, q->error, sizeof(err));
		for (k = 0; err[k]; k++)
			if (err[k] == '\n' || err[k] == '\r')
				err[k] = ' ';
		r = snprintf(buf + n, cap - n, "rcpt %s %s\n", qr_names[q->state],
			     q->addr);
		if (r < 0 || (size_t)r >= cap - n)
			goto fail;
		n += (size_t)r;
		if (err[0]) {
			r = snprintf(buf + n, cap - n, "error %s\n", err);
			if (r < 0 || (size_t)r >= cap - n)
				goto fail;
			n += (size_t)r;
		}
	}
	*out = buf;
	*outlen = n;
	return 0;
fail:
	free(buf);
	return -1;
}

static long long
env_number(const char *s, int *ok)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		*ok = 0;
	return v;
}

int
queue_env_parse(const char *text, size_t len, struct envelope *env)
{
	char line[ADDR_MAX + 600];
	const char *p = text, *end = text + len;
	int ok = 1, have_id = 0, have_sender = 0;

	memset(env, 0, sizeof(*env));
	while (p < end && ok) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *v;
		if (!nl || l >= sizeof(line) || memchr(p, '\0', l)) {
			ok = 0;
			break;
		}
		memcpy(line, p, l);
		line[l] = '\0';
		p = nl + 1;
		if ((v = strchr(line, ' ')) == NULL) {
			/* "sender" with the null path has nothing after it */
			if (strcmp(line, "sender") == 0) {
				have_sender = 1;
				continue;
			}
			ok = 0;
			break;
		}
		*v++ = '\0';
		if (strcmp(line, "id") == 0) {
			have_id = strlcpy(env->id, v, sizeof(env->id)) <
				      sizeof(env->id) &&
				  v[0] && strchr(v, '/') == NULL && v[0] != '.';
			ok = have_id;
		} else if (strcmp(line, "created") == 0)
			env->created = (time_t)env_number(v, &ok);
		else if (strcmp(line, "next") == 0)
			env->next_try = (time_t)env_number(v, &ok);
		else if (strcmp(line, "attempts") == 0)
			env->attempts = (int)(env_number(v, &ok) & 0xffff);
		else if (strcmp(line, "sender") == 0) {
			have_sender = 1;
			if (strlcpy(env->sender, v, sizeof(env->sender)) >=
			    sizeof(env->sender))
				ok = 0;
		} else if (strcmp(line, "rcpt") == 0) {
			struct qrcpt q;
			char *a = strchr(v, ' ');
			int s;
			memset(&q, 0, sizeof(q));
			if (a == NULL || env->nrcpt >= 10000) {
				ok = 0;
				break;
			}
			*a++ = '\0';
			for (s = 0; s < (int)nitems(qr_names); s++)
				if (strcmp(v, qr_names[s]) == 0)
					break;
			if (s == (int)nitems(qr_names) || !*a ||
			    strlcpy(q.addr, a, sizeof(q.addr)) >= sizeof(q.addr)) {
				ok = 0;
				break;
			}
			q.state = (enum qrcpt_state)s;
			env->rcpts = xreallocarray(env->rcpts,
						   (size_t)env->nrcpt + 1,
						   sizeof(*env->rcpts));
			env->rcpts[env->nrcpt++] = q;
		} else if (strcmp(line, "error") == 0) {
			if (env->nrcpt == 0) {
				ok = 0;
				break;
			}
			strlcpy(env->rcpts[env->nrcpt - 1].error, v,
				sizeof(env->rcpts[0].error));
		} else
			ok = 0;
	}
	if (!ok || !have_id || !have_sender || env->nrcpt == 0) {
		queue_env_free(env);
		return -1;
	}
	return 0;
}

void
queue_env_free(struct envelope *env)
{
	free(env->rcpts);
	env->rcpts = NULL;
	env->nrcpt = 0;
}

static int
queue_path(char *buf, size_t size, const char *queue, const char *sub,
	   const char *id)
{
	if (xsnprintf(buf, size, "%s/%s/%s", queue, sub, id) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
queue_env_read(const char *queue, const char *id, struct envelope *env)
{
	char path[PATH_MAX], *buf;
	struct stat st;
	ssize_t n;
	int fd, r;

	if (queue_path(path, sizeof(path), queue, "env", id) < 0)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size > ENV_MAX) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(buf);
		errno = EIO;
		return -1;
	}
	r = queue_env_parse(buf, (size_t)n, env);
	free(buf);
	if (r < 0) {
		log_warnx("queue: %s: malformed envelope", path);
		errno = EINVAL;
	}
	return r;
}

int
queue_env_write(const char *queue, const struct envelope *env)
{
	char path[PATH_MAX], tmpdir[PATH_MAX], *buf;
	size_t len;
	int r;

	if (queue_path(path, sizeof(path), queue, "env", env->id) < 0 ||
	    env_serialize(env, &buf, &len) < 0)
		return -1;
	if (xsnprintf(tmpdir, sizeof(tmpdir), "%s/tmp", queue) < 0) {
		free(buf);
		errno = ENAMETOOLONG;
		return -1;
	}
	r = durable_replace(tmpdir, path, buf, len);
	free(buf);
	if (r < 0)
		log_warn("queue: write %s", path);
	return r;
}

int
queue_prepare(struct queue_tx *tx, const char *queue, const struct envelope *env,
	      const char *prefix, size_t prefixlen, int spoolfd, off_t size)
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
	    queue_path(tx->data, sizeof(tx->data), queue, "data", env->id) < 0 ||
	    queue_path(tx->env, sizeof(tx->env), queue, "env", env->id) < 0)
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
	if (durable_copy(fd, prefix, prefixlen, spoolfd, size) < 0) {
		log_warn("queue: write %s", tx->data_tmp);
		queue_abort(tx);
		return -1;
	}
	if (env_serialize(env, &buf, &len) < 0) {
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
	char path[PATH_MAX];
	int r = 0;

	/* envelope first: data without an envelope is only litter */
	if (queue_path(path, sizeof(path), queue, "env", id) < 0 ||
	    unlink(path) < 0 || fsync_parent(path) < 0)
		r = -1;
	if (queue_path(path, sizeof(path), queue, "data", id) == 0)
		(void)unlink(path);
	return r;
}

int
queue_data_open(const char *queue, const char *id, off_t *size)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (queue_path(path, sizeof(path), queue, "data", id) < 0)
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

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
queue_ids(const char *queue, char ***ids)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int n = 0;

	*ids = NULL;
	if (xsnprintf(path, sizeof(path), "%s/env", queue) < 0 ||
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
queue_print(const char *queue, FILE *out)
{
	char **ids;
	int n, i, j;
	time_t now = time(NULL);

	if ((n = queue_ids(queue, &ids)) < 0) {
		fprintf(stderr, "smtpd: %s/env: %s\n", queue, strerror(errno));
		return -1;
	}
	if (n == 0) {
		fprintf(out, "Mail queue is empty\n");
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct envelope env;
		off_t size = 0;
		int fd = queue_data_open(queue, ids[i], &size);
		long age;

		if (fd >= 0)
			close(fd);
		if (queue_env_read(queue, ids[i], &env) < 0)
			continue;
		age = (long)(now - env.created);
		fprintf(out, "%s  age %ldh%02ldm%02lds  size %lld  from <%s>  attempts %d\n",
			env.id, age / 3600, age / 60 % 60, age % 60,
			(long long)size, env.sender, env.attempts);
		for (j = 0; j < env.nrcpt; j++)
			fprintf(out, "    to <%s>  %s%s%s\n", env.rcpts[j].addr,
				qr_names[env.rcpts[j].state],
				env.rcpts[j].error[0] ? "  last error: " : "",
				env.rcpts[j].error);
		queue_env_free(&env);
	}
	queue_ids_free(ids, n);
	fprintf(out, "%d message%s in the queue\n", n, n == 1 ? "" : "s");
	return 0;
}

void
queue_cleanup(const char *queue, time_t max_age)
{
	static const char *subs[] = {"tmp", "data"};
	char dir[PATH_MAX], path[PATH_MAX], env[PATH_MAX];
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
			/* data/ID is litter only when no envelope names it */
			if (i == 1 && (queue_path(env, sizeof(env), queue, "env",
						  de->d_name) < 0 ||
				       access(env, F_OK) == 0))
				continue;
			if (unlink(path) == 0)
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
