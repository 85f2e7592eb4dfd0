/*
 * conf.c - reads smtpd.conf (see conf.h and smtpd.conf(5)).  It only
 * parses and checks; binding, dropping privileges and creating the
 * directories it names are main.c's job.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "util.h"

#define CONF_LINE_MAX 1024
#define CONF_WORDS_MAX 32

static const char *svc_names[SVC_COUNT] = {"smtp", "submission", "pop3"};

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

/* make path absolute against the config's directory */
static int
conf_path(struct parse *p, const char *val, char *out, size_t size)
{
	int n;

	if (val[0] == '/')
		n = xsnprintf(out, size, "%s", val);
	else
		n = xsnprintf(out, size, "%s/%s", p->dir, val);
	if (n < 0) {
		conf_error(p, "path too long: %s", val);
		return -1;
	}
	return 0;
}

/* "host:port", "[v6]:port" */
static int
parse_hostport(const char *s, char *host, size_t hsize, char *port,
	       size_t psize)
{
	const char *colon;
	size_t hl;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (end == NULL || end[1] != ':')
			return -1;
		hl = (size_t)(end - s - 1);
		s++;
		colon = end + 1;
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
	{
		char *end;
		long v = strtol(port, &end, 10);
		if (*port == '\0' || *end != '\0' || v < 1 || v > 65535)
			return -1;
	}
	return 0;
}

