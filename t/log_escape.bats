#!/usr/bin/env bats
# log_escape.bats - no client can write a log line of its own (issue 7,
# item 8).  Every logged line is escaped as a whole in lib/log.c: each
# byte outside printable ASCII, and the backslash, becomes a backslash
# and three octal digits (LF \012, ESC \033, "\" \134).  Covered: the
# decoded SMTP AUTH PLAIN and LOGIN names, the POP3 USER and AUTH PLAIN
# names, the -v transcript (commands and DATA lines with a raw ESC), a
# backslash in MAIL FROM (so "\012" sent by a client stays told apart
# from an escaped LF), the peer's reply the relay logs, and the syslog
# path (inetd mode) as well as stderr.  (HELO and addresses with control
# bytes are refused by their parsers, so only the transcript shows them.)
#
# One daemon "main" for example.org (t/helpers.bash): alice/alicepw and
# bob/bobpw; its log is $TROOT/smtpd.log.

load helpers
load syslog_helpers

# the forged text: what a fail2ban filter for failed logins would match
FORGED='forged: auth failed client=[192.0.2.7] service=smtp user=x'
# as it is logged in a key=value field (log_value(): blanks, =, <, >,
# [, ], (, ) and quotes escaped too, so it cannot add a field either)
FORGED_V='forged:\040auth\040failed\040client\075\133192.0.2.7\135\040service\075smtp\040user\075x'
ESC=$'\x1b' BEL=$'\x07' DEL=$'\x7f'

setup() {
	FAKE_PID=
	STDERR_FILE= # what smtpd -i wrote to stderr, if a test ran it
}

teardown() {
	if [ -n "$FAKE_PID" ]; then
		kill "$FAKE_PID" 2>/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
	fi
	test_teardown
}

# base64 of the PLAIN response: NUL authcid NUL password
plain() { printf '\0%s\0%s' "$1" "$2" | base64 -w0; }
b64() { printf '%s' "$1" | base64 -w0; }

# raw PORT: stdin (bytes as they are, LF line ends made CRLF) sent in one
# write after the greeting; prints the replies until the server closes
raw() {
	python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
f = s.makefile("rb")
f.readline()
s.sendall(sys.stdin.buffer.read().replace(b"\n", b"\r\n"))
sys.stdout.buffer.write(f.read().replace(b"\r", b""))
' "$1"
}

# no_forged_line FILE: show FILE (cat -v); no line of it starts with the
# forged text, and no raw control byte (but the line ends) is in it
no_forged_line() {
	cat -v "$1"
	if grep -n "^forged" "$1"; then
		echo "a forged line in $1" >&2
		return 1
	fi
	if LC_ALL=C grep -n '[[:cntrl:]]' "$1"; then
		echo "a raw control byte in $1" >&2
		return 1
	fi
}

@test "SMTP AUTH PLAIN and LOGIN: a newline in the name is logged as \\012, never as a line of its own" {
	smtpd_start
	run raw "$SUBMIT_PORT" <<-EOF
	EHLO client.example
	AUTH PLAIN $(plain "x@example.org"$'\n'"$FORGED" pw)
	AUTH LOGIN $(b64 "y@example.org"$'\r\n'"$FORGED"$'\x1b[2J')
	$(b64 pw)
	QUIT
	EOF
	echo "$output"
	[ "${lines[-4]}" = "535 5.7.8 Authentication credentials invalid" ]
	[ "${lines[-3]}" = "334 UGFzc3dvcmQ6" ]
	[ "${lines[-2]}" = "535 5.7.8 Authentication credentials invalid" ]
	[ "${lines[-1]}" = "221 closing connection" ]
	LOG=$TROOT/smtpd.log
	no_forged_line "$LOG"
	grep -qF "auth failed client=[127.0.0.1] service=submission user=x@example.org\\012$FORGED_V" "$LOG"
	grep -qF "auth failed client=[127.0.0.1] service=submission user=y@example.org\\015\\012$FORGED_V\\033\\1332J" "$LOG"
}

