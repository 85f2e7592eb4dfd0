#!/usr/bin/env bats
# sendmail.bats - mailc run under the name sendmail: Postfix sendmail(1)'s
# command line (-t, -i/-oi, a lone dot, -f/-r with <>, -F, the options
# accepted and ignored, the ones refused with 64), and ~/dead.letter for
# a message the server refuses.  The real programs that call sendmail are
# t/sendmail_callers.bats.

load helpers
load sendmail_helpers

setup() {
	sendmail_setup
	FAKE_PID=
}

teardown() {
	if [ -n "$FAKE_PID" ]; then
		kill "$FAKE_PID" 2>/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
	fi
	test_teardown
}

@test "without -i a line holding a single dot ends the message; the rest is not sent" {
	printf 'Subject: dots\n\nfirst\n..two dots stay\n.\nnot part of it\n' |
		"$SENDMAIL" -f alice@example.org bob@example.org
	f=$(stored bob)
	cat "$f"
	[ "$(body_of "$f")" = "$(printf 'first\n..two dots stay')" ]
	# CRLF input: ".\r\n" ends it too
	printf 'Subject: crlf\r\n\r\none\r\n.\r\nnot this\r\n' |
		"$SENDMAIL" -f alice@example.org alice@example.org
	f=$(stored alice)
	[ "$(body_of "$f")" = "one" ]
}

@test "-i and -oi: a lone dot is an ordinary line, sent and read back as it was" {
	printf 'first\n.\nlast\n' | "$SENDMAIL" -i -f alice@example.org bob@example.org
	f=$(stored bob)
	cat "$f"
	[ "$(body_of "$f")" = "$(printf 'first\n.\nlast')" ]
	printf 'one\n.\ntwo\n' | "$SENDMAIL" -oi -f bob@example.org alice@example.org
	f=$(stored alice)
	[ "$(body_of "$f")" = "$(printf 'one\n.\ntwo')" ]
}

@test "-t takes the recipients from To, Cc and Bcc, Bcc is removed; -- ends the options" {
	printf 'To: bob@example.org\nBcc: alice@example.org\nSubject: t\n\nhi\n' |
		"$SENDMAIL" -t -i -f alice@example.org
	f=$(stored bob)
	cat "$f"
	[ "$(grep -ci '^Bcc:' "$f")" = 0 ]
	stored alice
	printf 'Subject: dashes\n\nhi\n' |
		"$SENDMAIL" -i -f alice@example.org -- bob@example.org
	[ "$(maildir_count example.org bob)" = 2 ]
}

@test "-f and -r set the envelope sender; -f '<>' is the null sender, From is still the user" {
	printf 'Subject: r\n\nhi\n' | "$SENDMAIL" -i -r alice@example.org bob@example.org
	f=$(stored bob)
	grep -qx 'Return-Path: <alice@example.org>' "$f"
	printf 'Subject: null\n\nbounce\n' |
		USER=carol "$SENDMAIL" -i -f '<>' alice@example.org
	f=$(stored alice)
	cat "$f"
	grep -qx 'Return-Path: <>' "$f"
	header_of "$f" | grep -qx "From: carol@mailc.test"
}

@test "-F and -oF name the sender in the From header mailc adds, quoted when it must be" {
	printf 'Subject: f\n\nhi\n' |
		"$SENDMAIL" -i -F 'Cron Daemon' -f alice@example.org bob@example.org
	f=$(stored bob)
	cat "$f"
	header_of "$f" | grep -qx 'From: Cron Daemon <alice@example.org>'
	printf 'Subject: f\n\nhi\n' |
		"$SENDMAIL" -i '-oFDoe, "J"' -f bob@example.org alice@example.org
	f=$(stored alice)
	header_of "$f" | grep -qx 'From: "Doe, \\"J\\"" <bob@example.org>'
	# the input's own From wins, as in sendmail
	printf 'From: Alice <alice@example.org>\n\nhi\n' |
		"$SENDMAIL" -i -F Other -f alice@example.org bob@example.org
	[ "$(maildir_count example.org bob)" = 2 ]
	[ "$(cat $(maildir_files example.org bob) | grep -c '^From: Alice <alice@example.org>$')" = 1 ]
	[ "$(cat $(maildir_files example.org bob) | grep -c 'Other')" = 0 ]
}

