#!/usr/bin/env bats
# smtp_delivery.bats - what ends up in the Maildir (DESIGN.md §2 "Delivery
# and durability", "SMTP"): the exact bytes and name of a delivered file,
# copies for several recipients, a Maildir made from maildir-skel, 30
# clients at once, Python's smtplib as a client, the end of DATA and SMTP
# smuggling, dot un-stuffing and line ends, and that a killed session or a
# failed write leaves nothing in new/ (all recipients or none).

load helpers
load smtp_helpers

setup() { smtpd_start "max_clients_per_ip 40"; }
teardown() { test_teardown; }

DAYS='(Mon|Tue|Wed|Thu|Fri|Sat|Sun)'
MONTHS='(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)'
DATE_RE="$DAYS, [0-9]{1,2} $MONTHS 20[0-9]{2} [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [+-][0-9]{4}"
NAME_RE='^([0-9]+)\.M([0-9]+)P([0-9]+)Q([0-9]+)\.mx\.example\.org,S=([0-9]+)$'

# send one message (lines as arguments, CRLF added) from sender@remote.example
# to the recipients in $RCPTS (default bob), with EHLO (or $GREET); prints
# the replies
send_msg() {
	local -a cmds=("${GREET:-EHLO} client.example" "MAIL FROM:<sender@remote.example>")
	local r
	for r in ${RCPTS:-bob@example.org}; do cmds+=("RCPT TO:<$r>"); done
	raw "$SMTP_PORT" '%s\r\n' "${cmds[@]}" DATA "$@" . QUIT
}

@test "the delivered file: Return-Path, Delivered-To, Received, then the message with LF ends" {
	run send_msg "From: Sender <sender@remote.example>" "To: bob@example.org" \
		"Subject: exact bytes" "" "line one" "  indented line two" "" "last line"
	[ "${lines[-3]}" = "250 Message received and to be delivered" ]
	[ "$(maildir_count example.org bob)" = 1 ]
	f=$(maildir_files example.org bob)
	qid=$(sed -n 's/.*: \([0-9A-F]*\): from=<sender@remote.example> size=.*/\1/p' "$TROOT/smtpd.log")
	[ -n "$qid" ]
	run sed -n 1,3p "$f"
	[ "${lines[0]}" = "Return-Path: <sender@remote.example>" ]
	[ "${lines[1]}" = "Delivered-To: bob@example.org" ]
	[[ ${lines[2]} =~ ^"Received: from client.example ([127.0.0.1]) by mx.example.org (smtpd) with ESMTP id $qid for <bob@example.org>; "$DATE_RE$ ]]
	file_is <(strip_trace "$f") '%s\n' "From: Sender <sender@remote.example>" \
		"To: bob@example.org" "Subject: exact bytes" "" "line one" \
		"  indented line two" "" "last line"
	[ "$(grep -c $'\r' "$f")" = 0 ]
}

@test "HELO gives 'with SMTP' in Received:" {
	GREET=HELO run send_msg "Subject: helo" "" "x"
	f=$(maildir_files example.org bob)
	run sed -n 3p "$f"
	[[ $output =~ ^"Received: from client.example ([127.0.0.1]) by mx.example.org (smtpd) with SMTP id "[0-9A-F]+" for <bob@example.org>; "$DATE_RE$ ]]
}

@test "the file name is <secs>.M<usecs>P<pid>Q<n>.<host>,S=<size> with S= the file's size" {
	run send_msg "Subject: name" "" "body"
	run send_msg "Subject: name 2" "" "a longer body"
	[ "$(maildir_count example.org bob)" = 2 ]
	now=$(date +%s)
	# the P is the session child's pid, which logged the delivery
	pids=$(sed -n 's/^smtpd\[\([0-9]*\)\]: [0-9A-F]*: to=<bob@example.org> status=delivered .*/\1/p' "$TROOT/smtpd.log" | sort)
	[ "$(echo "$pids" | wc -l)" = 2 ]
	seen=
	for f in $(maildir_files example.org bob); do
		name=$(basename "$f")
		[[ $name =~ $NAME_RE ]]
		secs=${BASH_REMATCH[1]} usecs=${BASH_REMATCH[2]} pid=${BASH_REMATCH[3]}
		q=${BASH_REMATCH[4]} size=${BASH_REMATCH[5]}
		[ $((now - secs)) -ge 0 ]
		[ $((now - secs)) -lt 600 ]
		[ "$usecs" -lt 1000000 ]
		[ "$size" = "$(stat -c %s "$f")" ]
		echo "$pids" | grep -qx "$pid"
		seen="$seen$pid.$q "
	done
	# two sessions (one child may serve both: session_reuse_count), two
	# pid and count pairs
	[ "$(echo $seen | tr ' ' '\n' | sort -u | wc -l)" = 2 ]
	[ -z "$(ls -A "$TROOT/mail/example.org/bob/tmp")" ]
}

