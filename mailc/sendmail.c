/*
 * sendmail.c - mailc run under the name sendmail (a link that `make
 * install` makes): the command line of Postfix's sendmail(1), so that
 * cron, PHP, mail(1), s-nail and git send mail through mailc unchanged.
 *
 *   sendmail [-ti] [-f sender] [-F name] [-o...] [--] [rcpt ...] < msg
 *   sendmail -bs        SMTP on stdin/stdout, forwarded to the server
 *
 * The message is read first, whole, into an unlinked temporary file
 * (without -i a line holding a single dot ends it, as sendmail does),
 * then handed to send_main() (send.c) as its stdin.  When that fails
 * and the message was not put in the outbox, it is appended to
 * ~/dead.letter (mbox format, as mail(1) does) so that nothing typed is
 * lost; a message the outbox took is accepted: exit 0, as Postfix's
 * sendmail exits once its queue has the message.
 *
 * It composes no header and speaks no SMTP command itself: send.c and
 * message.c do.  -bs only copies bytes both ways.  Modes that need a
 * queue or aliases (-bp, -bi, -bd, -q, -I, ...) are refused with
 * EX_USAGE, never pretended.  Relies on common.c for the messages and
 * the defaults, cmdline.h for what send_main() takes, lib/net for -bs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "util.h"

#include "cmdline.h"
#include "common.h"
#include "config.h"
#include "input.h"
#include "message.h"
#include "send.h"
#include "secure.h"
#include "sendmail.h"
#include "smtp.h"

/* -bs: seconds without a byte either way before we give up (RFC 5321
 * §4.5.3.2.7: a server waits 5 minutes for the next command) */
#define SENDMAIL_BS_IDLE 600

struct sendmail_opts {
	int mode;     /* the letter after -b: 'm' (send) or 's' (SMTP) */
	int dots;     /* a lone "." ends the message (no -i / -oi) */
};

int
sendmail_is_name(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	return strcmp(base != NULL ? base + 1 : argv0, "sendmail") == 0;
}

static int
sendmail_usage(void)
{
	fputs("usage: sendmail [-ti] [-f sender] [-F full_name] [-B type] "
	      "[-o option] [--] rcpt ... < message\n"
	      "       sendmail -bs\n",
	      stderr);
	return EX_USAGE;
}

/*
 * -o letters: Postfix ignores all but -oi and -oF (-o7, -o8, -om,
 * -oem, -odb, -oQ... belong to other sendmails or to Postfix's queue).
 */
static void
sendmail_o(struct cmdline *cl, struct sendmail_opts *so, const char *arg)
{
	if (strcmp(arg, "i") == 0)
		so->dots = 0;
	else if (arg[0] == 'F' && arg[1] != '\0')
		cl->fullname = arg + 1;
}

/* the option letters, as Postfix's sendmail(1) lists them */
static int
sendmail_parse(struct cmdline *cl, struct sendmail_opts *so, int argc,
	       char **argv)
{
	int ch, i;

	so->mode = 'm';
	so->dots = 1;
	/* "+": options end at the first operand, as sendmail's do */
	while ((ch = getopt(
		    argc, argv,
		    "+:B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:q:r:tvx")) != -1) {
		switch (ch) {
		case 'F':
			cl->fullname = optarg;
			break;
		case 'f':
		case 'r':
			cl->from = optarg;
			break;
		case 'i':
			so->dots = 0;
			break;
		case 'o':
			sendmail_o(cl, so, optarg);
			break;
		case 't':
			cl->extract = 1;
			break;
		case 'v':
			cl->trace = stderr;
			break;
		case 'b':
			if (strcmp(optarg, "m") != 0 &&
			    strcmp(optarg, "s") != 0) {
				mailc_warnx("sendmail -b%s: not supported "
					    "(only -bm and -bs are)",
					    optarg);
				return EX_USAGE;
			}
			so->mode = *optarg;
			break;
		case 'I':
		case 'q':
			mailc_warnx("sendmail -%c: not supported: mailc keeps "
				    "no queue or aliases of its own",
				    ch);
			return EX_USAGE;
		/*
		 * Accepted and ignored, as Postfix ignores them or as they
		 * concern its queue: -B body type (the message goes as it
		 * is), -N/-R/-V delivery status notifications, -C/-O/-X/-L
		 * its configuration and logging, -U initial submission,
		 * -G, -c, -e, -h, -m, -n, -p, -x.
		 */
		case 'B':
		case 'C':
		case 'G':
		case 'L':
		case 'N':
		case 'O':
		case 'R':
		case 'U':
		case 'V':
		case 'X':
		case 'c':
		case 'e':
		case 'h':
		case 'm':
		case 'n':
		case 'p':
		case 'x':
			break;
		case ':':
			mailc_warnx("sendmail: option -%c needs a value",
				    optopt);
			return sendmail_usage();
		default:
			mailc_warnx("sendmail: unknown option -%c", optopt);
			return sendmail_usage();
		}
	}
	/* an option after a recipient would be taken for one and lost */
	if (optind == 1 || strcmp(argv[optind - 1], "--") != 0)
		for (i = optind; i < argc; i++)
			if (argv[i][0] == '-') {
				mailc_warnx("sendmail: %s after the "
					    "recipients: options come first "
					    "(or give -- before a recipient "
					    "that starts with -)",
					    argv[i]);
				return sendmail_usage();
			}
	cl->rcpts = argv + optind;
	cl->nrcpts = argc - optind;
	return 0;
}

