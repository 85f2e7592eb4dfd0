#!/usr/bin/env bats
# auth.bats - accounts and SMTP AUTH (RFC 4954): PLAIN (RFC 4616) with and
# without an initial response, LOGIN, the failure delay and the third-
# failure disconnect, crypt(3) and {PLAIN} accounts, `smtpd -H`, the
# accounts file (malformed lines, re-reading, a bad reload keeps the old
# table), the submission listener's rules, and Python's smtplib.
#
# One daemon "main" for example.org (t/helpers.bash): alice/alicepw and
# bob/bobpw.  Tests that need a different accounts file edit $PASSWD
# before smtpd_start.  plain, b64 (t/helpers.bash), expect_lines and
# ehlo_reply (t/smtp_helpers.bash) are shared.

load helpers
load smtp_helpers

setup() {
	daemon_init main example.org
	PASSWD=$main_ROOT/etc/passwd
	LOG=$main_ROOT/smtpd.log
}

teardown() { test_teardown; }

# login_reply PORT USER PASS: the reply to AUTH PLAIN with those credentials
login_reply() {
	chat "$1" "EHLO client.example" "AUTH PLAIN $(plain "$2" "$3")" | tail -n 1
}

# timed_auth PORT B64: "REPLY ELAPSED" for one AUTH PLAIN, timed on the wire
timed_auth() {
	python3 - "$1" "$2" <<-'PY'
	import socket, sys, time
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
	f = s.makefile("rb")
	def reply():
	    while True:
	        l = f.readline().decode().rstrip("\r\n")
	        if len(l) < 4 or l[3] != "-":
	            return l
	reply()
	s.sendall(b"EHLO client.example\r\n")
	reply()
	t0 = time.monotonic()
	s.sendall(b"AUTH PLAIN " + sys.argv[2].encode() + b"\r\n")
	r = reply()
	print("%s|%.3f" % (r, time.monotonic() - t0))
	PY
}

@test "EHLO advertises AUTH PLAIN LOGIN" {
	smtpd_start
	run chat "$SMTP_PORT" "EHLO client.example"
	expect_lines "220 mx.example.org ESMTP ready" \
		"$(ehlo_reply)"
}

@test "AUTH PLAIN with an initial response" {
	smtpd_start
	run chat "$SMTP_PORT" "EHLO client.example" \
		"AUTH PLAIN $(plain alice@example.org alicepw)" \
		"AUTH PLAIN $(plain alice@example.org alicepw)"
	expect_lines "220 mx.example.org ESMTP ready" \
		"$(ehlo_reply)" \
		"235 2.7.0 Authentication successful" \
		"503 5.5.1 Already authenticated"
	grep -q 'auth ok client=\[127.0.0.1\] service=smtp user=alice@example.org$' "$LOG"
}

@test "AUTH PLAIN without an initial response, after a 334 challenge" {
	smtpd_start
	run chat "$SMTP_PORT" "HELO client.example" "AUTH PLAIN" \
		"$(plain bob@example.org bobpw)" "MAIL FROM:<bob@example.org>"
	expect_lines "220 mx.example.org ESMTP ready" \
		"250 Hello client.example" \
		"334 " \
		"235 2.7.0 Authentication successful" \
		"250 2.1.0 Sender OK"
}

@test "AUTH PLAIN: an authzid equal to the user is accepted, another one is not" {
	smtpd_start
	run chat "$SMTP_PORT" "HELO client.example" \
		"AUTH PLAIN $(plain alice@example.org alicepw bob@example.org)" \
		"AUTH PLAIN $(plain alice@example.org alicepw alice@example.org)"
	expect_lines "220 mx.example.org ESMTP ready" \
		"250 Hello client.example" \
		"535 5.7.8 Authentication credentials invalid" \
		"235 2.7.0 Authentication successful"
}

@test "AUTH LOGIN, with and without the user name in the command" {
	smtpd_start
	run chat "$SMTP_PORT" "EHLO client.example" "AUTH LOGIN" \
		"$(b64 alice@example.org)" "$(b64 alicepw)"
	echo "$output"
	[ "${lines[7]}" = "334 VXNlcm5hbWU6" ]
	[ "${lines[8]}" = "334 UGFzc3dvcmQ6" ]
	[ "${lines[9]}" = "235 2.7.0 Authentication successful" ]
	[ "${#lines[@]}" = 10 ]
	run chat "$SMTP_PORT" "EHLO client.example" \
		"AUTH LOGIN $(b64 bob@example.org)" "$(b64 bobpw)"
	echo "$output"
	[ "${lines[7]}" = "334 UGFzc3dvcmQ6" ]
	[ "${lines[8]}" = "235 2.7.0 Authentication successful" ]
	[ "${#lines[@]}" = 9 ]
}

