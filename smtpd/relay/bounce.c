/*
 * bounce.c - see bounce.h.  The notice is composed into an unlinked
 * spool file and handed to deliver(), like any message: into the
 * sender's Maildir if the sender is local, into the queue otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "conf_lookup.h"

#include "relay/bounce.h"
#include "store/deliver.h"
#include "store/queue.h"
#include "store/spool.h"

#define BOUNCE_HEADERS_MAX (64 * 1024)

/* copy the header block of the original (up to the empty line) */
static int
quote_headers(FILE *out, int datafd)
{
	char buf[8192];
	size_t total = 0;
	off_t off = 0;
	int bol = 1;

	for (;;) {
		ssize_t n = pread(datafd, buf, sizeof(buf), off), i;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (bol && buf[i] == '\n')
				return 0;
			bol = buf[i] == '\n';
			if (++total > BOUNCE_HEADERS_MAX) {
				fputs("\n[headers truncated]\n", out);
				return 0;
			}
			fputc(buf[i], out);
		}
		off += n;
	}
	if (!bol)
		fputc('\n', out);
	return 0;
}

int
bounce_send(struct smtpd *d, const struct envelope *env, int datafd)
{
	const struct conf *c = &d->conf;
	struct mailaddr sender;
	struct delivery dv;
	char date[64], qid[24];
	const char *rcpt[1];
	int local[1], fd, i, nfailed = 0, r;
	FILE *out;

	for (i = 0; i < env->nrcpt; i++)
		nfailed += env->rcpts[i].state == QR_FAILED;
	if (nfailed == 0)
		return 0;
	if (env->sender[0] == '\0') {
		log_info("%s: a bounce could not be delivered; not bouncing it",
			 env->id);
		return 0;
	}
	if (addr_parse_mailbox(env->sender, &sender) < 0) {
		log_warnx("%s: sender <%s> unusable: no bounce", env->id,
			  env->sender);
		return 0;
	}
	local[0] = !sender.literal && conf_is_local(c, sender.domain);
	/* the relay child's table is from its start: see added accounts */
	if (local[0])
		passwd_refresh(&d->accounts);
	if (local[0] && passwd_lookup(&d->accounts, sender.local,
				      sender.domain) == NULL) {
		log_warnx("%s: sender <%s> has no mailbox: no bounce", env->id,
			  env->sender);
		return 0;
	}
	if ((fd = spool_create(c)) < 0 || (out = fdopen(fd, "w+")) == NULL) {
		log_warn("%s: bounce spool", env->id);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	queue_new_id(qid, sizeof(qid));
	rfc5322_date(date, sizeof(date), time(NULL));
	fprintf(out,
		"From: Mail Delivery System <MAILER-DAEMON@%s>\n"
		"To: <%s>\n"
		"Subject: Undelivered Mail Returned to Sender\n"
		"Date: %s\n"
		"Message-ID: <%s.bounce@%s>\n"
		"Auto-Submitted: auto-replied\n"
		"MIME-Version: 1.0\n"
		"Content-Type: text/plain; charset=us-ascii\n"
		"\n"
		"This is the mail system at host %s.\n"
		"\n"
		"I'm sorry to have to inform you that your message (queue id "
		"%s)\n"
		"could not be delivered to one or more recipients:\n"
		"\n",
		c->hostname, env->sender, date, qid, c->hostname, c->hostname,
		env->id);
	for (i = 0; i < env->nrcpt; i++)
		if (env->rcpts[i].state == QR_FAILED)
			fprintf(out, "<%s>: %s\n", env->rcpts[i].addr,
				env->rcpts[i].error[0] ? env->rcpts[i].error
						       : "delivery failed");
	fprintf(out, "\n--- The headers of the original message follow ---\n\n");
	quote_headers(out, datafd);
	if (fflush(out) != 0 || ferror(out)) {
		log_warn("%s: bounce spool write", env->id);
		fclose(out);
		return -1;
	}
	memset(&dv, 0, sizeof(dv));
	dv.d = d;
	dv.qid = qid;
	dv.sender = "";
	dv.helo = NULL;
	dv.proto = "local";
	rcpt[0] = env->sender;
	dv.rcpts = rcpt;
	dv.local = local;
	dv.nrcpt = 1;
	r = deliver(&dv, fd, ftello(out));
	fclose(out);
	if (r == 0)
		log_info("%s: sender non-delivery notification: %s", env->id,
			 qid);
	return r;
}
