#!/usr/bin/env bats
# tls_mailc.bats - mailc's TLS (issue 13): STARTTLS when the server offers
# it, implicit TLS with --tls, the certificate checked against the CA
# (--tls-ca, else the system's; --tls-insecure skips it), --tls-required,
# a password never sent in clear off loopback unless --auth-plaintext,
# the same for POP3 (STLS, pop3s), the settings in the configuration.
# The server is t/tls_mailc_srv.py (Python's ssl module): it logs every
# command with whether it came inside TLS.  In the default build (TLS=0)
# the TLS options are refused, the message kept.

load helpers
load tls_helpers

setup() {
	test_root
	tls_cert mx.test # DNS:mx.test, IP:127.0.0.1, signed by $PKI/ca.pem
	SRV_PID=
	export SRV_LOG=$TEST_ROOT/srv.log SRV_DATA=$TEST_ROOT/srv.data
	export SRV_READY=$TEST_ROOT/srv.ready
	OUTBOX=$XDG_STATE_HOME/mailc/outbox
	unset MAILC_HOST MAILC_PORT MAILC_USER MAILC_PASSWORD
}

teardown() {
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
	fi
	test_teardown
}

# srv_start smtp|pop3 ADDR [implicit] [notls]: the server on ADDR:$SRV_PORT
srv_start() {
	local proto=$1 addr=$2
	shift 2
	SRV_PORT=$(free_port)
	rm -f "$SRV_READY"
	: >"$SRV_LOG"
	python3 "$BATS_TEST_DIRNAME/tls_mailc_srv.py" "$proto" "$addr" "$SRV_PORT" \
		"$PKI/mx.test.pem" "$PKI/mx.test.key" "$@" \
		</dev/null >"$TEST_ROOT/srv.out" 2>&1 3>&- &
	SRV_PID=$!
	wait_for 5 test -e "$SRV_READY"
}

# send ARGS...: a message to bob through the server, mailc's output shown
send() {
	run "$MAILC_BIN" -p "$SRV_PORT" -f alice@example.org -s tls bob@example.org "$@" <<<"secret body"
	echo "$output"
	echo "--- server"
	cat "$SRV_LOG"
}

waiting() { ls "$OUTBOX/new" 2>/dev/null | grep -c . || true; }

# the message reached the server inside TLS, nothing of it in clear
sent_in_tls() {
	grep -qx "MESSAGE tls=1" "$SRV_LOG"
	run ! grep -E "^tls=0 (MAIL|RCPT|DATA|AUTH)" "$SRV_LOG"
}

# nothing of the message (nor AUTH) reached the server; it waits
kept_not_sent() {
	[ "$status" -eq 75 ]
	[[ "$output" == *"message kept in the outbox"* ]]
	[ "$(waiting)" = 1 ]
	run ! grep -E "^tls=. (MAIL|RCPT|DATA|AUTH)|^MESSAGE" "$SRV_LOG"
}

@test "STARTTLS when the server offers it: EHLO again inside TLS, the message sent in TLS, -v shows it" {
	need_tls
	srv_start smtp 127.0.0.2
	send -H 127.0.0.2 --tls-ca "$PKI/ca.pem" -v
	[ "$status" -eq 0 ]
	[[ "$output" == *"> STARTTLS"* ]]
	[[ "$output" == *"--- TLS started: version=TLSv1."*" cipher="*" bits="* ]]
	grep -qx "tls=0 STARTTLS" "$SRV_LOG"
	grep -q "^tls=1 EHLO " "$SRV_LOG"
	sent_in_tls
	grep -q "secret body" "$SRV_DATA"
}

@test "STARTTLS offered on loopback (127.0.0.1) is not tried: the local MTA's certificate names its public name" {
	need_tls
	srv_start smtp 127.0.0.1
	# the test CA is not among the system's: STARTTLS would fail the check
	send -H 127.0.0.1
	[ "$status" -eq 0 ]
	grep -qx "MESSAGE tls=0" "$SRV_LOG"
	run ! grep -q "STARTTLS" "$SRV_LOG"
	# asked for, it is tried there too
	: >"$SRV_LOG"
	send -H 127.0.0.1 --tls-required --tls-ca "$PKI/ca.pem"
	[ "$status" -eq 0 ]
	sent_in_tls
}

