/*
 * tlsio.c - see tlsio.h.  With HAVE_TLS (make TLS=1): libtls.  Without
 * it: constructors that say so, and nothing that could be reached.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsio.h"
#include "util.h"

#ifdef HAVE_TLS

#include <stdint.h>
#include <tls.h>

struct tlsio_ctx {
	struct tls_config *cfg;
	struct tls *server; /* server contexts: what sessions accept from */
};

struct tlsio {
	struct tls *tls; /* freed with the session, whichever side */
};

int
tlsio_built(void)
{
	return 1;
}

static int
tlsio_init_once(char *err, size_t errsize)
{
	static int done;

	if (!done && tls_init() != 0) {
		snprintf(err, errsize, "cannot initialize libtls");
		return -1;
	}
	done = 1;
	return 0;
}

int
tlsio_protocols_ok(const char *protocols)
{
	uint32_t p;

	return tls_config_parse_protocols(&p, protocols) == 0 ? 0 : -1;
}

int
tlsio_ciphers_ok(const char *ciphers)
{
	struct tls_config *cfg;
	char err[64];
	int r;

	if (tlsio_init_once(err, sizeof(err)) < 0 ||
	    (cfg = tls_config_new()) == NULL)
		return -1;
	r = tls_config_set_ciphers(cfg, ciphers) == 0 ? 0 : -1;
	tls_config_free(cfg);
	return r;
}

/* the part both sides share: protocols and ciphers */
static struct tls_config *
tlsio_config(const struct tlsio_params *p, char *err, size_t errsize)
{
	struct tls_config *cfg;
	uint32_t protocols;
	const char *proto = p->protocols ? p->protocols : TLSIO_DEFAULT_PROTOCOLS;
	const char *ciphers = p->ciphers ? p->ciphers : TLSIO_DEFAULT_CIPHERS;

	if (tlsio_init_once(err, errsize) < 0)
		return NULL;
	if ((cfg = tls_config_new()) == NULL) {
		snprintf(err, errsize, "cannot make a TLS configuration");
		return NULL;
	}
	if (tls_config_parse_protocols(&protocols, proto) != 0) {
		snprintf(err, errsize, "bad TLS protocols '%s'", proto);
		goto fail;
	}
	if (tls_config_set_protocols(cfg, protocols) != 0 ||
	    tls_config_set_ciphers(cfg, ciphers) != 0) {
		snprintf(err, errsize, "TLS ciphers '%s': %s", ciphers,
			 tls_config_error(cfg));
		goto fail;
	}
	return cfg;
fail:
	tls_config_free(cfg);
	return NULL;
}

struct tlsio_ctx *
tlsio_server_ctx(const struct tlsio_params *p, char *err, size_t errsize)
{
	struct tlsio_ctx *ctx;
	struct tls_config *cfg;

	if ((cfg = tlsio_config(p, err, errsize)) == NULL)
		return NULL;
	if (tls_config_set_cert_file(cfg, p->cert) != 0) {
		snprintf(err, errsize, "tls_cert %s: %s", p->cert,
			 tls_config_error(cfg));
		goto fail;
	}
	if (tls_config_set_key_file(cfg, p->key) != 0) {
		snprintf(err, errsize, "tls_key %s: %s", p->key,
			 tls_config_error(cfg));
		goto fail;
	}
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->cfg = cfg;
	if ((ctx->server = tls_server()) == NULL) {
		snprintf(err, errsize, "cannot make a TLS server");
		tlsio_ctx_free(ctx);
		return NULL;
	}
	/* the pair is checked here: a key that is not the cert's fails */
	if (tls_configure(ctx->server, cfg) != 0) {
		snprintf(err, errsize, "tls_cert %s, tls_key %s: %s", p->cert,
			 p->key, tls_error(ctx->server));
		tlsio_ctx_free(ctx);
		return NULL;
	}
	/* the key stays in the configured context only */
	tls_config_clear_keys(cfg);
	return ctx;
fail:
	tls_config_free(cfg);
	return NULL;
}

struct tlsio_ctx *
tlsio_client_ctx(const struct tlsio_params *p, char *err, size_t errsize)
{
	struct tlsio_ctx *ctx;
	struct tls_config *cfg;

	if ((cfg = tlsio_config(p, err, errsize)) == NULL)
		return NULL;
	if (!p->verify) {
		tls_config_insecure_noverifycert(cfg);
		tls_config_insecure_noverifyname(cfg);
	} else if (tls_config_set_ca_file(
		       cfg, p->ca ? p->ca : tls_default_ca_cert_file()) != 0) {
		snprintf(err, errsize, "CA file %s: %s",
			 p->ca ? p->ca : tls_default_ca_cert_file(),
			 tls_config_error(cfg));
		tls_config_free(cfg);
		return NULL;
	}
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->cfg = cfg;
	return ctx;
}

void
tlsio_ctx_free(struct tlsio_ctx *ctx)
{
	if (ctx == NULL)
		return;
	if (ctx->server != NULL)
		tls_free(ctx->server);
	tls_config_free(ctx->cfg);
	free(ctx);
}

static void
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

struct tlsio *
tlsio_server(struct tlsio_ctx *ctx, int rfd, int wfd, char *err,
	     size_t errsize)
{
	struct tlsio *t = xcalloc(1, sizeof(*t));

	if (ctx->server == NULL ||
	    tls_accept_fds(ctx->server, &t->tls, rfd, wfd) != 0) {
		snprintf(err, errsize, "TLS accept: %s",
			 ctx->server ? tls_error(ctx->server) : "no server");
		free(t);
		return NULL;
	}
	set_nonblock(rfd);
	set_nonblock(wfd);
	return t;
}

