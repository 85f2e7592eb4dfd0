/*
 * sched.c - see sched.h.  Messages are found by id in a chained hash
 * table (grown to keep chains short), kept in a binary min-heap by the
 * time they are due (each knows its place, so one can be taken out from
 * the middle), and on doubly linked due lists.  Destinations are an
 * array found by name through a second hash table; they are few beside
 * the messages and are kept for the life of the relay child.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "relay/sched.h"

static size_t
str_hash(const char *s)
{
	size_t h = 5381; /* djb2 */

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static time_t
due_at(const struct sched_msg *m)
{
	if (m->forced)
		return 0;
	return m->held > m->next_try ? m->held : m->next_try;
}

/* the heap */

static void
heap_set(struct sched *s, size_t i, struct sched_msg *m)
{
	s->heap[i] = m;
	m->heap = i;
}

static void
heap_up(struct sched *s, size_t i)
{
	struct sched_msg *m = s->heap[i];

	while (i > 0 && due_at(s->heap[(i - 1) / 2]) > due_at(m)) {
		heap_set(s, i, s->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(s, i, m);
}

static void
heap_down(struct sched *s, size_t i)
{
	struct sched_msg *m = s->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && due_at(s->heap[c + 1]) < due_at(s->heap[c]))
			c++;
		if (due_at(s->heap[c]) >= due_at(m))
			break;
		heap_set(s, i, s->heap[c]);
		i = c;
	}
	heap_set(s, i, m);
}

static void
heap_add(struct sched *s, struct sched_msg *m)
{
	if (s->nheap == s->heapcap) {
		s->heapcap = s->heapcap ? s->heapcap * 2 : 64;
		s->heap = xreallocarray(s->heap, s->heapcap, sizeof(*s->heap));
	}
	heap_set(s, s->nheap++, m);
	heap_up(s, m->heap);
}

static void
heap_del(struct sched *s, struct sched_msg *m)
{
	size_t i = m->heap;

	if (i == SCHED_NOWHERE)
		return;
	m->heap = SCHED_NOWHERE;
	if (i == --s->nheap)
		return;
	m = s->heap[s->nheap];
	heap_set(s, i, m);
	heap_up(s, i);
	heap_down(s, m->heap);
}

/* the due lists */

static struct sched_list *
list_of(struct sched *s, int list)
{
	return list == SCHED_MULTI ? &s->multi : &s->dest[list].due;
}

static void
list_add(struct sched *s, struct sched_msg *m, int list)
{
	struct sched_list *l = list_of(s, list);

	m->list = list;
	m->next = NULL;
	m->prev = l->tail;
	if (l->tail)
		l->tail->next = m;
	else
		l->head = m;
	l->tail = m;
	l->n++;
	if (m->deadline != 0 && (l->late == 0 || m->deadline < l->late))
		l->late = m->deadline;
}

static void
list_del(struct sched *s, struct sched_msg *m)
{
	struct sched_list *l;

	if (m->list == -1)
		return;
	l = list_of(s, m->list);
	if (m->prev)
		m->prev->next = m->next;
	else
		l->head = m->next;
	if (m->next)
		m->next->prev = m->prev;
	else
		l->tail = m->prev;
	if (--l->n == 0)
		l->late = 0;
	m->prev = m->next = NULL;
	m->list = -1;
}

/* out of the heap and off its list: about to be busy, moved or freed */
static void
unplace(struct sched *s, struct sched_msg *m)
{
	heap_del(s, m);
	list_del(s, m);
}

/* the message hash */

static void
msg_rehash(struct sched *s)
{
	size_t n = s->nmbucket ? s->nmbucket * 2 : 1024, i;
	struct sched_msg **b = xcalloc(n, sizeof(*b));

	for (i = 0; i < s->nmbucket; i++)
		while (s->mbucket[i]) {
			struct sched_msg *m = s->mbucket[i];
			size_t h = str_hash(m->id) % n;
			s->mbucket[i] = m->hnext;
			m->hnext = b[h];
			b[h] = m;
		}
	free(s->mbucket);
	s->mbucket = b;
	s->nmbucket = n;
}

struct sched_msg *
sched_find(struct sched *s, const char *id)
{
	struct sched_msg *m;

	if (s->nmbucket == 0)
		return NULL;
	for (m = s->mbucket[str_hash(id) % s->nmbucket]; m; m = m->hnext)
		if (strcmp(m->id, id) == 0)
			return m;
	return NULL;
}

/* the destinations */