@test "--tls: implicit TLS from the first byte (smtps)" {
	need_tls
	srv_start smtp 127.0.0.1 implicit
	send -H 127.0.0.1 --tls --tls-ca "$PKI/ca.pem"
	[ "$status" -eq 0 ]
	[ "$(head -1 "$SRV_LOG" | cut -d' ' -f1,2)" = "tls=1 EHLO" ]
	run ! grep -x "tls=1 STARTTLS" "$SRV_LOG"
	sent_in_tls
}

@test "a certificate the CAs do not sign: an error, never clear text; the message kept, then sent with --tls-ca" {
	need_tls
	srv_start smtp 127.0.0.2
	# the test CA is not among the system's
	send -H 127.0.0.2
	[[ "$output" == *"mailc: 127.0.0.2 port $SRV_PORT: TLS handshake: certificate verification failed"*"--tls-ca FILE"* ]]
	kept_not_sent
	run "$MAILC_BIN" flush -H 127.0.0.2 -p "$SRV_PORT" --tls-ca "$PKI/ca.pem"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(waiting)" = 0 ]
	sent_in_tls
}

@test "--tls-insecure: the certificate not checked, still encrypted" {
	need_tls
	srv_start smtp 127.0.0.2
	send -H 127.0.0.2 --tls-insecure
	[ "$status" -eq 0 ]
	sent_in_tls
}

@test "the certificate must name the host given to mailc" {
	need_tls
	srv_start smtp 127.0.0.1
	# signed by the CA, for mx.test and 127.0.0.1, not for localhost
	# (a loopback name: TLS asked for, as STARTTLS is not tried there)
	send -H localhost --tls-required --tls-ca "$PKI/ca.pem"
	[[ "$output" == *"TLS handshake: name "*"localhost"*" not present in server certificate (the certificate must name the host"* ]]
	kept_not_sent
}

@test "--tls-required: a server without STARTTLS gets nothing; the message kept" {
	need_tls
	srv_start smtp 127.0.0.1 notls
	send -H 127.0.0.1 --tls-required --tls-ca "$PKI/ca.pem"
	[[ "$output" == *"mailc: 127.0.0.1 port $SRV_PORT does not offer STARTTLS, and TLS is required (--tls-required)"* ]]
	kept_not_sent
	# without it, clear text to a server that offers nothing is as before
	send -H 127.0.0.1
	[ "$status" -eq 0 ]
	grep -qx "MESSAGE tls=0" "$SRV_LOG"
}

@test "AUTH in clear off loopback is refused by mailc (the server sees none) unless --auth-plaintext" {
	srv_start smtp 127.0.0.2 notls
	MAILC_PASSWORD=pw send -H 127.0.0.2 -u alice@example.org
	[[ "$output" == *"mailc: 127.0.0.2 port $SRV_PORT: the connection is not encrypted: not sending the password in clear"*"--auth-plaintext"* ]]
	kept_not_sent
	MAILC_PASSWORD=pw send -H 127.0.0.2 -u alice@example.org --auth-plaintext
	[ "$status" -eq 0 ]
	grep -q "^tls=0 AUTH PLAIN " "$SRV_LOG"
}

@test "AUTH in clear to 127.0.0.1 (loopback) goes without --auth-plaintext" {
	srv_start smtp 127.0.0.1 notls
	MAILC_PASSWORD=pw send -H 127.0.0.1 -u alice@example.org
	[ "$status" -eq 0 ]
	grep -q "^tls=0 AUTH PLAIN " "$SRV_LOG"
	grep -qx "MESSAGE tls=0" "$SRV_LOG"
}

