#!/usr/bin/env bats
# smtp_daemon.bats - smtpd as a program (DESIGN.md §2 "Command line",
# "Processes"): -n checks the config and the accounts (exit 0 or 78, the
# problem as file:line), the log with and without -v, and SIGTERM (stop
# accepting at once, let the sessions in progress finish).

load helpers
load smtp_helpers

teardown() { test_teardown; }

@test "smtpd -n: a valid config exits 0" {
	smtpd_start
	run "$SMTPD_BIN" -n -f "$TROOT/etc/smtpd.conf"
	echo "$output"
	[ "$status" = 0 ]
}

@test "smtpd -n: an unknown directive exits 78 naming file:line" {
	smtpd_start
	conf=$TROOT/etc/bad.conf
	cp "$TROOT/etc/smtpd.conf" "$conf"
	echo "frobnicate yes" >>"$conf"
	n=$(wc -l <"$conf")
	run "$SMTPD_BIN" -n -f "$conf"
	echo "$output"
	[ "$status" = 78 ]
	[[ $output == *"$conf:$n: unknown directive 'frobnicate'"* ]]
}

@test "smtpd -n: a bad value exits 78 naming file:line" {
	smtpd_start
	conf=$TROOT/etc/bad.conf
	{
		echo "# a comment line"
		cat "$TROOT/etc/smtpd.conf"
		echo "max_message_size lots"
		echo "timeout 10"
	} >"$conf"
	n=$(($(wc -l <"$conf") - 1))
	run "$SMTPD_BIN" -n -f "$conf"
	echo "$output"
	[ "$status" = 78 ]
	[[ $output == *"$conf:$n: max_message_size: "*lots* ]]
	for bad in "max_recipients 0" "timeout -5" "max_clients many" \
		"listen smtp 127.0.0.1:99999" "verify_recipients perhaps"; do
		cp "$TROOT/etc/smtpd.conf" "$conf"
		echo "$bad" >>"$conf"
		n=$(wc -l <"$conf")
		run "$SMTPD_BIN" -n -f "$conf"
		echo "$bad: $output"
		[ "$status" = 78 ]
		[[ $output == *"$conf:$n: ${bad%% *}: "* ]]
	done
}

@test "smtpd -n: a malformed accounts line exits 78 naming its line number" {
	smtpd_start
	printf '%s\n' 'alice@example.org:{PLAIN}alicepw' '# a comment' \
		'this line has no colon' 'bob@example.org:{PLAIN}bobpw' \
		>"$TROOT/etc/passwd.bad"
	sed 's/^passwd passwd$/passwd passwd.bad/' "$TROOT/etc/smtpd.conf" \
		>"$TROOT/etc/bad.conf"
	run "$SMTPD_BIN" -n -f "$TROOT/etc/bad.conf"
	echo "$output"
	[ "$status" = 78 ]
	[[ $output == *"$TROOT/etc/passwd.bad:3: "* ]]
}

@test "without -v: one log line per event, with the queue id; no transcript" {
	smtpd_start
	run raw "$SMTP_PORT" '%s\r\n' "EHLO client.example" \
		"MAIL FROM:<sender@remote.example>" "RCPT TO:<alice@example.org>" \
		"RCPT TO:<bob@example.org>" DATA "Subject: logged" "" "secret body" . QUIT
	[ "${lines[-3]}" = "250 Message received and to be delivered" ]
	f=$(maildir_files example.org bob)
	qid=$(sed -n 2p "$f" | sed -n 's/.* id \([0-9A-F]*\) for .*/\1/p')
	[ -n "$qid" ]
	log=$TROOT/smtpd.log
	grep -Eq "^smtpd\[[0-9]+\]: $qid: from=<sender@remote.example> size=[0-9]+ nrcpt=2 client=\[127.0.0.1\] helo=client.example proto=ESMTP$" "$log"
	grep -Eq "^smtpd\[[0-9]+\]: $qid: to=<alice@example.org> status=delivered relay=local delay=[0-9]+\.[0-9]{2}$" "$log"
	grep -Eq "^smtpd\[[0-9]+\]: $qid: to=<bob@example.org> status=delivered relay=local delay=[0-9]+\.[0-9]{2}$" "$log"
	[ "$(grep -c "$qid" "$log")" = 3 ]
	[ "$(grep -c 'secret body\|MAIL FROM\|Sender OK' "$log")" = 0 ]
}

@test "-v: the log holds the transcript, commands, replies and DATA lines" {
	SMTPD_FLAGS=-v smtpd_start
	run raw "$SMTP_PORT" '%s\r\n' "EHLO client.example" \
		"MAIL FROM:<sender@remote.example>" "RCPT TO:<bob@example.org>" \
		DATA "Subject: logged" "" "body line" . QUIT
	[ "${lines[-3]}" = "250 Message received and to be delivered" ]
	log=$TROOT/smtpd.log
	# in this order
	# the session's own lines (daemon_start's probe logged a banner too)
	pid=$(sed -n 's/^smtpd\[\([0-9]*\)\]: 127\.0\.0\.1: < EHLO client\.example$/\1/p' "$log")
	[ -n "$pid" ]
	grep "^smtpd\[$pid\]: " "$log" | grep -o '127\.0\.0\.1: [<>] .*' >"$BATS_TEST_TMPDIR/got"
	run cat "$BATS_TEST_TMPDIR/got"
	expect_lines \
		"127.0.0.1: > 220 mx.example.org ESMTP ready" \
		"127.0.0.1: < EHLO client.example" \
		"$(ehlo_reply | sed 's/^/127.0.0.1: > /')" \
		"127.0.0.1: < MAIL FROM:<sender@remote.example>" \
		"127.0.0.1: > 250 2.1.0 Sender OK" \
		"127.0.0.1: < RCPT TO:<bob@example.org>" \
		"127.0.0.1: > 250 2.1.5 Recipient OK" \
		"127.0.0.1: < DATA" \
		"127.0.0.1: > 354 Start mail input; end with <CRLF>.<CRLF>" \
		"127.0.0.1: < Subject: logged" \
		"127.0.0.1: < " \
		"127.0.0.1: < body line" \
		"127.0.0.1: < ." \
		"127.0.0.1: > 250 Message received and to be delivered" \
		"127.0.0.1: < QUIT" \
		"127.0.0.1: > 221 closing connection"
}

