#!/usr/bin/env bats
# relay_timeouts.bats - a timeout per step of a relay delivery, the
# RCPT-time probe's verify_timeout, and a result recorded before QUIT
# (issue 12, first part; smtpd.conf(5) relay_*_timeout, smtpd(8) on the
# window for a duplicate).
#
# abc.com (t/relay_helpers.bash) routes fake.example to a peer on
# $FAKE_PORT: t/fake_smtp.py (sequential, scripted: "<silent>" never
# answers), or peer.py below (threaded: takes every message, then never
# answers QUIT).  `timeout` is 300 everywhere, so a step that ends in
# about 2 s ended on its own relay_*_timeout, not on `timeout`.

bats_require_minimum_version 1.5.0

load helpers
load relay_helpers

setup() {
	relay_setup
	FAKE_PORT=$(free_port)
	daemon_conf abc "route fake.example 127.0.0.1:$FAKE_PORT" "timeout 300"
	LOG=$(log_of abc)
	PEER_PID= FILL_PID=
}

teardown() {
	# the peers first: a worker waiting on one ends with its connection
	fake_stop
	local p
	for p in "$PEER_PID" "$FILL_PID"; do
		if [ -n "$p" ]; then
			kill "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
	test_teardown
}

# queue_for RCPT: alice sends a message to RCPT, abc queues it; its id in QID
queue_for() {
	alice_sends "timeouts" "$1"
	[[ "$output" == *"250 Message received and to be delivered"* ]]
	# from the log: a relay worker may have sent and removed it already
	QID=$(grep -E ": to=<$1> status=queued" "$LOG" | tail -n 1 |
		sed -E 's/^smtpd\[[0-9]+\]: ([0-9A-F]+): .*/\1/')
	[ -n "$QID" ]
	T0=$(date +%s.%N)
}

# since_queued: seconds since queue_for, rounded down
since_queued() { python3 -c "import sys,time; print(int(time.time()-float(sys.argv[1])))" "$T0"; }

# deferred_with TEXT: the attempt ended deferred, its error naming TEXT,
# and the message is still queued
deferred_with() {
	wait_for 15 grep -q "$QID: to=<carol@fake.example> status=deferred" "$LOG"
	grep "$QID: to=<carol@fake.example> status=deferred" "$LOG" | head -n 1 |
		grep -F -- "$1"
	[ -e "$abc_ROOT/queue/env/$QID" ]
}

# peer.py: every connection is greeted and every message taken ("250"
# to the final dot, one line per copy in $TEST_ROOT/copies), then QUIT
# gets no answer: the connection stays open until the client closes it
peer_start() {
	cat >"$TEST_ROOT/peer.py" <<'PY'
import socket, sys, threading, time
port, copies, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]

def serve(conn):
    f = conn.makefile("rb")
    conn.sendall(b"220 peer.example ESMTP\r\n")
    while (line := f.readline()):
        cmd = line.decode("latin-1").strip().upper()
        if cmd.startswith("QUIT"):
            while f.readline():
                pass
            break
        if cmd == "DATA":
            conn.sendall(b"354 go ahead\r\n")
            while (l := f.readline()) not in (b".\r\n", b""):
                pass
            with open(copies, "a") as c:
                c.write("copy\n")
            conn.sendall(b"250 2.0.0 ok: queued\r\n")
        else:
            conn.sendall(b"250 ok\r\n")
    conn.close()

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(5)
open(ready, "w").close()
srv.settimeout(1)
end = time.time() + 120
while time.time() < end:
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        continue
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
PY
	python3 "$TEST_ROOT/peer.py" "$FAKE_PORT" "$TEST_ROOT/copies" \
		"$TEST_ROOT/peer.ready" </dev/null >/dev/null 2>&1 3>&- &
	PEER_PID=$!
	wait_for 5 test -e "$TEST_ROOT/peer.ready"
}
copies() { grep -c copy "$TEST_ROOT/copies" 2>/dev/null || echo 0; }

# the relay worker of abc's relay child (the one child it has now)
worker_pid() {
	local r
	r=$(relay_pid abc) || return 1
	pgrep -P "$r" | head -n 1
}

