#!/usr/bin/env bats
# loops.bats - loops, hops and the submission fixes (issue 11, part 3):
# `max_hops` (more Received: lines than that: 554 5.4.0 at the end of
# DATA, bounced by the relay before it connects), Delivered-To: naming
# a recipient (554 5.4.6 for the whole message when every recipient
# loops; else the looping ones alone are bounced), Date: and Message-ID: added to a message
# submitted with AUTH (RFC 6409 §8), the empty line added where a
# header block ends without one, `relay_from` (Postfix's mynetworks),
# and two daemons routing a domain at each other: one bounce, a finite
# number of hops, both queues empty.

load helpers
load smtp_helpers
load relay_helpers

teardown() {
	fake_stop
	test_teardown
}

DAYS='(Mon|Tue|Wed|Thu|Fri|Sat|Sun)'
MONTHS='(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)'
DATE_RE="$DAYS, [0-9]{1,2} $MONTHS 20[0-9]{2} [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [+-][0-9]{4}"

# send_to PORT RCPT LINE...: from sender@remote.example without AUTH,
# the lines as the message (CRLF added); the replies in $output
send_to() {
	local port=$1 rcpt=$2
	shift 2
	run raw "$port" '%s\r\n' "EHLO client.example" \
		"MAIL FROM:<sender@remote.example>" "RCPT TO:<$rcpt>" DATA "$@" . QUIT
	echo "$output"
}

# received_lines N: N Received: header lines, as relays write them
received_lines() {
	local i
	for i in $(seq 1 "$1"); do
		echo "Received: from h$i.example ([192.0.2.$i]) by h$((i + 1)).example; Mon, 1 Dec 2026 00:00:0$((i % 10)) +0000"
	done
}

# the reply to the end of the data: the line before 221
end_reply() { printf '%s\n' "$output" | grep -Ev '^(221 |<closed>|<open>)' | tail -n 1; }

@test "max_hops 5: five Received: lines are accepted, six are refused with 554 5.4.0" {
	smtpd_start "max_hops 5"
	mapfile -t hops < <(received_lines 5)
	send_to "$SMTP_PORT" bob@example.org "${hops[@]}" "Subject: five" "" "body"
	[ "$(end_reply)" = "250 Message received and to be delivered" ]
	mapfile -t hops < <(received_lines 6)
	send_to "$SMTP_PORT" bob@example.org "${hops[@]}" "Subject: six" "" "body"
	[ "$(end_reply)" = "554 5.4.0 Too many hops" ]
	[ "$(maildir_count example.org bob)" = 1 ]
	grep -qx 'Subject: five' "$(stored bob)"
	grep -q 'reject .*(554 5.4.0 Too many hops)' "$TROOT/smtpd.log"
	grep -q ': 6 Received: headers, max_hops 5' "$TROOT/smtpd.log"
}

@test "the default max_hops is 50; Received: lines in the body do not count" {
	smtpd_start
	mapfile -t hops < <(received_lines 50)
	send_to "$SMTP_PORT" bob@example.org "${hops[@]}" "Subject: fifty" "" "body"
	[ "$(end_reply)" = "250 Message received and to be delivered" ]
	mapfile -t hops < <(received_lines 51)
	send_to "$SMTP_PORT" bob@example.org "${hops[@]}" "Subject: fifty-one" "" "body"
	[ "$(end_reply)" = "554 5.4.0 Too many hops" ]
	send_to "$SMTP_PORT" bob@example.org "Subject: quoted" "" "${hops[@]}"
	[ "$(end_reply)" = "250 Message received and to be delivered" ]
	[ "$(maildir_count example.org bob)" = 2 ]
}

