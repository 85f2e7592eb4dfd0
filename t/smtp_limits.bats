#!/usr/bin/env bats
# smtp_limits.bats - every limit of the SMTP session, each crossed
# (DESIGN.md §2): the 512-octet command line (RFC 5321 §4.5.3.1.4),
# max_message_size and SIZE= (RFC 1870), max_recipients, timeout (silent
# and trickling clients), 20 errors, NUL and CR in commands, long DATA
# lines, bounded memory, max_clients and max_clients_per_ip.
# Each test starts its own daemon with the limit it crosses.

load helpers
load smtp_helpers

teardown() { test_teardown; }

# the session for one message from stdin (CRLF lines, not yet stuffed or
# ended) to bob: EHLO, MAIL, RCPT, DATA, the message, ".", QUIT
session_for() {
	python3 -c '
import sys
msg = sys.stdin.buffer.read()
sys.stdout.buffer.write(b"EHLO client.example\r\nMAIL FROM:<sender@remote.example>\r\n"
    b"RCPT TO:<bob@example.org>\r\nDATA\r\n" + msg + b".\r\nQUIT\r\n")'
}

@test "a command line of 512 octets with its CRLF is a command; 513 is too long" {
	smtpd_start
	local x505 x506
	x505=$(printf 'x%.0s' $(seq 505))
	x506=${x505}x
	# "NOOP " + 505 = 510 octets + CRLF = 512
	transcript "$SMTP_PORT" <<-EOF
	S: 220 mx.example.org ESMTP ready
	C: NOOP $x505
	S: 250 2.0.0 OK
	C: NOOP $x506
	S: 500 5.5.2 Line too long
	C: NOOP
	S: 250 2.0.0 OK
	C: HELO client.example
	S: 250 Hello client.example
	EOF
}

@test "a line reaching 512 octets without a line end is answered at once, the rest discarded" {
	smtpd_start
	run python3 - "$SMTP_PORT" <<-'PY'
	import socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
	f = s.makefile("rb")
	print(f.readline().decode().rstrip())
	s.sendall(b"HELO " + b"y" * 595)   # 600 octets, no line end yet
	print(f.readline().decode().rstrip())
	s.sendall(b"y" * 1000 + b" MAIL FROM:<a@b.example>\r\nNOOP\r\n")
	print(f.readline().decode().rstrip())
	PY
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"500 5.5.2 Line too long" \
		"250 2.0.0 OK"
}

@test "a 20 MB line without LF: the session's memory stays small, it keeps answering" {
	smtpd_start
	run python3 - "$SMTP_PORT" "$TROOT/smtpd.log" <<-'PY'
	import re, socket, sys
	port, log = int(sys.argv[1]), sys.argv[2]
	def serving():
	    """the child that logged the last connect (new, or reused)"""
	    pids = re.findall(r"^smtpd\[(\d+)\]: connect client=", open(log).read(), re.M)
	    return pids[-1]
	def rss_kb(pid):
	    for l in open("/proc/%s/status" % pid):
	        if l.startswith("VmRSS:"):
	            return int(l.split()[1])
	s = socket.create_connection(("127.0.0.1", port), timeout=60)
	f = s.makefile("rb")
	print(f.readline().decode().rstrip())
	child = serving()
	start = peak = rss_kb(child)
	mb = b"A" * (1 << 20)
	for i in range(20):
	    s.sendall(mb)
	    peak = max(peak, rss_kb(child))
	s.sendall(b"\r\nNOOP\r\n")
	print(f.readline().decode().rstrip())
	print(f.readline().decode().rstrip())
	print("small" if peak - start < 4096 else "grew by %d kB" % (peak - start))
	PY
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"500 5.5.2 Line too long" \
		"250 2.0.0 OK" \
		"small"
	run chat "$SMTP_PORT" "HELO client.example"
	expect_lines "220 mx.example.org ESMTP ready" "250 Hello client.example"
}

