#!/usr/bin/env bats
# logging.bats - where the log goes and what its lines say (issue 9,
# "Logs"; smtpd(8) LOGGING).  `log syslog` sends every line to
# syslog(3), facility LOG_MAIL, identity smtpd with the pid; `log
# stderr`, the default, to standard error; a SIGHUP that changes it
# switches.  One line per event, the queue id first when there is one,
# then key=value fields: a whole session (a local delivery, a relay to a
# scripted peer: sent, deferred, bounced, no route) gives the documented
# lines; a failed login (SMTP and POP3) names the client's address as the
# documented fail2ban filter reads it; a bad `log` value is a config
# error naming the file and line.
#
# Daemons from t/helpers.bash: abc.com (alice/alicepw, bob/bobpw) with a
# route for fake.example to t/fake_smtp.py; syslog is captured in a mount
# namespace of the test's own (t/syslog_helpers.bash).

load helpers
load relay_helpers
load syslog_helpers

setup() {
	relay_setup
	FAKE_PORT=$(free_port)
	daemon_conf abc "route fake.example 127.0.0.1:$FAKE_PORT"
	LOG=$abc_ROOT/smtpd.log
	SYSLOG=$abc_ROOT/sys/syslog.out
}

teardown() {
	fake_stop
	syslog_daemon_stop abc
	test_teardown
}

# a delay, a duration: seconds with two decimals
D='[0-9]+\.[0-9]{2}'

# one SMTP session on abc's smtp port: a message to bob@abc.com
bob_gets_mail() {
	run chat -p "$abc_SMTP" "EHLO client.example" "MAIL FROM:<x@remote.example>" \
		"RCPT TO:<bob@abc.com>" DATA "Subject: log" "" "body" . QUIT
	echo "$output"
	[[ "$output" == *"250 Message received and to be delivered"* ]]
}

# qid_from SENDER FILE: the queue id of the last message from SENDER
qid_from() {
	sed -En "s/^(<22>.* )?smtpd\[[0-9]+\]: ([0-9A-F]+): from=<$1> .*/\2/p" "$2" | tail -n 1
}

@test "log syslog: event lines go to syslog (LOG_MAIL, smtpd[pid]), none to stderr" {
	syslog_require
	daemon_conf abc "log syslog"
	syslog_daemon_start abc
	bob_gets_mail
	wait_for 10 grep -q 'disconnect client=' "$SYSLOG"
	cat "$SYSLOG"
	# <22>: facility mail (2 * 8) + info (6), as syslog(3) sends it
	grep -Eq '^<22>.* smtpd\[[0-9]+\]: connect client=\[127\.0\.0\.1\] service=smtp$' "$SYSLOG"
	qid=$(qid_from 'x@remote.example' "$SYSLOG")
	[ -n "$qid" ]
	grep -Eq "^<22>.* smtpd\[[0-9]+\]: $qid: to=<bob@abc.com> status=delivered relay=local delay=$D$" "$SYSLOG"
	grep -Eq '^<22>.* smtpd\[[0-9]+\]: started ' "$SYSLOG"
	cat "$LOG"
	run ! grep -q 'connect client=\|status=delivered\|started' "$LOG"
}

@test "log stderr, and no log line at all: stderr, nothing to syslog" {
	syslog_require
	daemon_conf abc "log syslog" "log stderr" # the last one wins
	syslog_daemon_start abc
	bob_gets_mail
	wait_for 10 grep -q 'disconnect client=' "$LOG"
	grep -Eq "^smtpd\[[0-9]+\]: connect client=\[127\.0\.0\.1\] service=smtp$" "$LOG"
	syslog_daemon_stop abc
	run ! grep -q smtpd "$SYSLOG"
	# no log directive: the same
	: >"$abc_ROOT/etc/extra.conf"
	daemon_conf abc "route fake.example 127.0.0.1:$FAKE_PORT"
	: >"$LOG"
	syslog_daemon_start abc
	bob_gets_mail
	wait_for 10 grep -q 'disconnect client=' "$LOG"
	syslog_daemon_stop abc
	run ! grep -q smtpd "$SYSLOG"
}

