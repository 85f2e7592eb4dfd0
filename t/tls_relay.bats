#!/usr/bin/env bats
# tls_relay.bats - TLS in the relay child and the RCPT-time probe (issue
# 13, "The relay child"): opportunistic STARTTLS to a peer that offers it
# (no certificate check), clear text only when it is not offered, a
# failed handshake or a refused STARTTLS deferred and never downgraded;
# `route ... tls`: TLS with a certificate verified against tls_ca for the
# route's host name, anything less deferred with a 4.7.x reason that
# `smtpd -q` shows; several messages over one TLS connection; the
# probe under the same rules; the default build.
#
# abc.com (t/relay_helpers.bash) relays to t/tls_sink.py, a STARTTLS-
# capable sink that writes down every connection, handshake, MAIL and
# message, and over what each came.  Certificates are made with openssl
# (t/tls_helpers.bash; the expired one with `openssl ca` here).

bats_require_minimum_version 1.5.0

load helpers
load relay_helpers
load tls_helpers

setup() {
	relay_setup
	LOG=$(log_of abc)
	SINK_PORT=$(free_port)
	SINK_LOG=$TEST_ROOT/sink.log
	SINK_PID=
}

teardown() {
	if [ -n "$SINK_PID" ]; then
		kill "$SINK_PID" 2>/dev/null || true
		wait "$SINK_PID" 2>/dev/null || true
	fi
	test_teardown
}

# sink_start MODE [CERT-NAME]: t/tls_sink.py on $SINK_PORT (MODE clear,
# tls, refuse or broken; tls with $PKI/CERT-NAME.pem and .key)
sink_start() {
	local mode=$1 cert=${2:-}
	: >"$SINK_LOG"
	python3 "$BATS_TEST_DIRNAME/tls_sink.py" "$SINK_PORT" "$SINK_LOG" \
		"$TEST_ROOT/sink.ready" "$mode" \
		${cert:+"$PKI/$cert.pem" "$PKI/$cert.key"} \
		</dev/null >"$TEST_ROOT/sink.err" 2>&1 3>&- &
	SINK_PID=$!
	wait_for 5 test -e "$TEST_ROOT/sink.ready"
}

sink_count() { grep -c "^$1" "$SINK_LOG" || true; }
sink_has() { [ "$(sink_count "$1")" -ge "$2" ]; }

# tls_expired HOST: $PKI/HOST.pem and .key, signed by the test CA, for
# HOST and 127.0.0.1, valid in January 2020 only (openssl ca takes the
# dates; x509 -req cannot backdate in OpenSSL 3.0)
tls_expired() {
	local host=$1 d
	tls_ca
	d=$PKI/expired-ca
	mkdir -p "$d"
	: >"$d/index.txt"
	echo 01 >"$d/serial"
	cat >"$d/ca.cnf" <<-EOF
	[ca]
	default_ca = test
	[test]
	database = $d/index.txt
	new_certs_dir = $d
	serial = $d/serial
	default_md = sha256
	policy = any
	[any]
	commonName = supplied
	[ext]
	subjectAltName = DNS:$host,IP:127.0.0.1
	basicConstraints = CA:FALSE
	extendedKeyUsage = serverAuth
	EOF
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$PKI/$host.key" -out "$PKI/$host.csr" \
		-subj "/CN=$host" 2>/dev/null
	openssl ca -batch -config "$d/ca.cnf" -cert "$PKI/ca.pem" \
		-keyfile "$PKI/ca.key" -in "$PKI/$host.csr" -out "$PKI/$host.pem" \
		-startdate 20200101000000Z -enddate 20200201000000Z \
		-extensions ext -notext 2>/dev/null
	chmod 644 "$PKI/$host.key"
}

# sent_line RCPT: abc's log line for RCPT's delivery
sent_line() { grep -E "to=<$1> status=sent " "$LOG"; }
# deferred RCPT TEXT: abc deferred RCPT with TEXT in the reason
deferred() { grep -E "to=<$1> status=deferred .*$2" "$LOG"; }

