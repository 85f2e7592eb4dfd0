/*
 * main.c - mailc's entry point: picks the mode from the command line and
 * runs it.
 *
 *   mailc inbox|read|fetch ...   reading mail over POP3: inbox.c, read.c,
 *                                fetch.c (a table below)
 *   mailc -i, or no arguments on a terminal: interactive.c (-i without
 *                                a terminal on stdin is an error: the
 *                                message piped in would be lost)
 *   mailc --help | --version     common.c
 *   mailc [options] rcpt... < message: send.c
 *   run as sendmail: sendmail.c, sendmail's command line
 *   mailc flush                  the outbox: flush.c, outbox.c
 *
 * It talks to no server and parses no more of the command line than it
 * takes to choose: the sending command line, which -i belongs to, is
 * cmdline.c's, each reading mode's its own.  The helpers every mode
 * shares are common.c's.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#include "cmdline.h"
#include "common.h"
#include "config.h"
#include "fetch.h"
#include "flush.h"
#include "inbox.h"
#include "interactive.h"
#include "read.h"
#include "send.h"
#include "secure.h"
#include "sendmail.h"

/* Subcommands: the first argument names one, the rest are its own. */
struct subcmd {
	const char *name;
	int (*main)(int argc, char **argv); /* argv[0] is the name */
};

static const struct subcmd subcmds[] = {
    {"inbox", inbox_main},
    {"read", read_main},
    {"fetch", fetch_main},
    {"flush", flush_main},
};

int
main(int argc, char **argv)
{
	struct cmdline cl;
	size_t i;
	int status;

	log_init("mailc", 0, 0);
	/* a server that hangs up must give us EPIPE, not kill us */
	signal(SIGPIPE, SIG_IGN);
	if (sendmail_is_name(argv[0]))
		return sendmail_main(argc, argv);
	if (argc > 1)
		for (i = 0; i < nitems(subcmds); i++)
			if (strcmp(argv[1], subcmds[i].name) == 0)
				return subcmds[i].main(argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		return mailc_help();
	if (argc == 2 && strcmp(argv[1], "--version") == 0)
		return mailc_version();
	if (argc == 1 && isatty(STDIN_FILENO)) {
		memset(&cl, 0, sizeof(cl));
		cl.interactive = 1;
		status = 0;
	} else
		status = cmdline_parse(&cl, argc, argv);
	if (status == 0 && cl.interactive && !isatty(STDIN_FILENO)) {
		/* a piped message read as the answers would be lost */
		mailc_warnx("-i needs a terminal on stdin; to send a message "
			    "from a pipe, name the recipients: mailc rcpt... "
			    "< message");
		status = EX_USAGE;
	}
	if (status == 0 && cl.interactive &&
	    (status = config_apply(&cl)) == 0)
		status = secure_clear_only(&cl.tls, "-i");
	if (status == 0)
		status = cl.interactive ? interactive_main(cl.host, cl.port)
					: send_main(&cl);
	cmdline_free(&cl);
	return status;
}
