#!/usr/bin/env bats
# systemd.bats - smtpd under systemd (issue 9, smtpd(8) SYSTEMD): socket
# activation through systemd-socket-activate(1) with the sockets of
# etc/systemd/smtpd.socket, matched to the listen lines by name or by
# address, and the two mismatches that stop the start; the Type=notify
# messages (READY=1, STATUS=, RELOADING=1 with MONOTONIC_USEC=, STOPPING=1)
# read from a datagram socket of the test's own (t/notify_listen.py), at
# a path and at an abstract name; and systemd-analyze's verdicts on the
# units (verify, and security <= 3.0 for smtpd.service).

load helpers

NOTIFY_PID=

teardown() {
	[ -z "$NOTIFY_PID" ] || kill "$NOTIFY_PID" 2>/dev/null || true
	[ -z "$NOTIFY_PID" ] || wait "$NOTIFY_PID" 2>/dev/null || true
	test_teardown
}

# the ListenStream= ports of etc/systemd/smtpd.socket, one line
unit_ports() {
	sed -n 's/^ListenStream=//p' "$REPO/etc/systemd/smtpd.socket" | xargs
}

# activated_start ARGS...: daemon "main" under systemd-socket-activate
# with ARGS (-l ADDRESS..., --fdname=...), its config edited by the sed
# script $CONF_SED if set.  That execs smtpd (the same pid) when the
# first connection (or datagram) comes, which this makes; then it waits
# for "started", or for smtpd to be gone: main_PID is then empty and
# main_STATUS its exit status.
activated_start() {
	local port
	daemon_write_conf main
	[ -z "${CONF_SED:-}" ] || sed -i "$CONF_SED" "$main_ROOT/etc/smtpd.conf"
	systemd-socket-activate "$@" "$SMTPD_BIN" -f "$main_ROOT/etc/smtpd.conf" \
		2>>"$main_ROOT/smtpd.log" &
	main_PID=$!
	DAEMONS+=(main)
	wait_for 10 grep -q '^Listening on .* as 3' "$main_ROOT/smtpd.log"
	port=$(sed -n 's/^Listening on 127.0.0.1:\([0-9]*\) as 3.*/\1/p' "$main_ROOT/smtpd.log")
	knock "$port"
	wait_for 20 started_or_gone
	main_STATUS=
	if ! grep -q ': started (' "$main_ROOT/smtpd.log"; then
		main_STATUS=0
		wait "$main_PID" || main_STATUS=$?
		main_PID=
	fi
}

# knock PORT: a connection to 127.0.0.1:PORT, or a datagram if refused
# (systemd-socket-activate -d)
knock() {
	python3 - "$1" <<-'PY'
	import socket, sys
	addr = ("127.0.0.1", int(sys.argv[1]))
	try:
	    socket.create_connection(addr, timeout=5).close()
	except ConnectionRefusedError:
	    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", addr)
	except OSError:
	    pass  # reset: smtpd started, and already gone (refusing to run)
	PY
}

started_or_gone() {
	grep -q ': started (' "$main_ROOT/smtpd.log" || ! kill -0 "$main_PID" 2>/dev/null
}

