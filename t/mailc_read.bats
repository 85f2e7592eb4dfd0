#!/usr/bin/env bats
# mailc_read.bats - the reading side of mailc over POP3: `mailc inbox`
# (one line a message), `mailc read N [-d]` (the message as the server's
# file holds it), `mailc fetch DIR [-d]` (into a local Maildir, durably,
# never twice), the port and host defaults, and the exit statuses of
# sysexits.h: 64 usage, 66 no such message, 69 unreachable, 75 temporary
# ([IN-USE], a lost connection), 77 bad login.
#
# One daemon "main" for example.org (t/helpers.bash): alice/alicepw and
# bob/bobpw.  Messages are put straight into the Maildir (put_msg) or sent
# over SMTP (smtp_send), see t/pop3_helpers.bash.

load helpers
load pop3_helpers

setup() {
	BG_PID=
	smtpd_start
	export MAILC_HOST=127.0.0.1 MAILC_POP3_PORT=$POP3_PORT
	export MAILC_PASSWORD=bobpw
	unset MAILC_USER MAILC_PORT
	FETCH=$TROOT/fetched
}

teardown() {
	if [ -n "$BG_PID" ]; then
		kill "$BG_PID" 2>/dev/null || true
		wait "$BG_PID" 2>/dev/null || true
	fi
	test_teardown
}

# the file in bob's cur/ whose name starts with the UIDL of message N
server_file() {
	local uidl
	uidl=$(chat --pop3 "$POP3_PORT" "USER bob@example.org" "PASS bobpw" "UIDL $1" "QUIT" | sed -n 4p | cut -d' ' -f3)
	echo "$(mailbox bob)/cur/$uidl:2,"
}

# a Python POP3 session holding bob's mailbox until the test ends
hold_mailbox() {
	pypop <<-'PY' >/dev/null 2>&1 &
	import time
	from pop3util import *
	p = login()
	time.sleep(60)
	PY
	BG_PID=$!
	wait_for 10 session_child bob >/dev/null
}

@test "inbox: one line a message with number, date, sender, subject, size" {
	printf 'Date: Mon, 1 Jan 2024 10:00:00 +0000\nFrom: Alice <alice@example.org>\nSubject: hello\n\tfolded\n world\n\nbody\n' |
		put_msg bob 1700000001.M1P1Q1.test
	printf 'Return-Path: <carol@example.net>\nDate: Tue, 2 Jan 2024 11:00:00 +0100\nsubject: no from\n\nbody\n' |
		put_msg bob 1700000002.M1P1Q1.test
	printf 'From: x@example.net\nSubject: bell\a and tab\there\n\nFrom: not@header.example\n' |
		put_msg bob 1700000003.M1P1Q1.test
	run "$MAILC_BIN" inbox -u bob@example.org
	echo "$output"
	[ "$status" = 0 ]
	[ "${#lines[@]}" = 3 ]
	[ "${lines[0]}" = "   1  Mon, 1 Jan 2024 10:00:00 +0000   Alice <alice@example.org>       hello folded world  (112 octets)" ]
	[ "${lines[1]}" = "   2  Tue, 2 Jan 2024 11:00:00 +0100   <carol@example.net>             no from  (98 octets)" ]
	[ "${lines[2]}" = "   3  -                                x@example.net                   bell? and tab here  (78 octets)" ]
}

@test "inbox: an empty mailbox lists nothing" {
	run "$MAILC_BIN" inbox -u bob@example.org
	[ "$status" = 0 ]
	[ -z "$output" ]
}

@test "read N prints the message as stored, '.' and '..' lines included" {
	printf 'Subject: first\n\none\n' | smtp_send bob
	printf 'Subject: dots\n\n.\n..\n...\n.x\nend\n.\n' | smtp_send bob
	file=$(server_file 2)
	"$MAILC_BIN" read 2 -u bob@example.org >"$TROOT/out"
	cmp "$TROOT/out" "$file"
	tail -n 6 "$TROOT/out" | diff - <(printf '%s\n' . .. ... .x end .)
	# the options may come first; nothing is deleted without -d
	"$MAILC_BIN" read -u bob@example.org 2 >"$TROOT/out2"
	cmp "$TROOT/out2" "$file"
	[ "$(cur_files bob | wc -l)" = 2 ]
}

@test "read N -d deletes the message after printing it" {
	printf 'Subject: one\n\n1\n' | smtp_send bob
	printf 'Subject: two\n\n2\n' | smtp_send bob
	file=$(server_file 1)
	cp "$file" "$TROOT/want"
	"$MAILC_BIN" read 1 -d -u bob@example.org >"$TROOT/out"
	cmp "$TROOT/out" "$TROOT/want"
	[ ! -e "$file" ]
	[ "$(cur_files bob | wc -l)" = 1 ]
	run "$MAILC_BIN" read 1 -u bob@example.org
	[[ "$output" == *"Subject: two"* ]]
}

