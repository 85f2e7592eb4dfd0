/*
 * queue_master.c - see queue_master.h.  The lock is a POSIX record lock
 * (fcntl F_SETLK on the whole file), not flock, on purpose: it belongs
 * to the master process alone.  Its children (session children, the
 * relay child and its workers) are forked without exec and keep a copy
 * of the descriptor, but not the lock; so when the master is killed
 * (even by SIGKILL) the lock goes with it at once, and a new master can
 * start while the old one's sessions finish their work and its relay
 * child drains (the new relay child waits for relay.lock, which the old
 * one holds until its workers end: store/queue.c, relay/relay.c).  The
 * lock also names its holder (F_GETLK), so the pid in the file is never
 * trusted by itself, and a file a dead master left is harmless: it is
 * not removed at exit (removing it could unlink the file a new master
 * has just locked).  Closing any descriptor of the file in the master
 * would drop the lock: nothing else here opens it in the master.
 *
 * The file is opened with O_NOFOLLOW and O_NONBLOCK and must be a
 * regular file with one name: the run user owns the queue directory
 * and could have planted a link there for root to open.  Before the
 * listeners are bound (perhaps as root) it is only opened to read; it
 * is created and written after root is dropped, as the run user.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#include "store/queue_master.h"

/* the master's descriptor of smtpd.pid: open for its life, never closed */
static int master_fd = -1;

static int
pidfile_path(char *buf, size_t size, const char *queue)
{
	if (xsnprintf(buf, size, "%s/%s", queue, QUEUE_MASTER_PIDFILE) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* open path (flags O_RDONLY, or O_RDWR|O_CREAT), checked as at the top;
 * -1 with errno, EPERM when it is not a regular file with one name */
static int
pidfile_open(const char *path, int flags)
{
	struct stat st;
	int fd;

	fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		log_warnx("%s: %s: refusing to use it", path,
			  !S_ISREG(st.st_mode)
			      ? "not a regular file"
			      : "a regular file with more than "
				"one name");
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/* who holds the lock on fd's file: its pid, 0 for nobody, -1 */
static pid_t
lock_holder(int fd)
{
	struct flock fl;
	char buf[32];
	ssize_t n;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) < 0)
		return -1;
	if (fl.l_type == F_UNLCK)
		return 0;
	if (fl.l_pid > 0)
		return fl.l_pid;
	/* held, by a process in another pid namespace: the file's word */
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return atol(buf) > 0 ? (pid_t)atol(buf) : 1;
}

pid_t
queue_master_pid(const char *queue)
{
	char path[PATH_MAX];
	pid_t pid;
	int fd, saved;

	if (pidfile_path(path, sizeof(path), queue) < 0)
		return -1;
	if ((fd = pidfile_open(path, O_RDONLY)) < 0)
		return errno == ENOENT ? 0 : -1;
	pid = lock_holder(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return pid;
}

static _Noreturn void
refuse_second(const char *queue, const char *path, pid_t pid)
{
	log_warnx("queue %s is run by another smtpd, pid %ld (it holds the "
		  "lock on %s): not starting a second master on it",
		  queue, (long)pid, path);
	exit(EX_TEMPFAIL);
}

void
queue_master_start(const char *queue, int take)
{
	char path[PATH_MAX], pid[32];
	struct flock fl;
	pid_t holder;
	int fd, n;

	if (pidfile_path(path, sizeof(path), queue) < 0)
		fatal("%s/%s", queue, QUEUE_MASTER_PIDFILE);
	if (!take) {
		/* no file (no queue yet): no master has run on it */
		if ((holder = queue_master_pid(queue)) < 0)
			fatal("%s", path);
		if (holder > 0)
			refuse_second(queue, path, holder);
		return;
	}
	if ((fd = pidfile_open(path, O_RDWR | O_CREAT)) < 0)
		fatal("%s", path);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		if (errno != EAGAIN && errno != EACCES)
			fatal("lock %s", path);
		/* it started between our look and now */
		refuse_second(queue, path, lock_holder(fd));
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		fatal("write %s", path);
	master_fd = fd;
}
