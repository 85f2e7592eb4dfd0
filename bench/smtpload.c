/*
 * smtpload.c - the load generator behind `make bench` (bench/bench.sh).
 *
 *   smtpload -p port [-h host] [-n messages] [-c sessions] [-s size]
 *            [-m per-connection] [-r rcpt,rcpt...] [-f sender]
 *            [-t timeout] [-T deadline] [-P] [-S] [-q]
 *
 * Forks one worker process per concurrent session.  Each worker sends its
 * share of the messages over SMTP, several consecutive transactions on one
 * connection with no RSET between successful ones (RFC 5321 §4.1.4 lets
 * MAIL start a new transaction after a completed one), or at most -m per
 * connection (-m 1: a connection per message).  A transaction's latency is
 * the time from sending MAIL FROM to reading the reply to the final dot;
 * each worker writes one fixed-size record per message to a pipe shared by
 * all workers (records are smaller than PIPE_BUF, so they never
 * interleave), and the parent sorts the latencies and prints "key value"
 * lines: accepted messages/s over the wall time, p50/p99 latency, errors.
 *
 * It does not judge the numbers and does not look at the Maildirs (the
 * bench script counts what was delivered).  It exits 1 when any message
 * was not accepted or a worker failed, 2 on a usage error.  It relies on
 * -S: STARTTLS on every connection (no certificate check), then EHLO
 * again; the build must have TLS (make TLS=1).
 *
 * lib/smtpc for the protocol, so every read is bounded and timed (-t), and
 * on a deadline (-T) after which the parent kills its workers by pid and
 * counts what they did not report as errors.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "smtpc.h"
#include "tlsio.h"
#include "util.h"
#include "bench.h"

#define RCPT_MAX 10000 /* -r addresses, used in turn, one per message */
#define ERRORS_SHOWN 2	       /* per worker, on stderr */
#define CONNECT_FAILURES_MAX 3 /* in a row, then the worker gives up */
#define HEADER_MAX 1024

enum rec_status {
	REC_ACCEPTED, /* 250 after the final dot */
	REC_REJECTED, /* a 4xx/5xx reply somewhere in the transaction */
	REC_FAILED,   /* no transaction: connect, banner, EHLO, lost link */
	REC_CONNECT   /* not a message: a connection was opened */
};

/* one per message (or connection), written whole to the shared pipe */
struct load_rec {
	int32_t status;
	int32_t code; /* the failing reply code, -1 when there was none */
	int64_t us;   /* transaction latency in microseconds */
};

struct load_opts {
	const char *host, *port, *from, *hello;
	char **rcpt; /* -r, in turn: message i goes to rcpt[i % nrcpt] */
	int nrcpt;
	long messages;
	int sessions;
	long per_conn; /* 0: no limit */
	long long size;
	int timeout;  /* seconds, for each reply */
	int deadline; /* seconds, for the whole run */
	int pipelining;
	int quiet;
	struct tlsio_ctx *tls; /* -S: STARTTLS with it */
};

static void
usage(void)
{
	fprintf(stderr,
		"usage: smtpload -p port [-h host] [-n messages] [-c sessions] "
		"[-s size]\n"
		"                [-m per-connection] [-r rcpt,...] [-f sender] "
		"[-t timeout]\n"
		"                [-T deadline] [-P] [-S] [-q]\n");
	exit(2);
}

/* the body text, LF line ends, printable lines of 72 characters */
static char *
body_make(size_t size)
{
	char *b = xmalloc(size + 1);
	size_t i;

	for (i = 0; i < size; i++)
		b[i] = i % 73 == 72 ? '\n' : (char)('a' + (i % 73) % 26);
	b[size] = '\0';
	return b;
}

static void
rec_put(int out, enum rec_status status, int code, int64_t us)
{
	struct load_rec r;
	ssize_t n;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.code = code;
	r.us = us;
	do
		n = write(out, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(r))
		_exit(1); /* the parent is gone: nobody to report to */
}

struct worker {
	const struct load_opts *o;
	int id, out, shown;
	const char *body;
	struct smtpc c;
	int connected;
};