struct tlsio *
tlsio_client(struct tlsio_ctx *ctx, int fd, const char *servername,
	     char *err, size_t errsize)
{
	struct tlsio *t = xcalloc(1, sizeof(*t));

	if ((t->tls = tls_client()) == NULL) {
		snprintf(err, errsize, "cannot make a TLS client");
		free(t);
		return NULL;
	}
	if (tls_configure(t->tls, ctx->cfg) != 0 ||
	    tls_connect_socket(t->tls, fd, servername) != 0) {
		snprintf(err, errsize, "TLS connect: %s", tls_error(t->tls));
		tlsio_free(t);
		return NULL;
	}
	set_nonblock(fd);
	return t;
}

/* libtls's answers as ours */
static ssize_t
tlsio_result(ssize_t n)
{
	if (n == TLS_WANT_POLLIN)
		return TLSIO_WANT_READ;
	if (n == TLS_WANT_POLLOUT)
		return TLSIO_WANT_WRITE;
	return n < 0 ? -1 : n;
}

int
tlsio_handshake(struct tlsio *t)
{
	return (int)tlsio_result(tls_handshake(t->tls));
}

ssize_t
tlsio_read(struct tlsio *t, void *buf, size_t len)
{
	return tlsio_result(tls_read(t->tls, buf, len));
}

ssize_t
tlsio_write(struct tlsio *t, const void *buf, size_t len)
{
	return tlsio_result(tls_write(t->tls, buf, len));
}

const char *
tlsio_error(struct tlsio *t)
{
	const char *e = tls_error(t->tls);

	return e != NULL ? e : "TLS error";
}

const char *
tlsio_version(struct tlsio *t)
{
	const char *v = tls_conn_version(t->tls);

	return v != NULL ? v : "?";
}

const char *
tlsio_cipher(struct tlsio *t)
{
	const char *c = tls_conn_cipher(t->tls);

	return c != NULL ? c : "?";
}

int
tlsio_bits(struct tlsio *t)
{
	return tls_conn_cipher_strength(t->tls);
}

void
tlsio_free(struct tlsio *t)
{
	if (t == NULL)
		return;
	(void)tls_close(t->tls); /* once: a peer that is slow gets no wait */
	tls_free(t->tls);
	free(t);
}

#else /* !HAVE_TLS */

#define NO_TLS "built without TLS (make TLS=1)"

struct tlsio_ctx {
	int unused;
};
struct tlsio {
	int unused;
};

int
tlsio_built(void)
{
	return 0;
}

int
tlsio_protocols_ok(const char *protocols)
{
	(void)protocols;
	return -1;
}

int
tlsio_ciphers_ok(const char *ciphers)
{
	(void)ciphers;
	return -1;
}

static struct tlsio_ctx *
tlsio_no_ctx(const struct tlsio_params *p, char *err, size_t errsize)
{
	(void)p;
	snprintf(err, errsize, NO_TLS);
	return NULL;
}

struct tlsio_ctx *
tlsio_server_ctx(const struct tlsio_params *p, char *err, size_t errsize)
{
	return tlsio_no_ctx(p, err, errsize);
}

struct tlsio_ctx *
tlsio_client_ctx(const struct tlsio_params *p, char *err, size_t errsize)
{
	return tlsio_no_ctx(p, err, errsize);
}

void
tlsio_ctx_free(struct tlsio_ctx *ctx)
{
	(void)ctx;
}

struct tlsio *
tlsio_server(struct tlsio_ctx *ctx, int rfd, int wfd, char *err,
	     size_t errsize)
{
	(void)ctx, (void)rfd, (void)wfd;
	snprintf(err, errsize, NO_TLS);
	return NULL;
}

struct tlsio *
tlsio_client(struct tlsio_ctx *ctx, int fd, const char *servername,
	     char *err, size_t errsize)
{
	(void)ctx, (void)fd, (void)servername;
	snprintf(err, errsize, NO_TLS);
	return NULL;
}

/* no session can exist: these are never reached */
int
tlsio_handshake(struct tlsio *t)
{
	(void)t;
	return -1;
}

ssize_t
tlsio_read(struct tlsio *t, void *buf, size_t len)
{
	(void)t, (void)buf, (void)len;
	return -1;
}

ssize_t
tlsio_write(struct tlsio *t, const void *buf, size_t len)
{
	(void)t, (void)buf, (void)len;
	return -1;
}

const char *
tlsio_error(struct tlsio *t)
{
	(void)t;
	return NO_TLS;
}

const char *
tlsio_version(struct tlsio *t)
{
	(void)t;
	return "?";
}

const char *
tlsio_cipher(struct tlsio *t)
{
	(void)t;
	return "?";
}

int
tlsio_bits(struct tlsio *t)
{
	(void)t;
	return 0;
}

void
tlsio_free(struct tlsio *t)
{
	(void)t;
}

#endif /* HAVE_TLS */

void
tlsio_describe(struct tlsio *t, char *buf, size_t size)
{
	snprintf(buf, size, "version=%s cipher=%s bits=%d", tlsio_version(t),
		 tlsio_cipher(t), tlsio_bits(t));
}
