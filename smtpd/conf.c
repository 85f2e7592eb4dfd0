/*
 * conf.c - reads smtpd.conf (DESIGN.md §2 "Config file", smtpd.conf(5)).
 *
 * Table-driven, as Postfix's configuration tables are: conf_rows[] has
 * one row per directive (name, value type, default as written in the
 * file, the field of struct conf it sets, the accepted range), and each
 * value type has one parser (conf_types[]).  The defaults go through the
 * same parsers, from the table, before the file is read.  A new directive
 * is one row, plus at most one new type.  Every error names the file, the
 * line and the problem; all of a file's errors are reported and any one
 * fails the load.  A single-valued directive may repeat: the last one
 * wins.  listen, domain, route and relay_from add up.
 *
 * It only parses and checks: binding, dropping privileges and creating
 * the directories it names are setup.c's job.  It relies on lib/util.c
 * (parse_size, parse_duration, file_read_line, xsnprintf) and lib/addr.c
 * (a domain is valid when "x@domain" parses as an address).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "tlsio.h"
#include "util.h"

#define CONF_LINE_MAX 1024
#define CONF_WORDS_MAX 32

static const char *svc_names[SVC_COUNT] = {"smtp", "submission", "pop3",
					   "smtps", "pop3s"};

const char *
service_name(enum service svc)
{
	return svc_names[svc];
}

int
service_parse(const char *name, enum service *svc)
{
	int i;

	for (i = 0; i < SVC_COUNT; i++)
		if (strcmp(name, svc_names[i]) == 0) {
			*svc = (enum service)i;
			return 0;
		}
	return -1;
}

enum service
service_role(enum service svc)
{
	return svc == SVC_SMTPS ? SVC_SUBMISSION
	       : svc == SVC_POP3S ? SVC_POP3
				  : svc;
}

int
service_implicit_tls(enum service svc)
{
	return svc == SVC_SMTPS || svc == SVC_POP3S;
}

/* the value types, and what each one's parser sets */
enum conf_type {
	T_BOOL,	    /* yes|no: the int field */
	T_COUNT,    /* decimal, min..max: the int or long long field */
	T_SIZE,	    /* bytes, K/M/G suffix (powers of 1024): the same */
	T_DURATION, /* seconds, s/m/h/d suffix: the same */
	T_PATH,	    /* relative to the config's directory: char[size] */
	T_MAILBOX,  /* a T_PATH that must contain %u */
	T_HOSTNAME, /* a domain name, kept as written: char[size] */
	T_NAME,	    /* one word kept as written (a user name): char[size] */
	T_LISTEN,   /* SERVICE HOST:PORT, repeatable: c->listen[] */
	T_DOMAINS,  /* DOMAIN..., repeatable: c->domains, lower-cased */
	T_ROUTE,    /* DOMAIN|* HOST:PORT|mx [tls], repeatable: c->routes */
	T_RETRY,    /* MIN MAX durations: MIN as T_DURATION, then retry_max
		       from MIN to RETRY_MAX_MAX */
	T_RATE,	    /* N DURATION: N as T_COUNT, then auth_fail_window from
		       1s to a day */
	T_LOG,	    /* stderr|syslog: the int field, 1 for syslog */
	T_RESOLVER, /* IPV4[:PORT]: resolver_addr, resolver_port (53) */
	T_NETWORKS, /* NETWORK..., repeatable: c->relay_from */
};

struct conf_row {
	const char *name;
	enum conf_type type;
	const char *def;    /* the default, as written in the file; or NULL */
	size_t off, size;   /* the field of struct conf (CONF_FIELD) */
	long long min, max; /* numbers: the accepted range */
};

