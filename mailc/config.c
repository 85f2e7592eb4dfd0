/*
 * config.c - see config.h.  Reads at most two small files, each line
 * bounded, and checks each value as it is read so that an error can
 * name its file and line.  It relies on common.c for the host and port
 * checks and the messages; it runs no command (password.c runs
 * password_command) and talks to no server.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#include "cmdline.h"
#include "common.h"
#include "config.h"
#include "secure.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/usr/local/etc"
#endif

#define CONFIG_LINE_MAX 1024

enum {
	C_HOST,
	C_PORT,
	C_USER,
	C_PASSCMD,
	C_FROM,
	C_DOMAIN,
	C_TLS,
	C_TLS_CA,
	C_TLS_INSECURE,
	C_AUTH_PLAINTEXT,
	C_N
};

/* the settings: their names in a file and in the environment */
static const struct {
	const char *name, *env;
	int (*check)(const char *); /* NULL: any non-empty value */
} settings[C_N] = {
    [C_HOST] = {"host", "MAILC_HOST", mailc_check_host},
    [C_PORT] = {"port", "MAILC_PORT", mailc_check_port},
    [C_USER] = {"user", "MAILC_USER", NULL},
    [C_PASSCMD] = {"password_command", "MAILC_PASSWORD_COMMAND", NULL},
    [C_FROM] = {"from", "MAILC_FROM", NULL},
    [C_DOMAIN] = {"domain", "MAILC_DOMAIN", mailc_check_host},
    [C_TLS] = {"tls", "MAILC_TLS", secure_check_mode},
    [C_TLS_CA] = {"tls_ca", "MAILC_TLS_CA", NULL},
    [C_TLS_INSECURE] = {"tls_insecure", "MAILC_TLS_INSECURE",
			secure_check_yesno},
    [C_AUTH_PLAINTEXT] = {"auth_plaintext", "MAILC_AUTH_PLAINTEXT",
			  secure_check_yesno},
};

/* what the files say; kept for the life of the process */
static char *file_values[C_N];
static int read_done; /* the files are read once a process (config_apply) */

/* 0 when fp (opened from path) may be trusted; else -1 after a message */
static int
config_check_owner(FILE *fp, const char *path)
{
	struct stat st;

	if (fstat(fileno(fp), &st) < 0) {
		mailc_warn("%s", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		mailc_warnx("%s: not a regular file", path);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != getuid()) {
		mailc_warnx("%s: owned by uid %ld, neither root nor you: "
			    "refused",
			    path, (long)st.st_uid);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		mailc_warnx("%s: writable by others than its owner: refused "
			    "(chmod go-w %s)",
			    path, path);
		return -1;
	}
	return 0;
}

/* one line, trailing white space gone: 0 or -1 after a message */
static int
config_line(char *line, const char *path, int lineno)
{
	char *key, *val, *end;
	int i;

	for (key = line; *key == ' ' || *key == '\t'; key++)
		;
	if (*key == '\0' || *key == '#')
		return 0;
	for (val = key; *val && *val != ' ' && *val != '\t'; val++)
		;
	end = val;
	while (*val == ' ' || *val == '\t')
		val++;
	*end = '\0';
	for (i = 0; i < C_N; i++)
		if (strcmp(key, settings[i].name) == 0)
			break;
	if (i == C_N) {
		mailc_warnx("%s:%d: unknown setting \"%.80s\"", path, lineno,
			    key);
		return -1;
	}
	if (*val == '\0') {
		mailc_warnx("%s:%d: %s needs a value", path, lineno, key);
		return -1;
	}
	if (settings[i].check != NULL && settings[i].check(val) < 0) {
		mailc_warnx("%s:%d: bad %s", path, lineno, key);
		return -1;
	}
	free(file_values[i]);
	file_values[i] = xstrdup(val);
	return 0;
}

/* read path if it exists; 0, or -1 after a message */
static int
config_read(const char *path)
{
	char line[CONFIG_LINE_MAX];
	size_t len;
	int lineno = 0, r = 0, got;
	FILE *fp;

	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		mailc_warn("%s", path);
		return -1;
	}
	if (config_check_owner(fp, path) < 0) {
		fclose(fp);
		return -1;
	}
	while (r == 0 &&
	       (got = file_read_line(fp, line, sizeof(line), &len)) != 0) {
		lineno++;
		if (got < 0) {
			mailc_warnx("%s:%d: line too long (at most %d bytes)",
				    path, lineno, CONFIG_LINE_MAX - 2);
			r = -1;
		} else if (strlen(line) != len) {
			mailc_warnx("%s:%d: NUL byte", path, lineno);
			r = -1;
		} else {
			while (len > 0 && strchr(" \t\r\n", line[len - 1]))
				line[--len] = '\0';
			r = config_line(line, path, lineno);
		}
	}
	if (r == 0 && ferror(fp)) {
		mailc_warn("%s", path);
		r = -1;
	}
	fclose(fp);
	return r;
}

