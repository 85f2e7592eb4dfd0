#!/usr/bin/env bats
# pop3.bats - the POP3 service (RFC 1939, RFC 2449, RFC 5034): transcripts
# of the protocol, Python's poplib as a real client, the Maildir as the
# maildrop (new/ to cur/, delivery order, UIDL, sizes as sent, deletion
# at QUIT only), the mailbox lock (and its release after kill -9), the
# login delay and limits, byte-exact RETR of "." lines, and a 20 MB
# message streamed in bounded memory.
#
# One daemon "main" for example.org (t/helpers.bash): alice/alicepw and
# bob/bobpw.  Messages are written straight into the Maildir with put_msg
# or sent over SMTP with smtp_send (t/pop3_helpers.bash).

load helpers
load pop3_helpers

setup() {
	BG_PID=
}

teardown() {
	if [ -n "$BG_PID" ]; then
		kill "$BG_PID" 2>/dev/null || true
		wait "$BG_PID" 2>/dev/null || true
	fi
	test_teardown
}

three_messages() {
	printf 'From: alice@example.org\nSubject: one\n\nfirst\n' | put_msg bob 1700000001.M000001P1Q1.test
	printf 'From: alice@example.org\nSubject: two\n\nsecond\nline\n' | put_msg bob 1700000002.M000001P1Q1.test
	printf 'From: alice@example.org\nSubject: three\n\nthird\n' | put_msg bob 1700000003.M000001P1Q1.test
}

@test "greeting, CAPA, and the commands refused before login" {
	smtpd_start
	pop3_transcript "$POP3_PORT" <<-'EOF'
	S: +OK mx.example.org POP3 ready
	C: CAPA
	S: +OK Capability list follows
	S: TOP
	S: UIDL
	S: USER
	S: RESP-CODES
	S: AUTH-RESP-CODE
	S: PIPELINING
	S: SASL PLAIN
	S: IMPLEMENTATION smtpd
	S: .
	C: STAT
	S: -ERR Not logged in: USER and PASS, or AUTH, first
	C: RETR 1
	S: -ERR Not logged in: USER and PASS, or AUTH, first
	C: PASS bobpw
	S: -ERR Not logged in: USER and PASS, or AUTH, first
	C: APOP bob@example.org 0123456789abcdef0123456789abcdef
	S: -ERR Unknown command
	C: NOOP
	S: -ERR Not logged in: USER and PASS, or AUTH, first
	C: USER bob@example.org
	S: +OK Send PASS
	C: LIST
	S: -ERR Not logged in: PASS expected
	C: QUIT
	S: +OK mx.example.org POP3 server signing off
	C: NOOP
	S: <closed>
	EOF
}

@test "a session: STAT LIST UIDL TOP RETR DELE RSET QUIT, transcript" {
	smtpd_start
	three_messages
	pop3_transcript "$POP3_PORT" <<-'EOF'
	S: +OK mx.example.org POP3 ready
	C: user bob@example.org
	S: +OK Send PASS
	C: pass bobpw
	S: +OK Logged in, 3 messages
	C: STAT
	S: +OK 3 153
	C: LIST
	S: +OK 3 messages (153 octets)
	S: 1 48
	S: 2 55
	S: 3 50
	S: .
	C: LIST 2
	S: +OK 2 55
	C: LIST 4
	S: -ERR No such message
	C: LIST x
	S: -ERR Invalid message number
	C: UIDL 3
	S: +OK 3 1700000003.M000001P1Q1.test
	C: TOP 2 1
	S: +OK Top of message 2 follows
	S: From: alice@example.org
	S: Subject: two
	S: 
	S: second
	S: .
	C: RETR 2
	S: +OK 55 octets
	S: From: alice@example.org
	S: Subject: two
	S: 
	S: second
	S: line
	S: .
	C: DELE 2
	S: +OK Message 2 deleted
	C: DELE 2
	S: -ERR Message 2 already deleted
	C: RETR 2
	S: -ERR Message 2 already deleted
	C: STAT
	S: +OK 2 98
	C: RSET
	S: +OK 3 messages
	C: STAT
	S: +OK 3 153
	C: DELE 1
	S: +OK Message 1 deleted
	C: NOOP
	S: +OK
	C: TOP 1
	S: -ERR Syntax: TOP msg lines
	C: QUIT
	S: +OK mx.example.org POP3 server signing off (2 messages left)
	C: NOOP
	S: <closed>
	EOF
	run cur_files bob
	[ "$output" = "$(printf '%s\n' 1700000002.M000001P1Q1.test:2, 1700000003.M000001P1Q1.test:2,)" ]
}

