#!/usr/bin/env bats
# shutdown.bats - SIGTERM (issue 9, "Signals and shutdown"; smtpd(8)
# SIGNALS): the master stops accepting at once and tells every child; a
# session waiting for a command -- idle, before it answers the banner,
# between transactions or inside one, in the middle of AUTH, POP3 --
# gets "421 4.3.2 Server shutting down, closing connection" (POP3 "-ERR
# [SYS/TEMP] Server shutting down") and is closed at once, and with only
# such sessions the master is gone within moments; a session inside DATA
# finishes its message (250), then gets the 421; one that never finishes
# is ended at the end of the 10 s grace, leaving no file behind; a relay
# delivery stuck on its peer is ended after the grace, its message still
# queued.  A session in inetd mode (-i) stops the same way.
#
# Each client is t/stopchat.py in the background: it talks, says READY,
# may wait for GO while the test signals the master, and prints what the
# server said.  "REST:5" gives the server 5 s to answer and close: the
# code before this change said nothing to an idle session until the end
# of the 10 s grace.

load helpers
load smtp_helpers
load relay_helpers

teardown() {
	fake_stop
	test_teardown
}

# client NAME PORT STEP...: stopchat.py in the background; its directory
# (for ready and go) is $BATS_TEST_TMPDIR/NAME, its output NAME.out
client() {
	local name=$1 port=$2
	shift 2
	mkdir -p "$BATS_TEST_TMPDIR/$name"
	python3 "$BATS_TEST_DIRNAME/stopchat.py" "$port" \
		"$BATS_TEST_TMPDIR/$name" "$@" >"$BATS_TEST_TMPDIR/$name.out" 2>&1 &
	printf -v "${name}_CLIENT" '%s' "$!"
}

ready() { wait_for 20 test -e "$BATS_TEST_TMPDIR/$1/ready"; }
go() { touch "$BATS_TEST_TMPDIR/$1/go"; }

# wait for client NAME to end; its output in $output and $lines
client_output() {
	local pid=${1}_CLIENT
	wait "${!pid}"
	run cat "$BATS_TEST_TMPDIR/$1.out"
	echo "$output"
}

