#!/usr/bin/env bats
# outbox.bats - mailc's local outbox (issue 10): a message the server
# cannot take now is kept durably in $XDG_STATE_HOME/mailc/outbox with its
# envelope, `mailc flush` sends it exactly once, every later send flushes
# first, a refused one is moved to failed/, two flushes never send twice.
# Servers that answer 4xx/5xx on purpose are t/fake_smtp.py.

load helpers
load mailc_helpers

setup() {
	mailc_setup
	OUTBOX=$XDG_STATE_HOME/mailc/outbox
}
teardown() { mailc_teardown; }

waiting() { ls "$OUTBOX/new" 2>/dev/null | grep -c . || true; }

# send_down N: message N to bob while nothing listens on $MAILC_PORT
send_down() {
	run "$MAILC_BIN" -f alice@example.org -s "message $1" bob@example.org <<<"body $1"
	echo "$output"
	[ "$status" -eq 75 ]
}

@test "server stopped: exit 75, the message kept with its envelope; flush delivers it once" {
	daemon_stop main
	run "$MAILC_BIN" -f alice@example.org -s "kept" bob@example.org alice@example.org <<<"wait for me"
	echo "$output"
	[ "$status" -eq 75 ]
	[[ "$output" == *"mailc: message kept in the outbox, to be sent by \`mailc flush\` or the next message: $OUTBOX/new/"* ]]
	[ "$(waiting)" = 1 ]
	f=$(ls "$OUTBOX"/new/*)
	cat "$f"
	# the entry named on stderr is the file in new/
	[[ "$output" == *": $f" ]]
	[ "$(sed -n 1p "$f")" = "Mailc-Outbox: 1" ]
	[ "$(sed -n 2p "$f")" = "Mailc-Sender: <alice@example.org>" ]
	[ "$(sed -n 3p "$f")" = "Mailc-Recipient: <bob@example.org>" ]
	[ "$(sed -n 4p "$f")" = "Mailc-Recipient: <alice@example.org>" ]
	[ "$(sed -n 5p "$f")" = "" ]
	grep -qx 'Subject: kept' "$f"
	[ -z "$(ls "$OUTBOX/tmp")" ]
	[ "$(stat -c %a "$OUTBOX")" = 700 ]
	[ "$(stat -c %a "$f")" = 600 ]

	daemon_start main
	run "$MAILC_BIN" flush
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	[ "$(waiting)" = 0 ]
	m=$(maildir_files example.org bob)
	[ "$(printf '%s\n' "$m" | grep -c .)" = 1 ]
	[ "$(maildir_files example.org alice | grep -c .)" = 1 ]
	# the envelope block is stripped: the message starts with its own headers
	grep -qx 'Return-Path: <alice@example.org>' "$m"
	run ! grep -q '^Mailc-' "$m"
	sed '/^$/q' "$m" | grep -qx 'Subject: kept'
	sed '/^$/q' "$m" | grep -qx 'From: alice@example.org'
	grep -qx 'wait for me' "$m"
	# exactly once: flushing again sends nothing
	run "$MAILC_BIN" flush
	[ "$status" -eq 0 ]
	[ "$(maildir_files example.org bob | grep -c .)" = 1 ]
}

@test "flush with nothing waiting (no outbox at all) exits 0 and says nothing" {
	run "$MAILC_BIN" flush
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	run "$MAILC_BIN" flush -x
	[ "$status" -eq 64 ]
}

@test "flush while the server is still down: exit 75, the message still waits" {
	daemon_stop main
	send_down 1
	run "$MAILC_BIN" flush
	echo "$output"
	[ "$status" -eq 75 ]
	[[ "$output" == *"outbox: 1 message still waiting in $OUTBOX/new"* ]]
	[ "$(waiting)" = 1 ]
}

@test "451 from the server: the message is kept, exit 75" {
	fake_start "220 fake" "250 fake" "451 4.3.0 try again later"
	run "$MAILC_BIN" -p "$FAKE_PORT" -f alice@example.org bob@example.org <<<"x"
	echo "$output"
	[ "$status" -eq 75 ]
	[[ "$output" == *"451 4.3.0 try again later"* ]]
	[[ "$output" == *"message kept in the outbox"* ]]
	[ "$(waiting)" = 1 ]
}

@test "a recipient deferred with 4xx: the message is kept for all of them" {
	fake_start "220 fake" "250 fake" "250 ok" "250 ok" "450 4.2.0 mailbox busy"
	run "$MAILC_BIN" -p "$FAKE_PORT" -f alice@example.org bob@example.org carol@example.org <<<"x"
	echo "$output"
	[ "$status" -eq 75 ]
	f=$(ls "$OUTBOX"/new/*)
	grep -qx 'Mailc-Recipient: <bob@example.org>' "$f"
	grep -qx 'Mailc-Recipient: <carol@example.org>' "$f"
}

@test "5xx from the server: not kept" {
	daemon_stop main
	send_down 1
	fake_start "220 fake" "250 fake" "550 5.7.1 go away"
	run "$MAILC_BIN" -p "$FAKE_PORT" -f alice@example.org bob@example.org <<<"x"
	echo "$output"
	[ "$status" -eq 69 ]
	[[ "$output" == *"550 5.7.1 go away"* ]]
	[[ "$output" != *"message kept"* ]]
	# the one that waited was refused as well (moved aside); nothing added
	[ "$(waiting)" = 0 ]
	[ "$(ls "$OUTBOX/failed" | grep -c .)" = 1 ]
}

@test "the next send flushes the outbox first, oldest first, each once" {
	daemon_stop main
	send_down 1
	send_down 2
	[ "$(waiting)" = 2 ]
	daemon_start main
	run "$MAILC_BIN" -f alice@example.org -s "message 3" bob@example.org <<<"body 3"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(waiting)" = 0 ]
	files=$(maildir_files example.org bob)
	[ "$(printf '%s\n' "$files" | grep -c .)" = 3 ]
	# delivered in order: the Maildir names start with the delivery time
	order=$(for f in $files; do grep '^Subject:' "$f"; done | tr '\n' ,)
	echo "$order"
	[ "$order" = "Subject: message 1,Subject: message 2,Subject: message 3," ]
}

@test "a failed flush does not stop the new message from being tried" {
	daemon_stop main
	send_down 1
	# the flush cannot reach the server; the new message is tried, then kept
	send_down 2
	[ "$(printf '%s\n' "$output" | grep -c 'Connection refused')" = 2 ]
	[[ "${lines[1]}" == "mailc: outbox: 1 message still waiting in $OUTBOX/new" ]]
	[[ "${lines[3]}" == "mailc: message kept in the outbox"* ]]
	[ "$(waiting)" = 2 ]
	# a damaged entry fails its flush; the others and the new one go
	echo garbage >"$OUTBOX/new/0.M0P0Q0.damaged"
	daemon_start main
	run "$MAILC_BIN" -f alice@example.org -s "message 3" bob@example.org <<<"body 3"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"outbox: $OUTBOX/new/0.M0P0Q0.damaged: not an outbox entry"* ]]
	[[ "$output" == *"moved to $OUTBOX/failed/0.M0P0Q0.damaged"* ]]
	[ "$(waiting)" = 0 ]
	[ "$(maildir_files example.org bob | grep -c .)" = 3 ]
}

@test "flush: a message refused for good is moved to failed/ and named; exit 69" {
	daemon_stop main
	send_down 1
	f=$(ls "$OUTBOX"/new/*)
	fake_start "220 fake" "250 fake" "250 ok" "550 5.1.1 no such user"
	run "$MAILC_BIN" flush -p "$FAKE_PORT"
	echo "$output"
	[ "$status" -eq 69 ]
	[[ "$output" == *"550 5.1.1 no such user"* ]]
	[[ "$output" == *"outbox: message refused, moved to $OUTBOX/failed/${f##*/}"* ]]
	[ "$(waiting)" = 0 ]
	[ -f "$OUTBOX/failed/${f##*/}" ]
}