@test "poplib: login, STAT, LIST, UIDL, TOP, RETR, DELE + QUIT, and a new session shows it" {
	smtpd_start
	printf 'Subject: a\n\nbody a\n' | smtp_send bob
	printf 'Subject: b\n\nbody b\n' | smtp_send bob
	printf 'Subject: c\n\nbody c\n' | smtp_send bob
	pypop <<-'PY'
	import os
	from pop3util import *
	p = login()
	files = cur()
	check(len(files) == 3 and all(f.endswith(":2,") for f in files), "3 in cur/: %r" % files)
	check(os.listdir(os.path.join(maildir(), "new")) == [], "new/ is empty")
	resp, uidls, _ = p.uidl()
	check([u.split()[0] for u in uidls] == [b"1", b"2", b"3"], "UIDL numbers %r" % uidls)
	uids = [u.split()[1].decode() for u in uidls]
	check(sorted(u + ":2," for u in uids) == files, "UIDL is the name before ':' %r" % uids)
	data = [open(os.path.join(maildir(), "cur", u + ":2,"), "rb").read() for u in uids]
	check([d.split(b"\n")[3] for d in data] == [b"Subject: a", b"Subject: b", b"Subject: c"],
	      "delivery order")
	n, size = p.stat()
	check(n == 3 and size == sum(len(d) + d.count(b"\n") for d in data), "STAT %d %d" % (n, size))
	resp, lines, _ = p.list()
	check(lines == [b"%d %d" % (i + 1, len(d) + d.count(b"\n")) for i, d in enumerate(data)],
	      "LIST %r" % lines)
	for i, d in enumerate(data):
	    resp, lines, octets = p.retr(i + 1)
	    check(b"\n".join(lines) + b"\n" == d, "RETR %d bytes" % (i + 1))
	    check(resp == b"+OK %d octets" % (len(d) + d.count(b"\n")), "RETR size %r" % resp)
	resp, lines, _ = p.top(2, 0)
	check(b"Subject: b" in lines and lines[-1] == b"" and b"body b" not in lines, "TOP 2 0 %r" % lines)
	resp, lines, _ = p.top(2, 1)
	check(lines[-1] == b"body b", "TOP 2 1 %r" % lines)
	p.dele(2)
	p.quit()
	check(len(cur()) == 2 and uids[1] + ":2," not in cur(), "message 2 deleted at QUIT")
	p = login()
	check(p.stat()[0] == 2, "the new session has two")
	resp, uidls, _ = p.uidl()
	check(uidls == [b"1 " + uids[0].encode(), b"2 " + uids[2].encode()], "UIDLs stable %r" % uidls)
	check(b"body c" in p.retr(2)[1], "message 2 is now c")
	p.quit()
	PY
}

@test "a dropped connection and a timeout delete nothing" {
	smtpd_start "pop3_timeout 2s"
	three_messages
	pypop <<-'PY'
	from pop3util import *
	p = login()
	for i in (1, 2, 3):
	    p.dele(i)
	p.sock.close()                  # gone without QUIT
	PY
	sleep 0.5
	run cur_files bob
	[ "${#lines[@]}" = 3 ]
	run chat --pop3 "$POP3_PORT" "USER bob@example.org" "PASS bobpw" "DELE 1" "<wait 3>" "QUIT" "NOOP"
	echo "$output"
	[ "${lines[3]}" = "+OK Message 1 deleted" ]
	[ "${lines[4]}" = "-ERR [SYS/TEMP] Timeout" ]
	[ "${lines[5]}" = "<closed>" ]
	run cur_files bob
	[ "${#lines[@]}" = 3 ]
	grep -q "timeout client=\[127.0.0.1\]" "$TROOT/smtpd.log"
}