#define CONF_FIELD(f) offsetof(struct conf, f), sizeof(((struct conf *)0)->f)
#define CONF_LIST 0, 0 /* the repeatable types know their fields */
#define DAY (24LL * 3600)
#define YEAR (365 * DAY)
#define RETRY_MAX_MAX (7 * DAY)
#define COUNT_MAX 100000
/* a probe longer than this would outlast a client's RCPT timeout (5
 * minutes, RFC 5321 §4.5.3.2.3) */
#define VERIFY_TIMEOUT_MAX 300

/*
 * hostname's default is the one that is not a constant: conf_defaults()
 * takes gethostname() (as it is, or "localhost"), as Postfix's myhostname.
 */
static const struct conf_row conf_rows[] = {
    {"hostname", T_HOSTNAME, NULL, CONF_FIELD(hostname), 0, 0},
    {"listen", T_LISTEN, NULL, CONF_LIST, 0, 0},
    {"domain", T_DOMAINS, NULL, CONF_LIST, 0, 0},
    {"passwd", T_PATH, NULL, CONF_FIELD(passwd), 0, 0},
    {"mailbox", T_MAILBOX, "/var/mail/%d/%u", CONF_FIELD(mailbox), 0, 0},
    {"maildir_skel", T_PATH, SKELDIR, CONF_FIELD(maildir_skel), 0, 0},
    {"queue", T_PATH, "/var/spool/smtpd", CONF_FIELD(queue), 0, 0},
    {"route", T_ROUTE, NULL, CONF_LIST, 0, 0},
    {"verify_recipients", T_BOOL, "no", CONF_FIELD(verify_recipients), 0, 0},
    {"verify_cache", T_DURATION, "10m", CONF_FIELD(verify_cache_ttl), 1, YEAR},
    {"max_clients", T_COUNT, "200", CONF_FIELD(max_clients), 1, COUNT_MAX},
    {"max_clients_per_ip", T_COUNT, "20", CONF_FIELD(max_clients_per_ip), 1,
     COUNT_MAX},
    {"session_reuse_count", T_COUNT, "100", CONF_FIELD(session_reuse_count), 1,
     COUNT_MAX},
    {"session_idle_time", T_DURATION, "60", CONF_FIELD(session_idle_time), 1,
     DAY},
    {"max_message_size", T_SIZE, "25M", CONF_FIELD(max_message_size), 1024,
     1LL << 40},
    {"max_recipients", T_COUNT, "100", CONF_FIELD(max_recipients), 1,
     COUNT_MAX},
    {"timeout", T_DURATION, "300", CONF_FIELD(timeout), 1, YEAR},
    {"pop3_timeout", T_DURATION, "10m", CONF_FIELD(pop3_timeout), 1, YEAR},
    {"queue_lifetime", T_DURATION, "5d", CONF_FIELD(queue_lifetime), 1, YEAR},
    {"retry_delay", T_RETRY, "5m 4h", CONF_FIELD(retry_min), 1, DAY},
    {"relay_workers", T_COUNT, "4", CONF_FIELD(relay_workers), 1, COUNT_MAX},
    {"relay_dest_concurrency", T_COUNT, "5", CONF_FIELD(relay_dest_concurrency),
     1, COUNT_MAX},
    {"relay_reuse_count", T_COUNT, "100", CONF_FIELD(relay_reuse_count), 1,
     1000},
    {"user", T_NAME, NULL, CONF_FIELD(user), 0, 0},
    {"resolve_clients", T_BOOL, "no", CONF_FIELD(resolve_clients), 0, 0},
    {"auth_fail_limit", T_RATE, "10 5m", CONF_FIELD(auth_fail_limit), 0,
     COUNT_MAX},
    {"log", T_LOG, "stderr", CONF_FIELD(log_syslog), 0, 0},
    /* issue 11, standard bounces */
    {"delay_warning", T_DURATION, "4h", CONF_FIELD(delay_warning), 0, YEAR},
    {"resolver", T_RESOLVER, NULL, CONF_FIELD(resolver_addr), 0, 0},
    {"max_hops", T_COUNT, "50", CONF_FIELD(max_hops), 1, 1000},
    {"relay_from", T_NETWORKS, NULL, CONF_LIST, 0, 0},
    {"aliases", T_PATH, NULL, CONF_FIELD(aliases), 0, 0},
    {"recipient_delimiter", T_NAME, NULL, CONF_FIELD(recipient_delimiter), 0,
     0},
    /* issue 12: relay timeouts, per step (Postfix's defaults) */
    {"relay_connect_timeout", T_DURATION, "30s",
     CONF_FIELD(relay_connect_timeout), 1, DAY},
    {"relay_helo_timeout", T_DURATION, "300s", CONF_FIELD(relay_helo_timeout),
     1, DAY},
    {"relay_mail_timeout", T_DURATION, "300s", CONF_FIELD(relay_mail_timeout),
     1, DAY},
    {"relay_data_timeout", T_DURATION, "120s", CONF_FIELD(relay_data_timeout),
     1, DAY},
    {"relay_data_block_timeout", T_DURATION, "180s",
     CONF_FIELD(relay_data_block_timeout), 1, DAY},
    {"relay_data_done_timeout", T_DURATION, "600s",
     CONF_FIELD(relay_data_done_timeout), 1, DAY},
    {"verify_timeout", T_DURATION, "10s", CONF_FIELD(verify_timeout), 1,
     VERIFY_TIMEOUT_MAX},
    /* issue 13: TLS */
    {"tls_cert", T_PATH, NULL, CONF_FIELD(tls_cert), 0, 0},
    {"tls_key", T_PATH, NULL, CONF_FIELD(tls_key), 0, 0},
    {"tls_ca", T_PATH, NULL, CONF_FIELD(tls_ca), 0, 0},
    {"tls_ciphers", T_NAME, TLSIO_DEFAULT_CIPHERS, CONF_FIELD(tls_ciphers), 0,
     0},
    {"tls_protocols", T_NAME, TLSIO_DEFAULT_PROTOCOLS,
     CONF_FIELD(tls_protocols), 0, 0},
    {"auth_plaintext", T_BOOL, "no", CONF_FIELD(auth_plaintext), 0, 0},
};