# q ARGS: smtpd -q on abc's queue
q() { "$SMTPD_BIN" -f "$abc_ROOT/etc/smtpd.conf" -q "$@"; }

@test "opportunistic STARTTLS: a peer offering it gets the message in TLS, unchecked, and the log says so" {
	need_tls
	# self-signed: no certificate check without `tls` on the route
	tls_selfsigned sink.example
	sink_start tls sink.example-self
	daemon_conf abc "route sink.example 127.0.0.1:$SINK_PORT"
	daemon_start abc
	alice_sends "in tls" carol@sink.example
	[[ "$output" == *"250 Message received and to be delivered"* ]]
	wait_for 15 sink_has "message in tls" 1
	cat "$SINK_LOG"
	grep -qx "message in tls tls=TLSv1.[23]" "$SINK_LOG"
	grep -qx "mail <alice@abc.com> tls=TLSv1.[23]" "$SINK_LOG"
	run ! grep -q "tls=none" "$SINK_LOG"
	wait_for 10 sent_line carol@sink.example
	sent_line carol@sink.example
	sent_line carol@sink.example | grep -Eq " delay=[0-9.]+ tls=unverified version=TLSv1\.[23] cipher=[A-Z0-9_-]+ bits=[0-9]+$"
	wait_for 10 queue_empty abc
}

@test "a peer that does not offer STARTTLS gets the message in clear, logged without tls=" {
	need_tls
	sink_start clear
	daemon_conf abc "route sink.example 127.0.0.1:$SINK_PORT"
	daemon_start abc
	alice_sends "in clear" carol@sink.example
	wait_for 15 sink_has "message in clear" 1
	grep -qx "message in clear tls=none" "$SINK_LOG"
	wait_for 10 sent_line carol@sink.example
	run ! grep -q " tls=" <(sent_line carol@sink.example)
}

@test "a handshake that fails defers the message: tried again, never sent in clear" {
	need_tls
	sink_start broken
	daemon_conf abc "route sink.example 127.0.0.1:$SINK_PORT"
	daemon_start abc
	alice_sends "no downgrade" carol@sink.example
	[[ "$output" == *"250 Message received and to be delivered"* ]]
	# retried (retry_delay 1s 2s): a second connection, still no MAIL
	wait_for 20 sink_has connect 2
	wait_for 10 deferred carol@sink.example "4\.7\.5 TLS failed"
	deferred carol@sink.example "127\.0\.0\.1:$SINK_PORT: 451 4\.7\.5 TLS failed: "
	cat "$SINK_LOG"
	[ "$(sink_count mail)" = 0 ]
	[ "$(sink_count message)" = 0 ]
	[ "$(queue_count abc)" = 1 ]
}

@test "a refused STARTTLS (454) defers the message, never sent in clear" {
	need_tls
	sink_start refuse
	daemon_conf abc "route sink.example 127.0.0.1:$SINK_PORT"
	daemon_start abc
	alice_sends "refused" carol@sink.example
	wait_for 20 sink_has connect 2
	wait_for 10 deferred carol@sink.example "451 4\.7\.5 STARTTLS refused: 454 4\.7\.0 TLS not available"
	[ "$(sink_count mail)" = 0 ]
	[ "$(queue_count abc)" = 1 ]
}

@test "route ... tls: a certificate from tls_ca for the route's host is verified, the message sent" {
	need_tls
	# SAN IP:127.0.0.1, the route's host
	tls_cert sink.example
	sink_start tls sink.example
	daemon_conf abc "route sink.example 127.0.0.1:$SINK_PORT tls" \
		"tls_ca $PKI/ca.pem"
	daemon_start abc
	alice_sends "verified" carol@sink.example
	wait_for 15 sink_has "message verified" 1
	grep -qx "message verified tls=TLSv1.[23]" "$SINK_LOG"
	wait_for 10 sent_line carol@sink.example
	sent_line carol@sink.example | grep -Eq " tls=verified version=TLSv1\.[23] cipher="
}

