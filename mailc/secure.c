/*
 * secure.c - see secure.h.  The options are taken out of argv before
 * getopt(3) sees them (POSIX getopt knows no long options, and glibc's
 * would take "--tls" for a cluster of short ones).  Relies on lib/tlsio
 * for the context and common.c for the messages; it sends nothing.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tlsio.h"

#include "common.h"
#include "secure.h"

void
secure_init(struct secure *s)
{
	memset(s, 0, sizeof(*s));
	s->mode = SECURE_UNSET;
	s->insecure = -1;
	s->auth_plaintext = -1;
}

/* one long option at argv[i]: how many arguments it took, or -1 */
static int
secure_option(struct secure *s, int argc, char **argv, int i)
{
	const char *a = argv[i];

	if (strcmp(a, "--tls") == 0)
		s->mode = SECURE_IMPLICIT;
	else if (strcmp(a, "--tls-required") == 0) {
		if (s->mode != SECURE_IMPLICIT)
			s->mode = SECURE_REQUIRED;
	} else if (strcmp(a, "--tls-insecure") == 0)
		s->insecure = 1;
	else if (strcmp(a, "--auth-plaintext") == 0)
		s->auth_plaintext = 1;
	else if (strncmp(a, "--tls-ca=", 9) == 0 && a[9] != '\0')
		s->ca = a + 9;
	else if (strcmp(a, "--tls-ca") == 0) {
		if (i + 1 >= argc || argv[i + 1][0] == '\0') {
			mailc_warnx("option --tls-ca needs a file");
			return -1;
		}
		s->ca = argv[i + 1];
		return 2;
	} else
		return 0;
	return 1;
}

int
secure_options(struct secure *s, int argc, char **argv, const char *valopts)
{
	int i, j, n, out = 1;
	size_t len;

	for (i = 1; i < argc;) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strncmp(argv[i], "--", 2) == 0) {
			if ((n = secure_option(s, argc, argv, i)) < 0)
				return -1;
			if (n > 0) {
				i += n;
				continue;
			}
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			/* -s VALUE: the value is no option, even "--tls" */
			for (j = 1; argv[i][j]; j++)
				if (strchr(valopts, argv[i][j]) != NULL)
					break;
			len = strlen(argv[i]);
			if (argv[i][j] != '\0' && (size_t)j == len - 1 &&
			    i + 1 < argc) {
				argv[out++] = argv[i++];
			}
		}
		argv[out++] = argv[i++];
	}
	while (i < argc)
		argv[out++] = argv[i++];
	argv[out] = NULL;
	return out;
}

static const char *const secure_modes[] = {
    [SECURE_OFF] = "off",
    [SECURE_STARTTLS] = "starttls",
    [SECURE_REQUIRED] = "required",
    [SECURE_IMPLICIT] = "implicit",
};

static enum secure_mode
secure_mode_of(const char *v)
{
	int i;

	for (i = SECURE_OFF; i <= SECURE_IMPLICIT; i++)
		if (strcmp(v, secure_modes[i]) == 0)
			return (enum secure_mode)i;
	return SECURE_UNSET;
}

int
secure_check_mode(const char *v)
{
	if (secure_mode_of(v) == SECURE_UNSET) {
		mailc_warnx("bad tls: %.40s (off, starttls, required or "
			    "implicit)",
			    v);
		return -1;
	}
	return 0;
}

int
secure_check_yesno(const char *v)
{
	if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
		mailc_warnx("bad value: %.40s (yes or no)", v);
		return -1;
	}
	return 0;
}

void
secure_settings(struct secure *s, const char *mode, const char *ca,
		const char *insecure, const char *auth_plaintext)
{
	if (s->mode == SECURE_UNSET && mode != NULL)
		s->mode = secure_mode_of(mode);
	if (s->ca == NULL)
		s->ca = ca;
	if (s->insecure < 0 && insecure != NULL)
		s->insecure = strcmp(insecure, "yes") == 0;
	if (s->auth_plaintext < 0 && auth_plaintext != NULL)
		s->auth_plaintext = strcmp(auth_plaintext, "yes") == 0;
}

enum secure_mode
secure_mode(const struct secure *s)
{
	return s->mode == SECURE_UNSET ? SECURE_STARTTLS : s->mode;
}

int
secure_try_starttls(const struct secure *s, int fd)
{
	switch (secure_mode(s)) {
	case SECURE_REQUIRED:
	case SECURE_IMPLICIT:
		return 1;
	case SECURE_STARTTLS:
		return tlsio_built() && !secure_loopback(fd);
	default:
		return 0;
	}
}

int
secure_clear_only(const struct secure *s, const char *what)
{
	if (secure_mode(s) != SECURE_REQUIRED &&
	    secure_mode(s) != SECURE_IMPLICIT)
		return 0;
	mailc_warnx("%s speaks SMTP in clear, and the configuration requires "
		    "TLS (tls %s): nothing sent",
		    what,
		    secure_mode(s) == SECURE_IMPLICIT ? "implicit" : "required");
	return EX_CONFIG;
}

int
secure_not_offered(const struct secure *s, const char *what, const char *verb)
{
	if (secure_mode(s) == SECURE_STARTTLS)
		return 0;
	mailc_warnx("%s does not offer %s, and TLS is required "
		    "(--tls-required): nothing sent",
		    what, verb);
	return EX_UNAVAILABLE;
}

struct tlsio_ctx *
secure_ctx(const struct secure *s, char *err, size_t size)
{
	static struct tlsio_ctx *ctx;
	struct tlsio_params p;

	if (ctx != NULL)
		return ctx;
	memset(&p, 0, sizeof(p));
	p.ca = s->ca;
	p.verify = s->insecure != 1;
	ctx = tlsio_client_ctx(&p, err, size);
	return ctx;
}

int
secure_loopback(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0,	   0,
						 0, 0, 0, 0, 0xff, 0xff};
	uint32_t a;

	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohl(sin->sin_addr.s_addr) == INADDR_LOOPBACK;
	if (ss.ss_family != AF_INET6)
		return 0;
	if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
		return 1;
	/* ::ffff:127.0.0.1 is 127.0.0.1 */
	if (memcmp(sin6->sin6_addr.s6_addr, mapped, sizeof(mapped)) != 0)
		return 0;
	memcpy(&a, sin6->sin6_addr.s6_addr + 12, sizeof(a));
	return ntohl(a) == INADDR_LOOPBACK;
}

int
secure_may_send_password(const struct secure *s, int fd, int tls,
			 const char *what)
{
	if (tls || s->auth_plaintext == 1 || secure_loopback(fd))
		return 0;
	mailc_warnx("%s: the connection is not encrypted: not sending the "
		    "password in clear (%s, or --auth-plaintext to send it "
		    "anyway)",
		    what,
		    tlsio_built() ? "TLS"
				  : "this mailc is built without TLS: make TLS=1");
	return -1;
}

void
secure_tls_failed(const char *what, const char *err)
{
	const char *hint = "";

	if (strstr(err, "name") != NULL)
		hint = " (the certificate must name the host given to mailc; "
		       "--tls-insecure skips the check)";
	else if (strstr(err, "verif") != NULL ||
		 strstr(err, "certificate") != NULL)
		hint = " (--tls-ca FILE names the CA that signs it; "
		       "--tls-insecure skips the check)";
	mailc_warnx("%s: %s%s", what, err, hint);
}