@test "the options Postfix accepts and ignores are accepted: -B -N -R -V -U -G -o... -bm" {
	run "$SENDMAIL" -B8BITMIME -N never -R hdrs -V envid.1 -U -G -m -n -oem -odb \
		-om -o7 -Odeliverymode=b -L label -h 10 -bm -i -f alice@example.org \
		bob@example.org <<<"Subject: ignored options"
	echo "$output"
	[ "$status" -eq 0 ]
	f=$(stored bob)
	header_of "$f" | grep -qx 'Subject: ignored options'
}

@test "an unknown option or an unsupported mode is 64 with a message, nothing read or sent" {
	for args in "-Z bob@example.org" "-bp" "-bd" "-bi" "-bv bob@example.org" "-q" \
		"-q1h" "-I" "-f"; do
		run "$SENDMAIL" $args <<<"Subject: no"
		echo "$args: $status: $output"
		[ "$status" -eq 64 ]
		[ -n "$output" ]
	done
	run "$SENDMAIL" -Z bob@example.org </dev/null
	[[ "$output" == *"unknown option -Z"* ]]
	run "$SENDMAIL" -bp </dev/null
	[[ "$output" == *"-bp: not supported"* ]]
	# no recipients and no -t
	run "$SENDMAIL" -i <<<"Subject: nobody"
	[ "$status" -eq 64 ]
	[[ "$output" == *"no recipients"* ]]
	[ "$(maildir_count example.org bob)" = 0 ]
}

@test "a bare local name is a mailbox on this host, as sendmail qualifies it" {
	FAKE_LOG=$TROOT/fake.log FAKE_READY=$TROOT/fake.ready
	export FAKE_LOG FAKE_READY
	FAKE_PORT=$(free_port)
	python3 "$BATS_TEST_DIRNAME/fake_smtp.py" "$FAKE_PORT" "220 fake" </dev/null \
		>/dev/null 2>&1 3>&- &
	FAKE_PID=$!
	wait_for 5 test -e "$FAKE_READY"
	MAILC_PORT=$FAKE_PORT run "$SENDMAIL" -i -f alice@example.org root <<<"Subject: q"
	echo "$output"; cat "$FAKE_LOG"
	[ "$status" -eq 0 ]
	grep -Eq '^RCPT TO:<root@[^>@]+>' "$FAKE_LOG"
}

@test "a message the server refuses is saved in ~/dead.letter (mbox, mode 600) and the status says so" {
	printf 'Subject: lost?\n\nFrom the start\nkeep me\n' |
		{ run "$SENDMAIL" -i -f alice@example.org nosuchuser@example.org; \
		  echo "$status" >"$TROOT/status"; echo "$output" >"$TROOT/output"; }
	cat "$TROOT/output"
	[ "$(cat "$TROOT/status")" -eq 67 ]
	grep -q "550" "$TROOT/output"
	grep -q "dead.letter" "$TROOT/output"
	[ "$(stat -c %a "$HOME/dead.letter")" = 600 ]
	cat "$HOME/dead.letter"
	head -1 "$HOME/dead.letter" | grep -Eq '^From alice@example.org [A-Z][a-z]{2} [A-Z][a-z]{2} '
	grep -qx 'Subject: lost?' "$HOME/dead.letter"
	grep -qx '>From the start' "$HOME/dead.letter"
	grep -qx 'keep me' "$HOME/dead.letter"
	# a second one is appended, not written over
	printf 'Subject: second\n\nagain\n' | "$SENDMAIL" -i nosuchuser@example.org || true
	[ "$(grep -c '^From ' "$HOME/dead.letter")" = 2 ]
	grep -qx 'Subject: lost?' "$HOME/dead.letter"
	[ "$(maildir_count example.org nosuchuser)" = 0 ]
}