@test "several recipients each get a copy, a repeated RCPT only one" {
	RCPTS="alice@example.org bob@example.org Bob@example.org" \
		run send_msg "Subject: to both" "" "shared body"
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"$(ehlo_reply)" \
		"250 2.1.0 Sender OK" \
		"250 2.1.5 Recipient OK" \
		"250 2.1.5 Recipient OK" \
		"250 2.1.5 Recipient OK" \
		"354 Start mail input; end with <CRLF>.<CRLF>" \
		"250 Message received and to be delivered" \
		"221 closing connection" \
		"<closed>"
	[ "$(maildir_count example.org alice)" = 1 ]
	[ "$(maildir_count example.org bob)" = 1 ]
	a=$(maildir_files example.org alice) b=$(maildir_files example.org bob)
	sed -n 3p "$a" | grep -q ' for <alice@example.org>; '
	sed -n 3p "$b" | grep -q ' for <bob@example.org>; '
	file_is <(strip_trace "$a") 'Subject: to both\n\nshared body\n'
	file_is <(strip_trace "$b") 'Subject: to both\n\nshared body\n'
	grep -q ': from=<sender@remote.example> size=[0-9]* nrcpt=2 client=' "$TROOT/smtpd.log"
}

@test "a missing Maildir is created from maildir-skel" {
	local box=$TROOT/mail/example.org/alice
	mkdir -p "$TROOT/maildir-skel/.Sent/cur" "$TROOT/maildir-skel/.Sent/new" \
		"$TROOT/maildir-skel/.Sent/tmp"
	printf 'Sent\n' >"$TROOT/maildir-skel/subscriptions"
	[ ! -e "$box" ]
	RCPTS=alice@example.org run send_msg "Subject: first" "" "x"
	[ "${lines[-3]}" = "250 Message received and to be delivered" ]
	for d in cur new tmp .Sent/cur .Sent/new .Sent/tmp; do
		[ -d "$box/$d" ]
	done
	[ "$(cat "$box/subscriptions")" = Sent ]
	[ ! -e "$box/new/.keep" ]
	[ "$(maildir_count example.org alice)" = 1 ]
	[ -z "$(ls -A "$box/cur")" ]
}

@test "30 clients at once: every message delivered exactly once" {
	run python3 - "$SMTP_PORT" <<-'PY'
	import smtplib, sys, threading
	port, n = int(sys.argv[1]), 30
	together = threading.Barrier(n)
	errors = []
	def client(i):
	    try:
	        c = smtplib.SMTP("127.0.0.1", port, timeout=120)
	        together.wait(60)   # all 30 sessions open at the same time
	        c.sendmail("sender%d@remote.example" % i, ["bob@example.org"],
	                   "Subject: parallel %d\r\n\r\nmarker-%d\r\n" % (i, i))
	        c.quit()
	    except Exception as e:
	        errors.append("client %d: %r" % (i, e))
	ts = [threading.Thread(target=client, args=(i,)) for i in range(n)]
	for t in ts:
	    t.start()
	for t in ts:
	    t.join()
	print("\n".join(errors) if errors else "all sent")
	PY
	expect_lines "all sent"
	[ "$(maildir_count example.org bob)" = 30 ]
	for i in $(seq 0 29); do
		n=$(grep -lx "marker-$i" $(maildir_files example.org bob) | wc -l)
		[ "$n" = 1 ] || { echo "marker-$i in $n files"; false; }
		grep -qx "Return-Path: <sender$i@remote.example>" \
			"$(grep -lx "marker-$i" $(maildir_files example.org bob))"
	done
	[ -z "$(ls -A "$TROOT/mail/example.org/bob/tmp")" ]
}

