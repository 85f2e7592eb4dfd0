/*
 * fuzz_sched.c - smtpd/relay/sched.c, the relay child's schedule, driven
 * by a program of random events, and its wake FIFO line reader.
 *
 * The input is a program, one op a byte followed by its operands (bytes
 * past the end read as 0), ended by a 0xff byte: put (ids from a small
 * set, so they collide, one of them 23 characters and one too long;
 * next_try, attempts, deadline, 0..4 destinations from a small set of names,
 * duplicates allowed), remove, hold, force_all, mark / touch / sweep,
 * time going on, sched_due, sched_job (random max_dest, free_workers,
 * max; the out array exactly max long), sched_job_late (random
 * free_workers and max), sched_done on a message of a
 * running job and then what relay.c does (put it back, hold it or
 * remove it), dest_dead / dest_alive.  The harness keeps its own model
 * (which ids exist, their next_try, attempts and destinations, which
 * are busy and in which job, which the current scan saw) and after
 * every op checks:
 *   - nmsg and sched_find agree with the model; busy as the model says;
 *   - every message is in exactly one place: in the heap (heap[m->heap]
 *     is m), on one due list (its destination's when it has one, the
 *     several-destination list otherwise) or busy; the heap's order; the
 *     due lists' links, tails and counts, and their late bounds (no
 *     deadline on a list sooner; 0 when it is empty); nheap + listed
 *     + busy = nmsg;
 *   - destination names are distinct; a message's destinations are
 *     distinct and are the names it was put with;
 *   - each destination's active is the number of jobs running to it
 *     (sched_job_end not yet called; sched_job_late's jobs count nowhere);
 * and at each call:
 *   - sched_job: nothing with free_workers or max 0; at most max; never
 *     a busy message; a single-destination job takes its messages from
 *     the head of that destination's due list, in order, the
 *     destination not dead at now and below max_dest (deliveries and
 *     the harness's own count of jobs running to it); a
 *     several-destination job is one message from that list, each live
 *     destination below max_dest, at least one live (or none at all);
 *     and 0 only when no destination and no several-destination message
 *     could start;
 *   - sched_job_late: nothing with free_workers or max 0; at most max;
 *     only messages past their deadline, from one due list, in its
 *     order: a destination's that is dead or has its probe running
 *     (backoff set, active at its limit), or the several-destination
 *     one, each of whose destinations is so; as many as that list has
 *     (up to max); 0 only when no list has one; no destination's
 *     active or dead time changes;
 *   - sched_due: nothing in the heap due at now afterwards; sched_next:
 *     -1 or later than now, and -1 only when nothing waits for a time
 *     (the heap is empty, no due message waits for a dead destination);
 *     no later than the deadline of a due message waiting for a dead
 *     destination (unless its list's bound is already past: then
 *     sched_job_late, when a worker is free, sharpens it);
 *   - sched_sweep: removes exactly the messages neither busy nor seen
 *     since sched_mark;
 *   - sched_dest_dead / sched_dest_alive: the return value, the backoff
 *     (min, then doubling, at most max) and dead = now + backoff.
 * sched_free at the end (LeakSanitizer sees what it missed).
 *
 * The bytes after the 0xff are fed to sched_wake_feed in pieces of
 * pseudo-random sizes (0 included); the ids it reports must be exactly
 * the lines of 1..23 ASCII letters and digits a plain splitter finds.
 */
#include "fuzz_util.h"

#include "relay/sched.h"

#define NID 12
#define NNAME 7
#define MAXJOBS 32
#define MAXOUT 8

static const char *ids[NID] = {
	"a", "b", "c", "d", "e", "f", "g", "h", "AbC123",
	"0123456789abcdefghijklm",  /* 23: the longest id */
	"0123456789abcdefghijklmn", /* 24: too long, sched_put refuses */
	"Z"};

