/*
 * authgate.c - see authgate.h.  The master's side keeps two tables: the
 * children's channels (each idle, waiting for a slot, or holding one)
 * and the failed logins per client address.  An address's count starts
 * at its first failure and is forgotten after the limit's duration; the
 * failure that reaches the limit refuses the address for that duration
 * (fail2ban's maxretry/findtime/bantime, with findtime = bantime).  The
 * address table is bounded: when full, the entry that matters least
 * (longest idle, not refused) makes room.  Relies on the master's poll
 * loop (main.c) for the descriptors and on the children's end closing
 * when they die.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "authgate.h"
#include "log.h"
#include "util.h"

#define GATE_ADDRS_MAX 4096

/* IDLE: in a session, no slot asked for; READY: between sessions */
enum peer_state { PEER_IDLE, PEER_WAITING, PEER_HOLDING, PEER_READY };

struct peer {
	int fd;
	pid_t pid;
	char ip[64];
	enum peer_state state;
	int stale;		   /* forked before a reload: not reused */
	int64_t ready_ms;	   /* since when it waits for a connection */
	unsigned long long ticket; /* order of asking, while waiting */
};

struct failures {
	char ip[64];
	int count;
	int64_t first_ms; /* the first failure counted */
	int64_t until_ms; /* refused until then */
};

static struct peer *peers;
static size_t npeers;
static unsigned long long next_ticket;
static int slots = 1, busy;
static int fail_limit;
static int64_t fail_window_ms;
static struct failures *addrs;
static size_t naddrs;

/* the session child's side */
static int child_fd = -1;
static int child_timeout_ms;
static int child_broken; /* a wait timed out: no more hashing here */

void
authgate_configure(int limit, int window)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	fail_limit = limit;
	fail_window_ms = (int64_t)window * 1000;
	slots = ncpu > 1 ? (int)(ncpu / 2) : 1;
}

static struct failures *
addr_find(const char *ip)
{
	size_t i;

	for (i = 0; i < naddrs; i++)
		if (strcmp(addrs[i].ip, ip) == 0)
			return &addrs[i];
	return NULL;
}

/* when an entry last mattered: its last refusal's end, or its first failure */
static int64_t
addr_last(const struct failures *e)
{
	return e->until_ms > e->first_ms ? e->until_ms : e->first_ms;
}

/* an entry for ip, made room for if the table is full */
static struct failures *
addr_get(const char *ip, int64_t now)
{
	struct failures *e = addr_find(ip), *victim = NULL;
	size_t i;

	if (e != NULL)
		return e;
	if (addrs == NULL)
		addrs = xcalloc(GATE_ADDRS_MAX, sizeof(*addrs));
	if (naddrs < GATE_ADDRS_MAX)
		e = &addrs[naddrs++];
	else {
		for (i = 0; i < naddrs; i++)
			if (victim == NULL ||
			    addr_last(&addrs[i]) < addr_last(victim))
				victim = &addrs[i];
		e = victim;
	}
	memset(e, 0, sizeof(*e));
	strlcpy(e->ip, ip, sizeof(e->ip));
	e->first_ms = now;
	return e;
}

int
authgate_refused(const char *ip)
{
	const struct failures *e = addr_find(ip);

	return e != NULL && now_ms() < e->until_ms;
}

static void
count_failure(const char *ip)
{
	int64_t now = now_ms();
	struct failures *e;

	if (fail_limit <= 0)
		return;
	e = addr_get(ip, now);
	if (now < e->until_ms)
		return; /* refused already */
	if (e->count == 0 || now - e->first_ms >= fail_window_ms) {
		e->count = 0;
		e->first_ms = now;
	}
	if (++e->count < fail_limit)
		return;
	e->count = 0;
	e->until_ms = now + fail_window_ms;
	log_info("auth blocked client=[%s] failures=%d seconds=%lld", ip,
		 fail_limit, (long long)(fail_window_ms / 1000));
}

int
authgate_pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		log_warn("socketpair");
		return -1;
	}
	fcntl(sv[0], F_SETFD, FD_CLOEXEC);
	fcntl(sv[1], F_SETFD, FD_CLOEXEC);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	return 0;
}

void
authgate_peer_add(int fd, pid_t pid, const char *ip)
{
	struct peer *p;

	peers = xreallocarray(peers, npeers + 1, sizeof(*peers));
	p = &peers[npeers++];
	memset(p, 0, sizeof(*p));
	p->fd = fd;
	p->pid = pid;
	strlcpy(p->ip, ip, sizeof(p->ip));
	p->state = PEER_IDLE;
}