@test "Python's smtplib: several recipients, one refused, dots and line ends" {
	run python3 - "$SMTP_PORT" <<-'PY'
	import smtplib, sys
	msg = ("From: sender@remote.example\n"
	       "To: alice@example.org, bob@example.org\n"
	       "Subject: via smtplib\n"
	       "\n"
	       ".leading dot\n"
	       ".\n"
	       "plain line\n"
	       "..two dots\n")
	with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30) as c:
	    refused = c.sendmail("sender@remote.example",
	                         ["alice@example.org", "carol@example.org", "bob@example.org"], msg)
	for r, (code, text) in refused.items():
	    print(r, code, text.decode())
	PY
	expect_lines "carol@example.org 550 5.1.1 <carol@example.org>: Recipient address rejected: User unknown"
	for u in alice bob; do
		[ "$(maildir_count example.org $u)" = 1 ]
		f=$(maildir_files example.org $u)
		[ "$(head -n 1 "$f")" = "Return-Path: <sender@remote.example>" ]
		sed -n 3p "$f" | grep -Eq "^Received: from [^ ]+ \(\[127\.0\.0\.1\]\) by mx\.example\.org \(smtpd\) with ESMTP id [0-9A-F]+ for <$u@example\.org>; "
		file_is <(strip_trace "$f") '%s\n' "From: sender@remote.example" \
			"To: alice@example.org, bob@example.org" "Subject: via smtplib" "" \
			".leading dot" "." "plain line" "..two dots"
	done
}

# DESIGN.md §2: only <CRLF>.<CRLF> ends DATA (CVE-2023-51764/51765/51766).
# A message with one of the sequences, then a smuggled second transaction
# (to alice), then the real end: one message to bob, holding the smuggled
# text; alice gets nothing.
smuggle() {
	local seq=$1 want=$2
	run raw "$SMTP_PORT" "EHLO client.example\r\nMAIL FROM:<sender@remote.example>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nSubject: real\r\n\r\nreal body${seq}MAIL FROM:<smuggler@remote.example>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled body\r\n.\r\nQUIT\r\n"
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"$(ehlo_reply)" \
		"250 2.1.0 Sender OK" \
		"250 2.1.5 Recipient OK" \
		"354 Start mail input; end with <CRLF>.<CRLF>" \
		"250 Message received and to be delivered" \
		"221 closing connection" \
		"<closed>"
	[ "$(maildir_count example.org bob)" = 1 ]
	[ "$(maildir_count example.org alice)" = 0 ]
	file_is <(strip_trace "$(maildir_files example.org bob)") \
		"Subject: real\n\nreal body${want}MAIL FROM:<smuggler@remote.example>\nRCPT TO:<alice@example.org>\nDATA\nSubject: smuggled\n\nsmuggled body\n"
}

@test "smuggling: <LF>.<LF> is content, not the end" {
	smuggle '\n.\n' '\n.\n'
}

@test "smuggling: <CR>.<CR> is content, not the end" {
	smuggle '\r.\r' '\r.\r'
}

@test "smuggling: <LF>.<CR><LF> is content, not the end" {
	smuggle '\n.\r\n' '\n.\n'
}

@test "smuggling: <CR><LF>.<LF> is content, not the end" {
	smuggle '\r\n.\n' '\n.\n'
}

@test "smuggling: <CR><LF>.<NUL><CR><LF> is content, not the end" {
	# a stuffed line: the dot goes, the NUL stays
	smuggle '\r\n.\0\r\n' '\n\0\n'
}

@test "smuggling: <CR><LF><NUL>.<CR><LF> is content, not the end" {
	smuggle '\r\n\0.\r\n' '\n\0.\n'
}

@test "smuggling: <CR><LF>.<CR><CR><LF> is content, not the end" {
	smuggle '\r\n.\r\r\n' '\n\r\n'
}