static int
dest_get(struct sched *s, const char *name)
{
	size_t h;
	int i;

	if (s->ndbucket == 0) {
		s->ndbucket = 256;
		s->dbucket = xcalloc(s->ndbucket, sizeof(*s->dbucket));
		memset(s->dbucket, 0xff, s->ndbucket * sizeof(*s->dbucket));
	}
	h = str_hash(name) % s->ndbucket;
	for (i = s->dbucket[h]; i >= 0; i = s->dest[i].hnext)
		if (strcmp(s->dest[i].name, name) == 0)
			return i;
	if (s->ndest == s->destcap) {
		s->destcap = s->destcap ? s->destcap * 2 : 16;
		s->dest = xreallocarray(s->dest, (size_t)s->destcap,
					sizeof(*s->dest));
	}
	i = s->ndest++;
	memset(&s->dest[i], 0, sizeof(s->dest[i]));
	strlcpy(s->dest[i].name, name, sizeof(s->dest[i].name));
	s->dest[i].hnext = s->dbucket[h];
	s->dbucket[h] = i;
	if ((size_t)s->ndest > s->ndbucket * 2) {
		/* rebuild the chains over twice the buckets */
		int j;
		s->ndbucket *= 4;
		s->dbucket = xreallocarray(s->dbucket, s->ndbucket,
					   sizeof(*s->dbucket));
		memset(s->dbucket, 0xff, s->ndbucket * sizeof(*s->dbucket));
		for (j = 0; j < s->ndest; j++) {
			h = str_hash(s->dest[j].name) % s->ndbucket;
			s->dest[j].hnext = s->dbucket[h];
			s->dbucket[h] = j;
		}
	}
	return i;
}

void
sched_init(struct sched *s)
{
	memset(s, 0, sizeof(*s));
}

void
sched_free(struct sched *s)
{
	size_t i;

	for (i = 0; i < s->nmbucket; i++)
		while (s->mbucket[i]) {
			struct sched_msg *m = s->mbucket[i];
			s->mbucket[i] = m->hnext;
			free(m->dests);
			free(m);
		}
	free(s->mbucket);
	free(s->heap);
	free(s->dest);
	free(s->dbucket);
	memset(s, 0, sizeof(*s));
}

struct sched_msg *
sched_put(struct sched *s, const char *id, time_t next_try, int attempts,
	  time_t deadline, const char *const *dests, int ndest)
{
	struct sched_msg *m = sched_find(s, id);
	int i, j, k;

	if (m == NULL) {
		size_t h;
		if (strlen(id) >= sizeof(m->id))
			return NULL;
		if (s->nmsg >= s->nmbucket)
			msg_rehash(s);
		m = xcalloc(1, sizeof(*m));
		strlcpy(m->id, id, sizeof(m->id));
		m->heap = SCHED_NOWHERE;
		m->list = -1;
		h = str_hash(id) % s->nmbucket;
		m->hnext = s->mbucket[h];
		s->mbucket[h] = m;
		s->nmsg++;
	} else
		unplace(s, m);
	m->next_try = next_try;
	m->attempts = attempts;
	m->deadline = deadline;
	m->gen = s->gen;
	free(m->dests);
	m->dests = xcalloc(ndest > 0 ? (size_t)ndest : 1, sizeof(*m->dests));
	for (i = k = 0; i < ndest; i++) {
		int d = dest_get(s, dests[i]);
		for (j = 0; j < k && m->dests[j] != d; j++)
			;
		if (j == k)
			m->dests[k++] = d;
	}
	m->ndest = k;
	if (!m->busy)
		heap_add(s, m);
	return m;
}

void
sched_remove(struct sched *s, struct sched_msg *m)
{
	struct sched_msg **p;

	unplace(s, m);
	for (p = &s->mbucket[str_hash(m->id) % s->nmbucket]; *p != m;
	     p = &(*p)->hnext)
		;
	*p = m->hnext;
	s->nmsg--;
	free(m->dests);
	free(m);
}

void
sched_mark(struct sched *s)
{
	s->gen++;
}

void
sched_touch(struct sched *s, struct sched_msg *m)
{
	m->gen = s->gen;
}

size_t
sched_sweep(struct sched *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->nmbucket; i++) {
		struct sched_msg *m = s->mbucket[i], *next;
		for (; m; m = next) {
			next = m->hnext;
			if (m->gen != s->gen && !m->busy) {
				sched_remove(s, m);
				n++;
			}
		}
	}
	return n;
}

/* back where its time says, unless busy (sched_done does it then) */
static void
replace(struct sched *s, struct sched_msg *m)
{
	unplace(s, m);
	if (!m->busy)
		heap_add(s, m);
}

