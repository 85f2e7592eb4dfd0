# mx_helpers.bash - what t/mx.bats shares: a DNS server on loopback
# (t/dnsd.py) answering from a zone the test writes, the sending daemon
# abc (abc.com, `route * mx`, `resolver` pointing at that server) and two
# peers that answer on port 25 of their own loopback addresses, as MX
# hosts do.  Load after helpers.bash and relay_helpers.bash.
#
#   mx_setup                lay out abc, p1 (mx1, $MX1_ADDR) and p2 (mx2,
#                           $MX2_ADDR), peers for example.net; start the
#                           DNS server ($DNS_PORT, its log $DNS_LOG) on
#                           the zone file $ZONE, which holds mx1/mx2's A
#   zone LINE...            add lines to the zone ("NAME TYPE VALUE...")
#   peer_domain NAME DOMAIN peer NAME also takes mail for bob@DOMAIN
#   peer_start NAME         start peer NAME (p1 or p2)
#   greeter_start ADDR REPLY  a server on ADDR:25 that answers every
#                           connection with REPLY and closes it, noting
#                           each in $TEST_ROOT/greeter.log
#   mx_teardown             stop the DNS server and the greeter (then
#                           test_teardown)
#
# The peers' addresses are in a 127.25.N.0/24 of the test's own (reserve
# net, helpers.bash), so that tests run at the same time (or another
# program on 127.0.0.1:25) do not meet on port 25.

mx_setup() {
	local net
	relay_setup
	net=$(reserve net)
	MX1_ADDR=$net.2 MX2_ADDR=$net.3
	daemon_init p1 example.net
	daemon_init p2 example.net
	daemon_conf p1 "hostname mx1.example.net" "listen smtp $MX1_ADDR:25"
	daemon_conf p2 "hostname mx2.example.net" "listen smtp $MX2_ADDR:25"
	ZONE=$TEST_ROOT/zone DNS_LOG=$TEST_ROOT/dns.queries
	zone "mx1.example.net A $MX1_ADDR" "mx2.example.net A $MX2_ADDR"
	python3 "$BATS_TEST_DIRNAME/dnsd.py" "$ZONE" "$TEST_ROOT/dns.port" \
		"$DNS_LOG" </dev/null >/dev/null 2>"$TEST_ROOT/dnsd.err" 3>&- &
	DNS_PID=$!
	wait_for 5 test -s "$TEST_ROOT/dns.port"
	DNS_PORT=$(cat "$TEST_ROOT/dns.port")
	# abc: the route of relay_setup (xyz.com) stays; everything else by MX
	daemon_conf abc "route * mx" "resolver 127.0.0.1:$DNS_PORT"
}

zone() { printf '%s\n' "$@" >>"$ZONE"; }

peer_domain() {
	daemon_conf "$1" "domain $2"
	echo "bob@$2:{PLAIN}bobpw" >>"$(root_of "$1")/etc/passwd"
}

peer_start() { daemon_start "$1"; }

greeter_start() {
	python3 - "$1" "$2" "$TEST_ROOT/greeter.log" </dev/null >/dev/null 2>&1 3>&- <<'PY' &
import socket, sys, time
addr, reply, log = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, 25))
s.listen(8)
open(log + ".ready", "w").close()
s.settimeout(120)
while True:
    c, _ = s.accept()
    c.sendall((reply + "\r\n").encode())
    open(log, "a").write("greeted\n")
    c.close()
PY
	GREETER_PID=$!
	wait_for 5 test -e "$TEST_ROOT/greeter.log.ready"
}

mx_teardown() {
	local p
	for p in "${DNS_PID:-}" "${GREETER_PID:-}"; do
		[ -n "$p" ] || continue
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# greeters_start REPLY ADDR...: a server on port 25 of each ADDR that
# answers every connection with REPLY and closes it ("hang": says
# nothing and holds the connection until the client leaves), noting
# "greeted ADDR" in $TEST_ROOT/greeters.log; stopped by mx_teardown
greeters_start() {
	python3 - "$TEST_ROOT/greeters.log" "$@" </dev/null >/dev/null 2>&1 3>&- <<'PY' &
import select, socket, sys, time
log, reply, addrs = sys.argv[1], sys.argv[2], sys.argv[3:]
socks = {}
for a in addrs:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a, 25))
    s.listen(8)
    socks[s] = a
open(log + ".ready", "w").close()
held, end = [], time.time() + 120
while time.time() < end:
    r, _, _ = select.select(list(socks) + held, [], [], 1)
    for s in r:
        if s in held:  # the client spoke or left: close it
            held.remove(s)
            s.close()
            continue
        c, _ = s.accept()
        open(log, "a").write("greeted %s\n" % socks[s])
        if reply == "hang":
            held.append(c)
        else:
            c.sendall((reply + "\r\n").encode())
            c.close()
PY
	GREETER_PID=$!
	wait_for 5 test -e "$TEST_ROOT/greeters.log.ready"
}