#define CONF_NROWS (sizeof(conf_rows) / sizeof(conf_rows[0]))

struct parse {
	struct conf *c;
	const char *file;
	int line;
	char dir[PATH_MAX];
	int errors;
};

static void
conf_error(struct parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
conf_error(struct parse *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s:%d: %s", p->file, p->line, msg);
	p->errors++;
}

static void *
field_of(struct parse *p, const struct conf_row *r)
{
	return (char *)p->c + r->off;
}

/* v into the row's int or long long field, if v is in the row's range */
static int
store_number(struct parse *p, const struct conf_row *r, const char *word,
	     long long v)
{
	if (v < r->min || v > r->max) {
		conf_error(p, "%s: bad value '%s' (from %lld to %lld)", r->name,
			   word, r->min, r->max);
		return -1;
	}
	if (r->size == sizeof(int))
		*(int *)field_of(p, r) = (int)v;
	else
		*(long long *)field_of(p, r) = v;
	return 0;
}

/* a decimal number as strtoll reads it (so "+5" too); -1 if not one */
static long long
parse_count(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || end == s)
		return -1;
	return v;
}

static void
parse_number(struct parse *p, const struct conf_row *r, char **v)
{
	long long x = r->type == T_SIZE	      ? parse_size(v[0])
		      : r->type == T_DURATION ? parse_duration(v[0])
					      : parse_count(v[0]);

	store_number(p, r, v[0], x);
}

/* the two words of a T_BOOL or T_LOG, as the error names them, and
 * the value each one sets */
static const struct conf_choice {
	const char *word[2];
	int value[2];
} conf_choices[] = {
    [T_BOOL] = {{"yes", "no"}, {1, 0}},
    [T_LOG] = {{"stderr", "syslog"}, {0, 1}},
};

