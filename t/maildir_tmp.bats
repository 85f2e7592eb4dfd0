#!/usr/bin/env bats
# maildir_tmp.bats - nothing stays in a Maildir's tmp/ (issue 7 item 11).
# A delivery removes files a killed delivery left in tmp/ (the Maildir
# convention: untouched for 36 hours), reading tmp/ at most once in 8
# hours per Maildir (tmp/'s access time, set by the sweep, says when);
# and a stop
# signal while the copies are written no longer leaves a partial copy
# in tmp/: the client gets 250 with every copy whole in new/, or no 250
# with nothing in new/ (SIGTERM lets the delivery finish, the end of the
# shutdown grace undoes it).

load helpers

teardown() { test_teardown; }

send_to() {
	run chat -p "$SMTP_PORT" "EHLO client.example" \
		"MAIL FROM:<sender@remote.example>" "RCPT TO:<$1>" DATA \
		"Subject: sweep" "" "body" . QUIT
	echo "$output"
	[[ $output == *"250 Message received and to be delivered"* ]]
}

# the Maildir of alice as a user's mail program would have left it:
# made before smtpd ever delivered there
alice_maildir() {
	ALICE=$TROOT/mail/example.org/alice
	mkdir -p "$ALICE"
	cp -r "$TROOT/maildir-skel/." "$ALICE/"
}

# NAME in alice's tmp/, written and read DATE
plant() {
	echo "the first half of a message" >"$ALICE/tmp/$1"
	touch -d "$2" "$ALICE/tmp/$1"
	chown -R nobody: "$ALICE" 2>/dev/null || true
}

# no one has looked through alice's tmp/ for 9 hours
tmp_unread() {
	touch -a -d '9 hours ago' "$ALICE/tmp"
}

@test "a delivery removes files left in tmp/ for more than 36 hours and keeps newer ones" {
	smtpd_start
	alice_maildir
	plant 1700000000.M1P1.host '40 hours ago'
	plant 1700000001.M2P2.host '35 hours ago'
	plant 1700000002.M3P3.host 'now'
	# written 40 hours ago but read since: in use
	plant 1700000003.M4P4.host '40 hours ago'
	touch -a "$ALICE/tmp/1700000003.M4P4.host"
	tmp_unread
	send_to alice@example.org
	ls -la "$ALICE/tmp"
	[ ! -e "$ALICE/tmp/1700000000.M1P1.host" ]
	[ -e "$ALICE/tmp/1700000001.M2P2.host" ]
	[ -e "$ALICE/tmp/1700000002.M3P3.host" ]
	[ -e "$ALICE/tmp/1700000003.M4P4.host" ]
	[ "$(maildir_count example.org alice)" = 1 ]
	grep -q "maildir: removed .*/mail/example.org/alice/tmp/1700000000.M1P1.host, left by a delivery 40 hours ago$" \
		"$TROOT/smtpd.log"
}

@test "tmp/ is read at most once in 8 hours per Maildir, not at every delivery" {
	smtpd_start
	send_to alice@example.org # creates the Maildir
	ALICE=$TROOT/mail/example.org/alice
	plant 1700000000.M1P1.host '40 hours ago'
	send_to alice@example.org
	[ -e "$ALICE/tmp/1700000000.M1P1.host" ] # tmp/ is new: not read
	tmp_unread
	send_to alice@example.org
	[ ! -e "$ALICE/tmp/1700000000.M1P1.host" ]
	plant 1700000001.M2P2.host '40 hours ago'
	send_to alice@example.org
	[ -e "$ALICE/tmp/1700000001.M2P2.host" ] # swept a moment ago
	tmp_unread
	send_to alice@example.org
	[ ! -e "$ALICE/tmp/1700000001.M2P2.host" ]
	[ "$(maildir_count example.org alice)" = 5 ]
}

# A client that sends a large message (SIZE bytes) to several local
# recipients, and a stop signal on the way: WHO=grace sends SIGALRM, the
# end of the shutdown grace (smtpd/shutdown.c), to its session child as
# soon as a copy shows in the tmp/ of a recipient but the first, WHO=term SIGTERM at that
# moment; WHO=PID sends SIGTERM to the master halfway through the text.
# Prints the reply to the end of DATA, or <closed>.
STOP_PY='
import glob, os, re, signal, socket, sys, time
port, log, size, who = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
maildirs, rcpts = sys.argv[5].split(), sys.argv[6].split()
s = socket.create_connection(("127.0.0.1", port), timeout=120)
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline().decode()
        if not line:
            return "<closed>"
        if line[3:4] != "-":
            return line.rstrip()
