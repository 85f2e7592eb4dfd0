#!/usr/bin/env bats
# relay_faults.bats - the relay child and its queue when things go wrong
# (issue 7): a full queue disk (space, then inodes) never makes a message
# go out twice; envelopes of any size smtpd writes are read back, and an
# unreadable one is set aside in corrupt/ and shown by `smtpd -q`; one
# relay child per queue (relay.lock), even when a killed master's relay
# child outlives it; SIGUSR1 retries every queued message, however few
# the workers; no busy loop when more messages are due than workers; the
# verification cache expires.
#
# abc.com relays to xyz.com (a second smtpd) or to fake.example
# (t/fake_smtp.py).  The helpers set `retry_delay 1s 2s`.  The tmpfs
# tests need root (mount); CI runs as root.

bats_require_minimum_version 1.5.0

load helpers
load relay_helpers

setup() {
	relay_setup
	MOUNTS=()
}

teardown() {
	local n r
	# the peer first: a worker waiting on it ends with its connection
	fake_stop
	for n in "${DAEMONS[@]}"; do
		daemon_stop "$n"
	done
	# the queues on tmpfs go before TEST_ROOT does (the logs are not there)
	for r in "${MOUNTS[@]}"; do
		umount -l "$r" 2>/dev/null || true
	done
	test_teardown
}

log_count() { grep -c -- "$2" "$(log_of "$1")" || true; }
at_least() { [ "$(log_count "$1" "$3")" -ge "$2" ]; }

# mount a tmpfs with OPTIONS on NAME's queue directory
queue_tmpfs() {
	local q
	q=$(root_of "$1")/queue
	mkdir -p "$q"
	mount -t tmpfs -o "$2" tmpfs "$q"
	MOUNTS+=("$q")
}

# alice_queues SUBJECT RCPT...: alice_sends, and abc took the message
alice_queues() {
	alice_sends "$@"
	[[ "$output" == *"250 Message received and to be delivered"* ]]
}

# utime + stime of PID, in clock ticks
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# read calls PID made so far (each pass over the queue reads every envelope)
read_calls() { awk '$1 == "syscr:" {print $2}' "/proc/$1/io"; }


# fill the filesystem at DIR: its space (bytes) or its inodes (files)
fill_space() { dd if=/dev/zero of="$1/fill" bs=64k 2>/dev/null || true; }
fill_inodes() {
	mkdir -p "$1/fill.d"
	python3 - "$1/fill.d" <<'PY'
import os, sys
i = 0
try:
    while True:
        open(os.path.join(sys.argv[1], str(i)), "w").close()
        i += 1
except OSError:
    pass
PY
}

# queue one message to bob@xyz.com with xyz down, fill the queue's disk
# with FILL, start xyz: exactly one copy arrives, and none after
one_copy_on_a_full_disk() {
	local fill=$1 q
	q=$abc_ROOT/queue
	daemon_start abc
	alice_queues "full disk" bob@xyz.com
	wait_for 10 at_least abc 1 'to=<bob@xyz.com> status=deferred'
	"$fill" "$q"
	# the disk is full: a new file cannot be written
	run ! sh -c "echo x >'$q/probe'"
	daemon_start xyz
	wait_for 15 has 1 xyz xyz.com bob
	grep -qx 'Subject: full disk' "$(maildir_files xyz.com bob xyz)"
	wait_for 10 queue_empty abc
	# the old code sent it again about once a second
	sleep 6
	has 1 xyz xyz.com bob
	[ "$(log_count abc 'to=<bob@xyz.com> status=sent')" = 1 ]
}

@test "a full queue disk: the message is delivered once and not again" {
	[ "$(id -u)" = 0 ] || skip "needs root to mount a tmpfs"
	queue_tmpfs abc size=2m
	one_copy_on_a_full_disk fill_space
	grep -q 'results recorded in place, without the error texts' "$(log_of abc)"
}