@test "leading dots are un-stuffed" {
	run send_msg "Subject: dots" "" "..x" ".." "..." "...." "x.y" "x." ". x"
	[ "${lines[-3]}" = "250 Message received and to be delivered" ]
	file_is <(strip_trace "$(maildir_files example.org bob)") '%s\n' \
		"Subject: dots" "" ".x" "." ".." "..." "x.y" "x." " x"
}

@test "bare LF line ends are stored as LF; a bare CR and a NUL are content" {
	run raw "$SMTP_PORT" 'HELO client.example\r\nMAIL FROM:<sender@remote.example>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nSubject: ends\n\nbare lf\nbare\rcr\r\ncr at end\r\r\nnul\0here\r\n\r\nlast\r\n.\r\nQUIT\r\n'
	[ "${lines[-3]}" = "250 Message received and to be delivered" ]
	file_is <(strip_trace "$(maildir_files example.org bob)") \
		'Subject: ends\n\nbare lf\nbare\rcr\ncr at end\r\nnul\0here\n\nlast\n'
}

@test "an empty message is delivered with the trace lines only" {
	run raw "$SMTP_PORT" 'HELO client.example\r\nMAIL FROM:<sender@remote.example>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n.\r\nQUIT\r\n'
	[ "${lines[-3]}" = "250 Message received and to be delivered" ]
	f=$(maildir_files example.org bob)
	[ "$(wc -l <"$f")" = 3 ]
	[ -z "$(strip_trace "$f")" ]
}

@test "kill -9 of a session child in the middle of DATA leaves nothing in new/" {
	python3 - "$SMTP_PORT" "$BATS_TEST_TMPDIR/ready" >"$BATS_TEST_TMPDIR/out" <<-'PY' &
	import socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
	f = s.makefile("rb")
	print(f.readline().decode().rstrip())
	for c in (b"HELO client.example", b"MAIL FROM:<sender@remote.example>",
	          b"RCPT TO:<bob@example.org>", b"DATA"):
	    s.sendall(c + b"\r\n")
	    print(f.readline().decode().rstrip())
	s.sendall(b"Subject: half\r\n\r\n" + b"half a message\r\n" * 1000)
	open(sys.argv[2], "w").close()
	try:
	    rest = f.read()
	except ConnectionResetError:
	    rest = b""
	print(rest.decode() or "<closed>", flush=True)
	PY
	client=$!
	wait_for 20 test -e "$BATS_TEST_TMPDIR/ready"
	# the child that logged the last connect (a new one, or one reused)
	child=$(sed -n 's/^smtpd\[\([0-9]*\)\]: connect client=.*/\1/p' \
		"$TROOT/smtpd.log" | tail -n 1)
	[ -n "$child" ]
	daemon_children | grep -qx "$child"
	# let the daemon read what was sent
	wait_for 20 grep -q "^smtpd\[$child\]: connect client=" "$TROOT/smtpd.log"
	sleep 0.5
	kill -KILL "$child"
	wait "$client"
	run cat "$BATS_TEST_TMPDIR/out"
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"250 Hello client.example" \
		"250 2.1.0 Sender OK" \
		"250 2.1.5 Recipient OK" \
		"354 Start mail input; end with <CRLF>.<CRLF>" \
		"<closed>"
	wait_for 10 grep -q "session $child killed by signal 9" "$TROOT/smtpd.log"
	[ "$(maildir_count example.org bob)" = 0 ]
	# and the daemon goes on serving
	run send_msg "Subject: after" "" "x"
	[ "${lines[-3]}" = "250 Message received and to be delivered" ]
	[ "$(maildir_count example.org bob)" = 1 ]
}

@test "a client closing in the middle of DATA: nothing delivered" {
	run python3 - "$SMTP_PORT" <<-'PY'
	import socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
	s.sendall(b"HELO client.example\r\nMAIL FROM:<sender@remote.example>\r\n"
	          b"RCPT TO:<bob@example.org>\r\nDATA\r\nSubject: cut\r\n\r\nno end\r\n")
	s.shutdown(socket.SHUT_WR)
	print(s.makefile("rb").read().decode().replace("\r\n", "\n"), end="")
	PY
	expect_lines \
		"220 mx.example.org ESMTP ready" \
		"250 Hello client.example" \
		"250 2.1.0 Sender OK" \
		"250 2.1.5 Recipient OK" \
		"354 Start mail input; end with <CRLF>.<CRLF>"
	wait_for 10 grep -q ': lost connection client=\[127.0.0.1\] command=DATA$' "$TROOT/smtpd.log"
	[ "$(maildir_count example.org bob)" = 0 ]
}

