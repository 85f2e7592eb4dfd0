#!/usr/bin/env bats
# smtp_protocol.bats - the SMTP dialogue of the session child, reply by
# reply (DESIGN.md §2 "SMTP"): banner, HELO/EHLO, the transaction, the
# "503 5.5.2" sequence replies in every state, the commands valid in every
# state, syntax errors, recipients refused, pipelining (RFC 2920).

load helpers
load smtp_helpers

setup() { smtpd_start; }
teardown() { test_teardown; }

@test "banner, HELO, QUIT" {
	transcript "$SMTP_PORT" <<-'EOF'
	S: 220 mx.example.org ESMTP ready
	C: HELO client.example
	S: 250 Hello client.example
	C: QUIT
	S: 221 closing connection
	EOF
	run raw "$SMTP_PORT" 'HELO client.example\r\nQUIT\r\n'
	expect_lines "220 mx.example.org ESMTP ready" "250 Hello client.example" \
		"221 closing connection" "<closed>"
}

@test "EHLO lists the extensions" {
	transcript "$SMTP_PORT" <<-'EOF'
	S: 220 mx.example.org ESMTP ready
	C: EHLO client.example
	S: <ehlo_reply client.example>
	C: QUIT
	S: 221 closing connection
	EOF
}

@test "a whole transaction, reply by reply" {
	transcript "$SMTP_PORT" <<-'EOF'
	S: 220 mx.example.org ESMTP ready
	C: HELO client.example
	S: 250 Hello client.example
	C: MAIL FROM:<sender@remote.example>
	S: 250 2.1.0 Sender OK
	C: RCPT TO:<bob@example.org>
	S: 250 2.1.5 Recipient OK
	C: DATA
	S: 354 Start mail input; end with <CRLF>.<CRLF>
	EOF
	run raw "$SMTP_PORT" 'HELO client.example\r\nMAIL FROM:<sender@remote.example>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nSubject: t\r\n\r\nhello\r\n.\r\nQUIT\r\n'
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"250 Hello client.example" \
		"250 2.1.0 Sender OK" \
		"250 2.1.5 Recipient OK" \
		"354 Start mail input; end with <CRLF>.<CRLF>" \
		"250 Message received and to be delivered" \
		"221 closing connection" \
		"<closed>"
	[ "$(maildir_count example.org bob)" = 1 ]
}

@test "before HELO: MAIL, RCPT and DATA get 503 Send hello first" {
	transcript "$SMTP_PORT" <<-'EOF'
	S: 220 mx.example.org ESMTP ready
	C: MAIL FROM:<sender@remote.example>
	S: 503 5.5.2 Send hello first
	C: RCPT TO:<bob@example.org>
	S: 503 5.5.2 Send hello first
	C: DATA
	S: 503 5.5.2 Send hello first
	C: HELO client.example
	S: 250 Hello client.example
	C: MAIL FROM:<sender@remote.example>
	S: 250 2.1.0 Sender OK
	EOF
}

@test "after HELO, no MAIL yet: RCPT and DATA get 503 Need mail command" {
	transcript "$SMTP_PORT" <<-'EOF'
	S: 220 mx.example.org ESMTP ready
	C: EHLO client.example
	S: <ehlo_reply client.example>
	C: RCPT TO:<bob@example.org>
	S: 503 5.5.2 Need mail command
	C: DATA
	S: 503 5.5.2 Need mail command
	EOF
}

@test "after MAIL, no RCPT yet: DATA and a second MAIL get 503 Need rcpt command" {
	transcript "$SMTP_PORT" <<-'EOF'
	S: 220 mx.example.org ESMTP ready
	C: HELO client.example
	S: 250 Hello client.example
	C: MAIL FROM:<sender@remote.example>
	S: 250 2.1.0 Sender OK
	C: DATA
	S: 503 5.5.2 Need rcpt command
	C: MAIL FROM:<other@remote.example>
	S: 503 5.5.2 Need rcpt command
	C: RCPT TO:<bob@example.org>
	S: 250 2.1.5 Recipient OK
	EOF
}

