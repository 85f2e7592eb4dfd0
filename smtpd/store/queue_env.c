/*
 * queue_env.c - see queue_env.h.  The envelope is one field a line:
 *   id ID
 *   created SECS
 *   next        SECS          (right-aligned in 12 columns)
 *   attempts     N            (right-aligned in 5 columns)
 *   tried SECS                (the last attempt; absent before the first)
 *   warned 1                  (the delay notice was sent; else absent)
 *   sender ADDRESS            (empty for the null sender)
 *   rcpt pending|done|failed|bounced ADDRESS   (the state in 7 columns)
 *   error TEXT                (the last error of the rcpt line above)
 *   remote TEXT               (the host it was last tried at, likewise)
 * A key and its value are separated by any run of blanks, so the older
 * files ("rcpt pending ADDRESS", "next SECS") read the same; an error's
 * text is everything after the key's one blank, as written.  Fields are
 * overwritten in place with pwrite after checking that the bytes there
 * are the field env says (a wrong offset never damages the file).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "log.h"
#include "util.h"

#include "store/queue_env.h"

#define STATE_WIDTH 7	 /* "pending", "bounced" */
#define NEXT_WIDTH 12	 /* seconds since the epoch, until the year 33658 */
#define ATTEMPTS_WIDTH 5 /* attempts are kept below 65536 */

static const char *qr_names[] = {"pending", "done", "failed", "bounced"};