@test "-v: AUTH credentials are not written to the log" {
	SMTPD_FLAGS=-v smtpd_start
	# AUTH PLAIN of "\0alice@example.org\0alicepw"
	run chat "$SMTP_PORT" "EHLO client.example" \
		"AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAGFsaWNlcHc=" QUIT
	[ "${lines[7]}" = "235 2.7.0 Authentication successful" ]
	# AUTH LOGIN: "alice@example.org", then "alicepw"
	run chat "$SMTP_PORT" "EHLO client.example" "AUTH LOGIN" \
		"YWxpY2VAZXhhbXBsZS5vcmc=" "YWxpY2Vwdw==" QUIT
	[ "${lines[9]}" = "235 2.7.0 Authentication successful" ]
	[ "$(grep -c 'AGFsaWNlQGV4YW1wbGUub3JnAGFsaWNlcHc=\|YWxpY2Vwdw==\|alicepw' "$TROOT/smtpd.log")" = 0 ]
	grep -q '127\.0\.0\.1: < AUTH PLAIN <credentials hidden>$' "$TROOT/smtpd.log"
}

@test "SIGTERM: no new connections at once, the open session may finish" {
	smtpd_start
	python3 - "$SMTP_PORT" "$BATS_TEST_TMPDIR" >"$BATS_TEST_TMPDIR/out" <<-'PY' &
	import os, socket, sys, time
	port, d = int(sys.argv[1]), sys.argv[2]
	s = socket.create_connection(("127.0.0.1", port), timeout=30)
	f = s.makefile("rb")
	def reply():
	    l = f.readline().decode().rstrip()
	    print(l if l else "<closed>", flush=True)
	reply()
	for c in (b"HELO client.example", b"MAIL FROM:<sender@remote.example>",
	          b"RCPT TO:<bob@example.org>"):
	    s.sendall(c + b"\r\n")
	    reply()
	open(d + "/ready", "w").close()
	for i in range(300):
	    if os.path.exists(d + "/go"):
	        break
	    time.sleep(0.1)
	s.sendall(b"DATA\r\n")
	reply()
	s.sendall(b"Subject: during shutdown\r\n\r\nstill delivered\r\n.\r\n")
	reply()
	s.sendall(b"QUIT\r\n")
	reply()
	reply()
	PY
	client=$!
	wait_for 20 test -e "$BATS_TEST_TMPDIR/ready"
	kill -TERM "$SMTPD_PID"
	# refused at once: the listeners are closed
	wait_for 5 port_closed "$SMTP_PORT"
	wait_for 5 port_closed "$SUBMIT_PORT"
	wait_for 5 port_closed "$POP3_PORT"
	kill -0 "$SMTPD_PID"
	touch "$BATS_TEST_TMPDIR/go"
	wait "$client"
	run cat "$BATS_TEST_TMPDIR/out"
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"250 Hello client.example" \
		"250 2.1.0 Sender OK" \
		"250 2.1.5 Recipient OK" \
		"354 Start mail input; end with <CRLF>.<CRLF>" \
		"250 Message received and to be delivered" \
		"221 closing connection" \
		"<closed>"
	[ "$(maildir_count example.org bob)" = 1 ]
	file_is <(strip_trace "$(maildir_files example.org bob)") \
		'Subject: during shutdown\n\nstill delivered\n'
	# with its last session gone, the master exits
	wait_for 20 eval '! kill -0 "$SMTPD_PID" 2>/dev/null'
	grep -q 'SIGTERM: no longer accepting; 1 session to finish' "$TROOT/smtpd.log"
}

@test "SIGTERM: a session that does not end is ended within the grace time" {
	smtpd_start
	python3 - "$SMTP_PORT" "$BATS_TEST_TMPDIR" >"$BATS_TEST_TMPDIR/out" <<-'PY' &
	import socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
	f = s.makefile("rb")
	print(f.readline().decode().rstrip(), flush=True)
	s.sendall(b"HELO client.example\r\n")
	print(f.readline().decode().rstrip(), flush=True)
	open(sys.argv[2] + "/ready", "w").close()
	try:
	    rest = f.read().decode()   # idle until the daemon ends the session
	except ConnectionResetError:
	    rest = ""
	print(rest.replace("\r\n", "\n") + "<closed>", flush=True)
	PY
	client=$!
	wait_for 20 test -e "$BATS_TEST_TMPDIR/ready"
	t0=$(date +%s)
	kill -TERM "$SMTPD_PID"
	# DESIGN.md §2: up to 10 s for the sessions, then they are ended
	wait_for 40 eval '! kill -0 "$SMTPD_PID" 2>/dev/null'
	wait "$client"
	t1=$(date +%s)
	[ $((t1 - t0)) -ge 9 ]
	run cat "$BATS_TEST_TMPDIR/out"
	[ "${lines[0]}" = "220 mx.example.org ESMTP ready" ]
	[ "${lines[1]}" = "250 Hello client.example" ]
	[ "${lines[-1]}" = "<closed>" ]
}
