#!/usr/bin/env bats
# postfix.bats - Postfix as a real peer in both directions (issue 13):
# abc.com's smtpd routes pfx.example to Postfix (mx.pfx.example, on
# 127.0.0.3), which stores bob@pfx.example in a Maildir; Postfix sends
# abc.com to abc's smtp port.  In clear, then with TLS: Postfix's client
# at smtp_tls_security_level may, encrypt and secure (verified with the
# test CA) against our STARTTLS; our relay's opportunistic STARTTLS
# against Postfix's smtpd at smtpd_tls_security_level may and encrypt.
# Each hop's Received: line says ESMTPS.  Postfix is unpacked from its
# .deb by `make test-debs` (t/postfix_helpers.bash); one Postfix start a
# test.

load helpers
load relay_helpers
load tls_helpers
load postfix_helpers

setup() {
	daemon_init abc abc.com
	ALICE_AUTH="AUTH PLAIN $(plain alice@abc.com alicepw)"
	pfx_init
	daemon_conf abc "route pfx.example $PFX_ADDR:$PFX_PORT"
}

teardown() {
	pfx_stop
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "$PFX" ]; then
		echo "--- Postfix's log" >&2
		pfx_log >&2
	fi
	test_teardown
}

# Postfix's Received: line in bob@pfx.example's message (the top one),
# for a message from abc
pfx_received() {
	local f
	f=$(pfx_stored bob) || return 1
	received "$f" | head -n 1 |
		grep -E '^Received: from mx\.abc\.com .*by mx\.pfx\.example \(Postfix\) with '
}

# abc's Received: line in USER@abc.com's message (bob's unless named),
# for a message from Postfix
abc_received() {
	local f
	f=$(maildir_files abc.com "${1:-bob}" abc)
	[ "$(printf '%s\n' "$f" | grep -c .)" = 1 ] || return 1
	received "$f" | head -n 1 |
		grep -E '^Received: from mx\.pfx\.example \(\[127\.0\.0\.1\]\) (.* )?by mx\.abc\.com \(smtpd\) with '
}

# the from= line abc logged for carol's message
abc_from_line() { grep -E ': from=<carol@pfx\.example> ' "$(log_of abc)"; }

@test "in clear: smtpd relays pfx.example to Postfix, which stores it; Postfix relays abc.com to smtpd, which stores it" {
	pfx_start
	daemon_start abc
	alice_sends "to Postfix" bob@pfx.example
	wait_for 10 pfx_has 1 bob
	grep -E ": to=<bob@pfx\.example> status=sent relay=$PFX_ADDR:$PFX_PORT " "$(log_of abc)"
	run pfx_received
	echo "$output"
	[[ $output == *" with ESMTP id "* ]]
	grep -q 'Subject: to Postfix' "$(pfx_stored bob)"

	pfx_send bob@abc.com "to smtpd"
	wait_for 10 has 1 abc abc.com bob
	pfx_log | grep -E "to=<bob@abc\.com>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$abc_SMTP, .*status=sent"
	run abc_received
	echo "$output"
	[[ $output == *" with ESMTP id "* ]]
	run abc_from_line
	echo "$output"
	[[ $output =~ " proto=ESMTP"( |$) ]]
	[[ $output != *" tls="* ]]
}

@test "Postfix at smtp_tls_security_level = encrypt holds its mail for an smtpd without tls_cert: no STARTTLS offered" {
	pfx_conf "smtp_tls_security_level = encrypt"
	pfx_start
	daemon_start abc
	pfx_send bob@abc.com "no TLS, no mail"
	wait_for 10 grep -q "TLS is required, but was not offered by host 127.0.0.1" "$PFX/maillog"
	has 0 abc abc.com bob
	run ! pfx_queue_empty
}