@test "max_message_size: exactly the limit is accepted, one octet more gets 552 after the end" {
	smtpd_start "max_message_size 2K"
	# 2048 octets as received: CRLF line ends and the stuffing dot count
	python3 -c '
import sys
n = int(sys.argv[1])
m = b"Subject: size\r\n\r\n..stuffed\r\n"
while n - len(m) > 66:
    m += b"x" * 62 + b"\r\n"
m += b"y" * (n - len(m) - 2) + b"\r\n"
assert len(m) == n
sys.stdout.buffer.write(m)' 2048 >"$BATS_TEST_TMPDIR/2048"
	sed '$ s/^y/yy/' "$BATS_TEST_TMPDIR/2048" >"$BATS_TEST_TMPDIR/2049"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/2049")" = 2049 ]

	run raw_stdin "$SMTP_PORT" < <(session_for <"$BATS_TEST_TMPDIR/2048")
	expect_lines "220 mx.example.org ESMTP ready" \
		"$(ehlo_reply client.example mx.example.org 2048)" \
		"250 2.1.0 Sender OK" \
		"250 2.1.5 Recipient OK" \
		"354 Start mail input; end with <CRLF>.<CRLF>" \
		"250 Message received and to be delivered" \
		"221 closing connection" \
		"<closed>"
	[ "$(maildir_count example.org bob)" = 1 ]
	f=$(maildir_files example.org bob)
	file_is <(strip_trace "$f") '%s' "$(tr -d '\r' <"$BATS_TEST_TMPDIR/2048" | sed 's/^\.\./\./')"$'\n'

	run raw_stdin "$SMTP_PORT" < <(session_for <"$BATS_TEST_TMPDIR/2049")
	expect_lines "220 mx.example.org ESMTP ready" \
		"$(ehlo_reply client.example mx.example.org 2048)" \
		"250 2.1.0 Sender OK" \
		"250 2.1.5 Recipient OK" \
		"354 Start mail input; end with <CRLF>.<CRLF>" \
		"552 5.3.4 Message size exceeds fixed limit" \
		"221 closing connection" \
		"<closed>"
	[ "$(maildir_count example.org bob)" = 1 ]
	grep -q ': reject client=\[127.0.0.1\] from=<[^>]*> nrcpt=1 (552 5.3.4 Message size exceeds fixed limit)$' "$TROOT/smtpd.log"
}

@test "an oversize message is answered only after its end, once, and the session goes on" {
	smtpd_start "max_message_size 1K"
	run python3 - "$SMTP_PORT" <<-'PY'
	import select, socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
	f = s.makefile("rb")
	def reply():
	    print(f.readline().decode().rstrip())
	reply()
	for c in (b"HELO client.example", b"MAIL FROM:<sender@remote.example>",
	          b"RCPT TO:<bob@example.org>", b"DATA"):
	    s.sendall(c + b"\r\n")
	    reply()
	s.sendall(b"Subject: big\r\n\r\n")
	s.sendall((b"z" * 78 + b"\r\n") * 100)   # 8 KB, well over 1K
	r, _, _ = select.select([s], [], [], 2)
	print("early reply" if r else "no reply before the end")
	s.sendall(b".\r\n")
	reply()
	s.sendall(b"MAIL FROM:<sender@remote.example>\r\n")
	reply()
	s.sendall(b"QUIT\r\n")
	reply()
	PY
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"250 Hello client.example" \
		"250 2.1.0 Sender OK" \
		"250 2.1.5 Recipient OK" \
		"354 Start mail input; end with <CRLF>.<CRLF>" \
		"no reply before the end" \
		"552 5.3.4 Message size exceeds fixed limit" \
		"250 2.1.0 Sender OK" \
		"221 closing connection"
	[ "$(maildir_count example.org bob)" = 0 ]
	[ -z "$(ls -A "$TROOT/queue/tmp")" ]
}

@test "MAIL FROM SIZE= over max_message_size gets 552 5.3.4" {
	smtpd_start "max_message_size 2K"
	transcript "$SMTP_PORT" <<-'EOF'
	S: 220 mx.example.org ESMTP ready
	C: EHLO client.example
	S: <ehlo_reply client.example mx.example.org 2048>
	C: MAIL FROM:<sender@remote.example> SIZE=2049
	S: 552 5.3.4 Message size exceeds fixed limit
	C: RCPT TO:<bob@example.org>
	S: 503 5.5.2 Need mail command
	C: MAIL FROM:<sender@remote.example> SIZE=99999999999999999999
	S: 501 5.5.4 Bad SIZE parameter
	C: MAIL FROM:<sender@remote.example> size=2048
	S: 250 2.1.0 Sender OK
	EOF
}

