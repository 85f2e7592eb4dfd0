/*
 * fuzz_envelope.c - smtpd/store/queue.c's envelope parser (queue_env_parse),
 * which reads env/ID files the relay child trusts.  An envelope that
 * parses must have a safe id (a file name: no "/", no leading dot), a
 * sender and at least one recipient; it is then written with
 * queue_env_write into a queue in a temporary directory (the real
 * serializer and its atomic write) and read back with queue_env_read,
 * which must give the same envelope.  The file is removed each run.
 */
#include "fuzz_util.h"

#include "store/queue.h"

static char queue_dir[PATH_MAX];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_path(queue_dir, sizeof(queue_dir), "queue");
	if (queue_init(queue_dir) < 0)
		abort();
	return 0;
}

/* the serializer writes an error as one line: CR and LF become blanks */
static void
one_line(char *dst, const char *src, size_t size)
{
	size_t i;

	snprintf(dst, size, "%s", src);
	for (i = 0; dst[i]; i++)
		if (dst[i] == '\r' || dst[i] == '\n')
			dst[i] = ' ';
}

static void
check_same(const struct envelope *a, const struct envelope *b)
{
	char ea[sizeof(a->rcpts[0].error)];
	int i;

	CHECK(strcmp(a->id, b->id) == 0);
	CHECK(a->created == b->created && a->next_try == b->next_try);
	CHECK(a->attempts == b->attempts);
	CHECK(strcmp(a->sender, b->sender) == 0);
	CHECK(a->nrcpt == b->nrcpt);
	for (i = 0; i < a->nrcpt; i++) {
		CHECK(strcmp(a->rcpts[i].addr, b->rcpts[i].addr) == 0);
		CHECK(a->rcpts[i].state == b->rcpts[i].state);
		one_line(ea, a->rcpts[i].error, sizeof(ea));
		CHECK(strcmp(ea, b->rcpts[i].error) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct envelope env, back;
	char path[PATH_MAX];
	int i;

	if (queue_env_parse((const char *)data, size, &env) < 0) {
		CHECK(env.rcpts == NULL && env.nrcpt == 0);
		return 0;
	}
	CHECK(env.id[0] && env.id[0] != '.' && strchr(env.id, '/') == NULL);
	CHECK(env.nrcpt > 0 && env.attempts >= 0);
	CHECK(env.created >= 0 && env.next_try >= 0);
	for (i = 0; i < env.nrcpt; i++) {
		CHECK(env.rcpts[i].addr[0]);
		CHECK(env.rcpts[i].state <= QR_BOUNCED);
	}
	CHECK(queue_env_write(queue_dir, &env) == 0);
	CHECK(queue_env_read(queue_dir, env.id, &back) == 0);
	check_same(&env, &back);
	snprintf(path, sizeof(path), "%s/env/%s", queue_dir, env.id);
	CHECK(unlink(path) == 0);
	queue_env_free(&back);
	queue_env_free(&env);
	return 0;
}
