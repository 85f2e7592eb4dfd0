/*
 * cmdline.c - see cmdline.h.  getopt(3) with a leading ":" so that the
 * messages about a bad option are ours, called again past each operand.
 * It relies on message.c for the address lists and common.c for the
 * messages and the defaults; it sends nothing and reads no input.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#include "common.h"
#include "cmdline.h"
#include "message.h"

void
cmdline_init(struct cmdline *cl)
{
	memset(cl, 0, sizeof(*cl));
	secure_init(&cl->tls);
}

int
cmdline_parse(struct cmdline *cl, int argc, char **argv)
{
	char **ops;
	int ch, before, nops = 0, sendopts = 0, status = 0, i;

	cmdline_init(cl);
	if ((argc = secure_options(&cl->tls, argc, argv, "Hpufscba")) < 0)
		return EX_USAGE;
	ops = xreallocarray(NULL, (size_t)argc + 1, sizeof(*ops));
	/*
	 * POSIX getopt stops at the first operand: take it as a recipient
	 * and go on, so options may follow recipients.  A "--" is what
	 * moved optind without an option: all that follows are recipients.
	 */
	while (status == 0 && optind < argc) {
		before = optind;
		ch = getopt(argc, argv, ":H:p:u:f:s:c:b:a:tvi");
		if (ch == -1) {
			if (optind > before) { /* "--" */
				while (optind < argc)
					ops[nops++] = argv[optind++];
				break;
			}
			ops[nops++] = argv[optind++];
			continue;
		}
		sendopts += strchr("ufscbta", ch) != NULL;
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
		case 'a':
			cl->attach = xreallocarray(cl->attach,
						   (size_t)cl->nattach + 1,
						   sizeof(*cl->attach));
			cl->attach[cl->nattach++] = optarg;
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
	/* the operands, in their order, at the end of argv */
	for (i = 0; i < nops; i++)
		argv[argc - nops + i] = ops[i];
	free(ops);
	if (status != 0)
		return status;
	/* the walk-through asks for everything else itself */
	if (cl->interactive && (sendopts || nops > 0))
		return mailc_usage();
	if (cl->interactive &&
	    (cl->tls.mode != SECURE_UNSET || cl->tls.ca != NULL ||
	     cl->tls.insecure >= 0 || cl->tls.auth_plaintext >= 0)) {
		mailc_warnx("-i speaks HELO in clear: the TLS options are for "
			    "sending a message from a pipe");
		return EX_USAGE;
	}
	cl->rcpts = argv + argc - nops;
	cl->nrcpts = nops;
	return 0;
}

void
cmdline_free(struct cmdline *cl)
{
	msg_addrs_free(&cl->cc);
	msg_addrs_free(&cl->bcc);
	free(cl->attach);
	cl->attach = NULL;
	cl->nattach = 0;
}
