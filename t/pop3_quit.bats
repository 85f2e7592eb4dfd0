#!/usr/bin/env bats
# pop3_quit.bats - the POP3 QUIT (UPDATE) order (issue 7, item 16): the
# deletions are done and durable, then the mailbox lock is released, and
# only then is the +OK sent; so a client that reads the +OK and logs in
# again at once is never told [IN-USE], and sees its deletions.
#
# One daemon "main" for example.org (t/helpers.bash): bob/bobpw, with as
# many messages put in bob's new/ as a test runs sessions, back to back
# from one Python script, each deleting one message.  The window in the
# old order (+OK, then unlock) is short, so the tests look for it many
# times and as soon as the +OK is read: the first probes the lock itself
# (the old order failed it on every run), the second logs in (the old
# order failed it on most runs, in a few sessions of each).

load helpers
load pop3_helpers

# sessions in the first test, and in the second (the rarer failure)
N_PROBE=50
N_RELOGIN=100

teardown() { test_teardown; }

# many_messages N: N small messages in bob's new/, in delivery order
many_messages() {
	local md i
	N_MSGS=$1
	md=$(mailbox bob)
	mkdir -p "$md/cur" "$md/new" "$md/tmp"
	for i in $(seq 1 "$N_MSGS"); do
		printf 'Subject: %d\n\nbody %d\n' "$i" "$i" \
			>"$md/new/$((1700000000 + i)).M000001P1Q$i.test"
	done
	daemon_owns
}

# the Python part both tests share: session(), ask(), login() on a socket
# of its own, and the replies expected
PY_COMMON='
import fcntl, os, socket
from pop3util import PORT, check, cur, maildir

N = int(os.environ["N_MSGS"])
HOST = "mx.example.org"

def session():
    s = socket.create_connection(("127.0.0.1", PORT), timeout=30)
    f = s.makefile("rb")
    check(f.readline().startswith(b"+OK"), "greeting")
    return s, f

def ask(sf, line):
    sf[0].sendall(line.encode() + b"\r\n")
    return sf[1].readline().decode("latin-1").rstrip("\r\n")

def plural(n):
    return "%d message%s" % (n, "" if n == 1 else "s")
'

@test "the mailbox lock is free, and the deletion done, when the +OK to QUIT arrives" {
	smtpd_start
	many_messages "$N_PROBE"
	N_MSGS=$N_MSGS pypop <<-PY
	$PY_COMMON
	lock = os.path.join(maildir("bob"), ".pop3.lock")
	held = []
	for i in range(N):
	    sf = session()
	    check(ask(sf, "USER bob@example.org") == "+OK Send PASS", "USER")
	    r = ask(sf, "PASS bobpw")
	    check(r == "+OK Logged in, " + plural(N - i),
	          "session %d: PASS answered %s" % (i + 1, r))
	    check(ask(sf, "DELE 1") == "+OK Message 1 deleted", "DELE")
	    fd = os.open(lock, os.O_RDWR)  # opened first: no time lost after
	    r = ask(sf, "QUIT")
	    try:  # as another session would: a write lock, without waiting
	        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
	        fcntl.lockf(fd, fcntl.LOCK_UN)
	    except OSError:
	        held.append(i + 1)
	    os.close(fd)
	    check(r == "+OK %s POP3 server signing off (%s left)"
	          % (HOST, plural(N - i - 1)),
	          "session %d: QUIT answered %s" % (i + 1, r))
	    check(len(cur()) == N - i - 1, "session %d: the deletion is not done" % (i + 1))
	    sf[0].close()
	check(not held, "the lock was still held at the +OK to QUIT, in sessions %s of %d" % (held, N))
	PY
}

@test "a login right after the +OK to QUIT gets +OK, not [IN-USE], every time" {
	smtpd_start
	many_messages "$N_RELOGIN"
	N_MSGS=$N_MSGS pypop <<-PY
	$PY_COMMON
	in_use = []
	sf = session()
	ask(sf, "USER bob@example.org")
	check(ask(sf, "PASS bobpw") == "+OK Logged in, " + plural(N), "first login")
	for i in range(N):
	    # the next session is ready up to its PASS, sent once the +OK is read
	    nxt = session()
	    check(ask(nxt, "USER bob@example.org") == "+OK Send PASS", "USER")
	    check(ask(sf, "DELE 1") == "+OK Message 1 deleted", "DELE")
	    r = ask(sf, "QUIT")
	    check(r.startswith("+OK %s POP3 server signing off" % HOST), r)
	    r = ask(nxt, "PASS bobpw")
	    sf[0].close()
	    if r.startswith("-ERR [IN-USE]"):
	        in_use.append(i + 1)
	        nxt[0].close()
	        # wait for the old session to let go, then go on from there
	        for _ in range(300):
	            nxt = session()
	            ask(nxt, "USER bob@example.org")
	            r = ask(nxt, "PASS bobpw")
	            if r.startswith("+OK"):
	                break
	            nxt[0].close()
	    check(r == "+OK Logged in, " + plural(N - i - 1),
	          "session %d: PASS answered %s" % (i + 2, r))
	    sf = nxt
	ask(sf, "QUIT")
	check(not in_use, "[IN-USE] right after the +OK to QUIT, in sessions %s of %d" % (in_use, N))
	PY
}