@test "POP3 USER and AUTH PLAIN: control bytes in the name are escaped in the log" {
	smtpd_start
	run raw "$POP3_PORT" <<-EOF
	USER bob@example.org${ESC}[2J${DEL}é
	PASS bobpw
	AUTH PLAIN $(plain "x@example.org"$'\n'"$FORGED" pw)
	QUIT
	EOF
	echo "$output"
	[ "${lines[1]}" = "-ERR [AUTH] Authentication failed" ]
	[ "${lines[2]}" = "-ERR [AUTH] Authentication failed" ]
	LOG=$TROOT/smtpd.log
	no_forged_line "$LOG"
	grep -qF 'auth failed client=[127.0.0.1] service=pop3 user=bob@example.org\033\1332J\177\303\251' "$LOG"
	grep -qF "auth failed client=[127.0.0.1] service=pop3 user=x@example.org\\012$FORGED_V" "$LOG"
}

@test "-v transcript: a raw ESC in a command and in a DATA line is logged as \\033" {
	SMTPD_FLAGS=-v smtpd_start
	run raw "$SMTP_PORT" <<-EOF
	HELO a${ESC}[31mb
	EHLO client.example
	NOOP ${ESC}]0;title${BEL}
	MAIL FROM:<alice@example.org>
	RCPT TO:<bob@example.org>
	DATA
	Subject: ${ESC}[31mred

	body$(printf '\200')
	.
	QUIT
	EOF
	echo "$output"
	[ "${lines[0]}" = "501 5.5.4 Syntax: HELO hostname" ]
	[ "${lines[-2]}" = "250 Message received and to be delivered" ]
	LOG=$TROOT/smtpd.log
	no_forged_line "$LOG"
	grep -qF '127.0.0.1: < HELO a\033[31mb' "$LOG"
	grep -qF '127.0.0.1: < NOOP \033]0;title\007' "$LOG"
	grep -qF '127.0.0.1: < Subject: \033[31mred' "$LOG"
	grep -qF '127.0.0.1: < body\200' "$LOG"
}

@test "a backslash from the client is logged as \\134: a \"\\012\" of its own is told apart" {
	smtpd_start
	run raw "$SMTP_PORT" <<-'EOF'
	EHLO client.example
	MAIL FROM:<"a\\012b"@example.org>
	RCPT TO:<bob@example.org>
	DATA
	Subject: s

	.
	QUIT
	EOF
	echo "$output"
	[ "${lines[-5]}" = "250 2.1.0 Sender OK" ]
	[ "${lines[-2]}" = "250 Message received and to be delivered" ]
	LOG=$TROOT/smtpd.log
	cat -v "$LOG"
	# the local part a\012b, quoted in the address as "a\\012b"
	grep -qF ': from=<\042a\134\134012b\042@example.org> size=' "$LOG"
}

@test "the peer's reply that the relay logs is escaped" {
	daemon_init main example.org
	FAKE_PORT=$(free_port)
	daemon_conf main "route fake.example 127.0.0.1:$FAKE_PORT"
	export FAKE_LOG=$TEST_ROOT/fake.log FAKE_READY=$TEST_ROOT/fake.ready
	python3 "$BATS_TEST_DIRNAME/fake_smtp.py" "$FAKE_PORT" \
		"220 fake.example ESMTP" "250 fake.example" "250 ok" \
		$'550 5.1.1 \x1b[2Jno\x07 such user\xc2\x85' \
		</dev/null >/dev/null 2>&1 3>&- &
	FAKE_PID=$!
	wait_for 5 test -e "$FAKE_READY"
	daemon_start main
	run raw "$main_SUBMIT" <<-EOF
	EHLO client.example
	AUTH PLAIN $(plain alice@example.org alicepw)
	MAIL FROM:<alice@example.org>
	RCPT TO:<bob@fake.example>
	DATA
	Subject: to the peer

	.
	QUIT
	EOF
	echo "$output"
	[ "${lines[-2]}" = "250 Message received and to be delivered" ]
	LOG=$main_ROOT/smtpd.log
	wait_for 15 grep -q 'to=<bob@fake.example> status=bounced' "$LOG"
	no_forged_line "$LOG"
	grep -F 'to=<bob@fake.example> status=bounced' "$LOG" |
		grep -qF '550 5.1.1 \033[2Jno\007 such user\302\205'
}

@test "inetd mode: the lines sent to syslog(3) are escaped the same way" {
	syslog_require
	daemon_init main example.org
	daemon_write_conf main
	export -f syslog_capture syslog_end wait_for
	STDERR_FILE=$main_ROOT/inetd.stderr
	run unshare -m --propagation private bash -c '
		syslog_capture "$1" || exit 1
		printf "%s\r\n" "EHLO client.example" "AUTH PLAIN $3" QUIT |
			"$SMTPD_BIN" -f "$2/etc/smtpd.conf" -i submission 2>"$4" |
			tr -d "\r"
		syslog_end
		wait
	' _ "$main_ROOT/sys" "$main_ROOT" \
		"$(plain "x@example.org"$'\n'"$FORGED" pw)" "$STDERR_FILE"
	echo "$output"
	[ "${lines[-2]}" = "535 5.7.8 Authentication credentials invalid" ]
	no_forged_line "$main_ROOT/sys/syslog.out"
	# no LF inside a message: each is one line, the name escaped in it
	run grep -F '<LF>' "$main_ROOT/sys/syslog.out"
	[ "$status" = 1 ]
	grep -qF "auth failed client=[local] service=submission user=x@example.org\\012$FORGED_V" "$main_ROOT/sys/syslog.out"
}

@test "a client's value cannot add a key=value field: blanks, =, <, >, [, ], ( ) and quotes in it are escaped" {
	smtpd_start
	run raw "$SUBMIT_PORT" <<-EOF
	EHLO client.example
	AUTH PLAIN $(plain "bob client=[6.6.6.6] service=smtp" pw)
	QUIT
	EOF
	echo "$output"
	[ "${lines[-2]}" = "535 5.7.8 Authentication credentials invalid" ]
	run raw "$SMTP_PORT" <<-EOF
	HELO client.example
	MAIL FROM:<"a> size=1 client=[6.6.6.6] (x"@remote.example>
	RCPT TO:<alice@example.org>
	DATA
	Subject: forged fields

	hi
	.
	QUIT
	EOF
	echo "$output"
	[ "${lines[-2]}" = "250 Message received and to be delivered" ]
	cat "$TROOT/smtpd.log"
	# one value each, with its blanks and brackets escaped
	grep -qF 'auth failed client=[127.0.0.1] service=submission user=bob\040client\075\1336.6.6.6\135\040service\075smtp' "$TROOT/smtpd.log"
	grep -qF 'from=<\042a\076\040size\0751\040client\075\1336.6.6.6\135\040\050x\042@remote.example> size=' "$TROOT/smtpd.log"
	# no line names a client= or size= other than the real ones
	run ! grep -E 'client=\[6\.6\.6\.6\]|size=1 ' "$TROOT/smtpd.log"
}