static int
parse_int(struct parse *p, const char *name, const char *val, long long min,
	  long long max, long long v)
{
	if (v < min || v > max) {
		conf_error(p, "%s: bad value '%s' (from %lld to %lld)", name, val,
			   min, max);
		return -1;
	}
	return 0;
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
conf_directive(struct parse *p, char **w, int n)
{
	struct conf *c = p->c;
	const char *k = w[0];
	long long v;
	int i;

#define NEED(cnt)                                                              \
	do {                                                                   \
		if (n != (cnt) + 1) {                                          \
			conf_error(p, "%s: expects %d value%s", k, (cnt),      \
				   (cnt) == 1 ? "" : "s");                     \
			return;                                                \
		}                                                              \
	} while (0)

	if (strcmp(k, "hostname") == 0) {
		NEED(1);
		if (!valid_domain(w[1]))
			conf_error(p, "hostname: not a host name: %s", w[1]);
		else
			strlcpy(c->hostname, w[1], sizeof(c->hostname));
	} else if (strcmp(k, "listen") == 0) {
		struct listen_conf *l;
		NEED(2);
		if (c->nlisten == CONF_LISTEN_MAX) {
			conf_error(p, "listen: too many (at most %d)",
				   CONF_LISTEN_MAX);
			return;
		}
		l = &c->listen[c->nlisten];
		if (service_parse(w[1], &l->svc) < 0)
			conf_error(p, "listen: unknown service '%s' (smtp, "
				      "submission or pop3)", w[1]);
		else if (parse_hostport(w[2], l->host, sizeof(l->host), l->port,
					sizeof(l->port)) < 0)
			conf_error(p, "listen: bad address '%s' (want "
				      "host:port)", w[2]);
		else
			c->nlisten++;
	} else if (strcmp(k, "domain") == 0) {
		if (n < 2) {
			conf_error(p, "domain: expects at least one domain");
			return;
		}
		for (i = 1; i < n; i++) {
			if (!valid_domain(w[i])) {
				conf_error(p, "domain: not a domain: %s", w[i]);
				continue;
			}
			c->domains = xreallocarray(c->domains,
						   (size_t)c->ndomains + 1,
						   sizeof(*c->domains));
			c->domains[c->ndomains] = xstrdup(w[i]);
			str_lower(c->domains[c->ndomains++]);
		}
	} else if (strcmp(k, "passwd") == 0) {
		NEED(1);
		conf_path(p, w[1], c->passwd, sizeof(c->passwd));
	} else if (strcmp(k, "mailbox") == 0) {
		NEED(1);
		if (strstr(w[1], "%u") == NULL)
			conf_error(p, "mailbox: the template must contain %%u");
		else
			conf_path(p, w[1], c->mailbox, sizeof(c->mailbox));
	} else if (strcmp(k, "maildir_skel") == 0) {
		NEED(1);
		conf_path(p, w[1], c->maildir_skel, sizeof(c->maildir_skel));
	} else if (strcmp(k, "queue") == 0) {
		NEED(1);
		conf_path(p, w[1], c->queue, sizeof(c->queue));
	} else if (strcmp(k, "route") == 0) {
		struct route r;
		NEED(2);
		memset(&r, 0, sizeof(r));
		if (strcmp(w[1], "*") != 0 && !valid_domain(w[1])) {
			conf_error(p, "route: not a domain: %s", w[1]);
			return;
		}
		strlcpy(r.domain, w[1], sizeof(r.domain));
		str_lower(r.domain);
		if (parse_hostport(w[2], r.host, sizeof(r.host), r.port,
				   sizeof(r.port)) < 0) {
			conf_error(p, "route: bad address '%s' (want host:port)",
				   w[2]);
			return;
		}
		c->routes = xreallocarray(c->routes, (size_t)c->nroutes + 1,
					  sizeof(*c->routes));
		c->routes[c->nroutes++] = r;
	} else if (strcmp(k, "verify_recipients") == 0 ||
		   strcmp(k, "resolve_clients") == 0) {
		int *flag = k[0] == 'v' ? &c->verify_recipients
					: &c->resolve_clients;
		NEED(1);
		if (strcmp(w[1], "yes") == 0)
			*flag = 1;
		else if (strcmp(w[1], "no") == 0)
			*flag = 0;
		else
			conf_error(p, "%s: expects yes or no, not '%s'", k, w[1]);
	} else if (strcmp(k, "max_clients") == 0 ||
		   strcmp(k, "max_clients_per_ip") == 0 ||
		   strcmp(k, "max_recipients") == 0 ||
		   strcmp(k, "relay_workers") == 0) {
		int *dst = strcmp(k, "max_clients") == 0 ? &c->max_clients
			   : strcmp(k, "max_recipients") == 0 ? &c->max_recipients
			   : strcmp(k, "relay_workers") == 0 ? &c->relay_workers
							     : &c->max_clients_per_ip;
		char *end;
		NEED(1);
		errno = 0;
		v = strtoll(w[1], &end, 10);
		if (errno || *end || end == w[1])
			v = -1;
		if (parse_int(p, k, w[1], 1, 100000, v) == 0)
			*dst = (int)v;
	} else if (strcmp(k, "max_message_size") == 0) {
		NEED(1);
		v = parse_size(w[1]);
		if (parse_int(p, k, w[1], 1024, 1LL << 40, v) == 0)
			c->max_message_size = v;
	} else if (strcmp(k, "timeout") == 0 || strcmp(k, "pop3_timeout") == 0 ||
		   strcmp(k, "queue_lifetime") == 0 ||
		   strcmp(k, "verify_cache") == 0) {
		NEED(1);
		v = parse_duration(w[1]);
		if (parse_int(p, k, w[1], 1, 365LL * 86400, v) < 0)
			return;
		if (k[0] == 't')
			c->timeout = (int)v;
		else if (k[0] == 'p')
			c->pop3_timeout = (int)v;
		else if (k[0] == 'q')
			c->queue_lifetime = v;
		else
			c->verify_cache_ttl = (int)v;
	} else if (strcmp(k, "retry_delay") == 0) {
		long long lo, hi;
		NEED(2);
		lo = parse_duration(w[1]);
		hi = parse_duration(w[2]);
		if (parse_int(p, k, w[1], 1, 86400, lo) < 0 ||
		    parse_int(p, k, w[2], lo < 1 ? 1 : lo, 7 * 86400, hi) < 0)
			return;
		c->retry_min = (int)lo;
		c->retry_max = (int)hi;
	} else if (strcmp(k, "user") == 0) {
		NEED(1);
		if (strlcpy(c->user, w[1], sizeof(c->user)) >= sizeof(c->user))
			conf_error(p, "user: name too long");
	} else if (strcmp(k, "auth_fail_limit") == 0) {
		/* auth_fail_limit N DURATION (issue 7, item 10); N 0: off */
		char *end;
		NEED(2);
		errno = 0;
		v = strtoll(w[1], &end, 10);
		if (errno || *end || end == w[1])
			v = -1;
		if (parse_int(p, k, w[1], 0, 100000, v) < 0)
			return;
		c->auth_fail_limit = (int)v;
		v = parse_duration(w[2]);
		if (parse_int(p, k, w[2], 1, 86400, v) == 0)
			c->auth_fail_window = (int)v;
	} else
		conf_error(p, "unknown directive '%s'", k);
#undef NEED
}

static void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	if (gethostname(c->hostname, sizeof(c->hostname)) < 0 ||
	    c->hostname[0] == '\0')
		strlcpy(c->hostname, "localhost", sizeof(c->hostname));
	c->hostname[sizeof(c->hostname) - 1] = '\0';
	strlcpy(c->mailbox, "/var/mail/%d/%u", sizeof(c->mailbox));
	strlcpy(c->maildir_skel, SKELDIR, sizeof(c->maildir_skel));
	strlcpy(c->queue, "/var/spool/smtpd", sizeof(c->queue));
	c->verify_cache_ttl = 600;
	c->max_clients = 200;
	c->max_clients_per_ip = 20;
	c->max_message_size = 25LL * 1024 * 1024;
	c->max_recipients = 100;
	c->timeout = 300;
	c->pop3_timeout = 600;
	c->queue_lifetime = 5LL * 86400;
	c->retry_min = 300;
	c->retry_max = 4 * 3600;
	c->relay_workers = 4;
	c->auth_fail_limit = CONF_AUTH_FAIL_LIMIT;
	c->auth_fail_window = CONF_AUTH_FAIL_WINDOW;
}

