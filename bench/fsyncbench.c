/*
 * fsyncbench.c - this disk's durable-write limit, for `make bench`.
 *
 *   fsyncbench [-s size] [-n count] [-t seconds] [-j writers] dir
 *
 * Repeats the chain smtpd/store/maildir.c runs for every Maildir copy,
 * through the same lib/durable.c calls: create a file in dir/tmp/, write
 * size bytes, fsync, close (each checked), rename it into dir/new/, fsync
 * dir/new/; -n times or for -t seconds, whichever
 * ends first, in each of -j processes at once (a journal can commit
 * several writers' fsyncs together, which is how concurrent SMTP sessions
 * meet the disk).  It prints "key value" lines: durable writes per second
 * over all writers, and the p50/p99 time of one chain.
 *
 * Run it in a directory on the filesystem that holds the mail: the limit
 * belongs to a filesystem, not to the machine.  It removes its files when
 * done and leaves dir/tmp and dir/new (empty) behind.  It does not judge
 * the number; it exits 1 only when a call in the chain fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "durable.h"
#include "log.h"
#include "util.h"
#include "bench.h"

#define WRITERS_MAX 256

static void
usage(void)
{
	fprintf(stderr, "usage: fsyncbench [-s size] [-n count] [-t seconds] "
			"[-j writers] dir\n");
	exit(2);
}

/* one durable write, through lib/durable.c as maildir.c does it; 0 or -1 */
static int
bench_write(const char *dir, int writer, long i, const char *buf, size_t size)
{
	char tmp[PATH_MAX], new[PATH_MAX];
	int fd;

	if (xsnprintf(tmp, sizeof(tmp), "%s/tmp/%d.%ld", dir, writer, i) < 0 ||
	    xsnprintf(new, sizeof(new), "%s/new/%d.%ld", dir, writer, i) < 0) {
		errno = ENAMETOOLONG;
		log_warn("%s", dir);
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) <
	    0) {
		log_warn("open %s", tmp);
		return -1;
	}
	if (durable_write(fd, buf, size) < 0 || durable_rename(tmp, new) < 0) {
		log_warn("write %s", tmp);
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

static int
us_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * One writer: run the chain until count or the deadline, writing each
 * chain's duration (microseconds) to out, then close out and remove its
 * files.  0 or 1.
 */
static int
writer_run(const char *dir, int writer, long count, int64_t deadline,
	   size_t size, int out)
{
	char path[PATH_MAX], *buf = xmalloc(size > 0 ? size : 1);
	long i, done = 0;
	int r = 0;

	memset(buf, 'x', size);
	for (i = 0; i < count && now_us() < deadline; i++) {
		int64_t t0 = now_us(), us;

		if (bench_write(dir, writer, i, buf, size) < 0) {
			r = 1;
			break;
		}
		us = now_us() - t0;
		done++;
		if (write_all(out, &us, sizeof(us)) < 0) {
			r = 1;
			break;
		}
	}
	close(out); /* the parent's clock stops here, before the clean-up */
	for (i = 0; i < done; i++)
		if (xsnprintf(path, sizeof(path), "%s/new/%d.%ld", dir, writer,
			      i) >= 0)
			(void)unlink(path);
	free(buf);
	return r;
}

int
main(int argc, char **argv)
{
	char sub[PATH_MAX];
	const char *dir;
	long long size = 2048;
	long count = 100000, n = 0, cap = 4096;
	int seconds = 5, writers = 1, ch, i, failed = 0, p[2];
	int64_t *us = NULL, start, end, v;
	pid_t pids[WRITERS_MAX];
	ssize_t got;
	double wall;

	log_init("fsyncbench", 0, 0);
	while ((ch = getopt(argc, argv, "j:n:s:t:")) != -1) {
		switch (ch) {
		case 'j':
			writers = (int)number_arg("j", optarg, 1, WRITERS_MAX);
			break;
		case 'n':
			count = (long)number_arg("n", optarg, 1, 10000000);
			break;
		case 's':
			size = number_arg("s", optarg, 0, 1LL << 30);
			break;
		case 't':
			seconds = (int)number_arg("t", optarg, 1, 3600);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	dir = argv[optind];
	if (xsnprintf(sub, sizeof(sub), "%s/tmp", dir) < 0 ||
	    mkdir_p(sub, 0700) < 0)
		fatal("%s/tmp", dir);
	if (xsnprintf(sub, sizeof(sub), "%s/new", dir) < 0 ||
	    mkdir_p(sub, 0700) < 0)
		fatal("%s/new", dir);

	/* records of 8 bytes are below PIPE_BUF: writers never interleave */
	if (pipe(p) < 0)
		fatal("pipe");
	fflush(NULL);
	start = now_us();
	for (i = 0; i < writers; i++) {
		if ((pids[i] = fork()) < 0)
			fatal("fork");
		if (pids[i] == 0) {
			close(p[0]);
			_exit(writer_run(dir, i, count,
					 start + (int64_t)seconds * 1000000,
					 (size_t)size, p[1]));
		}
	}
	close(p[1]);
	us = xcalloc((size_t)cap, sizeof(*us));
	for (;;) {
		got = read(p[0], &v, sizeof(v));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			fatal("read");
		if (got == 0)
			break;
		if (got != (ssize_t)sizeof(v))
			fatalx("short record from a writer");
		if (n == cap) {
			cap *= 2;
			us = xreallocarray(us, (size_t)cap, sizeof(*us));
		}
		us[n++] = v;
	}
	end = now_us();
	for (i = 0; i < writers; i++) {
		int st;

		while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed++;
	}
	qsort(us, (size_t)n, sizeof(*us), us_cmp);
	wall = (double)(end - start) / 1e6;
	printf("writers         %d\n", writers);
	printf("size_bytes      %lld\n", size);
	printf("writes          %ld\n", n);
	printf("wall_s          %.3f\n", wall);
	printf("writes_per_s    %.1f\n", wall > 0 ? (double)n / wall : 0.0);
	printf("write_p50_ms    %.3f\n",
	       n ? (double)us[(n * 50 + 99) / 100 - 1] / 1000.0 : 0.0);
	printf("write_p99_ms    %.3f\n",
	       n ? (double)us[(n * 99 + 99) / 100 - 1] / 1000.0 : 0.0);
	printf("writers_failed  %d\n", failed);
	free(us);
	return failed > 0 ? 1 : 0;
}
