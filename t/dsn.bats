#!/usr/bin/env bats
# dsn.bats - standard bounces and delay notices (issue 11, RFC 3464,
# RFC 6522): each notice that reaches alice@abc.com is read by Python's
# email package (t/dsnparse.py) and every field is checked: the content
# types, report-type, the three parts, Reporting-MTA, Arrival-Date and
# per recipient Final-Recipient, Action, Status, Remote-MTA,
# Diagnostic-Code, Last-Attempt-Date (Will-Retry-Until when delayed),
# and the quoted headers.  Bounces: a peer's 550, queue_lifetime expiry
# (a peer that never answered, and one that answered 451), no route, a
# header block over the quoting limit, an envelope with "remote" as the
# MX relay writes it (HOST [ADDRESS]:PORT).  Delay notices: after
# delay_warning, once only; the 4h default; none with delay_warning 0;
# none for the null sender.
#
# abc.com relays fake.example to a scripted peer (t/fake_smtp.py) and
# down.example to a port nothing listens on.  Some tests put messages
# into abc's queue by hand, with an arrival time in the past, as
# relay_faults.bats does.  The helpers set `retry_delay 1s 2s`.

load helpers
load relay_helpers

setup() {
	relay_setup
	FAKE_PORT=$(free_port)
	DOWN_PORT=$(free_port)
	daemon_conf abc "route fake.example 127.0.0.1:$FAKE_PORT" \
		"route down.example 127.0.0.1:$DOWN_PORT"
	DSN=$TEST_ROOT/dsn.out
}

teardown() {
	fake_stop
	test_teardown
}

# the one message in alice@abc.com's Maildir, parsed into $DSN, shown
dsn_of_alice() {
	local f
	f=$(maildir_files abc.com alice abc)
	[ "$(printf '%s\n' "$f" | grep -c .)" = 1 ] || {
		echo "expected one message for alice@abc.com, found: $f" >&2
		return 1
	}
	cat "$f"
	python3 "$BATS_TEST_DIRNAME/dsnparse.py" "$f" >"$DSN"
	echo "--- dsnparse.py:"
	cat "$DSN"
}

# the report's fields (msg, parts, dsn, rcptN, boundary, defects), with
# every date's value as DATE and without the epoch lines
report() {
	grep -Ev '^(human|quoted)=|\.epoch=' "$DSN" |
		sed -E 's/^([a-z0-9]+\.[A-Za-z-]*(-Date|Will-Retry-Until))=.*/\1=DATE/'
}
human() { sed -n 's/^human=//p' "$DSN"; }
quoted() { sed -n 's/^quoted=//p' "$DSN"; }
# epoch KEY: the date field KEY ("dsn.Arrival-Date") in seconds
epoch() { sed -n "s/^$1\\.epoch=//p" "$DSN"; }

# the queue id abc gave the message queued for RCPT
qid_for() {
	sed -En "s/^smtpd\[[0-9]+\]: ([0-9A-F]+): to=<$1> status=queued .*/\1/p" \
		"$(log_of abc)" | head -n 1
}

# inject ID CREATED SENDER RCPT [HEADER...]: a message in abc's queue as
# the session would have left it, arrived at CREATED (seconds)
inject() {
	local id=$1 created=$2 sender=$3 rcpt=$4 q=$abc_ROOT/queue
	shift 4
	mkdir -p "$q/env" "$q/data" "$q/tmp"
	{
		echo "Received: from client.abc.com ([127.0.0.1]) by mx.abc.com (smtpd) with ESMTPA id $id for <$rcpt>; $(date -R -d "@$created")"
		printf '%s\n' "$@" "Subject: injected $id" "" "the body of $id"
	} >"$q/data/$id"
	printf '%s\n' "id $id" "created $created" "next $created" "attempts 0" \
		"sender $sender" "rcpt pending $rcpt" >"$q/env/$id"
}