/* an unlinked temporary file in $TMPDIR: its descriptor, or -1 */
static int
sendmail_tmpfile(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if (xsnprintf(path, sizeof(path), "%s/sendmail.XXXXXX", dir) < 0) {
		mailc_warnx("TMPDIR too long");
		return -1;
	}
	if ((fd = mkstemp(path)) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || unlink(path) < 0) {
		mailc_warn("temporary file in %s", dir);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * stdin into *fd, up to a line holding a single dot when dots (CRLF or
 * LF), and no further than MSG_SIZE_MAX: the rest is never read.
 */
static int
sendmail_read(int dots, int *fd)
{
	struct input in;
	char line[MSG_LINE_MAX];
	size_t len;
	long long total = 0;
	enum input_status st;
	int bol = 1;

	if ((*fd = sendmail_tmpfile()) < 0)
		return EX_IOERR;
	input_init(&in, STDIN_FILENO);
	while ((st = input_line(&in, line, sizeof(line), &len)) > 0) {
		if (dots && bol &&
		    (strcmp(line, ".\n") == 0 || strcmp(line, ".\r\n") == 0))
			break;
		bol = st == INPUT_LINE;
		if ((total += (long long)len) > MSG_SIZE_MAX) {
			mailc_warnx("message too big: more than %lld MiB",
				    MSG_SIZE_MAX / (1024 * 1024));
			return EX_DATAERR;
		}
		if (write_all(*fd, line, len) < 0) {
			mailc_warn("writing the temporary file");
			return EX_IOERR;
		}
	}
	if (st == INPUT_ERROR) {
		mailc_warn("reading the message");
		return EX_IOERR;
	}
	if (lseek(*fd, 0, SEEK_SET) < 0 || dup2(*fd, STDIN_FILENO) < 0) {
		mailc_warn("rewinding the temporary file");
		return EX_IOERR;
	}
	return 0;
}

static const char *
sendmail_home(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if ((home == NULL || *home == '\0') &&
	    (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	return home != NULL && *home != '\0' ? home : NULL;
}

/*
 * Append the message in fd to ~/dead.letter as one mbox message (a
 * "From " line, ">From " quoting in the mboxrd way, LF line ends, an
 * empty line at the end), so that `mail -f ~/dead.letter` reads it.
 * Mode 0600; the file is fsync'd.
 */
static void
sendmail_dead_letter(int fd, const char *sender)
{
	char path[4096], line[MSG_LINE_MAX], date[64];
	const char *home = sendmail_home(), *p;
	struct input in;
	enum input_status st;
	size_t len;
	time_t now = time(NULL);
	int out, bol = 1, bad;
	FILE *fp;

	if (home == NULL ||
	    xsnprintf(path, sizeof(path), "%s/dead.letter", home) < 0) {
		mailc_warnx("no home directory: the message is not saved");
		return;
	}
	if (lseek(fd, 0, SEEK_SET) < 0 ||
	    (out = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW,
			0600)) < 0) {
		mailc_warn("%s: the message is not saved", path);
		return;
	}
	if ((fp = fdopen(out, "a")) == NULL) {
		mailc_warn("%s: the message is not saved", path);
		close(out);
		return;
	}
	strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", localtime(&now));
	fprintf(fp, "From %s %s\n", *sender ? sender : "MAILER-DAEMON", date);
	input_init(&in, fd);
	while ((st = input_line(&in, line, sizeof(line), &len)) > 0) {
		if (bol) {
			for (p = line; *p == '>'; p++)
				;
			if (strncmp(p, "From ", 5) == 0)
				fputc('>', fp);
		}
		if ((bol = st == INPUT_LINE) && len >= 2 &&
		    line[len - 2] == '\r') {
			line[len - 2] = '\n'; /* mbox has LF line ends */
			len--;
		}
		fwrite(line, 1, len, fp);
	}
	fputc('\n', fp);
	bad = st == INPUT_ERROR || fflush(fp) != 0 || ferror(fp) ||
	      fsync(fileno(fp)) < 0;
	if (fclose(fp) != 0 || bad)
		mailc_warn("%s: the message may not be saved whole", path);
	else
		mailc_warnx("the message is saved in %s", path);
}

/* write all of buf to a non-blocking socket, waiting at most idle s */
static int
sendmail_sock_write(int s, const char *buf, size_t len)
{
	struct pollfd pfd = {.fd = s, .events = POLLOUT};
	ssize_t n;

	while (len > 0) {
		if ((n = write(s, buf, len)) > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		else if (poll(&pfd, 1, SENDMAIL_BS_IDLE * 1000) == 0)
			return -1;
	}
	return 0;
}

/*
 * -bs: the client on stdin/stdout talks SMTP to the server, through us.
 * Bytes go both ways unchanged until the server closes (after QUIT);
 * the end of stdin is passed on as a half-close.  A server that cannot
 * be reached gets the client a 421 in the server's place.
 */
static int
sendmail_bs(const struct cmdline *cl)
{
	struct pollfd pfd[2];
	char buf[16384], err[512];
	ssize_t n;
	int s, r;

	if (mailc_check_host(cl->host) < 0 || mailc_check_port(cl->port) < 0)
		return EX_USAGE;
	if ((r = secure_clear_only(&cl->tls, "sendmail -bs")) != 0) {
		printf("421 4.7.0 TLS is required: this mode cannot give it\r\n");
		fflush(stdout);
		return r;
	}
	if ((s = net_connect(cl->host, cl->port, MAILC_TIMEOUT, err,
			     sizeof(err))) < 0) {
		mailc_warnx("%s", err);
		printf("421 4.4.1 cannot reach the mail server %s port %s\r\n",
		       cl->host, cl->port);
		fflush(stdout);
		return EX_TEMPFAIL;
	}
	pfd[0].fd = STDIN_FILENO;
	pfd[1].fd = s;
	pfd[0].events = pfd[1].events = POLLIN;
	for (;;) {
		if ((r = poll(pfd, 2, SENDMAIL_BS_IDLE * 1000)) == 0) {
			mailc_warnx("-bs: no traffic for %d seconds",
				    SENDMAIL_BS_IDLE);
			close(s);
			return EX_TEMPFAIL;
		}
		if (r < 0 && errno != EINTR) {
			mailc_warn("poll");
			break;
		}
		if (pfd[1].revents) {
			n = read(s, buf, sizeof(buf));
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0) /* the server is done: after QUIT */
				break;
			if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0) {
				mailc_warn("-bs: writing to the client");
				break;
			}
		}
		if (pfd[0].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				/* no more from the client; hear the server out
				 */
				shutdown(s, SHUT_WR);
				pfd[0].fd = -1;
			} else if (sendmail_sock_write(s, buf, (size_t)n) < 0) {
				mailc_warn("-bs: writing to the server");
				break;
			}
		}
	}
	close(s);
	return 0;
}

int
sendmail_main(int argc, char **argv)
{
	struct cmdline cl;
	struct sendmail_opts so;
	int status, fd = -1;

	memset(&so, 0, sizeof(so));
	cmdline_init(&cl);
	if ((status = sendmail_parse(&cl, &so, argc, argv)) != 0)
		goto done;
	if (so.mode == 's') {
		if (cl.nrcpts > 0 || cl.extract) {
			mailc_warnx("sendmail -bs takes no recipients");
			status = sendmail_usage();
		} else if ((status = config_apply(&cl)) == 0)
			status = sendmail_bs(&cl);
		goto done;
	}
	if (cl.nrcpts == 0 && !cl.extract) {
		mailc_warnx("sendmail: no recipients: give them, or -t");
		status = sendmail_usage();
		goto done;
	}
	/* the message first: from here on, whatever fails keeps it */
	if ((status = sendmail_read(so.dots, &fd)) != 0)
		goto done;
	/* the configuration's settings, for the default domain */
	if ((status = config_apply(&cl)) != 0) {
		sendmail_dead_letter(fd, cl.from != NULL ? cl.from : "");
		goto done;
	}
	/*
	 * A bare local name ("root", as cron and at give), on the command
	 * line or with -t in To, Cc, Bcc, is a mailbox at this host's domain
	 * (the `domain` setting, else the fully qualified host name), as
	 * sendmail qualifies it with $myorigin.
	 */
	msg_qualify_bare(mailc_domain());
	status = send_main(&cl);
	if (status != 0 && cl.queued)
		status = 0; /* in the outbox: accepted, as Postfix's queue */
	else if (status != 0)
		sendmail_dead_letter(fd, cl.from != NULL ? cl.from : "");
done:
	if (fd >= 0)
		close(fd);
	cmdline_free(&cl);
	return status;
}