@test "read: a message that does not exist is 66, a bad number 64" {
	printf 'Subject: one\n\n1\n' | put_msg bob
	run "$MAILC_BIN" read 2 -u bob@example.org
	echo "$output"
	[ "$status" = 66 ]
	[ "$output" = "mailc: message 2: -ERR No such message" ]
	run "$MAILC_BIN" read 0 -u bob@example.org
	[ "$status" = 64 ]
	run "$MAILC_BIN" read x1 -u bob@example.org
	[ "$status" = 64 ]
	run "$MAILC_BIN" read -u bob@example.org
	[ "$status" = 64 ]
}

@test "a 20 MB message through mailc read arrives intact" {
	python3 - "$TROOT/big" <<-'PY'
	import sys, random
	random.seed(11)
	with open(sys.argv[1], "wb") as f:
	    f.write(b"Subject: big\n\n")
	    n = 0
	    while n < 20 * 1024 * 1024:
	        r = random.random()
	        line = b"." if r < 0.01 else b".." if r < 0.02 else b"y" * random.randint(0, 30000)
	        f.write(line + b"\n")
	        n += len(line) + 1
	PY
	put_msg bob <"$TROOT/big"
	"$MAILC_BIN" read 1 -u bob@example.org >"$TROOT/out"
	[ "$(sha256sum <"$TROOT/out")" = "$(sha256sum <"$TROOT/big")" ]
}

@test "usage errors are 64: no user, an unknown option, a stray argument" {
	run "$MAILC_BIN" inbox
	[ "$status" = 64 ]
	[[ "$output" == *"use -u user"* ]]
	run "$MAILC_BIN" inbox -u bob@example.org -x
	[ "$status" = 64 ]
	run "$MAILC_BIN" inbox -u bob@example.org extra
	[ "$status" = 64 ]
	run "$MAILC_BIN" inbox -u bob@example.org -p 0
	[ "$status" = 64 ]
	run "$MAILC_BIN" fetch -u bob@example.org
	[ "$status" = 64 ]
	# MAILC_USER stands in for -u
	MAILC_USER=bob@example.org run "$MAILC_BIN" inbox
	[ "$status" = 0 ]
}

@test "exit 77 for a wrong password, 69 for a closed port, 75 when the mailbox is in use" {
	printf 'Subject: one\n\n1\n' | put_msg bob
	MAILC_PASSWORD=wrong run "$MAILC_BIN" inbox -u bob@example.org
	echo "$output"
	[ "$status" = 77 ]
	[ "$output" = "mailc: login: -ERR [AUTH] Authentication failed" ]
	MAILC_PASSWORD=wrong run "$MAILC_BIN" read 1 -u bob@example.org
	[ "$status" = 77 ]
	closed=$(free_port)
	run "$MAILC_BIN" inbox -u bob@example.org -p "$closed"
	echo "$output"
	[ "$status" = 69 ]
	[[ "$output" == *"connect to 127.0.0.1 port $closed"* ]]
	hold_mailbox
	run "$MAILC_BIN" read 1 -u bob@example.org
	echo "$output"
	[ "$status" = 75 ]
	[ "$output" = "mailc: login: -ERR [IN-USE] Mailbox is locked by another session" ]
	run "$MAILC_BIN" fetch "$FETCH" -u bob@example.org
	[ "$status" = 75 ]
	[ -z "$(ls "$FETCH/new")" ]
}

@test "the port: -p, then MAILC_POP3_PORT, then 110; MAILC_PORT is for sending" {
	export MAILC_PORT=$SMTP_PORT
	run "$MAILC_BIN" inbox -u bob@example.org
	[ "$status" = 0 ]
	MAILC_POP3_PORT=$(free_port) run "$MAILC_BIN" inbox -u bob@example.org -p "$POP3_PORT"
	[ "$status" = 0 ]
	unset MAILC_POP3_PORT
	run "$MAILC_BIN" inbox -u bob@example.org -H 127.0.0.1
	echo "$output"
	[[ "$output" == *"port 110"* ]]
}

