#!/usr/bin/env bats
# queue_tools.bats - one master per queue (smtpd.pid, locked) and the
# queue tools (issue 9): smtpd -q lists held messages; smtpd -q flush,
# delete ID / delete all, hold ID, release ID, on a running and on a
# stopped daemon; unknown ids; a message being delivered is refused.
#
# abc.com relays to xyz.com (a second smtpd) or to fake.example
# (t/fake_smtp.py).  The helpers set `retry_delay 1s 2s`.  Tests run as
# root; the queue is nobody's, so smtpd -q becomes nobody to work on it.

bats_require_minimum_version 1.5.0

load helpers
load relay_helpers

setup() {
	relay_setup
}

teardown() {
	fake_stop
	test_teardown
}

# a master started in the foreground (it must refuse and exit) is run
# under `timeout 20`: one that does not refuse fails the test, not hang it

q() { "$SMTPD_BIN" -f "$abc_ROOT/etc/smtpd.conf" -q "$@"; }
Q() { echo "$abc_ROOT/queue"; }
log_count() { grep -c -- "$2" "$(log_of "$1")" || true; }
at_least() { [ "$(log_count "$1" "$3")" -ge "$2" ]; }

# queue N messages to bob@xyz.com with xyz down, the first tried (the
# others wait for the dead destination, or are tried too); the ids,
# oldest first, in IDS
queue_deferred() {
	local i
	for i in $(seq 1 "$1"); do
		alice_sends "deferred $i" bob@xyz.com
		[[ "$output" == *"250 Message received and to be delivered"* ]]
	done
	wait_for 15 at_least abc 1 'to=<bob@xyz.com> status=deferred'
	mapfile -t IDS < <(queued abc)
	[ "${#IDS[@]}" = "$1" ]
	# and every worker done with its message (it logs before it records)
	for i in "${IDS[@]}"; do
		wait_for 10 unlocked "$i"
	done
}

# a worker holds the message's lock, or does not
locked() { data_locked abc "$1"; }
unlocked() { ! data_locked abc "$1"; }

@test "hold and release on a stopped daemon: env/ID moves to hold/ and back; smtpd -q marks it" {
	daemon_start abc # xyz is down
	queue_deferred 2
	daemon_stop abc
	id=${IDS[0]} other=${IDS[1]}
	# a queue from before hold/: the tool makes it, owned like the queue
	rmdir "$(Q)/hold"
	run q hold "$id"
	echo "$output"
	[ "$status" = 0 ]
	[ "$output" = "$id: on hold" ]
	[ -f "$(Q)/hold/$id" ] && [ ! -e "$(Q)/env/$id" ] && [ -f "$(Q)/data/$id" ]
	[ "$(stat -c %U "$(Q)/hold")" = "$(stat -c %U "$(Q)")" ]
	[ "$(stat -c %U "$(Q)/hold/$id")" = "$(stat -c %U "$(Q)")" ]
	run q hold "$id"
	[ "$status" = 0 ]
	[ "$output" = "$id: already on hold" ]
	run q
	echo "$output"
	[ "$status" = 0 ]
	[[ "${lines[0]}" == "$other  age "* ]]
	[[ "${lines[2]}" =~ ^$id\ \ held\ \ age\ [0-9]+h[0-9]{2}m[0-9]{2}s\ \ size\ [0-9]+\ \ from\ \<alice@abc\.com\>\ \ attempts\ [1-9][0-9]*\ \ last\ attempt\ [0-9-]{10}\ [0-9:]{8}$ ]]
	[ "${lines[3]}" = "    to <bob@xyz.com>  pending  at 127.0.0.1 [127.0.0.1]:$xyz_SMTP  last error: 127.0.0.1:$xyz_SMTP: connect to 127.0.0.1 port $xyz_SMTP: Connection refused" ]
	[ "${lines[-1]}" = "2 messages in the queue, 1 of them on hold" ]
	run q release "$other"
	[ "$status" = 0 ]
	[ "$output" = "$other: not on hold" ]
	run q release "$id"
	echo "$output"
	[ "$status" = 0 ]
	[ "$output" = "$id: released; it is sent once smtpd runs" ]
	[ -f "$(Q)/env/$id" ] && [ ! -e "$(Q)/hold/$id" ] && [ -f "$(Q)/data/$id" ]
	# due at once: next is now, not the retry time it had
	next=$(awk '$1 == "next" {print $2}' "$(Q)/env/$id")
	[ $((next - $(date +%s))) -le 0 ]
	run q
	[ "${lines[-1]}" = "2 messages in the queue" ]
	# started again, with xyz up: both go
	daemon_start xyz
	daemon_start abc
	wait_for 15 has 2 xyz xyz.com bob
	wait_for 10 queue_empty abc
}

