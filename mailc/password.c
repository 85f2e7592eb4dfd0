/*
 * password.c - see password.h.  The terminal is /dev/tty, not stdin
 * (stdin carries the message).  Echo is turned off with termios and
 * turned back on on every way out, including a signal: the signal is
 * caught, the terminal restored, and the signal raised again with the
 * old disposition (as readpassphrase(3) does).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "util.h"

#include "common.h"
#include "password.h"

static volatile sig_atomic_t password_signal;

static void
password_catch(int sig)
{
	password_signal = sig;
}

/* 0; -1 without a terminal; -2 on end of input or a signal; -3 too long */
static int
password_ask(const char *prompt, char *buf, size_t size)
{
	static const int sigs[] = {SIGINT, SIGHUP, SIGQUIT, SIGTERM};
	struct sigaction sa, saved[nitems(sigs)];
	struct termios old, quiet;
	size_t n = 0, i;
	int fd, echo_off = 0, r = -2;
	ssize_t got;
	char c;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return -1;
	password_signal = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = password_catch; /* no SA_RESTART: read() returns */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < nitems(sigs); i++)
		sigaction(sigs[i], &sa, &saved[i]);
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		echo_off = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	(void)write_all(fd, prompt, strlen(prompt));
	while (!password_signal) {
		got = read(fd, &c, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		if (c == '\n' || c == '\r') {
			r = 0;
			break;
		}
		if (n + 1 >= size) {
			r = -3;
			break;
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	wipe(&c, sizeof(c));
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old);
	if (r != 0)
		(void)write_all(fd, "\n", 1); /* Enter was not echoed */
	close(fd);
	for (i = 0; i < nitems(sigs); i++)
		sigaction(sigs[i], &saved[i], NULL);
	if (password_signal) {
		wipe(buf, size);
		raise(password_signal);
		return -2; /* the old disposition ignored it */
	}
	if (r != 0)
		wipe(buf, size);
	return r;
}

int
password_get(const char *user, char *buf, size_t size)
{
	const char *env = getenv("MAILC_PASSWORD");
	char prompt[512];

	if (env != NULL) {
		if (strlcpy(buf, env, size) >= size) {
			wipe(buf, size);
			mailc_warnx("MAILC_PASSWORD is too long");
			return EX_USAGE;
		}
		return 0;
	}
	if (xsnprintf(prompt, sizeof(prompt), "Password for %s: ", user) < 0)
		strlcpy(prompt, "Password: ", sizeof(prompt));
	switch (password_ask(prompt, buf, size)) {
	case 0:
		return 0;
	case -1:
		mailc_warnx("no password: set MAILC_PASSWORD (there is no "
			    "terminal to ask for it on)");
		return EX_NOPERM;
	case -3:
		mailc_warnx("password too long (at most %zu bytes)", size - 1);
		return EX_NOPERM;
	default:
		mailc_warnx("no password given");
		return EX_NOPERM;
	}
}

int
password_command(const char *cmd, char *buf, size_t size)
{
	char chunk[512];
	size_t n = 0;
	ssize_t got;
	int fds[2], wstatus, done = 0, toolong = 0, any = 0, devnull;
	pid_t pid;

	if (pipe(fds) < 0) {
		mailc_warn("password_command");
		return EX_OSERR;
	}
	/* the command gets its stdout, not our descriptors */
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	if ((pid = fork()) < 0) {
		mailc_warn("password_command");
		close(fds[0]);
		close(fds[1]);
		return EX_OSERR;
	}
	if (pid == 0) {
		if ((devnull = open("/dev/null", O_RDONLY)) >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	/* keep the first line; read the rest to its end so cmd never blocks */
	while ((got = read(fds[0], chunk, sizeof(chunk))) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		any = 1;
		for (ssize_t i = 0; i < got && !done; i++) {
			if (chunk[i] == '\n')
				done = 1;
			else if (n + 1 < size)
				buf[n++] = chunk[i];
			else
				toolong = done = 1;
		}
	}
	wipe(chunk, sizeof(chunk));
	close(fds[0]);
	buf[n] = '\0';
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0 || !any ||
	    toolong) {
		wipe(buf, size);
		if (toolong)
			mailc_warnx("password_command: password too long (at "
				    "most %zu bytes)",
				    size - 1);
		else if (!any && WIFEXITED(wstatus) && !WEXITSTATUS(wstatus))
			mailc_warnx("password_command: no output");
		else if (WIFEXITED(wstatus))
			mailc_warnx("password_command failed (exit status %d)",
				    WEXITSTATUS(wstatus));
		else
			mailc_warnx("password_command failed (signal %d)",
				    WTERMSIG(wstatus));
		return EX_NOPERM;
	}
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}