@test "the maildrop is in delivery order: seconds, then microseconds, then the name" {
	smtpd_start
	printf 'Subject: 4\n\n' | put_msg bob 1700000010.M000500P9Q1.test
	printf 'Subject: 2\n\n' | put_msg bob 1700000009.M999999P9Q1.test
	printf 'Subject: 5\n\n' | put_msg bob 1700000010.M000500P9Q2.test
	printf 'Subject: 1\n\n' | put_msg bob 999999999.M1P9Q1.test
	printf 'Subject: 3\n\n' | put_msg bob 1700000010.M40P9Q1.test
	# Courier/Dovecot names carry M<usecs> after V<dev>I<ino>
	printf 'Subject: 6\n\n' | put_msg bob 1700000010.V801I1M000600.other
	pypop <<-'PY'
	from pop3util import *
	p = login()
	got = [p.top(i, 0)[1][0] for i in range(1, 7)]
	check(got == [b"Subject: %d" % i for i in range(1, 7)], "order %r" % got)
	p.quit()
	PY
}

@test "UIDL: the base name before ':', or a 32-digit hash when it cannot be one" {
	smtpd_start
	long=1700000001.M1P1Q1.$(printf 'h%.0s' $(seq 1 80))
	printf 'x\n' | put_msg bob "$long"
	printf 'y\n' | put_msg bob '1700000002.M1P1Q1.sp ace'
	printf 'z\n' | put_msg bob '1700000003.M1P1Q1.flagged:2,S'
	run chat --pop3 "$POP3_PORT" "USER bob@example.org" "PASS bobpw" "UIDL" "QUIT"
	echo "$output"
	[[ "${lines[4]}" =~ ^1\ [0-9a-f]{32}$ ]]
	[[ "${lines[5]}" =~ ^2\ [0-9a-f]{32}$ ]]
	[ "${lines[6]}" = "3 1700000003.M1P1Q1.flagged" ]
	first=$output
	# the same in the next session
	run chat --pop3 "$POP3_PORT" "USER bob@example.org" "PASS bobpw" "UIDL" "QUIT"
	[ "$output" = "$first" ]
	# the flagged one kept its name in cur/
	cur_files bob | grep -qx '1700000003.M1P1Q1.flagged:2,S'
}

@test "mail delivered during a session waits for the next one" {
	smtpd_start
	three_messages
	pypop <<-'PY'
	import subprocess, os
	from pop3util import *
	p = login()
	check(p.stat()[0] == 3, "three")
	subprocess.run(["bash", "-c", "printf 'Subject: late\\n\\nlate\\n' > " + maildir() + "/tmp/late && " +
	                ("chown nobody: " + maildir() + "/tmp/late && " if os.getuid() == 0 else "") +
	                "mv " + maildir() + "/tmp/late " + maildir() + "/new/1800000000.M1P1Q1.late"], check=True)
	check(p.stat()[0] == 3, "still three")
	p.quit()
	p = login()
	check(p.stat()[0] == 4, "four in the next session")
	p.quit()
	PY
}

@test "AUTH PLAIN with and without an initial response; '*' cancels" {
	SMTPD_FLAGS=-v smtpd_start
	three_messages
	good=$(printf '\0bob@example.org\0bobpw' | base64 -w0)
	authz=$(printf 'bob@example.org\0bob@example.org\0bobpw' | base64 -w0)
	other=$(printf 'alice@example.org\0bob@example.org\0bobpw' | base64 -w0)
	pop3_transcript "$POP3_PORT" <<-EOF
	S: +OK mx.example.org POP3 ready
	C: AUTH
	S: +OK Supported mechanisms follow
	S: PLAIN
	S: .
	C: AUTH CRAM-MD5
	S: -ERR Unsupported authentication mechanism
	C: AUTH PLAIN
	S: + 
	C: *
	S: -ERR Authentication cancelled
	C: AUTH PLAIN !!!
	S: -ERR Cannot decode response
	C: AUTH PLAIN $other
	S: -ERR [AUTH] Authentication failed
	C: AUTH PLAIN
	S: + 
	C: $good
	S: +OK Logged in, 3 messages
	C: AUTH PLAIN $good
	S: -ERR Already logged in
	C: QUIT
	S: +OK mx.example.org POP3 server signing off (3 messages left)
	EOF
	pop3_transcript "$POP3_PORT" <<-EOF
	S: +OK mx.example.org POP3 ready
	C: AUTH PLAIN $authz
	S: +OK Logged in, 3 messages
	C: QUIT
	S: +OK mx.example.org POP3 server signing off (3 messages left)
	EOF
	grep -q "< AUTH ... <credentials hidden>" "$TROOT/smtpd.log"
	run ! grep -q "$good" "$TROOT/smtpd.log"
	run ! grep -q "$authz" "$TROOT/smtpd.log"
}