@test "max_recipients 3: the fourth RCPT gets 452 4.5.3, the three get the message" {
	smtpd_start "max_recipients 3"
	printf '%s\n' 'carol@example.org:{PLAIN}c' 'dave@example.org:{PLAIN}d' \
		>>"$TROOT/etc/passwd"
	run raw "$SMTP_PORT" '%s\r\n' "HELO client.example" \
		"MAIL FROM:<sender@remote.example>" "RCPT TO:<alice@example.org>" \
		"RCPT TO:<bob@example.org>" "RCPT TO:<carol@example.org>" \
		"RCPT TO:<dave@example.org>" "DATA" "Subject: three" "" "x" "." "QUIT"
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"250 Hello client.example" \
		"250 2.1.0 Sender OK" \
		"250 2.1.5 Recipient OK" \
		"250 2.1.5 Recipient OK" \
		"250 2.1.5 Recipient OK" \
		"452 4.5.3 Too many recipients" \
		"354 Start mail input; end with <CRLF>.<CRLF>" \
		"250 Message received and to be delivered" \
		"221 closing connection" \
		"<closed>"
	[ "$(maildir_count example.org alice)" = 1 ]
	[ "$(maildir_count example.org bob)" = 1 ]
	[ "$(maildir_count example.org carol)" = 1 ]
	[ "$(maildir_count example.org dave)" = 0 ]
}

# RFC 5321 §4.5.3.1.10: a client told 452 sends those recipients again in
# a later transaction; the refusals are not its errors (as Postfix's
# smtpd_recipient_overshoot_limit), so they must not end the session
@test "max_recipients 3: 25 recipients over the limit do not count as errors" {
	smtpd_start "max_recipients 3"
	printf '%s\n' 'carol@example.org:{PLAIN}c' >>"$TROOT/etc/passwd"
	local -a over=() e=()
	for i in $(seq 25); do
		over+=("RCPT TO:<user$i@example.org>")
		e+=("452 4.5.3 Too many recipients")
	done
	run raw "$SMTP_PORT" '%s\r\n' "HELO client.example" \
		"MAIL FROM:<sender@remote.example>" "RCPT TO:<alice@example.org>" \
		"RCPT TO:<bob@example.org>" "RCPT TO:<carol@example.org>" \
		"${over[@]}" "DATA" "Subject: many" "" "x" "." "QUIT"
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"250 Hello client.example" \
		"250 2.1.0 Sender OK" \
		"250 2.1.5 Recipient OK" \
		"250 2.1.5 Recipient OK" \
		"250 2.1.5 Recipient OK" \
		"${e[@]}" \
		"354 Start mail input; end with <CRLF>.<CRLF>" \
		"250 Message received and to be delivered" \
		"221 closing connection" \
		"<closed>"
	[ "$(maildir_count example.org carol)" = 1 ]
}

@test "timeout 2: a silent client gets 421 4.4.2 and the close, not before 2 s" {
	smtpd_start "timeout 2"
	local t0 t1
	t0=$(date +%s%N)
	RAW_WAIT=30 run raw "$SMTP_PORT" 'HELO client.example\r\n'
	t1=$(date +%s%N)
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"250 Hello client.example" \
		"421 4.4.2 mx.example.org Timeout exceeded" \
		"<closed>"
	[ $(((t1 - t0) / 1000000)) -ge 2000 ]
	grep -q 'timeout client=\[127.0.0.1\]$' "$TROOT/smtpd.log"
}

@test "timeout 2: it bounds each line, not the session" {
	smtpd_start "timeout 2"
	transcript "$SMTP_PORT" <<-'EOF'
	S: 220 mx.example.org ESMTP ready
	C: <wait 1>
	C: HELO client.example
	S: 250 Hello client.example
	C: <wait 1>
	C: NOOP
	S: 250 2.0.0 OK
	C: <wait 1>
	C: NOOP
	S: 250 2.0.0 OK
	EOF
}

