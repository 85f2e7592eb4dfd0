/*
 * config.h - where mailc sends: the settings of the sending modes (host,
 * port, user, password_command, from, domain), each taken from the
 * first of
 *
 *   a command-line option (already in struct cmdline),
 *   the environment (MAILC_HOST, MAILC_PORT, MAILC_USER,
 *     MAILC_PASSWORD_COMMAND, MAILC_FROM, MAILC_DOMAIN),
 *   the user's file (~/.mailcrc, else $XDG_CONFIG_HOME/mailc/config),
 *   the system's file (SYSCONFDIR/mailc.conf; $MAILC_SYSTEM_CONF names
 *     another, for tests),
 *   the built-in defaults (localhost, 25, no AUTH).
 *
 * The TLS settings (secure.h) come the same way: tls (MAILC_TLS),
 * tls_ca (MAILC_TLS_CA), tls_insecure (MAILC_TLS_INSECURE) and
 * auth_plaintext (MAILC_AUTH_PLAINTEXT); with tls implicit the default
 * port is 465.
 *
 * A file is lines of "setting value", blank lines and "#" comment lines
 * (msmtp's shape without accounts).  A file that anyone but its owner
 * may write, or owned by someone other than root or the user, is
 * refused: its password_command runs as whoever sends.
 */
#ifndef CONFIG_H
#define CONFIG_H

struct cmdline;
struct secure;

/*
 * Fill the settings cl lacks (NULL) as above and hand `domain` to
 * mailc_set_domain().  0, or EX_CONFIG after a message naming the file
 * and the line.
 */
int config_apply(struct cmdline *cl);
/*
 * Only the TLS settings, into what s lacks: for the reading modes, whose
 * server is not the one the file names.  0 or EX_CONFIG after a message.
 */
int config_secure(struct secure *s);
#ifdef FUZZING
/* forget the files read, so that the next config_apply reads again */
void config_reset(void);
#endif

#endif