# mail_on_each SMTP SUBMISSION POP3: mail goes through each port (the
# smtp one takes mail for alice, the submission one after AUTH, and
# alice reads both over POP3): proves which service each port serves
mail_on_each() {
	local out
	out=$(chat -p "$1" "EHLO client.example" "MAIL FROM:<x@elsewhere.test>" \
		"RCPT TO:<alice@example.org>" DATA "Subject: by smtp" "" "one" "." QUIT)
	echo "$out"
	[[ $out == *"250 Message received"* ]]
	out=$(chat "$2" "EHLO client.example" "MAIL FROM:<bob@example.org>")
	echo "$out"
	[[ $out == *"530 5.7.0"* ]] # the submission role: AUTH first
	out=$(chat -p "$2" "EHLO client.example" "AUTH PLAIN $(plain bob@example.org bobpw)" \
		"MAIL FROM:<bob@example.org>" "RCPT TO:<alice@example.org>" DATA \
		"Subject: by submission" "" "two" "." QUIT)
	echo "$out"
	[[ $out == *"235 "* && $out == *"250 Message received"* ]]
	out=$(chat --pop3 "$3" "USER alice@example.org" "PASS alicepw" STAT QUIT)
	echo "$out"
	[[ $out == *"+OK 2 "* ]]
	[ "$(maildir_count example.org alice)" = 0 ] # POP3 moved them to cur/
	grep -l 'Subject: by smtp' "$main_ROOT"/mail/example.org/alice/cur/*
	grep -l 'Subject: by submission' "$main_ROOT"/mail/example.org/alice/cur/*
}

@test "smtpd.socket: one unit with a ListenStream= for each of smtp, submission, pop3" {
	[ "$(unit_ports)" = "25 587 110" ]
	[ ! -e "$REPO/etc/systemd/smtpd-smtp.socket" ]
	grep -qx 'Service=smtpd.service' "$REPO/etc/systemd/smtpd.socket"
}

@test "socket activation: three sockets named smtp, submission, pop3 serve their listen lines" {
	daemon_init main example.org
	s=$(free_port) u=$(free_port) p=$(free_port)
	# the names decide, even where the config's addresses differ
	activated_start -l "127.0.0.1:$p" -l "127.0.0.1:$s" -l "127.0.0.1:$u" \
		--fdname=pop3:smtp:submission
	[ -n "$main_PID" ]
	grep -q "listen smtp 127.0.0.1:$main_SMTP: systemd's socket 4 (127.0.0.1:$s, named smtp)" "$main_ROOT/smtpd.log"
	grep -q "listen pop3 127.0.0.1:$main_POP3: systemd's socket 3 (127.0.0.1:$p, named pop3)" "$main_ROOT/smtpd.log"
	mail_on_each "$s" "$u" "$p"
	# smtpd bound nothing itself
	! port_open "$main_SMTP" || false
}

@test "socket activation: without names, sockets go to listen lines by address" {
	daemon_init main example.org
	s=$main_SMTP u=$main_SUBMIT p=$main_POP3
	# 0.0.0.0 in a listen line takes a socket on any address, same port
	CONF_SED="s/^listen submission 127.0.0.1:/listen submission 0.0.0.0:/" \
		activated_start -l "127.0.0.1:$p" -l "127.0.0.1:$u" -l "127.0.0.1:$s"
	[ -n "$main_PID" ]
	grep -q "matching systemd's sockets by address" "$main_ROOT/smtpd.log"
	grep -q "listen submission 0.0.0.0:$u: systemd's socket 4 (127.0.0.1:$u)\$" "$main_ROOT/smtpd.log"
	grep -q "listen pop3 127.0.0.1:$p: systemd's socket 3 (127.0.0.1:$p)\$" "$main_ROOT/smtpd.log"
	mail_on_each "$s" "$u" "$p"
}

@test "socket activation: names all alike (one FileDescriptorName= a unit) go by address" {
	daemon_init main example.org
	activated_start -l "127.0.0.1:$main_SUBMIT" -l "127.0.0.1:$main_POP3" \
		-l "127.0.0.1:$main_SMTP" --fdname=smtpd.socket:smtpd.socket:smtpd.socket
	[ -n "$main_PID" ]
	grep -q "listen pop3 127.0.0.1:$main_POP3: systemd's socket 4 (127.0.0.1:$main_POP3, named smtpd.socket)" "$main_ROOT/smtpd.log"
	mail_on_each "$main_SMTP" "$main_SUBMIT" "$main_POP3"
	test_teardown

	# service names, but not telling them apart: "smtp" for all three
	daemon_init main example.org
	activated_start -l "127.0.0.1:$main_SUBMIT" -l "127.0.0.1:$main_POP3" \
		-l "127.0.0.1:$main_SMTP" --fdname=smtp:smtp:smtp
	[ -n "$main_PID" ]
	grep -q "listen submission 127.0.0.1:$main_SUBMIT: systemd's socket 3 (127.0.0.1:$main_SUBMIT, named smtp)" "$main_ROOT/smtpd.log"
	mail_on_each "$main_SMTP" "$main_SUBMIT" "$main_POP3"
}

@test "socket activation: a passed socket no listen line takes stops the start, named" {
	daemon_init main example.org
	x=$(free_port)
	activated_start -l "127.0.0.1:$main_SMTP" -l "127.0.0.1:$main_SUBMIT" \
		-l "127.0.0.1:$main_POP3" -l "127.0.0.1:$x"
	cat "$main_ROOT/smtpd.log"
	[ -z "$main_PID" ]
	[ "$main_STATUS" = 78 ]
	grep -q "systemd's socket 6 (127.0.0.1:$x) matches no listen line in $main_ROOT/etc/smtpd.conf" "$main_ROOT/smtpd.log"
}

@test "socket activation: a socket on every address, for a listen line on one, stops the start, named" {
	daemon_init main example.org
	# the shipped smtpd.socket's ListenStream=587 is every address: a
	# config that keeps submission on loopback must not serve it wider
	activated_start -l "127.0.0.1:$main_SMTP" -l "0.0.0.0:$main_SUBMIT" \
		-l "127.0.0.1:$main_POP3"
	cat "$main_ROOT/smtpd.log"
	[ -z "$main_PID" ]
	[ "$main_STATUS" = 78 ]
	grep -q "systemd's socket 4 (0.0.0.0:$main_SUBMIT) matches no listen line" "$main_ROOT/smtpd.log"
	grep -q "systemd's socket 4 (0.0.0.0:$main_SUBMIT) listens on every address, wider than listen submission 127.0.0.1:$main_SUBMIT: give the socket that address (ListenStream=127.0.0.1:$main_SUBMIT)" "$main_ROOT/smtpd.log"
}

@test "socket activation: a fourth socket named smtp, for one smtp line, stops the start" {
	daemon_init main example.org
	x=$(free_port)
	activated_start -l "127.0.0.1:$main_SMTP" -l "127.0.0.1:$main_SUBMIT" \
		-l "127.0.0.1:$main_POP3" -l "127.0.0.1:$x" --fdname=smtp:submission:pop3:smtp
	cat "$main_ROOT/smtpd.log"
	[ "$main_STATUS" = 78 ]
	grep -q "systemd's socket 6 (127.0.0.1:$x, named smtp) matches no listen line" "$main_ROOT/smtpd.log"
}

@test "socket activation: a datagram socket passed in stops the start" {
	daemon_init main example.org
	activated_start -d -l "127.0.0.1:$main_SMTP"
	cat "$main_ROOT/smtpd.log"
	[ "$main_STATUS" = 78 ]
	grep -q "systemd's descriptor 3 is not a listening stream socket" "$main_ROOT/smtpd.log"
}

@test "socket activation: a listen line left without a socket stops the start, named" {
	daemon_init main example.org
	activated_start -l "127.0.0.1:$main_SMTP" -l "127.0.0.1:$main_SUBMIT" \
		--fdname=smtp:submission
	cat "$main_ROOT/smtpd.log"
	[ "$main_STATUS" = 78 ]
	grep -q "$main_ROOT/etc/smtpd.conf: listen pop3 127.0.0.1:$main_POP3: no socket from systemd for it" "$main_ROOT/smtpd.log"
	! port_open "$main_POP3" || false
}

# notify_start ADDRESS: the listener at ADDRESS writing to $NOTIFY_OUT
notify_start() {
	NOTIFY_OUT=$TEST_ROOT/notify.out
	python3 "$REPO/t/notify_listen.py" "$1" "$NOTIFY_OUT" &
	NOTIFY_PID=$!
	wait_for 10 test -e "$NOTIFY_OUT"
}

# the datagrams received so far, one a line, its lines joined by "|"
datagrams() {
	awk '$0 == "--" { print d; d = ""; next } { d = d (d == "" ? "" : "|") $0 }' "$NOTIFY_OUT"
}

# has_datagram PATTERN: one datagram matches the extended regex
has_datagram() {
	datagrams | grep -Eq "$1"
}

# datagram_count PATTERN N: exactly N datagrams match
datagram_count() {
	[ "$(datagrams | grep -Ec "$1")" = "$2" ]
}

@test "Type=notify: READY=1, STATUS=, RELOADING=1 with MONOTONIC_USEC= then READY=1, STOPPING=1" {
	test_root
	notify_start "$TEST_ROOT/notify.sock"
	daemon_init main example.org
	dead=$(free_port) # the relay's route: refused, so mail stays queued
	daemon_conf main "route * 127.0.0.1:$dead"
	NOTIFY_SOCKET=$TEST_ROOT/notify.sock smtpd_start
	wait_for 10 has_datagram '^READY=1'
	datagrams
	listening="listening on smtp 127.0.0.1:$SMTP_PORT, submission 127.0.0.1:$SUBMIT_PORT, pop3 127.0.0.1:$POP3_PORT"
	[ "$(datagrams | head -n 1)" = "READY=1|STATUS=$listening; 0 sessions, 0 queued" ]
	# the master's notify socket was connected as root: the socket file
	# is root's 0755, and the rest comes from the master run as nobody

	# a session open: STATUS= says so, within about a second
	chat "$SMTP_PORT" "<wait 3>" QUIT >/dev/null &
	cpid=$!
	wait_for 10 has_datagram "^STATUS=$listening; 1 session, 0 queued\$"
	wait "$cpid"

	# a message queued for elsewhere: counted once its session is gone
	out=$(chat -p "$SUBMIT_PORT" "EHLO client.example" "AUTH PLAIN $(plain bob@example.org bobpw)" \
		"MAIL FROM:<bob@example.org>" "RCPT TO:<carol@far.test>" DATA "Subject: x" "" "x" "." QUIT)
	[[ $out == *"250 Message received"* ]]
	wait_for 40 has_datagram "^STATUS=$listening; 0 sessions, 1 queued\$"

	# SIGHUP: RELOADING=1 with the monotonic time of the signal, then READY=1
	before=$(python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000)')
	kill -HUP "$SMTPD_PID"
	wait_for 10 datagram_count '^READY=1' 2
	after=$(python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000)')
	datagrams
	reload=$(datagrams | grep '^RELOADING=1' | head -n 1)
	[[ $reload =~ ^RELOADING=1\|MONOTONIC_USEC=([0-9]+)\|STATUS=reloading\  ]]
	usec=${BASH_REMATCH[1]}
	[ "$usec" -ge "$before" ] && [ "$usec" -le "$after" ]
	# the one after RELOADING=1 is READY=1 with the status
	datagrams | grep -A1 '^RELOADING=1' | sed -n 2p | grep -q "^READY=1|STATUS=$listening; "

	# a config with errors is refused, and READY=1 follows all the same
	echo "frobnicate yes" >>"$TROOT/etc/smtpd.conf"
	kill -HUP "$SMTPD_PID"
	wait_for 10 datagram_count '^RELOADING=1' 2
	wait_for 10 grep -q 'keeping the running configuration' "$TROOT/smtpd.log"
	wait_for 10 datagram_count '^READY=1' 3
	[ "$(datagrams | grep -E '^(READY|RELOADING)' | cut -d'|' -f1 | xargs)" = "READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1" ]

	# SIGTERM: STOPPING=1, the last word
	daemon_stop main
	wait_for 10 has_datagram '^STOPPING=1'
	[ "$(datagrams | tail -n 1)" = "STOPPING=1|STATUS=stopping, 0 sessions to finish" ]
}

@test "Type=notify: STATUS= is sent at most about once a second" {
	test_root
	notify_start "$TEST_ROOT/notify.sock"
	daemon_init main example.org
	NOTIFY_SOCKET=$TEST_ROOT/notify.sock smtpd_start
	wait_for 10 has_datagram '^READY=1'
	start=$(date +%s.%N)
	# one session over a second long: at least one STATUS= in between
	chat "$SMTP_PORT" "<wait 2>" QUIT >/dev/null &
	cpid=$!
	for i in $(seq 1 30); do
		chat "$SMTP_PORT" QUIT >/dev/null
	done
	wait "$cpid"
	# the last one comes (within a second) and is right: nobody is
	# connected any more
	wait_for 10 eval '[[ "$(datagrams | tail -n 1)" == STATUS=*"; 0 sessions, 0 queued" ]]'
	end=$(date +%s.%N)
	datagrams
	n=$(datagrams | grep -c '^STATUS=' || true)
	max=$(python3 -c "import math,sys; print(math.ceil(float(sys.argv[2]) - float(sys.argv[1])) + 1)" "$start" "$end")
	echo "$n STATUS= in $start..$end (at most $max)"
	[ "$n" -ge 1 ] && [ "$n" -le "$max" ]
}

@test "Type=notify: an abstract NOTIFY_SOCKET (@name) gets READY=1 and STOPPING=1" {
	test_root
	name="@smtpd-test-$$-$RANDOM"
	notify_start "$name"
	daemon_init main example.org
	NOTIFY_SOCKET=$name smtpd_start
	wait_for 10 has_datagram '^READY=1\|STATUS=listening on smtp '
	daemon_stop main
	wait_for 10 has_datagram '^STOPPING=1'
	[ "$(datagrams | grep -c '^READY=1')" = 1 ]
}

# the units in a scratch directory, ExecStart= pointing at the built
# smtpd (verify wants the binary to exist), with MANPATH for their
# Documentation= pages
units_copy() {
	test_root
	UNITS=$TEST_ROOT/units
	mkdir -p "$UNITS/man/man8" "$UNITS/man/man5"
	cp "$REPO/man/smtpd.8" "$UNITS/man/man8/"
	cp "$REPO/man/smtpd.conf.5" "$UNITS/man/man5/"
	for f in "$REPO"/etc/systemd/*; do
		sed "s|/usr/local/sbin/smtpd|$SMTPD_BIN|g" "$f" >"$UNITS/${f##*/}"
	done
}