@test "a queue disk out of inodes: the message is delivered once and not again" {
	[ "$(id -u)" = 0 ] || skip "needs root to mount a tmpfs"
	queue_tmpfs abc size=8m,nr_inodes=400
	one_copy_on_a_full_disk fill_inodes
	grep -q 'results recorded in place, without the error texts' "$(log_of abc)"
}

# many_rcpts PORT N: one message from alice to N long addresses at
# fake.example, RCPTs sent in batches of 200 (no deadlock on full buffers);
# prints the reply to DATA's end
many_rcpts() {
	python3 - "$1" "$2" "$ALICE_AUTH" <<'PY'
import socket, sys
port, n, auth = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=60)
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline().decode()
        if len(line) < 4 or line[3] != "-":
            return line.rstrip("\r\n")
def cmd(c):
    s.sendall(c.encode() + b"\r\n")
    return reply()
reply()
cmd("EHLO client.abc.com")
assert cmd(auth).startswith("235")
assert cmd("MAIL FROM:<alice@abc.com>").startswith("250")
addrs = ["recipient-%06d-%s@fake.example" % (i, "x" * 40) for i in range(n)]
for b in range(0, n, 200):
    batch = addrs[b:b + 200]
    s.sendall(b"".join(("RCPT TO:<%s>\r\n" % a).encode() for a in batch))
    for a in batch:
        r = reply()
        assert r.startswith("250 2.1.5"), (a, r)
assert cmd("DATA").startswith("354")
print(cmd("Subject: many\r\n\r\nhello\r\n."))
cmd("QUIT")
PY
}

@test "an envelope past the old limits (10,001 recipients, over 1 MB with errors) is read back and delivered" {
	FAKE_PORT=$(free_port)
	daemon_conf abc "route fake.example 127.0.0.1:$FAKE_PORT" "max_recipients 10001"
	daemon_start abc # nothing listens on FAKE_PORT yet
	run many_rcpts "$abc_SUBMIT" 10001
	echo "$output"
	[ "$output" = "250 Message received and to be delivered" ]
	id=$(queued abc)
	[ -n "$id" ]
	# tried once: every recipient has an error line now, and the
	# envelope is past the old reader's 1 MB
	wait_for 30 at_least abc 10001 'status=deferred'
	env_size() { stat -c %s "$abc_ROOT/queue/env/$id"; }
	wait_for 30 eval '[ "$(env_size)" -gt $((1024 * 1024)) ]'
	echo "envelope: $(env_size) bytes"
	run "$SMTPD_BIN" -q -f "$abc_ROOT/etc/smtpd.conf"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | grep -c "  pending  at 127.0.0.1 \[127.0.0.1\]:$FAKE_PORT  last error: ")" = 10001 ]
	fake_start "220 fake.example ESMTP"
	wait_for 60 queue_empty abc
	[ "$(grep -c '^RCPT TO:' "$FAKE_LOG")" = 10001 ]
	[ "$(grep -c '^DATA$' "$FAKE_LOG")" = 1 ]
	[ "$(log_count abc 'status=sent')" = 10001 ]
	run ! grep -q 'malformed\|unreadable' "$(log_of abc)"
}

@test "an unreadable envelope is set aside in corrupt/, logged once, and listed by smtpd -q" {
	daemon_start abc
	mkdir -p "$abc_ROOT/queue/data"
	printf 'this is not an envelope\n' >"$abc_ROOT/queue/env/0BADC0FFEE"
	printf 'Subject: lost\n\nbody\n' >"$abc_ROOT/queue/data/0BADC0FFEE"
	chown nobody: "$abc_ROOT/queue/env/0BADC0FFEE" "$abc_ROOT/queue/data/0BADC0FFEE" 2>/dev/null || true
	# scans: on the wake-up of a queued message, and on SIGUSR1
	kill -USR1 "$abc_PID"
	wait_for 10 test -e "$abc_ROOT/queue/corrupt/0BADC0FFEE.env"
	[ -e "$abc_ROOT/queue/corrupt/0BADC0FFEE.data" ]
	[ ! -e "$abc_ROOT/queue/env/0BADC0FFEE" ]
	[ ! -e "$abc_ROOT/queue/data/0BADC0FFEE" ]
	alice_queues "after" bob@xyz.com
	kill -USR1 "$abc_PID"
	wait_for 10 at_least abc 2 'SIGUSR1: retrying'
	wait_for 10 at_least abc 1 'to=<bob@xyz.com> status=deferred'
	[ "$(log_count abc '0BADC0FFEE: unreadable envelope')" = 1 ]
	run "$SMTPD_BIN" -q -f "$abc_ROOT/etc/smtpd.conf"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-2]}" = "0BADC0FFEE  corrupt, not delivered: $abc_ROOT/etc/../queue/corrupt/0BADC0FFEE.env  size 20" ]
	[ "${lines[-1]}" = "1 corrupt message set aside in $abc_ROOT/etc/../queue/corrupt" ]
	[[ "${lines[-3]}" == "1 message in the queue" ]]
}