@test "AUTH is refused before HELO, during a transaction, for unknown mechanisms" {
	smtpd_start
	run chat "$SMTP_PORT" "AUTH PLAIN $(plain alice@example.org alicepw)" \
		"EHLO client.example" "AUTH CRAM-MD5" "AUTH" "MAIL FROM:<x@remote.example>" \
		"AUTH PLAIN $(plain alice@example.org alicepw)"
	echo "$output"
	[ "${lines[0]}" = "220 mx.example.org ESMTP ready" ]
	[ "${lines[1]}" = "503 5.5.2 Send hello first" ]
	[ "${lines[8]}" = "504 5.5.4 Unrecognized authentication type" ]
	[ "${lines[9]}" = "501 5.5.4 Syntax: AUTH mechanism" ]
	[ "${lines[10]}" = "250 2.1.0 Sender OK" ]
	[ "${lines[11]}" = "503 5.5.2 Need rcpt command" ]
}

@test "'*' cancels AUTH PLAIN and AUTH LOGIN at every step; garbage is 501" {
	smtpd_start
	run chat "$SMTP_PORT" "EHLO client.example" \
		"AUTH PLAIN" "*" \
		"AUTH LOGIN" "*" \
		"AUTH LOGIN" "$(b64 alice@example.org)" "*" \
		"AUTH PLAIN !!!notbase64" \
		"AUTH PLAIN $(b64 no-nul-separators)" \
		"AUTH PLAIN $(plain alice@example.org alicepw)"
	echo "$output"
	[ "${lines[7]}" = "334 " ]
	[ "${lines[8]}" = "501 5.0.0 Authentication aborted" ]
	[ "${lines[9]}" = "334 VXNlcm5hbWU6" ]
	[ "${lines[10]}" = "501 5.0.0 Authentication aborted" ]
	[ "${lines[11]}" = "334 VXNlcm5hbWU6" ]
	[ "${lines[12]}" = "334 UGFzc3dvcmQ6" ]
	[ "${lines[13]}" = "501 5.0.0 Authentication aborted" ]
	[ "${lines[14]}" = "501 5.5.2 Cannot decode response" ]
	[ "${lines[15]}" = "501 5.5.2 Malformed PLAIN response" ]
	# cancelling is not a failed login: the session may still log in
	[ "${lines[16]}" = "235 2.7.0 Authentication successful" ]
	[ "${#lines[@]}" = 17 ]
}

@test "a wrong password is answered 535 5.7.8 after about a second" {
	smtpd_start
	run timed_auth "$SMTP_PORT" "$(plain alice@example.org wrongpw)"
	echo "$output"
	[ "${output%%|*}" = "535 5.7.8 Authentication credentials invalid" ]
	# at least the delay; no upper bound (machine speed is not asserted)
	python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 0.8 else 1)' "${output##*|}"
	# an unknown user gets the same answer and the same delay
	run timed_auth "$SMTP_PORT" "$(plain nobody@example.org alicepw)"
	echo "$output"
	[ "${output%%|*}" = "535 5.7.8 Authentication credentials invalid" ]
	python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 0.8 else 1)' "${output##*|}"
	grep -q 'auth failed client=\[127.0.0.1\] service=smtp user=alice@example.org$' "$LOG"
	# the password never reaches the log
	run ! grep -q wrongpw "$LOG"
}

