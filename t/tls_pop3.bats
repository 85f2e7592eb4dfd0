#!/usr/bin/env bats
# tls_pop3.bats - POP3 over TLS (issue 13): STLS on the pop3 listener
# (RFC 2595) and implicit TLS on pop3s (RFC 8314), with real clients
# (Python's poplib, mpop) checking the certificate against the test CA;
# what the client pipelined behind STLS is dropped, not executed; with a
# cert, USER and AUTH are refused in clear off loopback (a client from
# 127.0.0.2 is not on loopback) unless auth_plaintext is on; a client
# that never finishes the handshake is cut off by pop3_timeout; and the
# default build refuses a pop3s listener, naming make TLS=1.
#
# One daemon "main" for example.org (t/helpers.bash) with a certificate
# for mx.example.org (and 127.0.0.1) signed by the test CA in $PKI
# (t/tls_helpers.bash), a pop3 listener on $POP3_PORT and a pop3s one on
# $POP3S_PORT.  bob/bobpw reads his mail.

load helpers
load pop3_helpers
load tls_helpers

teardown() {
	test_teardown
}

# tls_pop3_start [LINE...]: main with the cert and a pop3s listener
tls_pop3_start() {
	daemon_init main example.org
	POP3S_PORT=$(free_port)
	tls_daemon main
	daemon_conf main "listen pop3s 127.0.0.1:$POP3S_PORT"
	smtpd_start "$@"
	LOG=$TROOT/smtpd.log
}

one_message() {
	printf 'From: alice@example.org\nSubject: over tls\n\nsecret body\n' |
		put_msg bob 1700000001.M000001P1Q1.test
}

# pop3_py: python3 running stdin after a prelude: Pop(port, source,
# tls) a POP3 connection by hand (source address chosen; tls: implicit),
# .cmd(line) the first reply line, .multi(line) a whole reply, .stls(),
# .send(bytes), .line(); ctx() the client context trusting the test CA
# and checking the host name; expect(got, want)
pop3_py() {
	POP3_PORT=$POP3_PORT POP3S_PORT=$POP3S_PORT PKI=$PKI python3 - < <(
		cat <<-'PY'
		import os, poplib, socket, ssl, sys
		PORT = int(os.environ["POP3_PORT"])
		PORT_S = int(os.environ["POP3S_PORT"])
		PKI = os.environ["PKI"]
		def ctx():
		    return ssl.create_default_context(cafile=PKI + "/ca.pem")
		def expect(got, want):
		    if got != want:
		        raise SystemExit("expected %r, got %r" % (want, got))
		class Pop:
		    def __init__(self, port=PORT, source="127.0.0.1", tls=False):
		        self.s = socket.create_connection(("127.0.0.1", port),
		            timeout=30, source_address=(source, 0))
		        if tls:
		            self.s = ctx().wrap_socket(self.s,
		                server_hostname="mx.example.org")
		        self.f = self.s.makefile("rb")
		        self.greeting = self.line()
		    def line(self):
		        l = self.f.readline()
		        return l.decode().rstrip("\r\n") if l else "<closed>"
		    def send(self, data):
		        self.s.sendall(data)
		    def cmd(self, c):
		        self.send(c.encode() + b"\r\n")
		        return self.line()
		    def multi(self, c):
		        lines = [self.cmd(c)]
		        if lines[0].startswith("+OK"):
		            while lines[-1] not in (".", "<closed>"):
		                lines.append(self.line())
		        return lines
		    def tls(self):
		        self.s = ctx().wrap_socket(self.s,
		            server_hostname="mx.example.org")
		        self.f = self.s.makefile("rb")
		    def stls(self):
		        r = self.cmd("STLS")
		        self.tls()
		        return r
		PY
		cat
	)
}