@test "a client writing one byte at a time is understood" {
	run python3 - "$SMTP_PORT" <<-'PY'
	import socket, sys, time
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
	s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
	data = (b"EHLO client.example\r\nMAIL FROM:<sender@remote.example>\r\n"
	        b"RCPT TO:<bob@example.org>\r\nDATA\r\nSubject: slow\r\n\r\n"
	        b"..dot\r\nbare\rcr\r\nlf\n\r\n.\r\nQUIT\r\n")
	for i in range(len(data)):
	    s.sendall(data[i:i + 1])
	    time.sleep(0.002)
	print(s.makefile("rb").read().decode().replace("\r\n", "\n"), end="")
	PY
	[ "${lines[-2]}" = "250 Message received and to be delivered" ]
	[ "${lines[-1]}" = "221 closing connection" ]
	file_is <(strip_trace "$(maildir_files example.org bob)") \
		'Subject: slow\n\n.dot\nbare\rcr\nlf\n\n'
}

@test "a spool file that cannot be written: 451 after the end of data" {
	# bob's Maildir tmp/ (where his message is written) and the
	# queue's tmp/ (where it goes when it cannot be)
	run send_msg "Subject: before" "" "x"
	[ "$(maildir_count example.org bob)" = 1 ]
	chmod 555 "$TROOT/mail/example.org/bob/tmp" "$TROOT/queue/tmp"
	run send_msg "Subject: no spool" "" "x"
	[ "${lines[-4]}" = "354 Start mail input; end with <CRLF>.<CRLF>" ]
	[ "${lines[-3]}" = "451 4.3.0 Error: queue file write error" ]
	[ "${lines[-2]}" = "221 closing connection" ]
	[ "$(maildir_count example.org bob)" = 1 ]
}

@test "local mail is written straight into the recipient's Maildir: the queue's tmp/ is not needed" {
	chmod 555 "$TROOT/queue/tmp"
	run send_msg "Subject: no spool" "" "x"
	[ "${lines[-3]}" = "250 Message received and to be delivered" ]
	[ "$(maildir_count example.org bob)" = 1 ]
	[ -z "$(ls -A "$TROOT/mail/example.org/bob/tmp")" ]
	[ -z "$(ls -A "$TROOT/queue/tmp")" ]
}

@test "a Maildir that cannot be created: 451, and delivered once it can" {
	mkdir -p "$TROOT/mail/example.org"
	if [ "$(id -u)" = 0 ]; then chown nobody: "$TROOT/mail/example.org"; fi
	chmod 555 "$TROOT/mail/example.org"
	run send_msg "Subject: no maildir" "" "x"
	[ "${lines[-3]}" = "451 4.3.0 Error: local delivery failed, try again later" ]
	[ ! -e "$TROOT/mail/example.org/bob" ]
	chmod 755 "$TROOT/mail/example.org"
	run send_msg "Subject: no maildir" "" "x"
	[ "${lines[-3]}" = "250 Message received and to be delivered" ]
	[ "$(maildir_count example.org bob)" = 1 ]
}

# make the Maildir of user $1 exist (by delivering to it), then take away
# the daemon's right to write to its subdirectory $2
break_maildir() {
	RCPTS=$1@example.org run send_msg "Subject: before" "" "x"
	[ "$(maildir_count example.org "$1")" = 1 ]
	chmod 555 "$TROOT/mail/example.org/$1/$2"
}

