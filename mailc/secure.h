/*
 * secure.h - how mailc protects a connection (issue 13): TLS (STARTTLS
 * when the server offers it, or implicit TLS from the first byte), the
 * certificate check, and the rule that a password never crosses a
 * connection in clear unless that connection stays on this machine or
 * the user asked for it (--auth-plaintext, as msmtp's auth without tls).
 *
 * The long options every mode that talks to a server takes:
 *
 *   --tls             implicit TLS (smtps, port 465; pop3s, port 995)
 *   --tls-required    STARTTLS (POP3: STLS) or nothing: refuse to go on
 *                     in clear
 *   --tls-ca FILE     the CAs that sign the server's certificate
 *                     (default: the system's bundle)
 *   --tls-insecure    do not check the certificate (still encrypted)
 *   --auth-plaintext  send the password over a connection in clear
 *
 * and their settings in the configuration file (config.c): tls
 * off|starttls|required|implicit, tls_ca FILE, tls_insecure yes|no,
 * auth_plaintext yes|no.  It knows no protocol: smtp.c and pop3c.c
 * start TLS through lib/smtpc and lib/lineio with the context made here.
 */
#ifndef SECURE_H
#define SECURE_H

#include <stddef.h>

enum secure_mode {
	SECURE_UNSET = 0,   /* neither option nor setting: STARTTLS */
	SECURE_OFF,	    /* never TLS (tls off) */
	SECURE_STARTTLS,    /* STARTTLS/STLS when offered (the default) */
	SECURE_REQUIRED,    /* STARTTLS/STLS, or stop: --tls-required */
	SECURE_IMPLICIT	    /* TLS from the connect on: --tls */
};

struct secure {
	enum secure_mode mode;
	const char *ca;	    /* --tls-ca, tls_ca; NULL: the system's */
	int insecure;	    /* --tls-insecure, tls_insecure; -1 unset */
	int auth_plaintext; /* --auth-plaintext, auth_plaintext; -1 unset */
};

struct tlsio_ctx;

/* nothing set: what config_apply() then fills in */
void secure_init(struct secure *s);
/*
 * Take the long options above out of argv (up to a "--", and not an
 * argument of a short option in valopts, the options that take one),
 * the others keeping their order.  The new argc, or -1 after a message.
 */
int secure_options(struct secure *s, int argc, char **argv,
		   const char *valopts);
/* a setting's value from a configuration file: 0, or -1 (bad value) */
int secure_check_mode(const char *v);
int secure_check_yesno(const char *v);
/* fill what s lacks from the settings' values (NULL: not set) */
void secure_settings(struct secure *s, const char *mode, const char *ca,
		     const char *insecure, const char *auth_plaintext);
/* the mode in force, the default applied */
enum secure_mode secure_mode(const struct secure *s);
/*
 * 1 when TLS is to be tried on the connection fd even though the server
 * does not ask for it: implicit or required; or offered (STARTTLS), this
 * build has TLS (without it an offered STARTTLS is passed over in
 * silence), and fd does not stay on this machine -- a local MTA's
 * certificate names its public name, not "localhost", and would fail
 * the check that cron's and every sendmail caller's mail goes through
 */
int secure_try_starttls(const struct secure *s, int fd);
/*
 * For the modes that pass SMTP through in clear (-i, sendmail -bs): 0,
 * or EX_CONFIG after a message naming what when s requires TLS
 * (required, implicit), which they cannot give
 */
int secure_clear_only(const struct secure *s, const char *what);
/*
 * The server what does not offer verb (STARTTLS, STLS): 0 when TLS was
 * only to be tried, else EX_UNAVAILABLE after saying so
 */
int secure_not_offered(const struct secure *s, const char *what,
		       const char *verb);
/*
 * The client context for s (made once a process and kept): the
 * certificate checked against s->ca or the system's CAs unless
 * insecure.  NULL with why in err ("built without TLS (make TLS=1)").
 */
struct tlsio_ctx *secure_ctx(const struct secure *s, char *err, size_t size);
/* 1 when fd's peer is 127.0.0.1 or ::1 (and no other address) */
int secure_loopback(int fd);
/*
 * 0 when a password may go over fd: in TLS (tls set), on loopback, or
 * with auth_plaintext; else -1 after a message naming what
 */
int secure_may_send_password(const struct secure *s, int fd, int tls,
			     const char *what);
/*
 * "mailc: what: err" for a TLS session that could not start, with a
 * hint when the certificate is what failed
 */
void secure_tls_failed(const char *what, const char *err);

#endif