/* the user's file: ~/.mailcrc when it exists, else the XDG one */
static int
config_user_path(char *buf, size_t size)
{
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
	struct passwd *pw;

	if ((home == NULL || *home != '/') && (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (home != NULL && *home == '/' &&
	    xsnprintf(buf, size, "%s/.mailcrc", home) >= 0 &&
	    access(buf, F_OK) == 0)
		return 0;
	/* XDG Base Directory: a relative value is to be ignored */
	if (xdg != NULL && *xdg == '/')
		return xsnprintf(buf, size, "%s/mailc/config", xdg) < 0 ? -1
									: 0;
	if (home == NULL || *home != '/')
		return -1;
	return xsnprintf(buf, size, "%s/.config/mailc/config", home) < 0 ? -1
									 : 0;
}

#ifdef FUZZING
/* fuzz/fuzz_mailc_config.c: forget what was read, to read a new file */
void
config_reset(void)
{
	int i;

	for (i = 0; i < C_N; i++) {
		free(file_values[i]);
		file_values[i] = NULL;
	}
	read_done = 0;
}
#endif

/* read the files, once a process; 0 or EX_CONFIG after a message */
static int
config_read_all(void)
{
	const char *sys = getenv("MAILC_SYSTEM_CONF");
	char user[4096];

	if (sys == NULL || *sys == '\0')
		sys = SYSCONFDIR "/mailc.conf";
	/* once: a second call (sendmail's, then send_main's) must not free
	 * the values the first one handed out */
	if (!read_done &&
	    (config_read(sys) < 0 ||
	     (config_user_path(user, sizeof(user)) == 0 &&
	      config_read(user) < 0)))
		return EX_CONFIG;
	read_done = 1;
	return 0;
}

/* setting i: the environment's, else the files', else NULL */
static const char *
config_value(int i)
{
	const char *v = getenv(settings[i].env);

	return v != NULL && *v != '\0' ? v : file_values[i];
}

/* the TLS settings into what s lacks; 0 or EX_CONFIG after a message */
static int
config_secure_values(struct secure *s)
{
	static const int checked[] = {C_TLS, C_TLS_INSECURE,
				      C_AUTH_PLAINTEXT};
	const char *v;
	size_t i;

	/* the files' values are checked as read; the environment's here */
	for (i = 0; i < nitems(checked); i++)
		if ((v = config_value(checked[i])) != NULL &&
		    settings[checked[i]].check(v) < 0) {
			mailc_warnx("bad %s", settings[checked[i]].env);
			return EX_CONFIG;
		}
	secure_settings(s, config_value(C_TLS), config_value(C_TLS_CA),
			config_value(C_TLS_INSECURE),
			config_value(C_AUTH_PLAINTEXT));
	return 0;
}

int
config_secure(struct secure *s)
{
	int status;

	if ((status = config_read_all()) != 0)
		return status;
	return config_secure_values(s);
}

int
config_apply(struct cmdline *cl)
{
	const char **dst[C_DOMAIN] = {&cl->host, &cl->port, &cl->user,
				      &cl->password_command, &cl->from};
	const char *v;
	int i, status;

	if ((status = config_read_all()) != 0)
		return status;
	for (i = 0; i < C_DOMAIN; i++)
		if (*dst[i] == NULL) /* else an option */
			*dst[i] = config_value(i);
	if ((v = config_value(C_DOMAIN)) != NULL) {
		if (mailc_check_host(v) < 0)
			return EX_CONFIG;
		mailc_set_domain(v);
	}
	if ((status = config_secure_values(&cl->tls)) != 0)
		return status;
	if (cl->host == NULL)
		cl->host = MAILC_DEFAULT_HOST;
	if (cl->port == NULL)
		cl->port = secure_mode(&cl->tls) == SECURE_IMPLICIT
			       ? MAILC_DEFAULT_SMTPS_PORT
			       : MAILC_DEFAULT_PORT;
	return 0;
}