static void
parse_choice(struct parse *p, const struct conf_row *r, char **v)
{
	const struct conf_choice *ch = &conf_choices[r->type];
	int i;

	for (i = 0; i < 2; i++)
		if (strcmp(v[0], ch->word[i]) == 0) {
			*(int *)field_of(p, r) = ch->value[i];
			return;
		}
	conf_error(p, "%s: expects %s or %s, not '%s'", r->name, ch->word[0],
		   ch->word[1], v[0]);
}

static void
parse_path(struct parse *p, const struct conf_row *r, char **v)
{
	int n;

	if (r->type == T_MAILBOX && strstr(v[0], "%u") == NULL) {
		conf_error(p, "%s: the template must contain %%u", r->name);
		return;
	}
	if (v[0][0] == '/')
		n = xsnprintf(field_of(p, r), r->size, "%s", v[0]);
	else
		n = xsnprintf(field_of(p, r), r->size, "%s/%s", p->dir, v[0]);
	if (n < 0)
		conf_error(p, "path too long: %s", v[0]);
}

static int
valid_domain(const char *d)
{
	struct mailaddr a;
	char buf[ADDR_MAX];

	return xsnprintf(buf, sizeof(buf), "x@%s", d) >= 0 &&
	       addr_parse_mailbox(buf, &a) == 0 && !a.literal;
}

static void
parse_hostname(struct parse *p, const struct conf_row *r, char **v)
{
	if (!valid_domain(v[0]) || strlen(v[0]) >= r->size)
		conf_error(p, "%s: not a host name: %s", r->name, v[0]);
	else
		strlcpy(field_of(p, r), v[0], r->size);
}

static void
parse_name(struct parse *p, const struct conf_row *r, char **v)
{
	if (strlcpy(field_of(p, r), v[0], r->size) >= r->size)
		conf_error(p, "%s: name too long", r->name);
}

/* "host:port", "[v6]:port" */
static int
parse_hostport(const char *s, char *host, size_t hsize, char *port,
	       size_t psize)
{
	const char *colon;
	char *end;
	size_t hl;
	long v;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		hl = (size_t)(close - s - 1);
		s++;
		colon = close + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hsize || strlen(colon + 1) >= psize)
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	strlcpy(port, colon + 1, psize);
	v = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || v < 1 || v > 65535)
		return -1;
	return 0;
}

static void
parse_listen(struct parse *p, const struct conf_row *r, char **v)
{
	struct conf *c = p->c;
	struct listen_conf *l = &c->listen[c->nlisten];

	if (c->nlisten == CONF_LISTEN_MAX)
		conf_error(p, "%s: too many (at most %d)", r->name,
			   CONF_LISTEN_MAX);
	else if (service_parse(v[0], &l->svc) < 0)
		conf_error(p,
			   "%s: unknown service '%s' (smtp, submission, pop3, "
			   "smtps or pop3s)",
			   r->name, v[0]);
	else if (parse_hostport(v[1], l->host, sizeof(l->host), l->port,
				sizeof(l->port)) < 0)
		conf_error(p, "%s: bad address '%s' (want host:port)", r->name,
			   v[1]);
	else
		c->nlisten++;
}

/* the good domains of a line are kept even when one is bad */
static void
parse_domains(struct parse *p, const struct conf_row *r, char **v)
{
	struct conf *c = p->c;

	if (v[0] == NULL)
		conf_error(p, "%s: expects at least one domain", r->name);
	for (; *v != NULL; v++) {
		if (!valid_domain(*v)) {
			conf_error(p, "%s: not a domain: %s", r->name, *v);
			continue;
		}
		c->domains = xreallocarray(c->domains, (size_t)c->ndomains + 1,
					   sizeof(*c->domains));
		c->domains[c->ndomains] = xstrdup(*v);
		str_lower(c->domains[c->ndomains++]);
	}
}

