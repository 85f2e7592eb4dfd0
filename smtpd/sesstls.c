/*
 * sesstls.c - see sesstls.h.
 */
#include <stdio.h>

#include "log.h"
#include "tlsio.h"
#include "util.h"

#include "sesstls.h"
#include "shutdown.h"

int
sesstls_offered(const struct smtpd *d, const struct lineio *lio)
{
	return d->tls != NULL && lio->tls == NULL;
}

int
sesstls_start(const struct smtpd *d, struct lineio *lio, enum service svc,
	      const char *client_ip, const char *what, char *tls,
	      size_t tlssize)
{
	struct tlsio *t;
	char err[256];
	size_t dropped = 0;
	int r;

	tls[0] = '\0';
	if (d->tls == NULL) { /* inetd mode on smtps/pop3s without a pair */
		log_warnx("%s: handshake failed client=[%s] service=%s (no "
			  "tls_cert)",
			  what, client_ip, service_name(svc));
		return -1;
	}
	/* a bye in clear would be garbage inside TLS, and is no use before */
	shutdown_bye_off();
	t = tlsio_server(d->tls, lio->rfd, lio->wfd, err, sizeof(err));
	r = t == NULL ? -1 : lio_tls_start(lio, t, &dropped, err, sizeof(err));
	if (dropped > 0)
		log_info("%s: dropped %zu bytes sent before the handshake "
			 "client=[%s] service=%s",
			 what, dropped, client_ip, service_name(svc));
	if (r < 0) {
		log_info("%s: handshake failed client=[%s] service=%s (%s)",
			 what, client_ip, service_name(svc), err);
		return -1;
	}
	if (xsnprintf(tls, tlssize, "%s:%s", tlsio_version(t),
		      tlsio_cipher(t)) < 0)
		xsnprintf(tls, tlssize, "?");
	log_info("%s: client=[%s] service=%s tls=%s bits=%d", what, client_ip,
		 service_name(svc), tls, tlsio_bits(t));
	return 0;
}