void
sched_hold(struct sched *s, struct sched_msg *m, time_t until)
{
	m->held = until;
	m->forced = 0;
	replace(s, m);
}

void
sched_force_all(struct sched *s)
{
	size_t i;
	int d;

	/* dead no longer; the backoff stays, for "alive again" or the
	 * next, longer, dead time */
	for (d = 0; d < s->ndest; d++)
		if (s->dest[d].dead > 0)
			s->dest[d].dead = 1;
	for (i = 0; i < s->nmbucket; i++) {
		struct sched_msg *m;
		for (m = s->mbucket[i]; m; m = m->hnext) {
			m->forced = 1;
			m->held = 0;
			/* one already due keeps its place in line */
			if (m->list == -1)
				replace(s, m);
		}
	}
}

void
sched_due(struct sched *s, time_t now)
{
	while (s->nheap > 0 && due_at(s->heap[0]) <= now) {
		struct sched_msg *m = s->heap[0];
		heap_del(s, m);
		list_add(s, m, m->ndest == 1 ? m->dests[0] : SCHED_MULTI);
	}
}

/*
 * How many jobs may go to destination d now: none while it is dead; one
 * (of one message: a probe) once its dead time is over, until a job
 * reaches it (sched_dest_alive); else max_dest.
 */
static int
dest_limit(const struct sched *s, int d, time_t now, int max_dest)
{
	const struct sched_dest *sd = &s->dest[d];

	if (sd->dead > now)
		return 0;
	return sd->backoff > 0 ? 1 : max_dest;
}

/*
 * d's due messages wait for d, not for a worker: it is dead, or its
 * probe is running (sched_job_late's rule).
 */
static int
dest_waits(const struct sched *s, int d, time_t now)
{
	return s->dest[d].backoff > 0 &&
	       s->dest[d].active >= dest_limit(s, d, now, 1);
}

/* a several-destination message every destination of which waits so */
static int
multi_waits(const struct sched *s, const struct sched_msg *m, time_t now)
{
	int i;

	for (i = 0; i < m->ndest; i++)
		if (!dest_waits(s, m->dests[i], now))
			return 0;
	return m->ndest > 0;
}

time_t
sched_next(const struct sched *s, time_t now)
{
	time_t next = s->nheap > 0 ? due_at(s->heap[0]) : (time_t)-1;
	const struct sched_msg *m;
	int d, i;

	for (d = 0; d < s->ndest; d++)
		if (s->dest[d].due.n > 0 && s->dest[d].dead > now &&
		    (next == (time_t)-1 || s->dest[d].dead < next))
			next = s->dest[d].dead;
	/* a several-destination message whose destinations are all dead
	 * waits for the first of them to come alive, not for a worker */
	for (m = s->multi.head; m; m = m->next) {
		time_t first = (time_t)-1;
		for (i = 0; i < m->ndest; i++) {
			time_t dead = s->dest[m->dests[i]].dead;
			if (dead <= now)
				break;
			if (first == (time_t)-1 || dead < first)
				first = dead;
		}
		if (i == m->ndest && first != (time_t)-1 &&
		    (next == (time_t)-1 || first < next))
			next = first;
	}
	/* a message waiting for a dead destination, until its deadline
	 * (as far as the lists' bounds tell: sched_job_late sharpens
	 * them) */
	for (d = 0; d < s->ndest; d++)
		if (s->dest[d].due.late > now && dest_waits(s, d, now) &&
		    (next == (time_t)-1 || s->dest[d].due.late < next))
			next = s->dest[d].due.late;
	if (s->multi.late > now && (next == (time_t)-1 || s->multi.late < next))
		next = s->multi.late;
	return next;
}

static void
set_busy(struct sched *s, struct sched_msg *m)
{
	unplace(s, m);
	m->busy = 1;
	m->forced = 0;
}

/* a several-destination message whose live destinations all have room */
static struct sched_msg *
multi_ready(struct sched *s, time_t now, int max_dest)
{
	struct sched_msg *m;
	int i, live;

	for (m = s->multi.head; m; m = m->next) {
		for (i = live = 0; i < m->ndest; i++) {
			int d = m->dests[i];
			if (s->dest[d].dead > now)
				continue;
			live++;
			if (s->dest[d].active >= dest_limit(s, d, now, max_dest))
				break;
		}
		if (i == m->ndest && (live > 0 || m->ndest == 0))
			return m;
	}
	return NULL;
}

