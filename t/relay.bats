#!/usr/bin/env bats
# relay.bats - two daemons in one test: abc.com and xyz.com on their own
# loopback ports, each routing the other's domain to it (`route`).  Mail
# from alice@abc.com (logged in on abc's submission port) travels to
# xyz through abc's queue and relay child.  Covered: delivery across,
# local plus remote recipients, recipient verification at RCPT time,
# bounces (unknown user, no route) and that a bounce is never bounced,
# retries after the peer comes up, kill -9 of the master and of the relay
# child with mail queued, dot-stuffing on the way out, `smtpd -q`,
# SIGUSR1, every open-relay trick refused, the peer's 4xx and 5xx per
# recipient, queue_lifetime, and (with t/fake_smtp.py as the peer) a
# peer without PIPELINING and one that always answers 451.
#
# The helpers set `retry_delay 1s 2s`; nothing here asserts speed, only
# that a message arrives within a generous wait.

load helpers
load smtp_helpers
load relay_helpers

setup() {
	relay_setup
	daemon_conf xyz "route abc.com 127.0.0.1:$abc_SMTP"
}

teardown() {
	# a relay child orphaned by a kill -9 of its master, if it lingers
	local p
	for p in ${ORPHANS:-}; do
		kill -9 "$p" 2>/dev/null || true
	done
	fake_stop
	test_teardown
}

# the one message in NAME's DOMAIN/USER Maildir
the_message() {
	local f
	f=$(maildir_files "$2" "$3" "$1")
	[ "$(printf '%s\n' "$f" | grep -c .)" = 1 ] || {
		echo "expected one message in $1:$3@$2, found: $f" >&2
		return 1
	}
	echo "$f"
}

# the reply lines of alice_sends after the EHLO block, one recipient
ACCEPTED_ONE="235 2.7.0 Authentication successful
250 2.1.0 Sender OK
250 2.1.5 Recipient OK
354 Start mail input; end with <CRLF>.<CRLF>
250 Message received and to be delivered
221 closing connection"

# after_ehlo [CLIENT]: $output without abc's banner and its reply to
# "EHLO CLIENT" (client.abc.com), which must be those; if they are not,
# it says so instead, which no expected reply matches
after_ehlo() {
	local want
	want=$(printf '%s\n' "220 mx.abc.com ESMTP ready" \
		"$(ehlo_reply "${1:-client.abc.com}" mx.abc.com)")
	if [ "$(printf '%s\n' "$output" | head -n 7)" != "$want" ]; then
		echo "not abc's banner and EHLO reply:"
		printf '%s\n' "$output" | head -n 7
		return 1
	fi
	printf '%s\n' "$output" | tail -n +8
}

deferred_once() { grep -q "to=<$2> status=deferred" "$(log_of "$1")"; }