@test "a Maildir whose new/ cannot be written: 451, nothing in new/ or tmp/" {
	break_maildir bob new
	run send_msg "Subject: fails" "" "x"
	[ "${lines[-3]}" = "451 4.3.0 Error: local delivery failed, try again later" ]
	[ "${lines[-2]}" = "221 closing connection" ]
	[ "$(maildir_count example.org bob)" = 1 ]
	[ -z "$(ls -A "$TROOT/mail/example.org/bob/tmp")" ]
	grep -q ': to=<bob@example.org> status=deferred' "$TROOT/smtpd.log" ||
		grep -q 'maildir: rename' "$TROOT/smtpd.log"
}

@test "all or nothing: with alice's new/ fine and bob's broken, alice gets nothing either" {
	break_maildir alice cur # exists, unharmed
	break_maildir bob new
	RCPTS="alice@example.org bob@example.org" run send_msg "Subject: both" "" "x"
	[ "${lines[-3]}" = "451 4.3.0 Error: local delivery failed, try again later" ]
	[ "$(maildir_count example.org alice)" = 1 ]
	[ "$(maildir_count example.org bob)" = 1 ]
	[ -z "$(ls -A "$TROOT/mail/example.org/alice/tmp")" ]
	[ -z "$(ls -A "$TROOT/mail/example.org/bob/tmp")" ]
	# the other order
	RCPTS="bob@example.org alice@example.org" run send_msg "Subject: both" "" "x"
	[ "${lines[-3]}" = "451 4.3.0 Error: local delivery failed, try again later" ]
	[ "$(maildir_count example.org alice)" = 1 ]
	[ "$(maildir_count example.org bob)" = 1 ]
	# repaired, the same message goes to both
	chmod 755 "$TROOT/mail/example.org/bob/new"
	RCPTS="alice@example.org bob@example.org" run send_msg "Subject: both" "" "x"
	[ "${lines[-3]}" = "250 Message received and to be delivered" ]
	[ "$(maildir_count example.org alice)" = 2 ]
	[ "$(maildir_count example.org bob)" = 2 ]
}

@test "all or nothing: with bob's tmp/ unwritable, alice's copy is removed from tmp/ too" {
	break_maildir alice cur
	break_maildir bob tmp
	RCPTS="alice@example.org bob@example.org" run send_msg "Subject: both" "" "x"
	[ "${lines[-3]}" = "451 4.3.0 Error: local delivery failed, try again later" ]
	[ "$(maildir_count example.org alice)" = 1 ]
	[ "$(maildir_count example.org bob)" = 1 ]
	[ -z "$(ls -A "$TROOT/mail/example.org/alice/tmp")" ]
}

# the text waits in a 64 KiB buffer for the end of the header block
# (smtp/data.c): one longer makes the file a plain spool, copied to all
@test "a header block longer than the write buffer: every recipient gets the message whole" {
	local -a hdrs=()
	for i in $(seq 1 1200); do hdrs+=("X-Long-$i: $(printf '%060d' "$i")"); done
	RCPTS="bob@example.org alice@example.org" run send_msg "${hdrs[@]}" \
		"Subject: long header" "" "the body"
	[ "${lines[-3]}" = "250 Message received and to be delivered" ]
	for u in bob alice; do
		[ "$(maildir_count example.org $u)" = 1 ]
		f=$(maildir_files example.org $u)
		[ "$(grep -c '^X-Long-' "$f")" = 1200 ]
		[ "$(tail -n 1 "$f")" = "the body" ]
		# the size in the name is the file's
		[[ $f == *",S=$(stat -c %s "$f")" ]]
		[ -z "$(ls -A "$TROOT/mail/example.org/$u/tmp")" ]
	done
	[ -z "$(ls -A "$TROOT/queue/tmp")" ]
}

@test "a message that is all header, and an empty one, are stored whole" {
	run send_msg "Subject: only a header"
	[ "${lines[-3]}" = "250 Message received and to be delivered" ]
	run send_msg
	[ "${lines[-3]}" = "250 Message received and to be delivered" ]
	[ "$(maildir_count example.org bob)" = 2 ]
	for f in $(maildir_files example.org bob); do
		[[ $f == *",S=$(stat -c %s "$f")" ]]
		head -n 1 "$f" | grep -q '^Return-Path: <sender@remote.example>$'
	done
	[ "$(cat $(maildir_files example.org bob) | grep -c '^Subject: only a header$')" = 1 ]
}
