#!/usr/bin/env bats
# relay_dest.bats - the relay's queue manager (issue 12): deliveries
# grouped by destination (a static route's host:port, each domain of
# `route D mx`), at most relay_dest_concurrency connections to one, its
# due messages sent over one connection with RSET in between, and a dead
# destination (no host connected, or a 4xx greeting) waiting without a
# worker until its backoff ends or `smtpd -q flush`, except that its
# messages still bounce at queue_lifetime and warn at delay_warning on
# time, without a connection.
#
# abc.com (t/relay_helpers.bash) relays; xyz.com is a second smtpd on
# $xyz_SMTP (the route relay_setup gives).  peer.py below is a threaded
# SMTP peer that notes every connection, the most open at once, each
# command and each message it takes.  The backoffs are long (60 s or
# more), so anything that happens within the waits here happened because
# of the feature, not a retry timer; the expiry tests' dead time doubles
# from 2 s, so a probe a time would take a minute or more for them.

bats_require_minimum_version 1.5.0

load helpers
load relay_helpers

setup() {
	relay_setup
	LOG=$(log_of abc)
	PEER_PIDS=()
	write_peer
}

teardown() {
	# the peers first: a worker waiting on one ends with its connection
	local p
	for p in "${PEER_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	test_teardown
}

# peer.py PORT DIR MODE DELAY_MS: listens on 127.0.0.1:PORT, creates
# DIR/ready, and for each connection appends its number to DIR/conns.
# MODE ok: greets 220, answers each command DELAY_MS later (EHLO/HELO,
# MAIL, RCPT, RSET, NOOP 250; DATA 354, the message, 250; QUIT 221),
# noting "CONN COMMAND" in DIR/cmds and "CONN SUBJECT" in DIR/msgs per
# message taken.  MODE 421: greets "421 4.3.2" and closes.  MODE silent:
# takes the connection and never sends a byte.
# DIR/max is the most connections open at once: at each new one, those
# whose client has already sent QUIT or closed (it is in their receive
# buffer, read under the same lock as the count) no longer count, so a
# worker that ended just before the next one connected is not counted
# with it, however late this process reads.  Exits after 150 s.
write_peer() {
	cat >"$TEST_ROOT/peer.py" <<'PY'
import os, select, socket, sys, threading, time

port, d, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
delay = float(sys.argv[4]) / 1000
lock = threading.Lock()
active = {}
state = {"n": 0, "max": 0}
held = []

def note(name, line):
    with open(os.path.join(d, name), "a") as f:
        f.write(line + "\n")

def finishing(s):
    try:
        data = s.recv(65536, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return False
    except OSError:
        return True
    return data == b"" or b"QUIT\r\n" in data.upper()

def send(conn, text):
    try:
        conn.sendall(text.encode() + b"\r\n")
    except OSError:
        pass

def serve(conn, cid):
    if mode == "421":
        send(conn, "421 4.3.2 dest.example busy, try later")
        with lock:
            active.pop(cid, None)
        conn.close()
        return
    send(conn, "220 dest.example ESMTP")
    buf, indata, subject = b"", False, ""
    while True:
        select.select([conn], [], [])
        with lock:
            try:
                data = conn.recv(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            buf += data
            *lines, buf = buf.split(b"\r\n")
            if not data or any(l.upper() == b"QUIT" for l in lines):
                active.pop(cid, None)
        for l in lines:
            if indata:
                if l == b".":
                    indata = False
                    note("msgs", "%d %s" % (cid, subject))
                    time.sleep(delay)
                    send(conn, "250 2.0.0 ok: queued")
                elif l.lower().startswith(b"subject:") and not subject:
                    subject = l[8:].decode("latin-1").strip()
                continue
            cmd = l.decode("latin-1")
            note("cmds", "%d %s" % (cid, cmd))
            verb = cmd.split(" ")[0].upper()
            time.sleep(delay)
            if verb == "QUIT":
                send(conn, "221 bye")
                conn.close()
                return
            if verb == "DATA":
                indata, subject = True, ""
                send(conn, "354 go ahead")
            elif verb in ("EHLO", "HELO"):
                send(conn, "250 dest.example")
            else:
                send(conn, "250 ok")
        if not data:
            conn.close()
            return

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(64)
open(os.path.join(d, "ready"), "w").close()
srv.settimeout(1)
end = time.time() + 150
while time.time() < end:
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        continue
    with lock:
        state["n"] += 1
        cid = state["n"]
        for k in [k for k, s in active.items() if finishing(s)]:
            del active[k]
        active[cid] = conn
        state["max"] = max(state["max"], len(active))
        note("conns", str(cid))
        with open(os.path.join(d, "max.tmp"), "w") as f:
            f.write("%d\n" % state["max"])
        os.rename(os.path.join(d, "max.tmp"), os.path.join(d, "max"))
    if mode == "silent":
        held.append(conn)
        continue
    threading.Thread(target=serve, args=(conn, cid), daemon=True).start()
PY
}

# peer_start NAME PORT MODE [DELAY_MS]: peer.py, its files in $TEST_ROOT/NAME
peer_start() {
	local dir=$TEST_ROOT/$1
	mkdir -p "$dir"
	python3 "$TEST_ROOT/peer.py" "$2" "$dir" "$3" "${4:-0}" \
		</dev/null >/dev/null 2>&1 3>&- &
	PEER_PIDS+=($!)
	wait_for 10 test -e "$dir/ready"
}
# peer_conns NAME / peer_max NAME / peer_msgs NAME
peer_conns() { grep -c . "$TEST_ROOT/$1/conns" 2>/dev/null || echo 0; }
peer_max() { cat "$TEST_ROOT/$1/max" 2>/dev/null || echo 0; }
peer_msgs() { grep -c . "$TEST_ROOT/$1/msgs" 2>/dev/null || echo 0; }
# for wait_for, which runs its command again and again
conns_are() { [ "$(peer_conns "$2")" = "$1" ]; }
msgs_reach() { [ "$(peer_msgs "$2")" -ge "$1" ]; }
queue_holds() { [ "$(queue_count abc)" = "$1" ]; }

# queue_offline N PREFIX RCPT: N messages from alice to RCPT, Subjects
# PREFIX-1 .. PREFIX-N, queued by `smtpd -i submission` (one session)
# before abc's master runs, so its relay child finds them all due at once
queue_offline() {
	local n=$1 prefix=$2 rcpt=$3 i cmds
	daemon_write_conf abc
	cmds=("EHLO client.abc.com" "$ALICE_AUTH")
	for i in $(seq 1 "$n"); do
		cmds+=("MAIL FROM:<alice@abc.com>" "RCPT TO:<$rcpt>" DATA
			"From: alice@abc.com" "Subject: $prefix-$i" "" "message $i" ".")
	done
	cmds+=(QUIT)
	run bash -c 'printf "%s\r\n" "${@:3}" | "$1" -f "$2" -i submission | tr -d "\r"' \
		_ "$SMTPD_BIN" "$abc_ROOT/etc/smtpd.conf" "${cmds[@]}" \
		2>>"$abc_ROOT/inetd.log"
	echo "$output"
	[ "$status" = 0 ]
	[ "$(grep -c '^250 Message received and to be delivered' <<<"$output")" = "$n" ]
	[ "$(queue_count abc)" = "$n" ]
}

# q ARGS: smtpd -q on abc's queue
q() { "$SMTPD_BIN" -f "$abc_ROOT/etc/smtpd.conf" -q "$@"; }

# workers: how many relay workers abc's relay child has now
workers() {
	local r
	r=$(relay_pid abc) || return 1
	pgrep -P "$r" | grep -c . || true
}
no_workers() { [ "$(workers)" = 0 ]; }

# dead_lines NAME: abc's "destination NAME: dead for Ns (...)" lines
dead_lines() {
	grep -F ": destination $1: dead for " "$LOG" |
		grep -E ": dead for [0-9]+s \(.+\)$" || true
}

@test "smtpd -n: relay_dest_concurrency and relay_reuse_count take counts in their ranges" {
	daemon_write_conf abc
	CONF=$abc_ROOT/etc/smtpd.conf
	printf '%s\n' "relay_dest_concurrency 1" "relay_reuse_count 1000" >>"$CONF"
	run "$SMTPD_BIN" -n -f "$CONF"
	echo "$output"
	[ "$status" = 0 ]
	n=$(wc -l <"$CONF")
	printf '%s\n' "relay_dest_concurrency 0" "relay_reuse_count 1001" \
		"relay_reuse_count many" >>"$CONF"
	run "$SMTPD_BIN" -n -f "$CONF"
	echo "$output"
	[ "$status" = 78 ]
	out=$(sed 's/^smtpd\[[0-9]*\]: //' <<<"$output")
	grep -qxF -- "$CONF:$((n + 1)): relay_dest_concurrency: bad value '0' (from 1 to 100000)" <<<"$out"
	grep -qxF -- "$CONF:$((n + 2)): relay_reuse_count: bad value '1001' (from 1 to 1000)" <<<"$out"
	grep -qxF -- "$CONF:$((n + 3)): relay_reuse_count: bad value 'many' (from 1 to 1000)" <<<"$out"
}

@test "a destination that never greets does not delay a healthy one" {
	SLOW_PORT=$(free_port)
	peer_start slow "$SLOW_PORT" silent
	# two workers; one connection at most to slow.example, whose greeting
	# would be waited for 300 s
	daemon_conf abc "route slow.example 127.0.0.1:$SLOW_PORT" \
		"relay_workers 2" "relay_dest_concurrency 1" \
		"relay_helo_timeout 300" "retry_delay 1h 2h"
	daemon_start xyz
	daemon_start abc
	alice_sends "slow one" carol@slow.example
	[[ "$output" == *"250 Message received and to be delivered"* ]]
	# its worker waits on the greeting now
	wait_for 10 conns_are 1 slow
	alice_sends "slow two" dave@slow.example
	[[ "$output" == *"250 Message received and to be delivered"* ]]
	alice_sends "healthy" bob@xyz.com
	[[ "$output" == *"250 Message received and to be delivered"* ]]
	# delivered by the second worker, long before relay_helo_timeout
	wait_for 30 has 1 xyz xyz.com bob
	grep -qx 'Subject: healthy' "$(maildir_files xyz.com bob xyz)"
	wait_for 10 queue_holds 2
	# the second message for slow.example waits for the one connection
	# there, it opens no second one
	sleep 1
	[ "$(peer_conns slow)" = 1 ]
	run ! grep -q 'status=sent' <(grep -F '@slow.example>' "$LOG")
}

@test "50 messages for one destination with relay_dest_concurrency 2 share connections" {
	PORT=$(free_port)
	daemon_conf abc "route dest.example 127.0.0.1:$PORT" \
		"relay_dest_concurrency 2" "retry_delay 1h 2h"
	queue_offline 50 dest carol@dest.example
	# nothing listens yet: tried, deferred, the destination dead
	daemon_start abc
	wait_for 20 grep -qF ": destination [127.0.0.1]:$PORT: dead for " "$LOG"
	wait_for 10 no_workers
	[ "$(queue_count abc)" = 50 ]
	# a peer that takes 20 ms for each reply; the flush lifts the mark
	peer_start dest "$PORT" ok 20
	run q flush
	echo "$output"
	[ "$status" = 0 ]
	wait_for 60 msgs_reach 50 dest
	wait_for 20 queue_empty abc
	sleep 1
	echo "connections $(peer_conns dest), at most $(peer_max dest) at once"
	# never more than 2 connections at once; far fewer than one a message
	# two jobs of 25 at once: the limit is used, and never passed
	[ "$(peer_max dest)" = 2 ]
	[ "$(peer_conns dest)" -le 10 ]
	# every message exactly once
	[ "$(peer_msgs dest)" = 50 ]
	diff <(cut -d' ' -f2- "$TEST_ROOT/dest/msgs" | sort) \
		<(seq 1 50 | sed 's/^/dest-/' | sort)
	# a connection carried more than one, with RSET before each MAIL
	# after its first
	[ "$(cut -d' ' -f1 "$TEST_ROOT/dest/msgs" | sort | uniq -c |
		awk '$1 > 1' | grep -c .)" -ge 1 ]
	awk '{ v = toupper($2) }
	     v == "MAIL" { if (mails[$1]++ && !rset[$1]) { print "no RSET before: " $0; bad = 1 }
	                   rset[$1] = 0 }
	     v == "RSET" { rset[$1] = 1 }
	     END { exit bad }' "$TEST_ROOT/dest/cmds"
	# each sent once by abc too
	[ "$(grep -c 'to=<carol@dest.example> status=sent' "$LOG")" = 50 ]
}

# fsyncs_of FILE DIR: fsync calls on queue/DIR in strace -y output FILE
fsyncs_of() { grep -c "^[0-9]* *fsync([0-9]*<[^>]*/queue/$2>)" "$1" || true; }

@test "a job's delivered messages are removed together: one fsync of env/ and one of data/" {
	command -v strace >/dev/null || skip "needs strace"
	PORT=$(free_port)
	daemon_conf abc "route dest.example 127.0.0.1:$PORT" \
		"relay_dest_concurrency 1" "retry_delay 1h 2h"
	queue_offline 10 batch carol@dest.example
	daemon_start abc
	wait_for 20 grep -qF ": destination [127.0.0.1]:$PORT: dead for " "$LOG"
	wait_for 10 no_workers
	[ "$(queue_count abc)" = 10 ]
	peer_start dest "$PORT" ok 0
	# the relay child and the worker it forks, each fsync with its path
	r=$(relay_pid abc)
	strace -f -qq -y -e trace=fsync -o "$TEST_ROOT/fsync.trace" -p "$r" &
	TRACER=$!
	wait_for 10 eval '[ "$(awk '"'"'$1 == "TracerPid:" {print $2}'"'"' /proc/'"$r"'/status)" != 0 ]'
	run q flush
	[ "$status" = 0 ]
	wait_for 30 msgs_reach 10 dest
	wait_for 20 queue_empty abc
	wait_for 10 no_workers
	kill "$TRACER"
	wait "$TRACER" 2>/dev/null || true
	# a job or two (the first after a dead time may be a probe of
	# one), each over one connection; each message sent once
	jobs=$(peer_conns dest)
	[ "$jobs" -ge 1 ] && [ "$jobs" -le 3 ]
	[ "$(peer_msgs dest)" = 10 ]
	[ "$(grep -c 'to=<carol@dest.example> status=sent' "$LOG")" = 10 ]
	[ "$(grep -c ': removed$' "$LOG")" = 10 ]
	# one fsync of each directory a job; the old code fsync'd env/
	# twice and data/ once for each message (20 and 10)
	cat "$TEST_ROOT/fsync.trace" >&2
	[ "$(fsyncs_of "$TEST_ROOT/fsync.trace" env)" = "$jobs" ]
	[ "$(fsyncs_of "$TEST_ROOT/fsync.trace" data)" = "$jobs" ]
	# each marked done durably (fdatasync is not fsync: not counted
	# here) and rewritten (a file in tmp/, fsync'd) before the next
	[ "$(grep -c '^[0-9]* *fsync([0-9]*<[^>]*/queue/tmp/' "$TEST_ROOT/fsync.trace")" = 10 ]
	# the last job's: removed together after its last was sent
	w=$(grep ': removed$' "$LOG" | tail -n 1 | cut -d' ' -f1)
	[ "$(grep -F "$w " "$LOG" | grep -c 'status=sent')" -ge 2 ]
	last_sent=$(grep -nF "$w " "$LOG" | grep 'status=sent' | tail -n 1 | cut -d: -f1)
	first_removed=$(grep -nF "$w " "$LOG" | grep ': removed$' | head -n 1 | cut -d: -f1)
	[ "$first_removed" -gt "$last_sent" ]
}

@test "a dead destination waits without a worker" {
	# xyz (the route's 127.0.0.1:$xyz_SMTP) is not started: nothing
	# listens there.  One worker: the 3 messages, all due at once, are one
	# batch.
	daemon_conf abc "relay_workers 1" "retry_delay 60 600"
	queue_offline 3 dead bob@xyz.com
	daemon_start abc
	DEST="[127.0.0.1]:$xyz_SMTP"
	wait_for 20 grep -qF ": destination $DEST: dead for " "$LOG"
	wait_for 10 no_workers
	# no second pass, and no worker, while the backoff (60 s) runs
	sleep 2
	no_workers
	dead_lines "$DEST"
	[ "$(dead_lines "$DEST" | grep -c .)" = 1 ]
	[ "$(grep -cF ": destination $DEST: dead for " "$LOG")" = 1 ]
	dead_lines "$DEST" | grep -q ': dead for 60s (.*[Rr]efused'
	# the connection attempts were one batch's: logged by one process,
	# each message at most once
	attempts=$(grep 'status=deferred' "$LOG" | grep 'Connection refused' || true)
	echo "$attempts"
	[ "$(grep -c . <<<"$attempts")" -ge 1 ]
	[ "$(sed -E 's/^smtpd\[([0-9]+)\].*/\1/' <<<"$attempts" | sort -u | grep -c .)" = 1 ]
	[ -z "$(sed -E 's/^[^ ]+ ([0-9A-F]+): .*/\1/' <<<"$attempts" | sort | uniq -d)" ]
	[ "$(queue_count abc)" = 3 ]
	# the peer comes up: still nothing before the backoff ends...
	daemon_start xyz
	sleep 2
	has 0 xyz xyz.com bob
	[ "$(queue_count abc)" = 3 ]
	# ...or a flush
	run q flush
	echo "$output"
	[ "$status" = 0 ]
	wait_for 30 has 3 xyz xyz.com bob
	wait_for 15 queue_empty abc
	wait_for 10 grep -qF ": destination $DEST: alive again" "$LOG"
	[ "$(grep -cF ": destination $DEST: alive again" "$LOG")" = 1 ]
	for i in 1 2 3; do
		grep -lx "Subject: dead-$i" $(maildir_files xyz.com bob xyz) | grep -c . | grep -qx 1
	done
}

@test "a message for a dead and a healthy destination is delivered to the healthy one and waits for the other" {
	DEAD_PORT=$(free_port)
	# greets every connection with 421: dead after one
	peer_start dead "$DEAD_PORT" 421
	daemon_conf abc "route dead.example 127.0.0.1:$DEAD_PORT" "retry_delay 60 600"
	daemon_start xyz
	daemon_start abc
	DEST="[127.0.0.1]:$DEAD_PORT"
	alice_sends "first" carol@dead.example
	[[ "$output" == *"250 Message received and to be delivered"* ]]
	wait_for 20 grep -qF ": destination $DEST: dead for " "$LOG"
	dead_lines "$DEST" | grep -q ': dead for 60s ('
	[ "$(peer_conns dead)" = 1 ]
	wait_for 10 no_workers
	alice_sends "both" carol@dead.example bob@xyz.com
	[[ "$output" == *"250 Message received and to be delivered"* ]]
	QID=$(grep -l 'bob@xyz.com' "$abc_ROOT"/queue/env/* | xargs -n1 basename)
	[ -n "$QID" ]
	# xyz gets it at once, not after the dead destination's 60 s
	wait_for 30 has 1 xyz xyz.com bob
	grep -qx 'Subject: both' "$(maildir_files xyz.com bob xyz)"
	grep -Eq "$QID: to=<bob@xyz.com> status=sent " "$LOG"
	# the message stays queued for carol, pending, bob done
	wait_for 10 no_workers
	[ -e "$abc_ROOT/queue/env/$QID" ]
	grep -Eq "^rcpt +pending +carol@dead.example$" "$abc_ROOT/queue/env/$QID"
	grep -Eq "^rcpt +done +bob@xyz.com$" "$abc_ROOT/queue/env/$QID"
	[ "$(queue_count abc)" = 2 ]
	# and the dead destination was not tried again for it
	sleep 1
	[ "$(peer_conns dead)" = 1 ]
	[ "$(dead_lines "$DEST" | grep -c .)" = 1 ]
	run ! grep -q "$QID: to=<carol@dead.example> status=sent" "$LOG"
	has 1 xyz xyz.com bob
}

# alice_notices KIND SUBJECTS_PREFIX N: alice@abc.com holds N notices
# (dsnparse.py): each a multipart/report about one message from her,
# every recipient's Action KIND (failed: Status 5.4.7, queue_lifetime),
# quoting the Subjects PREFIX-1 .. PREFIX-N once each
alice_notices() {
	local kind=$1 prefix=$2 n=$3 f out subjects=""
	[ "$(maildir_count abc.com alice abc)" = "$n" ]
	for f in $(maildir_files abc.com alice abc); do
		out=$(python3 "$BATS_TEST_DIRNAME/dsnparse.py" "$f")
		grep -qx 'msg.type=multipart/report' <<<"$out"
		grep -qx 'msg.report-type=delivery-status' <<<"$out"
		grep -qx "rcpt1.Action=$kind" <<<"$out"
		[ "$kind" != failed ] || grep -qx 'rcpt1.Status=5.4.7' <<<"$out"
		run ! grep -q '^rcpt2\.' <<<"$out"
		subjects+=$(sed -n 's/^quoted=Subject: //p' <<<"$out")$'\n'
	done
	diff <(grep . <<<"$subjects" | sort) <(seq 1 "$n" | sed "s/^/$prefix-/" | sort)
}

@test "messages for a dead destination all bounce at queue_lifetime, not one a probe" {
	# nothing listens on PORT: every connection is refused
	PORT=$(free_port)
	DEST="[127.0.0.1]:$PORT"
	daemon_conf abc "route dead.example 127.0.0.1:$PORT" \
		"retry_delay 2s 600s" "queue_lifetime 3s"
	queue_offline 5 expire carol@dead.example
	start=$(date +%s)
	daemon_start abc
	# tried once at start, then dead 2 s, 4 s, 8 s, 16 s...: one message
	# a probe would reach its expiry only after a minute, so the others
	# must not need one.  wait_for counts its rounds, not the clock: the
	# clock is read too.
	wait_for 25 has 5 abc abc.com alice
	echo "bounced after $(($(date +%s) - start)) s"
	[ $(($(date +%s) - start)) -le 20 ]
	alice_notices failed expire 5
	wait_for 10 queue_empty abc
	grep "to=<carol@dead.example> status=" "$LOG"
	[ "$(grep -c 'to=<carol@dead.example> status=bounced .*delivery time expired (queue_lifetime)' "$LOG")" = 5 ]
	# each within seconds of its queue_lifetime (the log's delay=)
	grep 'to=<carol@dead.example> status=bounced ' "$LOG" |
		sed -E 's/.* delay=([0-9]+)\..*/\1/' | awk '$1 >= 20 { bad = 1 } END { exit bad }'
	# the expiries connected nowhere: nothing said it alive again
	run ! grep -qF ": destination $DEST: alive again" "$LOG"
	dead_lines "$DEST" | grep -q ': dead for 2s (.*[Rr]efused'
}

@test "messages for a dead destination warn their senders at delay_warning, not one a probe" {
	PORT=$(free_port)
	DEST="[127.0.0.1]:$PORT"
	daemon_conf abc "route dead.example 127.0.0.1:$PORT" \
		"retry_delay 2s 600s" "delay_warning 2s"
	queue_offline 4 warn carol@dead.example
	start=$(date +%s)
	daemon_start abc
	# dead 2 s, 4 s, 8 s, 16 s: a probe a time would warn the last
	# sender half a minute after the start
	wait_for 15 has 4 abc abc.com alice
	echo "warned after $(($(date +%s) - start)) s"
	[ $(($(date +%s) - start)) -le 15 ]
	alice_notices delayed warn 4
	# still queued, each warned once and recorded so
	[ "$(queue_count abc)" = 4 ]
	for f in "$abc_ROOT"/queue/env/*; do
		grep -qx 'warned 1' "$f"
	done
	[ "$(grep -c ': sender delay notification: ' "$LOG")" = 4 ]
	run ! grep -qF ": destination $DEST: alive again" "$LOG"
	# and not a second time
	sleep 3
	has 4 abc abc.com alice
}

@test "a message already tried, its next retry far off, still bounces at queue_lifetime" {
	PORT=$(free_port)
	DEST="[127.0.0.1]:$PORT"
	daemon_conf abc "route dead.example 127.0.0.1:$PORT" \
		"retry_delay 600s 600s" "queue_lifetime 4s"
	daemon_start abc
	alice_sends "tried once" carol@dead.example
	[[ $output == *"250 Message received"* ]]
	# the first attempt is refused: its retry is 600 s away, the
	# destination dead as long
	wait_for 10 grep -q "to=<carol@dead.example> status=deferred" "$LOG"
	start=$(date +%s)
	wait_for 25 has 1 abc abc.com alice
	echo "bounced $(($(date +%s) - start)) s after the first attempt"
	[ $(($(date +%s) - start)) -le 15 ]
	out=$(python3 "$BATS_TEST_DIRNAME/dsnparse.py" "$(maildir_files abc.com alice abc)")
	grep -qx 'rcpt1.Action=failed' <<<"$out"
	grep -qx 'quoted=Subject: tried once' <<<"$out"
	grep -q 'to=<carol@dead.example> status=bounced .*delivery time expired (queue_lifetime)' "$LOG"
	wait_for 10 queue_empty abc
}