@test "after RCPT: MAIL gets 503 Need data command, RCPT may repeat" {
	transcript "$SMTP_PORT" <<-'EOF'
	S: 220 mx.example.org ESMTP ready
	C: HELO client.example
	S: 250 Hello client.example
	C: MAIL FROM:<sender@remote.example>
	S: 250 2.1.0 Sender OK
	C: RCPT TO:<bob@example.org>
	S: 250 2.1.5 Recipient OK
	C: MAIL FROM:<sender@remote.example>
	S: 503 5.5.2 Need data command
	C: RCPT TO:<alice@example.org>
	S: 250 2.1.5 Recipient OK
	C: RCPT TO:<bob@example.org>
	S: 250 2.1.5 Recipient OK
	C: DATA
	S: 354 Start mail input; end with <CRLF>.<CRLF>
	EOF
}

# NOOP, HELP and VRFY answer the same in every state and change nothing:
# the sequence reply after them shows the state is the one before.
@test "NOOP, HELP, VRFY are valid in every state and keep it" {
	local help="214 2.0.0 Commands: HELO EHLO AUTH MAIL RCPT DATA RSET NOOP HELP VRFY QUIT"
	local vrfy="252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery"
	transcript "$SMTP_PORT" <<-EOF
	S: 220 mx.example.org ESMTP ready
	C: NOOP
	S: 250 2.0.0 OK
	C: HELP
	S: $help
	C: VRFY bob
	S: $vrfy
	C: DATA
	S: 503 5.5.2 Send hello first
	C: HELO client.example
	S: 250 Hello client.example
	C: noop
	S: 250 2.0.0 OK
	C: HELP MAIL
	S: $help
	C: VRFY bob@example.org
	S: $vrfy
	C: DATA
	S: 503 5.5.2 Need mail command
	C: MAIL FROM:<sender@remote.example>
	S: 250 2.1.0 Sender OK
	C: NOOP
	S: 250 2.0.0 OK
	C: HELP
	S: $help
	C: VRFY nobody
	S: $vrfy
	C: DATA
	S: 503 5.5.2 Need rcpt command
	C: RCPT TO:<bob@example.org>
	S: 250 2.1.5 Recipient OK
	C: NOOP
	S: 250 2.0.0 OK
	C: HELP
	S: $help
	C: VRFY alice
	S: $vrfy
	C: MAIL FROM:<sender@remote.example>
	S: 503 5.5.2 Need data command
	EOF
}

@test "RSET is valid in every state and ends the transaction" {
	transcript "$SMTP_PORT" <<-'EOF'
	S: 220 mx.example.org ESMTP ready
	C: RSET
	S: 250 2.0.0 OK
	C: MAIL FROM:<sender@remote.example>
	S: 503 5.5.2 Send hello first
	C: HELO client.example
	S: 250 Hello client.example
	C: RSET
	S: 250 2.0.0 OK
	C: MAIL FROM:<sender@remote.example>
	S: 250 2.1.0 Sender OK
	C: RSET
	S: 250 2.0.0 OK
	C: RCPT TO:<bob@example.org>
	S: 503 5.5.2 Need mail command
	C: MAIL FROM:<sender@remote.example>
	S: 250 2.1.0 Sender OK
	C: RCPT TO:<bob@example.org>
	S: 250 2.1.5 Recipient OK
	C: RSET
	S: 250 2.0.0 OK
	C: DATA
	S: 503 5.5.2 Need mail command
	EOF
}

@test "QUIT is valid in every state" {
	local -a steps=("HELO client.example" "MAIL FROM:<sender@remote.example>"
		"RCPT TO:<bob@example.org>")
	local -a want=("250 Hello client.example" "250 2.1.0 Sender OK"
		"250 2.1.5 Recipient OK")
	local n
	for n in 0 1 2 3; do
		run raw "$SMTP_PORT" '%s\r\n' "${steps[@]:0:n}" QUIT
		expect_lines "220 mx.example.org ESMTP ready" "${want[@]:0:n}" \
			"221 closing connection" "<closed>"
	done
	[ "$(maildir_count example.org bob)" = 0 ]
}

