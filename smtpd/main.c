/*
 * main.c - the master: reads the config, binds every listener (or takes
 * them from systemd), forks the relay child, then loops on accept() and
 * forks one session child per connection (fork-on-accept, as
 * s6-tcpserverd); an SMTP session child, its session over, may be sent
 * the next connection instead (session_reuse_count, as Postfix's
 * max_use: the fork is most of what a short session costs).  A
 * self-pipe turns signals into poll events: SIGCHLD reaps, SIGHUP
 * re-reads the config, SIGUSR1 is passed to the relay child, SIGTERM
 * (or SIGINT) stops accepting and tells every child to stop at once
 * (how each stops, within the grace: shutdown.c).
 * The master never reads client input; it only writes the 421 for a
 * connection over the limits, and answers its session children's
 * one-byte requests for a password-hash slot (authgate.c), which also
 * count failed logins per client address.  Also: -n (check), -q
 * (the queue tools: store/queue_admin.c), -H (hash), -i (inetd: one
 * session on stdin/stdout).  Binding, directories and dropping
 * privileges are in setup.c; the lock that makes it the one master of
 * its queue is store/queue_master.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#include "authgate.h"
#include "notify.h"
#include "pop3/pop3.h"
#include "pop3/session.h"
#include "preflight.h"
#include "relay/relay.h"
#include "sessproc.h"
#include "setup.h"
#include "shutdown.h"
#include "smtp/session.h"
#include "smtp/smtp.h"
#include "smtpd.h"
#include "store/queue.h"
#include "store/queue_admin.h"
#include "store/queue_master.h"

struct child {
	pid_t pid;
	int busy; /* serving a connection, not waiting for one */
	char ip[64];
};

static struct smtpd smtpd;
static struct listener listeners[CONF_LISTEN_MAX];
static int nlisteners;
static struct child *children;
static int nchildren;
static pid_t relay_pid = -1;
static int relay_ending;  /* told to stop (a reload): its flush would be lost */
static int flush_pending; /* SIGUSR1 for the next relay child */
static int sigpipe_fds[2] = {-1, -1};

static void
usage(void)
{
	fprintf(stderr, "usage: smtpd [-f config] [-v] [-n] [-i service] [-H]\n"
			"       smtpd [-f config] -q [flush | delete ID... | "
			"delete all | hold ID... | release ID...]\n");
	exit(EX_USAGE);
}

static void
on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	(void)!write(sigpipe_fds[1], &c, 1);
	errno = saved;
}