@test "the third failed AUTH in a session gets 421 4.7.0 and the connection closes" {
	smtpd_start
	run chat "$SMTP_PORT" "EHLO client.example" \
		"AUTH PLAIN $(plain alice@example.org bad1)" \
		"AUTH LOGIN $(b64 alice@example.org)" "$(b64 bad2)" \
		"AUTH PLAIN $(plain alice@example.org alicepw)" \
		"AUTH PLAIN $(plain alice@example.org bad3)" \
		"NOOP"
	echo "$output"
	[ "${lines[7]}" = "535 5.7.8 Authentication credentials invalid" ]
	[ "${lines[8]}" = "334 UGFzc3dvcmQ6" ]
	[ "${lines[9]}" = "535 5.7.8 Authentication credentials invalid" ]
	# a success in between does not reset the count; it ends the AUTHs
	[ "${lines[10]}" = "235 2.7.0 Authentication successful" ]
	[ "${lines[11]}" = "503 5.5.1 Already authenticated" ]
	[ "${lines[12]}" = "250 2.0.0 OK" ]
	run chat "$SMTP_PORT" "EHLO client.example" \
		"AUTH PLAIN $(plain alice@example.org bad1)" \
		"AUTH PLAIN $(plain bob@example.org bad2)" \
		"AUTH PLAIN $(plain alice@example.org bad3)" \
		"NOOP"
	expect_lines "220 mx.example.org ESMTP ready" \
		"$(ehlo_reply)" \
		"535 5.7.8 Authentication credentials invalid" \
		"535 5.7.8 Authentication credentials invalid" \
		"421 4.7.0 Too many authentication failures" \
		"<closed>"
}

# crypt(3) hashes made once, by Python's crypt module (Python 3.11, on
# libxcrypt), and checked against `openssl passwd -5/-6`; kept here so no
# test needs a crypt module at run time.  The password each is of:
GWEN_SHA512='$6$gwensaltgwensalt$Brtb/NtFXAb5NR4l3jzMcI6B5VealzAWoBwD.AWBVeQ67seo6o46oB6nPJDTbutZGOQYCPgk85oJ95o3ytmjc0' # gwen6pw
DAVE_SHA256='$5$saltsaltsalt$GK45Bw9JJUlHfg2Jmwd1cNjYekfTpXX3OTRfwj3ZTB5' # dave5pw
ERIN_YESCRYPT='$y$j9T$F5Jx5fExrKuPp53xLKQ..1$8hnjPQ4m5/kWKu06XjY3QOY6ros.yj8qNtv8OC00dw4' # erinypw
FRANK_BCRYPT='$2b$05$abcdefghijklmnopqrstuuQcMdxbk5yqg5YINF9qEt5leJM2JNhHW' # frank2pw

