#!/usr/bin/env bats
# login_limits.bats - what failed logins cost an attacker (issue 7, item
# 9): a failure takes as long for an unknown user as for a wrong password
# (a dummy hash), for SMTP AUTH and POP3 alike.
#
# The slow accounts use SHA-512 crypt with many rounds, made once with
# libcrypt (crypt_r) and kept here: the tests need no crypt module.

load helpers

# "slowpw" at 500,000 rounds (about 0.3-1 s)
SLOW='$6$rounds=500000$Tq3vL8xZpR2mYk7N$lkiHIdBxTyoGJQawGWXrIVFgfeIXuzEfrwTFOjaRDDGssz71yzaUVY1yWRPW0Nw.VX/NlrymLyu8EIdTQ65f4.'

setup() {
	daemon_init main example.org
	PASSWD=$main_ROOT/etc/passwd
	LOG=$main_ROOT/smtpd.log
}

teardown() {
	local n r bad=0
	for n in "${DAEMONS[@]}"; do
		daemon_stop "$n"
	done
	[ -n "${BATS_TEST_COMPLETED:-}" ] || dump_logs
	for n in "${DAEMONS[@]}"; do
		r=${n}_ROOT
		if grep -q 'ERROR: AddressSanitizer\|runtime error:\|LeakSanitizer' \
			"${!r}/smtpd.log" "$TEST_ROOT/captured" 2>/dev/null; then
			echo "--- sanitizer report:" >&2
			cat "${!r}/smtpd.log" "$TEST_ROOT/captured" >&2 2>/dev/null
			bad=1
		fi
	done
	smtpd_stop
	return $bad
}

# py SCRIPT-ON-STDIN: python3 with small SMTP/POP3 client helpers
py() {
	local prelude
	prelude=$(cat <<-'PY'
	import base64, socket, statistics, sys, threading, time

	def connect(port):
	    s = socket.create_connection(("127.0.0.1", port), timeout=90)
	    return s, s.makefile("rb")

	def line(f):
	    try:
	        l = f.readline()
	    except ConnectionResetError:
	        l = b""
	    return l.decode().rstrip("\r\n") if l else "<closed>"

	def reply(f):
	    while True:
	        l = line(f)
	        if len(l) < 4 or l[3] != "-":
	            return l

	def send(s, text):
	    s.sendall(text.encode() + b"\r\n")

	def plain(user, pw):
	    return base64.b64encode(("\0%s\0%s" % (user, pw)).encode()).decode()

	def smtp_open(port):
	    """(sock, file, banner); EHLO sent when the banner is a 220"""
	    s, f = connect(port)
	    banner = reply(f)
	    if banner.startswith("220"):
	        send(s, "EHLO client.example")
	        reply(f)
	    return s, f, banner

	def smtp_auth(c, user, pw):
	    """(reply, seconds) for AUTH PLAIN on an open session"""
	    t0 = time.monotonic()
	    send(c[0], "AUTH PLAIN " + plain(user, pw))
	    r = reply(c[1])
	    return r, time.monotonic() - t0

	def pop3_open(port):
	    s, f = connect(port)
	    return s, f, line(f)

	def pop3_pass(c, user, pw):
	    """(reply to PASS, seconds) after USER"""
	    send(c[0], "USER " + user)
	    line(c[1])
	    t0 = time.monotonic()
	    send(c[0], "PASS " + pw)
	    r = line(c[1])
	    return r, time.monotonic() - t0

	def at_once(*calls):
	    """run each (function, args...) in its own thread; their results"""
	    out = [None] * len(calls)
	    def run(i, c):
	        out[i] = c[0](*c[1:])
	    ts = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
	    for t in ts:
	        t.start()
	    for t in ts:
	        t.join()
	    return out
	PY
	)
	python3 -c "$prelude
$(cat)" "$@"
}


@test "a failed login takes as long for an unknown user as for a wrong password (SMTP and POP3)" {
	# every account has the slow hash, so the dummy is of that kind
	printf '%s\n' "carol@example.org:$SLOW" "dave@example.org:$SLOW" >"$PASSWD"
	daemon_start main
	# medians of interleaved tries, so a load that comes and goes hits both
	run py "$main_SUBMIT" "$main_POP3" <<-'PY'
	submit, pop3 = int(sys.argv[1]), int(sys.argv[2])
	c = smtp_open(submit)
	print("login:", smtp_auth(c, "carol@example.org", "slowpw")[0])
	ok = True
	for proto in ("smtp", "pop3"):
	    wrong, unknown = [], []
	    for i in range(3):
	        for user, into in (("carol@example.org", wrong), ("nosuch@example.org", unknown)):
	            if proto == "smtp":
	                r, t = smtp_auth(smtp_open(submit), user, "guess%d" % i)
	            else:
	                r, t = pop3_pass(pop3_open(pop3), user, "guess%d" % i)
	            print(proto, user, r, "%.3f" % t)
	            into.append(t)
	    # the hash's share of a failure, above the one-second delay
	    w = statistics.median(wrong) - 1.0
	    u = statistics.median(unknown) - 1.0
	    print("%s: wrong password +%.3fs, unknown user +%.3fs" % (proto, w, u))
	    # the hash must be slow enough to tell, and both must pay it
	    ok = ok and w >= 0.15 and u >= 0.5 * w
	sys.exit(0 if ok else 1)
	PY
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "login: 235 2.7.0 Authentication successful" ]
	# the same answers for both
	[ "$(echo "$output" | grep -c '^smtp .* 535 5.7.8 Authentication credentials invalid ')" = 6 ]
	[ "$(echo "$output" | grep -c '^pop3 .* -ERR \[AUTH\] Authentication failed ')" = 6 ]
}