@test "a kill -9'd master's relay child still delivering: a new master starts, its relay child waits for relay.lock" {
	FAKE_PORT=$(free_port)
	daemon_conf abc "route fake.example 127.0.0.1:$FAKE_PORT" \
		"relay_workers 1" "relay_helo_timeout 30"
	# a peer that never answers: the worker waits on it
	fake_start "<silent>"
	daemon_start abc
	daemon_start xyz
	alice_queues "slow" bob@fake.example
	id=$(queued abc)
	wait_for 10 data_locked abc "$id"
	old_relay=$(relay_pid abc)
	[ -n "$old_relay" ]
	old=$abc_PID
	kill -KILL "$old"
	wait "$old" 2>/dev/null || true
	# the orphaned relay child waits for its worker, holding relay.lock
	sleep 1
	kill -0 "$old_relay"
	# the master's lock went with it: a new master starts on the queue
	daemon_start abc
	[ "$(cat "$abc_ROOT/queue/smtpd.pid")" = "$abc_PID" ]
	wait_for 10 grep -q 'another relay child holds .*relay.lock; waiting' "$(log_of abc)"
	# and it is the one master now: a second is refused
	daemon_init abc2 abc.com
	daemon_conf abc2 "queue $abc_ROOT/queue"
	daemon_write_conf abc2
	run timeout 20 "$SMTPD_BIN" -f "$abc2_ROOT/etc/smtpd.conf"
	[ "$status" = 75 ]
	[[ "$output" == *"is run by another smtpd, pid $abc_PID "* ]]
	# queued through the new master while the old relay child runs
	alice_queues "new" bob@xyz.com
	# the peer goes: the old worker ends, the old relay child exits, and
	# the new one takes the queue over and delivers
	fake_stop
	wait_for 15 eval '! kill -0 "$old_relay" 2>/dev/null'
	wait_for 10 grep -q 'relay child: got .*relay.lock' "$(log_of abc)"
	wait_for 15 has 1 xyz xyz.com bob
	wait_for 10 grep -q 'to=<bob@xyz.com> status=sent' "$(log_of abc)"
}

@test "SIGUSR1 retries every queued message, not only relay_workers of them" {
	daemon_conf abc "retry_delay 1h 2h" "relay_workers 2"
	daemon_start abc # xyz is down
	for i in $(seq 1 10); do
		alice_queues "usr1 $i" bob@xyz.com
	done
	# the first attempt finds xyz down: the others wait for it, untried
	wait_for 20 at_least abc 1 'to=<bob@xyz.com> status=deferred'
	wait_for 20 at_least abc 1 ": destination \[127.0.0.1\]:$xyz_SMTP: dead for 3600s"
	[ "$(queue_count abc)" = 10 ]
	daemon_start xyz
	kill -USR1 "$abc_PID"
	wait_for 20 has 10 xyz xyz.com bob
	wait_for 10 queue_empty abc
}