@test "delivery across: alice@abc.com via abc's submission port to bob@xyz.com" {
	daemon_start abc
	daemon_start xyz
	alice_sends "across" bob@xyz.com
	[ "$(after_ehlo)" = "$ACCEPTED_ONE" ]
	wait_for 10 has 1 xyz xyz.com bob
	f=$(the_message xyz xyz.com bob)
	cat "$f"
	[ "$(sed -n 1p "$f")" = "Return-Path: <alice@abc.com>" ]
	# xyz's trace line on top of abc's
	sed -n 3p "$f" | grep -Eq '^Received: from mx\.abc\.com \(\[127\.0\.0\.1\]\) by mx\.xyz\.com \(smtpd\) with ESMTP id [0-9A-F]+ for <bob@xyz.com>; '
	sed -n 4p "$f" | grep -Eq '^Received: from client\.abc\.com \(\[127\.0\.0\.1\]\) by mx\.abc\.com \(smtpd\) with ESMTPA id [0-9A-F]+ for <bob@xyz.com>; '
	# abc added what alice's message lacked (RFC 6409 §8)
	sed -n 5p "$f" | grep -Eq '^Date: '
	sed -n 6p "$f" | grep -Eq '^Message-ID: <[0-9A-F]+@mx\.abc\.com>$'
	[ "$(sed -n '7,$p' "$f")" = "From: alice@abc.com
Subject: across

Hello from abc." ]
	wait_for 10 queue_empty abc
	grep -q 'to=<bob@xyz.com> status=sent' "$(log_of abc)"
	# nothing stayed behind at abc
	has 0 abc abc.com alice
}

@test "a relayed message reaches a running peer without waiting for a retry timer" {
	# with an hour between retries, only the wake-up on queueing can do it
	daemon_conf abc "retry_delay 1h 2h"
	daemon_start abc
	daemon_start xyz
	alice_sends "woken" bob@xyz.com
	[ "$(after_ehlo)" = "$ACCEPTED_ONE" ]
	wait_for 10 has 1 xyz xyz.com bob
	grep -qx 'Subject: woken' "$(the_message xyz xyz.com bob)"
}

@test "an authenticated session on the smtp listener may relay too" {
	daemon_start abc
	daemon_start xyz
	run chat -p "$abc_SMTP" "EHLO client.abc.com" "$ALICE_AUTH" \
		"MAIL FROM:<alice@abc.com>" "RCPT TO:<bob@xyz.com>" "DATA" \
		"Subject: via 25" "" "body" "." "QUIT"
	echo "$output"
	[ "$(after_ehlo)" = "$ACCEPTED_ONE" ]
	wait_for 10 has 1 xyz xyz.com bob
}

@test "a local and a remote recipient: delivered here, queued and relayed there" {
	daemon_start abc
	daemon_start xyz
	alice_sends "both" bob@abc.com bob@xyz.com
	[ "$(after_ehlo)" = "235 2.7.0 Authentication successful
250 2.1.0 Sender OK
250 2.1.5 Recipient OK
250 2.1.5 Recipient OK
354 Start mail input; end with <CRLF>.<CRLF>
250 Message received and to be delivered
221 closing connection" ]
	# the local copy is there as soon as the 250 was given
	f=$(the_message abc abc.com bob)
	grep -qx 'Subject: both' "$f"
	grep -q 'for <bob@abc.com>;' "$f"
	grep -q 'to=<bob@abc.com> status=delivered' "$(log_of abc)"
	grep -q 'to=<bob@xyz.com> status=queued' "$(log_of abc)"
	wait_for 10 has 1 xyz xyz.com bob
	grep -qx 'Subject: both' "$(the_message xyz xyz.com bob)"
	wait_for 10 queue_empty abc
	# exactly one copy each
	has 1 abc abc.com bob
	has 1 xyz xyz.com bob
}

@test "verify_recipients: an unknown recipient is refused at RCPT, a known one accepted" {
	daemon_conf abc "verify_recipients yes"
	daemon_start abc
	daemon_start xyz
	run chat "$abc_SUBMIT" "EHLO client.abc.com" "$ALICE_AUTH" \
		"MAIL FROM:<alice@abc.com>" "RCPT TO:<nobody@xyz.com>" \
		"RCPT TO:<bob@xyz.com>" "RCPT TO:<NoBody@XYZ.com>" "QUIT"
	echo "$output"
	[ "$(after_ehlo | sed -n 1,2p)" = "235 2.7.0 Authentication successful
250 2.1.0 Sender OK" ]
	[[ "$(after_ehlo | sed -n 3p)" == "550 5.1.1 <nobody@xyz.com>: Recipient address rejected: "* ]]
	[ "$(after_ehlo | sed -n 4p)" = "250 2.1.5 Recipient OK" ]
	# the same answer for another spelling (the peer's, or the cache's)
	[[ "$(after_ehlo | sed -n 5p)" == "550 5.1.1 <NoBody@xyz.com>: Recipient address rejected: "* ]]
	[ "$(after_ehlo | sed -n 6p)" = "221 closing connection" ]
	# xyz was asked with the null sender, then RSET
	grep -q ': verify to=<nobody@xyz.com> code=550 ' "$(log_of abc)"
	grep -q ': verify to=<bob@xyz.com> code=250 ' "$(log_of abc)"
	queue_empty abc
}

@test "verify_recipients: an unreachable peer leaves the recipient accepted and queued" {
	daemon_conf abc "verify_recipients yes"
	daemon_start abc # xyz is not running
	alice_sends "peer down" bob@xyz.com
	[ "$(after_ehlo)" = "$ACCEPTED_ONE" ]
	[ "$(queue_count abc)" = 1 ]
	wait_for 10 deferred_once abc bob@xyz.com
	[ "$(queue_count abc)" = 1 ]
	has 0 abc abc.com alice
}

@test "without verification an unknown remote recipient is bounced to the sender's Maildir" {
	daemon_start abc
	daemon_start xyz
	alice_sends "to a ghost" nobody@xyz.com
	[ "$(after_ehlo)" = "$ACCEPTED_ONE" ]
	wait_for 10 has 1 abc abc.com alice
	f=$(the_message abc abc.com alice)
	cat "$f"
	[ "$(sed -n 1p "$f")" = "Return-Path: <>" ]
	grep -qx 'From: Mail Delivery System <MAILER-DAEMON@mx.abc.com>' "$f"
	grep -qx 'To: <alice@abc.com>' "$f"
	grep -qx 'Subject: Undelivered Mail Returned to Sender' "$f"
	# names the recipient and the peer's reason
	grep -Eq "^<nobody@xyz\.com>: 127\.0\.0\.1:$xyz_SMTP said: 550 5\.1\.1 <nobody@xyz\.com>: Recipient address rejected: User unknown$" "$f"
	# quotes the original headers, not the body (t/dsn.bats: the rest of
	# the report)
	sed '1,/^Content-Type: text\/rfc822-headers$/d' "$f" >"$BATS_TEST_TMPDIR/quoted"
	cat "$BATS_TEST_TMPDIR/quoted"
	grep -qx 'Subject: to a ghost' "$BATS_TEST_TMPDIR/quoted"
	grep -qx 'From: alice@abc.com' "$BATS_TEST_TMPDIR/quoted"
	grep -q '^Received: from client.abc.com' "$BATS_TEST_TMPDIR/quoted"
	run ! grep -q 'Hello from abc.' "$BATS_TEST_TMPDIR/quoted"
	wait_for 10 queue_empty abc
	has 0 xyz xyz.com nobody
}

@test "the peer down, then started: delivered after the retry" {
	daemon_start abc
	alice_sends "retried" bob@xyz.com
	[ "$(after_ehlo)" = "$ACCEPTED_ONE" ]
	wait_for 10 deferred_once abc bob@xyz.com
	grep 'status=deferred' "$(log_of abc)" | grep -q 'Connection refused'
	[ "$(queue_count abc)" = 1 ]
	daemon_start xyz
	wait_for 15 has 1 xyz xyz.com bob
	grep -qx 'Subject: retried' "$(the_message xyz xyz.com bob)"
	wait_for 10 queue_empty abc
	sleep 1
	has 1 xyz xyz.com bob
}

@test "kill -9 of the master with mail queued: delivered after the restart" {
	daemon_start abc
	alice_sends "survives kill -9" bob@xyz.com
	[ "$(after_ehlo)" = "$ACCEPTED_ONE" ]
	wait_for 10 deferred_once abc bob@xyz.com
	relay=$(relay_pid abc)
	echo "master $abc_PID, relay child $relay"
	[ -n "$relay" ]
	ORPHANS=$relay
	kill -9 "$abc_PID"
	wait "$abc_PID" 2>/dev/null || true
	# the orphaned relay child notices and exits
	wait_for 10 eval '! kill -0 '"$relay"' 2>/dev/null'
	[ "$(queue_count abc)" = 1 ]
	daemon_start abc
	daemon_start xyz
	wait_for 15 has 1 xyz xyz.com bob
	grep -qx 'Subject: survives kill -9' "$(the_message xyz xyz.com bob)"
	wait_for 10 queue_empty abc
}

@test "kill -9 of the relay child with mail queued: restarted, then delivered" {
	daemon_start abc
	alice_sends "relay child killed" bob@xyz.com
	[ "$(after_ehlo)" = "$ACCEPTED_ONE" ]
	wait_for 10 deferred_once abc bob@xyz.com
	relay=$(relay_pid abc)
	echo "master $abc_PID, relay child $relay"
	[ -n "$relay" ]
	pgrep -P "$abc_PID" | grep -qx "$relay"
	kill -9 "$relay"
	wait_for 10 grep -q "relay child $relay killed by signal 9" "$(log_of abc)"
	# the master starts a new one
	wait_for 10 eval 'r=$(relay_pid abc) && [ "$r" != '"$relay"' ]'
	echo "new relay child $(relay_pid abc)"
	[ "$(queue_count abc)" = 1 ]
	daemon_start xyz
	wait_for 15 has 1 xyz xyz.com bob
	wait_for 10 queue_empty abc
}

@test "a stored '.' line travels intact: stuffed on the way out, unstuffed at the peer" {
	daemon_start abc
	daemon_start xyz
	run chat -p "$abc_SUBMIT" "EHLO client.abc.com" "$ALICE_AUTH" \
		"MAIL FROM:<alice@abc.com>" "RCPT TO:<bob@xyz.com>" "DATA" \
		"Subject: dots" "" "before" ".." "..." "..leading dot" "after" "." "QUIT"
	echo "$output"
	[ "$(after_ehlo)" = "$ACCEPTED_ONE" ]
	wait_for 10 has 1 xyz xyz.com bob
	f=$(the_message xyz xyz.com bob)
	cat -A "$f"
	[ "$(sed '1,/^$/d' "$f")" = "before
.
..
.leading dot
after" ]
}

@test "no route for a domain: bounced with a clear reason" {
	daemon_start abc
	alice_sends "nowhere" foo@nowhere.example
	[ "$(after_ehlo)" = "$ACCEPTED_ONE" ]
	wait_for 10 has 1 abc abc.com alice
	f=$(the_message abc abc.com alice)
	cat "$f"
	[ "$(sed -n 1p "$f")" = "Return-Path: <>" ]
	grep -qx '<foo@nowhere.example>: 554 5.4.4 no route to domain nowhere.example' "$f"
	grep -qx 'Subject: nowhere' "$f"
	wait_for 10 queue_empty abc
}

@test "a bounce is never bounced" {
	# carol has an account at abc but her address is in a domain abc does
	# not host: her bounce is queued for elsewhere.example, whose route
	# (xyz) refuses it; that failure must not make a second bounce
	echo 'carol@elsewhere.example:{PLAIN}carolpw' >>"$abc_ROOT/etc/passwd"
	daemon_conf abc "route elsewhere.example 127.0.0.1:$xyz_SMTP"
	daemon_start abc
	daemon_start xyz
	run chat -p "$abc_SUBMIT" "EHLO client.abc.com" \
		"AUTH PLAIN $(plain carol@elsewhere.example carolpw)" \
		"MAIL FROM:<carol@elsewhere.example>" "RCPT TO:<nobody@xyz.com>" "DATA" \
		"Subject: double bounce" "" "body" "." "QUIT"
	echo "$output"
	[ "$(after_ehlo)" = "$ACCEPTED_ONE" ]
	# the first bounce is made and queued for carol, from <>
	wait_for 10 grep -q 'sender non-delivery notification' "$(log_of abc)"
	# xyz refuses it (relay access denied), and it is dropped, not bounced
	wait_for 15 grep -q 'a bounce could not be delivered; not bouncing it' "$(log_of abc)"
	grep -q 'to=<carol@elsewhere.example> status=bounced .*554 5.7.1 Relay access denied' "$(log_of abc)"
	wait_for 10 queue_empty abc
	[ "$(grep -c 'sender non-delivery notification' "$(log_of abc)")" = 1 ]
	[ -z "$(find "$abc_ROOT/mail" "$xyz_ROOT/mail" -type f)" ]
}

@test "smtpd -q lists id, age, size, sender, and each recipient's state and last error" {
	daemon_start abc # xyz stays down
	run "$SMTPD_BIN" -q -f "$abc_ROOT/etc/smtpd.conf"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "Mail queue is empty" ]
	alice_sends "listed" bob@xyz.com alice@xyz.com
	# both recipients tried once, and the envelope says so
	wait_for 10 eval '[ "$("$SMTPD_BIN" -q -f "$abc_ROOT/etc/smtpd.conf" | grep -c "last error")" = 2 ]'
	id=$(queued abc)
	size=$(stat -c %s "$abc_ROOT/queue/data/$id")
	run "$SMTPD_BIN" -q -f "$abc_ROOT/etc/smtpd.conf"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" = 4 ]
	[[ "${lines[0]}" =~ ^$id\ \ age\ 0h00m[0-9]{2}s\ \ size\ $size\ \ from\ \<alice@abc\.com\>\ \ attempts\ [1-9][0-9]*\ \ last\ attempt\ [0-9-]{10}\ [0-9:]{8}\ \ next\ attempt\ (now|[0-9-]{10}\ [0-9:]{8})$ ]]
	[ "${lines[1]}" = "    to <bob@xyz.com>  pending  at 127.0.0.1 [127.0.0.1]:$xyz_SMTP  last error: 127.0.0.1:$xyz_SMTP: connect to 127.0.0.1 port $xyz_SMTP: Connection refused" ]
	[ "${lines[2]}" = "    to <alice@xyz.com>  pending  at 127.0.0.1 [127.0.0.1]:$xyz_SMTP  last error: 127.0.0.1:$xyz_SMTP: connect to 127.0.0.1 port $xyz_SMTP: Connection refused" ]
	[ "${lines[3]}" = "1 message in the queue" ]
}

@test "SIGUSR1 to the master makes the relay child retry now" {
	daemon_conf abc "retry_delay 1h 2h"
	daemon_start abc
	alice_sends "usr1" bob@xyz.com
	[ "$(after_ehlo)" = "$ACCEPTED_ONE" ]
	wait_for 10 deferred_once abc bob@xyz.com
	daemon_start xyz
	# the next retry is an hour away: nothing moves by itself
	sleep 1
	has 0 xyz xyz.com bob
	kill -USR1 "$abc_PID"
	wait_for 10 has 1 xyz xyz.com bob
	grep -q 'SIGUSR1: retrying every queued message' "$(log_of abc)"
	wait_for 10 queue_empty abc
}

@test "SIGUSR1 right after SIGHUP, while the relay child restarts, is kept for the next relay child" {
	daemon_conf abc "retry_delay 1h 2h"
	daemon_start abc
	alice_sends "hup then usr1" bob@xyz.com
	[ "$(after_ehlo)" = "$ACCEPTED_ONE" ]
	wait_for 10 deferred_once abc bob@xyz.com
	daemon_start xyz
	# the reload ends the relay child; the flush must reach its successor
	kill -HUP "$abc_PID"
	kill -USR1 "$abc_PID"
	wait_for 15 has 1 xyz xyz.com bob
	wait_for 10 queue_empty abc
}

@test "SIGUSR1 while a message's worker is still at it: that message is tried again when the worker ends" {
	FAKE_PORT=$(free_port)
	daemon_conf abc "route fake.example 127.0.0.1:$FAKE_PORT" \
		"retry_delay 1h 2h" "relay_helo_timeout 30"
	# a peer that never answers: the worker waits on it
	fake_start "<silent>"
	daemon_start abc
	alice_sends "usr1 busy" bob@fake.example
	id=$(queued abc)
	[ -n "$id" ]
	wait_for 10 data_locked abc "$id"
	kill -USR1 "$abc_PID"
	wait_for 10 grep -q 'SIGUSR1: retrying every queued message (1)' "$(log_of abc)"
	# the peer goes: the attempt under way is deferred, and the flush
	# gives the message a second one at once, not in an hour
	fake_stop
	wait_for 15 eval '[ "$(grep -c "$id: to=<bob@fake.example> status=deferred" "$(log_of abc)")" -ge 2 ]'
	grep "$id: to=<bob@fake.example> status=deferred" "$(log_of abc)" | tail -n 1 |
		grep -q 'Connection refused'
}

# try_rcpt PORT RCPT: one transaction from an outside sender to RCPT
try_rcpt() {
	run chat "$1" "HELO outside.example" "MAIL FROM:<mallory@outside.example>" \
		"RCPT TO:<$2>" "DATA" "QUIT"
	echo "$output"
}

@test "no open relay: every trick to reach a remote domain without AUTH is refused" {
	daemon_start abc
	daemon_start xyz
	for rcpt in 'bob%xyz.com@abc.com' '@abc.com:bob@xyz.com' \
		'@abc.com,@mx.abc.com:bob@xyz.com' '"bob@xyz.com"@abc.com' \
		'bob@xyz.com@abc.com' 'bob@[127.0.0.1]' "bob@[127.0.0.1:$xyz_SMTP]" \
		'bob@xyz.com.' 'BOB@XYZ.COM' 'bob@Xyz.Com' 'bob@xyz.com ' \
		'"bob"@xyz.com' 'bob@abc.com@xyz.com' 'bob!xyz.com@abc.com' \
		'xyz.com!bob@abc.com'; do
		try_rcpt "$abc_SMTP" "$rcpt"
		[ "${lines[0]}" = "220 mx.abc.com ESMTP ready" ]
		[ "${lines[2]}" = "250 2.1.0 Sender OK" ]
		[[ "${lines[3]}" == 5[0-9][0-9]\ * ]]
		[ "${lines[4]}" = "503 5.5.2 Need rcpt command" ]
	done
	# the ones that parse are told exactly why
	try_rcpt "$abc_SMTP" 'BOB@XYZ.COM'
	[ "${lines[3]}" = "554 5.7.1 Relay access denied" ]
	try_rcpt "$abc_SMTP" '@abc.com:bob@xyz.com'
	[ "${lines[3]}" = "554 5.7.1 Relay access denied" ]
	try_rcpt "$abc_SMTP" 'bob@[127.0.0.1]'
	[ "${lines[3]}" = "554 5.7.1 Relay access denied" ]
	try_rcpt "$abc_SMTP" 'bob%xyz.com@abc.com'
	[ "${lines[3]}" = "550 5.1.1 <bob%xyz.com@abc.com>: Recipient address rejected: User unknown" ]
	try_rcpt "$abc_SMTP" '"bob@xyz.com"@abc.com'
	[ "${lines[3]}" = '550 5.1.1 <"bob@xyz.com"@abc.com>: Recipient address rejected: User unknown' ]
	try_rcpt "$abc_SMTP" 'bob@xyz.com.'
	[ "${lines[3]}" = "501 5.5.4 Syntax: RCPT TO:<address>" ]
	try_rcpt "$abc_SMTP" 'bob@xyz.com@abc.com'
	[ "${lines[3]}" = "501 5.5.4 Syntax: RCPT TO:<address>" ]
	# relaying after a failed AUTH
	run chat "$abc_SMTP" "EHLO outside.example" \
		"AUTH PLAIN $(plain alice@abc.com guessed)" \
		"MAIL FROM:<alice@abc.com>" "RCPT TO:<bob@xyz.com>" "DATA" "QUIT"
	echo "$output"
	[ "$(after_ehlo outside.example)" = "535 5.7.8 Authentication credentials invalid
250 2.1.0 Sender OK
554 5.7.1 Relay access denied
503 5.5.2 Need rcpt command
221 closing connection" ]
	# and on the submission port nothing without AUTH at all
	run chat "$abc_SUBMIT" "EHLO outside.example" \
		"MAIL FROM:<alice@abc.com>" "RCPT TO:<bob@xyz.com>" "QUIT"
	[ "$(after_ehlo outside.example)" = "530 5.7.0 Authentication required
503 5.5.2 Need mail command
221 closing connection" ]
	# nothing was queued or delivered anywhere: a message sent after all
	# that (legitimately) is the only one to arrive at xyz
	queue_empty abc
	[ -z "$(ls -A "$abc_ROOT/queue/data")" ]
	alice_sends "the only one" bob@xyz.com
	wait_for 10 has 1 xyz xyz.com bob
	wait_for 10 queue_empty abc
	sleep 1
	[ -z "$(find "$xyz_ROOT/mail" -type f | grep -v '/bob/new/')" ]
	has 1 xyz xyz.com bob
	grep -qx 'Subject: the only one' "$(the_message xyz xyz.com bob)"
}

@test "a bounce reaches an account added to the accounts file after the start" {
	daemon_start abc
	daemon_start xyz
	echo 'carol@abc.com:{PLAIN}carolpw' >>"$abc_ROOT/etc/passwd"
	run chat -p "$abc_SUBMIT" "EHLO client.abc.com" \
		"AUTH PLAIN $(plain carol@abc.com carolpw)" \
		"MAIL FROM:<carol@abc.com>" "RCPT TO:<nobody@xyz.com>" "DATA" \
		"Subject: new account" "" "body" "." "QUIT"
	echo "$output"
	[ "$(after_ehlo)" = "$ACCEPTED_ONE" ]
	wait_for 10 has 1 abc abc.com carol
	f=$(the_message abc abc.com carol)
	grep -qx 'To: <carol@abc.com>' "$f"
	grep -q '^<nobody@xyz.com>: .* said: 550 5.1.1 ' "$f"
}

@test "the peer's 4xx for one recipient: the others are delivered, it is retried" {
	# xyz takes one recipient per transaction: the second gets 452 4.5.3
	daemon_conf xyz "max_recipients 1"
	daemon_start abc
	daemon_start xyz
	alice_sends "one at a time" bob@xyz.com alice@xyz.com
	wait_for 10 has 1 xyz xyz.com bob
	grep -q 'to=<alice@xyz.com> status=deferred .*452 4.5.3 Too many recipients' "$(log_of abc)"
	wait_for 15 has 1 xyz xyz.com alice
	wait_for 10 queue_empty abc
	# each got it once, nobody got a bounce
	has 1 xyz xyz.com bob
	has 1 xyz xyz.com alice
	has 0 abc abc.com alice
}

@test "the peer refuses the message at MAIL (SIZE): every recipient is bounced" {
	daemon_conf xyz "max_message_size 1K"
	daemon_start abc
	daemon_start xyz
	big=$(printf 'x%.0s' $(seq 1 70))
	cmds=("EHLO client.abc.com" "$ALICE_AUTH" "MAIL FROM:<alice@abc.com>"
		"RCPT TO:<bob@xyz.com>" "RCPT TO:<alice@xyz.com>" "DATA" "Subject: big" "")
	for i in $(seq 1 30); do cmds+=("$big"); done
	cmds+=("." "QUIT")
	run chat -p "$abc_SUBMIT" "${cmds[@]}"
	echo "$output"
	[ "$(after_ehlo | tail -n 2)" = "250 Message received and to be delivered
221 closing connection" ]
	wait_for 10 has 1 abc abc.com alice
	f=$(the_message abc abc.com alice)
	cat "$f"
	grep -qx "<bob@xyz.com>: 127.0.0.1:$xyz_SMTP said: 552 5.3.4 Message size exceeds fixed limit" "$f"
	grep -qx "<alice@xyz.com>: 127.0.0.1:$xyz_SMTP said: 552 5.3.4 Message size exceeds fixed limit" "$f"
	wait_for 10 queue_empty abc
	[ -z "$(find "$xyz_ROOT/mail" -type f)" ]
}

@test "queue_lifetime: a message the peer never takes is bounced with the last error" {
	daemon_conf abc "queue_lifetime 2s"
	daemon_start abc # xyz stays down
	alice_sends "expires" bob@xyz.com
	[ "$(after_ehlo)" = "$ACCEPTED_ONE" ]
	wait_for 20 has 1 abc abc.com alice
	f=$(the_message abc abc.com alice)
	cat "$f"
	grep -qx "<bob@xyz.com>: delivery time expired (queue_lifetime): 127.0.0.1:$xyz_SMTP: connect to 127.0.0.1 port $xyz_SMTP: Connection refused" "$f"
	grep -qx 'Subject: expires' "$f"
	wait_for 10 queue_empty abc
}

@test "a peer without PIPELINING gets one command at a time" {
	FAKE_PORT=$(free_port)
	daemon_conf abc "route fake.example 127.0.0.1:$FAKE_PORT"
	fake_start "220 fake.example ESMTP"
	daemon_start abc
	alice_sends "plain peer" bob@fake.example carol@fake.example
	wait_for 10 queue_empty abc
	cat "$FAKE_LOG"
	[ "$(cat "$FAKE_LOG")" = "EHLO mx.abc.com
MAIL FROM:<alice@abc.com>
RCPT TO:<bob@fake.example>
RCPT TO:<carol@fake.example>
DATA
QUIT" ]
	grep -q 'to=<carol@fake.example> status=sent' "$(log_of abc)"
}

@test "a 451 at the end of DATA keeps the message queued, with the error" {
	FAKE_PORT=$(free_port)
	daemon_conf abc "route fake.example 127.0.0.1:$FAKE_PORT"
	fake_start "220 fake.example ESMTP" "250 fake.example" "250 ok" "250 ok" \
		"354 go ahead" "451 4.3.0 Try again later"
	daemon_start abc
	alice_sends "try later" bob@fake.example
	[ "$(after_ehlo)" = "$ACCEPTED_ONE" ]
	# tried more than once (retry_delay 1s 2s), still queued, not bounced
	wait_for 15 eval '[ "$(grep -c "to=<bob@fake.example> status=deferred" "$(log_of abc)")" -ge 2 ]'
	run "$SMTPD_BIN" -q -f "$abc_ROOT/etc/smtpd.conf"
	echo "$output"
	[ "${lines[1]}" = "    to <bob@fake.example>  pending  at 127.0.0.1 [127.0.0.1]:$FAKE_PORT  last error: 127.0.0.1:$FAKE_PORT said: 451 4.3.0 Try again later" ]
	[ "$(queue_count abc)" = 1 ]
	has 0 abc abc.com alice
}