@test "fetch: into a new Maildir, byte-exact, and never twice" {
	printf 'Subject: one\n\n.\n..\n' | smtp_send bob
	printf 'Subject: two\n\n2\n' | smtp_send bob
	run "$MAILC_BIN" fetch "$FETCH" -u bob@example.org
	echo "$output"
	[ "$status" = 0 ]
	[ "$output" = "2 fetched, 0 already there" ]
	[ -d "$FETCH/cur" ]
	[ -d "$FETCH/tmp" ]
	[ -z "$(ls "$FETCH/tmp")" ]
	[ "$(ls "$FETCH/new" | wc -l)" = 2 ]
	# each local file is the server's file, named with its size
	for f in "$FETCH"/new/*; do
		size=${f##*,S=}
		[ "$(stat -c %s "$f")" = "$size" ]
		match=
		for s in "$(mailbox bob)"/cur/*; do
			cmp -s "$f" "$s" && match=1
		done
		[ -n "$match" ]
	done
	# the state: the UIDLs, one a line
	diff <(sort "$FETCH/.mailc-uidl") <(cur_files bob | sed 's/:2,$//' | sort)
	run "$MAILC_BIN" fetch "$FETCH" -u bob@example.org
	[ "$output" = "0 fetched, 2 already there" ]
	[ "$(ls "$FETCH/new" | wc -l)" = 2 ]
	printf 'Subject: three\n\n3\n' | smtp_send bob
	run "$MAILC_BIN" fetch "$FETCH" -u bob@example.org
	[ "$output" = "1 fetched, 2 already there" ]
	[ "$(ls "$FETCH/new" | wc -l)" = 3 ]
	grep -l "Subject: three" "$FETCH"/new/* >/dev/null
	# the server kept everything
	[ "$(cur_files bob | wc -l)" = 3 ]
}

@test "fetch -d empties the server mailbox; the state forgets what is gone" {
	printf 'Subject: one\n\n1\n' | smtp_send bob
	printf 'Subject: two\n\n2\n' | smtp_send bob
	"$MAILC_BIN" fetch "$FETCH" -u bob@example.org
	printf 'Subject: three\n\n3\n' | smtp_send bob
	run "$MAILC_BIN" fetch "$FETCH" -u bob@example.org -d
	echo "$output"
	[ "$status" = 0 ]
	[ "$output" = "1 fetched, 2 already there, 3 deleted on the server" ]
	[ -z "$(cur_files bob)" ]
	[ -z "$(ls "$(mailbox bob)/new")" ]
	[ "$(ls "$FETCH/new" | wc -l)" = 3 ]
	run "$MAILC_BIN" fetch "$FETCH" -u bob@example.org -d
	[ "$output" = "0 fetched, 0 already there, 0 deleted on the server" ]
	[ ! -s "$FETCH/.mailc-uidl" ]
}

@test "fetch: a connection lost in the middle of a message leaves nothing behind" {
	FAKE_PORT=$(free_port)
	python3 - "$FAKE_PORT" "$TROOT/fake.ready" <<-'PY' &
	import socket, sys
	srv = socket.socket()
	srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	srv.bind(("127.0.0.1", int(sys.argv[1])))
	srv.listen(1)
	open(sys.argv[2], "w").close()
	c, _ = srv.accept()
	f = c.makefile("rb")
	c.sendall(b"+OK fake POP3\r\n")
	for want in (b"USER", b"PASS"):
	    f.readline()
	    c.sendall(b"+OK\r\n")
	f.readline()
	c.sendall(b"+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n")
	f.readline()
	c.sendall(b"+OK 100 octets\r\nSubject: cut\r\n\r\nhalf of it")
	c.close()
	PY
	BG_PID=$!
	wait_for 5 test -e "$TROOT/fake.ready"
	# a scripted server that knows no CAPA: no STLS asked for (issue 13)
	MAILC_TLS=off run "$MAILC_BIN" fetch "$FETCH" -u bob@example.org -p "$FAKE_PORT" -d
	echo "$output"
	[ "$status" = 75 ]
	[[ "$output" == *"RETR 1: connection closed by the server"* ]]
	[ -z "$(ls "$FETCH/new")" ]
	[ -z "$(ls "$FETCH/tmp")" ]
	[ ! -e "$FETCH/.mailc-uidl" ]
}

@test "a server that does not speak POP3 is 69" {
	FAKE_PORT=$(free_port)
	python3 - "$FAKE_PORT" "$TROOT/fake.ready" <<-'PY' &
	import socket, sys
	srv = socket.socket()
	srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	srv.bind(("127.0.0.1", int(sys.argv[1])))
	srv.listen(1)
	open(sys.argv[2], "w").close()
	c, _ = srv.accept()
	c.sendall(b"220 smtp.example ESMTP\r\n")
	c.recv(100)
	c.close()
	PY
	BG_PID=$!
	wait_for 5 test -e "$TROOT/fake.ready"
	run "$MAILC_BIN" inbox -u bob@example.org -p "$FAKE_PORT"
	echo "$output"
	[ "$status" = 69 ]
	[[ "$output" == *"not a POP3 response: 220 smtp.example ESMTP"* ]]
}