@test "smtpd -n: the relay timeouts and verify_timeout take durations in their ranges" {
	daemon_write_conf abc
	CONF=$abc_ROOT/etc/smtpd.conf
	printf '%s\n' "relay_connect_timeout 1" "relay_helo_timeout 1d" \
		"relay_mail_timeout 5m" "relay_data_timeout 120s" \
		"relay_data_block_timeout 3m" "relay_data_done_timeout 10m" \
		"verify_timeout 5m" >>"$CONF"
	run "$SMTPD_BIN" -n -f "$CONF"
	echo "$output"
	[ "$status" = 0 ]
	n=$(wc -l <"$CONF")
	printf '%s\n' "relay_connect_timeout 0" "relay_helo_timeout 2d" \
		"relay_mail_timeout soon" "relay_data_timeout -1" \
		"relay_data_block_timeout 86401" "relay_data_done_timeout 0s" \
		"verify_timeout 301" >>"$CONF"
	run "$SMTPD_BIN" -n -f "$CONF"
	echo "$output"
	[ "$status" = 78 ]
	out=$(sed 's/^smtpd\[[0-9]*\]: //' <<<"$output")
	for want in \
		"$((n + 1)): relay_connect_timeout: bad value '0' (from 1 to 86400)" \
		"$((n + 2)): relay_helo_timeout: bad value '2d' (from 1 to 86400)" \
		"$((n + 3)): relay_mail_timeout: bad value 'soon' (from 1 to 86400)" \
		"$((n + 4)): relay_data_timeout: bad value '-1' (from 1 to 86400)" \
		"$((n + 5)): relay_data_block_timeout: bad value '86401' (from 1 to 86400)" \
		"$((n + 6)): relay_data_done_timeout: bad value '0s' (from 1 to 86400)" \
		"$((n + 7)): verify_timeout: bad value '301' (from 1 to 300)"; do
		grep -qxF -- "$CONF:$want" <<<"$out"
	done
}

@test "a peer that never greets: the attempt ends on relay_helo_timeout, deferred" {
	fake_start "<silent>"
	daemon_conf abc "relay_helo_timeout 2s"
	daemon_start abc
	queue_for carol@fake.example
	deferred_with "timeout waiting for reply (relay_helo_timeout 2s)"
	# about 2 s, not `timeout` (300): generous for a slow machine
	[ "$(since_queued)" -lt 30 ]
}

@test "a peer that never answers DATA: the attempt ends on relay_data_timeout" {
	fake_start "220 fake.example ESMTP" "250 fake.example" "250 ok" "250 ok" \
		"<silent>"
	daemon_conf abc "relay_data_timeout 2s"
	daemon_start abc
	queue_for carol@fake.example
	deferred_with "timeout waiting for reply (relay_data_timeout 2s)"
	[ "$(since_queued)" -lt 30 ]
	grep -qx DATA "$FAKE_LOG"
}

@test "a peer that takes the message but never answers the final dot: relay_data_done_timeout" {
	# EHLO MAIL RCPT DATA: 354, the body read; then no reply to "."
	export FAKE_DATA=$TEST_ROOT/fake.data
	fake_start "220 fake.example ESMTP" "250 fake.example" "250 ok" "250 ok" \
		"354 go ahead" "<silent>"
	daemon_conf abc "relay_data_done_timeout 2s"
	daemon_start abc
	queue_for carol@fake.example
	deferred_with "timeout waiting for reply (relay_data_done_timeout 2s)"
	[ "$(since_queued)" -lt 30 ]
	grep -q "Hello from abc." "$FAKE_DATA"
}

@test "a peer that stops reading the message: relay_data_block_timeout" {
	# a peer that answers 354 and then reads nothing more, with a small
	# receive buffer; the message is bigger than both sockets' buffers
	python3 - "$FAKE_PORT" "$TEST_ROOT/stop.ready" <<-'PY' >/dev/null 2>&1 3>&- &
	import socket, sys, time
	srv = socket.socket()
	srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
	srv.bind(("127.0.0.1", int(sys.argv[1])))
	srv.listen(5)
	open(sys.argv[2], "w").close()
	conn, _ = srv.accept()
	f = conn.makefile("rb")
	conn.sendall(b"220 stop.example ESMTP\r\n")
	while (line := f.readline()):
	    if line.strip().upper() == b"DATA":
	        conn.sendall(b"354 go ahead\r\n")
	        time.sleep(90)
	        break
	    conn.sendall(b"250 ok\r\n")
	PY
	FILL_PID=$!
	wait_for 10 test -e "$TEST_ROOT/stop.ready"
	daemon_conf abc "relay_data_block_timeout 2s"
	daemon_start abc
	# 8 MiB, more than loopback's socket buffers hold (tcp_wmem's 4 MiB)
	python3 - "$abc_SUBMIT" "$ALICE_AUTH" <<-'PY'
	import socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
	f = s.makefile("rb")
	def cmd(c, want):
	    if c is not None:
	        s.sendall(c)
	    while True:
	        l = f.readline()
	        if l[3:4] != b"-":
	            break
	    assert l.startswith(want), (c, l)
	cmd(None, b"220")
	cmd(b"EHLO client.abc.com\r\n", b"250")
	cmd(sys.argv[2].encode() + b"\r\n", b"235")
	cmd(b"MAIL FROM:<alice@abc.com>\r\n", b"250")
	cmd(b"RCPT TO:<carol@fake.example>\r\n", b"250")
	cmd(b"DATA\r\n", b"354")
	s.sendall(b"Subject: big\r\n\r\n" + (b"x" * 78 + b"\r\n") * 104858)
	cmd(b".\r\n", b"250")
	cmd(b"QUIT\r\n", b"221")
	PY
	QID=$(queued abc | head -n 1)
	[ -n "$QID" ]
	T0=$(date +%s.%N)
	deferred_with "write: connection lost or timed out (relay_data_block_timeout 2s)"
	[ "$(since_queued)" -lt 30 ]
}