@test "more messages due than workers: the relay child waits, it does not spin" {
	FAKE_PORT=$(free_port)
	daemon_conf abc "route fake.example 127.0.0.1:$FAKE_PORT" \
		"relay_workers 1" "relay_helo_timeout 20"
	# a peer that never answers: the one worker waits on it
	fake_start "<silent>"
	daemon_start abc
	for i in 1 2 3 4 5; do
		alice_queues "slow $i" bob@fake.example
	done
	relay=$(relay_pid abc)
	[ -n "$relay" ]
	# its one worker is connected to the silent peer
	wait_for 10 eval '[ "$(pgrep -c -P "$relay")" -ge 1 ]'
	t0=$(cpu_ticks "$relay") r0=$(read_calls "$relay")
	sleep 3
	t1=$(cpu_ticks "$relay") r1=$(read_calls "$relay")
	echo "relay child $relay: $((t1 - t0)) ticks of CPU, $((r1 - r0)) reads in 3 s"
	# the old code rescanned the queue without pause: a CPU's worth of
	# time when it gets one, thousands of envelope reads a second always
	[ $((t1 - t0)) -lt $((3 * $(getconf CLK_TCK) / 2)) ]
	[ $((r1 - r0)) -lt 100 ]
	[ "$(queue_count abc)" = 5 ]
}

@test "verification cache entries expire: queue/verify/ is swept" {
	daemon_conf abc "verify_recipients yes" "verify_cache 2s"
	daemon_start xyz
	# an entry from long ago, planted before the start
	mkdir -p "$abc_ROOT/queue/verify"
	echo "250 old@xyz.com" >"$abc_ROOT/queue/verify/00000000000000aa"
	touch -d '2 days ago' "$abc_ROOT/queue/verify/00000000000000aa"
	daemon_start abc
	# swept when the relay child starts
	wait_for 10 eval '[ ! -e "$abc_ROOT/queue/verify/00000000000000aa" ]'
	run chat "$abc_SUBMIT" "EHLO client.abc.com" "$ALICE_AUTH" \
		"MAIL FROM:<alice@abc.com>" "RCPT TO:<bob@xyz.com>" "QUIT"
	echo "$output"
	grep -q ': verify to=<bob@xyz.com> code=250 ' "$(log_of abc)"
	# the new entry was written, and is gone once it is older than 2 s
	[ -n "$(ls -A "$abc_ROOT/queue/verify")" ] || at_least abc 2 'verify cache: 1 expired'
	wait_for 10 eval '[ -z "$(ls -A "$abc_ROOT/queue/verify")" ]'
	wait_for 5 at_least abc 2 'verify cache: 1 expired entry removed'
}

@test "an envelope in the older format (single blanks) is still read, delivered and recorded" {
	daemon_start xyz
	mkdir -p "$abc_ROOT/queue/env" "$abc_ROOT/queue/data" "$abc_ROOT/queue/tmp"
	now=$(date +%s)
	printf 'Subject: old format\n\nbody\n' >"$abc_ROOT/queue/data/0A0B0C0D"
	printf '%s\n' "id 0A0B0C0D" "created $now" "next $now" "attempts 3" \
		"sender alice@abc.com" "rcpt pending bob@xyz.com" \
		"error 127.0.0.1:1: earlier" "rcpt done carol@xyz.com" \
		"rcpt pending nobody@xyz.com" >"$abc_ROOT/queue/env/0A0B0C0D"
	daemon_write_conf abc # for -q before the start
	run "$SMTPD_BIN" -q -f "$abc_ROOT/etc/smtpd.conf"
	echo "$output"
	[ "${lines[1]}" = "    to <bob@xyz.com>  pending  last error: 127.0.0.1:1: earlier" ]
	[ "${lines[2]}" = "    to <carol@xyz.com>  done" ]
	daemon_start abc
	# bob gets it, carol (done before) does not, nobody is bounced
	wait_for 10 has 1 xyz xyz.com bob
	wait_for 10 has 1 abc abc.com alice
	wait_for 10 queue_empty abc
	has 0 xyz xyz.com carol
	grep -q '<nobody@xyz.com>: 127.0.0.1:[0-9]* said: 550 5.1.1' "$(maildir_files abc.com alice abc)"
}