@test "systemd-analyze verify accepts every unit" {
	command -v systemd-analyze >/dev/null ||
		skip "systemd-analyze is not installed (Debian: apt-get install systemd)"
	units_copy
	cd "$UNITS"
	run env MANPATH="$UNITS/man" systemd-analyze verify ./*.service ./*.socket
	echo "$output"
	[ "$status" = 0 ]
	[ -z "$output" ]
	grep -qx 'Type=notify' "$REPO/etc/systemd/smtpd.service"
}

@test "systemd-analyze security rates smtpd.service 3.0 or lower" {
	command -v systemd-analyze >/dev/null ||
		skip "systemd-analyze is not installed (Debian: apt-get install systemd)"
	units_copy
	run systemd-analyze security --offline=true "$UNITS/smtpd.service"
	echo "$output" | tail -n 3
	[ "$status" = 0 ]
	score=$(echo "$output" | sed -n 's/.*Overall exposure level for smtpd.service: \([0-9.]*\) .*/\1/p')
	[ -n "$score" ]
	python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 3.0 else 1)' "$score"
	# the figure README and smtpd(8) give is this one
	grep -q "rates it $score (" "$REPO/README.md"
	grep -q "^rates it $score (" "$REPO/man/smtpd.8"
	grep -q "rates it $score (" "$REPO/etc/systemd/smtpd.service"
}