@test "timeout 2: a client silent in DATA gets 421 4.4.2, nothing is delivered" {
	smtpd_start "timeout 2"
	RAW_WAIT=30 run raw "$SMTP_PORT" '%s\r\n' "HELO client.example" \
		"MAIL FROM:<sender@remote.example>" "RCPT TO:<bob@example.org>" \
		"DATA" "Subject: unfinished" "" "some text"
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"250 Hello client.example" \
		"250 2.1.0 Sender OK" \
		"250 2.1.5 Recipient OK" \
		"354 Start mail input; end with <CRLF>.<CRLF>" \
		"421 4.4.2 mx.example.org Timeout exceeded" \
		"<closed>"
	[ "$(maildir_count example.org bob)" = 0 ]
}

# one byte a second: each byte comes well within the timeout, the line
# does not; the timeout bounds the whole line (DESIGN.md §2)
trickle() {
	python3 - "$SMTP_PORT" "$1" <<-'PY'
	import select, socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
	f = s.makefile("rb")
	print(f.readline().decode().rstrip())
	if sys.argv[2] == "data":
	    for c in (b"HELO client.example", b"MAIL FROM:<sender@remote.example>",
	              b"RCPT TO:<bob@example.org>", b"DATA"):
	        s.sendall(c + b"\r\n")
	        print(f.readline().decode().rstrip())
	line = b"NOOP slowly, one byte a second\r\n"
	sent = 0
	try:
	    while sent < len(line):
	        s.sendall(line[sent:sent + 1])
	        sent += 1
	        if select.select([s], [], [], 1)[0]:
	            break
	except OSError:
	    pass
	try:
	    for l in f:
	        print(l.decode().rstrip())
	except ConnectionResetError:
	    pass
	print("<closed>")
	print("cut off" if sent < len(line) else "not cut off")
	PY
}

@test "timeout 2: a client trickling a command line one byte a second is cut off" {
	smtpd_start "timeout 2"
	run trickle cmd
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"421 4.4.2 mx.example.org Timeout exceeded" \
		"<closed>" \
		"cut off"
}

@test "timeout 2: a client trickling a DATA line one byte a second is cut off" {
	smtpd_start "timeout 2"
	run trickle data
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"250 Hello client.example" \
		"250 2.1.0 Sender OK" \
		"250 2.1.5 Recipient OK" \
		"354 Start mail input; end with <CRLF>.<CRLF>" \
		"421 4.4.2 mx.example.org Timeout exceeded" \
		"<closed>" \
		"cut off"
	[ "$(maildir_count example.org bob)" = 0 ]
}

@test "the 20th error reply is followed by 421 4.7.0 Too many errors and the close" {
	smtpd_start
	run raw "$SMTP_PORT" 'FOO\r\n%.0s' $(seq 20)
	local -a e
	for i in $(seq 20); do e+=("500 5.5.1 Unknown command"); done
	expect_lines "220 mx.example.org ESMTP ready" "${e[@]}" \
		"421 4.7.0 Too many errors" "<closed>"
}

@test "errors of every kind count; 19 do not end the session" {
	smtpd_start
	# 5 unknown, 5 out of sequence, 5 unknown users, 4 syntax: 19 errors
	run raw "$SMTP_PORT" '%s\r\n' "HELO client.example" \
		FOO FOO FOO FOO FOO \
		"RCPT TO:<bob@example.org>" "RCPT TO:<bob@example.org>" \
		"RCPT TO:<bob@example.org>" "RCPT TO:<bob@example.org>" \
		"RCPT TO:<bob@example.org>" \
		"MAIL FROM:<sender@remote.example>" \
		"RCPT TO:<carol@example.org>" "RCPT TO:<carol@example.org>" \
		"RCPT TO:<carol@example.org>" "RCPT TO:<carol@example.org>" \
		"RCPT TO:<carol@example.org>" \
		"RCPT TO:x" "RCPT TO:x" "RCPT TO:x" "RCPT TO:x" \
		NOOP "RCPT TO:<bob@remote.example>"
	local -a e=("250 Hello client.example")
	for i in 1 2 3 4 5; do e+=("500 5.5.1 Unknown command"); done
	for i in 1 2 3 4 5; do e+=("503 5.5.2 Need mail command"); done
	e+=("250 2.1.0 Sender OK")
	for i in 1 2 3 4 5; do
		e+=("550 5.1.1 <carol@example.org>: Recipient address rejected: User unknown")
	done
	for i in 1 2 3 4; do e+=("501 5.5.4 Syntax: RCPT TO:<address>"); done
	expect_lines "220 mx.example.org ESMTP ready" "${e[@]}" \
		"250 2.0.0 OK" \
		"554 5.7.1 Relay access denied" \
		"421 4.7.0 Too many errors" \
		"<closed>"
}

