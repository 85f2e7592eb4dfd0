#!/usr/bin/env bats
# mailc.bats - the sending side of mailc: a message piped in, what lands in
# the Maildir, the exit statuses of sysexits.h, the -v trace, and the
# interactive mode driven through a pseudo-terminal (t/pty_mailc.py).
# Servers that misbehave on purpose are t/fake_smtp.py.

load helpers
load mailc_helpers

setup() { mailc_setup; }
teardown() { mailc_teardown; }

@test "a piped message is delivered with From, To, Subject, Date and Message-ID" {
	run "$MAILC_BIN" -f alice@example.org -s "Lunch on Friday" bob@example.org \
		<<<"Shall we meet at noon?"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	f=$(stored bob)
	cat "$f"
	grep -qx 'Return-Path: <alice@example.org>' "$f"
	header_of "$f" | grep -qx 'From: alice@example.org'
	header_of "$f" | grep -qx 'To: bob@example.org'
	header_of "$f" | grep -qx 'Subject: Lunch on Friday'
	header_of "$f" | grep -Eqx 'Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{4}'
	# the sender's domain, fully qualified (issue 10), not the bare host name
	header_of "$f" | grep -Eqx "Message-ID: <[0-9.]+@example.org>"
	[ "$(body_of "$f")" = "Shall we meet at noon?" ]
}

@test "the sender defaults to \$USER@hostname, and MAILC_HOST/MAILC_PORT pick the server" {
	USER=carol run "$MAILC_BIN" alice@example.org <<<"hi"
	[ "$status" -eq 0 ]
	f=$(stored alice)
	grep -qx "Return-Path: <carol@mailc.test>" "$f"
	header_of "$f" | grep -qx "From: carol@mailc.test"
	# no Subject unless -s or the input gives one
	[ "$(header_of "$f" | grep -ci '^Subject:')" = 0 ]
}

@test "-H and -p override MAILC_HOST and MAILC_PORT" {
	MAILC_HOST=no.such.host.invalid MAILC_PORT=1 \
		run "$MAILC_BIN" -H 127.0.0.1 -p "$SMTP_PORT" -f bob@example.org alice@example.org <<<"hi"
	echo "$output"
	[ "$status" -eq 0 ]
	stored alice
}

@test "the input's own headers are kept; only the missing ones are added" {
	printf 'Subject: Own subject\nX-Mailer: test\nFrom: Alice Example <alice@example.org>\n\nBody text\n' |
		"$MAILC_BIN" -f alice@example.org -s "ignored" bob@example.org
	f=$(stored bob)
	cat "$f"
	[ "$(grep -c '^Subject:' "$f")" = 1 ]
	header_of "$f" | grep -qx 'Subject: Own subject'
	header_of "$f" | grep -qx 'X-Mailer: test'
	header_of "$f" | grep -qx 'From: Alice Example <alice@example.org>'
	[ "$(grep -c '^From:' "$f")" = 1 ]
	header_of "$f" | grep -qx 'To: bob@example.org'
	header_of "$f" | grep -q '^Date: '
	header_of "$f" | grep -q '^Message-ID: <'
	[ "$(body_of "$f")" = "Body text" ]
}

@test "input that does not start with a header is all body" {
	printf 'http://example.com/ is down\nNote: again\n' |
		"$MAILC_BIN" -f alice@example.org bob@example.org
	f=$(stored bob)
	cat "$f"
	header_of "$f" | grep -qx 'From: alice@example.org'
	[ "$(body_of "$f")" = "$(printf 'http://example.com/ is down\nNote: again')" ]
}

@test "Bcc headers are stripped (folded lines too) and -t still delivers to them" {
	run "$MAILC_BIN" -t -f alice@example.org <<-'EOF'
	To: Alice <alice@example.org>
	Bcc: "Bob B." <bob@example.org>,
	   carol-hidden@example.org (folded)
	Subject: secret

	hush
	EOF
	echo "$output"
	# carol is not a user here: 67, and nobody got it
	[ "$status" -eq 67 ]
	[[ "$output" == *"mailc: carol-hidden@example.org: 550 5.1.1"* ]]
	[ -z "$(maildir_files example.org alice)" ]

	printf 'To: Alice <alice@example.org>\nBcc: "Bob B." <bob@example.org>,\n   bob@example.org (folded)\nSubject: secret\n\nhush\n' |
		"$MAILC_BIN" -t -f alice@example.org
	for u in alice bob; do
		f=$(stored $u)
		cat "$f"
		run ! grep -qi '^bcc' "$f"
		run ! grep -q 'folded' "$f"
		[ "$(header_of "$f" | grep -v '^Received:\|^Return-Path:\|^Delivered-To:' | grep -c 'bob@example.org')" = 0 ]
		header_of "$f" | grep -qx 'Subject: secret'
		[ "$(body_of "$f")" = "hush" ]
	done
}