@test "server down: sendmail keeps the message in the outbox and exits 0 (as Postfix's queue has it); mailc flush delivers it once" {
	local outbox=$XDG_STATE_HOME/mailc/outbox
	daemon_stop main
	printf 'Subject: while it was down\n\nkept\n' |
		{ run "$SENDMAIL" -i -f alice@example.org bob@example.org; \
		  echo "$status" >"$TROOT/status"; echo "$output" >"$TROOT/output"; }
	cat "$TROOT/output"
	[ "$(cat "$TROOT/status")" -eq 0 ]
	grep -q "message kept in the outbox" "$TROOT/output"
	[ "$(ls "$outbox/new" | wc -l)" = 1 ]
	[ ! -e "$HOME/dead.letter" ]
	daemon_start main
	run "$MAILC_BIN" flush
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$outbox/new")" ]
	body_of "$(stored bob)" | grep -qx kept
	run "$MAILC_BIN" flush
	[ "$status" -eq 0 ]
	[ "$(maildir_count example.org bob)" = 1 ]
}

@test "settings from a configuration file reach sendmail (host, port, from), as they reach mailc" {
	printf 'host 127.0.0.1\nport %s\nfrom cfg@example.org\n' "$SMTP_PORT" >"$MAILC_SYSTEM_CONF"
	chmod 644 "$MAILC_SYSTEM_CONF"
	printf 'Subject: from the file\n\nhi\n' |
		env -u MAILC_HOST -u MAILC_PORT "$SENDMAIL" -i bob@example.org
	f=$(stored bob)
	grep -qx 'Return-Path: <cfg@example.org>' "$f"
	header_of "$f" | grep -qx 'From: cfg@example.org'
}

@test "cron's -F name: From is RFC 2047-encoded when not ASCII, and Message-ID stays well-formed" {
	printf 'Subject: c\n\nhi\n' | "$SENDMAIL" -FCronDaemon -i -B8BITMIME -oem bob@example.org
	f=$(stored bob)
	cat "$f"
	header_of "$f" | grep -qx 'From: CronDaemon <root@mailc.test>' ||
		header_of "$f" | grep -Eqx 'From: CronDaemon <[^>@]+@mailc.test>'
	header_of "$f" | grep -Eqx 'Message-ID: <[0-9.]+@mailc\.test>'
	rm -f "$f"
	printf 'Subject: n\n\nhi\n' | "$SENDMAIL" -F 'Jöhn Döe' -i bob@example.org
	f=$(stored bob)
	cat "$f"
	header_of "$f" | LC_ALL=C grep -q '^From: =?UTF-8?'
	run ! LC_ALL=C grep -q $'[\x80-\xff]' <(header_of "$f")
	python3 - "$f" <<'PY'
import email, email.policy, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
assert msg["From"].addresses[0].display_name == "Jöhn Döe", msg["From"]
PY
}

@test "an option after a recipient is refused (64), not taken for a recipient; after -- it is one" {
	run "$SENDMAIL" bob@example.org -oi -f alice@example.org <<<"Subject: x"
	echo "$output"
	[ "$status" -eq 64 ]
	[[ "$output" == *"-oi after the recipients"* ]]
	[ -z "$(maildir_files example.org bob)" ]
}

@test "-t: a bare name in To (PHP's mail(\"root\", ...)) is a mailbox at the local domain" {
	printf 'To: bob\nSubject: bare\n\nhi\n' | MAILC_DOMAIN=example.org "$SENDMAIL" -t -i
	f=$(stored bob)
	header_of "$f" | grep -qx 'Subject: bare'
}

@test "a bad configuration file: sendmail says so (78) and keeps the message in ~/dead.letter" {
	printf 'hots 127.0.0.1\n' >"$MAILC_SYSTEM_CONF"
	chmod 644 "$MAILC_SYSTEM_CONF"
	printf 'Subject: cron output\n\nkeep me\n' |
		{ run "$SENDMAIL" -i bob@example.org; \
		  echo "$status" >"$TROOT/status"; echo "$output" >"$TROOT/output"; }
	cat "$TROOT/output"
	[ "$(cat "$TROOT/status")" -eq 78 ]
	grep -q "$MAILC_SYSTEM_CONF:1: unknown setting" "$TROOT/output"
	grep -qx 'keep me' "$HOME/dead.letter"
}
