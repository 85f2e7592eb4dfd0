/*
 * activate.c - see activate.h.  It only reads the environment and asks
 * the kernel about the passed descriptors (fstat, getsockopt,
 * getsockname); the listen lines' hosts are looked up as the master
 * would bind them (getaddrinfo, AI_PASSIVE).  It never binds, accepts
 * or closes a socket: a mismatch ends the start before anyone is
 * served.  Each passed socket is made close-on-exec and non-blocking,
 * as the master's own listeners are.
 */
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "util.h"

#include "activate.h"

#define FIRST_FD 3     /* SD_LISTEN_FDS_START */
#define EXIT_CONFIG 78 /* EX_CONFIG, as the master's config errors */
#define LINE_ADDRS 8   /* addresses kept of one listen host */

enum fit { FIT_NONE, FIT_WILDCARD, FIT_EXACT };

struct passed {
	int fd;
	char name[64]; /* its LISTEN_FDNAMES entry, "" if none */
	struct sockaddr_storage ss;
	char text[128]; /* its local address, for messages */
	int line;	/* the listen line it serves, -1 none, -2 several */
};

struct line_addrs {
	struct sockaddr_storage a[LINE_ADDRS];
	int n;
	int fd; /* index into passed[], or -1 */
};

/* the address part of sa, IPv4-mapped IPv6 as IPv4; its port */
static void
addr_key(const struct sockaddr_storage *ss, unsigned char key[16], int *v4,
	 unsigned *port, int *wildcard)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0,	   0,
						 0, 0, 0, 0, 0xff, 0xff};
	static const unsigned char zero[16];

	memset(key, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;
		memcpy(key, &sin->sin_addr, 4);
		*v4 = 1;
		*port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;
		*v4 = memcmp(&s6->sin6_addr, mapped, 12) == 0;
		memcpy(key,
		       (const unsigned char *)&s6->sin6_addr + (*v4 ? 12 : 0),
		       *v4 ? 4 : 16);
		*port = ntohs(s6->sin6_port);
	} else {
		*v4 = 0;
		*port = 0;
		*wildcard = 0;
		return;
	}
	*wildcard = memcmp(key, zero, 16) == 0;
}

/* how a passed socket's address fits one listen line's addresses */
static enum fit
addr_fit(const struct sockaddr_storage *sock, const struct line_addrs *l)
{
	unsigned char k1[16], k2[16];
	int v1, v2, w1, w2, i;
	unsigned p1, p2;
	enum fit best = FIT_NONE;

	addr_key(sock, k1, &v1, &p1, &w1);
	if (p1 == 0)
		return FIT_NONE;
	for (i = 0; i < l->n; i++) {
		addr_key(&l->a[i], k2, &v2, &p2, &w2);
		if (p1 != p2)
			continue;
		if ((w1 && w2) || (v1 == v2 && memcmp(k1, k2, 16) == 0))
			return FIT_EXACT;
		/* a socket on one address for a line on all: narrower, fine;
		 * the reverse would serve where the config does not */
		if (w2)
			best = FIT_WILDCARD;
	}
	return best;
}

/* a socket on every address, where the line names one, same port */
static int
addr_wider(const struct sockaddr_storage *sock, const struct line_addrs *l)
{
	unsigned char k1[16], k2[16];
	int v1, v2, w1, w2, i;
	unsigned p1, p2;

	addr_key(sock, k1, &v1, &p1, &w1);
	for (i = 0; w1 && i < l->n; i++) {
		addr_key(&l->a[i], k2, &v2, &p2, &w2);
		if (p1 == p2 && !w2)
			return 1;
	}
	return 0;
}

/* say which listen line a socket too wide for it was meant for */
static void
say_wider(const struct conf *c, const struct passed *p,
	  const struct line_addrs *la, const char *what)
{
	int j;

	for (j = 0; j < c->nlisten; j++)
		if (addr_wider(&p->ss, &la[j]))
			log_warnx("systemd's socket %d (%s) listens on every "
				  "address, wider than listen %s %s:%s%s "
				  "(ListenStream=%s:%s)",
				  p->fd, p->text, service_name(c->listen[j].svc),
				  c->listen[j].host, c->listen[j].port, what,
				  c->listen[j].host, c->listen[j].port);
}

