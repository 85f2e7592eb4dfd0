#!/usr/bin/env bats
# tls_smtp.bats - TLS on the SMTP side of smtpd (issue 13): STARTTLS
# (RFC 3207) on the smtp and submission listeners, implicit TLS on smtps
# (RFC 8314), AUTH only inside TLS but from the loopback address or with
# auth_plaintext, Received: "with ESMTPS/ESMTPSA" (RFC 3848) and the
# TLS version and cipher, the logs' tls= fields, the STARTTLS injection
# (CVE-2011-0411), a handshake that stalls, a TLS 1.0 client, a key pair
# reloaded on SIGHUP; real clients: Python's smtplib, swaks, msmtp.
#
# One daemon "main" for example.org with a certificate for mx.example.org
# (and IP 127.0.0.1) signed by the test CA ($PKI/ca.pem), and an smtps
# listener on $SMTPS_PORT.  t/tlschat.py is smtpchat.py with TLS: "<tls>"
# shakes hands, --implicit from the start, --source 127.0.0.2 connects
# from an address that is not the loopback exemption's.
#
# In the default build (SMTPD_TLS=0) the TLS tests skip (need_tls) and
# the last ones check the TLS directives are refused, naming make TLS=1.

load helpers
load smtp_helpers
load tls_helpers

setup() {
	daemon_init main example.org
	LOG=$main_ROOT/smtpd.log
}

teardown() { test_teardown; }

tlschat() { python3 "$REPO/t/tlschat.py" "$@"; }

# tls_main [LINE...]: the daemon with a key pair and an smtps listener
tls_main() {
	need_tls
	tls_daemon main
	SMTPS_PORT=$(free_port)
	daemon_conf main "listen smtps 127.0.0.1:$SMTPS_PORT" "$@"
	smtpd_start
}