static void
worker_error(struct worker *w, long msg, const char *what)
{
	if (w->o->quiet || w->shown >= ERRORS_SHOWN)
		return;
	w->shown++;
	log_warnx("worker %d, message %ld: %s: %s", w->id, msg, what,
		  w->c.err[0] ? w->c.err : "no reply");
}

/* connect, read the banner, say EHLO; 0, or -1 with the reply code */
static int
worker_connect(struct worker *w, long msg, int *code)
{
	const struct load_opts *o = w->o;

	*code = -1;
	if (smtpc_connect(&w->c, o->host, o->port, o->timeout, NULL) < 0) {
		worker_error(w, msg, "connect");
		return -1;
	}
	rec_put(w->out, REC_CONNECT, 0, 0);
	if ((*code = smtpc_reply(&w->c)) != 220) {
		worker_error(w, msg, "banner");
		smtpc_close(&w->c);
		return -1;
	}
	if ((*code = smtpc_hello(&w->c, o->hello)) != 250) {
		worker_error(w, msg, "EHLO");
		smtpc_close(&w->c);
		return -1;
	}
	if (o->tls != NULL &&
	    (smtpc_tls(&w->c, o->tls, o->host, 1) < 0 ||
	     (*code = smtpc_hello(&w->c, o->hello)) != 250)) {
		worker_error(w, msg, "STARTTLS");
		smtpc_close(&w->c);
		return -1;
	}
	w->connected = 1;
	return 0;
}

/*
 * One transaction, MAIL FROM to the final reply; the code that decided
 * it (250 on success), or -1 when the connection failed.
 */
static int
worker_transaction(struct worker *w, long msg)
{
	const struct load_opts *o = w->o;
	const char *rcpt = o->rcpt[msg % o->nrcpt];
	char hdr[HEADER_MAX], date[64];
	int hlen, mail, rc = 0, data;
	size_t blen;

	if (o->pipelining && (w->c.ext & SMTPC_EXT_PIPELINING)) {
		/* RFC 2920 §3.1: DATA may end a group; read all three */
		smtpc_send(&w->c, "MAIL FROM:<%s>", o->from);
		smtpc_send(&w->c, "RCPT TO:<%s>", rcpt);
		smtpc_send(&w->c, "DATA");
		mail = smtpc_reply(&w->c);
		rc = mail < 0 ? -1 : smtpc_reply(&w->c);
		data = rc < 0 ? -1 : smtpc_reply(&w->c);
		if (data < 0)
			return -1;
	} else {
		if ((mail = smtpc_cmd(&w->c, "MAIL FROM:<%s>", o->from)) != 250)
			return mail;
		if ((rc = smtpc_cmd(&w->c, "RCPT TO:<%s>", rcpt)) != 250)
			return rc;
		data = smtpc_cmd(&w->c, "DATA");
	}
	if (data != 354)
		return mail != 250 ? mail : rc != 250 ? rc : data;
	rfc5322_date(date, sizeof(date), time(NULL));
	hlen =
	    snprintf(hdr, sizeof(hdr),
		     "From: <%s>\nTo: <%s>\nSubject: smtpload %ld\n"
		     "Message-ID: <smtpload.%ld.%ld@%s>\nDate: %s\n\n",
		     o->from, rcpt, msg, (long)getpid(), msg, o->hello, date);
	if (hlen < 0 || (size_t)hlen >= sizeof(hdr))
		hlen = 0; /* cannot happen with the sizes checked in main */
	blen = (long long)hlen < o->size ? (size_t)(o->size - hlen) : 0;
	smtpc_body(&w->c, hdr, (size_t)hlen);
	smtpc_body(&w->c, w->body, blen);
	data = smtpc_body_end(&w->c);
	/* the server took a body after refusing MAIL or RCPT: still an error */
	return data == 250 && (mail != 250 || rc != 250) ? 554 : data;
}