@test "NUL and bare CR in a command are refused with 500 5.5.2" {
	smtpd_start
	run raw "$SMTP_PORT" 'HELO client.example\r\nNOOP\0\r\nNO\rOP\r\nMAIL FROM:<sen\0der@remote.example>\r\nMAIL FROM:<sender@remote.example>\rRCPT TO:<bob@example.org>\r\nMAIL FROM:<sender@remote.example>\r\nRCPT TO:<bob@example.org>\0\r\nQUIT\r\n'
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"250 Hello client.example" \
		"500 5.5.2 Invalid character in command" \
		"500 5.5.2 Invalid character in command" \
		"500 5.5.2 Invalid character in command" \
		"500 5.5.2 Invalid character in command" \
		"250 2.1.0 Sender OK" \
		"500 5.5.2 Invalid character in command" \
		"221 closing connection" \
		"<closed>"
}

@test "long DATA lines (up to 100 KB) are accepted and stored unchanged" {
	smtpd_start
	# lengths around the 1000-octet text line, the 8 KB chunk and the 16 KB
	# buffer; a CR just at a chunk's end; a 100 KB line of dots (stuffed)
	python3 - "$BATS_TEST_TMPDIR" <<-'PY'
	import sys
	d = sys.argv[1]
	lines = [b"Subject: long lines", b""]
	for n in (998, 999, 1000, 1001, 8190, 8191, 8192, 8193, 16382, 16383,
	          16384, 16385, 100000):
	    lines.append(b"%d:" % n + b"x" * (n - len(b"%d:" % n)))
	lines.append(b"x" * 8191 + b"\ry" + b"y" * 9)
	lines.append(b"." * 100000)
	lines.append(b"end")
	open(d + "/want", "wb").write(b"".join(l + b"\n" for l in lines))
	sent = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines)
	open(d + "/msg", "wb").write(sent)
	PY
	run raw_stdin "$SMTP_PORT" < <(session_for <"$BATS_TEST_TMPDIR/msg")
	[ "${lines[-3]}" = "250 Message received and to be delivered" ]
	f=$(maildir_files example.org bob)
	cmp <(strip_trace "$f") "$BATS_TEST_TMPDIR/want"
}

# hold connections open (greeted) and try one more
hold_and_try() {
	python3 - "$SMTP_PORT" "$1" <<-'PY'
	import socket, sys
	port, n = int(sys.argv[1]), int(sys.argv[2])
	def greet():
	    s = socket.create_connection(("127.0.0.1", port), timeout=30)
	    return s, s.makefile("rb")
	held = []
	for i in range(n):
	    s, f = greet()
	    print(f.readline().decode().rstrip())
	    held.append(s)
	s, f = greet()
	for l in f:
	    print(l.decode().rstrip())
	print("<closed>")
	PY
}

@test "max_clients_per_ip 2: the third connection gets 421 4.3.2 Too many connections" {
	smtpd_start "max_clients_per_ip 2"
	run hold_and_try 2
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"220 mx.example.org ESMTP ready" \
		"421 4.3.2 Too many connections" \
		"<closed>"
	grep -q 'max_clients_per_ip 2 reached' "$TROOT/smtpd.log"
	# once they have gone, the slots are free again
	wait_for 10 eval '[ "$(chat "$SMTP_PORT" | head -n 1)" = "220 mx.example.org ESMTP ready" ]'
	run hold_and_try 2
	[ "${lines[2]}" = "421 4.3.2 Too many connections" ]
}

@test "max_clients 2: the third connection gets 421 4.3.2 Too many connections" {
	smtpd_start "max_clients 2"
	run hold_and_try 2
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"220 mx.example.org ESMTP ready" \
		"421 4.3.2 Too many connections" \
		"<closed>"
	grep -q 'max_clients 2 reached' "$TROOT/smtpd.log"
}