@test "a crypt(3) SHA-512 account made with smtpd -H logs in; the hash verifies" {
	h=$(echo carolpw | "$SMTPD_BIN" -H)
	echo "$h"
	[[ "$h" =~ ^\$6\$[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{86}$ ]]
	# a fresh salt each time
	h2=$(echo carolpw | "$SMTPD_BIN" -H)
	[ "$h" != "$h2" ]
	echo "carol@example.org:$h" >>"$PASSWD"
	# crypt(3) itself takes a SHA-512 hash made elsewhere: the daemon's
	# check is crypt(3)'s, so the -H hash logging in means crypt(3) agrees
	echo "gwen@example.org:$GWEN_SHA512" >>"$PASSWD"
	smtpd_start
	[ "$(login_reply "$SMTP_PORT" carol@example.org carolpw)" = "235 2.7.0 Authentication successful" ]
	[ "$(login_reply "$SMTP_PORT" CAROL@Example.ORG carolpw)" = "235 2.7.0 Authentication successful" ]
	[ "$(login_reply "$SMTP_PORT" carol@example.org carolpX)" = "535 5.7.8 Authentication credentials invalid" ]
	[ "$(login_reply "$SMTP_PORT" gwen@example.org gwen6pw)" = "235 2.7.0 Authentication successful" ]
	[ "$(login_reply "$SMTP_PORT" gwen@example.org carolpw)" = "535 5.7.8 Authentication credentials invalid" ]
	# the {PLAIN} accounts beside it still work
	[ "$(login_reply "$SMTP_PORT" alice@example.org alicepw)" = "235 2.7.0 Authentication successful" ]
}

@test "smtpd -H without input fails with a message" {
	run "$SMTPD_BIN" -H </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no password"* ]]
}

@test "crypt(3) SHA-256 (\$5\$), yescrypt (\$y\$) and bcrypt (\$2b\$) accounts log in" {
	printf '%s\n' "dave@example.org:$DAVE_SHA256" "erin@example.org:$ERIN_YESCRYPT" \
		"frank@example.org:$FRANK_BCRYPT" >>"$PASSWD"
	cat "$PASSWD"
	smtpd_start
	[ "$(login_reply "$SMTP_PORT" dave@example.org dave5pw)" = "235 2.7.0 Authentication successful" ]
	[ "$(login_reply "$SMTP_PORT" dave@example.org wrong)" = "535 5.7.8 Authentication credentials invalid" ]
	[ "$(login_reply "$SMTP_PORT" erin@example.org erinypw)" = "235 2.7.0 Authentication successful" ]
	[ "$(login_reply "$SMTP_PORT" erin@example.org wrong)" = "535 5.7.8 Authentication credentials invalid" ]
	[ "$(login_reply "$SMTP_PORT" frank@example.org frank2pw)" = "235 2.7.0 Authentication successful" ]
	[ "$(login_reply "$SMTP_PORT" frank@example.org wrong)" = "535 5.7.8 Authentication credentials invalid" ]
	# each password opens only its own account
	[ "$(login_reply "$SMTP_PORT" dave@example.org erinypw)" = "535 5.7.8 Authentication credentials invalid" ]
}

@test "accounts file: malformed lines are reported with their numbers and skipped" {
	cat >"$PASSWD" <<-'EOF'
	# accounts for example.org
	alice@example.org:{PLAIN}alicepw
	this line has no colon at all
	bob@example.org:{PLAIN}bobpw
	not an address:{PLAIN}x
	carol@example.org:nohash

	dave@example.org:{PLAIN}davepw
	EOF
	smtpd_start
	cat "$LOG"
	grep -Eq 'passwd:3: expected address:hash$' "$LOG"
	grep -Eq 'passwd:5: not a valid user@domain address$' "$LOG"
	grep -Eq 'passwd:6: not a crypt\(3\) hash or \{PLAIN\}secret$' "$LOG"
	# the good lines, before and after the bad ones, all work
	[ "$(login_reply "$SMTP_PORT" alice@example.org alicepw)" = "235 2.7.0 Authentication successful" ]
	[ "$(login_reply "$SMTP_PORT" bob@example.org bobpw)" = "235 2.7.0 Authentication successful" ]
	[ "$(login_reply "$SMTP_PORT" dave@example.org davepw)" = "235 2.7.0 Authentication successful" ]
	[ "$(login_reply "$SMTP_PORT" carol@example.org nohash)" = "535 5.7.8 Authentication credentials invalid" ]
	# `smtpd -n` calls the same file invalid
	run "$SMTPD_BIN" -n -f "$main_ROOT/etc/smtpd.conf"
	echo "$output"
	[ "$status" -eq 78 ]
	[[ "$output" == *"passwd:3: expected address:hash"* ]]
}

@test "accounts file: an account added while the daemon runs can log in at once" {
	smtpd_start
	[ "$(login_reply "$SMTP_PORT" carol@example.org carolpw)" = "535 5.7.8 Authentication credentials invalid" ]
	# a longer file: the change is visible whatever the mtime granularity
	echo 'carol@example.org:{PLAIN}carolpw' >>"$PASSWD"
	[ "$(login_reply "$SMTP_PORT" carol@example.org carolpw)" = "235 2.7.0 Authentication successful" ]
	grep -q 'passwd: reloaded, 3 accounts' "$LOG"
	# and as a recipient
	run chat "$SMTP_PORT" "HELO client.example" "MAIL FROM:<x@remote.example>" \
		"RCPT TO:<carol@example.org>"
	echo "$output"
	[ "${lines[3]}" = "250 2.1.5 Recipient OK" ]
}

@test "accounts file: a same-size change is noticed by its mtime" {
	smtpd_start
	[ "$(login_reply "$SMTP_PORT" alice@example.org alicepw)" = "235 2.7.0 Authentication successful" ]
	size=$(stat -c %s "$PASSWD")
	# the same size, a new inode (as editors and sed -i write)
	sed -i 's/{PLAIN}alicepw/{PLAIN}alicePW/' "$PASSWD"
	[ "$(stat -c %s "$PASSWD")" = "$size" ]
	[ "$(login_reply "$SMTP_PORT" alice@example.org alicePW)" = "235 2.7.0 Authentication successful" ]
	# now the same size, the same inode, only the mtime differs
	ino=$(stat -c %i "$PASSWD")
	printf 'alice@example.org:{PLAIN}alicepx\nbob@example.org:{PLAIN}bobpw\n' >"$PASSWD"
	touch -d '2001-02-03 04:05:06' "$PASSWD"
	[ "$(stat -c %i "$PASSWD")" = "$ino" ]
	[ "$(stat -c %s "$PASSWD")" = "$size" ]
	[ "$(login_reply "$SMTP_PORT" alice@example.org alicepx)" = "235 2.7.0 Authentication successful" ]
	[ "$(login_reply "$SMTP_PORT" alice@example.org alicePW)" = "535 5.7.8 Authentication credentials invalid" ]
}

@test "accounts file: a reload with a malformed line keeps the previous accounts" {
	smtpd_start
	cp "$PASSWD" "$PASSWD.good"
	printf '%s\n' 'dave@example.org:{PLAIN}davepw' 'half-edited line' >>"$PASSWD"
	# the existing user still logs in, the new one in the broken file does not
	[ "$(login_reply "$SMTP_PORT" alice@example.org alicepw)" = "235 2.7.0 Authentication successful" ]
	[ "$(login_reply "$SMTP_PORT" dave@example.org davepw)" = "535 5.7.8 Authentication credentials invalid" ]
	cat "$LOG"
	grep -Eq 'passwd:4: expected address:hash$' "$LOG"
	grep -q 'passwd: 1 malformed line: keeping the previous 2 accounts' "$LOG"
	# fixed: the new account works
	{ cat "$PASSWD.good"; echo 'dave@example.org:{PLAIN}davepw'; echo '# fixed'; } >"$PASSWD"
	[ "$(login_reply "$SMTP_PORT" dave@example.org davepw)" = "235 2.7.0 Authentication successful" ]
	[ "$(login_reply "$SMTP_PORT" bob@example.org bobpw)" = "235 2.7.0 Authentication successful" ]
}

@test "submission: MAIL before AUTH is 530 5.7.0; a failed AUTH does not help" {
	smtpd_start
	run chat "$SUBMIT_PORT" "EHLO client.example" "MAIL FROM:<alice@example.org>" \
		"AUTH PLAIN $(plain alice@example.org nope)" "MAIL FROM:<alice@example.org>" \
		"RCPT TO:<bob@example.org>"
	expect_lines "220 mx.example.org ESMTP ready" \
		"$(ehlo_reply)" \
		"530 5.7.0 Authentication required" \
		"535 5.7.8 Authentication credentials invalid" \
		"530 5.7.0 Authentication required" \
		"503 5.5.2 Need mail command"
}

@test "submission: the sender must be the logged-in address (553 5.7.1 otherwise)" {
	smtpd_start
	run chat "$SUBMIT_PORT" "EHLO client.example" \
		"AUTH PLAIN $(plain alice@example.org alicepw)" \
		"MAIL FROM:<bob@example.org>" \
		"MAIL FROM:<>" \
		"MAIL FROM:<alice@other.example>" \
		"MAIL FROM:<ALICE@Example.Org>" \
		"RCPT TO:<someone@far-away.example>"
	echo "$output"
	[ "${lines[7]}" = "235 2.7.0 Authentication successful" ]
	[ "${lines[8]}" = "553 5.7.1 <bob@example.org>: Sender address rejected: not owned by user alice@example.org" ]
	[ "${lines[9]}" = "553 5.7.1 <>: Sender address rejected: not owned by user alice@example.org" ]
	[ "${lines[10]}" = "553 5.7.1 <alice@other.example>: Sender address rejected: not owned by user alice@example.org" ]
	# local parts and domains compare case-insensitively
	[ "${lines[11]}" = "250 2.1.0 Sender OK" ]
	# an authenticated session may send to any domain
	[ "${lines[12]}" = "250 2.1.5 Recipient OK" ]
}

@test "smtp listener: after AUTH the same rules hold (any domain, own sender only)" {
	smtpd_start
	run chat "$SMTP_PORT" "EHLO client.example" \
		"MAIL FROM:<alice@example.org>" "RCPT TO:<someone@far-away.example>" "RSET" \
		"AUTH PLAIN $(plain alice@example.org alicepw)" \
		"MAIL FROM:<bob@example.org>" \
		"MAIL FROM:<alice@example.org>" "RCPT TO:<someone@far-away.example>"
	echo "$output"
	[ "${lines[7]}" = "250 2.1.0 Sender OK" ]
	[ "${lines[8]}" = "554 5.7.1 Relay access denied" ]
	[ "${lines[9]}" = "250 2.0.0 OK" ]
	[ "${lines[10]}" = "235 2.7.0 Authentication successful" ]
	[ "${lines[11]}" = "553 5.7.1 <bob@example.org>: Sender address rejected: not owned by user alice@example.org" ]
	[ "${lines[12]}" = "250 2.1.0 Sender OK" ]
	[ "${lines[13]}" = "250 2.1.5 Recipient OK" ]
}

@test "submission: an authenticated message is delivered with ESMTPA" {
	smtpd_start
	run chat -p "$SUBMIT_PORT" "EHLO client.example" \
		"AUTH PLAIN $(plain alice@example.org alicepw)" \
		"MAIL FROM:<alice@example.org>" "RCPT TO:<bob@example.org>" "DATA" \
		"Subject: submitted" "" "hello bob" "." "QUIT"
	echo "$output"
	[ "${lines[7]}" = "235 2.7.0 Authentication successful" ]
	[ "${lines[8]}" = "250 2.1.0 Sender OK" ]
	[ "${lines[9]}" = "250 2.1.5 Recipient OK" ]
	[ "${lines[10]}" = "354 Start mail input; end with <CRLF>.<CRLF>" ]
	[ "${lines[11]}" = "250 Message received and to be delivered" ]
	[ "${lines[12]}" = "221 closing connection" ]
	f=$(maildir_files example.org bob)
	[ "$(echo "$f" | grep -c .)" = 1 ]
	cat "$f"
	[ "$(sed -n 1p "$f")" = "Return-Path: <alice@example.org>" ]
	sed -n 3p "$f" | grep -Eq '^Received: from client\.example \(\[127\.0\.0\.1\]\) by mx\.example\.org \(smtpd\) with ESMTPA id [0-9A-F]+ for <bob@example.org>; '
	# what the message lacked, added (RFC 6409 §8; t/loops.bats)
	sed -n 4p "$f" | grep -Eq '^Date: '
	sed -n 5p "$f" | grep -Eq '^Message-ID: <[0-9A-F]+@mx\.example\.org>$'
	[ "$(sed -n '6,$p' "$f")" = "Subject: submitted

hello bob" ]
}

@test "Python smtplib: login() and sendmail() against the submission port" {
	smtpd_start
	run python3 - "$SUBMIT_PORT" <<-'PY'
	import smtplib, sys
	port = int(sys.argv[1])
	s = smtplib.SMTP("127.0.0.1", port, local_hostname="py.example", timeout=30)
	s.ehlo()
	assert s.has_extn("auth"), s.esmtp_features
	print("auth:", s.esmtp_features["auth"].strip())
	code, text = s.login("alice@example.org", "alicepw")
	print(code, text.decode())
	s.sendmail("alice@example.org", ["bob@example.org"],
	           "Subject: from smtplib\r\n\r\nsent by python\r\n")
	s.quit()
	# a wrong password raises SMTPAuthenticationError with the 535
	s = smtplib.SMTP("127.0.0.1", port, local_hostname="py.example", timeout=30)
	try:
	    s.login("alice@example.org", "wrong")
	    print("wrong password accepted")
	except smtplib.SMTPAuthenticationError as e:
	    print(e.smtp_code, e.smtp_error.decode())
	s.close()
	# AUTH LOGIN, challenge by challenge
	s = smtplib.SMTP("127.0.0.1", port, local_hostname="py.example", timeout=30)
	s.ehlo()
	s.user, s.password = "bob@example.org", "bobpw"
	code, text = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
	print(code, text.decode())
	s.quit()
	PY
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "auth: PLAIN LOGIN" ]
	[ "${lines[1]}" = "235 2.7.0 Authentication successful" ]
	[ "${lines[2]}" = "535 5.7.8 Authentication credentials invalid" ]
	[ "${lines[3]}" = "235 2.7.0 Authentication successful" ]
	f=$(maildir_files example.org bob)
	[ "$(echo "$f" | grep -c .)" = 1 ]
	grep -qx 'Subject: from smtplib' "$f"
	grep -qx 'sent by python' "$f"
	grep -q 'with ESMTPA' "$f"
}