@test "TLS: Postfix at smtp_tls_security_level = may sends to smtpd over STARTTLS: Received: with ESMTPS, tls= logged" {
	need_tls
	tls_daemon abc
	pfx_conf "smtp_tls_security_level = may" "smtp_tls_loglevel = 1"
	pfx_start
	daemon_start abc
	pfx_send bob@abc.com "over STARTTLS"
	wait_for 10 has 1 abc abc.com bob
	grep -E "TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:$abc_SMTP: TLSv1\.[23] " "$PFX/maillog"
	run abc_received
	echo "$output"
	[[ $output == *" with ESMTPS id "* ]]
	[[ $output == *"TLSv1."* ]]
	run abc_from_line
	echo "$output"
	[[ $output == *" tls="* ]]
}

@test "TLS: Postfix at smtp_tls_security_level = encrypt, and secure (verified, match=mx.abc.com) with the test CA, sends to smtpd over STARTTLS" {
	need_tls
	tls_daemon abc
	# bob's mail goes to [127.0.0.1] at encrypt (the chain checked, trusted,
	# but not required), alice's to [localhost], the same smtpd, at secure:
	# the chain and the name must verify, or Postfix holds the mail
	printf 'alice@abc.com smtp:[localhost]:%s\n' "$abc_SMTP" >>"$PFX/etc/transport"
	printf '[localhost]:%s secure match=mx.abc.com\n' "$abc_SMTP" >"$PFX/etc/tls_policy"
	pfx_conf "smtp_tls_security_level = encrypt" "smtp_tls_loglevel = 1" \
		"smtp_tls_CAfile = $PKI/ca.pem" \
		"smtp_tls_policy_maps = texthash:$PFX/etc/tls_policy"
	pfx_start
	daemon_start abc
	pfx_send bob@abc.com "encrypted"
	pfx_send alice@abc.com "encrypted and verified"
	wait_for 10 has 1 abc abc.com bob
	wait_for 10 has 1 abc abc.com alice
	grep -E "Trusted TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:$abc_SMTP: TLSv1\.[23] " "$PFX/maillog"
	grep -E "Verified TLS connection established to localhost\[127\.0\.0\.1\]:$abc_SMTP: TLSv1\.[23] " "$PFX/maillog"
	run abc_received bob
	echo "$output"
	[[ $output == *" with ESMTPS id "* ]]
	run abc_received alice
	echo "$output"
	[[ $output == *" with ESMTPS id "* ]]
	[ "$(abc_from_line | grep -c ' tls=')" = 2 ]
}

@test "TLS: smtpd's relay uses STARTTLS to Postfix at smtpd_tls_security_level = may: Postfix's Received: with ESMTPS" {
	need_tls
	pfx_tls_server
	pfx_conf "smtpd_tls_security_level = may"
	pfx_start
	daemon_start abc
	alice_sends "over STARTTLS" bob@pfx.example
	wait_for 10 pfx_has 1 bob
	grep -E ": to=<bob@pfx\.example> status=sent relay=$PFX_ADDR:$PFX_PORT .*tls=" "$(log_of abc)"
	grep -E "TLS connection established from localhost\[127\.0\.0\.1\]: TLSv1\.[23] " "$PFX/maillog"
	run pfx_received
	echo "$output"
	[[ $output == *" (using TLSv1."* ]]
	[[ $output == *" with ESMTPS id "* ]]
}

@test "TLS: smtpd's route ... tls to Postfix at smtpd_tls_security_level = encrypt: the certificate verified, Postfix's Received: with ESMTPS" {
	need_tls
	pfx_tls_server
	# the route setup wrote, now requiring a verified certificate
	sed -i "s|^route pfx\.example .*|& tls|" "$abc_ROOT/etc/extra.conf"
	daemon_conf abc "tls_ca $PKI/ca.pem"
	pfx_conf "smtpd_tls_security_level = encrypt"
	pfx_start
	daemon_start abc
	alice_sends "encrypted" bob@pfx.example
	wait_for 10 pfx_has 1 bob
	grep -E ": to=<bob@pfx\.example> status=sent relay=$PFX_ADDR:$PFX_PORT .* tls=verified" "$(log_of abc)"
	run pfx_received
	echo "$output"
	[[ $output == *" with ESMTPS id "* ]]
}