static char longname[SCHED_DEST_MAX];
static const char *names[NNAME] = {"a.example", "b.example", "[127.0.0.1]:25",
				   "c", "d.example", "[::1]:2525", longname};

struct shadow {
	int exists, busy, seen, job;
	time_t next_try;
	int attempts;
	time_t deadline;
	unsigned mask; /* names it was put with */
};

struct job {
	struct sched_msg *m[MAXOUT];
	int n, left, dest;
	int ended; /* sched_job_end was called (before its first done) */
};

struct state {
	struct sched s;
	struct shadow sh[NID];
	struct job jobs[MAXJOBS];
	int njobs;
	time_t now;
	const uint8_t *p;
	size_t n, pos;
};

static uint8_t
get(struct state *st)
{
	return st->pos < st->n ? st->p[st->pos++] : 0;
}

static time_t
due_at(const struct sched_msg *m)
{
	if (m->forced)
		return 0;
	return m->held > m->next_try ? m->held : m->next_try;
}

static int
id_index(const char *id)
{
	int i;

	for (i = 0; i < NID; i++)
		if (strcmp(ids[i], id) == 0)
			return i;
	return -1;
}

static int
name_index(const char *name)
{
	int i;

	for (i = 0; i < NNAME; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

static int
list_count(const struct sched_list *l, int which)
{
	const struct sched_msg *m, *prev = NULL;
	int n = 0;

	CHECK((l->head == NULL) == (l->tail == NULL));
	if (l->head == NULL)
		CHECK(l->late == 0);
	for (m = l->head; m; prev = m, m = m->next) {
		CHECK(m->prev == prev);
		if (m->deadline != 0)
			CHECK(l->late != 0 && l->late <= m->deadline);
		CHECK(m->list == which);
		CHECK(m->heap == SCHED_NOWHERE && !m->busy);
		if (which == SCHED_MULTI)
			CHECK(m->ndest != 1);
		else
			CHECK(m->ndest == 1 && m->dests[0] == which);
		CHECK(++n <= NID);
	}
	CHECK(l->tail == prev);
	CHECK(l->n == n);
	return n;
}

static void
check_all(struct state *st)
{
	struct sched *s = &st->s;
	size_t i, nheap = 0, nbusy = 0, nlisted = 0, nexist = 0;
	int d, e, k;
	int active[NNAME + 1];

	CHECK(s->ndest >= 0 && s->ndest <= NNAME);
	for (d = 0; d < s->ndest; d++) {
		CHECK(name_index(s->dest[d].name) >= 0);
		for (e = 0; e < d; e++)
			CHECK(strcmp(s->dest[d].name, s->dest[e].name) != 0);
		active[d] = 0;
	}
	for (k = 0; k < NID; k++) {
		struct shadow *sh = &st->sh[k];
		struct sched_msg *m = sched_find(s, ids[k]);
		unsigned mask = 0;

		CHECK((m != NULL) == sh->exists);
		if (m == NULL)
			continue;
		nexist++;
		CHECK(strcmp(m->id, ids[k]) == 0);
		CHECK(m->busy == sh->busy);
		CHECK(m->next_try == sh->next_try && m->attempts == sh->attempts);
		CHECK(m->deadline == sh->deadline);
		CHECK(m->ndest >= 0 && m->ndest <= 4);
		for (e = 0; e < m->ndest; e++) {
			CHECK(m->dests[e] >= 0 && m->dests[e] < s->ndest);
			CHECK(!(mask & (1u << name_index(s->dest[m->dests[e]].name))));
			mask |= 1u << name_index(s->dest[m->dests[e]].name);
		}
		CHECK(mask == sh->mask);
		/* exactly one place */
		CHECK((m->heap != SCHED_NOWHERE) + (m->list != -1) + !!m->busy ==
		      1);
		if (m->heap != SCHED_NOWHERE) {
			CHECK(m->heap < s->nheap && s->heap[m->heap] == m);
			nheap++;
		}
		if (m->list != -1) {
			CHECK(m->list == SCHED_MULTI ||
			      (m->list >= 0 && m->list < s->ndest));
			nlisted++;
		}
		if (m->busy) {
			nbusy++;
			CHECK(sh->job >= 0 && sh->job < st->njobs);
		}
	}
	/* active: the jobs running (not yet ended) to each destination */
	for (k = 0; k < st->njobs; k++) {
		const struct job *jb = &st->jobs[k];
		if (jb->ended || jb->dest == SCHED_LATE)
			continue;
		if (jb->dest >= 0)
			active[jb->dest]++;
		else
			for (e = 0; e < jb->m[0]->ndest; e++)
				active[jb->m[0]->dests[e]]++;
	}
	CHECK(s->nmsg == nexist);
	CHECK(s->nheap == nheap);
	for (i = 1; i < s->nheap; i++)
		CHECK(due_at(s->heap[(i - 1) / 2]) <= due_at(s->heap[i]));
	{
		size_t listed = (size_t)list_count(&s->multi, SCHED_MULTI);
		for (d = 0; d < s->ndest; d++) {
			listed += (size_t)list_count(&s->dest[d].due, d);
			CHECK(s->dest[d].active == active[d]);
			CHECK(s->dest[d].dead >= 0 && s->dest[d].backoff >= 0);
		}
		CHECK(listed == nlisted);
	}
	CHECK(nheap + nlisted + nbusy == s->nmsg);
}

/* every message in the hash is one the model knows */
static void
check_hash(struct state *st)
{
	size_t i, n = 0;

	for (i = 0; i < st->s.nmbucket; i++) {
		const struct sched_msg *m;
		for (m = st->s.mbucket[i]; m; m = m->hnext) {
			int k = id_index(m->id);
			CHECK(k >= 0 && st->sh[k].exists);
			CHECK(sched_find(&st->s, m->id) == m);
			CHECK(++n <= NID);
		}
	}
	CHECK(n == st->s.nmsg);
}

static void
do_put(struct state *st, int k, time_t next_try, int attempts, time_t deadline,
       const uint8_t *dn, int ndest)
{
	const char *dests[4];
	struct shadow *sh = &st->sh[k];
	struct sched_msg *m;
	unsigned mask = 0;
	int i;

	if (sh->exists && sh->busy)
		return; /* relay_load never updates a busy message */
	for (i = 0; i < ndest; i++) {
		dests[i] = names[dn[i] % NNAME];
		mask |= 1u << (dn[i] % NNAME);
	}
	m = sched_put(&st->s, ids[k], next_try, attempts, deadline, dests,
		      ndest);
	if (strlen(ids[k]) >= sizeof(m->id)) {
		CHECK(m == NULL && !sh->exists);
		return;
	}
	CHECK(m != NULL && strcmp(m->id, ids[k]) == 0);
	CHECK(m->heap != SCHED_NOWHERE);
	sh->exists = 1;
	sh->busy = 0;
	sh->seen = 1;
	sh->job = -1;
	sh->next_try = next_try;
	sh->attempts = attempts;
	sh->deadline = deadline;
	sh->mask = mask;
}

/* a deadline from a byte: none, or around now */
static time_t
deadline_of(struct state *st, uint8_t b)
{
	if (b < 64)
		return 0;
	return st->now + (int8_t)get(st) * (b & 1 ? 60 : 1);
}

static void
op_put(struct state *st)
{
	int k = get(st) % NID, ndest, i;
	uint8_t b = get(st), dn[4];
	time_t next_try, deadline;
	int attempts;

	if (b < 48)
		next_try = 0;
	else
		next_try = st->now + (int8_t)get(st) * (b & 1 ? 60 : 1);
	attempts = (int)(int8_t)get(st);
	deadline = deadline_of(st, get(st));
	ndest = get(st) % 5;
	for (i = 0; i < ndest; i++)
		dn[i] = get(st);
	do_put(st, k, next_try, attempts, deadline, dn, ndest);
}

static void
do_remove(struct state *st, int k)
{
	struct sched_msg *m = sched_find(&st->s, ids[k]);

	if (m == NULL || m->busy)
		return;
	sched_remove(&st->s, m);
	st->sh[k].exists = 0;
	CHECK(sched_find(&st->s, ids[k]) == NULL);
}

static void
do_hold(struct state *st, int k, uint8_t b)
{
	struct sched_msg *m = sched_find(&st->s, ids[k]);
	time_t until;

	if (m == NULL)
		return;
	until = b == 0 ? 0 : st->now + (int8_t)b * (b & 1 ? 60 : 1);
	sched_hold(&st->s, m, until);
	CHECK(m->held == until && !m->forced);
	if (!m->busy)
		CHECK(m->heap != SCHED_NOWHERE);
}

static void
op_sweep(struct state *st)
{
	size_t want = 0, got;
	int k;

	for (k = 0; k < NID; k++)
		if (st->sh[k].exists && !st->sh[k].busy && !st->sh[k].seen)
			want++;
	got = sched_sweep(&st->s);
	CHECK(got == want);
	for (k = 0; k < NID; k++)
		if (st->sh[k].exists && !st->sh[k].busy && !st->sh[k].seen)
			st->sh[k].exists = 0;
	check_hash(st);
}

/* could a several-destination message start now (sched.h's rule)? */
/* sched.c's dest_limit: none while dead, one (a probe) once its dead
 * time is over until it is alive again, else max_dest */
static int
limit_of(const struct sched *s, int d, time_t now, int max_dest)
{
	if (s->dest[d].dead > now)
		return 0;
	return s->dest[d].backoff > 0 ? 1 : max_dest;
}

static int
multi_can(const struct sched *s, const struct sched_msg *m, time_t now,
	  int max_dest)
{
	int i, live = 0;

	for (i = 0; i < m->ndest; i++) {
		const struct sched_dest *sd = &s->dest[m->dests[i]];
		if (sd->dead > now)
			continue;
		live++;
		if (sd->active >= limit_of(s, m->dests[i], now, max_dest))
			return 0;
	}
	return live > 0 || m->ndest == 0;
}

/* the model's record of a job sched handed out: out[0..n) busy in it;
 * out is freed */
static void
job_record(struct state *st, struct sched_msg **out, int n, int dest)
{
	struct job *job = &st->jobs[st->njobs];
	int i;

	memset(job, 0, sizeof(*job));
	job->n = job->left = n;
	job->dest = dest;
	for (i = 0; i < n; i++) {
		int k = id_index(out[i]->id);
		job->m[i] = out[i];
		st->sh[k].busy = 1;
		st->sh[k].job = st->njobs;
	}
	st->njobs++;
	free(out);
}

static void
op_job(struct state *st)
{
	struct sched *s = &st->s;
	uint8_t b = get(st), c = get(st);
	int max_dest = 1 + b % 4, free_workers = (b >> 2) % 5;
	int max = c % (MAXOUT + 1), n, dest = -7, i, j, d, can = 0;
	int pre_active[NNAME], pre_n[NNAME], jobs_to[NNAME], pre_limit[NNAME];
	time_t pre_dead[NNAME];
	int pre_list[NID], pre_pos[NID];
	struct sched_msg *m;
	struct sched_msg **out;

	if (c & 0x80)
		sched_due(s, st->now);
	if (st->njobs == MAXJOBS)
		return;
	for (d = 0; d < s->ndest; d++) {
		pre_active[d] = s->dest[d].active;
		pre_n[d] = s->dest[d].due.n;
		pre_dead[d] = s->dest[d].dead;
		pre_limit[d] = limit_of(s, d, st->now, max_dest);
		jobs_to[d] = 0;
		if (pre_n[d] > 0 && pre_active[d] < pre_limit[d])
			can = 1;
	}
	/* the harness's jobs running to each destination */
	for (i = 0; i < st->njobs; i++) {
		const struct job *o = &st->jobs[i];
		if (o->ended || o->dest == SCHED_LATE)
			continue;
		if (o->dest >= 0)
			jobs_to[o->dest]++;
		else
			for (j = 0; j < o->m[0]->ndest; j++)
				jobs_to[o->m[0]->dests[j]]++;
	}
	for (m = s->multi.head; m; m = m->next)
		if (multi_can(s, m, st->now, max_dest))
			can = 1;
	/* where each message is in line */
	for (i = 0; i < NID; i++)
		pre_list[i] = -1;
	for (d = -1; d < s->ndest; d++)
		for (i = 0, m = d < 0 ? s->multi.head : s->dest[d].due.head; m;
		     m = m->next, i++) {
			pre_list[id_index(m->id)] = d < 0 ? SCHED_MULTI : d;
			pre_pos[id_index(m->id)] = i;
		}
	out = max > 0 ? calloc((size_t)max, sizeof(*out)) : NULL;
	n = sched_job(s, st->now, max_dest, free_workers, max, out, &dest);
	CHECK(n >= 0 && n <= max);
	if (free_workers == 0 || max == 0) {
		CHECK(n == 0);
		free(out);
		return;
	}
	/* something that could start did */
	CHECK((n > 0) == can);
	if (n == 0) {
		free(out);
		return;
	}
	CHECK(dest == -1 || (dest >= 0 && dest < s->ndest));
	for (i = 0; i < n; i++) {
		int k = id_index(out[i]->id);
		CHECK(k >= 0 && st->sh[k].exists && !st->sh[k].busy);
		CHECK(out[i]->busy);
		for (j = 0; j < i; j++)
			CHECK(out[j] != out[i]);
	}
	if (dest == -1) {
		/* it was on the several-destination list, and could start */
		CHECK(n == 1 && out[0]->ndest != 1);
		CHECK(pre_list[id_index(out[0]->id)] == SCHED_MULTI);
		for (i = 0; i < out[0]->ndest; i++) {
			d = out[0]->dests[i];
			CHECK(pre_dead[d] > st->now || pre_active[d] < pre_limit[d]);
		}
		for (i = 0; i < out[0]->ndest; i++)
			if (pre_dead[out[0]->dests[i]] <= st->now)
				break;
		CHECK(i < out[0]->ndest || out[0]->ndest == 0);
	} else {
		/* from the head of a live destination's list, in order */
		CHECK(pre_dead[dest] <= st->now);
		CHECK(pre_active[dest] < pre_limit[dest]);
		CHECK(jobs_to[dest] == pre_active[dest]);
		CHECK(s->dest[dest].active == pre_active[dest] + 1);
		/* a probe of a destination that was dead: one message */
		CHECK(s->dest[dest].backoff == 0 || n == 1);
		CHECK(n <= pre_n[dest]);
		CHECK(s->dest[dest].due.n == pre_n[dest] - n);
		for (i = 0; i < n; i++) {
			CHECK(out[i]->ndest == 1 && out[i]->dests[0] == dest);
			CHECK(pre_list[id_index(out[i]->id)] == dest);
			CHECK(pre_pos[id_index(out[i]->id)] == i);
		}
	}
	job_record(st, out, n, dest);
}

/* sched.c's dest_waits: dead, or its probe running */
static int
waits_of(const struct sched *s, int d, time_t now)
{
	return s->dest[d].backoff > 0 &&
	       s->dest[d].active >= limit_of(s, d, now, 1);
}

static int
multi_waits_of(const struct sched *s, const struct sched_msg *m, time_t now)
{
	int i;

	for (i = 0; i < m->ndest; i++)
		if (!waits_of(s, m->dests[i], now))
			return 0;
	return m->ndest > 0;
}

/* would sched_job_late take m, on list `which`? */
static int
late_can(const struct sched *s, const struct sched_msg *m, int which,
	 time_t now)
{
	if (m->deadline == 0 || m->deadline > now)
		return 0;
	return which == SCHED_MULTI ? multi_waits_of(s, m, now)
				    : waits_of(s, which, now);
}

static void
op_late(struct state *st)
{
	struct sched *s = &st->s;
	uint8_t b = get(st), c = get(st);
	int free_workers = b % 3, max = c % (MAXOUT + 1), n, i, j, d;
	int pre_active[NNAME], pre_list[NID], pre_pos[NID];
	int eligible[NNAME + 1], any = 0, from, want;
	time_t pre_dead[NNAME];
	struct sched_msg *m, **out;

	if (c & 0x80)
		sched_due(s, st->now);
	if (st->njobs == MAXJOBS)
		return;
	for (i = 0; i < NID; i++)
		pre_list[i] = -1;
	for (d = -1; d < s->ndest; d++) {
		int which = d < 0 ? SCHED_MULTI : d;
		eligible[d + 1] = 0;
		for (i = 0, m = d < 0 ? s->multi.head : s->dest[d].due.head; m;
		     m = m->next, i++) {
			pre_list[id_index(m->id)] = which;
			eligible[d + 1] += late_can(s, m, which, st->now);
			pre_pos[id_index(m->id)] = eligible[d + 1];
		}
		any += eligible[d + 1];
		if (d >= 0) {
			pre_active[d] = s->dest[d].active;
			pre_dead[d] = s->dest[d].dead;
		}
	}
	out = max > 0 ? calloc((size_t)max, sizeof(*out)) : NULL;
	n = sched_job_late(s, st->now, free_workers, max, out);
	CHECK(n >= 0 && n <= max);
	for (d = 0; d < s->ndest; d++)
		CHECK(s->dest[d].active == pre_active[d] &&
		      s->dest[d].dead == pre_dead[d]);
	if (free_workers == 0 || max == 0) {
		CHECK(n == 0);
		free(out);
		return;
	}
	CHECK((n > 0) == (any > 0));
	if (n == 0) {
		free(out);
		return;
	}
	/* one list's, in its order, as many as it had (up to max) */
	from = pre_list[id_index(out[0]->id)];
	want = eligible[(from == SCHED_MULTI ? -1 : from) + 1];
	CHECK(n == (want < max ? want : max));
	for (i = 0; i < n; i++) {
		int k = id_index(out[i]->id);
		CHECK(k >= 0 && st->sh[k].exists && !st->sh[k].busy);
		CHECK(out[i]->busy && out[i]->list == -1 &&
		      out[i]->heap == SCHED_NOWHERE);
		CHECK(pre_list[k] == from);
		CHECK(pre_pos[k] == i + 1); /* the i-th it could take */
		CHECK(out[i]->deadline != 0 && out[i]->deadline <= st->now);
		for (j = 0; j < i; j++)
			CHECK(out[j] != out[i]);
	}
	job_record(st, out, n, SCHED_LATE);
}

static void
job_drop(struct state *st, int j)
{
	int i, k;

	st->njobs--;
	if (j == st->njobs)
		return;
	st->jobs[j] = st->jobs[st->njobs];
	for (i = 0; i < st->jobs[j].n; i++)
		if (st->jobs[j].m[i] != NULL) {
			k = id_index(st->jobs[j].m[i]->id);
			st->sh[k].job = j;
		}
}

static void
op_done(struct state *st)
{
	uint8_t b = get(st), c = get(st), e = get(st);
	struct job *job;
	struct sched_msg *m;
	int j, i, k;

	if (st->njobs == 0)
		return;
	j = b % st->njobs;
	job = &st->jobs[j];
	for (i = c % job->n; job->m[i] == NULL; i = (i + 1) % job->n)
		;
	m = job->m[i];
	k = id_index(m->id);
	if (!job->ended) {
		/* relay_job_done: the job's end, then each message */
		sched_job_end(&st->s, job->dest, m);
		job->ended = 1;
	}
	sched_done(&st->s, m);
	job->m[i] = NULL;
	st->sh[k].busy = 0;
	st->sh[k].job = -1;
	CHECK(!m->busy && m->heap != SCHED_NOWHERE);
	if (--job->left == 0)
		job_drop(st, j);
	/* what relay_job_done does next */
	switch (e % 4) {
	case 0: /* tried: the envelope says so */
		{
			uint8_t dn[4];
			time_t next = st->now + 60 * (1 + get(st) % 8);
			time_t deadline = deadline_of(st, get(st));
			int ndest = get(st) % 5;
			for (i = 0; i < ndest; i++)
				dn[i] = get(st);
			do_put(st, k, next, st->sh[k].attempts + 1, deadline,
			       dn, ndest);
		}
		break;
	case 1: /* done with */
		do_remove(st, k);
		break;
	case 2: /* not tried */
		do_hold(st, k, get(st));
		break;
	default:
		break;
	}
}

static void
op_dead(struct state *st)
{
	struct sched *s = &st->s;
	uint8_t b = get(st), c = get(st), e = get(st);
	int d, min, max, old, was, want;
	time_t prev;

	if (s->ndest == 0)
		return;
	d = b % s->ndest;
	min = 1 + c % 60;
	max = min * (1 + e % 100);
	old = s->dest[d].backoff;
	/* already dead (another job found it so): nothing changes */
	was = s->dest[d].dead <= st->now;
	prev = s->dest[d].dead;
	CHECK(sched_dest_dead(s, d, st->now, min, max) == was);
	if (!was) {
		CHECK(s->dest[d].backoff == old && s->dest[d].dead == prev);
		return;
	}
	if (old <= 0)
		want = min;
	else
		want = (long long)old * 2 > max ? max : old * 2;
	CHECK(s->dest[d].backoff == want);
	CHECK(s->dest[d].dead == st->now + want);
}

static void
op_alive(struct state *st)
{
	struct sched *s = &st->s;
	uint8_t b = get(st);
	int d, was;

	if (s->ndest == 0)
		return;
	d = b % s->ndest;
	was = s->dest[d].backoff > 0;
	CHECK(sched_dest_alive(s, d) == was);
	CHECK(s->dest[d].dead == 0 && s->dest[d].backoff == 0);
}

static void
op_due_next(struct state *st)
{
	struct sched *s = &st->s;
	const struct sched_msg *m;
	time_t next;
	size_t i;
	int d;

	sched_due(s, st->now);
	for (i = 0; i < s->nheap; i++)
		CHECK(due_at(s->heap[i]) > st->now);
	next = sched_next(s, st->now);
	CHECK(next == (time_t)-1 || next > st->now);
	if (s->nheap > 0)
		CHECK(next != (time_t)-1 && next <= due_at(s->heap[0]));
	for (d = 0; d < s->ndest; d++)
		if (s->dest[d].due.n > 0 && s->dest[d].dead > st->now)
			CHECK(next != (time_t)-1 && next <= s->dest[d].dead);
	/* a several-destination message whose destinations are all dead
	 * waits for the first to come alive */
	for (m = s->multi.head; m; m = m->next) {
		time_t first = (time_t)-1;
		for (d = 0; d < m->ndest; d++) {
			time_t dead = s->dest[m->dests[d]].dead;
			if (dead <= st->now) {
				first = (time_t)-1;
				break;
			}
			if (first == (time_t)-1 || dead < first)
				first = dead;
		}
		if (first != (time_t)-1)
			CHECK(next != (time_t)-1 && next <= first);
	}
	/* a message waiting for a dead destination, until its deadline */
	for (d = -1; d < s->ndest; d++) {
		const struct sched_list *l =
		    d < 0 ? &s->multi : &s->dest[d].due;
		for (m = l->head; m; m = m->next)
			if (m->deadline > st->now && l->late > st->now &&
			    (d < 0 ? multi_waits_of(s, m, st->now)
				   : waits_of(s, d, st->now)))
				CHECK(next != (time_t)-1 &&
				      next <= m->deadline);
	}
}

/* the wake reader */

#define WAKE_MAX 4096

struct found {
	char ids[WAKE_MAX][24];
	size_t n;
};

static struct found got, want;

static void
on_found(void *arg, const char *id)
{
	struct found *f = arg;

	CHECK(strlen(id) >= 1 && strlen(id) <= 23);
	CHECK(f->n < WAKE_MAX);
	memcpy(f->ids[f->n++], id, strlen(id) + 1);
}

static int
ascii_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

static void
check_wake(const uint8_t *p, size_t n)
{
	struct sched_wake w;
	size_t i, start = 0, piece;
	uint32_t x = 2463534242u ^ (uint32_t)n;

	want.n = got.n = 0;
	for (i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i - start >= 1 && i - start <= 23) {
			size_t j;
			for (j = start; j < i && ascii_alnum(p[j]); j++)
				;
			if (j == i && want.n < WAKE_MAX) {
				memcpy(want.ids[want.n], p + start, i - start);
				want.ids[want.n++][i - start] = '\0';
			}
		}
		start = i + 1;
	}
	memset(&w, 0, sizeof(w));
	for (i = 0; i < n; i += piece) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		piece = x % 8 == 0 ? 0 : x % 8 < 5 ? 1 + (x >> 8) % 4 : 1 + (x >> 8) % 64;
		if (piece > n - i)
			piece = n - i;
		sched_wake_feed(&w, (const char *)p + i, piece, on_found, &got);
	}
	CHECK(got.n == want.n);
	for (i = 0; i < got.n; i++)
		CHECK(strcmp(got.ids[i], want.ids[i]) == 0);
	/* all at once gives the same */
	memset(&w, 0, sizeof(w));
	got.n = 0;
	sched_wake_feed(&w, (const char *)p, n, on_found, &got);
	CHECK(got.n == want.n);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memset(longname, 'x', sizeof(longname) - 1);
	longname[0] = '[';
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state st;
	size_t ops = 0;
	int k;

	memset(&st, 0, sizeof(st));
	sched_init(&st.s);
	for (k = 0; k < NID; k++)
		st.sh[k].job = -1;
	st.now = 1000000;
	st.p = data;
	st.n = size;
	while (st.pos < st.n && ops++ < 2000) {
		uint8_t op = get(&st);
		if (op == 0xff)
			break;
		switch (op % 16) {
		case 0:
		case 1:
			op_put(&st);
			break;
		case 2:
			do_remove(&st, get(&st) % NID);
			break;
		case 3:
			k = get(&st) % NID;
			do_hold(&st, k, get(&st));
			break;
		case 4:
			sched_force_all(&st.s);
			break;
		case 5:
			sched_mark(&st.s);
			for (k = 0; k < NID; k++)
				st.sh[k].seen = 0;
			break;
		case 6: {
			struct sched_msg *m;
			k = get(&st) % NID;
			if ((m = sched_find(&st.s, ids[k])) != NULL) {
				sched_touch(&st.s, m);
				st.sh[k].seen = 1;
			}
			break;
		}
		case 7:
			op_sweep(&st);
			break;
		case 8: {
			uint8_t b = get(&st);
			st.now += b & 0x80 ? (time_t)(b & 0x7f) * 60 : b;
			break;
		}
		case 9:
			op_job(&st);
			break;
		case 10:
			op_late(&st);
			break;
		case 11:
		case 12:
			op_done(&st);
			break;
		case 13:
			op_dead(&st);
			break;
		case 14:
			op_alive(&st);
			break;
		default:
			op_due_next(&st);
			break;
		}
		check_all(&st);
	}
	check_hash(&st);
	sched_free(&st.s);
	check_wake(data + st.pos, size - st.pos);
	return 0;
}