@test "a wrong password: -ERR [AUTH] after about a second; the third failure closes" {
	SMTPD_FLAGS=-v smtpd_start
	pypop <<-'PY'
	import poplib, time
	from pop3util import *
	for user, pw in (("bob", "wrong"), ("nobody", "bobpw")):
	    p = connect()
	    p.user(user + "@example.org")
	    t = time.monotonic()
	    try:
	        p.pass_(pw)
	        check(False, "login accepted")
	    except poplib.error_proto as e:
	        check(e.args[0] == b"-ERR [AUTH] Authentication failed", "reply %r" % e.args[0])
	    check(time.monotonic() - t >= 0.8, "the delay")
	    p.quit()
	PY
	pop3_transcript "$POP3_PORT" <<-'EOF'
	S: +OK mx.example.org POP3 ready
	C: USER bob@example.org
	S: +OK Send PASS
	C: PASS wrong
	S: -ERR [AUTH] Authentication failed
	C: PASS bobpw
	S: -ERR Not logged in: USER and PASS, or AUTH, first
	C: USER bob@example.org
	S: +OK Send PASS
	C: PASS wrong
	S: -ERR [AUTH] Authentication failed
	C: USER bob@example.org
	S: +OK Send PASS
	C: PASS Bobpw
	S: -ERR [AUTH] Too many authentication failures
	C: USER bob@example.org
	S: <closed>
	EOF
	grep -q "auth failed client=\[127.0.0.1\] service=pop3 user=bob@example.org$" "$TROOT/smtpd.log"
	grep -q "< PASS ... <credentials hidden>" "$TROOT/smtpd.log"
	run ! grep -q "Bobpw" "$TROOT/smtpd.log"
}

@test "one session per mailbox: [IN-USE], released at QUIT and after kill -9" {
	smtpd_start
	three_messages
	# the first session logs in and holds the mailbox
	pypop >"$TROOT/first.out" 2>&1 <<-'PY' &
	import time
	from pop3util import *
	p = login()
	print("logged in", flush=True)
	time.sleep(60)
	PY
	BG_PID=$!
	wait_for 10 session_child bob
	child=$(session_child bob)
	run chat --pop3 "$POP3_PORT" "USER bob@example.org" "PASS bobpw" "STAT" "QUIT"
	echo "$output"
	[ "${lines[2]}" = "-ERR [IN-USE] Mailbox is locked by another session" ]
	[ "${lines[3]}" = "-ERR Not logged in: USER and PASS, or AUTH, first" ]
	# alice's mailbox is not bob's
	run chat --pop3 "$POP3_PORT" "USER alice@example.org" "PASS alicepw" "QUIT"
	[ "${lines[2]}" = "+OK Logged in, 0 messages" ]
	kill -9 "$child"
	wait_for 5 bash -c "! kill -0 $child 2>/dev/null"
	run chat --pop3 "$POP3_PORT" "USER bob@example.org" "PASS bobpw" "DELE 1" "QUIT"
	echo "$output"
	[ "${lines[2]}" = "+OK Logged in, 3 messages" ]
	[ "${lines[4]}" = "+OK mx.example.org POP3 server signing off (2 messages left)" ]
	# and after a QUIT the next one gets in at once
	run chat --pop3 "$POP3_PORT" "USER bob@example.org" "PASS bobpw" "QUIT"
	[ "${lines[2]}" = "+OK Logged in, 2 messages" ]
}

