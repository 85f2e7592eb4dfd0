#!/usr/bin/env bats
# smtp_data_segments.bats - the message text as TCP cuts it (issue 14):
# smtpd takes DATA lines where they lie in its 16 KiB read buffer and
# writes them from there, so every way the input can be cut between two
# reads must store the same bytes: a line across a refill of the buffer,
# a CRLF, a stuffed dot or the final "." split between segments, a line
# crossing the 8 KiB piece size with its CR at the cut.  The client
# sends each piece with TCP_NODELAY and a pause, so the daemon reads it
# alone.

load helpers
load smtp_helpers

setup() { smtpd_start; }
teardown() { test_teardown; }

# datasend PORT DIR: for each message DIR/N.msg (the bytes after DATA's
# 354, up to and with the final ".\r\n") with its cuts in DIR/N.cuts
# (offsets, one a line), one transaction to bob in one session (each
# message's expected stored text is DIR/N.want; a test's are all the
# same, so the order of the files does not matter), the
# pieces sent PAUSE (0.03) s apart; prints the reply to each final dot,
# then QUIT's
DATASEND_PY='
import glob, os, socket, sys, time
port, d = int(sys.argv[1]), sys.argv[2]
pause = float(os.environ.get("PAUSE", "0.03"))
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
f = s.makefile("rb")
def reply():
    while True:
        l = f.readline().decode("latin-1").rstrip("\r\n")
        if len(l) < 4 or l[3] != "-":
            return l
reply()
s.sendall(b"EHLO client.example\r\n")
reply()
n = 0
while os.path.exists("%s/%d.msg" % (d, n)):
    msg = open("%s/%d.msg" % (d, n), "rb").read()
    cuts = [int(x) for x in open("%s/%d.cuts" % (d, n)).read().split()]
    for cmd in (b"MAIL FROM:<sender@remote.example>", b"RCPT TO:<bob@example.org>", b"DATA"):
        s.sendall(cmd + b"\r\n")
        r = reply()
        if not r[:1] in ("2", "3"):
            print(n, r)
    prev = 0
    for c in sorted(cuts) + [len(msg)]:
        if c > prev:
            s.sendall(msg[prev:c])
            time.sleep(pause)
            prev = c
    print(n, reply())
    n += 1
s.sendall(b"QUIT\r\n")
print(reply())
'

datasend() {
	python3 -c "$DATASEND_PY" "$@"
}