/* the descriptor i of LISTEN_FDS: a listening stream socket, described */
static int
passed_check(struct passed *p, int fd)
{
	struct stat st;
	int type = 0, listening = 0;
	socklen_t tlen = sizeof(type), llen = sizeof(listening);
	socklen_t slen = sizeof(p->ss);

	p->fd = fd;
	p->line = -1;
	memset(&p->ss, 0, sizeof(p->ss));
	strlcpy(p->text, "?", sizeof(p->text));
	if (fstat(fd, &st) < 0) {
		log_warn("systemd's descriptor %d%s%s", fd,
			 p->name[0] ? " named " : "", p->name);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode) ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 ||
	    type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &llen) < 0 ||
	    !listening) {
		log_warnx("systemd's descriptor %d%s%s is not a listening "
			  "stream socket (ListenStream=)",
			  fd, p->name[0] ? " named " : "", p->name);
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&p->ss, &slen) == 0)
		net_addr_text((struct sockaddr *)&p->ss, slen, p->text,
			      sizeof(p->text));
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return 0;
}

/* the addresses a listen line would bind */
static void
line_resolve(const struct listen_conf *l, struct line_addrs *la)
{
	struct addrinfo hints, *res, *ai;
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	la->n = 0;
	la->fd = -1;
	if ((r = getaddrinfo(l->host, l->port, &hints, &res)) != 0) {
		log_warnx("listen %s %s:%s: %s", service_name(l->svc), l->host,
			  l->port, gai_strerror(r));
		return;
	}
	for (ai = res; ai != NULL && la->n < LINE_ADDRS; ai = ai->ai_next)
		if (ai->ai_addrlen <= sizeof(la->a[0]))
			memcpy(&la->a[la->n++], ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
}

/*
 * Do the names tell the services apart?  Each must be a service, and
 * none may be given to more sockets than the service has listen lines
 * (one FileDescriptorName= for a whole unit names every socket alike).
 */
static int
names_decide(const struct conf *c, const struct passed *p, int n)
{
	int named[SVC_COUNT] = {0}, lines[SVC_COUNT] = {0}, i;
	enum service svc;

	for (i = 0; i < c->nlisten; i++)
		lines[c->listen[i].svc]++;
	for (i = 0; i < n; i++) {
		if (service_parse(p[i].name, &svc) < 0)
			return 0;
		named[svc]++;
	}
	for (i = 0; i < SVC_COUNT; i++)
		if (named[i] > lines[i])
			return 0;
	return 1;
}

static void
pair(struct passed *p, int i, struct line_addrs *la, int line)
{
	p[i].line = line;
	la[line].fd = i;
}

/*
 * Give each unmatched socket the unmatched line it fits as want says
 * (with bynames, only a line of its named service).  Called for the
 * exact fits first, then for the wildcard ones, where the fit must be
 * the only one: 0, or -1 when a socket fits several lines alike.
 */
static int
match_by_address(const struct conf *c, struct passed *p, int n,
		 struct line_addrs *la, int bynames, enum fit want)
{
	enum service svc;
	int i, j, found, several, bad = 0;

	for (i = 0; i < n; i++) {
		if (p[i].line >= 0)
			continue;
		found = -1;
		several = 0;
		for (j = 0; j < c->nlisten; j++) {
			if (la[j].fd >= 0 || addr_fit(&p[i].ss, &la[j]) != want)
				continue;
			if (bynames && (service_parse(p[i].name, &svc) < 0 ||
					svc != c->listen[j].svc))
				continue;
			if (found >= 0 && want == FIT_WILDCARD) {
				log_warnx("systemd's socket %d (%s) fits both "
					  "listen %s %s:%s and listen %s %s:%s",
					  p[i].fd, p[i].text,
					  service_name(c->listen[found].svc),
					  c->listen[found].host,
					  c->listen[found].port,
					  service_name(c->listen[j].svc),
					  c->listen[j].host, c->listen[j].port);
				several = bad = 1;
				break;
			}
			if (found < 0)
				found = j;
		}
		if (several)
			p[i].line = -2; /* said so: not "matches no line" */
		else if (found >= 0)
			pair(p, i, la, found);
	}
	return bad ? -1 : 0;
}

/* with names: a service with one socket and one line pairs them */
static void
match_by_name(const struct conf *c, struct passed *p, int n,
	      struct line_addrs *la)
{
	int s, i, j, fi = -1, lj = -1, nf, nl;
	enum service svc;

	for (s = 0; s < SVC_COUNT; s++) {
		for (nf = 0, i = 0; i < n; i++)
			if (service_parse(p[i].name, &svc) == 0 &&
			    (int)svc == s) {
				nf++;
				fi = i;
			}
		for (nl = 0, j = 0; j < c->nlisten; j++)
			if ((int)c->listen[j].svc == s) {
				nl++;
				lj = j;
			}
		if (nf == 1 && nl == 1)
			pair(p, fi, la, lj);
	}
}

/* LISTEN_FDNAMES split into p[].name; all "" when absent or miscounted */
static void
names_read(struct passed *p, int n)
{
	const char *names = getenv("LISTEN_FDNAMES");
	char buf[CONF_LISTEN_MAX * 64], *name, *save = NULL;
	int i = 0;

	for (i = 0; i < n; i++)
		p[i].name[0] = '\0';
	if (names == NULL || strlcpy(buf, names, sizeof(buf)) >= sizeof(buf))
		return;
	for (i = 0, name = strtok_r(buf, ":", &save); name != NULL && i < n;
	     name = strtok_r(NULL, ":", &save))
		strlcpy(p[i++].name, name, sizeof(p[0].name));
	if (i != n || name != NULL) {
		log_warnx("LISTEN_FDNAMES=%s: not one name per descriptor "
			  "(LISTEN_FDS=%d), ignored",
			  names, n);
		for (i = 0; i < n; i++)
			p[i].name[0] = '\0';
	}
}

int
activate_listeners(const struct conf *c, int fd[CONF_LISTEN_MAX])
{
	const char *pid = getenv("LISTEN_PID"), *nfds = getenv("LISTEN_FDS");
	struct passed p[CONF_LISTEN_MAX];
	struct line_addrs la[CONF_LISTEN_MAX];
	char *end;
	long n;
	int i, bad = 0, bynames;

	if (pid == NULL || nfds == NULL || atol(pid) != (long)getpid())
		return 0;
	n = strtol(nfds, &end, 10);
	if (*nfds == '\0' || *end != '\0' || n < 0)
		fatalx("LISTEN_FDS=%s: not a number of descriptors", nfds);
	if (n > CONF_LISTEN_MAX)
		fatalx("LISTEN_FDS=%s: more sockets than smtpd can listen on "
		       "(%d)",
		       nfds, CONF_LISTEN_MAX);
	names_read(p, (int)n);
	for (i = 0; i < n; i++)
		if (passed_check(&p[i], FIRST_FD + i) < 0)
			bad = 1;
	for (i = 0; i < c->nlisten; i++)
		line_resolve(&c->listen[i], &la[i]);
	if (bad)
		exit(EXIT_CONFIG);
	bynames = names_decide(c, p, (int)n);
	if (bynames) {
		match_by_name(c, p, (int)n, la);
		for (i = 0; i < n; i++)
			if (p[i].line >= 0 && addr_wider(&p[i].ss, &la[p[i].line]))
				say_wider(c, &p[i], la,
					  ": taken by its name, but it serves "
					  "where the config does not");
	}
	else if (n > 0)
		log_info("LISTEN_FDNAMES do not tell smtp, submission and pop3 "
			 "apart: matching systemd's sockets by address");
	if (match_by_address(c, p, (int)n, la, bynames, FIT_EXACT) < 0 ||
	    match_by_address(c, p, (int)n, la, bynames, FIT_WILDCARD) < 0)
		bad = 1;
	for (i = 0; i < n; i++)
		if (p[i].line == -1) {
			log_warnx("systemd's socket %d (%s%s%s) matches no "
				  "listen line in %s",
				  p[i].fd, p[i].text,
				  p[i].name[0] ? ", named " : "", p[i].name,
				  c->path);
			say_wider(c, &p[i], la, ": give the socket that address");
			bad = 1;
		}
	for (i = 0; i < c->nlisten; i++) {
		const struct listen_conf *l = &c->listen[i];
		if (la[i].fd < 0) {
			log_warnx("%s: listen %s %s:%s: no socket from "
				  "systemd for it (socket-activated, smtpd "
				  "binds none itself)",
				  c->path, service_name(l->svc), l->host,
				  l->port);
			bad = 1;
			continue;
		}
		fd[i] = p[la[i].fd].fd;
		log_info("listen %s %s:%s: systemd's socket %d (%s%s%s)",
			 service_name(l->svc), l->host, l->port, fd[i],
			 p[la[i].fd].text,
			 p[la[i].fd].name[0] ? ", named " : "",
			 p[la[i].fd].name);
	}
	if (bad)
		exit(EXIT_CONFIG);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return 1;
}