static void
signals_master(void)
{
	struct sigaction sa;
	int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1};
	size_t i;

	if (pipe(sigpipe_fds) < 0)
		fatal("pipe");
	for (i = 0; i < 2; i++) {
		fcntl(sigpipe_fds[i], F_SETFL, O_NONBLOCK);
		fcntl(sigpipe_fds[i], F_SETFD, FD_CLOEXEC);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < nitems(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * In a freshly forked child (shutdown_fork: SIGTERM, SIGINT and SIGUSR1
 * held): default handling again, until the child sets its own.  SIGHUP
 * is the master's alone (`pkill -HUP smtpd` must not end a session);
 * so is SIGUSR1 but in the relay child, which sets its handler before
 * letting a held one in.
 */
static void
signals_child(int relay)
{
	int sigs[] = {SIGCHLD, SIGTERM, SIGINT};
	size_t i;

	for (i = 0; i < nitems(sigs); i++)
		signal(sigs[i], SIG_DFL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, relay ? SIG_DFL : SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	close(sigpipe_fds[0]);
	close(sigpipe_fds[1]);
	notify_child();
}

/* the client's address, or -1 and "local" (not a socket, or gone) */
static void
relay_start(void)
{
	/* taken before the fork: after it, getppid() may already be 1 */
	pid_t master = getpid(), pid = shutdown_fork();

	if (pid < 0) {
		log_warn("fork relay child");
		return;
	}
	if (pid == 0) {
		int i;
		signals_child(1);
		for (i = 0; i < nlisteners; i++)
			close(listeners[i].fd);
		authgate_child_setup(-1, 0);
		relay_main(&smtpd, master, flush_pending);
	}
	relay_pid = pid;
	relay_ending = flush_pending = 0;
	log_debug("relay child started, pid %ld", (long)pid);
}

/* sessions: from ip, or all (NULL) */
static int
clients_from(const char *ip)
{
	int i, n = 0;

	for (i = 0; i < nchildren; i++)
		if (children[i].busy &&
		    (ip == NULL || strcmp(children[i].ip, ip) == 0))
			n++;
	return n;
}

static void
child_set(pid_t pid, const char *ip)
{
	int i;

	for (i = 0; i < nchildren; i++)
		if (children[i].pid == pid) {
			children[i].busy = ip[0] != '\0';
			strlcpy(children[i].ip, ip, sizeof(children[0].ip));
			return;
		}
}

/* authgate: a session child waits for its next connection */
static void
child_ready(pid_t pid)
{
	child_set(pid, "");
}

/*
 * The master's refusals are in clear, so an implicit-TLS listener's
 * client (smtps, pop3s), which expects a handshake, gets none: the
 * connection is just closed (the log line says why).
 */
static void
refuse(int fd, enum service svc)
{
	const char *msg = service_role(svc) == SVC_POP3
			      ? "-ERR [SYS/TEMP] Too many connections\r\n"
			      : "421 4.3.2 Too many connections\r\n";

	if (!service_implicit_tls(svc))
		(void)!write(fd, msg, strlen(msg));
	close(fd);
}

/* an address over auth_fail_limit (authgate.c) */
static void
refuse_login_failures(int fd, enum service svc)
{
	const char *msg =
	    service_role(svc) == SVC_POP3
		? "-ERR [SYS/TEMP] Too many failed logins, try again later\r\n"
		: "421 4.7.0 Too many failed logins, try again later\r\n";

	if (!service_implicit_tls(svc))
		(void)!write(fd, msg, strlen(msg));
	close(fd);
}

static void
accept_one(struct listener *l)
{
	char ip[64];
	pid_t pid;
	int fd, i, gate[2];

	fd = accept(l->fd, NULL, NULL);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("accept");
		return;
	}
	(void)sessproc_client_address(fd, ip, sizeof(ip));
	if (clients_from(NULL) >= smtpd.conf.max_clients) {
		log_info("refused client=[%s] service=%s (max_clients %d "
			 "reached)",
			 ip, service_name(l->svc), smtpd.conf.max_clients);
		refuse(fd, l->svc);
		return;
	}
	if (clients_from(ip) >= smtpd.conf.max_clients_per_ip) {
		log_info("refused client=[%s] service=%s (max_clients_per_ip "
			 "%d reached)",
			 ip, service_name(l->svc),
			 smtpd.conf.max_clients_per_ip);
		refuse(fd, l->svc);
		return;
	}
	if (authgate_refused(ip)) {
		log_info("refused client=[%s] service=%s (too many failed "
			 "logins)",
			 ip, service_name(l->svc));
		refuse_login_failures(fd, l->svc);
		return;
	}
	if (service_role(l->svc) != SVC_POP3 &&
	    authgate_handoff(fd, (int)l->svc, ip, &pid) == 0) {
		close(fd);
		child_set(pid, ip);
		return;
	}
	passwd_refresh(&smtpd.accounts);
	aliases_refresh(&smtpd.aliases);
	if (authgate_pair(gate) < 0) {
		refuse(fd, l->svc);
		return;
	}
	if ((pid = shutdown_fork()) < 0) {
		log_warn("fork");
		close(gate[0]);
		close(gate[1]);
		refuse(fd, l->svc);
		return;
	}
	if (pid == 0) {
		signals_child(0);
		for (i = 0; i < nlisteners; i++)
			close(listeners[i].fd);
		close(gate[0]);
		authgate_child_setup(gate[1], service_role(l->svc) == SVC_POP3
						  ? smtpd.conf.pop3_timeout
						  : smtpd.conf.timeout);
		sessproc_child(&smtpd, l->svc, fd, ip, sizeof(ip));
	}
	close(fd);
	close(gate[1]);
	authgate_peer_add(gate[0], pid, ip);
	children = xreallocarray(children, (size_t)nchildren + 1,
				 sizeof(*children));
	children[nchildren].pid = pid;
	children[nchildren].busy = 1;
	strlcpy(children[nchildren++].ip, ip, sizeof(children[0].ip));
}

static void
reap(void)
{
	pid_t pid;
	int status, i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == relay_pid) {
			log_warnx("relay child %ld %s %d", (long)pid,
				  WIFSIGNALED(status) ? "killed by signal"
						      : "exited with status",
				  WIFSIGNALED(status) ? WTERMSIG(status)
						      : WEXITSTATUS(status));
			relay_pid = -1;
			continue;
		}
		for (i = 0; i < nchildren; i++)
			if (children[i].pid == pid) {
				children[i] = children[--nchildren];
				break;
			}
		if (WIFSIGNALED(status))
			log_info("session %ld killed by signal %d", (long)pid,
				 WTERMSIG(status));
		else if (WEXITSTATUS(status) != 0)
			log_info("session %ld exited with status %d", (long)pid,
				 WEXITSTATUS(status));
	}
}