static void
parse_route(struct parse *p, const struct conf_row *r, char **v)
{
	struct conf *c = p->c;
	struct route rt;

	memset(&rt, 0, sizeof(rt));
	if (v[0] == NULL || v[1] == NULL ||
	    (v[2] != NULL && (strcmp(v[2], "tls") != 0 || v[3] != NULL))) {
		conf_error(p, "%s: expects DOMAIN HOST:PORT|mx [tls]", r->name);
		return;
	}
	if (strcmp(v[0], "*") != 0 && !valid_domain(v[0])) {
		conf_error(p, "%s: not a domain: %s", r->name, v[0]);
		return;
	}
	strlcpy(rt.domain, v[0], sizeof(rt.domain));
	str_lower(rt.domain);
	if (strcmp(v[1], "mx") == 0)
		rt.mx = 1;
	else if (parse_hostport(v[1], rt.host, sizeof(rt.host), rt.port,
			   sizeof(rt.port)) < 0) {
		conf_error(p, "%s: bad address '%s' (want host:port or mx)",
			   r->name, v[1]);
		return;
	}
	rt.tls = v[2] != NULL;
	c->routes = xreallocarray(c->routes, (size_t)c->nroutes + 1,
				  sizeof(*c->routes));
	c->routes[c->nroutes++] = rt;
}

static void
parse_retry(struct parse *p, const struct conf_row *r, char **v)
{
	struct conf_row hi = *r;

	if (store_number(p, r, v[0], parse_duration(v[0])) < 0)
		return;
	hi.off = offsetof(struct conf, retry_max);
	hi.size = sizeof(p->c->retry_max);
	hi.min = p->c->retry_min;
	hi.max = RETRY_MAX_MAX;
	store_number(p, &hi, v[1], parse_duration(v[1]));
}

static void
parse_rate(struct parse *p, const struct conf_row *r, char **v)
{
	struct conf_row window = *r;

	if (store_number(p, r, v[0], parse_count(v[0])) < 0)
		return;
	window.off = offsetof(struct conf, auth_fail_window);
	window.size = sizeof(p->c->auth_fail_window);
	window.min = 1;
	window.max = DAY;
	store_number(p, &window, v[1], parse_duration(v[1]));
}

/* the DNS server to ask: an IPv4 address, the port 53 unless given
 * (glibc's resolver state holds IPv4 name servers only) */
static void
parse_resolver(struct parse *p, const struct conf_row *r, char **v)
{
	struct conf *c = p->c;
	unsigned char a[4];
	char buf[sizeof(c->resolver_addr) + 6];

	if (xsnprintf(buf, sizeof(buf), "%s%s", v[0],
		      strchr(v[0], ':') ? "" : ":53") < 0 ||
	    parse_hostport(buf, c->resolver_addr, sizeof(c->resolver_addr),
			   c->resolver_port, sizeof(c->resolver_port)) < 0 ||
	    inet_pton(AF_INET, c->resolver_addr, a) != 1) {
		c->resolver_addr[0] = '\0';
		conf_error(p, "%s: bad address '%s' (want IPv4[:PORT])",
			   r->name, v[0]);
	}
}

/* the good networks of a line are kept even when one is bad */
static void
parse_networks(struct parse *p, const struct conf_row *r, char **v)
{
	struct conf *c = p->c;
	struct cidr net;
	const char *why;

	if (v[0] == NULL)
		conf_error(p, "%s: expects at least one network", r->name);
	for (; *v != NULL; v++) {
		if (cidr_parse(*v, &net, &why) < 0) {
			conf_error(p, "%s: %s: %s", r->name, *v, why);
			continue;
		}
		c->relay_from =
		    xreallocarray(c->relay_from, (size_t)c->nrelay_from + 1,
				  sizeof(*c->relay_from));
		c->relay_from[c->nrelay_from++] = net;
	}
}