@test "AUTH off loopback inside STARTTLS needs no --auth-plaintext" {
	need_tls
	srv_start smtp 127.0.0.2
	MAILC_PASSWORD=pw send -H 127.0.0.2 -u alice@example.org --tls-insecure
	[ "$status" -eq 0 ]
	grep -q "^tls=1 AUTH PLAIN " "$SRV_LOG"
	sent_in_tls
}

@test "the configuration's tls, tls_ca, tls_insecure, auth_plaintext; options override them" {
	need_tls
	srv_start smtp 127.0.0.1 notls
	printf 'tls required\ntls_ca %s\n' "$PKI/ca.pem" >"$MAILC_SYSTEM_CONF"
	send -H 127.0.0.1
	[[ "$output" == *"does not offer STARTTLS, and TLS is required"* ]]
	kept_not_sent
	kill "$SRV_PID"; wait "$SRV_PID" 2>/dev/null || true
	# tls_ca from the file; --tls overrides "tls required"
	srv_start smtp 127.0.0.1 implicit
	send -H 127.0.0.1 --tls
	[ "$status" -eq 0 ]
	sent_in_tls
	# tls_insecure yes, and auth_plaintext yes
	kill "$SRV_PID"; wait "$SRV_PID" 2>/dev/null || true
	srv_start smtp 127.0.0.2 notls
	printf 'auth_plaintext yes\n' >"$MAILC_SYSTEM_CONF"
	MAILC_PASSWORD=pw send -H 127.0.0.2 -u alice@example.org
	[ "$status" -eq 0 ]
	grep -q "^tls=0 AUTH PLAIN " "$SRV_LOG"
	kill "$SRV_PID"; wait "$SRV_PID" 2>/dev/null || true
	srv_start smtp 127.0.0.2
	printf 'tls_insecure yes\n' >"$MAILC_SYSTEM_CONF"
	send -H 127.0.0.2
	[ "$status" -eq 0 ]
	sent_in_tls
}

@test "a bad tls setting names the file and line" {
	printf 'host 127.0.0.1\ntls maybe\n' >"$MAILC_SYSTEM_CONF"
	run "$MAILC_BIN" -f alice@example.org bob@example.org <<<"x"
	echo "$output"
	[ "$status" -eq 78 ]
	[[ "$output" == *"$MAILC_SYSTEM_CONF:2: bad tls"* ]]
}

@test "an option's value is no TLS option (-s --tls), and after -- all are recipients" {
	srv_start smtp 127.0.0.1 notls
	run "$MAILC_BIN" -H 127.0.0.1 -p "$SRV_PORT" -f alice@example.org -s --tls bob@example.org -- --tls-insecure@example.org <<<"x"
	echo "$output"
	[ "$status" -eq 0 ]
	tr -d "\r" <"$SRV_DATA" | grep -qx "Subject: --tls"
	grep -qx "tls=0 RCPT TO:<--tls-insecure@example.org>" "$SRV_LOG"
	grep -qx "MESSAGE tls=0" "$SRV_LOG"
}

@test "sendmail -bs passes SMTP through in clear: with tls required or implicit in the configuration it refuses, naming it" {
	srv_start smtp 127.0.0.2
	ln -s "$MAILC_BIN" "$TEST_ROOT/sendmail"
	printf 'host 127.0.0.2\nport %s\ntls required\n' "$SRV_PORT" >"$MAILC_SYSTEM_CONF"
	run "$TEST_ROOT/sendmail" -bs <<<"QUIT"
	echo "$output"
	[ "$status" -eq 78 ]
	[[ $output == *"sendmail -bs speaks SMTP in clear, and the configuration requires TLS (tls required): nothing sent"* ]]
	[[ $output == *"421 4.7.0 TLS is required: this mode cannot give it"* ]]
	[ ! -s "$SRV_LOG" ]
	# (-bs without it: t/sendmail.bats)
}

@test "-i refuses the TLS options: it speaks HELO in clear" {
	run "$MAILC_BIN" -i --tls-required </dev/null
	echo "$output"
	[ "$status" -eq 64 ]
	[[ "$output" == *"mailc: -i speaks HELO in clear: the TLS options are for sending a message from a pipe"* ]]
}