@test "route ... tls by name: the certificate must name that host" {
	need_tls
	tls_cert localhost
	sink_start tls localhost
	daemon_conf abc "route sink.example localhost:$SINK_PORT tls" \
		"tls_ca $PKI/ca.pem"
	daemon_start abc
	alice_sends "by name" carol@sink.example
	wait_for 15 sink_has "message by name" 1
	wait_for 10 sent_line carol@sink.example
	sent_line carol@sink.example | grep -q " tls=verified "
}

# tls_refused CERT-NAME ROUTE-HOST: a tls route to ROUTE-HOST, the sink
# showing CERT-NAME's certificate: deferred with 4.7.5, nothing in clear
tls_refused() {
	sink_start tls "$1"
	daemon_conf abc "route sink.example $2:$SINK_PORT tls" \
		"tls_ca $PKI/ca.pem"
	daemon_start abc
	alice_sends "refused cert" carol@sink.example
	[[ "$output" == *"250 Message received and to be delivered"* ]]
	wait_for 20 sink_has connect 2
	wait_for 10 deferred carol@sink.example "451 4\.7\.5 TLS failed \(certificate checked for $2\): "
	deferred carol@sink.example .
	[ "$(sink_count mail)" = 0 ]
	[ "$(sink_count message)" = 0 ]
	[ "$(queue_count abc)" = 1 ]
}

@test "route ... tls: a self-signed certificate is refused, the message deferred" {
	need_tls
	tls_selfsigned sink.example
	tls_ca
	tls_refused sink.example-self 127.0.0.1
}

@test "route ... tls: a certificate for another name is refused, the message deferred" {
	need_tls
	# CA-signed for wrong.example (and IP 127.0.0.1): not for localhost
	tls_cert wrong.example
	tls_refused wrong.example localhost
}

@test "route ... tls: an expired certificate is refused, the message deferred" {
	need_tls
	tls_expired old.example
	tls_refused old.example 127.0.0.1
	grep -q "expired" <(deferred carol@sink.example .)
}

@test "route ... tls to a peer without STARTTLS: deferred 4.7.4, smtpd -q says why" {
	need_tls
	tls_ca
	sink_start clear
	daemon_conf abc "route sink.example 127.0.0.1:$SINK_PORT tls" \
		"tls_ca $PKI/ca.pem"
	daemon_start abc
	alice_sends "not offered" carol@sink.example
	wait_for 20 sink_has connect 2
	wait_for 10 deferred carol@sink.example "127\.0\.0\.1:$SINK_PORT: 451 4\.7\.4 TLS is required, but was not offered"
	[ "$(sink_count mail)" = 0 ]
	[ "$(queue_count abc)" = 1 ]
	run q
	echo "$output"
	[ "$status" = 0 ]
	[[ "$output" == *"carol@sink.example"*"451 4.7.4 TLS is required, but was not offered"* ]]
}

