#!/usr/bin/env bats
# session_reuse.bats - an SMTP session child serves the connections the
# master sends it one after the other (session_reuse_count, as Postfix's
# max_use), waits session_idle_time for the next, and holds nothing of
# one session in the next: limits count sessions, not waiting children;
# failed logins count against the address that failed; a reload or a
# stop lets the waiting children go (smtpd(8) PROCESSES).

load helpers
load smtp_helpers

# -v: a child logs that it waits for a connection before the master can
# know it, so a test that waits for that line knows where its next
# connection goes (and one that does not may find the child still busy)
setup() { SMTPD_FLAGS=-v; }
teardown() { test_teardown; }

# ready N: wait until children have said N times that they wait
ready() {
	wait_for 10 eval '[ "$(grep -c "waiting for the next connection" "$TROOT/smtpd.log")" -ge '"$1"' ]'
}

# serving_pids: the pid that logged each "connect", in order
serving_pids() {
	sed -nE 's/^smtpd\[([0-9]+)\]: connect client=.*/\1/p' "$TROOT/smtpd.log"
}

# msg N: one message to bob over its own connection
msg() {
	run raw "$SMTP_PORT" 'HELO client.example\r\nMAIL FROM:<sender@remote.example>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nSubject: %s\r\n\r\nhi\r\n.\r\nQUIT\r\n' "$1"
	[ "${lines[-3]}" = "250 Message received and to be delivered" ]
}

# sessions_logged N: wait until N sessions have said disconnect
sessions_logged() {
	wait_for 10 eval '[ "$(grep -c "disconnect client=" "$TROOT/smtpd.log")" -ge '"$1"' ]'
}

@test "one session child serves connection after connection, each message delivered" {
	smtpd_start
	for i in 1 2 3 4 5; do ready "$i"; msg "m$i"; done
	sessions_logged 6
	[ "$(maildir_count example.org bob)" = 5 ]
	# the daemon's start-up probe, then five: all served by one child
	[ "$(serving_pids | sort -u | wc -l)" = 1 ]
}

@test "session_reuse_count: a child serves that many connections, then the next is forked" {
	smtpd_start "session_reuse_count 2"
	# the probe's child takes m1 and goes; m2's child (forked) takes m3
	ready 1; msg m1; msg m2; ready 2; msg m3; msg m4; ready 3; msg m5
	sessions_logged 6
	[ "$(maildir_count example.org bob)" = 5 ]
	run serving_pids
	echo "$output"
	[ "${#lines[@]}" = 6 ]
	[ "${lines[0]}" = "${lines[1]}" ]
	[ "${lines[1]}" != "${lines[2]}" ]
	[ "${lines[2]}" = "${lines[3]}" ]
	[ "${lines[3]}" != "${lines[4]}" ]
	[ "${lines[4]}" = "${lines[5]}" ]
}

@test "session_reuse_count 1: every connection has a process of its own" {
	smtpd_start "session_reuse_count 1"
	for i in 1 2 3; do msg "m$i"; done
	sessions_logged 4
	[ "$(serving_pids | sort -u | wc -l)" = 4 ]
}

@test "session_idle_time: a child that waited that long for a connection exits" {
	local relay
	smtpd_start "session_idle_time 2"
	relay=$(sed -nE 's/^smtpd\[([0-9]+)\]: relay child started$/\1/p' "$TROOT/smtpd.log")
	ready 1
	msg m1
	ready 2
	# the waiting child is there, then gone; the next connection is served
	[ "$(pgrep -P "$SMTPD_PID" | grep -cvx "$relay")" = 1 ]
	wait_for 10 eval '[ "$(pgrep -P "$SMTPD_PID" | grep -cvx "$relay")" = 0 ]'
	msg m2
	[ "$(maildir_count example.org bob)" = 2 ]
	[ "$(serving_pids | sort -u | wc -l)" = 2 ]
}

@test "max_clients and max_clients_per_ip count sessions, not children waiting for one" {
	smtpd_start "max_clients 1" "max_clients_per_ip 1"
	for i in 1 2 3; do ready "$i"; msg "m$i"; done
	[ "$(maildir_count example.org bob)" = 3 ]
	run ! grep -q "refused client" "$TROOT/smtpd.log"
	# while one session is open, a second connection is still refused
	ready 4
	exec 5<>"/dev/tcp/127.0.0.1/$SMTP_PORT"
	read -r -t 10 banner <&5
	[[ $banner == 220* ]]
	run raw "$SMTP_PORT" 'QUIT\r\n'
	[ "${lines[0]}" = "421 4.3.2 Too many connections" ]
	exec 5>&-
}

@test "a reused child starts each session afresh: a login does not carry over" {
	smtpd_start
	ready 1
	run chat "$SUBMIT_PORT" "EHLO client.example" \
		"AUTH PLAIN $(plain alice@example.org alicepw)" QUIT
	echo "$output"
	[[ "$output" == *"235 2.7.0 Authentication successful"* ]]
	ready 2
	run chat "$SUBMIT_PORT" "EHLO client.example" \
		"MAIL FROM:<alice@example.org>" QUIT
	echo "$output"
	[[ "${lines[-2]}" == 530* ]]
	[ "$(serving_pids | sort -u | wc -l)" = 1 ]
}

