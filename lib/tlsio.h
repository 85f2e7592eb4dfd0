/*
 * tlsio.h - the one TLS interface of smtpd and mailc (issue 13).
 *
 * Built with `make TLS=1`, it is libtls (OpenBSD's small TLS API, as
 * OpenSMTPD uses it); in the default build every constructor fails
 * with "built without TLS (make TLS=1)" and nothing else is reachable,
 * so the rest of the code reads the same in both builds.
 *
 * It never waits: a handshake, a read or a write that would block
 * returns TLSIO_WANT_READ or TLSIO_WANT_WRITE and the caller polls the
 * descriptor for that (lineio.c does, under its deadline), so every
 * wait keeps the timeout of the line I/O around it.  The descriptors
 * are made non-blocking when a session starts.
 */
#ifndef TLSIO_H
#define TLSIO_H

#include <stddef.h>
#include <sys/types.h>

#define TLSIO_WANT_READ (-2)
#define TLSIO_WANT_WRITE (-3)

/* "1.2,1.3", the protocols allowed unless tls_protocols says others */
#define TLSIO_DEFAULT_PROTOCOLS "TLSv1.2,TLSv1.3"
#define TLSIO_DEFAULT_CIPHERS "secure"

struct tlsio_ctx; /* what sessions are made from: keys, CA, rules */
struct tlsio;	  /* one session on a connection */

struct tlsio_params {
	const char *cert, *key;	 /* server: PEM files (chain allowed) */
	const char *ca;		 /* client: CA bundle; NULL: the system's */
	int verify;		 /* client: check the peer's certificate */
	const char *ciphers;	 /* NULL: TLSIO_DEFAULT_CIPHERS */
	const char *protocols;	 /* NULL: TLSIO_DEFAULT_PROTOCOLS */
};

/* 1 when built with TLS */
int tlsio_built(void);
/*
 * A server context, its key pair read now (the master does it before it
 * drops privileges; forked sessions use it), or a client context.  NULL
 * with why in err, naming the file when a file is at fault.
 */
struct tlsio_ctx *tlsio_server_ctx(const struct tlsio_params *p, char *err,
				   size_t errsize);
struct tlsio_ctx *tlsio_client_ctx(const struct tlsio_params *p, char *err,
				   size_t errsize);
void tlsio_ctx_free(struct tlsio_ctx *ctx);
/* check a protocols string ("TLSv1.2,TLSv1.3", "secure", ...) and a
 * cipher list as libtls takes them: 0 or -1 (always, without TLS) */
int tlsio_protocols_ok(const char *protocols);
int tlsio_ciphers_ok(const char *ciphers);

/*
 * A session on a connection (rfd, wfd: one socket twice, or inetd's 0
 * and 1), not yet shaken hands; servername: the name the client asks
 * for and, when verifying, checks the certificate against.  NULL with
 * why in err.
 */
struct tlsio *tlsio_server(struct tlsio_ctx *ctx, int rfd, int wfd, char *err,
			   size_t errsize);
struct tlsio *tlsio_client(struct tlsio_ctx *ctx, int fd,
			   const char *servername, char *err, size_t errsize);
/* 0 once done; TLSIO_WANT_*; -1 (tlsio_error() says why) */
int tlsio_handshake(struct tlsio *t);
/* bytes (> 0), 0 at the end of the stream, TLSIO_WANT_*, or -1 */
ssize_t tlsio_read(struct tlsio *t, void *buf, size_t len);
ssize_t tlsio_write(struct tlsio *t, const void *buf, size_t len);
const char *tlsio_error(struct tlsio *t);
/* after the handshake: "TLSv1.3", "TLS_AES_256_GCM_SHA384", 256 */
const char *tlsio_version(struct tlsio *t);
const char *tlsio_cipher(struct tlsio *t);
int tlsio_bits(struct tlsio *t);
/* for logs and Received: "version=TLSv1.3 cipher=... bits=256" */
void tlsio_describe(struct tlsio *t, char *buf, size_t size);
/* send close_notify if it goes at once (never waits), free the session */
void tlsio_free(struct tlsio *t);

#endif