@test "HELO and EHLO in the middle of a transaction reset it" {
	transcript "$SMTP_PORT" <<-'EOF'
	S: 220 mx.example.org ESMTP ready
	C: EHLO client.example
	S: <ehlo_reply client.example>
	C: MAIL FROM:<sender@remote.example>
	S: 250 2.1.0 Sender OK
	C: RCPT TO:<bob@example.org>
	S: 250 2.1.5 Recipient OK
	C: HELO other.example
	S: 250 Hello other.example
	C: DATA
	S: 503 5.5.2 Need mail command
	C: MAIL FROM:<sender@remote.example>
	S: 250 2.1.0 Sender OK
	C: EHLO third.example
	S: <ehlo_reply third.example>
	C: RCPT TO:<bob@example.org>
	S: 503 5.5.2 Need mail command
	EOF
}

@test "commands are case-insensitive" {
	run raw "$SMTP_PORT" 'helo client.example\r\nmAiL fRoM:<sender@remote.example>\r\nrcpt to:<BOB@Example.ORG>\r\nData\r\nSubject: case\r\n\r\nbody\r\n.\r\nnOoP\r\nqUiT\r\n'
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"250 Hello client.example" \
		"250 2.1.0 Sender OK" \
		"250 2.1.5 Recipient OK" \
		"354 Start mail input; end with <CRLF>.<CRLF>" \
		"250 Message received and to be delivered" \
		"250 2.0.0 OK" \
		"221 closing connection" \
		"<closed>"
	[ "$(maildir_count example.org bob)" = 1 ]
}

@test "unknown commands get 500 5.5.1 in every state and change nothing" {
	transcript "$SMTP_PORT" <<-'EOF'
	S: 220 mx.example.org ESMTP ready
	C: FOO
	S: 500 5.5.1 Unknown command
	C: MAIL FROM:<sender@remote.example>
	S: 503 5.5.2 Send hello first
	C: HELO client.example
	S: 250 Hello client.example
	C: MAILFROM:<sender@remote.example>
	S: 500 5.5.1 Unknown command
	C: MAIL FROM:<sender@remote.example>
	S: 250 2.1.0 Sender OK
	C: STARTTLS
	S: 500 5.5.1 Unknown command
	C: RCPT TO:<bob@example.org>
	S: 250 2.1.5 Recipient OK
	C: 
	S: 500 5.5.1 Unknown command
	C: MAIL FROM:<sender@remote.example>
	S: 503 5.5.2 Need data command
	EOF
}

@test "bad syntax gets 501 5.5.4" {
	transcript "$SMTP_PORT" <<-'EOF'
	S: 220 mx.example.org ESMTP ready
	C: HELO
	S: 501 5.5.4 Syntax: HELO hostname
	C: EHLO
	S: 501 5.5.4 Syntax: EHLO hostname
	C: HELO client.example
	S: 250 Hello client.example
	C: MAIL FROM:sender@remote.example
	S: 501 5.5.4 Syntax: MAIL FROM:<address>
	C: MAIL TO:<sender@remote.example>
	S: 501 5.5.4 Syntax: MAIL FROM:<address>
	C: MAIL FROM:<sender@remote.example
	S: 501 5.5.4 Syntax: MAIL FROM:<address>
	C: MAIL FROM:<sender@remote.example>x
	S: 501 5.5.4 Syntax: MAIL FROM:<address>
	C: MAIL FROM:<sender@@remote.example>
	S: 501 5.5.4 Syntax: MAIL FROM:<address>
	C: MAIL FROM:<sender@remote.example> SIZE=lots
	S: 501 5.5.4 Bad SIZE parameter
	C: MAIL FROM:<sender@remote.example> FOO=bar
	S: 555 5.5.4 Unsupported option: FOO=bar
	C: MAIL FROM:<sender@remote.example> SIZE=100 BODY=8BITMIME
	S: 250 2.1.0 Sender OK
	C: RCPT TO:bob@example.org
	S: 501 5.5.4 Syntax: RCPT TO:<address>
	C: RCPT TO:<>
	S: 501 5.5.4 Syntax: RCPT TO:<address>
	C: RCPT FROM:<bob@example.org>
	S: 501 5.5.4 Syntax: RCPT TO:<address>
	C: RCPT TO:<bob@example.org>
	S: 250 2.1.5 Recipient OK
	C: DATA now
	S: 501 5.5.4 Syntax: DATA
	C: QUIT
	S: 221 closing connection
	EOF
	[ "$(maildir_count example.org bob)" = 0 ]
}

