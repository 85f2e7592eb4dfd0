/*
 * setup.h - what the master does once before serving: bind the listeners
 * (or take them from systemd), create the queue and the mail root, drop
 * root for the configured user; and smtpd -H.
 */
#ifndef SETUP_H
#define SETUP_H

#include "conf.h"
#include "smtpd.h"

struct listener {
	int fd;
	enum service svc;
};

#define EX_USAGE 64
#define EX_CONFIG 78

/* -H: read a password on stdin, print its SHA-512 crypt(3) hash, exit */
_Noreturn void setup_hash_password(void);
/* bind and listen on one `listen` address; dies on failure */
int setup_listen_bind(const struct listen_conf *l);
/* the sockets systemd passed in, one per listen line of c, matched by
 * activate.h's rules (dies on a mismatch); 0 when not socket-activated */
int setup_systemd_listeners(const struct conf *c, struct listener *listeners,
			    int *nlisteners);
/* create the queue and the mail root; when root, hand them to `user`
 * and drop to it (refusing to run as root without one).  Dies naming
 * the path when one is a link, or not a directory (the wake FIFO), or
 * another user's: as root it never follows a link the run user could
 * have made. */
void setup_privileges(const struct smtpd *d);
/*
 * The TLS server context of c's tls_cert and tls_key (with tls_ciphers
 * and tls_protocols), read now; NULL when c has no tls_cert, or, logged
 * naming the file, when the pair cannot be used (*failed set).
 */
struct tlsio_ctx *setup_tls(const struct conf *c, int *failed);
/*
 * SIGHUP: new's key pair into d->tls; one that cannot be used (a file
 * the run user cannot read, a key that is not the cert's) keeps the
 * running pair and its paths in new, so the config and the keys in use
 * agree
 */
void setup_tls_reload(struct smtpd *d, struct conf *new);
/* started as root: say now when a SIGHUP will not be able to read the
 * pair as the run user (a key only root reads, as many keep it) */
void setup_tls_note_readable(const struct conf *c);

#endif