@test "a connect that is never completed ends on relay_connect_timeout" {
	# a listener with a backlog of 0, never accepting, its one place
	# taken: the kernel drops further SYNs, so a connect hangs
	python3 - "$FAKE_PORT" "$TEST_ROOT/fill.ready" <<-'PY' >/dev/null 2>&1 3>&- &
	import socket, sys, time
	s = socket.socket()
	s.bind(("127.0.0.1", int(sys.argv[1])))
	s.listen(0)
	held = []
	for _ in range(2):
	    c = socket.socket()
	    c.settimeout(1)
	    try:
	        c.connect(("127.0.0.1", int(sys.argv[1])))
	    except OSError:
	        pass
	    held.append(c)
	open(sys.argv[2], "w").close()
	time.sleep(90)
	PY
	FILL_PID=$!
	wait_for 10 test -e "$TEST_ROOT/fill.ready"
	# no SYN gets through now
	run ! timeout 5 python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)' "$FAKE_PORT"
	daemon_conf abc "relay_connect_timeout 2s"
	daemon_start abc
	queue_for carol@fake.example
	deferred_with "port $FAKE_PORT: Connection timed out"
	[ "$(since_queued)" -lt 30 ]
}

@test "verify_timeout: a peer that never greets leaves the recipient accepted within it" {
	fake_start "<silent>"
	daemon_conf abc "verify_recipients yes" "verify_timeout 2s"
	daemon_start abc
	t0=$(date +%s)
	# one command at a time, each reply waited for up to 30 s
	run chat "$abc_SUBMIT" "EHLO client.abc.com" "$ALICE_AUTH" \
		"MAIL FROM:<alice@abc.com>" "RCPT TO:<carol@fake.example>" QUIT
	t1=$(date +%s)
	echo "$output"
	[[ "$output" == *"250 2.1.5 Recipient OK"* ]]
	# 2 s, not min(timeout, 30): generous for a slow machine
	[ $((t1 - t0)) -lt 15 ]
	grep -q ': verify to=<carol@fake.example> code=-1 relay=127.0.0.1:'"$FAKE_PORT"' (timeout waiting for reply)' "$LOG"
	# not an answer: nothing cached
	[ -z "$(ls -A "$abc_ROOT/queue/verify" 2>/dev/null)" ]
}

@test "recorded before QUIT: a worker killed while QUIT goes unanswered never sends the message again" {
	peer_start
	daemon_start abc
	queue_for carol@fake.example
	wait_for 15 test "$(copies)" = 1
	# the peer said 250 to the dot and holds QUIT (relay_mail_timeout is
	# 300 s): the message is finished all the same, QUIT comes after
	wait_for 10 grep -q "$QID: removed" "$LOG"
	w=$(worker_pid)
	[ -n "$w" ]
	kill -KILL "$w"
	# reaped (a zombie keeps its /proc entry): the relay child knows
	wait_for 10 eval '[ ! -e "/proc/$w" ]'
	# nothing is left to send again, however hard the queue is flushed
	kill -USR1 "$abc_PID"
	wait_for 10 grep -q 'SIGUSR1: retrying every queued message (0)' "$LOG"
	queue_empty abc
	sleep 1
	[ "$(copies)" = 1 ]
	[ "$(grep -c "$QID: to=<carol@fake.example> status=sent" "$LOG")" = 1 ]
}

@test "recorded before QUIT: a QUIT never answered ends on relay_mail_timeout, the message sent once" {
	peer_start
	daemon_conf abc "relay_mail_timeout 2s"
	daemon_start abc
	queue_for carol@fake.example
	wait_for 20 queue_empty abc
	[ "$(since_queued)" -lt 30 ]
	grep -Eq "$QID: to=<carol@fake.example> status=sent relay=127\.0\.0\.1:$FAKE_PORT " "$LOG"
	grep -q "$QID: removed" "$LOG"
	sleep 1
	[ "$(copies)" = 1 ]
}