# POP3

pop3() {
	MAILC_PASSWORD=pw run "$MAILC_BIN" fetch "$TEST_ROOT/md" -p "$SRV_PORT" -u bob@example.org "$@"
	echo "$output"
	echo "--- server"
	cat "$SRV_LOG"
}

@test "POP3: STLS when CAPA offers it, USER and PASS inside TLS, -v shows it" {
	need_tls
	srv_start pop3 127.0.0.2
	pop3 -H 127.0.0.2 --tls-ca "$PKI/ca.pem" -v
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 fetched"* ]]
	[[ "$output" == *"--- TLS started: version=TLSv1."* ]]
	[[ "$output" == *"> PASS ****"* ]]
	grep -qx "tls=0 STLS" "$SRV_LOG"
	grep -qx "tls=1 USER bob@example.org" "$SRV_LOG"
	run ! grep -E "^tls=0 (USER|PASS|RETR)" "$SRV_LOG"
	grep -q "hello from the TLS test server" "$TEST_ROOT"/md/new/*
}

@test "POP3: --tls is pop3s" {
	need_tls
	srv_start pop3 127.0.0.1 implicit
	pop3 -H 127.0.0.1 --tls --tls-ca "$PKI/ca.pem"
	[ "$status" -eq 0 ]
	[ "$(head -1 "$SRV_LOG")" = "tls=1 USER bob@example.org" ]
}

@test "POP3: a certificate that does not verify stops before USER; --tls-required without STLS too" {
	need_tls
	srv_start pop3 127.0.0.2
	pop3 -H 127.0.0.2
	[ "$status" -eq 69 ]
	[[ "$output" == *"TLS handshake: certificate verification failed"*"--tls-ca FILE"* ]]
	run ! grep -E "USER|PASS" "$SRV_LOG"
	kill "$SRV_PID"; wait "$SRV_PID" 2>/dev/null || true
	srv_start pop3 127.0.0.1 notls
	pop3 -H 127.0.0.1 --tls-required
	[ "$status" -eq 69 ]
	[[ "$output" == *"does not offer STLS, and TLS is required"* ]]
	run ! grep -E "USER|PASS" "$SRV_LOG"
}

@test "POP3: USER/PASS in clear off loopback refused unless --auth-plaintext" {
	srv_start pop3 127.0.0.2 notls
	pop3 -H 127.0.0.2
	[ "$status" -eq 77 ]
	[[ "$output" == *"not sending the password in clear"* ]]
	run ! grep -E "USER|PASS" "$SRV_LOG"
	pop3 -H 127.0.0.2 --auth-plaintext
	[ "$status" -eq 0 ]
	grep -qx "tls=0 USER bob@example.org" "$SRV_LOG"
}

# the default build

@test "default build: --tls and --tls-required fail, saying make TLS=1; the message kept" {
	tls_is_built && skip "the TLS build"
	srv_start smtp 127.0.0.1
	send -H 127.0.0.1 --tls
	[[ "$output" == *"mailc: --tls: built without TLS (make TLS=1)"* ]]
	kept_not_sent
	[ ! -s "$SRV_LOG" ] # not even a connection
	send -H 127.0.0.1 --tls-required
	[ "$status" -eq 75 ]
	[[ "$output" == *"built without TLS (make TLS=1)"* ]]
	[ "$(waiting)" = 2 ]
	pop3 -H 127.0.0.1 --tls
	[ "$status" -eq 69 ]
	[[ "$output" == *"built without TLS (make TLS=1)"* ]]
}

@test "default build: STARTTLS offered is passed over in silence, the message sent as before" {
	tls_is_built && skip "the TLS build"
	srv_start smtp 127.0.0.1
	send -H 127.0.0.1
	[ "$status" -eq 0 ]
	[ "$output" = "" ] # not a word on stderr
	run ! grep STARTTLS "$SRV_LOG"
	grep -qx "MESSAGE tls=0" "$SRV_LOG"
}