@test "a Delivered-To: naming the recipient is a loop: 554 5.4.6, any case, folded or in <>; others are not" {
	smtpd_start
	send_to "$SMTP_PORT" bob@example.org "Delivered-To: bob@example.org" "Subject: loop" "" "x"
	[ "$(end_reply)" = "554 5.4.6 Mail loop detected" ]
	send_to "$SMTP_PORT" bob@example.org "Subject: loop" "DELIVERED-TO: <BOB@Example.ORG>" "" "x"
	[ "$(end_reply)" = "554 5.4.6 Mail loop detected" ]
	send_to "$SMTP_PORT" bob@example.org "Delivered-To:" "   bob@example.org  " "Subject: folded" "" "x"
	[ "$(end_reply)" = "554 5.4.6 Mail loop detected" ]
	[ "$(maildir_count example.org bob)" = 0 ]
	grep -q 'reject .*to=<bob@example.org> (554 5.4.6 Mail loop detected)' "$TROOT/smtpd.log"
	# one recipient of two loops: the other takes it, the looping one
	# is bounced (the tests at the end of this file)
	run raw "$SMTP_PORT" '%s\r\n' "EHLO client.example" \
		"MAIL FROM:<sender@remote.example>" "RCPT TO:<alice@example.org>" \
		"RCPT TO:<bob@example.org>" DATA "Delivered-To: bob@example.org" "" x . QUIT
	[ "$(end_reply)" = "250 Message received and to be delivered" ]
	[ "$(maildir_count example.org bob)" = 0 ]
	[ "$(maildir_count example.org alice)" = 1 ]
	grep -q 'to=<bob@example.org> status=bounced relay=none .*(554 5.4.6 Mail loop detected)' "$TROOT/smtpd.log"
	# for someone else, or in the body: no loop
	send_to "$SMTP_PORT" bob@example.org "Delivered-To: alice@example.org" \
		"Delivered-To: bob@example.org.evil" "Subject: fine" "" "x"
	[ "$(end_reply)" = "250 Message received and to be delivered" ]
	send_to "$SMTP_PORT" bob@example.org "Subject: fine" "" "Delivered-To: bob@example.org"
	[ "$(end_reply)" = "250 Message received and to be delivered" ]
	[ "$(maildir_count example.org bob)" = 2 ]
}

@test "more than 32 Delivered-To: lines are a loop whatever they name" {
	smtpd_start
	local -a dt=()
	for i in $(seq 1 33); do dt+=("Delivered-To: list$i@lists.example"); done
	send_to "$SMTP_PORT" bob@example.org "${dt[@]}" "Subject: many" "" "x"
	[ "$(end_reply)" = "554 5.4.6 Mail loop detected" ]
	send_to "$SMTP_PORT" bob@example.org "${dt[@]:1}" "Subject: 32" "" "x"
	[ "$(end_reply)" = "250 Message received and to be delivered" ]
}

# submit PORT LINE...: alice@example.org, logged in, to bob; replies in $output
submit() {
	local port=$1
	shift
	run chat -p "$port" "EHLO client.example" \
		"AUTH PLAIN $(plain alice@example.org alicepw)" \
		"MAIL FROM:<alice@example.org>" "RCPT TO:<bob@example.org>" DATA \
		"$@" . QUIT
	echo "$output"
}