@test "'.' and '..' lines come back byte-exact through RETR and TOP" {
	smtpd_start
	printf 'Subject: dots\n\n.\n..\n...\n.x\nend\n.\n' | smtp_send bob
	printf 'Subject: raw\n\n.\n..\nno final newline' | put_msg bob
	pypop <<-'PY'
	import os
	from pop3util import *
	p = login()
	uids = [u.split()[1].decode() for u in p.uidl()[1]]
	for i, u in enumerate(uids):
	    data = open(os.path.join(maildir(), "cur", u + ":2,"), "rb").read()
	    resp, lines, _ = p.retr(i + 1)
	    got = b"\n".join(lines) + (b"\n" if data.endswith(b"\n") else b"")
	    check(got == data, "RETR %d: %r != %r" % (i + 1, got, data))
	    resp, lines, _ = p.top(i + 1, 100)
	    got = b"\n".join(lines) + (b"\n" if data.endswith(b"\n") else b"")
	    check(got == data, "TOP %d 100: %r" % (i + 1, got))
	first = open(os.path.join(maildir(), "cur", uids[0] + ":2,"), "rb").read()
	check(first.endswith(b"\n\n.\n..\n...\n.x\nend\n.\n"), "stored un-stuffed: %r" % first)
	p.quit()
	PY
	# on the wire: every leading dot doubled, CRLF line ends
	run bash -c "printf 'USER bob@example.org\r\nPASS bobpw\r\nRETR 2\r\nQUIT\r\n' | python3 '$BATS_TEST_DIRNAME/smtpchat.py' -r $POP3_PORT | tail -n 7"
	echo "$output"
	[ "$output" = "$(printf '%s\n' "Subject: raw" "" ".." "..." "no final newline" "." "+OK mx.example.org POP3 server signing off (2 messages left)")" ]
}

@test "a 20 MB message is retrieved intact and the session child stays small" {
	smtpd_start
	python3 - "$TROOT/big" <<-'PY'
	import sys, random
	random.seed(7)
	with open(sys.argv[1], "wb") as f:
	    f.write(b"Subject: big\n\n")
	    n = 0
	    while n < 20 * 1024 * 1024:
	        r = random.random()
	        line = b"." if r < 0.01 else b".." if r < 0.02 else b"x" * random.randint(0, 2000)
	        f.write(line + b"\n")
	        n += len(line) + 1
	PY
	put_msg bob <"$TROOT/big"
	SMTPD_PID=$SMTPD_PID pypop <<-'PY'
	import hashlib, os, subprocess
	from pop3util import *
	def children():
	    out = subprocess.run(["pgrep", "-P", os.environ["SMTPD_PID"]], capture_output=True, text=True).stdout
	    return set(out.split())
	def kb(pid, key):
	    for l in open("/proc/%s/status" % pid):
	        if l.startswith(key + ":"):
	            return int(l.split()[1])
	before = children()
	p = login()
	(child,) = children() - before
	rss = kb(child, "VmRSS")
	data = open(os.path.join(maildir(), "cur", cur()[0]), "rb").read()
	resp, lines, octets = p.retr(1)
	got = b"\n".join(lines) + b"\n"
	check(hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest(), "sha256")
	check(resp == b"+OK %d octets" % (len(data) + data.count(b"\n")), resp)
	hwm = kb(child, "VmHWM")
	print("session child: VmRSS after login %d kB, VmHWM after RETR %d kB" % (rss, hwm))
	check(hwm - rss < 4096, "grew by %d kB" % (hwm - rss))
	p.quit()
	PY
}

@test "limits: a long line, NUL, CR, and 20 errors" {
	smtpd_start
	long=$(printf 'x%.0s' $(seq 1 600))
	pop3_transcript "$POP3_PORT" <<-EOF
	S: +OK mx.example.org POP3 ready
	C: NOOP $long
	S: -ERR Line too long
	C: CAPA
	S: +OK Capability list follows
	S: TOP
	S: UIDL
	S: USER
	S: RESP-CODES
	S: AUTH-RESP-CODE
	S: PIPELINING
	S: SASL PLAIN
	S: IMPLEMENTATION smtpd
	S: .
	C: QUIT
	S: +OK mx.example.org POP3 server signing off
	EOF
	run bash -c "printf 'USER bob\0@example.org\r\nUSER a\rb\r\nQUIT\r\n' | python3 '$BATS_TEST_DIRNAME/smtpchat.py' -r $POP3_PORT"
	echo "$output"
	[ "${lines[1]}" = "-ERR Invalid character in command" ]
	[ "${lines[2]}" = "-ERR Invalid character in command" ]
	[ "${lines[3]}" = "+OK mx.example.org POP3 server signing off" ]
	local -a cmds=()
	for i in $(seq 1 25); do cmds+=("BOGUS"); done
	run chat -p --pop3 "$POP3_PORT" "${cmds[@]}"
	echo "$output"
	[ "$(grep -c '^-ERR Unknown command$' <<<"$output")" = 20 ]
	[ "${lines[21]}" = "-ERR Too many errors" ]
	[ "${#lines[@]}" = 22 ]
	# the 20th error may come inside AUTH: it ends the session all the same
	cmds=()
	for i in $(seq 1 19); do cmds+=("STAT"); done
	run chat --pop3 "$POP3_PORT" "${cmds[@]}" "AUTH PLAIN" "$long" "USER alice@example.org" "PASS alicepw"
	echo "$output"
	[ "${lines[20]}" = "+ " ]
	[ "${lines[21]}" = "-ERR Line too long" ]
	[ "${lines[22]}" = "-ERR Too many errors" ]
	[ "${lines[23]}" = "<closed>" ]
}