@test "-b recipients get the message but appear in no header" {
	run "$MAILC_BIN" -f alice@example.org -b bob@example.org alice@example.org <<<"blind"
	[ "$status" -eq 0 ]
	# both have it, and no header names bob in either copy: the trace lines
	# aside, as bob's own say "for <bob@example.org>" and "Delivered-To:"
	for u in alice bob; do
		f=$(stored $u)
		cat "$f"
		header_of "$f" | grep -qx 'To: alice@example.org'
		[ "$(header_of "$f" | grep -v '^Received:\|^Return-Path:\|^Delivered-To:' | grep -c 'bob@example.org')" = 0 ]
		[ "$(body_of "$f")" = "blind" ]
	done
}

@test "-t takes the recipients from To and Cc (names, folded lines, groups)" {
	run "$MAILC_BIN" -t -f alice@example.org <<-'EOF'
	To: "Example, Alice" <alice@example.org> (herself),
	 friends: bob@example.org;
	Cc: Bob <bob@example.org>
	Subject: list

	to both
	EOF
	echo "$output"
	[ "$status" -eq 0 ]
	fa=$(stored alice)
	fb=$(stored bob)
	header_of "$fa" | grep -qx 'To: "Example, Alice" <alice@example.org> (herself),'
	header_of "$fa" | grep -qx 'Cc: Bob <bob@example.org>'
	[ "$(body_of "$fb")" = "to both" ]
}

@test "-t with no recipient in the headers exits 64" {
	run "$MAILC_BIN" -t -f alice@example.org <<<"Subject: nobody"
	echo "$output"
	[ "$status" -eq 64 ]
	[[ "$output" == *"no recipients"* ]]
}

@test "-c adds a Cc header and the recipient gets the message" {
	run "$MAILC_BIN" -f alice@example.org -c bob@example.org -s cc alice@example.org <<<"copy"
	[ "$status" -eq 0 ]
	f=$(stored bob)
	header_of "$f" | grep -qx 'To: alice@example.org'
	header_of "$f" | grep -qx 'Cc: bob@example.org'
	stored alice
}

@test "-c extends the input's own Cc header" {
	printf 'Subject: x\nCc: carol@example.org\n\nbody\n' |
		"$MAILC_BIN" -f alice@example.org -c bob@example.org alice@example.org
	f=$(stored bob)
	cat "$f"
	header_of "$f" | grep -qx 'Cc: carol@example.org, bob@example.org'
	[ "$(grep -c '^Cc:' "$f")" = 1 ]
}

@test "dot lines in the body arrive byte-exact" {
	printf 'Subject: dots\n\n.\n..\n...\n.hidden\nend\n.\n' >"$TROOT/in"
	"$MAILC_BIN" -f alice@example.org bob@example.org <"$TROOT/in"
	f=$(stored bob)
	cat "$f"
	cmp <(body_of "$f") <(body_of "$TROOT/in")
}

@test "CRLF line ends in the input are stored as LF" {
	printf 'Subject: crlf\r\n\r\nline one\r\nline two\r\n' |
		"$MAILC_BIN" -f alice@example.org bob@example.org
	f=$(stored bob)
	cat -A "$f"
	run ! grep -q $'\r' "$f"
	header_of "$f" | grep -qx 'Subject: crlf'
	[ "$(body_of "$f")" = "$(printf 'line one\nline two')" ]
}

@test "a last line without a newline is kept" {
	printf 'no newline at the end' | "$MAILC_BIN" -f alice@example.org bob@example.org
	f=$(stored bob)
	[ "$(body_of "$f")" = "no newline at the end" ]
}

@test "-v prints each command, each reply and its RTT" {
	run "$MAILC_BIN" -v -f alice@example.org bob@example.org <<<"traced"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "< 220 mx.example.org ESMTP ready" ]
	[[ "${lines[1]}" =~ ^RTT\ =\ [0-9]+\.[0-9][0-9]\ ms$ ]]
	[[ "$output" == *"> EHLO $(hostname)"* ]]
	echo "$output" | grep -Eqx '> MAIL FROM:<alice@example.org> SIZE=[0-9]+'
	echo "$output" | grep -qx '< 250 2.1.0 Sender OK'
	echo "$output" | grep -qx '> RCPT TO:<bob@example.org>'
	echo "$output" | grep -qx '< 250 2.1.5 Recipient OK'
	echo "$output" | grep -qx '> \.'
	echo "$output" | grep -qx '< 250 Message received and to be delivered'
	echo "$output" | grep -qx '< 221 closing connection'
	[ "$(echo "$output" | grep -Ec '^RTT = [0-9]+\.[0-9]{2} ms$')" -ge 7 ]
}