# every message bob has, trace lines stripped, is exactly FILE
all_stored_are() {
	local f n=0
	for f in $(maildir_files example.org bob); do
		cmp "$1" <(strip_trace "$f")
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

# MAKE_PY: make(lines) -> (what a client sends after the 354, what smtpd
# stores): CRLF (or a bare LF for a line given ending in "\n") on the
# wire, LF in the file, a leading dot stuffed; case(N, wire, want, cuts)
# writes message N's files for datasend into sys.argv[1]
MAKE_PY='
import sys
def make(lines):
    wire, want = b"", b""
    for l in lines:
        end = b"\n" if l.endswith(b"\n") else b"\r\n"
        l = l.rstrip(b"\n")
        wire += (b"." + l if l.startswith(b".") else l) + end
        want += l + b"\n"
    return wire + b".\r\n", want
def case(n, wire, want, cuts):
    d = sys.argv[1]
    open("%s/%d.msg" % (d, n), "wb").write(wire)
    open("%s/%d.want" % (d, n), "wb").write(want)
    open("%s/%d.cuts" % (d, n), "w").write("".join("%d\n" % c for c in cuts))
'

@test "a short message cut in two at every offset: each copy is stored the same" {
	python3 - "$BATS_TEST_TMPDIR" <<-PY
	$MAKE_PY
	lines = [b"Subject: cuts", b"", b"a line", b"..two dots", b".", b"bare\rcr",
	         b"bare lf\n", b"cr at end\r", b"", b"end"]
	wire, want = make(lines)
	for k in range(1, len(wire)):
	    case(k - 1, wire, want, [k])
	print(len(wire) - 1, file=open(sys.argv[1] + "/count", "w"))
	PY
	count=$(cat "$BATS_TEST_TMPDIR/count")
	PAUSE=0.02 run datasend "$SMTP_PORT" "$BATS_TEST_TMPDIR"
	[ "$status" = 0 ]
	[ "$(grep -c ' 250 Message received and to be delivered$' <<<"$output")" = "$count" ]
	[ "${lines[-1]}" = "221 closing connection" ]
	[ "$(maildir_count example.org bob)" = "$count" ]
	all_stored_are "$BATS_TEST_TMPDIR/0.want"
}

@test "the final dot split across segments: <CR><LF>. | <CR><LF>, <CR><LF>.<CR> | <LF>, <CR> | <LF>.<CR><LF>" {
	python3 - "$BATS_TEST_TMPDIR" <<-PY
	$MAKE_PY
	wire, want = make([b"Subject: end", b"", b"body"])
	n = len(wire)
	for i, cut in enumerate((n - 2, n - 1, n - 4, n - 3)):
	    case(i, wire, want, [cut])
	PY
	run datasend "$SMTP_PORT" "$BATS_TEST_TMPDIR"
	expect_lines "0 250 Message received and to be delivered" \
		"1 250 Message received and to be delivered" \
		"2 250 Message received and to be delivered" \
		"3 250 Message received and to be delivered" \
		"221 closing connection"
	[ "$(maildir_count example.org bob)" = 4 ]
	all_stored_are "$BATS_TEST_TMPDIR/0.want"
}

@test "300 KB of lines of every length, cut in odd pieces: lines across buffer refills stored whole" {
	python3 - "$BATS_TEST_TMPDIR" <<-PY
	$MAKE_PY
	lines, i = [b"Subject: refills", b""], 0
	while sum(len(l) + 2 for l in lines) < 300000:
	    n = (i * 7919) % 20011 if i % 5 == 0 else (i * 37) % 1100
	    l = (b"%d:" % i + b"abcdefghij" * (n // 10 + 1))[:max(n, 1)]
	    if i % 3 == 0:
	        l = b"." + l  # stuffed on the wire
	    if i % 11 == 0:
	        l += b"\n"    # a bare LF line end
	    lines.append(l)
	    i += 1
	lines.append(b"end")
	wire, want = make(lines)
	# pieces of a prime size, so each refill leaves a different partial line
	case(0, wire, want, range(4093, len(wire), 4093))
	# the same text again, as fast as it goes
	case(1, wire, want, [])
	PY
	PAUSE=0.005 run datasend "$SMTP_PORT" "$BATS_TEST_TMPDIR"
	expect_lines "0 250 Message received and to be delivered" \
		"1 250 Message received and to be delivered" \
		"221 closing connection"
	[ "$(maildir_count example.org bob)" = 2 ]
	all_stored_are "$BATS_TEST_TMPDIR/0.want"
}

@test "a dot-stuffed line at a cut, and the 8 KB piece size crossed with its CR at the cut" {
	python3 - "$BATS_TEST_TMPDIR" <<-PY
	$MAKE_PY
	x8191 = b"x" * 8191
	lines = [b"Subject: pieces", b"", b"first", b"..stuffed", x8191,
	         x8191 + b"y", b"z" * 8192 + b"\rcr", b"y" * 16383, b"." + b"d" * 16384,
	         b"after"]
	wire, want = make(lines)
	at = lambda s, k=0: wire.index(s) + k
	cuts = [
	    at(b"\r\n...stuffed", 2),     # <CR><LF> | ..stuffed
	    at(b"\r\n...stuffed", 3),     # <CR><LF>. | .stuffed
	    at(b"\r\n...stuffed", 4),     # <CR><LF>.. | stuffed
	    at(x8191 + b"\r\n", 8192),    # 8191 x<CR> | <LF>: the CR ends no piece
	    at(x8191 + b"y\r\n", 8192),   # exactly 8192 octets | <CR><LF>
	    at(x8191 + b"y\r\n", 8193),   # 8192 octets<CR> | <LF>
	    at(b"z" * 8192 + b"\r", 8193),  # 8192 z<CR> | cr<CR><LF>
	    at(b"y" * 16383, 16383),      # 16383 octets | <CR><LF>, a buffer's worth
	    at(b"..dddd", 1),             # . | .d...: a stuffed 16 KB line
	]
	case(0, wire, want, cuts)
	PY
	run datasend "$SMTP_PORT" "$BATS_TEST_TMPDIR"
	expect_lines "0 250 Message received and to be delivered" \
		"221 closing connection"
	[ "$(maildir_count example.org bob)" = 1 ]
	all_stored_are "$BATS_TEST_TMPDIR/0.want"
}
