/*
 * fuzz_mailc_config.c - mailc/config.c: the input is written as the
 * system configuration file (MAILC_SYSTEM_CONF), with no user file and
 * no MAILC_* variables, and read by config_apply.  It either refuses the
 * file (EX_CONFIG, after a message naming the line) or fills every
 * setting: a host and a port that mailc's own checks take, and a domain
 * that is one.  Warnings go to stderr: run with -close_fd_mask=2.
 */
#include "fuzz_util.h"

#include <sysexits.h>

#include "cmdline.h"
#include "common.h"
#include "config.h"

static char conf_file[PATH_MAX], home[PATH_MAX];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *vars[] = {"MAILC_HOST", "MAILC_PORT", "MAILC_USER",
				     "MAILC_PASSWORD_COMMAND", "MAILC_FROM",
				     "MAILC_DOMAIN", "XDG_CONFIG_HOME"};
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	/* a home without ~/.mailcrc nor ~/.config/mailc/config */
	fuzz_path(home, sizeof(home), "home");
	if (mkdir(home, 0700) < 0 && errno != EEXIST)
		abort();
	setenv("HOME", home, 1);
	setenv("MAILC_SYSTEM_CONF",
	       fuzz_path(conf_file, sizeof(conf_file), "mailc.conf"), 1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmdline cl;
	int r;

	fuzz_write_file(conf_file, data, size);
	chmod(conf_file, 0644);
	config_reset();
	mailc_set_domain(NULL);
	cmdline_init(&cl);
	r = config_apply(&cl);
	CHECK(r == 0 || r == EX_CONFIG);
	if (r == 0) {
		CHECK(cl.host != NULL && mailc_check_host(cl.host) == 0);
		CHECK(cl.port != NULL && mailc_check_port(cl.port) == 0);
		CHECK(mailc_domain() != NULL && mailc_domain()[0] != '\0');
	}
	cmdline_free(&cl);
	return 0;
}