# ehlo_tls [STARTTLS] [AUTH]: the EHLO reply with those last lines
ehlo_tls() {
	printf '%s\n' "250-mx.example.org Hello client.example" \
		"250-PIPELINING" "250-SIZE 26214400" "250-8BITMIME"
	local last=("ENHANCEDSTATUSCODES" "$@") i
	for ((i = 0; i < ${#last[@]}; i++)); do
		if [ $((i + 1)) = ${#last[@]} ]; then
			echo "250 ${last[i]/AUTH/AUTH PLAIN LOGIN}"
		else
			echo "250-${last[i]/AUTH/AUTH PLAIN LOGIN}"
		fi
	done
}

message_file() {
	printf 'From: alice@example.org\r\nTo: bob@example.org\r\nSubject: %s\r\n\r\nover TLS\r\n' "$1"
}

# the Received: field (unfolded) of bob's only message
received_of_bob() {
	local f
	f=$(stored bob) || return 1
	awk '/^Received:/ { r = $0; on = 1; next }
	     on && /^[ \t]/ { sub(/^[ \t]+/, " "); r = r $0; next }
	     { on = 0 }
	     END { print r }' "$f"
}

# --- STARTTLS in EHLO ---------------------------------------------------

@test "without tls_cert: no STARTTLS in EHLO, STARTTLS is an unknown command, AUTH as before" {
	smtpd_start
	run chat "$SMTP_PORT" "EHLO client.example" "STARTTLS"
	expect_lines "220 mx.example.org ESMTP ready" "$(ehlo_reply)" \
		"500 5.5.1 Unknown command"
}

@test "EHLO offers STARTTLS, and after the handshake no longer does" {
	tls_main
	run tlschat "$SMTP_PORT" "EHLO client.example" "STARTTLS" "<tls>" \
		"EHLO client.example" "STARTTLS"
	expect_lines "220 mx.example.org ESMTP ready" \
		"$(ehlo_tls STARTTLS AUTH)" \
		"220 2.0.0 Ready to start TLS" \
		"<tls TLSv1.3 TLS_AES_256_GCM_SHA384>" \
		"$(ehlo_tls AUTH)" \
		"554 5.5.1 Error: TLS already active"
	run tlschat "$SUBMIT_PORT" "EHLO client.example"
	expect_lines "220 mx.example.org ESMTP ready" \
		"$(ehlo_tls STARTTLS AUTH)"
}

@test "STARTTLS: 501 with an argument, 503 in a transaction; then the session is as new" {
	tls_main
	run tlschat "$SMTP_PORT" "EHLO client.example" "STARTTLS now" \
		"MAIL FROM:<x@remote.example>" "STARTTLS" "RSET" "STARTTLS" \
		"<tls>" "MAIL FROM:<x@remote.example>" "EHLO client.example" \
		"MAIL FROM:<x@remote.example>"
	expect_lines "220 mx.example.org ESMTP ready" \
		"$(ehlo_tls STARTTLS AUTH)" \
		"501 5.5.4 Syntax: STARTTLS" \
		"250 2.1.0 Sender OK" \
		"503 5.5.1 Error: MAIL transaction in progress" \
		"250 2.0.0 OK" \
		"220 2.0.0 Ready to start TLS" \
		"<tls TLSv1.3 TLS_AES_256_GCM_SHA384>" \
		"503 5.5.2 Send hello first" \
		"$(ehlo_tls AUTH)" \
		"250 2.1.0 Sender OK"
}

@test "STARTTLS forgets AUTH (RFC 3207 §4.2): submission asks for it again" {
	tls_main
	run tlschat "$SUBMIT_PORT" "EHLO client.example" \
		"AUTH PLAIN $(plain alice@example.org alicepw)" "STARTTLS" "<tls>" \
		"EHLO client.example" "MAIL FROM:<alice@example.org>"
	expect_lines "220 mx.example.org ESMTP ready" \
		"$(ehlo_tls STARTTLS AUTH)" \
		"235 2.7.0 Authentication successful" \
		"220 2.0.0 Ready to start TLS" \
		"<tls TLSv1.3 TLS_AES_256_GCM_SHA384>" \
		"$(ehlo_tls AUTH)" \
		"530 5.7.0 Authentication required"
}

# --- the STARTTLS injection (CVE-2011-0411) -----------------------------

@test "commands pipelined behind STARTTLS are dropped, never executed, and the log says so" {
	tls_main
	run tlschat "$SMTP_PORT" "EHLO client.example" \
		'<send STARTTLS\r\nMAIL FROM:<x@remote.example>\r\n>' "<read>" \
		"<tls>" "NOOP" "QUIT"
	expect_lines "220 mx.example.org ESMTP ready" \
		"$(ehlo_tls STARTTLS AUTH)" \
		"220 2.0.0 Ready to start TLS" \
		"<tls TLSv1.3 TLS_AES_256_GCM_SHA384>" \
		"250 2.0.0 OK" \
		"221 closing connection"
	wait_for 5 grep -q "disconnect client=\[127.0.0.1\] service=smtp" "$LOG"
	grep -q "STARTTLS: dropped 30 bytes sent before the handshake client=\[127.0.0.1\] service=smtp" "$LOG"
}

# --- AUTH only inside TLS ------------------------------------------------

@test "off loopback, AUTH is neither offered nor accepted before STARTTLS; inside TLS it is" {
	tls_main
	run tlschat --source 127.0.0.2 "$SUBMIT_PORT" "EHLO client.example" \
		"AUTH PLAIN $(plain alice@example.org alicepw)" \
		"MAIL FROM:<alice@example.org>" "STARTTLS" "<tls>" \
		"EHLO client.example" "AUTH PLAIN $(plain alice@example.org alicepw)" \
		"MAIL FROM:<alice@example.org>"
	expect_lines "220 mx.example.org ESMTP ready" \
		"$(ehlo_tls STARTTLS)" \
		"530 5.7.0 Must issue a STARTTLS command first" \
		"530 5.7.0 Authentication required" \
		"220 2.0.0 Ready to start TLS" \
		"<tls TLSv1.3 TLS_AES_256_GCM_SHA384>" \
		"$(ehlo_tls AUTH)" \
		"235 2.7.0 Authentication successful" \
		"250 2.1.0 Sender OK"
}

@test "AUTH LOGIN off loopback before STARTTLS: 530, the credentials never read" {
	tls_main
	run tlschat --source 127.0.0.2 "$SMTP_PORT" "EHLO client.example" \
		"AUTH LOGIN $(b64 alice@example.org)" "NOOP"
	expect_lines "220 mx.example.org ESMTP ready" \
		"$(ehlo_tls STARTTLS)" \
		"530 5.7.0 Must issue a STARTTLS command first" \
		"250 2.0.0 OK"
}

@test "auth_plaintext yes: AUTH offered and accepted in clear off loopback" {
	tls_main "auth_plaintext yes"
	run tlschat --source 127.0.0.2 "$SUBMIT_PORT" "EHLO client.example" \
		"AUTH PLAIN $(plain alice@example.org alicepw)"
	expect_lines "220 mx.example.org ESMTP ready" \
		"$(ehlo_tls STARTTLS AUTH)" \
		"235 2.7.0 Authentication successful"
}

@test "from 127.0.0.1 (loopback) AUTH works in clear, as without a key pair" {
	tls_main
	run tlschat "$SUBMIT_PORT" "EHLO client.example" \
		"AUTH PLAIN $(plain alice@example.org alicepw)"
	expect_lines "220 mx.example.org ESMTP ready" \
		"$(ehlo_tls STARTTLS AUTH)" \
		"235 2.7.0 Authentication successful"
}

# --- real clients ---------------------------------------------------------

@test "Python smtplib: starttls() on submission, login, send: Received says ESMTPSA and the TLS version and cipher" {
	tls_main
	python3 - "$SUBMIT_PORT" "$PKI/ca.pem" <<-'PY'
	import smtplib, ssl, sys
	ctx = ssl.create_default_context(cafile=sys.argv[2])
	s = smtplib.SMTP(timeout=20, source_address=("127.0.0.2", 0))
	s.connect("127.0.0.1", int(sys.argv[1]))
	s._host = "mx.example.org"  # the name starttls() checks the cert for
	s.ehlo("client.example")
	assert not s.has_extn("auth"), "AUTH offered in clear off loopback"
	s.starttls(context=ctx)
	s.ehlo("client.example")
	assert not s.has_extn("starttls")
	s.login("alice@example.org", "alicepw")
	s.sendmail("alice@example.org", ["bob@example.org"],
	           "From: alice@example.org\r\nSubject: smtplib\r\n\r\nhi\r\n")
	s.quit()
	PY
	run received_of_bob
	echo "$output"
	[[ $output == "Received: from client.example ([127.0.0.2]) (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)) by mx.example.org (smtpd) with ESMTPSA id "* ]]
	grep -Eq "from=<alice@example.org> .* proto=ESMTPSA tls=TLSv1.3:TLS_AES_256_GCM_SHA384 user=alice@example.org$" "$LOG"
	grep -Eq "STARTTLS: client=\[127.0.0.2\] service=submission tls=TLSv1.3:TLS_AES_256_GCM_SHA384 bits=256$" "$LOG"
	wait_for 5 grep -Eq "disconnect client=\[127.0.0.2\] service=submission .* tls=TLSv1.3:TLS_AES_256_GCM_SHA384$" "$LOG"
}

@test "smtps is submission: MAIL before AUTH gets 530, even to a local user" {
	tls_main
	run tlschat --implicit "$SMTPS_PORT" "EHLO client.example" \
		"MAIL FROM:<x@elsewhere.example>" "RCPT TO:<bob@example.org>"
	echo "$output"
	[ "${lines[-2]}" = "530 5.7.0 Authentication required" ]
	[ "$(maildir_count example.org bob)" = 0 ]
}

@test "Python smtplib: SMTP_SSL on smtps (the name checked), login, send" {
	tls_main
	python3 - "$SMTPS_PORT" "$PKI/ca.pem" <<-'PY'
	import smtplib, ssl, sys
	ctx = ssl.create_default_context(cafile=sys.argv[2])
	s = smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[1]), context=ctx, timeout=20)
	s.ehlo("client.example")
	assert not s.has_extn("starttls")
	s.login("alice@example.org", "alicepw")
	s.sendmail("alice@example.org", ["bob@example.org"],
	           "From: alice@example.org\r\nSubject: smtps\r\n\r\nhi\r\n")
	s.quit()
	PY
	run received_of_bob
	echo "$output"
	[[ $output == "Received: from client.example ([127.0.0.1]) (using TLSv1.3 with cipher "*" by mx.example.org (smtpd) with ESMTPSA id "* ]]
	grep -q "TLS: client=\[127.0.0.1\] service=smtps tls=TLSv1.3:" "$LOG"
	# the wrong name is refused by the client: the certificate is checked
	run python3 -c '
import smtplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
smtplib.SMTP_SSL("localhost", int(sys.argv[1]), context=ctx, timeout=20)' \
		"$SMTPS_PORT" "$PKI/ca.pem"
	[ "$status" != 0 ]
	[[ $output == *"CERTIFICATE_VERIFY_FAILED"* ]]
}

@test "a message received on port 25 over STARTTLS without AUTH: with ESMTPS" {
	tls_main
	run tlschat "$SMTP_PORT" "EHLO client.example" "STARTTLS" "<tls>" \
		"EHLO client.example" "MAIL FROM:<x@remote.example>" \
		"RCPT TO:<bob@example.org>" "DATA" "<send Subject: s\r\n\r\nhi\r\n.\r\n>" "<read>"
	[[ ${lines[-1]} == "250 Message received and to be delivered" ]]
	run received_of_bob
	[[ $output == *"(using TLSv1.3 with cipher"*") by mx.example.org (smtpd) with ESMTPS id "* ]]
	grep -q "proto=ESMTPS tls=TLSv1.3:TLS_AES_256_GCM_SHA384$" "$LOG"
}

@test "300 KB over STARTTLS in records cut at odd places: lines across records and refills stored whole" {
	tls_main
	run python3 - "$SMTP_PORT" "$BATS_TEST_TMPDIR/want" <<-'PY'
	import socket, ssl, sys
	lines, i = [b"Subject: records", b""], 0
	while sum(len(l) + 2 for l in lines) < 300000:
	    l = (b"%d:" % i + b"0123456789" * 2000)[:(i * 7919) % 20011 if i % 5 == 0 else (i * 37) % 1100]
	    lines.append(b"." + l if i % 3 == 0 else l)
	    i += 1
	open(sys.argv[2], "wb").write(b"".join(l + b"\n" for l in lines))
	# a leading dot stuffed on the wire
	data = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n"
	                for l in lines) + b".\r\n"
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
	f = s.makefile("rb")
	def reply(f):
	    while True:
	        l = f.readline().decode()
	        if len(l) < 4 or l[3] != "-":
	            return l.rstrip()
	reply(f)
	for c in (b"EHLO client.example", b"STARTTLS"):
	    s.sendall(c + b"\r\n"); reply(f)
	ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
	ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
	t = ctx.wrap_socket(s)
	f = t.makefile("rb")
	for c in (b"EHLO client.example", b"MAIL FROM:<x@remote.example>",
	          b"RCPT TO:<bob@example.org>", b"DATA"):
	    t.sendall(c + b"\r\n"); reply(f)
	for k in range(0, len(data), 4093):  # one TLS record each
	    t.sendall(data[k:k + 4093])
	print(reply(f))
	PY
	[ "$output" = "250 Message received and to be delivered" ]
	# the message from its first line on (the TLS Received: is folded)
	f=$(stored bob)
	cmp "$BATS_TEST_TMPDIR/want" <(sed -n '/^Subject: records$/,$p' "$f")
}

@test "swaks --tls (STARTTLS) on submission and --tlsc (smtps), with AUTH" {
	tls_main
	run swaks --server 127.0.0.1 --port "$SUBMIT_PORT" --tls \
		--tls-verify --tls-ca-path "$PKI/ca.pem" \
		--auth PLAIN --auth-user alice@example.org --auth-password alicepw \
		--from alice@example.org --to bob@example.org \
		--helo client.example --header "Subject: swaks tls"
	echo "$output"
	[ "$status" = 0 ]
	[[ $output == *"<-  220 2.0.0 Ready to start TLS"* ]]
	[[ $output == *"~> AUTH PLAIN"* ]]
	run swaks --server 127.0.0.1 --port "$SMTPS_PORT" --tlsc \
		--tls-verify --tls-ca-path "$PKI/ca.pem" \
		--auth LOGIN --auth-user alice@example.org --auth-password alicepw \
		--from alice@example.org --to bob@example.org \
		--helo client.example --header "Subject: swaks tlsc"
	echo "$output"
	[ "$status" = 0 ]
	[ "$(maildir_count example.org bob)" = 2 ]
	for f in $(maildir_files example.org bob); do
		grep -q "with ESMTPSA id" "$f"
		grep -q "(using TLSv1.3 with cipher" "$f"
	done
}

@test "msmtp: tls on with STARTTLS on submission, and implicit TLS on smtps" {
	tls_main
	local conf=$TEST_ROOT/msmtprc
	cat >"$conf" <<-EOF
	defaults
	host 127.0.0.1
	tls on
	tls_trust_file $PKI/ca.pem
	auth plain
	user alice@example.org
	password alicepw
	from alice@example.org
	domain client.example
	logfile $TEST_ROOT/msmtp.log

	account starttls
	port $SUBMIT_PORT
	tls_starttls on

	account implicit
	port $SMTPS_PORT
	tls_starttls off
	EOF
	chmod 600 "$conf"
	message_file "msmtp starttls" | msmtp -C "$conf" -a starttls bob@example.org
	message_file "msmtp implicit" | msmtp -C "$conf" -a implicit bob@example.org
	[ "$(maildir_count example.org bob)" = 2 ]
	for f in $(maildir_files example.org bob); do
		grep -q "with ESMTPSA id" "$f"
	done
	grep -q "service=submission tls=TLSv1" "$LOG"
	grep -q "service=smtps tls=TLSv1" "$LOG"
}

# --- handshakes that fail -----------------------------------------------

@test "a client that never finishes the handshake is cut off after timeout (smtps and STARTTLS)" {
	tls_main "timeout 2"
	# a partial ClientHello: a record header that promises more
	RAW_WAIT=30 run raw "$SMTPS_PORT" '\x16\x03\x01\x02\x00\x01'
	[ "$output" = "<closed>" ]
	wait_for 10 grep -q "TLS: handshake failed client=\[127.0.0.1\] service=smtps (TLS handshake: timed out)" "$LOG"
	RAW_WAIT=30 run raw "$SMTP_PORT" 'EHLO client.example\r\nSTARTTLS\r\n'
	[[ ${lines[-2]} == "220 2.0.0 Ready to start TLS" ]]
	[ "${lines[-1]}" = "<closed>" ]
	wait_for 10 grep -q "STARTTLS: handshake failed client=\[127.0.0.1\] service=smtp (TLS handshake: timed out)" "$LOG"
}

@test "smtps: nothing sent in clear; a client speaking SMTP gets no banner, the handshake fails" {
	tls_main
	RAW_WAIT=30 run raw "$SMTPS_PORT" 'EHLO client.example\r\n'
	[[ $output != *"220"* ]]
	[[ ${lines[-1]} == "<closed>" ]]
	wait_for 10 grep -q "TLS: handshake failed client=\[127.0.0.1\] service=smtps" "$LOG"
}

@test "a client offering only TLS 1.0 is refused (tls_protocols' default: 1.2 and 1.3)" {
	tls_main
	run tlschat --max-tls1 "$SMTP_PORT" "EHLO client.example" "STARTTLS" "<tls>" "NOOP"
	echo "$output"
	[[ ${lines[-1]} == "<tls failed: "* ]]
	run tlschat --max-tls1 --implicit "$SMTPS_PORT"
	[[ ${lines[-1]} == "<tls failed: "* ]]
	wait_for 10 grep -q "STARTTLS: handshake failed client=\[127.0.0.1\] service=smtp" "$LOG"
	# and the same client with TLS 1.2 allowed gets in
	run tlschat "$SMTP_PORT" "EHLO client.example" "STARTTLS" "<tls>" "NOOP"
	[ "${lines[-1]}" = "250 2.0.0 OK" ]
}

@test "tls_protocols TLSv1.2: a TLS 1.3 client settles for 1.2" {
	tls_main "tls_protocols TLSv1.2"
	run tlschat --implicit "$SMTPS_PORT" "NOOP"
	[[ ${lines[0]} == "<tls TLSv1.2 "* ]]
	[ "${lines[-1]}" = "250 2.0.0 OK" ]
}

# --- the master ------------------------------------------------------------

@test "smtps over max_clients: the connection is closed, no 421 in clear" {
	tls_main "max_clients 1"
	local banner i
	# the one slot, once the start's probe connection has let it go
	for i in $(seq 1 50); do
		exec 7<>/dev/tcp/127.0.0.1/"$SMTP_PORT"
		read -r -t 10 banner <&7 || banner=
		[[ $banner == "220 "* ]] && break
		exec 7>&-
		sleep 0.2
	done
	[[ $banner == "220 "* ]]
	RAW_WAIT=20 run raw "$SMTPS_PORT" ''
	[ "$output" = "<closed>" ]
	grep -q "refused client=\[127.0.0.1\] service=smtps (max_clients 1 reached)" "$LOG"
	# the same on submission still says why
	RAW_WAIT=20 run raw "$SUBMIT_PORT" ''
	exec 7>&-
	expect_lines "421 4.3.2 Too many connections" "<closed>"
}

@test "SIGHUP: a new key pair serves new sessions; a bad one is refused and the old one kept" {
	tls_main
	run tlschat --ca "$PKI/ca.pem" --implicit "$SMTPS_PORT" "<cert>"
	[ "${lines[-1]}" = "<cert mx.example.org>" ]
	tls_cert other.example.org
	# other.example.org's certificate has IP:127.0.0.1 too
	sed -i "s|^tls_cert .*|tls_cert $PKI/other.example.org.pem|; s|^tls_key .*|tls_key $PKI/other.example.org.key|" \
		"$main_ROOT/etc/smtpd.conf"
	kill -HUP "$SMTPD_PID"
	wait_for 10 grep -q "SIGHUP: re-reading" "$LOG"
	wait_for 10 eval 'tlschat --ca "$PKI/ca.pem" --implicit "$SMTPS_PORT" "<cert>" | grep -q "<cert other.example.org>"'
	run tlschat --ca "$PKI/ca.pem" "$SMTP_PORT" "EHLO client.example" "STARTTLS" "<tls>" "<cert>"
	[ "${lines[-1]}" = "<cert other.example.org>" ]
	# a key that is not the certificate's
	sed -i "s|^tls_key .*|tls_key $PKI/mx.example.org.key|" "$main_ROOT/etc/smtpd.conf"
	kill -HUP "$SMTPD_PID"
	wait_for 10 grep -q "keeping the running TLS key pair" "$LOG"
	run tlschat --ca "$PKI/ca.pem" --implicit "$SMTPS_PORT" "<cert>" "NOOP"
	expect_lines "<tls TLSv1.3 TLS_AES_256_GCM_SHA384>" \
		"220 mx.example.org ESMTP ready" "<cert other.example.org>" \
		"250 2.0.0 OK"
}

@test "a key only root reads: loaded at start, the log says a SIGHUP cannot load another, a SIGHUP keeps it" {
	[ "$(id -u)" = 0 ] || skip "needs root: the daemon reads the key as root, then runs as nobody"
	need_tls
	tls_cert mx.example.org
	cp "$PKI/mx.example.org.key" "$PKI/root.key"
	chmod 600 "$PKI/root.key"
	tls_main "tls_key $PKI/root.key"
	grep -q "$PKI/root.key: user nobody cannot read it: a SIGHUP cannot load a new key pair, restart smtpd" "$LOG"
	run tlschat --ca "$PKI/ca.pem" --implicit "$SMTPS_PORT" "NOOP"
	[ "${lines[-1]}" = "250 2.0.0 OK" ]
	kill -HUP "$SMTPD_PID"
	wait_for 10 grep -q "keeping the running TLS key pair (a key the user smtpd runs as cannot read needs a restart)" "$LOG"
	run tlschat --ca "$PKI/ca.pem" --implicit "$SMTPS_PORT" "NOOP"
	[ "${lines[-1]}" = "250 2.0.0 OK" ]
}

# --- the default build --------------------------------------------------

@test "default build (TLS=0): tls_cert and listen smtps are refused by smtpd -n, naming make TLS=1" {
	tls_is_built && skip "the TLS build: this is the default build's test"
	tls_cert mx.example.org
	daemon_conf main "tls_cert $PKI/mx.example.org.pem" "tls_key $PKI/mx.example.org.key"
	daemon_write_conf main
	run "$SMTPD_BIN" -n -f "$main_ROOT/etc/smtpd.conf"
	echo "$output"
	[ "$status" != 0 ]
	[[ $output == *"tls_cert"*"make TLS=1"* ]]
	: >"$main_ROOT/etc/extra.conf"
	daemon_conf main "listen smtps 127.0.0.1:$(free_port)"
	daemon_write_conf main
	run "$SMTPD_BIN" -n -f "$main_ROOT/etc/smtpd.conf"
	echo "$output"
	[ "$status" != 0 ]
	[[ $output == *"smtps"*"make TLS=1"* ]]
}