# PID has ended (a zombie counts: the master reaps its children)
gone() {
	[ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

master_gone() { gone "$SMTPD_PID"; }

stop_master() {
	kill -TERM "$SMTPD_PID"
}

# the master told its sessions (the kill()s come before this line)
told() {
	wait_for 5 grep -q 'SIGTERM: no longer accepting' "$TROOT/smtpd.log"
}

STOPPING="421 4.3.2 Server shutting down, closing connection"
# a transaction up to RCPT TO:<bob@example.org>, its replies, DATA's
TO_BOB=(S "C:EHLO client.example" S "C:MAIL FROM:<sender@remote.example>" S
	"C:RCPT TO:<bob@example.org>" S)
TO_BOB_REPLIES=("220 mx.example.org ESMTP ready" "$(ehlo_reply)"
	"250 2.1.0 Sender OK" "250 2.1.5 Recipient OK")
DATA_REPLIES=("354 Start mail input; end with <CRLF>.<CRLF>"
	"250 Message received and to be delivered")

# bob_has TEXT: bob's one message is TEXT (printf FORMAT), trace stripped
bob_has() {
	[ "$(maildir_count example.org bob)" = 1 ]
	file_is <(strip_trace "$(maildir_files example.org bob)") "$1"
}

@test "SIGTERM: an idle session gets 421 at once and the master is gone within moments" {
	smtpd_start
	client a "$SMTP_PORT" S "C:EHLO client.example" S READY REST:5
	ready a
	stop_master
	wait_for 3 master_gone
	client_output a
	expect_lines "220 mx.example.org ESMTP ready" "$(ehlo_reply)" \
		"$STOPPING" "<closed>"
	grep -q 'SIGTERM: no longer accepting; 1 session to finish' "$TROOT/smtpd.log"
	grep -qF 'shutdown client=[127.0.0.1]' "$TROOT/smtpd.log"
	grep -q 'stopped$' "$TROOT/smtpd.log"
}

@test "SIGTERM: a client that has not answered the banner gets 421 at once" {
	smtpd_start
	client a "$SMTP_PORT" READY REST:5
	ready a
	# its session child is serving it (it logs once its handlers are set)
	wait_for 10 grep -qF 'connect client=[127.0.0.1]' "$TROOT/smtpd.log"
	stop_master
	wait_for 3 master_gone
	client_output a
	expect_lines "220 mx.example.org ESMTP ready" "$STOPPING" "<closed>"
}

@test "SIGTERM: a session between transactions gets 421 at once after its 250; the message is kept" {
	smtpd_start
	client a "$SMTP_PORT" "${TO_BOB[@]}" C:DATA S "C:Subject: before the stop" \
		C: "C:delivered" C:. S READY REST:5
	ready a
	stop_master
	wait_for 3 master_gone
	client_output a
	expect_lines "${TO_BOB_REPLIES[@]}" "${DATA_REPLIES[@]}" "$STOPPING" "<closed>"
	bob_has 'Subject: before the stop\n\ndelivered\n'
}

@test "SIGTERM: a session inside a transaction, before DATA, gets 421 at once; nothing is delivered" {
	smtpd_start
	client a "$SMTP_PORT" "${TO_BOB[@]}" READY REST:5
	ready a
	stop_master
	wait_for 3 master_gone
	client_output a
	expect_lines "${TO_BOB_REPLIES[@]}" "$STOPPING" "<closed>"
	[ "$(maildir_count example.org bob)" = 0 ]
}

@test "SIGTERM in the middle of DATA: listeners close at once, the message is finished (250), then 421" {
	smtpd_start
	client a "$SMTP_PORT" "${TO_BOB[@]}" C:DATA S "C:Subject: during shutdown" \
		C: "C:first half" READY GO "C:second half" C:. S REST:5
	ready a
	stop_master
	told
	# refused at once: the listeners are closed; the master waits
	wait_for 5 port_closed "$SMTP_PORT"
	wait_for 5 port_closed "$SUBMIT_PORT"
	wait_for 5 port_closed "$POP3_PORT"
	! master_gone || false
	go a
	client_output a
	expect_lines "${TO_BOB_REPLIES[@]}" "${DATA_REPLIES[@]}" "$STOPPING" "<closed>"
	bob_has 'Subject: during shutdown\n\nfirst half\nsecond half\n'
	# with its last session gone, the master exits
	wait_for 5 master_gone
	grep -q 'SIGTERM: no longer accepting; 1 session to finish' "$TROOT/smtpd.log"
}

@test "SIGTERM: DATA that never ends is cut at the end of the grace, nothing left on disk, while an idle session went at once" {
	smtpd_start
	client data "$SMTP_PORT" "${TO_BOB[@]}" C:DATA S "C:Subject: never finished" \
		C: FILL:200 READY REST:40
	client idle "$SMTP_PORT" S "C:HELO client.example" S READY REST:5
	ready data
	ready idle
	t0=$(date +%s)
	stop_master
	client_output idle
	expect_lines "220 mx.example.org ESMTP ready" "250 Hello client.example" \
		"$STOPPING" "<closed>"
	# the session in DATA is still there: the grace is 10 s
	! master_gone || false
	client_output data
	t1=$(date +%s)
	echo "ended after $((t1 - t0)) s"
	[ $((t1 - t0)) -ge 9 ]
	[ "${lines[-2]}" = "$STOPPING" ]
	[ "${lines[-1]}" = "<closed>" ]
	wait_for 5 master_gone
	# no spool file, no copy anywhere: the message was never accepted
	[ -z "$(ls -A "$TROOT/queue/tmp" 2>/dev/null)" ]
	[ -z "$(ls -A "$TROOT/queue/env" 2>/dev/null)" ]
	[ -z "$(ls -A "$TROOT/mail/example.org/bob/tmp" 2>/dev/null)" ]
	[ -z "$(ls -A "$TROOT/mail/example.org/bob/new" 2>/dev/null)" ]
}

@test "SIGTERM: an idle POP3 session gets -ERR [SYS/TEMP] at once" {
	smtpd_start
	client a "$POP3_PORT" S "C:USER alice@example.org" S "C:PASS alicepw" S \
		READY REST:5
	ready a
	stop_master
	wait_for 3 master_gone
	client_output a
	[ "${lines[0]}" = "+OK mx.example.org POP3 ready" ]
	[[ ${lines[2]} == "+OK "* ]]
	[ "${lines[3]}" = "-ERR [SYS/TEMP] Server shutting down" ]
	[ "${lines[4]}" = "<closed>" ]
	[ "${#lines[@]}" = 5 ]
}

@test "SIGTERM: a submission client in the middle of AUTH LOGIN gets 421 at once" {
	smtpd_start
	client a "$SUBMIT_PORT" S "C:EHLO client.example" S "C:AUTH LOGIN" S \
		READY REST:5
	ready a
	stop_master
	wait_for 3 master_gone
	client_output a
	expect_lines "220 mx.example.org ESMTP ready" "$(ehlo_reply)" \
		"334 VXNlcm5hbWU6" "$STOPPING" "<closed>"
}

@test "SIGTERM: a relay delivery stuck on its peer is ended after the grace; the message stays queued" {
	relay_setup
	FAKE_PORT=$(free_port)
	daemon_conf abc "route fake.example 127.0.0.1:$FAKE_PORT" "relay_helo_timeout 120"
	# a peer that never says a word: the worker waits on its banner
	fake_start "<silent>"
	daemon_start abc
	alice_sends "stuck" bob@fake.example
	[[ $output == *"250 Message received and to be delivered"* ]]
	relay=$(relay_pid abc)
	[ -n "$relay" ]
	wait_for 10 eval '[ "$(pgrep -c -P "$relay")" -ge 1 ]'
	kill -TERM "$abc_PID"
	# the grace (10 s), then the worker is ended; the old relay child
	# waited for it (120 s)
	wait_for 20 gone "$relay"
	wait_for 5 gone "$abc_PID"
	grep -q 'relay child: ending 1 delivery attempt after the grace' "$(log_of abc)"
	[ "$(queue_count abc)" = 1 ]
	run "$SMTPD_BIN" -q -f "$abc_ROOT/etc/smtpd.conf"
	echo "$output"
	[[ ${lines[1]} == "    to <bob@fake.example>  pending"* ]]
}

@test "inetd mode: SIGTERM in the middle of DATA finishes the message (250), then 421" {
	smtpd_start
	run python3 - "$SMTPD_BIN" "$TROOT/etc/smtpd.conf" "$TROOT/inetd.log" <<-'PY'
	import signal, subprocess, sys
	smtpd, conf, log = sys.argv[1:4]
	p = subprocess.Popen([smtpd, "-f", conf, "-i", "smtp"], stdin=subprocess.PIPE,
	                     stdout=subprocess.PIPE, stderr=open(log, "a"))
	def reply():
	    while True:
	        l = p.stdout.readline().decode().rstrip("\r\n")
	        print(l if l else "<closed>", flush=True)
	        if l[3:4] != "-":
	            return
	def send(b):
	    p.stdin.write(b)
	    p.stdin.flush()
	reply()
	for c in (b"HELO client.example", b"MAIL FROM:<sender@remote.example>",
	          b"RCPT TO:<bob@example.org>", b"DATA"):
	    send(c + b"\r\n")
	    reply()
	send(b"Subject: inetd\r\n\r\nfirst half\r\n")
	p.send_signal(signal.SIGTERM)
	send(b"second half\r\n.\r\n")
	reply()
	reply()
	reply()
	p.wait(timeout=20)
	PY
	echo "$output"
	expect_lines "220 mx.example.org ESMTP ready" "250 Hello client.example" \
		"250 2.1.0 Sender OK" "250 2.1.5 Recipient OK" "${DATA_REPLIES[@]}" \
		"$STOPPING" "<closed>"
	bob_has 'Subject: inetd\n\nfirst half\nsecond half\n'
}