@test "exit 64: no recipient, a bad option, a bad port" {
	run "$MAILC_BIN" -f alice@example.org </dev/null
	echo "$output"
	[ "$status" -eq 64 ]
	[[ "$output" == *"mailc: no recipients"* ]]
	[[ "$output" == *"usage: mailc"* ]]
	run "$MAILC_BIN" -Q bob@example.org </dev/null
	[ "$status" -eq 64 ]
	run "$MAILC_BIN" -p 99999 bob@example.org </dev/null
	[ "$status" -eq 64 ]
	[[ "$output" == *"bad port"* ]]
}

@test "exit 65: a malformed address, on the command line or in a header" {
	run "$MAILC_BIN" -f alice@example.org 'bob@@example.org' <<<"x"
	echo "$output"
	[ "$status" -eq 65 ]
	[[ "$output" == *"mailc: bad address in recipient: bob@@example.org"* ]]
	run "$MAILC_BIN" -f 'not an address' bob@example.org <<<"x"
	[ "$status" -eq 65 ]
	[[ "$output" == *"bad sender address"* ]]
	run "$MAILC_BIN" -t -f alice@example.org <<<"To: bob@example.org, <broken"
	[ "$status" -eq 65 ]
	[[ "$output" == *"bad address in To header"* ]]
	[ -z "$(maildir_files example.org bob)" ]
}

@test "exit 65: CR or LF in an address cannot smuggle in another recipient" {
	run "$MAILC_BIN" -f alice@example.org $'bob@example.org\r\nRCPT TO:<alice@example.org>' <<<"x"
	echo "$output"
	[ "$status" -eq 65 ]
	[[ "$output" == *"mailc: bad address in recipient: control characters"* ]]
	run "$MAILC_BIN" -f alice@example.org -c $'bob@example.org\nRCPT TO:<alice@example.org>' bob@example.org <<<"x"
	[ "$status" -eq 65 ]
	[[ "$output" == *"mailc: bad address in -c: control characters"* ]]
	run "$MAILC_BIN" -t -f alice@example.org <<<$'To: bob@example.org\x1b, alice@example.org\n\nx'
	[ "$status" -eq 65 ]
	[[ "$output" == *"mailc: bad address in To header: control characters"* ]]
	[ -z "$(maildir_files example.org alice)" ]
	[ -z "$(maildir_files example.org bob)" ]
}

@test "exit 65: a message over 64 MiB is refused before connecting" {
	run "$MAILC_BIN" -p 1 bob@example.org < <(head -c $((64 * 1024 * 1024 + 1)) /dev/zero)
	echo "$output"
	[ "$status" -eq 65 ]
	[[ "$output" == *"message too big"* ]]
}

@test "exit 67: every refused recipient is named and nobody gets the message" {
	run "$MAILC_BIN" -f alice@example.org bob@example.org nobody@example.org ghost@example.org <<<"x"
	echo "$output"
	[ "$status" -eq 67 ]
	[[ "$output" == *"mailc: nobody@example.org: 550 5.1.1"* ]]
	[[ "$output" == *"mailc: ghost@example.org: 550 5.1.1"* ]]
	[ -z "$(maildir_files example.org bob)" ]
}

@test "exit 75: nothing listening (the message waits in the outbox)" {
	port=$(free_port)
	run "$MAILC_BIN" -p "$port" -f alice@example.org bob@example.org <<<"x"
	echo "$output"
	[ "$status" -eq 75 ]
	[[ "${lines[0]}" == "mailc: connect to 127.0.0.1 port $port: Connection refused" ]]
	[[ "${lines[1]}" == "mailc: message kept in the outbox"* ]]
}

@test "exit 69: a server that answers 554 at once" {
	fake_start "554 5.3.2 no service here"
	run "$MAILC_BIN" -p "$FAKE_PORT" -f alice@example.org bob@example.org <<<"x"
	echo "$output"
	[ "$status" -eq 69 ]
	[[ "$output" == *"554 5.3.2 no service here"* ]]
}

