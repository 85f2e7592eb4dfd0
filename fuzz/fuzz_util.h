/*
 * fuzz_util.h - helpers shared by the libFuzzer harnesses (fuzz/fuzz_*.c):
 * CHECK() for invariants, one private temporary directory per process
 * (removed at exit, and on a crash), file and tree helpers, and
 * descriptors that can never block a run: the input is written into a
 * pipe whose write end is closed at once (so readers see EOF, never a
 * wait), and output goes to /dev/null.  Not a harness itself.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

/* include this first: F_SETPIPE_SZ is a Linux extension */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sanitizer/common_interface_defs.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * An invariant: on failure say which, where the sanitizers report (that
 * still works with -close_fd_mask=2, which hides stderr), and abort so
 * libFuzzer saves the input.  Never compiled out, unlike assert().
 */
#define CHECK(expr)                                                            \
	do {                                                                   \
		if (!(expr))                                                   \
			fuzz_check_failed(#expr, __FILE__, __LINE__);          \
	} while (0)

static char fuzz_dir[PATH_MAX];

static inline void fuzz_dir_remove(void);

static inline _Noreturn void
fuzz_check_failed(const char *expr, const char *file, int line)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "fuzz CHECK failed: %s at %s:%d", expr, file,
		 line);
	__sanitizer_report_error_summary(msg);
	fuzz_dir_remove(); /* abort() skips atexit() */
	abort();
}

/* remove everything below path, and path itself unless keep_top */
static inline void
fuzz_rm_tree(const char *path, int keep_top)
{
	char sub[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (snprintf(sub, sizeof(sub), "%s/%s", path,
				     de->d_name) < (int)sizeof(sub))
				fuzz_rm_tree(sub, 0);
		}
		closedir(d);
		if (!keep_top)
			rmdir(path);
	} else if (!keep_top)
		unlink(path);
}

static inline void
fuzz_dir_remove(void)
{
	if (fuzz_dir[0])
		fuzz_rm_tree(fuzz_dir, 0);
}

/* make the process's temporary directory (on tmpfs when there is one) */
static inline const char *
fuzz_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	struct stat st;

	if (fuzz_dir[0])
		return fuzz_dir;
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
	    access("/dev/shm", W_OK) == 0)
		base = "/dev/shm";
	else if (base == NULL || base[0] == '\0')
		base = "/tmp";
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/smtpd-fuzz.XXXXXX", base);
	if (mkdtemp(fuzz_dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	atexit(fuzz_dir_remove);
	__sanitizer_set_death_callback(fuzz_dir_remove); /* ASan, LSan, UBSan */
	return fuzz_dir;
}

/* the path of name inside the temporary directory */
static inline const char *
fuzz_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", fuzz_tmpdir(), name);
	return buf;
}

static inline void
fuzz_write_file(const char *path, const void *data, size_t size)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || (size > 0 && fwrite(data, 1, size, fp) != size) ||
	    fclose(fp) != 0) {
		perror(path);
		abort();
	}
}

/*
 * A descriptor to read data from, at EOF after it: a pipe holding the
 * data with its write end closed, or, for data larger than the pipe can
 * take (64 KB; up to 1 MB on Linux), an unlinked file.  Neither blocks.
 */
static inline int
fuzz_input_fd(const void *data, size_t size)
{
	char path[PATH_MAX];
	int p[2], fd;

	if (pipe(p) < 0) {
		perror("pipe");
		abort();
	}
#ifdef F_SETPIPE_SZ
	if (size > 65536)
		(void)fcntl(p[1], F_SETPIPE_SZ,
			    (int)(size < 1048576 ? size : 1048576));
#endif
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	if (size == 0 || write(p[1], data, size) == (ssize_t)size) {
		close(p[1]);
		return p[0];
	}
	close(p[0]);
	close(p[1]);
	fuzz_write_file(fuzz_path(path, sizeof(path), "input"), data, size);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		abort();
	unlink(path);
	return fd;
}

/* /dev/null for writing: output that never blocks and is never kept */
static inline int
fuzz_null_fd(void)
{
	static int fd = -1;

	if (fd < 0 && (fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
		perror("/dev/null");
		abort();
	}
	return fd;
}

#endif
