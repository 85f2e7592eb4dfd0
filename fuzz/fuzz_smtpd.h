/*
 * fuzz_smtpd.h - a small daemon state for the session harnesses
 * (fuzz_smtp_session.c, fuzz_pop3_session.c): a config file, an accounts
 * file, a Maildir skeleton, mailboxes and a queue, all inside the
 * harness's temporary directory, loaded with the real conf_load and
 * passwd_load.  Mail is for example.org (alice, bob) and example.net;
 * routes are not set and verify_recipients is off, so nothing ever
 * connects out.  It defines LLVMFuzzerInitialize, which sets d and
 * out_fd.  Not a harness itself; include fuzz_util.h first.
 */
#ifndef FUZZ_SMTPD_H
#define FUZZ_SMTPD_H

#include "log.h"
#include "store/queue.h"
#include "smtpd.h"

static struct smtpd fz_smtpd;

static const char fz_conf_text[] =
    "hostname mx.example.org\n"
    "listen smtp 127.0.0.1:2525\n"
    "listen submission 127.0.0.1:2587\n"
    "listen pop3 127.0.0.1:2110\n"
    "domain example.org example.net\n"
    "passwd passwd\n"
    "mailbox mail/%d/%u\n"
    "maildir_skel skel\n"
    "queue queue\n"
    "max_message_size 2K\n" /* small, so 552 is in reach */
    "max_recipients 2\n"
    "timeout 1\n"
    "pop3_timeout 1\n";

static const char fz_passwd_text[] = "alice@example.org:{PLAIN}alicepw\n"
				     "bob@example.org:{PLAIN}bobpw\n"
				     "Carol.Smith@example.net:{PLAIN}carolpw\n";

static inline void
fz_mkdir(const char *name)
{
	char path[PATH_MAX];

	if (mkdir(fuzz_path(path, sizeof(path), name), 0700) < 0 &&
	    errno != EEXIST)
		abort();
}

/* build the tree, load config and accounts; logs verbose (to stderr) */
static inline struct smtpd *
fz_smtpd_setup(void)
{
	char path[PATH_MAX];

	fz_mkdir("skel");
	fz_mkdir("skel/cur");
	fz_mkdir("skel/new");
	fz_mkdir("skel/tmp");
	fz_mkdir("mail");
	fuzz_write_file(fuzz_path(path, sizeof(path), "passwd"), fz_passwd_text,
			sizeof(fz_passwd_text) - 1);
	fuzz_write_file(fuzz_path(path, sizeof(path), "smtpd.conf"),
			fz_conf_text, sizeof(fz_conf_text) - 1);
	log_init("smtpd", 0, 1);
	if (conf_load(path, &fz_smtpd.conf) < 0 ||
	    passwd_load(&fz_smtpd.accounts, fz_smtpd.conf.passwd) != 0 ||
	    queue_init(fz_smtpd.conf.queue) < 0)
		abort();
	return &fz_smtpd;
}

/* regular files under path whose directory is named dirname */
static inline int
fz_count(const char *path, const char *dirname)
{
	char sub[PATH_MAX];
	const char *base = strrchr(path, '/');
	struct dirent *de;
	struct stat st;
	int n = 0;
	DIR *d;

	if ((d = opendir(path)) == NULL)
		return 0;
	base = base ? base + 1 : path;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' &&
		    (de->d_name[1] == '\0' || strcmp(de->d_name, "..") == 0))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (lstat(sub, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			n += fz_count(sub, dirname);
		else if (S_ISREG(st.st_mode) && strcmp(base, dirname) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static inline int
fz_count_in(const char *name, const char *dirname)
{
	char path[PATH_MAX];

	return fz_count(fuzz_path(path, sizeof(path), name), dirname);
}

/* forget every message: empty the mailboxes and the queue */
static inline void
fz_smtpd_clean(void)
{
	char path[PATH_MAX];

	fuzz_rm_tree(fuzz_path(path, sizeof(path), "mail"), 1);
	fuzz_rm_tree(fuzz_path(path, sizeof(path), "queue/tmp"), 1);
	fuzz_rm_tree(fuzz_path(path, sizeof(path), "queue/data"), 1);
	fuzz_rm_tree(fuzz_path(path, sizeof(path), "queue/env"), 1);
	fuzz_rm_tree(fuzz_path(path, sizeof(path), "queue/verify"), 0);
}

/* an unlinked file for a session's replies: writes never block */
static inline int
fz_output_fd(void)
{
	char path[PATH_MAX];
	int fd;

	fuzz_path(path, sizeof(path), "replies");
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		abort();
	unlink(path);
	return fd;
}

/* the replies written to fd since it was last reset, NUL-terminated */
static inline char *
fz_output(int fd, size_t *len)
{
	off_t end = lseek(fd, 0, SEEK_CUR);
	char *buf = malloc((size_t)end + 1);

	CHECK(end >= 0 && pread(fd, buf, (size_t)end, 0) == (ssize_t)end);
	buf[end] = '\0';
	*len = (size_t)end;
	return buf;
}

static inline void
fz_output_reset(int fd)
{
	CHECK(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0);
}

/* the daemon state and the reply file every session harness uses */
static struct smtpd *d;
static int out_fd;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	d = fz_smtpd_setup();
	out_fd = fz_output_fd();
	return 0;
}

#endif