int
sched_job(struct sched *s, time_t now, int max_dest, int free_workers,
	  int max, struct sched_msg **out, int *dest)
{
	struct sched_msg *m;
	int i, k, n = 0;

	if (free_workers <= 0 || max <= 0)
		return 0;
	if ((m = multi_ready(s, now, max_dest)) != NULL) {
		set_busy(s, m);
		for (i = 0; i < m->ndest; i++)
			s->dest[m->dests[i]].active++;
		out[0] = m;
		*dest = -1;
		return 1;
	}
	/* the destinations in turn, from the one after the last served,
	 * so that a busy one does not keep the others waiting */
	for (k = 0; k < s->ndest; k++) {
		int d = (s->rr + 1 + k) % s->ndest, slots, size;
		struct sched_dest *sd = &s->dest[d];
		if (sd->due.n == 0 ||
		    (slots = dest_limit(s, d, now, max_dest) - sd->active) <= 0)
			continue;
		if (slots > free_workers)
			slots = free_workers;
		size = (sd->due.n + slots - 1) / slots;
		if (size > max || sd->backoff > 0)
			size = sd->backoff > 0 ? 1 : max; /* a probe: one */
		while (n < size && (m = sd->due.head) != NULL) {
			set_busy(s, m);
			out[n++] = m;
		}
		sd->active++;
		s->rr = d;
		*dest = d;
		break;
	}
	return n;
}

/*
 * From l, the messages past their deadline (several-destination ones
 * only when all their destinations wait, multi_waits), up to max;
 * l->late is then the least deadline of those left.
 */
static int
take_late(struct sched *s, struct sched_list *l, time_t now, int max,
	  struct sched_msg **out)
{
	struct sched_msg *m, *next;
	time_t late = 0;
	int n = 0;

	for (m = l->head; m; m = next) {
		next = m->next;
		if (m->deadline == 0)
			continue;
		if (n < max && m->deadline <= now &&
		    (l != &s->multi || multi_waits(s, m, now))) {
			set_busy(s, m);
			out[n++] = m;
			continue;
		}
		if (late == 0 || m->deadline < late)
			late = m->deadline;
	}
	l->late = late;
	return n;
}

int
sched_job_late(struct sched *s, time_t now, int free_workers, int max,
	       struct sched_msg **out)
{
	int d, n = 0;

	if (free_workers <= 0 || max <= 0)
		return 0;
	for (d = 0; d < s->ndest && n == 0; d++)
		if (s->dest[d].due.late != 0 && s->dest[d].due.late <= now &&
		    dest_waits(s, d, now))
			n = take_late(s, &s->dest[d].due, now, max, out);
	if (n == 0 && s->multi.late != 0 && s->multi.late <= now)
		n = take_late(s, &s->multi, now, max, out);
	return n;
}

void
sched_job_end(struct sched *s, int dest, const struct sched_msg *m)
{
	int i;

	if (dest == SCHED_LATE)
		return; /* counted nowhere */
	if (dest >= 0)
		s->dest[dest].active--;
	else
		for (i = 0; i < m->ndest; i++)
			s->dest[m->dests[i]].active--;
}

void
sched_done(struct sched *s, struct sched_msg *m)
{
	if (!m->busy)
		return;
	m->busy = 0;
	heap_add(s, m);
}

int
sched_dest_dead(struct sched *s, int d, time_t now, int min, int max)
{
	struct sched_dest *sd = &s->dest[d];

	if (sd->dead > now)
		return 0; /* another job found it dead already */
	sd->backoff = sd->backoff <= 0 ? min
		      : sd->backoff > max / 2 ? max
					      : sd->backoff * 2;
	if (sd->backoff > max)
		sd->backoff = max;
	sd->dead = now + sd->backoff;
	return 1;
}

int
sched_dest_alive(struct sched *s, int d)
{
	struct sched_dest *sd = &s->dest[d];
	int was_dead = sd->backoff > 0;

	sd->dead = 0;
	sd->backoff = 0;
	return was_dead;
}

/* a queue id as queue_new_id makes them: nothing else is read */
static int
id_valid(const char *id, size_t len)
{
	size_t i;

	if (len == 0 || len >= sizeof(((struct sched_msg *)0)->id))
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)id[i]))
			return 0;
	return 1;
}

void
sched_wake_feed(struct sched_wake *w, const char *buf, size_t n,
		void (*found)(void *arg, const char *id), void *arg)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (w->len < sizeof(w->line) - 1)
				w->line[w->len++] = buf[i];
			else
				w->skipping = 1;
			continue;
		}
		w->line[w->len] = '\0';
		if (!w->skipping && id_valid(w->line, w->len))
			found(arg, w->line);
		w->len = 0;
		w->skipping = 0;
	}
}