static _Noreturn void
worker_main(const struct load_opts *o, int id, long first, long count, int out,
	    const char *body)
{
	struct worker w;
	long i, on_conn = 0;
	int failures = 0, code;
	int64_t t0;

	memset(&w, 0, sizeof(w));
	w.o = o;
	w.id = id;
	w.out = out;
	w.body = body;
	for (i = 0; i < count; i++) {
		long msg = first + i;

		if (w.connected && o->per_conn > 0 && on_conn >= o->per_conn) {
			(void)smtpc_cmd(&w.c, "QUIT");
			smtpc_close(&w.c);
			w.connected = 0;
		}
		if (!w.connected) {
			on_conn = 0;
			if (worker_connect(&w, msg, &code) < 0) {
				rec_put(out, REC_FAILED, code, 0);
				if (++failures < CONNECT_FAILURES_MAX) {
					usleep(100000);
					continue;
				}
				/* give up: every message left is an error */
				while (++i < count)
					rec_put(out, REC_FAILED, -1, 0);
				break;
			}
			failures = 0;
		}
		on_conn++;
		t0 = now_us();
		code = worker_transaction(&w, msg);
		if (code == 250) {
			rec_put(out, REC_ACCEPTED, 250, now_us() - t0);
			continue;
		}
		rec_put(out, code < 0 ? REC_FAILED : REC_REJECTED, code, 0);
		worker_error(&w, msg, "transaction");
		/* start clean: RSET after a refusal, a new link after a loss */
		if (code < 0 || smtpc_cmd(&w.c, "RSET") != 250) {
			smtpc_close(&w.c);
			w.connected = 0;
		}
	}
	if (w.connected) {
		(void)smtpc_cmd(&w.c, "QUIT");
		smtpc_close(&w.c);
	}
	_exit(0);
}

static int
latency_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* nearest-rank percentile of a sorted array, in milliseconds */
static double
percentile_ms(const int64_t *v, long n, int pct)
{
	long rank = (pct * n + 99) / 100; /* ceil(pct/100 * n) */

	if (n == 0)
		return 0.0;
	if (rank < 1)
		rank = 1;
	return (double)v[rank - 1] / 1000.0;
}

static void
rcpt_parse(struct load_opts *o, char *list)
{
	char *save = NULL, *r;

	o->nrcpt = 0;
	free(o->rcpt);
	o->rcpt = xcalloc(RCPT_MAX, sizeof(*o->rcpt));
	for (r = strtok_r(list, ",", &save); r != NULL;
	     r = strtok_r(NULL, ",", &save)) {
		if (o->nrcpt == RCPT_MAX)
			fatalx("-r: at most %d recipients", RCPT_MAX);
		if (strlen(r) > 256)
			fatalx("-r: address too long: %.40s...", r);
		o->rcpt[o->nrcpt++] = r;
	}
	if (o->nrcpt == 0)
		fatalx("-r: no recipient");
}