/* each type's parser, and how many values it takes (0: it counts them) */
static const struct conf_type_info {
	void (*parse)(struct parse *, const struct conf_row *, char **);
	int nvalues;
} conf_types[] = {
    [T_BOOL] = {parse_choice, 1},	[T_COUNT] = {parse_number, 1},
    [T_SIZE] = {parse_number, 1},	[T_DURATION] = {parse_number, 1},
    [T_PATH] = {parse_path, 1},		[T_MAILBOX] = {parse_path, 1},
    [T_HOSTNAME] = {parse_hostname, 1}, [T_NAME] = {parse_name, 1},
    [T_LISTEN] = {parse_listen, 2},	[T_DOMAINS] = {parse_domains, 0},
    [T_ROUTE] = {parse_route, 0},	[T_RETRY] = {parse_retry, 2},
    [T_RATE] = {parse_rate, 2},		[T_LOG] = {parse_choice, 1},
    [T_RESOLVER] = {parse_resolver, 1},
    [T_NETWORKS] = {parse_networks, 0},
};

/* w[0..n-1] are the values after the name, w[n] is NULL */
static void
conf_apply(struct parse *p, const struct conf_row *r, char **w, int n)
{
	const struct conf_type_info *t = &conf_types[r->type];

	if (t->nvalues != 0 && n != t->nvalues) {
		conf_error(p, "%s: expects %d value%s", r->name, t->nvalues,
			   t->nvalues == 1 ? "" : "s");
		return;
	}
	t->parse(p, r, w);
}

/* split s at blanks into w[], NULL-terminated: the count, -1 if > max */
static int
conf_split(char *s, char **w, int max)
{
	char *save;
	int n = 0;

	for (s = strtok_r(s, " \t\r\n", &save); s != NULL;
	     s = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == max)
			return -1;
		w[n++] = s;
	}
	w[n] = NULL;
	return n;
}

static void
conf_defaults(struct parse *p)
{
	struct conf *c = p->c;
	char buf[CONF_LINE_MAX + 1], *w[CONF_WORDS_MAX + 1];
	const struct conf_row *r;

	if (gethostname(c->hostname, sizeof(c->hostname)) < 0 ||
	    c->hostname[0] == '\0')
		strlcpy(c->hostname, "localhost", sizeof(c->hostname));
	c->hostname[sizeof(c->hostname) - 1] = '\0';
	for (r = conf_rows; r < conf_rows + CONF_NROWS; r++) {
		/* a row whose range does not fit its int field is a bug */
		if (r->size == sizeof(int) && r->max > INT_MAX)
			fatalx("conf_rows: %s: max too big for an int",
			       r->name);
		if (r->def == NULL)
			continue;
		strlcpy(buf, r->def, sizeof(buf));
		conf_apply(p, r, w, conf_split(buf, w, CONF_WORDS_MAX));
	}
}

static void
conf_directive(struct parse *p, char **w, int n)
{
	const struct conf_row *r;

	for (r = conf_rows; r < conf_rows + CONF_NROWS; r++)
		if (strcmp(w[0], r->name) == 0) {
			conf_apply(p, r, w + 1, n - 1);
			return;
		}
	conf_error(p, "unknown directive '%s'", w[0]);
}

/* a problem of the whole file, not of one line */
static void
conf_error_file(struct parse *p, const char *msg, const char *what)
{
	log_warnx("%s: %s: %s", p->file, what, msg);
	p->errors++;
}

/*
 * What TLS needs, after the whole file: a TLS=1 build for any of it, a
 * key pair for the implicit TLS listeners, protocols libtls knows.  The
 * pair itself is loaded by the master (setup_tls), which names the file
 * it cannot read.
 */
