#!/usr/bin/env bats
# queue_env_mark.bats - store/queue_env.c's in-place recording, driven
# through a small C program built here from the sources (cc, no Makefile):
# a recipient's state and the next/attempts fields are written over
# themselves (same file, same size, nothing new allocated), a field that
# is not where the envelope says is left alone, and an envelope of the
# older format (single blanks) takes what fits and refuses the rest.
# The daemon-level proof (a full queue disk) is in relay_faults.bats.

bats_require_minimum_version 1.5.0

setup_file() {
	REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	export MARK_BIN=$BATS_FILE_TMPDIR/envmark
	cat >"$BATS_FILE_TMPDIR/envmark.c" <<'EOF'
/* envmark QUEUE CMD: see queue_env_mark.bats */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

#include "store/queue_env.h"

static void
show(const char *queue, const char *id)
{
	struct envelope e;
	int i;

	if (queue_env_read(queue, id, &e) < 0) {
		printf("read: %s\n", strerror(errno));
		return;
	}
	printf("next %lld attempts %d\n", (long long)e.next_try, e.attempts);
	for (i = 0; i < e.nrcpt; i++)
		printf("%s %s\n", e.rcpts[i].addr,
		       queue_env_state_name(e.rcpts[i].state));
	queue_env_free(&e);
}

int
main(int argc, char **argv)
{
	const char *queue = argv[1], *cmd = argv[2];
	struct envelope e;
	int idx[2] = {0, 1}, r;

	log_init("envmark", 0, 0);
	if (argc != 3)
		return 64;
	if (strcmp(cmd, "new") == 0) {
		/* a fresh envelope as the writer makes it */
		memset(&e, 0, sizeof(e));
		strlcpy(e.id, "ID1", sizeof(e.id));
		e.created = e.next_try = 1000;
		strlcpy(e.sender, "a@x.test", sizeof(e.sender));
		e.rcpts = xcalloc(2, sizeof(*e.rcpts));
		e.nrcpt = 2;
		strlcpy(e.rcpts[0].addr, "b@y.test", sizeof(e.rcpts[0].addr));
		strlcpy(e.rcpts[1].addr, "c@y.test", sizeof(e.rcpts[1].addr));
		strlcpy(e.rcpts[1].error, "451 later", sizeof(e.rcpts[1].error));
		strlcpy(e.rcpts[1].remote, "mx.y.test [192.0.2.7]:25",
			sizeof(e.rcpts[1].remote));
		e.last_try = 999;
		e.warned = 1;
		return queue_env_write(queue, &e) < 0;
	}
	if (queue_env_read(queue, "ID1", &e) < 0)
		return 2;
	if (strcmp(cmd, "done") == 0) {
		/* b done, c failed, next and attempts: all in place */
		e.rcpts[0].state = QR_DONE;
		e.rcpts[1].state = QR_FAILED;
		e.next_try = 1700000000;
		e.attempts = 12;
		r = queue_env_mark(queue, &e, idx, 2, 1);
	} else if (strcmp(cmd, "bounced") == 0) {
		e.rcpts[1].state = QR_BOUNCED;
		r = queue_env_mark(queue, &e, idx + 1, 1, 0);
	} else if (strcmp(cmd, "shifted") == 0) {
		/* offsets that do not point at the field */
		e.rcpts[0].state = QR_DONE;
		e.rcpts[0].state_off += 1;
		r = queue_env_mark(queue, &e, idx, 1, 0);
	} else if (strcmp(cmd, "extra") == 0) {
		printf("tried %lld warned %d\n", (long long)e.last_try,
		       e.warned);
		for (r = 0; r < e.nrcpt; r++)
			printf("%s remote=%s error=%s\n", e.rcpts[r].addr,
			       e.rcpts[r].remote, e.rcpts[r].error);
		queue_env_free(&e);
		return 0;
	} else if (strcmp(cmd, "bignext") == 0) {
		e.next_try = 12345678901LL;
		r = queue_env_mark(queue, &e, idx, 0, 1);
	} else
		return 64;
	printf("mark: %s\n", r == 0 ? "ok" : strerror(errno));
	show(queue, "ID1");
	queue_env_free(&e);
	return 0;
}
EOF
	cc -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE \
		-D_POSIX_C_SOURCE=200809L -I"$REPO/lib" -I"$REPO/smtpd" \
		-o "$MARK_BIN" "$BATS_FILE_TMPDIR/envmark.c" \
		"$REPO/smtpd/store/queue_env.c" "$REPO/lib/durable.c" \
		"$REPO/lib/log.c" "$REPO/lib/util.c"
}