@test "failed logins count against the address that failed, whichever child served it" {
	smtpd_start "auth_fail_limit 2 1h"
	python3 - "$SMTP_PORT" "$TROOT/smtpd.log" <<-'PY'
	import base64, socket, sys, time
	port, log = int(sys.argv[1]), sys.argv[2]
	waits = 0
	def ready():
	    """until the child has said once more that it waits"""
	    global waits
	    waits += 1
	    for _ in range(200):
	        if open(log).read().count("waiting for the next connection") >= waits:
	            return
	        time.sleep(0.05)
	    raise SystemExit("no child waiting")
	def session(src, pw):
	    ready()
	    s = socket.create_connection(("127.0.0.1", port), timeout=30,
	                                 source_address=(src, 0))
	    f = s.makefile("rb")
	    out = [f.readline().decode().rstrip()]
	    if out[0].startswith("220"):
	        for c in ("EHLO client.example",
	                  "AUTH PLAIN " + base64.b64encode(
	                      b"\0alice@example.org\0" + pw).decode(), "QUIT"):
	            s.sendall(c.encode() + b"\r\n")
	            while True:
	                l = f.readline().decode().rstrip()
	                if l[3:4] != "-":
	                    break
	            out.append(l)
	    s.close()
	    print(src, out)
	    return out
	# one failure from .2, then two from .3 (the limit): .3 is refused,
	# .2 is not, though the same child served them one after the other
	assert session("127.0.0.2", b"wrong")[2].startswith("535")
	assert session("127.0.0.3", b"wrong")[2].startswith("535")
	assert session("127.0.0.3", b"wrong")[2].startswith("535")
	assert session("127.0.0.3", b"alicepw")[0].startswith("421 4.7.0")
	waits -= 1 # refused by the master: the child did not serve it
	assert session("127.0.0.2", b"alicepw")[2].startswith("235")
	PY
	[ "$(serving_pids | sort -u | wc -l)" = 1 ]
	grep -q 'auth blocked client=\[127.0.0.3\]' "$TROOT/smtpd.log"
	run ! grep -q 'auth blocked client=\[127.0.0.2\]' "$TROOT/smtpd.log"
}

@test "SIGHUP: a child waiting for a connection goes; the next session has the new config" {
	smtpd_start
	ready 1
	msg m1
	ready 2
	sed -i 's/^hostname .*/hostname mx2.example.org/' "$TROOT/etc/smtpd.conf"
	kill -HUP "$SMTPD_PID"
	wait_for 10 grep -q 'SIGHUP: re-reading' "$TROOT/smtpd.log"
	run raw "$SMTP_PORT" 'QUIT\r\n'
	[ "${lines[0]}" = "220 mx2.example.org ESMTP ready" ]
	[ "$(serving_pids | sort -u | wc -l)" = 2 ]
}

@test "POP3 sessions are not reused: each has a process of its own" {
	smtpd_start
	for i in 1 2 3; do
		run raw "$POP3_PORT" 'QUIT\r\n'
		[[ "${lines[0]}" == "+OK"* ]]
	done
	wait_for 10 eval '[ "$(grep -c "service=pop3" "$TROOT/smtpd.log")" -ge 6 ]'
	[ "$(sed -nE 's/^smtpd\[([0-9]+)\]: connect client=.* service=pop3$/\1/p' "$TROOT/smtpd.log" | sort -u | wc -l)" = 3 ]
}

@test "SIGTERM: children waiting for a connection stop at once" {
	smtpd_start "session_idle_time 1h"
	ready 1
	msg m1
	ready 2
	kill -TERM "$SMTPD_PID"
	wait_for 15 eval '! kill -0 "$SMTPD_PID" 2>/dev/null'
	grep -q 'SIGTERM: no longer accepting; 0 sessions to finish' "$TROOT/smtpd.log"
	grep -q '^smtpd\[[0-9]*\]: stopped$' "$TROOT/smtpd.log"
	SMTPD_PID= main_PID=
}

@test "SIGTERM to a child waiting for a connection: it goes, and the next connection is served" {
	local relay child
	smtpd_start "session_idle_time 1h"
	relay=$(sed -nE 's/^smtpd\[([0-9]+)\]: relay child started$/\1/p' "$TROOT/smtpd.log")
	ready 1
	msg m1
	ready 2
	child=$(pgrep -P "$SMTPD_PID" | grep -vx "$relay")
	[ "$(echo "$child" | wc -l)" = 1 ]
	kill -TERM "$child"
	wait_for 10 eval '! kill -0 "$child" 2>/dev/null'
	msg m2
	[ "$(maildir_count example.org bob)" = 2 ]
	run ! grep -q "session $child killed by signal" "$TROOT/smtpd.log"
}
