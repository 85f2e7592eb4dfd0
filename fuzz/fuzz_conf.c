/*
 * fuzz_conf.c - smtpd/conf.c: the input is written as smtpd.conf in a
 * temporary directory and loaded with conf_load.  A file that loads must
 * give a usable config: at least one listener with a numeric port, valid
 * lower-cased domains, absolute paths (relative ones are made relative
 * to the config's directory), a mailbox template with %u, every number
 * within its documented range (conf.c's table, written out again here so
 * that a wrong row is caught), booleans 0 or 1; conf_route/conf_mailbox
 * must work on it.  A file that does not load must have freed everything
 * (LeakSanitizer).
 * Error messages go to stderr: run with -close_fd_mask=2 to hide them.
 */
#include "fuzz_util.h"

#include <arpa/inet.h>

#include "conf.h"
#include "conf_lookup.h"

static char conf_file[PATH_MAX];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_path(conf_file, sizeof(conf_file), "smtpd.conf");
	return 0;
}

static void
check_port(const char *port)
{
	char *end;
	long v = strtol(port, &end, 10);

	CHECK(*port && *end == '\0' && v >= 1 && v <= 65535);
}

#define YEAR (365 * 86400LL)

/* the ranges smtpd.conf(5) documents (conf.c's table) */
static int
in_range(long long v, long long min, long long max)
{
	return v >= min && v <= max;
}

static void
check_conf(const struct conf *c)
{
	char box[PATH_MAX];
	const char *p;
	int i;

	CHECK(c->nlisten >= 1 && c->nlisten <= CONF_LISTEN_MAX);
	for (i = 0; i < c->nlisten; i++) {
		CHECK(c->listen[i].svc < SVC_COUNT && c->listen[i].host[0]);
		check_port(c->listen[i].port);
	}
	for (i = 0; i < c->ndomains; i++) {
		for (p = c->domains[i]; *p; p++)
			CHECK(*p == '-' || *p == '.' ||
			      (*p >= 'a' && *p <= 'z') ||
			      (*p >= '0' && *p <= '9'));
		CHECK(conf_is_local(c, c->domains[i]));
		if (conf_mailbox(c, "alice", c->domains[i], box, sizeof(box)) ==
		    0)
			CHECK(strstr(box, "/../") == NULL ||
			      strstr(c->mailbox, "/../"));
		(void)conf_route(c, c->domains[i]);
	}
	for (i = 0; i < c->nroutes; i++) {
		/* `route D mx` names no host: mxroute.c asks the DNS */
		CHECK(c->routes[i].mx ? c->routes[i].host[0] == '\0'
				      : c->routes[i].host[0] != '\0');
		if (!c->routes[i].mx)
			check_port(c->routes[i].port);
		CHECK(conf_route(c, c->routes[i].domain) != NULL);
	}
	if (c->resolver_addr[0]) {
		struct in_addr a;
		CHECK(inet_pton(AF_INET, c->resolver_addr, &a) == 1);
		check_port(c->resolver_port);
	}
	CHECK(c->passwd[0] == '\0' || c->passwd[0] == '/');
	CHECK(c->mailbox[0] == '/' && strstr(c->mailbox, "%u") != NULL);
	CHECK(c->queue[0] == '/');
	CHECK(in_range(c->max_clients, 1, 100000));
	CHECK(in_range(c->max_clients_per_ip, 1, 100000));
	CHECK(in_range(c->max_recipients, 1, 100000));
	CHECK(in_range(c->relay_workers, 1, 100000));
	CHECK(in_range(c->max_message_size, 1024, 1LL << 40));
	CHECK(in_range(c->timeout, 1, YEAR));
	CHECK(in_range(c->pop3_timeout, 1, YEAR));
	CHECK(in_range(c->verify_cache_ttl, 1, YEAR));
	CHECK(in_range(c->queue_lifetime, 1, YEAR));
	CHECK(in_range(c->retry_min, 1, 86400));
	CHECK(in_range(c->retry_max, c->retry_min, 7 * 86400));
	CHECK(in_range(c->verify_recipients, 0, 1));
	CHECK(in_range(c->resolve_clients, 0, 1));
	CHECK(in_range(c->max_hops, 1, 1000));
	/* issue 12: a timeout per relay step, the probe's whole */
	CHECK(in_range(c->relay_connect_timeout, 1, 86400));
	CHECK(in_range(c->relay_helo_timeout, 1, 86400));
	CHECK(in_range(c->relay_mail_timeout, 1, 86400));
	CHECK(in_range(c->relay_data_timeout, 1, 86400));
	CHECK(in_range(c->relay_data_block_timeout, 1, 86400));
	CHECK(in_range(c->relay_data_done_timeout, 1, 86400));
	CHECK(in_range(c->verify_timeout, 1, 300));
	for (i = 0; i < c->nrelay_from; i++) {
		const struct cidr *n = &c->relay_from[i];
		char ip[INET6_ADDRSTRLEN];
		CHECK(in_range(n->bits, 0, n->v6 ? 128 : 32));
		/* a network holds its own address */
		CHECK(inet_ntop(n->v6 ? AF_INET6 : AF_INET, n->addr, ip,
				sizeof(ip)) != NULL);
		CHECK(conf_relay_client(c, ip));
	}
	CHECK(strlen(c->user) < sizeof(c->user));
	CHECK(strlen(c->hostname) < sizeof(c->hostname));
	(void)conf_mailbox(c, "../x", "example.org", box, sizeof(box));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;

	fuzz_write_file(conf_file, data, size);
	if (conf_load(conf_file, &c) == 0) {
		check_conf(&c);
		conf_free(&c);
	}
	return 0;
}