static void
conf_check_tls(struct parse *p)
{
	struct conf *c = p->c;
	const char *what = NULL;
	int i, implicit = 0, tls_routes = 0;

	for (i = 0; i < c->nlisten; i++)
		if (service_implicit_tls(c->listen[i].svc))
			implicit = 1;
	for (i = 0; i < c->nroutes; i++)
		tls_routes += c->routes[i].tls;
	if (c->tls_cert[0] != '\0')
		what = "tls_cert";
	else if (c->tls_key[0] != '\0')
		what = "tls_key";
	else if (implicit)
		what = "listen smtps/pop3s";
	else if (tls_routes)
		what = "route ... tls";
	else if (c->tls_ca[0] != '\0')
		what = "tls_ca";
	else if (strcmp(c->tls_protocols, TLSIO_DEFAULT_PROTOCOLS) != 0)
		what = "tls_protocols";
	else if (strcmp(c->tls_ciphers, TLSIO_DEFAULT_CIPHERS) != 0)
		what = "tls_ciphers";
	if (what != NULL && !tlsio_built()) {
		conf_error_file(p, "this smtpd is built without TLS (make TLS=1)",
				what);
		return;
	}
	if (!tlsio_built())
		return;
	if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0'))
		conf_error_file(p, "goes with the other (both or neither)",
				what);
	else if (implicit && c->tls_cert[0] == '\0')
		conf_error_file(p, "needs tls_cert and tls_key", what);
	/* the relay's STARTTLS uses them too, with no key pair */
	if (tlsio_protocols_ok(c->tls_protocols) < 0)
		conf_error_file(p, "bad value", "tls_protocols");
	if (tlsio_ciphers_ok(c->tls_ciphers) < 0)
		conf_error_file(p, "bad value", "tls_ciphers");
}

int
conf_load(const char *path, struct conf *c)
{
	struct parse p;
	char line[CONF_LINE_MAX + 2], *w[CONF_WORDS_MAX + 1], *s;
	FILE *fp;
	size_t len;
	int n, got;

	memset(c, 0, sizeof(*c));
	memset(&p, 0, sizeof(p));
	p.c = c;
	if (strlcpy(c->path, path, sizeof(c->path)) >= sizeof(c->path)) {
		log_warnx("%s: path too long", path);
		return -1;
	}
	if ((s = strrchr(c->path, '/')) == NULL)
		strlcpy(p.dir, ".", sizeof(p.dir));
	else if (s == c->path)
		strlcpy(p.dir, "/", sizeof(p.dir));
	else {
		*s = '\0';
		strlcpy(p.dir, c->path, sizeof(p.dir));
		*s = '/';
	}
	p.file = "built-in default";
	conf_defaults(&p);
	p.file = path;
	if ((fp = fopen(path, "r")) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	while ((got = file_read_line(fp, line, sizeof(line), &len)) != 0) {
		p.line++;
		if (got < 0) {
			conf_error(&p, "line longer than %d characters",
				   CONF_LINE_MAX);
			continue;
		}
		if (memchr(line, '\0', len) != NULL) {
			conf_error(&p, "NUL character in line");
			continue;
		}
		if ((s = strchr(line, '#')) != NULL)
			*s = '\0';
		if ((n = conf_split(line, w, CONF_WORDS_MAX)) < 0)
			conf_error(&p, "too many words");
		else if (n > 0)
			conf_directive(&p, w, n);
	}
	if (ferror(fp))
		conf_error(&p, "read error");
	fclose(fp);
	if (c->nlisten == 0) {
		log_warnx("%s: no listen directive", path);
		p.errors++;
	}
	conf_check_tls(&p);
	if (p.errors) {
		conf_free(c);
		return -1;
	}
	return 0;
}

void
conf_free(struct conf *c)
{
	int i;

	for (i = 0; i < c->ndomains; i++)
		free(c->domains[i]);
	free(c->domains);
	free(c->routes);
	c->domains = NULL;
	c->routes = NULL;
	c->ndomains = c->nroutes = 0;
	free(c->relay_from);
	c->relay_from = NULL;
	c->nrelay_from = 0;
}
