/*
 * main.c - mailc's entry point: picks the mode from the command line and
 * runs it.  The helpers every mode shares are common.c's.
 *
 *   mailc inbox|read|fetch ...   reading mail over POP3 (inbox.c, read.c,
 *                                fetch.c; a table below)
 *   mailc -i, or no arguments on a terminal: the interactive walk-through
 *   mailc [options] rcpt... < message: send (send.c; -i there too)
 *
 * It does not talk to any server itself.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#include "common.h"
#include "fetch.h"
#include "inbox.h"
#include "interactive.h"
#include "read.h"
#include "send.h"

/* Subcommands: the first argument names one, the rest are its own. */
struct subcmd {
	const char *name;
	int (*main)(int argc, char **argv); /* argv[0] is the name */
};

static const struct subcmd subcmds[] = {
    {"inbox", inbox_main},
    {"read", read_main},
    {"fetch", fetch_main},
};

int
main(int argc, char **argv)
{
	size_t i;

	log_init("mailc", 0, 0);
	/* a server that hangs up must give us EPIPE, not kill us */
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1)
		for (i = 0; i < nitems(subcmds); i++)
			if (strcmp(argv[1], subcmds[i].name) == 0)
				return subcmds[i].main(argc - 1, argv + 1);
	if (argc == 1 && isatty(STDIN_FILENO))
		return interactive_main(mailc_env_host(), mailc_env_port());
	return send_main(argc, argv);
}