deferrals() { grep -c "$1: to=<.*> status=deferred" "$(log_of abc)" || true; }
at_least_deferred() { [ "$(deferrals "$2")" -ge "$1" ]; }

# report_head failed|delayed QID: the report's lines before the recipients,
# for a notice about message QID from alice@abc.com
report_head() {
	local subject="Undelivered Mail Returned to Sender"
	[ "$1" = delayed ] && subject="Delayed Mail (still being retried)"
	printf '%s\n' "msg.Return-Path=<>" \
		"msg.From=Mail Delivery System <MAILER-DAEMON@mx.abc.com>" \
		"msg.To=<alice@abc.com>" "msg.Subject=$subject" \
		"msg.Auto-Submitted=auto-replied" "msg.MIME-Version=1.0" \
		"msg.type=multipart/report" "msg.report-type=delivery-status" \
		"parts=text/plain message/delivery-status text/rfc822-headers" \
		"dsn.Reporting-MTA=dns; mx.abc.com" "dsn.X-Smtpd-Queue-ID=$2" \
		"dsn.X-Smtpd-Sender=rfc822; alice@abc.com" "dsn.Arrival-Date=DATE"
}

# await_notice SECS: wait that long at most for the one message to
# alice@abc.com, then parse it (dsn_of_alice)
await_notice() {
	wait_for "$1" has 1 abc abc.com alice
	dsn_of_alice
}

