#!/usr/bin/env bats
# smoke.bats - the shortest proof that the daemon works: it greets, takes
# one message over SMTP and stores it, byte for byte, in bob's new/.

load helpers
load smtp_helpers

setup() { smtpd_start; }
teardown() { test_teardown; }

@test "greeting and a delivery" {
	run raw "$SMTP_PORT" '%s\r\n' "HELO client.example" \
		"MAIL FROM:<x@remote.example>" "RCPT TO:<bob@example.org>" DATA \
		"Subject: smoke" "" "hello bob" . QUIT
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
	f=$(maildir_files example.org bob)
	cat "$f"
	[ "$(sed -n 1p "$f")" = "Return-Path: <x@remote.example>" ]
	sed -n 3p "$f" | grep -Eqx 'Received: from client\.example \(\[127\.0\.0\.1\]\) by mx\.example\.org \(smtpd\) with SMTP id [0-9A-F]+ for <bob@example\.org>; .+'
	file_is <(strip_trace "$f") 'Subject: smoke\n\nhello bob\n'
}