/* SIGUSR1 (smtpd -q flush): to the relay child, or the next one */
static void
relay_flush(void)
{
	if (relay_pid > 0 && !relay_ending)
		kill(relay_pid, SIGUSR1);
	else
		flush_pending = 1;
}

static void
reload(void)
{
	struct conf c;

	log_info("SIGHUP: re-reading %s", smtpd.conf.path);
	if (conf_load(smtpd.conf.path, &c) < 0) {
		log_warnx("%s: errors, keeping the running configuration",
			  smtpd.conf.path);
		return;
	}
	/* what start-up set up stays: the queue it locked (one master per
	 * queue) and made the user's, and the user it runs as */
	if (strcmp(c.queue, smtpd.conf.queue) != 0) {
		log_warnx("%s: queue %s needs a restart: keeping %s",
			  smtpd.conf.path, c.queue, smtpd.conf.queue);
		strlcpy(c.queue, smtpd.conf.queue, sizeof(c.queue));
	}
	if (strcmp(c.user, smtpd.conf.user) != 0) {
		log_warnx("%s: user %s needs a restart: keeping %s",
			  smtpd.conf.path, c.user[0] ? c.user : "(none)",
			  smtpd.conf.user[0] ? smtpd.conf.user : "(none)");
		strlcpy(c.user, smtpd.conf.user, sizeof(c.user));
	}
	setup_tls_reload(&smtpd, &c);
	conf_free(&smtpd.conf);
	smtpd.conf = c; /* listeners stay as bound: a change needs a restart */
	log_init("smtpd", c.log_syslog, smtpd.verbose); /* `log` changed? */
	authgate_configure(c.auth_fail_limit, c.auth_fail_window);
	if (strcmp(smtpd.accounts.path, c.passwd) != 0) {
		struct accounts a;
		if (c.passwd[0] && passwd_load_conf(&a, &smtpd.conf) >= 0) {
			passwd_free(&smtpd.accounts);
			smtpd.accounts = a;
		}
	} else
		passwd_reload(&smtpd.accounts); /* say again what is wrong */
	aliases_reconfigure(&smtpd.aliases, c.aliases);
	authgate_stale(); /* session children carry the old config */
	if (relay_pid > 0) {
		kill(relay_pid, SIGTERM); /* restarted with the new routes */
		relay_ending = 1;
	}
}