@test "poplib STLS: offered in CAPA before TLS only, certificate checked, login, STAT and RETR over TLS" {
	need_tls
	tls_pop3_start
	one_message
	pop3_py <<-'PY'
	p = poplib.POP3("127.0.0.1", PORT, timeout=30)
	caps = p.capa()
	expect("STLS" in caps, True)
	expect(p.stls(ctx()).decode(), "+OK Begin TLS negotiation")
	caps = p.capa()
	expect("STLS" in caps, False)
	expect("USER" in caps and "SASL" in caps, True)
	p.user("bob@example.org")
	p.pass_("bobpw")
	expect(p.stat(), (1, len(b"From: alice@example.org\r\nSubject: over tls\r\n\r\nsecret body\r\n")))
	resp, lines, octets = p.retr(1)
	expect(lines[-1], b"secret body")
	expect(p.sock.version() in ("TLSv1.2", "TLSv1.3"), True)
	p.quit()
	PY
	grep -E "STLS: client=\[127\.0\.0\.1\] service=pop3 tls=TLSv1\.[23]:[A-Z0-9_-]+ bits=" "$LOG"
	wait_for 5 grep -E "disconnect client=\[127\.0\.0\.1\] service=pop3 .* tls=TLSv1\.[23]:[A-Z0-9_-]+$" "$LOG"
}

@test "poplib POP3_SSL on pop3s: TLS before the greeting, no STLS in CAPA, STLS refused, RETR" {
	need_tls
	tls_pop3_start
	one_message
	pop3_py <<-'PY'
	p = poplib.POP3_SSL("127.0.0.1", PORT_S, context=ctx(), timeout=30)
	expect(p.getwelcome(), b"+OK mx.example.org POP3 ready")
	caps = p.capa()
	expect("STLS" in caps, False)
	expect("USER" in caps, True)
	try:
	    p._shortcmd("STLS")
	    raise SystemExit("STLS accepted on pop3s")
	except poplib.error_proto as e:
	    expect(e.args[0], b"-ERR TLS is already active")
	p.user("bob@example.org")
	p.pass_("bobpw")
	resp, lines, octets = p.retr(1)
	expect(lines[-1], b"secret body")
	p.quit()
	PY
	wait_for 5 grep -E "disconnect client=\[127\.0\.0\.1\] service=pop3s .* tls=TLSv1\.[23]:" "$LOG"
}

@test "STLS: refused after TLS and after login; the certificate must match the name asked for" {
	need_tls
	tls_pop3_start
	pop3_py <<-'PY'
	p = Pop()
	expect(p.cmd("USER bob@example.org"), "+OK Send PASS")
	# STLS starts the AUTHORIZATION state again, the USER forgotten
	expect(p.stls(), "+OK Begin TLS negotiation")
	expect(p.cmd("PASS bobpw"), "-ERR Not logged in: USER and PASS, or AUTH, first")
	expect(p.cmd("STLS"), "-ERR TLS is already active")
	p = Pop()
	expect(p.cmd("USER bob@example.org"), "+OK Send PASS")
	expect(p.cmd("PASS bobpw"), "+OK Logged in, 0 messages")
	expect(p.cmd("STLS"), "-ERR Already logged in")
	expect(p.cmd("QUIT"), "+OK mx.example.org POP3 server signing off (0 messages left)")
	# a client checking for another name refuses the certificate
	s = socket.create_connection(("127.0.0.1", PORT), timeout=30)
	f = s.makefile("rb")
	f.readline()
	s.sendall(b"STLS\r\n")
	expect(f.readline(), b"+OK Begin TLS negotiation\r\n")
	try:
	    ctx().wrap_socket(s, server_hostname="other.example.net")
	    raise SystemExit("a certificate for another name was accepted")
	except ssl.SSLCertVerificationError:
	    pass
	PY
	wait_for 5 grep -F "STLS: handshake failed client=[127.0.0.1] service=pop3 (TLS handshake" "$LOG"
}

@test "STLS injection: a USER pipelined behind STLS is dropped, not executed" {
	need_tls
	tls_pop3_start
	pop3_py <<-'PY'
	p = Pop()
	p.send(b"STLS\r\nUSER bob@example.org\r\n")
	expect(p.line(), "+OK Begin TLS negotiation")
	p.tls()
	# had the USER been kept, PASS would log in
	expect(p.cmd("PASS bobpw"), "-ERR Not logged in: USER and PASS, or AUTH, first")
	expect(p.cmd("QUIT"), "+OK mx.example.org POP3 server signing off")
	PY
	grep -F "STLS: dropped 22 bytes sent before the handshake client=[127.0.0.1] service=pop3" "$LOG"
}