@test "pipelined commands are answered in order" {
	smtpd_start
	three_messages
	run chat -p --pop3 "$POP3_PORT" "USER bob@example.org" "PASS bobpw" "STAT" "LIST 3" "UIDL 1" "QUIT"
	echo "$output"
	[ "${lines[3]}" = "+OK 3 153" ]
	[ "${lines[4]}" = "+OK 3 50" ]
	[ "${lines[5]}" = "+OK 1 1700000001.M000001P1Q1.test" ]
	[ "${lines[6]}" = "+OK mx.example.org POP3 server signing off (3 messages left)" ]
}

@test "a mailbox that does not exist yet is created from the skeleton at login" {
	smtpd_start
	[ ! -e "$(mailbox alice)" ]
	run chat --pop3 "$POP3_PORT" "USER alice@example.org" "PASS alicepw" "STAT" "QUIT"
	echo "$output"
	[ "${lines[2]}" = "+OK Logged in, 0 messages" ]
	[ "${lines[3]}" = "+OK 0 0" ]
	[ -d "$(mailbox alice)/cur" ]
	[ -d "$(mailbox alice)/new" ]
	[ -d "$(mailbox alice)/tmp" ]
}

@test "inetd mode: smtpd -i pop3 serves one session on stdin/stdout" {
	smtpd_start
	three_messages
	run bash -c "printf 'USER bob@example.org\r\nPASS bobpw\r\nSTAT\r\nQUIT\r\n' | '$SMTPD_BIN' -f '$TROOT/etc/smtpd.conf' -i pop3 2>>'$TROOT/inetd.log' | tr -d '\r'"
	echo "$output"
	[ "${lines[0]}" = "+OK mx.example.org POP3 ready" ]
	[ "${lines[2]}" = "+OK Logged in, 3 messages" ]
	[ "${lines[3]}" = "+OK 3 153" ]
}

# quit_session PORT: connect, read the greeting, QUIT, read the answer
quit_session() {
	local greeting bye fd
	exec {fd}<>"/dev/tcp/127.0.0.1/$1"
	read -r -t 10 -u "$fd" greeting
	printf 'QUIT\r\n' >&"$fd"
	read -r -t 10 -u "$fd" bye
	exec {fd}<&-
	[ -n "$greeting" ] && [ -n "$bye" ]
}

@test "each session turns Nagle off on its connection (TCP_NODELAY), POP3 and SMTP: a RETR's last piece is not held for the client's delayed ACK" {
	command -v strace >/dev/null || skip "needs strace"
	smtpd_start "session_reuse_count 1"
	strace -f -qq -e trace=setsockopt -o "$TROOT/setsockopt.trace" -p "$SMTPD_PID" &
	BG_PID=$!
	wait_for 10 eval '[ "$(awk '"'"'$1 == "TracerPid:" {print $2}'"'"' /proc/'"$SMTPD_PID"'/status)" != 0 ]'
	quit_session "$POP3_PORT"
	quit_session "$SMTP_PORT"
	wait_for 10 eval '[ "$(grep -c "TCP_NODELAY, \[1\]" "$TROOT/setsockopt.trace")" -ge 2 ]'
	kill "$BG_PID"
	wait "$BG_PID" 2>/dev/null || true
	BG_PID=
	# one for each connection, in the session child that served it
	[ "$(grep -c "TCP_NODELAY, \[1\]" "$TROOT/setsockopt.trace")" = 2 ]
	run ! grep -q "^$SMTPD_PID .*TCP_NODELAY" "$TROOT/setsockopt.trace"
}