@test "a held message's data is not swept as litter when the relay child starts" {
	daemon_start abc # xyz is down
	queue_deferred 1
	id=${IDS[0]}
	daemon_stop abc
	run q hold "$id"
	[ "$status" = 0 ]
	# both two days old: litter (data without an envelope) and the held one
	printf 'x\n' >"$(Q)/data/0000LITTER"
	chown nobody: "$(Q)/data/0000LITTER"
	touch -d '2 days ago' "$(Q)/data/0000LITTER" "$(Q)/data/$id"
	daemon_start abc
	wait_for 10 grep -q "removed stale .*/data/0000LITTER" "$(log_of abc)"
	[ -f "$(Q)/data/$id" ]
	run ! grep -q "removed stale .*/data/$id" "$(log_of abc)"
	run q release "$id"
	[ "$status" = 0 ]
	daemon_start xyz
	run q flush
	wait_for 15 has 1 xyz xyz.com bob
}

@test "hold on a running daemon: the relay does not send it, even flushed; release: it is sent" {
	daemon_conf abc "retry_delay 1s 1s"
	daemon_start abc # xyz is down
	queue_deferred 1
	id=${IDS[0]}
	run q hold "$id"
	echo "$output"
	[ "$status" = 0 ]
	[ "$output" = "$id: on hold" ]
	# the tries so far: with retry_delay 1s, a slow machine may have made
	# a second before the hold.  The hold took the message's lock, so no
	# worker was at it, and each logs before it lets go of the lock.
	tried=$(log_count abc "$id: to=<bob@xyz.com> status=deferred")
	[ "$tried" -ge 1 ]
	daemon_start xyz
	run q flush
	[ "$status" = 0 ]
	# the relay child sees nothing to retry, and its 1 s retry finds nothing
	wait_for 10 grep -q 'SIGUSR1: retrying every queued message (0)' "$(log_of abc)"
	sleep 3
	has 0 xyz xyz.com bob
	[ -f "$(Q)/hold/$id" ] && [ -f "$(Q)/data/$id" ]
	# not one try since the hold
	[ "$(log_count abc "$id: to=<bob@xyz.com> status=deferred")" = "$tried" ]
	run q release "$id"
	echo "$output"
	[ "$status" = 0 ]
	[ "$output" = "$id: released, the relay child is woken" ]
	wait_for 10 has 1 xyz xyz.com bob
	grep -qx 'Subject: deferred 1' "$(maildir_files xyz.com bob xyz)"
	wait_for 10 queue_empty abc
	[ -z "$(find "$(Q)/hold" "$(Q)/data" -type f)" ]
}

