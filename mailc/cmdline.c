/*
 * cmdline.c - see cmdline.h.  getopt(3) with a leading ":" so that the
 * messages about a bad option are ours.  It relies on message.c for the
 * address lists and common.c for the messages and the defaults; it
 * sends nothing and reads no input.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "cmdline.h"
#include "message.h"

void
cmdline_init(struct cmdline *cl)
{
	memset(cl, 0, sizeof(*cl));
}

int
cmdline_parse(struct cmdline *cl, int argc, char **argv)
{
	int ch, sendopts = 0, status = 0;

	cmdline_init(cl);
	while (status == 0 &&
	       (ch = getopt(argc, argv, ":H:p:u:f:s:c:b:tvi")) != -1) {
		sendopts += strchr("ufscbt", ch) != NULL;
		switch (ch) {
		case 'H':
			cl->host = optarg;
			break;
		case 'p':
			cl->port = optarg;
			break;
		case 'u':
			cl->user = optarg;
			break;
		case 'f':
			cl->from = optarg;
			break;
		case 's':
			cl->subject = optarg;
			break;
		case 'c':
			if (msg_addrs_parse(&cl->cc, optarg, "-c") < 0)
				status = EX_DATAERR;
			break;
		case 'b':
			if (msg_addrs_parse(&cl->bcc, optarg, "-b") < 0)
				status = EX_DATAERR;
			break;
		case 't':
			cl->extract = 1;
			break;
		case 'v':
			cl->trace = stderr;
			break;
		case 'i':
			cl->interactive = 1;
			break;
		case ':':
			mailc_warnx("option -%c needs a value", optopt);
			status = mailc_usage();
			break;
		default:
			mailc_warnx("unknown option -%c", optopt);
			status = mailc_usage();
			break;
		}
	}
	if (status != 0)
		return status;
	/* the walk-through asks for everything else itself */
	if (cl->interactive && (sendopts || optind < argc))
		return mailc_usage();
	cl->rcpts = argv + optind;
	cl->nrcpts = argc - optind;
	return 0;
}

void
cmdline_free(struct cmdline *cl)
{
	msg_addrs_free(&cl->cc);
	msg_addrs_free(&cl->bcc);
}