@test "SIGHUP with log changed to syslog: later sessions log to syslog" {
	syslog_require
	syslog_daemon_start abc
	bob_gets_mail
	wait_for 10 grep -q 'disconnect client=.* commands=5 ' "$LOG"
	n=$(grep -c 'connect client=' "$LOG")
	echo "log syslog" >>"$abc_ROOT/etc/smtpd.conf"
	kill -HUP "$abc_PID"
	wait_for 10 grep -q 'SIGHUP: re-reading' "$LOG"
	# the relay child, restarted by the reload, logs there too
	wait_for 10 grep -q 'relay child started' "$SYSLOG"
	bob_gets_mail
	wait_for 10 grep -q 'disconnect client=' "$SYSLOG"
	[ "$(grep -c 'connect client=' "$LOG")" = "$n" ]
	grep -Eq '^<22>.* smtpd\[[0-9]+\]: connect client=\[127\.0\.0\.1\] service=smtp$' "$SYSLOG"
}

@test "a whole session: local delivery and relay, queue id first, key=value lines" {
	fake_start "220 fake.example ESMTP"
	daemon_start abc
	alice_sends "both" bob@abc.com carol@fake.example
	[[ "$output" == *"250 Message received and to be delivered"* ]]
	wait_for 15 grep -q ': removed$' "$LOG"
	cat "$LOG"
	qid=$(qid_from alice@abc.com "$LOG")
	[ -n "$qid" ]
	P='^smtpd\[[0-9]+\]: '
	grep -Eq "${P}connect client=\[127\.0\.0\.1\] service=submission$" "$LOG"
	grep -Eq "${P}auth ok client=\[127\.0\.0\.1\] service=submission user=alice@abc.com$" "$LOG"
	grep -Eq "${P}$qid: from=<alice@abc.com> size=[0-9]+ nrcpt=2 client=\[127\.0\.0\.1\] helo=client.abc.com proto=ESMTPA user=alice@abc.com$" "$LOG"
	grep -Eq "${P}$qid: to=<bob@abc.com> status=delivered relay=local delay=$D$" "$LOG"
	grep -Eq "${P}$qid: to=<carol@fake.example> status=queued relay=queue delay=$D$" "$LOG"
	grep -Eq "${P}$qid: to=<carol@fake.example> status=sent relay=127\.0\.0\.1:$FAKE_PORT delay=$D$" "$LOG"
	grep -Eq "${P}$qid: removed$" "$LOG"
	# EHLO AUTH MAIL RCPT RCPT DATA QUIT
	grep -Eq "${P}disconnect client=\[127\.0\.0\.1\] service=submission commands=7 errors=0 duration=$D$" "$LOG"
	# every line about the message starts with its id; one each
	run grep -c "$qid" "$LOG"
	[ "$output" = 5 ]
	[ "$(grep -Ec "${P}$qid: " "$LOG")" = 5 ]
	# the delays: from MAIL FROM on, so none is negative, none absurd
	grep -o "$qid: .*delay=[0-9.]*" "$LOG" | sed 's/.*delay=//' |
		python3 -c 'import sys; sys.exit(0 if all(0 <= float(x) < 60 for x in sys.stdin) else 1)'
}

@test "relay results: bounced and deferred with the peer's reply last, no route, the bounce" {
	fake_start "220 fake.example ESMTP" "250 fake.example" "250 ok" \
		"550 5.1.1 no such user" "451 4.2.0 try later"
	daemon_start abc
	alice_sends "fails" dave@fake.example erin@fake.example frank@noroute.example
	[[ "$output" == *"250 Message received and to be delivered"* ]]
	wait_for 15 grep -q 'sender non-delivery notification' "$LOG"
	cat "$LOG"
	qid=$(qid_from alice@abc.com "$LOG")
	peer="127\.0\.0\.1:$FAKE_PORT"
	grep -Eq "^smtpd\[[0-9]+\]: $qid: to=<dave@fake.example> status=bounced relay=$peer delay=$D \($peer said: 550 5\.1\.1 no such user\)$" "$LOG"
	grep -Eq "^smtpd\[[0-9]+\]: $qid: to=<erin@fake.example> status=deferred relay=$peer delay=$D \($peer said: 451 4\.2\.0 try later\)$" "$LOG"
	grep -Eq "^smtpd\[[0-9]+\]: $qid: to=<frank@noroute.example> status=bounced relay=none delay=$D \(554 5\.4\.4 no route to domain noroute\.example\)$" "$LOG"
	bounce=$(sed -En "s/.*: $qid: sender non-delivery notification: ([0-9A-F]+)$/\1/p" "$LOG" | head -n 1)
	[ -n "$bounce" ]
	grep -Eq "^smtpd\[[0-9]+\]: $bounce: to=<alice@abc.com> status=delivered relay=local delay=$D$" "$LOG"
	# a recipient is logged once per attempt that tried it: the bounced
	# ones not again when erin is retried
	wait_for 15 eval '[ "$(grep -c "$qid: to=<erin@fake.example> status=[a-z]* relay=127" "$LOG")" -ge 2 ]'
	[ "$(grep -c "$qid: to=<dave@fake.example> status=[a-z]* relay=127" "$LOG")" = 1 ]
}