@test "delete ID on a running and on a stopped daemon; unknown and bad ids are refused" {
	daemon_conf abc "retry_delay 1h 1h"
	daemon_start abc # xyz is down
	queue_deferred 3
	run q delete "${IDS[0]}"
	echo "$output"
	[ "$status" = 0 ]
	[ "$output" = "${IDS[0]}: deleted" ]
	[ ! -e "$(Q)/env/${IDS[0]}" ] && [ ! -e "$(Q)/data/${IDS[0]}" ]
	daemon_stop abc
	run q hold "${IDS[1]}"
	run q delete "${IDS[1]}" "${IDS[2]}"
	echo "$output"
	[ "$status" = 0 ]
	[ "${lines[0]}" = "${IDS[1]}: deleted (it was on hold)" ]
	[ "${lines[1]}" = "${IDS[2]}: deleted" ]
	[ -z "$(find "$(Q)/env" "$(Q)/hold" "$(Q)/data" -type f)" ]
	run q
	[ "$output" = "Mail queue is empty" ]
	# unknown: named, non-zero, nothing touched
	run q delete 0123ABCD
	echo "$output"
	[ "$status" = 1 ]
	[ "$output" = "smtpd: 0123ABCD: no such message in the queue $abc_ROOT/etc/../queue" ]
	for cmd in hold release; do
		run q "$cmd" 0123ABCD
		[ "$status" = 1 ]
		[ "$output" = "smtpd: 0123ABCD: no such message in the queue $abc_ROOT/etc/../queue" ]
	done
	# not an id: no path is ever made of it
	run q delete ../relay.lock
	echo "$output"
	[ "$status" = 64 ]
	[[ "$output" == "smtpd: -q: not a message id: ../relay.lock; want: "* ]]
	run q hold
	[ "$status" = 64 ]
	run q frobnicate
	[ "$status" = 64 ]
	[[ "$output" == "smtpd: -q: unknown command frobnicate; want: "* ]]
}

@test "delete all: queued, held and set-aside messages, running or not" {
	daemon_conf abc "retry_delay 1h 1h"
	daemon_start abc # xyz is down
	queue_deferred 3
	run q hold "${IDS[2]}"
	# one set aside in corrupt/, as the relay child does with a bad envelope
	mkdir -p "$(Q)/corrupt"
	printf 'bad\n' >"$(Q)/corrupt/0BADC0FFEE.env"
	printf 'body\n' >"$(Q)/corrupt/0BADC0FFEE.data"
	chown -R nobody: "$(Q)/corrupt"
	run q delete all
	echo "$output"
	[ "$status" = 0 ]
	[ "${lines[-1]}" = "4 messages deleted" ]
	[[ "$output" == *"${IDS[2]}: deleted (it was on hold)"* ]]
	[[ "$output" == *"0BADC0FFEE: deleted (it was set aside in corrupt/)"* ]]
	[ -z "$(find "$(Q)/env" "$(Q)/hold" "$(Q)/data" "$(Q)/corrupt" -type f)" ]
	run q
	[ "$output" = "Mail queue is empty" ]
	daemon_stop abc
	run q delete all
	[ "$status" = 0 ]
	[ "$output" = "0 messages deleted" ]
	run q delete all "${IDS[0]}"
	[ "$status" = 64 ]
}

@test "flush: signals the running master found by its lock; refused with none, or only a stale pid file" {
	daemon_conf abc "retry_delay 1h 1h"
	daemon_start abc # xyz is down
	queue_deferred 1
	[ "$(cat "$(Q)/smtpd.pid")" = "$abc_PID" ]
	daemon_start xyz
	run q flush
	echo "$output"
	[ "$status" = 0 ]
	[ "$output" = "flush: smtpd, pid $abc_PID, retries every queued message now" ]
	wait_for 10 has 1 xyz xyz.com bob
	wait_for 10 queue_empty abc
	daemon_stop abc
	run q flush
	echo "$output"
	[ "$status" = 1 ]
	[ "$output" = "smtpd: flush: no smtpd runs on the queue $abc_ROOT/etc/../queue (nothing holds $abc_ROOT/etc/../queue/smtpd.pid): nothing to flush" ]
	# a pid file naming a live process that holds no lock (this shell):
	# nothing is signalled
	echo $$ >"$(Q)/smtpd.pid"
	run q flush
	[ "$status" = 1 ]
	[[ "$output" == *"no smtpd runs on the queue"* ]]
}