@test "with a cert, USER and AUTH in clear are refused off loopback (127.0.0.2), and CAPA does not offer them; over STLS they work" {
	need_tls
	tls_pop3_start
	pop3_py <<-PY
	p = Pop(source="127.0.0.2")
	expect(p.multi("CAPA"), ["+OK Capability list follows", "TOP", "UIDL",
	    "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "STLS",
	    "IMPLEMENTATION smtpd", "."])
	refused = "-ERR [AUTH] Plaintext authentication disallowed on non-secure connections"
	expect(p.cmd("USER bob@example.org"), refused)
	expect(p.cmd("PASS bobpw"), "-ERR Not logged in: USER and PASS, or AUTH, first")
	expect(p.cmd("AUTH PLAIN $(plain bob@example.org bobpw)"), refused)
	expect(p.cmd("AUTH"), refused)
	expect(p.stls(), "+OK Begin TLS negotiation")
	expect(p.multi("CAPA"), ["+OK Capability list follows", "TOP", "UIDL",
	    "USER", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING",
	    "SASL PLAIN", "IMPLEMENTATION smtpd", "."])
	expect(p.cmd("AUTH PLAIN $(plain bob@example.org bobpw)"), "+OK Logged in, 0 messages")
	p.cmd("QUIT")
	# from 127.0.0.1 (loopback) the clear login is allowed
	p = Pop()
	expect(p.cmd("USER bob@example.org"), "+OK Send PASS")
	expect(p.cmd("PASS bobpw"), "+OK Logged in, 0 messages")
	PY
	grep -F "login refused client=[127.0.0.2] service=pop3 (not in TLS)" "$LOG"
}

@test "auth_plaintext yes: USER/PASS in clear accepted off loopback" {
	need_tls
	tls_pop3_start "auth_plaintext yes"
	pop3_py <<-'PY'
	p = Pop(source="127.0.0.2")
	caps = p.multi("CAPA")
	expect("USER" in caps and "SASL PLAIN" in caps and "STLS" in caps, True)
	expect(p.cmd("USER bob@example.org"), "+OK Send PASS")
	expect(p.cmd("PASS bobpw"), "+OK Logged in, 0 messages")
	PY
}