@test "the peer's 550: a multipart/report bounce naming the failed recipient only, every field" {
	fake_start "220 fake.example ESMTP" "250 fake.example" "250 ok" \
		"550 5.1.1 <bob@fake.example>: no such user"
	daemon_start abc
	before=$(date +%s)
	alice_sends "to a ghost" bob@fake.example carol@fake.example
	after=$(date +%s)
	await_notice 10
	qid=$(qid_for bob@fake.example)
	[ -n "$qid" ]
	[ "$(report)" = "$(report_head failed $qid)
rcpt1.Final-Recipient=rfc822; bob@fake.example
rcpt1.Action=failed
rcpt1.Status=5.1.1
rcpt1.Remote-MTA=dns; 127.0.0.1
rcpt1.Diagnostic-Code=smtp; 550 5.1.1 <bob@fake.example>: no such user
rcpt1.Last-Attempt-Date=DATE
boundary=ok" ]
	# arrived while alice sent it; last tried after that, before now
	arrival=$(epoch dsn.Arrival-Date) last=$(epoch rcpt1.Last-Attempt-Date)
	[ "$arrival" -ge "$before" ] && [ "$arrival" -le "$after" ]
	[ "$last" -ge "$arrival" ] && [ "$last" -le "$(date +%s)" ]
	[ "$(human)" = "This is the mail system at host mx.abc.com.

I'm sorry to have to inform you that your message (queue id $qid)
could not be delivered to one or more recipients:

<bob@fake.example>: 127.0.0.1:$FAKE_PORT said: 550 5.1.1 <bob@fake.example>: no such user

The delivery report and the headers of your message are attached." ]
	# the original's header block, every line of it, and not its body
	quoted | grep -Eq "^Received: from client\.abc\.com \(\[127\.0\.0\.1\]\) by mx\.abc\.com \(smtpd\) with ESMTPA id $qid; "
	# (Date: and Message-ID: added to an AUTH submission: loops.bats)
	[ "$(quoted | tail -n +2 | grep -Ev '^(Date|Message-ID): ')" = "From: alice@abc.com
Subject: to a ghost" ]
	# carol was delivered, and is in no notice
	grep -q 'to=<carol@fake.example> status=sent' "$(log_of abc)"
	wait_for 10 queue_empty abc
}

@test "no route: Status 5.4.4, our own error as an X-Smtpd Diagnostic-Code, no Remote-MTA" {
	daemon_start abc
	alice_sends "nowhere" foo@nowhere.example
	await_notice 10
	qid=$(qid_for foo@nowhere.example)
	[ "$(report)" = "$(report_head failed $qid)
rcpt1.Final-Recipient=rfc822; foo@nowhere.example
rcpt1.Action=failed
rcpt1.Status=5.4.4
rcpt1.Diagnostic-Code=X-Smtpd; 554 5.4.4 no route to domain nowhere.example
rcpt1.Last-Attempt-Date=DATE
boundary=ok" ]
	human | grep -qx '<foo@nowhere.example>: 554 5.4.4 no route to domain nowhere.example'
	quoted | grep -qx 'Subject: nowhere'
	wait_for 10 queue_empty abc
}

@test "queue_lifetime: Status 5.4.7 for a peer never reached and for one that said 451, with its reply" {
	fake_start "220 fake.example ESMTP" "250 fake.example" "250 ok" \
		"451 4.3.0 Try again later"
	daemon_conf abc "queue_lifetime 2s"
	daemon_start abc
	alice_sends "expires" bob@down.example bob@fake.example
	await_notice 20
	qid=$(qid_for bob@fake.example)
	[ "$(report)" = "$(report_head failed $qid)
rcpt1.Final-Recipient=rfc822; bob@down.example
rcpt1.Action=failed
rcpt1.Status=5.4.7
rcpt1.Remote-MTA=dns; 127.0.0.1
rcpt1.Diagnostic-Code=X-Smtpd; delivery time expired (queue_lifetime): 127.0.0.1:$DOWN_PORT: connect to 127.0.0.1 port $DOWN_PORT: Connection refused
rcpt1.Last-Attempt-Date=DATE
rcpt2.Final-Recipient=rfc822; bob@fake.example
rcpt2.Action=failed
rcpt2.Status=5.4.7
rcpt2.Remote-MTA=dns; 127.0.0.1
rcpt2.Diagnostic-Code=smtp; 451 4.3.0 Try again later
rcpt2.Last-Attempt-Date=DATE
boundary=ok" ]
	# given up at least queue_lifetime after the arrival
	[ $(($(epoch rcpt1.Last-Attempt-Date) - $(epoch dsn.Arrival-Date))) -ge 2 ]
	human | grep -qx "<bob@fake.example>: delivery time expired (queue_lifetime): 127.0.0.1:$FAKE_PORT said: 451 4.3.0 Try again later"
	quoted | grep -qx 'Subject: expires'
	wait_for 10 queue_empty abc
}

@test "from the envelope as the MX relay records it: Remote-MTA is the host name, a reply without an enhanced code is X.0.0, other bytes are '?'" {
	# failed recipients whose bounce is not sent yet, "remote" as
	# "HOST [ADDRESS]:PORT"; the worker sends the bounce at once
	now=$(date +%s)
	inject 0AB0CDEF06 "$((now - 60))" alice@abc.com a@fake.example
	printf '%s\n' "id 0AB0CDEF06" "created $((now - 60))" "next $now" \
		"attempts 1" "tried $((now - 30))" "sender alice@abc.com" \
		"rcpt failed a@fake.example" \
		"error mx1.fake.example [192.0.2.1]:25 said: 550 no such user" \
		"remote mx1.fake.example [192.0.2.1]:25" \
		"rcpt done c@fake.example" \
		"remote mx1.fake.example [192.0.2.1]:25" \
		"rcpt failed b@fake.example" \
		"error mx2.fake.example [2001:db8::1]:25 said: 554 5.7.1 <b@fake.example>: caf$(printf '\xe9') denied" \
		"remote mx2.fake.example [2001:db8::1]:25" >"$abc_ROOT/queue/env/0AB0CDEF06"
	daemon_start abc
	await_notice 10
	[ "$(report)" = "$(report_head failed 0AB0CDEF06)
rcpt1.Final-Recipient=rfc822; a@fake.example
rcpt1.Action=failed
rcpt1.Status=5.0.0
rcpt1.Remote-MTA=dns; mx1.fake.example
rcpt1.Diagnostic-Code=smtp; 550 no such user
rcpt1.Last-Attempt-Date=DATE
rcpt2.Final-Recipient=rfc822; b@fake.example
rcpt2.Action=failed
rcpt2.Status=5.7.1
rcpt2.Remote-MTA=dns; mx2.fake.example
rcpt2.Diagnostic-Code=smtp; 554 5.7.1 <b@fake.example>: caf? denied
rcpt2.Last-Attempt-Date=DATE
boundary=ok" ]
	[ "$(epoch dsn.Arrival-Date)" = $((now - 60)) ]
	[ "$(epoch rcpt1.Last-Attempt-Date)" -ge $((now - 30)) ]
	[ "$(human | grep '^<')" = "<a@fake.example>: mx1.fake.example [192.0.2.1]:25 said: 550 no such user
<b@fake.example>: mx2.fake.example [2001:db8::1]:25 said: 554 5.7.1 <b@fake.example>: caf? denied" ]
	wait_for 10 queue_empty abc
}

@test "headers over 64 KiB: whole lines quoted up to the limit, said so; 8-bit headers marked 8bit" {
	now=$(date +%s)
	fill=$(printf 'x%.0s' $(seq 1 60))
	hdrs=("X-Latin: caf$(printf '\xe9')")
	for i in $(seq 1 1200); do hdrs+=("X-Filler-$i: $fill"); done
	inject 0AB0CDEF01 "$now" alice@abc.com foo@nowhere.example "${hdrs[@]}"
	daemon_start abc
	wait_for 10 has 1 abc abc.com alice
	dsn_of_alice >/dev/null
	f=$(maildir_files abc.com alice abc)
	report | grep -qx 'boundary=ok'
	run ! grep -q '^defects=' "$DSN"
	human | grep -qx 'The headers were cut at 64 KiB.'
	quoted | grep -qx 'X-Filler-1: x*'
	# whole lines only, at most 64 KiB of them, the last ones left out
	size=$(sed '1,/^Content-Type: text\/rfc822-headers$/d' "$f" | sed '1,/^$/d' |
		sed '/^$/,$d' | wc -c)
	[ "$size" -le 65536 ] && [ "$size" -gt $((65536 - 80)) ]
	[ "$(quoted | grep -vc '^X-Filler-[0-9]*: x\{60\}$')" = 2 ] # Received, X-Latin
	run ! grep -q 'Subject: injected' <(quoted)
	# the part and the whole are declared 8bit, as the bytes are
	quoted | grep -q '^X-Latin: caf'
	[ "$(grep -c '^Content-Transfer-Encoding: 8bit$' "$f")" = 2 ]
	wait_for 10 queue_empty abc
}

@test "delay_warning 2s with the peer saying 451: one delay notice, every field, never a second" {
	fake_start "220 fake.example ESMTP" "250 fake.example" "250 ok" \
		"451 4.3.0 Try again later"
	daemon_conf abc "delay_warning 2s"
	daemon_start abc
	alice_sends "slow" bob@fake.example
	await_notice 20
	qid=$(qid_for bob@fake.example)
	[ "$(report)" = "$(report_head delayed $qid)
rcpt1.Final-Recipient=rfc822; bob@fake.example
rcpt1.Action=delayed
rcpt1.Status=4.3.0
rcpt1.Remote-MTA=dns; 127.0.0.1
rcpt1.Diagnostic-Code=smtp; 451 4.3.0 Try again later
rcpt1.Last-Attempt-Date=DATE
rcpt1.Will-Retry-Until=DATE
boundary=ok" ]
	arrival=$(epoch dsn.Arrival-Date)
	# sent after an attempt at least delay_warning after the arrival
	[ $(($(epoch rcpt1.Last-Attempt-Date) - arrival)) -ge 2 ]
	# retried until queue_lifetime (the default, 5d) after the arrival
	[ $(($(epoch rcpt1.Will-Retry-Until) - arrival)) = 432000 ]
	[ "$(human)" = "This is the mail system at host mx.abc.com.

This is a warning only: you need not send your message again.

Your message (queue id $qid) has not been delivered to
the recipients below for 2 seconds or more.  It will be tried
again until it is 5 days old, and you will be told if it
cannot be delivered by then:

<bob@fake.example>: 127.0.0.1:$FAKE_PORT said: 451 4.3.0 Try again later

The delivery report and the headers of your message are attached." ]
	quoted | grep -qx 'Subject: slow'
	# recorded, and not sent again however often it is tried
	grep -qx 'warned 1' "$abc_ROOT/queue/env/$qid"
	n=$(deferrals "$qid")
	wait_for 20 at_least_deferred $((n + 3)) "$qid"
	has 1 abc abc.com alice
	[ "$(grep -c "$qid: sender delay notification: " "$(log_of abc)")" = 1 ]
	[ "$(queue_count abc)" = 1 ]
}

@test "the default delay_warning is 4h; none for the null sender; a message younger gets none" {
	fake_start "220 fake.example ESMTP" "250 fake.example" "250 ok" \
		"451 4.3.0 Try again later"
	now=$(date +%s)
	old=$((now - 4 * 3600 - 60)) young=$((now - 4 * 3600 + 600))
	inject 0AB0CDEF02 "$old" alice@abc.com bob@fake.example
	inject 0AB0CDEF03 "$young" alice@abc.com carol@fake.example
	inject 0AB0CDEF04 "$old" "" dave@fake.example
	daemon_start abc
	await_notice 20
	[ "$(report)" = "$(report_head delayed 0AB0CDEF02)
rcpt1.Final-Recipient=rfc822; bob@fake.example
rcpt1.Action=delayed
rcpt1.Status=4.3.0
rcpt1.Remote-MTA=dns; 127.0.0.1
rcpt1.Diagnostic-Code=smtp; 451 4.3.0 Try again later
rcpt1.Last-Attempt-Date=DATE
rcpt1.Will-Retry-Until=DATE
boundary=ok" ]
	[ "$(epoch dsn.Arrival-Date)" = "$old" ]
	[ "$(epoch rcpt1.Will-Retry-Until)" = $((old + 432000)) ]
	human | grep -qx 'the recipients below for 4 hours or more.  It will be tried'
	[ "$(quoted)" = "Received: from client.abc.com ([127.0.0.1]) by mx.abc.com (smtpd) with ESMTPA id 0AB0CDEF02 for <bob@fake.example>; $(date -R -d "@$old")
Subject: injected 0AB0CDEF02" ]
	# each tried twice more: still the one notice
	for id in 0AB0CDEF02 0AB0CDEF03 0AB0CDEF04; do
		wait_for 20 at_least_deferred 3 "$id"
	done
	has 1 abc abc.com alice
	[ "$(grep -c 'sender delay notification' "$(log_of abc)")" = 1 ]
	[ "$(queue_count abc)" = 3 ]
}

@test "delay_warning 0: no delay notice, however long the message waits" {
	fake_start "220 fake.example ESMTP" "250 fake.example" "250 ok" \
		"451 4.3.0 Try again later"
	daemon_conf abc "delay_warning 0"
	inject 0AB0CDEF05 "$(($(date +%s) - 86400))" alice@abc.com bob@fake.example
	daemon_start abc
	wait_for 20 at_least_deferred 3 0AB0CDEF05
	has 0 abc abc.com alice
	run ! grep -q 'delay notification' "$(log_of abc)"
	run ! grep -q '^warned' "$abc_ROOT/queue/env/0AB0CDEF05"
	[ "$(queue_count abc)" = 1 ]
}

@test "delay_warning: 0 and durations up to 365d accepted by smtpd -n, anything else refused" {
	# check VALUE: `smtpd -n` on abc's config with delay_warning VALUE
	check() {
		cp "$abc_ROOT/etc/extra.conf" "$abc_ROOT/etc/extra.base" 2>/dev/null || true
		daemon_conf abc "delay_warning $1"
		daemon_write_conf abc
		mv "$abc_ROOT/etc/extra.base" "$abc_ROOT/etc/extra.conf"
		run "$SMTPD_BIN" -n -f "$abc_ROOT/etc/smtpd.conf"
		echo "$output"
	}
	for v in 0 2s 30m 4h 365d; do
		check "$v"
		[ "$status" = 0 ]
	done
	for v in -1s 366d soon; do
		check "$v"
		[ "$status" = 78 ]
		echo "$output" | grep -Eq "smtpd\.conf:[0-9]+: delay_warning: bad value '$v' \(from 0 to 31536000\)$"
	done
}

@test "a bounce reaches a local sender that is an alias or a user+tag, not only an account" {
	printf '%s\n' "info@abc.com: alice" >"$abc_ROOT/etc/aliases"
	daemon_conf abc "aliases aliases" "recipient_delimiter +"
	now=$(date +%s)
	inject 0AB0CDEF21 "$now" alice+lists@abc.com x@nowhere.example
	inject 0AB0CDEF22 "$now" info@abc.com y@nowhere.example
	daemon_start abc
	wait_for 20 has 2 abc abc.com alice
	wait_for 10 queue_empty abc
	run ! grep -q 'has no mailbox: no notice' "$(log_of abc)"
	for f in $(maildir_files abc.com alice abc); do
		python3 "$BATS_TEST_DIRNAME/dsnparse.py" "$f" >"$DSN"
		grep -qx 'rcpt1.Status=5.4.4' "$DSN"
		grep -qx 'msg.Return-Path=<>' "$DSN"
		sed -n 2p "$f"
	done >"$TEST_ROOT/dt"
	sort "$TEST_ROOT/dt" >"$TEST_ROOT/dt.sorted"
	[ "$(cat "$TEST_ROOT/dt.sorted")" = "Delivered-To: alice+lists@abc.com
Delivered-To: alice@abc.com" ]
}

@test "quoted headers a strict peer takes: a line over 998 octets cut there, NUL and bare CR as '?'" {
	now=$(date +%s)
	long=$(printf 'y%.0s' $(seq 1 2000))
	inject 0AB0CDEF02 "$now" alice@abc.com foo@nowhere.example \
		"X-Long: $long" "X-Nul: a@NUL@b" "X-CR: a@CR@b" "X-After: intact"
	python3 - "$abc_ROOT/queue/data/0AB0CDEF02" <<'PY'
import sys
p = sys.argv[1]
b = open(p, "rb").read().replace(b"@NUL@", b"\0").replace(b"@CR@", b"\r")
open(p, "wb").write(b)
PY
	daemon_start abc
	wait_for 10 has 1 abc abc.com alice
	dsn_of_alice >/dev/null
	f=$(maildir_files abc.com alice abc)
	# no line of the notice over 998 octets, no NUL, no CR
	[ "$(awk 'length($0) > 998' "$f" | wc -l)" = 0 ]
	[ "$(tr -d '\000\r' <"$f" | wc -c)" = "$(wc -c <"$f")" ]
	report | grep -qx 'boundary=ok'
	# the long line cut at 998 octets, the lines after it whole
	[ "$(quoted | grep '^X-Long: ' | tr -d '\n' | wc -c)" = 998 ]
	quoted | grep -qx "X-Long: $(printf 'y%.0s' $(seq 1 990))"
	quoted | grep -qx 'X-Nul: a?b'
	quoted | grep -qx 'X-CR: a?b'
	quoted | grep -qx 'X-After: intact'
	quoted | grep -qx 'Subject: injected 0AB0CDEF02'
	wait_for 10 queue_empty abc
}