@test "exit 69: a server that does not speak SMTP" {
	fake_start "HTTP/1.1 400 Bad Request"
	run "$MAILC_BIN" -p "$FAKE_PORT" -f alice@example.org bob@example.org <<<"x"
	echo "$output"
	[ "$status" -eq 69 ]
	[[ "$output" == *"malformed reply: HTTP/1.1 400 Bad Request"* ]]
}

@test "exit 75: 421 at the banner" {
	fake_start "421 4.3.2 too busy"
	run "$MAILC_BIN" -p "$FAKE_PORT" -f alice@example.org bob@example.org <<<"x"
	echo "$output"
	[ "$status" -eq 75 ]
	[[ "$output" == *"421 4.3.2 too busy"* ]]
}

@test "exit 75: 451 to MAIL FROM" {
	fake_start "220 fake ESMTP" "250 fake" "451 4.3.0 try again later"
	run "$MAILC_BIN" -p "$FAKE_PORT" -f alice@example.org bob@example.org <<<"x"
	echo "$output"
	[ "$status" -eq 75 ]
	[[ "$output" == *"MAIL FROM:<alice@example.org>: 451 4.3.0 try again later"* ]]
	grep -qx QUIT "$FAKE_LOG"
}

@test "exit 75: a recipient deferred with 4xx; the message is not sent" {
	fake_start "220 fake ESMTP" "250 fake" "250 ok" "250 ok" "450 4.2.1 mailbox busy"
	run "$MAILC_BIN" -p "$FAKE_PORT" -f alice@example.org bob@example.org carol@example.org <<<"x"
	echo "$output"
	[ "$status" -eq 75 ]
	[[ "$output" == *"mailc: carol@example.org: 450 4.2.1 mailbox busy"* ]]
	cat "$FAKE_LOG"
	run ! grep -qx DATA "$FAKE_LOG"
	grep -qx RSET "$FAKE_LOG"
}

@test "exit 75: the server hangs up in the middle" {
	fake_start "220 fake ESMTP" "250 fake" "<close>"
	run "$MAILC_BIN" -p "$FAKE_PORT" -f alice@example.org bob@example.org <<<"x"
	echo "$output"
	[ "$status" -eq 75 ]
	[[ "$output" == *"connection closed by server"* ]]
}

@test "EHLO refused: HELO instead" {
	fake_start "220 fake SMTP" "502 5.5.1 what is EHLO" "250 hello"
	run "$MAILC_BIN" -v -p "$FAKE_PORT" -f alice@example.org bob@example.org <<<"x"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '^HELO ' "$FAKE_LOG"
	# no SIZE= to a server that did not offer it
	grep -qx 'MAIL FROM:<alice@example.org>' "$FAKE_LOG"
}

@test "-u: AUTH PLAIN with MAILC_PASSWORD on the submission port" {
	MAILC_PASSWORD=alicepw run "$MAILC_BIN" -v -p "$SUBMIT_PORT" -u alice@example.org bob@example.org <<<"authenticated"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | grep -qx '> AUTH PLAIN <credentials hidden>'
	[[ "$output" != *alicepw* ]]
	f=$(stored bob)
	grep -qx 'Return-Path: <alice@example.org>' "$f"
}

@test "exit 77: a wrong password" {
	MAILC_PASSWORD=wrong run "$MAILC_BIN" -p "$SUBMIT_PORT" -u alice@example.org bob@example.org <<<"x"
	echo "$output"
	[ "$status" -eq 77 ]
	[[ "$output" == *"AUTH PLAIN: 535"* ]]
	[ -z "$(maildir_files example.org bob)" ]
}

@test "exit 77: -u without MAILC_PASSWORD and without a terminal" {
	run setsid -w "$MAILC_BIN" -p "$SUBMIT_PORT" -u alice@example.org bob@example.org <<<"x"
	echo "$output"
	[ "$status" -eq 77 ]
	[[ "$output" == *"no password: set MAILC_PASSWORD"* ]]
}

@test "-u without MAILC_PASSWORD asks on the terminal, without echo" {
	echo "typed password" >"$TROOT/msg"
	run python3 "$BATS_TEST_DIRNAME/pty_mailc.py" \
		"Password for alice@example.org: " "alicepw" \
		-- sh -c '"$0" -p "$1" -u alice@example.org bob@example.org <"$2"' \
		"$MAILC_BIN" "$SUBMIT_PORT" "$TROOT/msg"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *alicepw* ]]
	f=$(stored bob)
	[ "$(body_of "$f")" = "typed password" ]
}