const char *
queue_env_state_name(enum qrcpt_state s)
{
	return (unsigned)s < nitems(qr_names) ? qr_names[s] : "?";
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* append one line to buf; the offset of its field at skip into *off */
static int
put_line(char *buf, size_t cap, size_t *n, size_t skip, off_t *off,
	 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int
put_line(char *buf, size_t cap, size_t *n, size_t skip, off_t *off,
	 const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(buf + *n, cap - *n, fmt, ap);
	va_end(ap);
	/* a line the reader would refuse is never written */
	if (r < 0 || (size_t)r >= cap - *n || r >= QUEUE_ENV_LINE_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (off != NULL)
		*off = (off_t)(*n + skip);
	*n += (size_t)r;
	return 0;
}

/* src into dst with CR and LF made blanks */
static void
one_line(char *dst, const char *src, size_t size)
{
	size_t k;

	strlcpy(dst, src, size);
	for (k = 0; dst[k]; k++)
		if (dst[k] == '\n' || dst[k] == '\r')
			dst[k] = ' ';
}

int
queue_env_format(struct envelope *env, char **out, size_t *outlen)
{
	size_t cap, n = 0;
	char *buf;
	int i;

	if (env->nrcpt > QUEUE_RCPT_MAX) {
		errno = E2BIG;
		return -1;
	}
	cap = (size_t)QUEUE_ENV_LINE_MAX * (7 + 3 * (size_t)env->nrcpt);
	buf = xmalloc(cap);
	if (put_line(buf, cap, &n, 0, NULL, "id %s\ncreated %lld\n", env->id,
		     (long long)env->created) < 0 ||
	    put_line(buf, cap, &n, 5, &env->next_off, "next %*lld\n",
		     NEXT_WIDTH, (long long)env->next_try) < 0 ||
	    put_line(buf, cap, &n, 9, &env->attempts_off, "attempts %*d\n",
		     ATTEMPTS_WIDTH, env->attempts) < 0 ||
	    (env->last_try > 0 &&
	     put_line(buf, cap, &n, 0, NULL, "tried %lld\n",
		      (long long)env->last_try) < 0) ||
	    (env->warned &&
	     put_line(buf, cap, &n, 0, NULL, "warned 1\n") < 0) ||
	    put_line(buf, cap, &n, 0, NULL, "sender %s\n", env->sender) < 0)
		goto fail;
	env->next_room = NEXT_WIDTH;
	env->attempts_room = ATTEMPTS_WIDTH;
	for (i = 0; i < env->nrcpt; i++) {
		struct qrcpt *q = &env->rcpts[i];
		char err[sizeof(q->error)], remote[sizeof(q->remote)];
		/* free texts are one line, whatever the peer sent */
		one_line(err, q->error, sizeof(err));
		one_line(remote, q->remote, sizeof(remote));
		if (put_line(buf, cap, &n, 5, &q->state_off, "rcpt %-*s %s\n",
			     STATE_WIDTH, queue_env_state_name(q->state),
			     q->addr) < 0 ||
		    (err[0] &&
		     put_line(buf, cap, &n, 0, NULL, "error %s\n", err) < 0) ||
		    (remote[0] &&
		     put_line(buf, cap, &n, 0, NULL, "remote %s\n", remote) < 0))
			goto fail;
		q->state_room = STATE_WIDTH;
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

/* "rcpt STATE ADDRESS" at v (blanks after the key skipped) */
static int
parse_rcpt(struct envelope *env, size_t *cap, char *v, off_t line_off,
	   const char *line)
{
	struct qrcpt *q;
	char *a = v + strcspn(v, " \t");
	size_t wlen = (size_t)(a - v);
	int s;

	if (*a == '\0' || env->nrcpt >= QUEUE_RCPT_MAX)
		return -1;
	for (s = 0; s < (int)nitems(qr_names); s++)
		if (strlen(qr_names[s]) == wlen &&
		    strncmp(v, qr_names[s], wlen) == 0)
			break;
	while (is_blank(*a))
		a++;
	if (s == (int)nitems(qr_names) || *a == '\0' ||
	    strlen(a) >= sizeof(q->addr))
		return -1;
	if ((size_t)env->nrcpt == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		env->rcpts = xreallocarray(env->rcpts, *cap, sizeof(*q));
	}
	q = &env->rcpts[env->nrcpt++];
	memset(q, 0, sizeof(*q));
	strlcpy(q->addr, a, sizeof(q->addr));
	q->state = (enum qrcpt_state)s;
	/* the room: the word and its padding, up to the blank before a */
	q->state_off = line_off + (v - line);
	q->state_room = (int)(a - 1 - v);
	return 0;
}

int
queue_env_parse(const char *text, size_t len, struct envelope *env)
{
	char line[QUEUE_ENV_LINE_MAX];
	const char *p = text, *end = text + len;
	int ok = 1, have_id = 0, have_sender = 0;
	size_t cap = 0;

	memset(env, 0, sizeof(*env));
	while (p < end && ok) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		off_t line_off = (off_t)(p - text), field;
		int room;
		char *v, *raw;
		if (!nl || l >= sizeof(line) || memchr(p, '\0', l)) {
			ok = 0;
			break;
		}
		memcpy(line, p, l);
		line[l] = '\0';
		p = nl + 1;
		v = line + strcspn(line, " \t");
		if (*v)
			*v++ = '\0';
		/* a number's field: all after the key's first blank */
		field = line_off + (v - line);
		room = (int)(l - (size_t)(v - line));
		raw = v;
		while (is_blank(*v))
			v++;
		if (strcmp(line, "id") == 0) {
			have_id = strlcpy(env->id, v, sizeof(env->id)) <
				      sizeof(env->id) &&
				  v[0] && strchr(v, '/') == NULL && v[0] != '.';
			ok = have_id;
		} else if (strcmp(line, "created") == 0)
			env->created = (time_t)env_number(v, &ok);
		else if (strcmp(line, "next") == 0) {
			env->next_try = (time_t)env_number(v, &ok);
			env->next_off = field;
			env->next_room = room;
		} else if (strcmp(line, "attempts") == 0) {
			env->attempts = (int)(env_number(v, &ok) & 0xffff);
			env->attempts_off = field;
			env->attempts_room = room;
		} else if (strcmp(line, "tried") == 0)
			env->last_try = (time_t)env_number(v, &ok);
		else if (strcmp(line, "warned") == 0)
			env->warned = env_number(v, &ok) != 0;
		else if (strcmp(line, "sender") == 0) {
			/* the null path has nothing after the key */
			have_sender = 1;
			if (strlcpy(env->sender, v, sizeof(env->sender)) >=
			    sizeof(env->sender))
				ok = 0;
		} else if (strcmp(line, "rcpt") == 0) {
			if (parse_rcpt(env, &cap, v, line_off, line) < 0)
				ok = 0;
		} else if (strcmp(line, "error") == 0) {
			if (env->nrcpt == 0)
				ok = 0;
			else
				/* free text: all after the key's blank */
				strlcpy(env->rcpts[env->nrcpt - 1].error, raw,
					sizeof(env->rcpts[0].error));
		} else if (strcmp(line, "remote") == 0) {
			if (env->nrcpt == 0)
				ok = 0;
			else
				strlcpy(env->rcpts[env->nrcpt - 1].remote, raw,
					sizeof(env->rcpts[0].remote));
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

int
queue_env_path(char *buf, size_t size, const char *queue, const char *dir,
	       const char *id)
{
	if (xsnprintf(buf, size, "%s/%s/%s", queue, dir, id) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
queue_env_read(const char *queue, const char *id, struct envelope *env)
{
	return queue_env_read_from(queue, "env", id, env);
}

int
queue_env_read_from(const char *queue, const char *dir, const char *id,
		    struct envelope *env)
{
	char path[PATH_MAX], *buf;
	struct stat st;
	size_t got = 0;
	int fd, r;

	if (queue_env_path(path, sizeof(path), queue, dir, id) < 0)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > QUEUE_ENV_MAX) {
		close(fd);
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		return -1;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(buf);
		errno = EIO;
		return -1;
	}
	r = queue_env_parse(buf, got, env);
	free(buf);
	if (r < 0)
		errno = EINVAL;
	return r;
}

/*
 * After a failed replace the file may be the old one or the new one:
 * take the offsets of the fields from what it holds, so queue_env_mark
 * writes where they are (no room at all when it cannot be read).
 */
static void
env_offsets_from_file(const char *queue, struct envelope *env)
{
	struct envelope now;
	int i, same;

	memset(&now, 0, sizeof(now));
	same = queue_env_read(queue, env->id, &now) == 0 &&
	       now.nrcpt == env->nrcpt;
	env->next_off = same ? now.next_off : 0;
	env->next_room = same ? now.next_room : 0;
	env->attempts_off = same ? now.attempts_off : 0;
	env->attempts_room = same ? now.attempts_room : 0;
	for (i = 0; i < env->nrcpt; i++) {
		env->rcpts[i].state_off = same ? now.rcpts[i].state_off : 0;
		env->rcpts[i].state_room = same ? now.rcpts[i].state_room : 0;
	}
	queue_env_free(&now);
}

static int
env_write(const char *queue, struct envelope *env, int syncdir)
{
	char path[PATH_MAX], tmpdir[PATH_MAX], *buf;
	size_t len;
	int r;

	if (queue_env_path(path, sizeof(path), queue, "env", env->id) < 0 ||
	    xsnprintf(tmpdir, sizeof(tmpdir), "%s/tmp", queue) < 0 ||
	    queue_env_format(env, &buf, &len) < 0) {
		log_warn("queue: %s: envelope", env->id);
		return -1;
	}
	r = durable_replace_as(tmpdir, path, buf, len, syncdir);
	free(buf);
	if (r < 0) {
		int saved = errno;
		log_warn("queue: write %s", path);
		env_offsets_from_file(queue, env);
		errno = saved;
	}
	return r;
}

int
queue_env_write(const char *queue, struct envelope *env)
{
	return env_write(queue, env, 1);
}

int
queue_env_write_final(const char *queue, struct envelope *env)
{
	return env_write(queue, env, 0);
}

/*
 * Check that the room bytes at off are a field of this kind (a state
 * word padded with blanks, or a number right-aligned), a blank before
 * them and a blank (state) or the line end (number) after; then write
 * val there, left- or right-aligned in the room.
 */
static int
field_put(int fd, off_t off, int room, const char *val, int number,
	  int write_it)
{
	char old[64], buf[64];
	size_t i = 1, end = (size_t)room + 1;
	ssize_t n;

	if (off < 1 || room < 1 || (size_t)room + 2 > sizeof(old)) {
		errno = EINVAL;
		return -1;
	}
	if (strlen(val) > (size_t)room) {
		errno = EOVERFLOW;
		return -1;
	}
	n = pread(fd, old, end + 1, off - 1);
	if (n < 0)
		return -1;
	if ((size_t)n != end + 1 || !is_blank(old[0]) ||
	    (number ? old[end] != '\n' : !is_blank(old[end]))) {
		errno = EINVAL;
		return -1;
	}
	if (number) {
		while (i < end && is_blank(old[i]))
			i++;
		if (i < end && old[i] >= '0' && old[i] <= '9')
			while (i < end && old[i] >= '0' && old[i] <= '9')
				i++;
		else
			i = 0;
	} else {
		size_t w, s;
		while (i < end && old[i] >= 'a' && old[i] <= 'z')
			i++;
		w = i - 1;
		for (s = 0; s < nitems(qr_names); s++)
			if (strlen(qr_names[s]) == w &&
			    memcmp(old + 1, qr_names[s], w) == 0)
				break;
		while (i < end && is_blank(old[i]))
			i++;
		if (s == nitems(qr_names))
			i = 0;
	}
	if (i != end) {
		errno = EINVAL; /* not the field env says: leave the file */
		return -1;
	}
	if (!write_it)
		return 0;
	snprintf(buf, sizeof(buf), number ? "%*s" : "%-*s", room, val);
	if ((n = pwrite(fd, buf, (size_t)room, off)) != (ssize_t)room) {
		if (n >= 0)
			errno = EIO; /* short: cannot happen inside a file */
		return -1;
	}
	return 0;
}

int
queue_env_mark(const char *queue, const struct envelope *env,
	       const int *idx, int n, int schedule)
{
	char path[PATH_MAX], num[32];
	int fd, i, pass, saved;

	if (queue_env_path(path, sizeof(path), queue, "env", env->id) < 0 ||
	    (fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	/* every field checked first: all are written, or none */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			const struct qrcpt *q = &env->rcpts[idx[i]];
			if (field_put(fd, q->state_off, q->state_room,
				      queue_env_state_name(q->state), 0,
				      pass) < 0)
				goto fail;
		}
		if (!schedule)
			continue;
		snprintf(num, sizeof(num), "%lld", (long long)env->next_try);
		if (field_put(fd, env->next_off, env->next_room, num, 1,
			      pass) < 0)
			goto fail;
		snprintf(num, sizeof(num), "%d", env->attempts);
		if (field_put(fd, env->attempts_off, env->attempts_room, num, 1,
			      pass) < 0)
			goto fail;
	}
	/* the size is unchanged: the data is all there is to sync */
	if (fdatasync(fd) < 0)
		goto fail;
	return close(fd);
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}
