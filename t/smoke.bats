#!/usr/bin/env bats
load helpers
setup() { smtpd_start; }
teardown() { test_teardown; }

@test "greeting and a delivery" {
	run chat "$SMTP_PORT" "EHLO client.example" "MAIL FROM:<x@remote.example>" "RCPT TO:<bob@example.org>" "DATA"
	echo "$output"
	[ "${lines[0]}" = "220 mx.example.org ESMTP ready" ]
}