@test "submission with AUTH: a missing Date: and Message-ID: are added below the trace header" {
	smtpd_start
	submit "$SUBMIT_PORT" "From: alice@example.org" "Subject: bare" "" "hello"
	[ "$(end_reply)" = "250 Message received and to be delivered" ]
	f=$(stored bob)
	cat "$f"
	qid=$(sed -n 's/.*: \([0-9A-F]*\): from=<alice@example.org> size=.*/\1/p' "$TROOT/smtpd.log")
	[ -n "$qid" ]
	grep -q '^Received: .* with ESMTPA id '"$qid" "$f"
	# right after the trace header, before what alice sent
	[[ "$(sed -n 4p "$f")" =~ ^"Date: "$DATE_RE$ ]]
	[ "$(sed -n 5p "$f")" = "Message-ID: <$qid@mx.example.org>" ]
	[ "$(sed -n '6,$p' "$f")" = "From: alice@example.org
Subject: bare

hello" ]
	# without AUTH nothing is added: a relayed message's headers are its author's
	send_to "$SMTP_PORT" bob@example.org "Subject: from outside" "" "x"
	f=$(grep -l "^Subject: from outside" $(maildir_files example.org bob))
	[ "$(grep -ci '^Date:\|^Message-ID:' "$f")" = 0 ]
	file_is <(strip_trace "$f") '%s\n' "Subject: from outside" "" "x"
}

@test "submission with AUTH: a Date: or Message-ID: already there is kept, not doubled" {
	smtpd_start
	submit "$SUBMIT_PORT" "Date: Mon, 1 Dec 2026 01:02:03 +0000" "Message-ID: <abc@client.example>" \
		"Subject: both" "" "x"
	submit "$SUBMIT_PORT" "date: Mon, 1 Dec 2026 01:02:03 +0000" "Subject: date only" "" "x"
	submit "$SUBMIT_PORT" "Subject: id only" "message-id: <def@client.example>" "" "x"
	[ "$(maildir_count example.org bob)" = 3 ]
	for f in $(maildir_files example.org bob); do
		cat "$f"
		[ "$(grep -ci '^Date:' "$f")" = 1 ]
		[ "$(grep -ci '^Message-ID:' "$f")" = 1 ]
	done
	f=$(grep -l '^Subject: both' $(maildir_files example.org bob))
	grep -qx 'Date: Mon, 1 Dec 2026 01:02:03 +0000' "$f"
	grep -qx 'Message-ID: <abc@client.example>' "$f"
	f=$(grep -l '^Subject: date only' $(maildir_files example.org bob))
	grep -Eqx 'Message-ID: <[0-9A-F]+@mx.example.org>' "$f"
	f=$(grep -l '^Subject: id only' $(maildir_files example.org bob))
	grep -Eqx "Date: $DATE_RE" "$f"
}

@test "no empty line after the header: one is added before the first line that is not a header (only there)" {
	smtpd_start
	send_to "$SMTP_PORT" bob@example.org "Subject: x" "not a header line" "second: line"
	[ "$(end_reply)" = "250 Message received and to be delivered" ]
	file_is <(strip_trace "$(stored bob)") '%s\n' "Subject: x" "" "not a header line" "second: line"
	# folded fields, obsolete "Name :" syntax and a separator: kept as they are
	rm "$(stored bob)"
	send_to "$SMTP_PORT" bob@example.org "Subject: one" "	two" "X-Old : y" "" "body"
	file_is <(strip_trace "$(stored bob)") '%s\n' "Subject: one" "	two" "X-Old : y" "" "body"
}

@test "a message with no header at all is stored with the empty line before it" {
	smtpd_start
	send_to "$SMTP_PORT" bob@example.org "hello world" "Subject: not a header here"
	file_is <(strip_trace "$(stored bob)") '%s\n' "" "hello world" "Subject: not a header here"
}

@test "a first line starting with a blank is no continuation: the body starts there" {
	smtpd_start
	send_to "$SMTP_PORT" bob@example.org " indented" "x"
	file_is <(strip_trace "$(stored bob)") '%s\n' "" " indented" "x"
}

@test "a body line longer than a DATA chunk gets the empty line before it once; a long header stays" {
	smtpd_start
	long=$(head -c 20000 /dev/zero | tr '\0' 'a')
	send_to "$SMTP_PORT" bob@example.org "Subject: long" "$long" "end"
	file_is <(strip_trace "$(stored bob)") '%s\n' "Subject: long" "" "$long" "end"
	rm "$(stored bob)"
	send_to "$SMTP_PORT" bob@example.org "X-Long: $long" "Subject: after" "" "body"
	file_is <(strip_trace "$(stored bob)") '%s\n' "X-Long: $long" "Subject: after" "" "body"
}

@test "relay_from: a client in those networks relays without AUTH, others get 554 5.7.1" {
	relay_setup
	daemon_conf abc "relay_from 10.0.0.0/8 ::1/128 192.0.2.7"
	daemon_start abc
	daemon_start xyz
	send_to "$abc_SMTP" bob@xyz.com "Subject: denied" "" "x"
	printf '%s\n' "$output" | grep -qx '554 5.7.1 Relay access denied'
	daemon_stop abc
	daemon_conf abc "relay_from 127.0.0.0/8"
	daemon_start abc
	send_to "$abc_SMTP" bob@xyz.com "Subject: allowed" "" "x"
	[ "$(end_reply)" = "250 Message received and to be delivered" ]
	wait_for 10 has 1 xyz xyz.com bob
	wait_for 10 queue_empty abc
}

# rcpt_reply HOST PORT RCPT: the reply to RCPT TO:<RCPT> after EHLO and
# MAIL, over IPv4 or IPv6 (HOST as written: 127.0.0.1, ::1)
rcpt_reply() {
	python3 - "$@" <<'PY'
import socket, sys
host, port, rcpt = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.create_connection((host, port), timeout=30)
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline().decode().rstrip("\r\n")
        if len(line) < 4 or line[3] != "-":
            return line
reply()
for cmd in ("EHLO lan.example", "MAIL FROM:<alice@example.org>", "RCPT TO:<%s>" % rcpt, "QUIT"):
    s.sendall(cmd.encode() + b"\r\n")
    r = reply()
    if cmd.startswith("RCPT"):
        print(r)
PY
}

@test "relay_from: IPv6 networks, and an IPv4 client on an IPv6 socket is matched as IPv4" {
	daemon_init main example.org
	any=$(free_port) v6=$(free_port)
	daemon_conf main "listen smtp [::]:$any" "listen smtp [::1]:$v6" \
		"relay_from 127.0.0.1/32 ::1/128"
	smtpd_start
	# ::ffff:127.0.0.1 on the [::] socket is 127.0.0.1
	[ "$(rcpt_reply 127.0.0.1 "$any" bob@remote.example)" = "250 2.1.5 Recipient OK" ]
	[ "$(rcpt_reply ::1 "$v6" bob@remote.example)" = "250 2.1.5 Recipient OK" ]
	daemon_stop main
	: >"$main_ROOT/etc/extra.conf"
	daemon_conf main "listen smtp [::]:$any" "listen smtp [::1]:$v6" \
		"relay_from 127.0.0.2/32 ::2/128 fe80::/10"
	smtpd_start
	[ "$(rcpt_reply 127.0.0.1 "$any" bob@remote.example)" = "554 5.7.1 Relay access denied" ]
	[ "$(rcpt_reply ::1 "$v6" bob@remote.example)" = "554 5.7.1 Relay access denied" ]
	[ "$(rcpt_reply 127.0.0.1 "$SMTP_PORT" bob@remote.example)" = "554 5.7.1 Relay access denied" ]
	# local recipients need no relay_from
	[ "$(rcpt_reply ::1 "$v6" bob@example.org)" = "250 2.1.5 Recipient OK" ]
}

@test "relay_from: bad networks are refused by smtpd -n, naming the line" {
	smtpd_start
	cp "$TROOT/etc/smtpd.conf" "$TROOT/etc/bad.conf"
	printf '%s\n' "relay_from 127.0.0.1/8" "relay_from 10.0.0.0/33 ::1/129" \
		"relay_from example.org" "relay_from" "max_hops 0" >>"$TROOT/etc/bad.conf"
	run "$SMTPD_BIN" -n -f "$TROOT/etc/bad.conf"
	echo "$output"
	[ "$status" = 78 ]
	n=$(wc -l <"$TROOT/etc/smtpd.conf")
	[[ $output == *"bad.conf:$((n + 1)): relay_from: 127.0.0.1/8: host bits set beyond the prefix length"* ]]
	[[ $output == *"bad.conf:$((n + 2)): relay_from: 10.0.0.0/33: bad prefix length (0 to 32)"* ]]
	[[ $output == *"bad.conf:$((n + 2)): relay_from: ::1/129: bad prefix length (0 to 128)"* ]]
	[[ $output == *"bad.conf:$((n + 3)): relay_from: example.org: not an IPv4 or IPv6 address"* ]]
	[[ $output == *"bad.conf:$((n + 4)): relay_from: expects at least one network"* ]]
	[[ $output == *"bad.conf:$((n + 5)): max_hops: bad value '0'"* ]]
}

@test "the relay bounces a queued message over max_hops before it connects" {
	relay_setup
	daemon_conf abc "max_hops 8"
	daemon_start abc
	daemon_start xyz
	# 8 arrive (accepted), abc's own makes 9: no peer would take it
	mapfile -t hops < <(received_lines 8)
	alice_hops() {
		run chat -p "$abc_SUBMIT" "EHLO client.abc.com" "$ALICE_AUTH" \
			"MAIL FROM:<alice@abc.com>" "RCPT TO:<bob@xyz.com>" DATA \
			"${hops[@]}" "Subject: far" "" "x" . QUIT
		echo "$output"
	}
	alice_hops
	[ "$(end_reply)" = "250 Message received and to be delivered" ]
	wait_for 10 has 1 abc abc.com alice
	wait_for 10 queue_empty abc
	f=$(maildir_files abc.com alice abc)
	cat "$f"
	grep -q '5\.4\.0' "$f"
	grep -q 'Too many hops' "$f"
	grep -q 'to=<bob@xyz.com> status=bounced .*554 5.4.0 Too many hops (9 Received: headers, max_hops 8)' "$(log_of abc)"
	# xyz was never asked (daemon_start's probe connects, says nothing)
	! grep -Eq 'disconnect .* commands=[1-9]' "$(log_of xyz)" || false
	has 0 xyz xyz.com bob
}

@test "a relay_from client's message that the peer refuses as a loop (554 5.4.6) is bounced" {
	relay_setup
	FAKE_PORT=$(free_port)
	daemon_conf abc "route fake.example 127.0.0.1:$FAKE_PORT" "relay_from 127.0.0.1"
	fake_start "220 fake.example ESMTP" "250 fake.example" "250 ok" "250 ok" \
		"354 go ahead" "554 5.4.6 Mail loop detected"
	daemon_start abc
	# a LAN host relaying through abc (no AUTH) for alice@abc.com
	run raw "$abc_SMTP" '%s\r\n' "EHLO lan.abc.com" "MAIL FROM:<alice@abc.com>" \
		"RCPT TO:<bob@fake.example>" DATA "Subject: looped" "" "x" . QUIT
	echo "$output"
	[ "$(end_reply)" = "250 Message received and to be delivered" ]
	wait_for 10 has 1 abc abc.com alice
	wait_for 10 queue_empty abc
	grep -q '5\.4\.6' "$(maildir_files abc.com alice abc)"
	grep -q "to=<bob@fake.example> status=bounced .*said: 554 5.4.6 Mail loop detected" "$(log_of abc)"
}

# loop_setup [MAX_HOPS]: abc and xyz each route loop.example to the
# other and take relaying from loopback; xyz routes abc.com home
loop_setup() {
	relay_setup
	daemon_conf abc "route loop.example 127.0.0.1:$xyz_SMTP" "relay_from 127.0.0.0/8"
	daemon_conf xyz "route loop.example 127.0.0.1:$abc_SMTP" "relay_from 127.0.0.0/8" \
		"route abc.com 127.0.0.1:$abc_SMTP"
	if [ -n "${1:-}" ]; then
		daemon_conf abc "max_hops $1"
		daemon_conf xyz "max_hops $1"
	fi
	daemon_start abc
	daemon_start xyz
}

# hops RCPT: how many times RCPT's message was passed on, both logs
hops() { cat "$(log_of abc)" "$(log_of xyz)" | grep -c "to=<$1> status=sent" || true; }

# loop_ends MAX: one bounce for alice, both queues empty, at most MAX+1 hops
loop_ends() {
	local max=$1 n
	wait_for 60 has 1 abc abc.com alice
	wait_for 30 queue_empty abc
	wait_for 30 queue_empty xyz
	n=$(hops nobody@loop.example)
	echo "hops: $n"
	# the whole story when it fails (dump_logs shows only the ends)
	grep -h 'loop\.example\|bounce\|removed' "$(log_of abc)" "$(log_of xyz)" || true
	[ "$n" -ge 1 ] && [ "$n" -le $((max + 1)) ]
	# the queues are empty: nothing more is coming
	has 1 abc abc.com alice
	f=$(maildir_files abc.com alice abc)
	grep -q '^Return-Path: <>' "$f"
	grep -q '5\.4\.0' "$f"
	grep -q 'nobody@loop.example' "$f"
}

@test "two daemons routing a domain at each other: one bounce, at most max_hops+1 hops, queues empty" {
	loop_setup 8
	alice_sends "round and round" nobody@loop.example
	[ "$(end_reply)" = "250 Message received and to be delivered" ]
	loop_ends 8
}

@test "the same loop with the default max_hops (50)" {
	loop_setup
	alice_sends "round and round" nobody@loop.example
	[ "$(end_reply)" = "250 Message received and to be delivered" ]
	loop_ends 50
}

@test "an alias that forwards to itself through the other daemon: one bounce, queues empty" {
	test_root
	relay_setup
	echo "loop@abc.com: loop@xyz.com" >"$abc_ROOT/etc/aliases"
	echo "loop@xyz.com: loop@abc.com" >"$xyz_ROOT/etc/aliases"
	daemon_conf abc "aliases aliases" "max_hops 20"
	daemon_conf xyz "aliases aliases" "max_hops 20" "route abc.com 127.0.0.1:$abc_SMTP"
	daemon_start abc
	daemon_start xyz
	alice_sends "forward me" loop@abc.com
	[ "$(end_reply)" = "250 Message received and to be delivered" ]
	wait_for 60 has 1 abc abc.com alice
	wait_for 30 queue_empty abc
	wait_for 30 queue_empty xyz
	has 1 abc abc.com alice
	f=$(maildir_files abc.com alice abc)
	grep -q '^Return-Path: <>' "$f"
	grep -q '5\.4\.6' "$f"
	# refused by the Delivered-To: check long before max_hops
	n=$(cat "$(log_of abc)" "$(log_of xyz)" | grep -c 'status=sent' || true)
	[ "$n" -ge 1 ] && [ "$n" -le 4 ]
}

# loop_half_setup: abc (with carol@abc.com too) relaying xyz.com to xyz
loop_half_setup() {
	relay_setup
	echo 'carol@abc.com:{PLAIN}carolpw' >>"$abc_ROOT/etc/passwd"
	daemon_start abc
	daemon_start xyz
}

# alice_loops RCPT...: alice@abc.com submits a message that already
# went through bob@abc.com's mailbox (its Delivered-To:) to RCPT...
alice_loops() {
	local r cmds=("EHLO client.abc.com" "$ALICE_AUTH" "MAIL FROM:<alice@abc.com>")
	for r in "$@"; do cmds+=("RCPT TO:<$r>"); done
	cmds+=(DATA "Delivered-To: bob@abc.com" "From: alice@abc.com" "Subject: half a loop"
		"" "x" . QUIT)
	run chat -p "$abc_SUBMIT" "${cmds[@]}"
	echo "$output"
}

# the one bounce alice@abc.com got, parsed by dsnparse.py, names
# bob@abc.com alone, failed with 5.4.6, and quotes the headers
bounce_names_bob() {
	local f
	f=$(maildir_files abc.com alice abc)
	cat "$f"
	python3 "$BATS_TEST_DIRNAME/dsnparse.py" "$f" >"$TEST_ROOT/dsn.out"
	cat "$TEST_ROOT/dsn.out"
	d() { grep -x "$1" "$TEST_ROOT/dsn.out"; }
	d 'msg.Return-Path=<>'
	d 'msg.type=multipart/report'
	d 'msg.report-type=delivery-status'
	d 'parts=text/plain message/delivery-status text/rfc822-headers'
	d 'human=<bob@abc.com>: 554 5.4.6 Mail loop detected'
	d 'rcpt1.Final-Recipient=rfc822; bob@abc.com'
	d 'rcpt1.Action=failed'
	d 'rcpt1.Status=5.4.6'
	d 'rcpt1.Diagnostic-Code=X-Smtpd; 554 5.4.6 Mail loop detected'
	[ "$(grep -c '^rcpt[0-9]*\.Final-Recipient=' "$TEST_ROOT/dsn.out")" = 1 ]
	d 'quoted=Delivered-To: bob@abc.com'
	d 'quoted=Subject: half a loop'
	d 'boundary=ok'
	! grep -q '^defects=' "$TEST_ROOT/dsn.out" || false
}

@test "one looping recipient of two local ones: the other gets it, the looping one is bounced (5.4.6), queue empty" {
	loop_half_setup
	alice_loops bob@abc.com carol@abc.com
	[ "$(end_reply)" = "250 Message received and to be delivered" ]
	wait_for 10 has 1 abc abc.com alice
	wait_for 10 queue_empty abc
	has 1 abc abc.com carol
	has 0 abc abc.com bob
	grep -qx 'Subject: half a loop' "$(maildir_files abc.com carol abc)"
	bounce_names_bob
	grep -q 'to=<carol@abc.com> status=delivered relay=local' "$(log_of abc)"
	grep -q 'to=<bob@abc.com> status=bounced relay=none .*(554 5.4.6 Mail loop detected)' "$(log_of abc)"
	grep -q 'Delivered-To: <bob@abc.com> already there' "$(log_of abc)"
	# exactly one bounce, also once the queue is empty
	[ "$(grep -c 'sender non-delivery notification' "$(log_of abc)")" = 1 ]
	has 1 abc abc.com alice
}

@test "one looping recipient with a remote one: the remote one is relayed, the looping one bounced once" {
	loop_half_setup
	alice_loops bob@xyz.com bob@abc.com
	[ "$(end_reply)" = "250 Message received and to be delivered" ]
	wait_for 10 has 1 xyz xyz.com bob
	wait_for 10 has 1 abc abc.com alice
	wait_for 10 queue_empty abc
	has 0 abc abc.com bob
	f=$(maildir_files xyz.com bob xyz)
	grep -qx 'Subject: half a loop' "$f"
	# the queued copy got no Delivered-To: of its own for the looping one
	[ "$(grep -c '^Delivered-To: bob@abc.com$' "$f")" = 1 ]
	bounce_names_bob
	grep -q 'to=<bob@xyz.com> status=sent' "$(log_of abc)"
	grep -q 'to=<bob@abc.com> status=bounced relay=none .*(554 5.4.6 Mail loop detected)' "$(log_of abc)"
	[ "$(grep -c 'sender non-delivery notification' "$(log_of abc)")" = 1 ]
}

@test "every recipient looping: the message is refused at DATA with 554 5.4.6, each named in the log" {
	loop_half_setup
	cmds=("EHLO client.abc.com" "$ALICE_AUTH" "MAIL FROM:<alice@abc.com>"
		"RCPT TO:<bob@abc.com>" "RCPT TO:<carol@abc.com>" DATA
		"Delivered-To: carol@abc.com" "Delivered-To: <BOB@abc.com>" "Subject: all loop" "" x . QUIT)
	run chat -p "$abc_SUBMIT" "${cmds[@]}"
	echo "$output"
	[ "$(end_reply)" = "554 5.4.6 Mail loop detected" ]
	qid=$(sed -En 's/.*: ([0-9A-F]+): Delivered-To: <carol@abc.com> already there/\1/p' "$(log_of abc)")
	[ -n "$qid" ]
	grep -q "$qid: Delivered-To: <bob@abc.com> already there" "$(log_of abc)"
	grep -q "$qid: reject .* nrcpt=2 (554 5.4.6 Mail loop detected)" "$(log_of abc)"
	! grep -q "$qid: to=" "$(log_of abc)" || false
	queue_empty abc
	has 0 abc abc.com carol
	has 0 abc abc.com bob
	has 0 abc abc.com alice
}