@test "flush: a deferred message stays, and the next one is still tried" {
	daemon_stop main
	send_down 1
	send_down 2
	# each connection: RCPT gets 450 (a message-level deferral, not the server's)
	fake_start "220 fake" "250 fake" "250 ok" "450 4.2.1 later"
	run "$MAILC_BIN" flush -p "$FAKE_PORT"
	echo "$output"
	[ "$status" -eq 75 ]
	[[ "$output" == *"outbox: 2 messages still waiting in $OUTBOX/new"* ]]
	[ "$(waiting)" = 2 ]
	[ "$(grep -c '^MAIL FROM' "$FAKE_LOG")" = 2 ]
	[ "$(grep -c '^DATA' "$FAKE_LOG")" = 0 ]
}

@test "flush: a server that answers 421 stops the flush at the first message" {
	daemon_stop main
	send_down 1
	send_down 2
	fake_start "220 fake" "250 fake" "421 4.3.2 shutting down"
	run "$MAILC_BIN" flush -p "$FAKE_PORT"
	echo "$output"
	[ "$status" -eq 75 ]
	[ "$(waiting)" = 2 ]
	[ "$(grep -c '^MAIL FROM' "$FAKE_LOG")" = 1 ]
}

@test "two flushes at once send each message once" {
	daemon_stop main
	for i in 1 2 3 4 5; do send_down $i; done
	[ "$(waiting)" = 5 ]
	daemon_start main
	"$MAILC_BIN" flush 2>"$TROOT/flush1.log" &
	p1=$!
	"$MAILC_BIN" flush 2>"$TROOT/flush2.log" &
	p2=$!
	"$MAILC_BIN" flush 2>"$TROOT/flush3.log" &
	p3=$!
	s1=0 s2=0 s3=0
	wait $p1 || s1=$?
	wait $p2 || s2=$?
	wait $p3 || s3=$?
	echo "flushes: $s1 $s2 $s3"
	[ "$s1$s2$s3" = 000 ]
	[ "$(waiting)" = 0 ]
	files=$(maildir_files example.org bob)
	printf '%s\n' "$files"
	[ "$(printf '%s\n' "$files" | grep -c .)" = 5 ]
}