@test "a peer that answers DATA with 250, not 354: nothing was sent, the recipient stays queued" {
	# EHLO MAIL RCPT get 250; DATA gets 250 too: no message can follow
	fake_start "220 fake.example ESMTP" "250 fake.example" "250 ok" "250 ok" \
		"250 ok" "<close>"
	daemon_start abc
	queue_for carol@fake.example
	deferred_with "protocol error: 250 ok (to DATA)"
	run ! grep -q "$QID: to=<carol@fake.example> status=sent" "$LOG"
	run ! grep -q "$QID: removed" "$LOG"
}

# trickle_start: a peer whose every reply comes one line a second, 40
# lines long ("220-"/"250-" ...), then ends; it notes each connection
trickle_start() {
	python3 - "$FAKE_PORT" "$TEST_ROOT/trickle.ready" "$TEST_ROOT/trickle.log" <<-'PY' >/dev/null 2>&1 3>&- &
	import socket, sys, threading, time
	srv = socket.socket()
	srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	srv.bind(("127.0.0.1", int(sys.argv[1])))
	srv.listen(5)
	open(sys.argv[2], "w").close()
	def reply(conn, code):
	    for i in range(39):
	        conn.sendall(b"%d-line %d\r\n" % (code, i))
	        time.sleep(1)
	    conn.sendall(b"%d done\r\n" % code)
	def serve(conn):
	    with open(sys.argv[3], "a") as log:
	        log.write("connection\n")
	    try:
	        reply(conn, 220)
	        f = conn.makefile("rb")
	        while f.readline():
	            reply(conn, 250)
	    except OSError:
	        pass
	    conn.close()
	srv.settimeout(1)
	end = time.time() + 90
	while time.time() < end:
	    try:
	        conn, _ = srv.accept()
	    except socket.timeout:
	        continue
	    threading.Thread(target=serve, args=(conn,), daemon=True).start()
	PY
	FILL_PID=$!
	wait_for 10 test -e "$TEST_ROOT/trickle.ready"
}

@test "a greeting trickled a line at a time ends on relay_helo_timeout for the whole reply" {
	# each line comes within 2 s, the whole greeting would take 40 s
	trickle_start
	daemon_conf abc "relay_helo_timeout 2s"
	daemon_start abc
	queue_for carol@fake.example
	deferred_with "timeout waiting for reply (relay_helo_timeout 2s)"
	[ "$(since_queued)" -lt 30 ]
}

@test "verify_timeout bounds the probe's reply however many lines it has" {
	trickle_start
	daemon_conf abc "verify_recipients yes" "verify_timeout 2s"
	daemon_start abc
	t0=$(date +%s)
	run chat "$abc_SUBMIT" "EHLO client.abc.com" "$ALICE_AUTH" \
		"MAIL FROM:<alice@abc.com>" "RCPT TO:<carol@fake.example>" QUIT
	t1=$(date +%s)
	echo "$output"
	[[ "$output" == *"250 2.1.5 Recipient OK"* ]]
	[ $((t1 - t0)) -lt 30 ]
	grep -q ': verify to=<carol@fake.example> code=-1 relay=127.0.0.1:'"$FAKE_PORT"' (timeout waiting for reply)' "$LOG"
}

@test "verify_timeout bounds the DNS lookup: a name server that never answers" {
	# a UDP socket that reads every query and answers none
	python3 - "$FAKE_PORT" "$TEST_ROOT/dns.ready" <<-'PY' >/dev/null 2>&1 3>&- &
	import socket, sys, time
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.bind(("127.0.0.1", int(sys.argv[1])))
	open(sys.argv[2], "w").close()
	s.settimeout(1)
	end = time.time() + 90
	while time.time() < end:
	    try:
	        s.recv(4096)
	    except socket.timeout:
	        pass
	PY
	FILL_PID=$!
	wait_for 10 test -e "$TEST_ROOT/dns.ready"
	daemon_conf abc "route silent.example mx" "resolver 127.0.0.1:$FAKE_PORT" \
		"verify_recipients yes" "verify_timeout 1s"
	daemon_start abc
	t0=$(date +%s)
	run chat "$abc_SUBMIT" "EHLO client.abc.com" "$ALICE_AUTH" \
		"MAIL FROM:<alice@abc.com>" "RCPT TO:<carol@silent.example>" QUIT
	t1=$(date +%s)
	echo "$output"
	[[ "$output" == *"250 2.1.5 Recipient OK"* ]]
	# 1 s; glibc's resolver as set for the relay (3 s, two tries)
	# takes 6 s or more
	[ $((t1 - t0)) -lt 5 ]
	grep -q ': verify to=<carol@silent.example> code=-1 relay=none (451 4.4.3 silent.example: DNS lookup failed (MX), will retry)' "$LOG"
}