@test "a message being delivered right now is refused (busy), then handled once the worker is done" {
	FAKE_PORT=$(free_port)
	daemon_conf abc "route fake.example 127.0.0.1:$FAKE_PORT" \
		"relay_workers 1" "relay_helo_timeout 30"
	# a peer that never answers: the worker waits on it, holding the lock
	fake_start "<silent>"
	daemon_start abc
	alice_sends "busy" bob@fake.example
	id=$(queued abc)
	[ -n "$id" ]
	wait_for 10 locked "$id"
	for cmd in delete hold release; do
		run q "$cmd" "$id"
		echo "$output"
		[ "$status" = 75 ]
	done
	[ "$output" = "smtpd: $id: being delivered right now: not released; try again" ]
	run q delete all
	[ "$status" = 75 ]
	[ "${lines[-1]}" = "0 messages deleted" ]
	[ -f "$(Q)/env/$id" ] && [ -f "$(Q)/data/$id" ]
	# the peer goes: the worker records a deferral and lets go
	fake_stop
	wait_for 15 grep -q "$id: to=<bob@fake.example> status=deferred" "$(log_of abc)"
	wait_for 10 unlocked "$id"
	run q delete "$id"
	echo "$output"
	[ "$status" = 0 ]
	[ "$output" = "$id: deleted" ]
	[ ! -e "$(Q)/env/$id" ] && [ ! -e "$(Q)/data/$id" ]
}

@test "a second master on the same queue refuses to start, naming the running pid" {
	daemon_start abc
	[ "$(cat "$(Q)/smtpd.pid")" = "$abc_PID" ]
	daemon_init abc2 abc.com
	daemon_conf abc2 "queue $abc_ROOT/queue"
	daemon_write_conf abc2
	run timeout 20 "$SMTPD_BIN" -f "$abc2_ROOT/etc/smtpd.conf"
	echo "$output"
	[ "$status" = 75 ]
	[[ "$output" == *"queue $abc_ROOT/queue is run by another smtpd, pid $abc_PID (it holds the lock on $abc_ROOT/queue/smtpd.pid): not starting a second master on it"* ]]
	# refused before binding: its ports were never opened
	run ! port_open "$abc2_SMTP"
	[[ "$output" != *"in use"* ]]
	# the same with abc's own ports (the error is this one, not EADDRINUSE)
	run timeout 20 "$SMTPD_BIN" -f "$abc_ROOT/etc/smtpd.conf"
	[ "$status" = 75 ]
	[[ "$output" == *"pid $abc_PID"* ]]
	[[ "$output" != *"in use"* ]]
	[ "$(cat "$(Q)/smtpd.pid")" = "$abc_PID" ]
	kill -0 "$abc_PID"
	# inetd mode is no master: it takes no lock and still serves
	run bash -c "printf 'QUIT\r\n' | '$SMTPD_BIN' -f '$abc_ROOT/etc/smtpd.conf' -i smtp 2>>'$abc_ROOT/inetd.log' | tr -d '\r'"
	echo "$output"
	[ "$status" = 0 ]
	[[ "${lines[0]}" == "220 "* ]]
	[[ "${lines[1]}" == "221 "* ]]
}

@test "a stale pid file from a kill -9'd master does not block a new start" {
	daemon_start abc
	old=$abc_PID
	kill -KILL "$old"
	wait "$old" 2>/dev/null || true
	[ "$(cat "$(Q)/smtpd.pid")" = "$old" ]
	daemon_start abc
	[ "$abc_PID" != "$old" ]
	[ "$(cat "$(Q)/smtpd.pid")" = "$abc_PID" ]
	run q flush
	[ "$status" = 0 ]
	[ "$output" = "flush: smtpd, pid $abc_PID, retries every queued message now" ]
}

@test "smtpd.pid planted as a link is refused, its target untouched" {
	daemon_start abc
	daemon_stop abc
	echo "keep me" >"$TEST_ROOT/target"
	rm -f "$(Q)/smtpd.pid"
	ln "$TEST_ROOT/target" "$(Q)/smtpd.pid"
	run timeout 20 "$SMTPD_BIN" -f "$abc_ROOT/etc/smtpd.conf"
	echo "$output"
	[ "$status" != 0 ]
	[[ "$output" == *"smtpd.pid: a regular file with more than one name: refusing to use it"* ]]
	rm -f "$(Q)/smtpd.pid"
	ln -s "$TEST_ROOT/target" "$(Q)/smtpd.pid"
	run timeout 20 "$SMTPD_BIN" -f "$abc_ROOT/etc/smtpd.conf"
	echo "$output"
	[ "$status" != 0 ]
	[[ "$output" == *"smtpd.pid: Too many levels of symbolic links"* ]]
	[ "$(cat "$TEST_ROOT/target")" = "keep me" ]
	run ! port_open "$abc_SMTP"
}