static void
shutdown_sessions(void)
{
	/* the children's grace, and a second for them to exit in */
	int64_t deadline = now_ms() + (SHUTDOWN_GRACE_SEC + 1) * 1000;
	int i;

	notify_stopping(clients_from(NULL));
	for (i = 0; i < nlisteners; i++)
		close(listeners[i].fd);
	nlisteners = 0;
	authgate_stale(); /* the children waiting for a connection go now */
	if (relay_pid > 0)
		kill(relay_pid, SIGTERM);
	for (i = 0; i < nchildren; i++)
		kill(children[i].pid, SIGTERM);
	i = clients_from(NULL);
	log_info("SIGTERM: no longer accepting; %d session%s to finish", i,
		 i == 1 ? "" : "s");
	while ((nchildren > 0 || relay_pid > 0) && now_ms() < deadline) {
		/* sessions may still log in: keep answering for hash slots */
		struct pollfd *pfd =
		    xreallocarray(NULL, 1 + authgate_npeers(), sizeof(*pfd));
		size_t ngate = authgate_pollfds(pfd + 1);
		unsigned char c[64];
		pfd[0].fd = sigpipe_fds[0];
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		if (poll(pfd, 1 + ngate, 100) > 0 && (pfd[0].revents & POLLIN))
			(void)!read(sigpipe_fds[0], c, sizeof(c));
		authgate_handle(pfd + 1, ngate, child_ready);
		free(pfd);
		reap();
	}
	/* one still delivering finishes that and exits on its own */
	if (nchildren > 0 || relay_pid > 0)
		log_warnx("stopped; %d session%s and %s relay child still "
			  "finishing",
			  nchildren, nchildren == 1 ? "" : "s",
			  relay_pid > 0 ? "the" : "no");
	else
		log_info("stopped");
	exit(0);
}

static _Noreturn void
master_loop(void)
{
	/* rewritten before each poll, and by poll: kept out of the session
	 * children, who would each be left with a copy of every page of it
	 * (80 KiB at 10,000 sessions) */
	struct pollfd *pfd = NULL;
	int64_t relay_restart_at = 0;
	size_t ngate, npfd = 0;
	int i, n;

	relay_start();
	notify_ready(clients_from(NULL));
	for (;;) {
		int timeout = -1;
		int64_t now = now_ms(), idle_end;
		idle_end =
		    authgate_retire_idle(smtpd.conf.session_idle_time * 1000LL);
		if (relay_pid < 0) {
			if (now >= relay_restart_at) {
				relay_start();
				relay_restart_at = now + 1000;
			} else
				timeout = (int)(relay_restart_at - now);
		}
		if (idle_end >= 0 && (timeout < 0 || idle_end - now < timeout))
			timeout = idle_end > now ? (int)(idle_end - now) : 0;
		pfd = nofork_array(pfd, &npfd,
				   1 + (size_t)nlisteners + authgate_npeers(),
				   sizeof(*pfd));
		pfd[0].fd = sigpipe_fds[0];
		pfd[0].events = POLLIN;
		for (i = 0; i < nlisteners; i++) {
			pfd[i + 1].fd = listeners[i].fd;
			pfd[i + 1].events = POLLIN;
		}
		ngate = authgate_pollfds(pfd + 1 + nlisteners);
		timeout = notify_poll_timeout(timeout, clients_from(NULL));
		n = poll(pfd, (nfds_t)(1 + nlisteners) + ngate, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[0].revents & POLLIN) {
			unsigned char sigs[64];
			ssize_t k = read(sigpipe_fds[0], sigs, sizeof(sigs));
			int term = 0, hup = 0, usr1 = 0;
			while (k-- > 0) {
				term |= sigs[k] == SIGTERM || sigs[k] == SIGINT;
				hup |= sigs[k] == SIGHUP;
				usr1 |= sigs[k] == SIGUSR1;
			}
			reap();
			if (term)
				shutdown_sessions();
			if (hup) {
				notify_reloading();
				reload();
				notify_ready(clients_from(NULL));
			}
			if (usr1)
				relay_flush();
		}
		authgate_handle(pfd + 1 + nlisteners, ngate, child_ready);
		for (i = 0; i < nlisteners; i++)
			if (pfd[i + 1].revents & POLLIN)
				accept_one(&listeners[i]);
		notify_status(clients_from(NULL));
	}
}