@test "MAILC_USER is the default -u (and the sender)" {
	MAILC_USER=bob@example.org MAILC_PASSWORD=bobpw \
		run "$MAILC_BIN" -p "$SUBMIT_PORT" alice@example.org <<<"from bob"
	echo "$output"
	[ "$status" -eq 0 ]
	f=$(stored alice)
	header_of "$f" | grep -qx 'From: bob@example.org'
}

@test "interactive: a person sends two messages" {
	run python3 "$BATS_TEST_DIRNAME/pty_mailc.py" \
		"Server host name [127.0.0.1]: " "" \
		"Port [$SMTP_PORT]: " "" \
		"From: " "alice@example.org" \
		"To: " "bob@example.org" \
		"Subject: " "Hello Bob" \
		'end it with a line containing only a single "."' "first line" \
		"" ". and a dot" \
		"" "." \
		"Send another message? [y/N]: " "y" \
		"From: " "bob@example.org" \
		"To: " "alice@example.org" \
		"Subject: " "Re: Hello Bob" \
		'single "."' "thanks" \
		"" "." \
		"Send another message? [y/N]: " "n" \
		-- "$MAILC_BIN" -i
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"< 220 mx.example.org ESMTP ready"* ]]
	[[ "$output" == *"> HELO $(hostname)"* ]]
	[[ "$output" == *"> MAIL FROM:<alice@example.org>"* ]]
	[[ "$output" == *"> RCPT TO:<bob@example.org>"* ]]
	[[ "$output" == *"< 354 "* ]]
	[ "$(echo "$output" | grep -c '^< 250 Message received and to be delivered')" = 2 ]
	[[ "$output" == *"< 221 closing connection"* ]]
	[ "$(echo "$output" | grep -Ec '^RTT = [0-9]+\.[0-9]{2} ms$')" = 11 ]
	f=$(stored bob)
	cat "$f"
	header_of "$f" | grep -qx 'From: alice@example.org'
	header_of "$f" | grep -qx 'To: bob@example.org'
	header_of "$f" | grep -qx 'Subject: Hello Bob'
	header_of "$f" | grep -q '^Date: '
	header_of "$f" | grep -q '^Message-ID: <'
	[ "$(body_of "$f")" = "$(printf 'first line\n. and a dot')" ]
	f=$(stored alice)
	header_of "$f" | grep -qx 'Subject: Re: Hello Bob'
	[ "$(body_of "$f")" = "thanks" ]
}

@test "interactive: a refused recipient is asked for again" {
	run python3 "$BATS_TEST_DIRNAME/pty_mailc.py" \
		"Server host name" "" "Port" "" \
		"From: " "alice@example.org" \
		"To: " "nobody@example.org" \
		"Subject: " "retry" \
		'single "."' "hello" "" "." \
		"To: " "bob@example.org" \
		"Send another message? [y/N]: " "" \
		-- "$MAILC_BIN" -i
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"< 550 5.1.1"* ]]
	f=$(stored bob)
	header_of "$f" | grep -qx 'To: bob@example.org'
	[ -z "$(maildir_files example.org nobody)" ]
}

@test "interactive: no server listening is an error" {
	port=$(free_port)
	run python3 "$BATS_TEST_DIRNAME/pty_mailc.py" \
		"Server host name" "127.0.0.1" "Port" "$port" -- "$MAILC_BIN" -i
	echo "$output"
	[ "$status" -eq 69 ]
	[[ "$output" == *"mailc: connect to 127.0.0.1 port $port: Connection refused"* ]]
}

@test "interactive: end of input in the middle of a message exits 65 after QUIT" {
	run python3 "$BATS_TEST_DIRNAME/pty_mailc.py" \
		"Server host name" "" "Port" "" \
		"From: " "alice@example.org" "To: " "bob@example.org" \
		"Subject: " "<eof>" \
		-- "$MAILC_BIN" -i
	echo "$output"
	[ "$status" -eq 65 ]
	[[ "$output" == *"message was not sent"* ]]
	[[ "$output" == *"< 221 closing connection"* ]]
	[ -z "$(maildir_files example.org bob)" ]
}

@test "mailc with no arguments on a terminal is interactive" {
	run python3 "$BATS_TEST_DIRNAME/pty_mailc.py" \
		"Server host name [127.0.0.1]: " "" "Port" "" "From: " "<eof>" \
		-- "$MAILC_BIN"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"< 220 mx.example.org ESMTP ready"* ]]
	[[ "$output" == *"< 221 closing connection"* ]]
}