@test "three messages go over one TLS connection, RSET between them" {
	need_tls
	tls_selfsigned sink.example
	sink_start tls sink.example-self
	daemon_conf abc "route sink.example 127.0.0.1:$SINK_PORT" \
		"relay_dest_concurrency 1"
	# queued before the daemon runs: one job of three
	daemon_write_conf abc
	cmds=("EHLO client.abc.com" "$ALICE_AUTH")
	for i in 1 2 3; do
		cmds+=("MAIL FROM:<alice@abc.com>" "RCPT TO:<carol@sink.example>" DATA
			"From: alice@abc.com" "Subject: reuse-$i" "" "message $i" ".")
	done
	cmds+=(QUIT)
	run bash -c 'printf "%s\r\n" "${@:3}" | "$1" -f "$2" -i submission | tr -d "\r"' \
		_ "$SMTPD_BIN" "$abc_ROOT/etc/smtpd.conf" "${cmds[@]}" \
		2>>"$abc_ROOT/inetd.log"
	[ "$(grep -c '^250 Message received and to be delivered' <<<"$output")" = 3 ]
	daemon_start abc
	wait_for 20 sink_has "message reuse" 3
	wait_for 10 queue_empty abc
	cat "$SINK_LOG"
	[ "$(sink_count connect)" = 1 ]
	[ "$(sink_count "tls ")" = 1 ]
	[ "$(grep -c '^message reuse-[123] tls=TLSv1.[23]$' "$SINK_LOG")" = 3 ]
	[ "$(grep -c '^rset tls=TLSv1.[23]$' "$SINK_LOG")" = 2 ]
	[ "$(grep -c ' tls=unverified ' "$LOG")" = 3 ]
}

@test "the RCPT-time probe uses STARTTLS when offered" {
	need_tls
	tls_selfsigned sink.example
	sink_start tls sink.example-self
	daemon_conf abc "route sink.example 127.0.0.1:$SINK_PORT" \
		"verify_recipients yes"
	daemon_start abc
	run chat -p "$abc_SUBMIT" "EHLO client.abc.com" "$ALICE_AUTH" \
		"MAIL FROM:<alice@abc.com>" "RCPT TO:<carol@sink.example>" QUIT
	echo "$output"
	[[ "$output" == *"250 2.1.5 Recipient OK"* ]]
	grep -q "verify to=<carol@sink.example> code=250" "$LOG"
	cat "$SINK_LOG"
	grep -qx "mail <> tls=TLSv1.[23]" "$SINK_LOG"
	run ! grep -q "tls=none" "$SINK_LOG"
}

@test "the RCPT-time probe on a tls route does not ask a peer in clear" {
	need_tls
	tls_ca
	sink_start clear
	daemon_conf abc "route sink.example 127.0.0.1:$SINK_PORT tls" \
		"tls_ca $PKI/ca.pem" "verify_recipients yes"
	daemon_start abc
	run chat -p "$abc_SUBMIT" "EHLO client.abc.com" "$ALICE_AUTH" \
		"MAIL FROM:<alice@abc.com>" "RCPT TO:<carol@sink.example>" QUIT
	echo "$output"
	# not asked: the recipient is accepted, left to the relay
	[[ "$output" == *"250 2.1.5 Recipient OK"* ]]
	grep -q "verify to=<carol@sink.example> code=-1 .*4\.7\.4 TLS is required, but was not offered" "$LOG"
	[ "$(sink_count connect)" -ge 1 ]
	[ "$(sink_count mail)" = 0 ]
}

@test "the default build: route ... tls is refused naming make TLS=1; a peer offering STARTTLS gets the message in clear" {
	tls_is_built && skip "the TLS build: this checks the default one"
	daemon_write_conf abc
	printf '%s\n' "route x.com 127.0.0.1:25 tls" >>"$abc_ROOT/etc/smtpd.conf"
	run "$SMTPD_BIN" -n -f "$abc_ROOT/etc/smtpd.conf"
	echo "$output"
	[ "$status" != 0 ]
	[[ "$output" == *"make TLS=1"* ]]
	# the sink offers STARTTLS; this build does not take it up
	tls_selfsigned sink.example
	sink_start tls sink.example-self
	: >"$abc_ROOT/etc/extra.conf"
	daemon_conf abc "route sink.example 127.0.0.1:$SINK_PORT"
	daemon_start abc
	alice_sends "default build" carol@sink.example
	wait_for 15 sink_has "message default build" 1
	grep -qx "message default build tls=none" "$SINK_LOG"
	[ "$(sink_count "tls ")" = 0 ]
	wait_for 10 queue_empty abc
}