static void
load_accounts(int check_only)
{
	int bad = 0, abad = 0;

	if (smtpd.conf.aliases[0] != '\0' &&
	    (abad = aliases_load(&smtpd.aliases, smtpd.conf.aliases)) < 0)
		exit(EX_CONFIG);
	if (smtpd.conf.passwd[0] != '\0' &&
	    (bad = passwd_load_conf(&smtpd.accounts, &smtpd.conf)) < 0)
		exit(EX_CONFIG);
	if ((bad > 0 || abad > 0) && check_only)
		exit(EX_CONFIG);
}

int
main(int argc, char *argv[])
{
	const char *config = SYSCONFDIR "/smtpd/smtpd.conf";
	int ch, check = 0, list_queue = 0, started_as_root, i;
	enum service inetd_svc = SVC_SMTP;

	log_init("smtpd", 0, 0);
	while ((ch = getopt(argc, argv, "f:vni:qH")) != -1) {
		switch (ch) {
		case 'f':
			config = optarg;
			break;
		case 'v':
			smtpd.verbose = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'i':
			if (service_parse(optarg, &inetd_svc) < 0)
				usage();
			smtpd.inetd = 1;
			break;
		case 'q':
			list_queue = 1;
			break;
		case 'H':
			setup_hash_password();
			break;
		default:
			usage();
		}
	}
	if (optind != argc && !list_queue)
		usage();
	log_init("smtpd", smtpd.inetd, smtpd.verbose);
	if (conf_load(config, &smtpd.conf) < 0)
		exit(EX_CONFIG);
	load_accounts(check);
	/* the zone read once here, not by every session child at its first
	 * Received: line (and, like the config, read again on a restart) */
	tzset();
	/* read as root, before privileges are dropped */
	smtpd.tls = setup_tls(&smtpd.conf, &i);
	if (i)
		exit(EX_CONFIG);
	if (check) {
		if (preflight_check(&smtpd.conf) > 0)
			exit(EX_CONFIG);
		(void)preflight_postmaster(&smtpd);
		fprintf(stderr, "smtpd: %s: configuration OK\n", config);
		exit(0);
	}
	if (list_queue)
		exit(queue_admin(smtpd.conf.queue, argc - optind, argv + optind));
	if (smtpd.inetd) {
		char ip[64];
		setup_privileges(&smtpd);
		signal(SIGPIPE, SIG_IGN);
		(void)sessproc_client_address(0, ip, sizeof(ip));
		sessproc_run(&smtpd, inetd_svc, 0, 1, ip);
		exit(0);
	}
	/* a second master on the queue says so before "address in use" */
	queue_master_start(smtpd.conf.queue, 0);
	notify_init(&smtpd);
	if (!setup_systemd_listeners(&smtpd.conf, listeners, &nlisteners))
		for (i = 0; i < smtpd.conf.nlisten; i++) {
			listeners[nlisteners].svc = smtpd.conf.listen[i].svc;
			listeners[nlisteners++].fd =
			    setup_listen_bind(&smtpd.conf.listen[i]);
		}
	for (i = 0; i < nlisteners; i++)
		notify_listener(listeners[i].fd, listeners[i].svc);
	started_as_root = geteuid() == 0;
	setup_privileges(&smtpd);
	queue_master_start(smtpd.conf.queue, 1);
	if (started_as_root) {
		passwd_note_readable(&smtpd.accounts, smtpd.conf.user);
		setup_tls_note_readable(&smtpd.conf);
	}
	/* `log syslog` from here on: what stops the start is on stderr */
	log_init("smtpd", smtpd.conf.log_syslog, smtpd.verbose);
	authgate_configure(smtpd.conf.auth_fail_limit,
			   smtpd.conf.auth_fail_window);
	signals_master();
	for (i = 0; i < nlisteners; i++)
		log_info("listening: %s", service_name(listeners[i].svc));
	log_info("started (%s), %zu accounts", smtpd.conf.path,
		 smtpd.accounts.n);
	master_loop();
}