int
main(int argc, char **argv)
{
	struct load_opts o;
	struct load_rec r;
	pid_t *pids;
	int64_t *lat, start, end, deadline;
	long nrec = 0, accepted = 0, rejected = 0, failed = 0, conns = 0;
	long unanswered, base, share, errors;
	char rcpts[] = "bench@example.org";
	char *body;
	int p[2], ch, i, alive, crashed = 0, timed_out = 0;
	double wall;

	log_init("smtpload", 0, 0);
	memset(&o, 0, sizeof(o));
	o.host = "127.0.0.1";
	o.from = "load@bench.example";
	o.hello = "smtpload.localhost";
	o.messages = 2000;
	o.sessions = 20;
	o.size = 2048;
	o.timeout = 30;
	o.deadline = 120;
	rcpt_parse(&o, rcpts);
	while ((ch = getopt(argc, argv, "c:f:h:m:n:p:Pqr:s:St:T:")) != -1) {
		switch (ch) {
		case 'c':
			o.sessions = (int)number_arg("c", optarg, 1, 1000);
			break;
		case 'f':
			if (strlen(optarg) > 256)
				fatalx("-f: address too long");
			o.from = optarg;
			break;
		case 'h':
			o.host = optarg;
			break;
		case 'm':
			o.per_conn = (long)number_arg("m", optarg, 0, 1L << 30);
			break;
		case 'n':
			o.messages = (long)number_arg("n", optarg, 1, 10000000);
			break;
		case 'p':
			o.port = optarg;
			break;
		case 'S': {
			struct tlsio_params tp = {0};
			char err[256];
			if ((o.tls = tlsio_client_ctx(&tp, err, sizeof(err))) ==
			    NULL)
				fatalx("-S: %s", err);
			break;
		}
		case 'P':
			o.pipelining = 1;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'r':
			rcpt_parse(&o, optarg);
			break;
		case 's':
			o.size = number_arg("s", optarg, 0, 1LL << 30);
			break;
		case 't':
			o.timeout = (int)number_arg("t", optarg, 1, 3600);
			break;
		case 'T':
			o.deadline = (int)number_arg("T", optarg, 1, 86400);
			break;
		default:
			usage();
		}
	}
	if (o.port == NULL || optind != argc)
		usage();
	if (o.sessions > o.messages)
		o.sessions = (int)o.messages;

	/* a link the server drops must give EPIPE, not kill a worker */
	signal(SIGPIPE, SIG_IGN);
	body = body_make((size_t)o.size);
	pids = xcalloc((size_t)o.sessions, sizeof(*pids));
	lat = xcalloc((size_t)o.messages, sizeof(*lat));
	if (pipe(p) < 0)
		fatal("pipe");
	fflush(NULL);
	start = now_us();
	base = 0;
	for (i = 0; i < o.sessions; i++) {
		share = o.messages / o.sessions + (i < o.messages % o.sessions);
		if ((pids[i] = fork()) < 0) {
			log_warn("fork worker %d", i);
			break;
		}
		if (pids[i] == 0) {
			close(p[0]);
			worker_main(&o, i, base, share, p[1], body);
		}
		base += share;
	}
	alive = i;
	close(p[1]);

	/* collect records until every worker has closed the pipe */
	deadline = start + (int64_t)o.deadline * 1000000;
	for (;;) {
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};
		int64_t left = deadline - now_us();
		ssize_t n;
		int pr;

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		pr = poll(&pfd, 1, (int)(left / 1000) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			fatal("poll");
		if (pr == 0)
			continue;
		n = read(p[0], &r, sizeof(r));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fatal("read");
		if (n == 0)
			break;
		if (n != (ssize_t)sizeof(r))
			fatalx("short record from a worker (%zd bytes)", n);
		switch (r.status) {
		case REC_CONNECT:
			conns++;
			continue;
		case REC_ACCEPTED:
			if (accepted < o.messages)
				lat[accepted] = r.us;
			accepted++;
			break;
		case REC_REJECTED:
			rejected++;
			break;
		default:
			failed++;
			break;
		}
		nrec++;
	}
	end = now_us();
	if (timed_out) {
		log_warnx("deadline of %ds reached: killing the workers",
			  o.deadline);
		for (i = 0; i < alive; i++)
			(void)kill(pids[i], SIGKILL);
	}
	for (i = 0; i < alive; i++) {
		int st;

		while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			crashed++;
	}

	if (accepted > o.messages)
		accepted = o.messages; /* cannot happen: one record a message */
	qsort(lat, (size_t)accepted, sizeof(*lat), latency_cmp);
	unanswered = o.messages - nrec;
	errors = rejected + failed + (unanswered > 0 ? unanswered : 0);
	wall = (double)(end - start) / 1e6;
	printf("messages        %ld\n", o.messages);
	printf("sessions        %d\n", o.sessions);
	printf("size_bytes      %lld\n", o.size);
	printf("connections     %ld\n", conns);
	printf("accepted        %ld\n", accepted);
	printf("rejected        %ld\n", rejected);
	printf("failed          %ld\n", failed);
	printf("unanswered      %ld\n", unanswered > 0 ? unanswered : 0);
	printf("errors          %ld\n", errors);
	printf("workers_failed  %d\n", crashed);
	printf("wall_s          %.6f\n", wall);
	printf("accepted_per_s  %.1f\n",
	       wall > 0 ? (double)accepted / wall : 0);
	printf("latency_p50_ms  %.2f\n", percentile_ms(lat, accepted, 50));
	printf("latency_p99_ms  %.2f\n", percentile_ms(lat, accepted, 99));
	printf("latency_max_ms  %.2f\n",
	       accepted ? (double)lat[accepted - 1] / 1000.0 : 0.0);
	free(lat);
	free(pids);
	free(body);
	free(o.rcpt);
	return errors > 0 || crashed > 0 || timed_out ? 1 : 0;
}
