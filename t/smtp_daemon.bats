#!/usr/bin/env bats
# smtp_daemon.bats - smtpd as a program (DESIGN.md §2 "Command line",
# "Processes"): -n checks the config and the accounts (exit 0 or 78, the
# problem as file:line), the log with and without -v.  SIGTERM is
# t/shutdown.bats's.

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
	qid=$(sed -n 3p "$f" | sed -n 's/.* id \([0-9A-F]*\) for .*/\1/p')
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
	# from its last connect on (the child may have served the probe too)
	grep "^smtpd\[$pid\]: " "$log" | tac | sed '/: connect client=/q' | tac |
		grep -o '127\.0\.0\.1: [<>] .*' >"$BATS_TEST_TMPDIR/got"
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