size_t
authgate_npeers(void)
{
	return npeers;
}

size_t
authgate_pollfds(struct pollfd *pfd)
{
	size_t i;

	for (i = 0; i < npeers; i++) {
		pfd[i].fd = peers[i].fd;
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	return npeers;
}

/* the child ended (or broke the protocol): free what it held */
static void
peer_drop(size_t i)
{
	if (peers[i].state == PEER_HOLDING)
		busy--;
	close(peers[i].fd);
	peers[i] = peers[--npeers];
}

static int
peer_answer(struct peer *p, char c)
{
	return write(p->fd, &c, 1) == 1 ? 0 : -1;
}

/* give free slots to the longest waiting; 'n' to refused addresses */
static void
grant_waiting(void)
{
	size_t i, first = 0;
	int found;

	while (busy < slots) {
		found = 0;
		for (i = 0; i < npeers; i++)
			if (peers[i].state == PEER_WAITING &&
			    (!found || peers[i].ticket < peers[first].ticket)) {
				first = i;
				found = 1;
			}
		if (!found)
			return;
		if (authgate_refused(peers[first].ip)) {
			peers[first].state = PEER_IDLE;
			if (peer_answer(&peers[first], 'n') < 0)
				peer_drop(first);
			continue;
		}
		peers[first].state = PEER_HOLDING;
		busy++;
		log_debug("[%s]: password-hash slot granted (%d of %d busy)",
			  peers[first].ip, busy, slots);
		if (peer_answer(&peers[first], 'y') < 0)
			peer_drop(first);
	}
}

/* one record from a child; -1 ends the channel */
static int
peer_record(struct peer *p, char c, void (*ready)(pid_t))
{
	switch (c) {
	case 'Q':
		/* a ready child told to stop: its end closed, it exits (one
		 * sent a connection meanwhile serves that first) */
		return -1;
	case 'R':
		/* one forked before a reload ends (its config is the old) */
		if (p->state != PEER_IDLE || p->stale)
			return -1;
		p->state = PEER_READY;
		p->ready_ms = now_ms();
		p->ip[0] = '\0';
		ready(p->pid);
		return 0;
	case 'A':
		if (p->state != PEER_IDLE)
			return -1;
		if (authgate_refused(p->ip))
			return peer_answer(p, 'n');
		p->state = PEER_WAITING;
		p->ticket = next_ticket++;
		if (busy >= slots)
			log_debug("[%s]: waiting for a password-hash slot (%d "
				  "of %d busy)",
				  p->ip, busy, slots);
		return 0;
	case 'F':
	case 'S':
		if (c == 'F')
			count_failure(p->ip);
		if (p->state == PEER_HOLDING) {
			busy--;
			p->state = PEER_IDLE;
		} else if (p->state != PEER_IDLE)
			return -1;
		return 0;
	default:
		return -1;
	}
}

void
authgate_handle(const struct pollfd *pfd, size_t n, void (*ready)(pid_t))
{
	char buf[16];
	ssize_t got, k;
	size_t i, j;

	for (j = 0; j < n; j++) {
		if (pfd[j].revents == 0)
			continue;
		for (i = 0; i < npeers && peers[i].fd != pfd[j].fd; i++)
			;
		if (i == npeers)
			continue;
		got = read(peers[i].fd, buf, sizeof(buf));
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		for (k = 0; k < got; k++)
			if (peer_record(&peers[i], buf[k], ready) < 0)
				break;
		if (got <= 0 || k < got)
			peer_drop(i); /* EOF, error, or nonsense */
	}
	grant_waiting();
}

/* SCM_RIGHTS: one descriptor, with one byte (what it is) */
union fdmsg {
	struct cmsghdr hdr;
	char buf[CMSG_SPACE(sizeof(int))];
};

static void
fdmsg_init(struct msghdr *msg, struct iovec *iov, unsigned char *b,
	   union fdmsg *cm)
{
	memset(msg, 0, sizeof(*msg));
	memset(cm, 0, sizeof(*cm));
	iov->iov_base = b;
	iov->iov_len = 1;
	msg->msg_iov = iov;
	msg->msg_iovlen = 1;
	msg->msg_control = cm->buf;
	msg->msg_controllen = sizeof(cm->buf);
}

int
authgate_handoff(int cfd, int what, const char *ip, pid_t *pid)
{
	union fdmsg cm;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *c;
	unsigned char b = (unsigned char)what;
	size_t i, last;

	for (;;) {
		/* the one that waited least: the others can run out their
		 * session_idle_time and leave, as the load falls */
		for (i = 0, last = npeers; i < npeers; i++)
			if (peers[i].state == PEER_READY &&
			    (last == npeers ||
			     peers[i].ready_ms >= peers[last].ready_ms))
				last = i;
		if (last == npeers)
			return -1;
		fdmsg_init(&msg, &iov, &b, &cm);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &cfd, sizeof(int));
		if (sendmsg(peers[last].fd, &msg, MSG_NOSIGNAL) == 1) {
			peers[last].state = PEER_IDLE;
			strlcpy(peers[last].ip, ip, sizeof(peers[last].ip));
			*pid = peers[last].pid;
			return 0;
		}
		/* gone meanwhile (its end closes as it dies): the next */
		peer_drop(last);
	}
}

