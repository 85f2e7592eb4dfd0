#!/usr/bin/env bats
# reload.bats - SIGHUP re-reads smtpd.conf (smtpd(8) SIGNALS): a change
# is in force for the next connection, without a restart; a file with an
# error is refused, each error named (file:line) in the log, and the
# running configuration stays in force and serving.  (The accounts file
# on SIGHUP: accounts_file.bats; SIGUSR1: relay.bats, "SIGUSR1 to the
# master makes the relay child retry now"; SIGTERM: shutdown.bats.)

load helpers
load smtp_helpers

teardown() { test_teardown; }

# rcpt_reply RCPT: the reply to RCPT TO:<RCPT> from an outside sender
rcpt_reply() {
	chat "$SMTP_PORT" "HELO outside.example" \
		"MAIL FROM:<someone@outside.example>" "RCPT TO:<$1>" QUIT |
		sed -n 4p
}

reloads() {
	grep -c 'SIGHUP: re-reading' "$TROOT/smtpd.log" || true
}

# hup: SIGHUP to the master, and wait until it has re-read the file
hup() {
	local n
	n=$(reloads)
	kill -HUP "$SMTPD_PID"
	wait_for 10 eval '[ "$(reloads)" -gt '"$n"' ]'
}

@test "SIGHUP: a domain added to smtpd.conf is served from the next connection on" {
	smtpd_start
	echo 'carol@example.net:{PLAIN}carolpw' >>"$TROOT/etc/passwd"
	[ "$(rcpt_reply carol@example.net)" = "554 5.7.1 Relay access denied" ]
	echo "domain example.net" >>"$TROOT/etc/smtpd.conf"
	hup
	[ "$(rcpt_reply carol@example.net)" = "250 2.1.5 Recipient OK" ]
	run chat -p "$SMTP_PORT" "HELO outside.example" \
		"MAIL FROM:<someone@outside.example>" "RCPT TO:<carol@example.net>" \
		DATA "Subject: after the reload" "" "hello" . QUIT
	echo "$output"
	[ "${lines[5]}" = "250 Message received and to be delivered" ]
	[ "$(maildir_count example.net carol)" = 1 ]
	# the old domain is still served
	[ "$(rcpt_reply bob@example.org)" = "250 2.1.5 Recipient OK" ]
}

@test "SIGHUP: a config with errors is refused, each named in the log; the running one stays in force" {
	smtpd_start
	conf=$TROOT/etc/smtpd.conf
	echo 'carol@example.net:{PLAIN}carolpw' >>"$TROOT/etc/passwd"
	echo "domain example.net" >>"$conf"
	echo "frobnicate yes" >>"$conf"
	n=$(wc -l <"$conf")
	echo "max_clients lots" >>"$conf"
	hup
	wait_for 10 grep -q "errors, keeping the running configuration" "$TROOT/smtpd.log"
	grep -q "$conf:$n: unknown directive 'frobnicate'" "$TROOT/smtpd.log"
	grep -q "$conf:$((n + 1)): " "$TROOT/smtpd.log"
	# nothing of the refused file is in force, and the daemon serves on
	kill -0 "$SMTPD_PID"
	[ "$(rcpt_reply carol@example.net)" = "554 5.7.1 Relay access denied" ]
	[ "$(rcpt_reply bob@example.org)" = "250 2.1.5 Recipient OK" ]
	# fixed, it is taken at the next SIGHUP
	sed -i '/frobnicate\|max_clients lots/d' "$conf"
	hup
	[ "$(rcpt_reply carol@example.net)" = "250 2.1.5 Recipient OK" ]
}

@test "SIGHUP or SIGUSR1 sent to a session child (pkill -HUP smtpd) leaves its session alone" {
	local banner reply relay session
	smtpd_start
	wait_for 10 grep -q 'relay child started$' "$TROOT/smtpd.log"
	relay=$(grep 'relay child started$' "$TROOT/smtpd.log" | tail -n 1 |
		sed -E 's/^smtpd\[([0-9]+)\].*/\1/')
	exec 5<>"/dev/tcp/127.0.0.1/$SMTP_PORT"
	read -r -t 10 banner <&5
	[[ $banner == 220* ]]
	wait_for 10 eval '[ -n "$(ps -o pid= --ppid "$SMTPD_PID" | grep -vw "$relay")" ]'
	session=$(ps -o pid= --ppid "$SMTPD_PID" | grep -vw "$relay" | tr -d ' ')
	[ "$(echo "$session" | wc -l)" = 1 ]
	kill -HUP "$session"
	kill -USR1 "$session"
	printf 'HELO client.example\r\n' >&5
	read -r -t 10 reply <&5
	echo "$reply"
	[[ $reply == "250 "* ]]
	kill -0 "$session"
	printf 'QUIT\r\n' >&5
	read -r -t 10 reply <&5
	[[ $reply == 221* ]]
	exec 5>&-
}

@test "SIGHUP with queue or user changed: both need a restart, the running ones are kept" {
	local conf
	smtpd_start "route remote.example 127.0.0.1:$(free_port)"
	conf=$TROOT/etc/smtpd.conf
	echo "queue ../queue2" >>"$conf"
	echo "user daemon" >>"$conf"
	hup
	grep -q "$conf: queue .*queue2 needs a restart: keeping " "$TROOT/smtpd.log"
	grep -q "$conf: user daemon needs a restart: keeping " "$TROOT/smtpd.log"
	# mail for elsewhere still goes to the queue this master locked
	run chat -p "$SUBMIT_PORT" "EHLO client.example" \
		"AUTH PLAIN $(printf '\0alice@example.org\0alicepw' | base64 -w0)" \
		"MAIL FROM:<alice@example.org>" "RCPT TO:<bob@remote.example>" \
		DATA "Subject: after the reload" "" "hello" . QUIT
	echo "$output"
	[[ "$output" == *"250 Message received and to be delivered"* ]]
	[ "$(ls "$TROOT/queue/env" "$TROOT/queue/hold" 2>/dev/null | grep -c '^[0-9A-F]')" = 1 ]
	[ ! -d "$TROOT/queue2" ]
}