reply()
session = int(re.findall(r"smtpd\[(\d+)\]: connect client=", open(log).read())[-1])
for cmd in ["EHLO c", "MAIL FROM:<s@remote.example>"] + \
        ["RCPT TO:<%s>" % r for r in rcpts] + ["DATA"]:
    s.sendall(cmd.encode() + b"\r\n")
    r = reply()
    if r[:1] not in "23":
        sys.exit("unexpected: %s -> %s" % (cmd, r))
line = b"x" * 998 + b"\r\n"
half = line * (size // len(line) // 2)
s.sendall(b"Subject: big\r\n\r\n" + half)
if who not in ("grace", "term"):
    os.kill(int(who), signal.SIGTERM)
s.sendall(half + b".\r\n")
if who in ("grace", "term"):
    deadline = time.time() + 120
    # the first recipient copy is the spool, in its tmp/ from DATA on
    # (store/spool.h): the others show when the copies are written
    while not any(glob.glob(d + "/tmp/*") for d in maildirs[1:]):
        if time.time() > deadline:
            sys.exit("no copy showed in tmp/")
        time.sleep(0.001)
    os.kill(session, signal.SIGALRM if who == "grace" else signal.SIGTERM)
print(reply())
'

# send SIZE bytes to every account as STOP_PY does (WHO), then check:
# nothing in any tmp/; 250 and every copy whole in new/,
# or no 250 and nothing in new/
big_delivery_stopped() {
	local who=$1 size=$2 rcpts="" dirs="" u d
	for u in alice bob carol dave erin frank; do
		rcpts="$rcpts $u@example.org"
		dirs="$dirs $TROOT/mail/example.org/$u"
	done
	run python3 -c "$STOP_PY" "$SMTP_PORT" "$TROOT/smtpd.log" "$size" \
		"$who" "$dirs" "$rcpts"
	echo "reply: $output"
	[ "$status" = 0 ]
	for d in $dirs; do
		ls -la "$d/tmp" "$d/new" || true
		[ -z "$(ls -A "$d/tmp" 2>/dev/null)" ]
	done
	if [[ $output == 250* ]]; then
		# the text is stored with LF ends: 999 of each 1000 bytes
		for d in $dirs; do
			[ "$(ls "$d/new" | wc -l)" = 1 ]
			[ "$(stat -c %s "$d/new/"*)" -gt $((size / 1000 / 2 * 2 * 999)) ]
		done
	else
		for d in $dirs; do
			[ -z "$(ls -A "$d/new" 2>/dev/null)" ]
		done
	fi
}

# smtpd with six accounts, alice to frank, and config LINEs
six_accounts() {
	daemon_init main example.org
	for u in carol dave erin frank; do
		echo "$u@example.org:{PLAIN}pw" >>"$main_ROOT/etc/passwd"
	done
	[ $# -gt 0 ] && daemon_conf main "$@"
	daemon_start main
	SMTP_PORT=$main_SMTP SMTPD_PID=$main_PID TROOT=$main_ROOT
}

@test "the end of the shutdown grace while a large message is written to its recipients' tmp/ leaves nothing partial and nothing delivered" {
	six_accounts "max_message_size 64M"
	big_delivery_stopped grace $((12 * 1024 * 1024))
	[[ $output != 250* ]]
	grep -q "status=deferred (signalled to stop: nothing delivered)" \
		"$TROOT/smtpd.log"
}

@test "SIGTERM to the session while a large message is written to its recipients' tmp/: the delivery finishes, 250 and every copy whole" {
	six_accounts "max_message_size 64M"
	big_delivery_stopped term $((12 * 1024 * 1024))
	[[ $output == 250* ]]
}

@test "SIGTERM to the master during a large DATA: 250 with every copy whole, or no 250 and nothing" {
	six_accounts "max_message_size 64M"
	big_delivery_stopped "$SMTPD_PID" $((8 * 1024 * 1024))
}