@test "mpop: STLS (--tls-starttls=on) and pop3s (--tls-starttls=off), the CA's certificate checked, mail fetched into a Maildir" {
	need_tls
	tls_pop3_start
	local dir=$TEST_ROOT/fetched
	mkdir -p "$dir/cur" "$dir/new" "$dir/tmp"
	one_message
	mpop --host=127.0.0.1 --port="$POP3_PORT" --tls=on --tls-starttls=on \
		--tls-trust-file="$PKI/ca.pem" --auth=user --user=bob@example.org \
		--passwordeval='echo bobpw' --delivery="maildir,$dir" --keep=off \
		--uidls-file="$TEST_ROOT/uidls" --quiet
	[ "$(ls "$dir/new" | wc -l)" = 1 ]
	grep -qx 'secret body' "$dir"/new/*
	printf 'From: alice@example.org\nSubject: second\n\nimplicit\n' |
		put_msg bob 1700000002.M000001P1Q1.test
	mpop --host=127.0.0.1 --port="$POP3S_PORT" --tls=on --tls-starttls=off \
		--tls-trust-file="$PKI/ca.pem" --user=bob@example.org \
		--passwordeval='echo bobpw' --delivery="maildir,$dir" --keep=off \
		--uidls-file="$TEST_ROOT/uidls" --quiet
	[ "$(ls "$dir/new" | wc -l)" = 2 ]
	grep -lx 'implicit' "$dir"/new/*
	wait_for 5 grep -E "service=pop3 .* tls=TLSv1" "$LOG"
	wait_for 5 grep -E "service=pop3s .* tls=TLSv1" "$LOG"
}

@test "inetd mode: smtpd -i pop3s shakes hands on stdin/stdout, then logs in and reads" {
	need_tls
	tls_pop3_start
	one_message
	SMTPD_BIN=$SMTPD_BIN CONF=$TROOT/etc/smtpd.conf INETD_LOG=$TROOT/inetd.log pop3_py <<-'PY'
	import subprocess
	a, b = socket.socketpair()
	with open(os.environ["INETD_LOG"], "a") as log:
	    proc = subprocess.Popen([os.environ["SMTPD_BIN"], "-f",
	        os.environ["CONF"], "-i", "pop3s"], stdin=b, stdout=b, stderr=log)
	b.close()
	a.settimeout(30)
	s = ctx().wrap_socket(a, server_hostname="mx.example.org")
	f = s.makefile("rb")
	expect(f.readline(), b"+OK mx.example.org POP3 ready\r\n")
	s.sendall(b"USER bob@example.org\r\nPASS bobpw\r\nRETR 1\r\nQUIT\r\n")
	expect(f.readline(), b"+OK Send PASS\r\n")
	expect(f.readline(), b"+OK Logged in, 1 message\r\n")
	body = b""
	while not body.endswith(b"\r\n.\r\n"):
	    l = f.readline()
	    if not l:
	        break
	    body += l
	expect(b"secret body\r\n" in body, True)
	expect(f.readline(), b"+OK mx.example.org POP3 server signing off (1 message left)\r\n")
	expect(proc.wait(timeout=30), 0)
	PY
}

@test "a pop3s client that never completes the handshake is cut off after pop3_timeout; one speaking clear text too" {
	need_tls
	tls_pop3_start "pop3_timeout 1s"
	pop3_py <<-'PY'
	s = socket.create_connection(("127.0.0.1", PORT_S), timeout=30)
	expect(s.recv(100), b"")    # closed by the server, no greeting
	s = socket.create_connection(("127.0.0.1", PORT_S), timeout=30)
	s.sendall(b"USER bob@example.org\r\n")
	try:
	    got = s.recv(100)    # a TLS alert, or nothing
	except ConnectionResetError:
	    got = b""
	expect(got.startswith(b"+OK"), False)
	# the same after STLS
	p = Pop()
	expect(p.cmd("STLS"), "+OK Begin TLS negotiation")
	expect(p.s.recv(100), b"")
	PY
	wait_for 5 grep -F "TLS: handshake failed client=[127.0.0.1] service=pop3s (TLS handshake: timed out)" "$LOG"
	wait_for 5 grep -F "STLS: handshake failed client=[127.0.0.1] service=pop3 (TLS handshake: timed out)" "$LOG"
	[ "$(grep -c "TLS: handshake failed client=\[127.0.0.1\] service=pop3s (TLS handshake" "$LOG")" = 2 ]
}

@test "without a cert: no STLS in CAPA, STLS unknown, USER in clear from 127.0.0.2 as before" {
	daemon_init main example.org
	smtpd_start
	POP3S_PORT=0 PKI=/nonexistent pop3_py <<-'PY'
	p = Pop(source="127.0.0.2")
	caps = p.multi("CAPA")
	expect("STLS" in caps, False)
	expect("USER" in caps, True)
	expect(p.cmd("STLS"), "-ERR Unknown command")
	expect(p.cmd("USER bob@example.org"), "+OK Send PASS")
	expect(p.cmd("STLS"), "-ERR Unknown command")
	expect(p.cmd("PASS bobpw"), "+OK Logged in, 0 messages")
	expect(p.cmd("STLS"), "-ERR Unknown command")
	PY
}

@test "the default build refuses listen pop3s, naming make TLS=1" {
	tls_is_built && skip "the TLS build accepts pop3s"
	daemon_init main example.org
	daemon_conf main "listen pop3s 127.0.0.1:$(free_port)"
	daemon_write_conf main
	run ! "$SMTPD_BIN" -n -f "$main_ROOT/etc/smtpd.conf"
	echo "$output"
	[[ "$output" == *"listen smtps/pop3s: this smtpd is built without TLS (make TLS=1)"* ]]
}