@test "unknown local user 550 5.1.1, other domain 554 5.7.1 Relay access denied" {
	transcript "$SMTP_PORT" <<-'EOF'
	S: 220 mx.example.org ESMTP ready
	C: HELO client.example
	S: 250 Hello client.example
	C: MAIL FROM:<sender@remote.example>
	S: 250 2.1.0 Sender OK
	C: RCPT TO:<carol@example.org>
	S: 550 5.1.1 <carol@example.org>: Recipient address rejected: User unknown
	C: RCPT TO:<bob@remote.example>
	S: 554 5.7.1 Relay access denied
	C: RCPT TO:<bob@example.org.evil.example>
	S: 554 5.7.1 Relay access denied
	C: RCPT TO:<bob@[127.0.0.1]>
	S: 554 5.7.1 Relay access denied
	C: DATA
	S: 503 5.5.2 Need rcpt command
	C: RCPT TO:<Bob@EXAMPLE.org>
	S: 250 2.1.5 Recipient OK
	EOF
}

@test "the null sender <> is accepted" {
	run raw "$SMTP_PORT" 'HELO client.example\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nSubject: bounce\r\n\r\nx\r\n.\r\nQUIT\r\n'
	[ "${lines[2]}" = "250 2.1.0 Sender OK" ]
	[ "${lines[5]}" = "250 Message received and to be delivered" ]
	f=$(maildir_files example.org bob)
	[ "$(head -n 1 "$f")" = "Return-Path: <>" ]
}

@test "pipelining: EHLO, MAIL, RCPT, RCPT, DATA in one write, answered in order" {
	run chat -p "$SMTP_PORT" "EHLO client.example" \
		"MAIL FROM:<sender@remote.example>" "RCPT TO:<bob@example.org>" \
		"RCPT TO:<carol@example.org>" "RCPT TO:<alice@example.org>" "DATA"
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"$(ehlo_reply)" \
		"250 2.1.0 Sender OK" \
		"250 2.1.5 Recipient OK" \
		"550 5.1.1 <carol@example.org>: Recipient address rejected: User unknown" \
		"250 2.1.5 Recipient OK" \
		"354 Start mail input; end with <CRLF>.<CRLF>"
}

@test "pipelining: two transactions, the messages and QUIT in one write" {
	run raw "$SMTP_PORT" '%s\r\n' "EHLO client.example" \
		"MAIL FROM:<one@remote.example>" "RCPT TO:<bob@example.org>" "DATA" \
		"Subject: first" "" "first body" "." \
		"MAIL FROM:<two@remote.example>" "RCPT TO:<alice@example.org>" \
		"RCPT TO:<bob@example.org>" "DATA" \
		"Subject: second" "" "second body" "." "QUIT"
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"$(ehlo_reply)" \
		"250 2.1.0 Sender OK" \
		"250 2.1.5 Recipient OK" \
		"354 Start mail input; end with <CRLF>.<CRLF>" \
		"250 Message received and to be delivered" \
		"250 2.1.0 Sender OK" \
		"250 2.1.5 Recipient OK" \
		"250 2.1.5 Recipient OK" \
		"354 Start mail input; end with <CRLF>.<CRLF>" \
		"250 Message received and to be delivered" \
		"221 closing connection" \
		"<closed>"
	[ "$(maildir_count example.org bob)" = 2 ]
	[ "$(maildir_count example.org alice)" = 1 ]
	f=$(maildir_files example.org alice)
	[ "$(head -n 1 "$f")" = "Return-Path: <two@remote.example>" ]
	file_is <(strip_trace "$f") 'Subject: second\n\nsecond body\n'
}