@test "an entry still in tmp/ (a crash while writing it) is never sent" {
	daemon_stop main
	send_down 1
	# what a crash before the rename leaves: a partial file in tmp/ only
	printf 'Mailc-Outbox: 1\nMailc-Sender: <alice@example.org>\nMailc-Rec' \
		>"$OUTBOX/tmp/1.M1P1Q1.partial"
	daemon_start main
	run "$MAILC_BIN" flush
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(maildir_files example.org bob | grep -c .)" = 1 ]
}

@test "kill -9 while the message is written: no entry or a whole one" {
	daemon_stop main
	# 40 MiB: long enough to be caught in the middle of writing now and then
	python3 -c 'import sys; sys.stdout.write(("x" * 99 + "\n") * 400000)' >"$TROOT/big"
	for i in 1 2 3 4 5; do
		"$MAILC_BIN" -f alice@example.org bob@example.org <"$TROOT/big" 2>/dev/null &
		p=$!
		sleep 0.$((i * 7))
		kill -9 $p 2>/dev/null || true
		wait $p 2>/dev/null || true
	done
	for f in "$OUTBOX"/new/*; do
		[ -e "$f" ] || continue
		# a whole entry: the envelope, then the message to its last line
		[ "$(head -c 16 "$f")" = "Mailc-Outbox: 1" ]
		[ "$(tail -c 100 "$f")" = "$(tail -c 100 "$TROOT/big")" ]
	done
	# and one left alone is kept whole
	before=$(waiting)
	run "$MAILC_BIN" -f alice@example.org bob@example.org <"$TROOT/big"
	[ "$status" -eq 75 ]
	[ "$(waiting)" = $((before + 1)) ]
}

@test "an 8-bit message kept in the outbox still goes quoted-printable to a server without 8BITMIME" {
	daemon_stop main
	printf 'Grüße,\nça va ?\n' >"$TROOT/body"
	run "$MAILC_BIN" -f alice@example.org -s "kept 8bit" bob@example.org <"$TROOT/body"
	echo "$output"
	[ "$status" -eq 75 ]
	grep -q '^Mailc-8bit: ' "$OUTBOX"/new/*
	fake_start "220 fake"
	MAILC_PORT=$FAKE_PORT run "$MAILC_BIN" flush
	echo "$output"
	[ "$status" -eq 0 ]
	cat "$FAKE_DATA"
	grep -x 'MAIL FROM:<alice@example.org>' "$FAKE_LOG"
	python3 - "$FAKE_DATA" "$TROOT/body" <<'PY'
import email, email.policy, sys
raw = open(sys.argv[1], "rb").read()
for line in raw.split(b"\r\n"):
    assert max(line, default=0) < 128, line
raw = b"\n".join(l[1:] if l.startswith(b"..") else l for l in raw.split(b"\r\n"))
msg = email.message_from_bytes(raw, policy=email.policy.default)
assert not any(k.startswith("Mailc-") for k in msg.keys()), msg.keys()
assert msg["Subject"] == "kept 8bit", msg["Subject"]
assert msg["Content-Transfer-Encoding"] == "quoted-printable"
assert msg.get_content() == open(sys.argv[2], encoding="utf-8").read()
PY
}