int
conf_load(const char *path, struct conf *c)
{
	struct parse p;
	char line[CONF_LINE_MAX + 2], *w[CONF_WORDS_MAX], *s;
	FILE *fp;
	size_t len;
	int n, got;

	conf_defaults(c);
	memset(&p, 0, sizeof(p));
	p.c = c;
	p.file = path;
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
		n = 0;
		for (s = strtok(line, " \t\r\n"); s != NULL;
		     s = strtok(NULL, " \t\r\n")) {
			if (n == CONF_WORDS_MAX) {
				conf_error(&p, "too many words");
				n = -1;
				break;
			}
			w[n++] = s;
		}
		if (n > 0)
			conf_directive(&p, w, n);
	}
	if (ferror(fp))
		conf_error(&p, "read error");
	fclose(fp);
	p.line = 0;
	if (c->nlisten == 0) {
		log_warnx("%s: no listen directive", path);
		p.errors++;
	}
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
}

int
conf_is_local(const struct conf *c, const char *domain)
{
	int i;

	for (i = 0; i < c->ndomains; i++)
		if (str_ieq(c->domains[i], domain))
			return 1;
	return 0;
}

const struct route *
conf_route(const struct conf *c, const char *domain)
{
	const struct route *star = NULL;
	int i;

	for (i = 0; i < c->nroutes; i++) {
		if (str_ieq(c->routes[i].domain, domain))
			return &c->routes[i];
		if (strcmp(c->routes[i].domain, "*") == 0 && star == NULL)
			star = &c->routes[i];
	}
	return star;
}

/* a path component from an address part: no "/", no "..", no controls */
static int
safe_component(const char *s)
{
	if (*s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 ||
	    s[0] == '.')
		return 0;
	for (; *s; s++)
		if (*s == '/' || iscntrl((unsigned char)*s) || *s == ' ')
			return 0;
	return 1;
}

int
conf_mailbox(const struct conf *c, const char *local, const char *domain,
	     char *buf, size_t size)
{
	char u[ADDR_LOCAL_MAX + 1], d[ADDR_DOMAIN_MAX + 1];
	const char *t;
	size_t n = 0;

	if (strlcpy(u, local, sizeof(u)) >= sizeof(u) ||
	    strlcpy(d, domain, sizeof(d)) >= sizeof(d))
		return -1;
	str_lower(u);
	str_lower(d);
	if (!safe_component(u) || !safe_component(d))
		return -1;
	for (t = c->mailbox; *t; t++) {
		const char *ins = NULL;
		char one[2] = {*t, '\0'};
		if (t[0] == '%' && t[1] == 'u')
			ins = u;
		else if (t[0] == '%' && t[1] == 'd')
			ins = d;
		if (ins)
			t++;
		else
			ins = one;
		if (n + strlen(ins) >= size)
			return -1;
		memcpy(buf + n, ins, strlen(ins) + 1);
		n += strlen(ins);
	}
	return 0;
}