/* ends the channels of children ready since before `before`: each
 * exits when it sees its end close (it never leaves on its own, so a
 * connection is never sent to one on its way out) */
static void
retire_ready(int64_t before)
{
	size_t i = 0;

	while (i < npeers)
		if (peers[i].state == PEER_READY && peers[i].ready_ms <= before)
			peer_drop(i);
		else
			i++;
}

int64_t
authgate_retire_idle(int64_t idle_ms)
{
	int64_t now = now_ms(), next = -1;
	size_t i;

	retire_ready(now - idle_ms);
	for (i = 0; i < npeers; i++)
		if (peers[i].state == PEER_READY &&
		    (next < 0 || peers[i].ready_ms + idle_ms < next))
			next = peers[i].ready_ms + idle_ms;
	return next;
}

void
authgate_stale(void)
{
	size_t i;

	for (i = 0; i < npeers; i++)
		peers[i].stale = 1;
	retire_ready(INT64_MAX);
}

void
authgate_child_setup(int fd, int timeout)
{
	size_t i;

	/* the tables are the master's, shared copy-on-write: let go of
	 * them, not free them, for free() would write to (and so copy) their
	 * pages in every session child */
	for (i = 0; i < npeers; i++)
		close(peers[i].fd);
	peers = NULL;
	npeers = 0;
	addrs = NULL;
	naddrs = 0;
	child_fd = fd;
	child_timeout_ms = timeout * 1000;
}

static void
child_send(char c)
{
	if (child_fd >= 0 && write_all(child_fd, &c, 1) < 0) {
		log_warn("login gate");
		close(child_fd);
		child_fd = -1;
	}
}

int
authgate_enter(void)
{
	int64_t deadline = now_ms() + child_timeout_ms;
	struct pollfd pfd;
	ssize_t got;
	char c;
	int r;

	if (child_broken)
		return -1;
	child_send('A');
	while (child_fd >= 0) {
		int64_t left = deadline - now_ms();
		pfd.fd = child_fd;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, left > 0 ? (int)left : 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			/* the master may still grant it: never ask again */
			log_warnx("no password-hash slot within %ds",
				  child_timeout_ms / 1000);
			close(child_fd);
			child_fd = -1;
			child_broken = 1;
			return -1;
		}
		got = read(child_fd, &c, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got == 1 && (c == 'y' || c == 'n'))
			return c == 'y';
		/* the master is gone (or talks nonsense): go on without it */
		log_warnx("login gate closed: checking without it");
		close(child_fd);
		child_fd = -1;
	}
	return 1;
}

int
authgate_next(int *what, int stopfd)
{
	union fdmsg cm;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *c;
	struct pollfd pfd[2];
	unsigned char b;
	ssize_t got;
	int fd;

	if (child_fd < 0)
		return -1;
	child_send('R');
	while (child_fd >= 0) {
		pfd[0].fd = child_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = stopfd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		if (poll(pfd, stopfd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		/* a stop: 'Q', then what the master sent before it read that
		 * (a connection, served: its session answers the stop with its
		 * 421), up to its end closing */
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (pfd[1].revents)
				child_send('Q');
			stopfd = -1;
			continue;
		}
		fdmsg_init(&msg, &iov, &b, &cm);
		got = recvmsg(child_fd, &msg, MSG_CMSG_CLOEXEC);
		if (got < 0 && errno == EINTR)
			continue;
		c = got == 1 ? CMSG_FIRSTHDR(&msg) : NULL;
		if (c != NULL && c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)) &&
		    !(msg.msg_flags & MSG_CTRUNC)) {
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
			*what = b;
			return fd;
		}
		/* closed by the master (idle too long, a reload, a stop) */
		close(child_fd);
		child_fd = -1;
	}
	return -1;
}

void
authgate_leave(int ok)
{
	child_send(ok ? 'S' : 'F');
}

void
authgate_failed(void)
{
	child_send('F');
}