setup() {
	Q=$BATS_TEST_TMPDIR/queue
	mkdir -p "$Q/env" "$Q/tmp"
}

env_file() { cat "$Q/env/ID1"; }
# what envmark's "done" leaves, as read back
MARKED="next 1700000000 attempts 12
b@y.test done
c@y.test failed"
inode_size() { stat -c '%i %s' "$Q/env/ID1"; }

@test "the writer pads the fields that are recorded in place" {
	"$MARK_BIN" "$Q" new
	env_file
	[ "$(env_file)" = "id ID1
created 1000
next         1000
attempts     0
tried 999
warned 1
sender a@x.test
rcpt pending b@y.test
rcpt pending c@y.test
error 451 later
remote mx.y.test [192.0.2.7]:25" ]
}

@test "states, next and attempts are written over themselves: same file, same size" {
	"$MARK_BIN" "$Q" new
	before=$(inode_size)
	run "$MARK_BIN" "$Q" done
	echo "$output"
	[ "$output" = "mark: ok
$MARKED" ]
	[ "$(inode_size)" = "$before" ]
	env_file
	[ "$(sed -n 3,9p "$Q/env/ID1")" = "next   1700000000
attempts    12
tried 999
warned 1
sender a@x.test
rcpt done    b@y.test
rcpt failed  c@y.test" ]
	# the error text is kept; failed becomes bounced in place too
	grep -qx 'error 451 later' "$Q/env/ID1"
	run "$MARK_BIN" "$Q" bounced
	[ "${lines[0]}" = "mark: ok" ]
	[ "${lines[3]}" = "c@y.test bounced" ]
	[ "$(inode_size)" = "$before" ]
}

@test "a field that is not where the envelope says is left alone" {
	"$MARK_BIN" "$Q" new
	cp "$Q/env/ID1" "$BATS_TEST_TMPDIR/orig"
	run "$MARK_BIN" "$Q" shifted
	echo "$output"
	[ "${lines[0]}" = "mark: Invalid argument" ]
	cmp "$Q/env/ID1" "$BATS_TEST_TMPDIR/orig"
}

@test "the older format (single blanks): what fits is written in place, the rest refused" {
	printf '%s\n' "id ID1" "created 1000" "next 1000" "attempts 3" \
		"sender a@x.test" "rcpt pending b@y.test" "rcpt failed c@y.test" \
		>"$Q/env/ID1"
	cp "$Q/env/ID1" "$BATS_TEST_TMPDIR/orig"
	# "bounced" has 7 letters, the old "failed" field 6: refused, untouched
	run "$MARK_BIN" "$Q" bounced
	echo "$output"
	[ "${lines[0]}" = "mark: Value too large for defined data type" ]
	cmp "$Q/env/ID1" "$BATS_TEST_TMPDIR/orig"
	# a longer next than the old field holds: refused too
	run "$MARK_BIN" "$Q" bignext
	[ "${lines[0]}" = "mark: Value too large for defined data type" ]
	cmp "$Q/env/ID1" "$BATS_TEST_TMPDIR/orig"
	# states and a next that fit: written in place (done over pending
	# keeps the old field's room)
	sed -i -e 's/^next 1000$/next 1600000000/' -e 's/^attempts 3$/attempts 10/' "$Q/env/ID1"
	run "$MARK_BIN" "$Q" done
	echo "$output"
	[ "$output" = "mark: ok
$MARKED" ]
	grep -qx 'rcpt done    b@y.test' "$Q/env/ID1"
	grep -qx 'next 1700000000' "$Q/env/ID1"
	grep -qx 'attempts 12' "$Q/env/ID1"
}

@test "the last attempt, the delay notice and each recipient's remote host are read back" {
	"$MARK_BIN" "$Q" new
	grep -qx 'tried 999' "$Q/env/ID1"
	grep -qx 'warned 1' "$Q/env/ID1"
	grep -qx 'remote mx.y.test \[192.0.2.7\]:25' "$Q/env/ID1"
	run "$MARK_BIN" "$Q" done
	[ "$status" -eq 0 ]
	run "$MARK_BIN" "$Q" extra
	[ "$status" -eq 0 ]
	[ "$output" = "tried 999 warned 1
b@y.test remote= error=
c@y.test remote=mx.y.test [192.0.2.7]:25 error=451 later" ]
}