@test "failed logins name the client's address, as the documented fail2ban filter reads them" {
	daemon_start abc
	run chat "$abc_SUBMIT" "EHLO client.example" \
		"AUTH PLAIN $(plain alice@abc.com wrong)" QUIT
	[[ "$output" == *"535 5.7.8 Authentication credentials invalid"* ]]
	run chat --pop3 "$abc_POP3" "USER bob@abc.com" "PASS wrong" \
		"USER bob@abc.com" "PASS bobpw" QUIT
	echo "$output"
	cat "$LOG"
	grep -q '^smtpd\[[0-9]*\]: auth failed client=\[127\.0\.0\.1\] service=submission user=alice@abc.com$' "$LOG"
	grep -q '^smtpd\[[0-9]*\]: auth failed client=\[127\.0\.0\.1\] service=pop3 user=bob@abc.com$' "$LOG"
	grep -q '^smtpd\[[0-9]*\]: login client=\[127\.0\.0\.1\] service=pop3 messages=0 user=bob@abc.com$' "$LOG"
	grep -q '^smtpd\[[0-9]*\]: logout client=\[127\.0\.0\.1\] service=pop3 deleted=0 left=0 user=bob@abc.com$' "$LOG"
	# smtpd(8)'s failregex, <HOST> as fail2ban makes it
	python3 - "$LOG" <<-'PY'
	import re, sys
	failregex = r"smtpd\[\d+\]: auth failed client=\[<HOST>\]"
	rx = re.compile(failregex.replace("<HOST>", r"(?P<host>[0-9a-fA-F.:]+)"))
	hosts = [m.group("host") for m in map(rx.search, open(sys.argv[1])) if m]
	sys.exit(0 if hosts == ["127.0.0.1", "127.0.0.1"] else 1)
	PY
}

@test "refused recipients are logged as reject lines with the reply" {
	daemon_start abc
	run chat "$abc_SMTP" "EHLO client.example" "MAIL FROM:<x@remote.example>" \
		"RCPT TO:<nobody@abc.com>" "RCPT TO:<y@elsewhere.example>" QUIT
	echo "$output"
	cat "$LOG"
	grep -Eq '^smtpd\[[0-9]+\]: [0-9A-F]+: reject client=\[127\.0\.0\.1\] from=<x@remote\.example> to=<nobody@abc\.com> \(550 5\.1\.1 <nobody@abc\.com>: Recipient address rejected: User unknown\)$' "$LOG"
	grep -Eq '^smtpd\[[0-9]+\]: [0-9A-F]+: reject client=\[127\.0\.0\.1\] from=<x@remote\.example> to=<y@elsewhere\.example> \(554 5\.7\.1 Relay access denied\)$' "$LOG"
	grep -Eq '^smtpd\[[0-9]+\]: disconnect client=\[127\.0\.0\.1\] service=smtp commands=5 errors=2 duration=' "$LOG"
}

@test "a bad log value is a config error naming the file and line" {
	daemon_write_conf abc
	conf=$abc_ROOT/etc/smtpd.conf
	n=$(($(wc -l <"$conf") + 1))
	echo "log file" >>"$conf"
	echo "log syslog stderr" >>"$conf"
	run "$SMTPD_BIN" -n -f "$conf"
	echo "$output"
	[ "$status" = 78 ]
	[[ "$output" == *"$conf:$n: log: expects stderr or syslog, not 'file'"* ]]
	[[ "$output" == *"$conf:$((n + 1)): log: expects 1 value"* ]]
	# and the daemon does not start with it
	run "$SMTPD_BIN" -f "$conf"
	[ "$status" = 78 ]
	[[ "$output" == *"$conf:$n: log: expects stderr or syslog, not 'file'"* ]]
}
