/*
 * flush.c - see flush.h.  Parses its options, takes the settings from
 * config.c, the password from send.c (only when something waits, so
 * that a cron job with nothing to do asks for nothing), and hands the
 * outbox (outbox.c) send.c's transaction.  It sends nothing itself.
 */
#include <string.h>
#include <unistd.h>

#include "util.h"

#include "cmdline.h"
#include "common.h"
#include "config.h"
#include "flush.h"
#include "outbox.h"
#include "password.h"
#include "secure.h"
#include "send.h"

int
flush_main(int argc, char **argv)
{
	struct cmdline cl;
	char pass[PASSWORD_MAX + 1];
	int ch, status;

	cmdline_init(&cl);
	if ((argc = secure_options(&cl.tls, argc, argv, "Hpu")) < 0)
		return EX_USAGE;
	while ((ch = getopt(argc, argv, ":H:p:u:v")) != -1) {
		switch (ch) {
		case 'H':
			cl.host = optarg;
			break;
		case 'p':
			cl.port = optarg;
			break;
		case 'u':
			cl.user = optarg;
			break;
		case 'v':
			cl.trace = stderr;
			break;
		case ':':
			mailc_warnx("option -%c needs a value", optopt);
			return mailc_usage();
		default:
			mailc_warnx("unknown option -%c", optopt);
			return mailc_usage();
		}
	}
	if (optind < argc)
		return mailc_usage();
	if ((status = config_apply(&cl)) != 0)
		return status;
	if (mailc_check_host(cl.host) < 0 || mailc_check_port(cl.port) < 0)
		return EX_USAGE;
	if (!outbox_waiting())
		return 0;
	if ((status = send_password(&cl, pass, sizeof(pass))) == 0)
		status = outbox_flush(&cl, pass, 1, send_session);
	wipe(pass, sizeof(pass));
	return status;
}
