#!/usr/bin/env bash
# bench.sh - `make bench`: load a fresh smtpd and compare it with the disk.
#
# Starts ./smtpd/smtpd in a new temporary root on free loopback ports (the
# layout of t/helpers.bash), drives BENCH_N messages of BENCH_SIZE bytes
# over BENCH_C concurrent SMTP sessions with build/bench/smtpload, samples
# the memory of the daemon's session processes meanwhile, counts the files
# delivered into the Maildirs' new/, stops the daemon, then measures the
# filesystem's durable-write rate with build/bench/fsyncbench and prints
# the ratio of the two.  See bench/README.md for what each number means.
#
# It reports and does not judge speed: the exit status is 1 only when a
# message was not accepted or not delivered, or a tool failed.  Everything
# is bounded (smtpload's reply timeout and deadline, fsyncbench's seconds,
# the daemon's start and stop waits); the temporary root and the daemon go
# away on exit, whatever happens, unless BENCH_KEEP=1.
#
#   BENCH_N=2000 BENCH_C=20 BENCH_SIZE=2048   messages, sessions, bytes
#   BENCH_PER_CONN=0        messages per connection (0: a session's whole
#                           share on one connection; 1: one per connection)
#   BENCH_PIPELINING=0      1: pipeline MAIL, RCPT and DATA (RFC 2920)
#   BENCH_USERS=5           recipients, used in turn
#   BENCH_FSYNC_SECONDS=4   length of each fsyncbench run
#   BENCH_DEADLINE=60       seconds before smtpload gives up on the load
#   BENCH_KEEP=1            keep the temporary root (its smtpd.log)
#   BENCH_TLS=1             every session does STARTTLS first (smtpload -S;
#                           a self-signed key pair made with openssl; the
#                           build must have TLS: make TLS=1)
#   BENCH_IDLE=100          then hold this many idle sessions (after EHLO,
#                           and STARTTLS with BENCH_TLS=1) and report
#                           their PSS (/proc/PID/smaps_rollup); 0: skip
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
: "${SMTPD_BIN:=$REPO/smtpd/smtpd}"
: "${SMTPLOAD:=$REPO/build/bench/smtpload}"
: "${FSYNCBENCH:=$REPO/build/bench/fsyncbench}"
N=${BENCH_N:-2000}
C=${BENCH_C:-20}
SIZE=${BENCH_SIZE:-2048}
PER_CONN=${BENCH_PER_CONN:-0}
PIPELINING=${BENCH_PIPELINING:-0}
USERS=${BENCH_USERS:-5}
FSYNC_SECONDS=${BENCH_FSYNC_SECONDS:-4}
DEADLINE=${BENCH_DEADLINE:-60}
TLS=${BENCH_TLS:-0}
IDLE=${BENCH_IDLE:-100}

die() {
	echo "bench: $*" >&2
	exit 1
}

for v in N C SIZE PER_CONN USERS FSYNC_SECONDS DEADLINE TLS IDLE; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "BENCH_$v must be a number, not '${!v}'"
done
((N >= 1 && C >= 1 && USERS >= 1)) || die "BENCH_N, BENCH_C and BENCH_USERS must be at least 1"
for b in "$SMTPD_BIN" "$SMTPLOAD" "$FSYNCBENCH"; do
	[ -x "$b" ] || die "$b is missing: run 'make bench'"
done
command -v python3 >/dev/null || die "python3 is needed to pick free ports"

ROOT='' DAEMON_PID='' SAMPLER_PID=''

stop_daemon() {
	local i
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$DAEMON_PID" 2>/dev/null || true
	wait "$DAEMON_PID" 2>/dev/null || true
	DAEMON_PID=
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -n "$SAMPLER_PID" ]; then
		kill "$SAMPLER_PID" 2>/dev/null || true
		wait "$SAMPLER_PID" 2>/dev/null || true
	fi
	stop_daemon
	if [ -n "$ROOT" ]; then
		if [ "${BENCH_KEEP:-0}" = 1 ]; then
			echo "bench: kept $ROOT" >&2
		else
			rm -rf "$ROOT"
		fi
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# not under a 0700 directory: the daemon may run as nobody
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/smtpd-bench.XXXXXX")
chmod 755 "$ROOT"
mkdir -p "$ROOT/etc"
cp -r "$REPO/maildir-skel" "$ROOT/maildir-skel"
RCPTS=
for i in $(seq 1 "$USERS"); do
	echo "user$i@example.org:{PLAIN}benchpw$i"
	RCPTS+=${RCPTS:+,}user$i@example.org
done >"$ROOT/etc/passwd"

# three distinct free ports: hold all three sockets while asking
read -r SMTP_PORT SUBMIT_PORT POP3_PORT < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
)
MAX_CLIENTS=$((C * 2 + IDLE + 10))
if [ "$TLS" = 1 ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$ROOT/etc/key.pem" -out "$ROOT/etc/cert.pem" -days 2 \
		-subj "/CN=mx.example.org" 2>/dev/null || die "openssl could not make a key pair"
fi
{
	echo "hostname mx.example.org"
	echo "listen smtp 127.0.0.1:$SMTP_PORT"
	echo "listen submission 127.0.0.1:$SUBMIT_PORT"
	echo "listen pop3 127.0.0.1:$POP3_PORT"
	echo "domain example.org"
	echo "passwd passwd"
	echo "mailbox ../mail/%d/%u"
	echo "maildir_skel ../maildir-skel"
	echo "queue ../queue"
	echo "max_clients $MAX_CLIENTS"
	echo "max_clients_per_ip $MAX_CLIENTS"
	echo "max_message_size $((SIZE + 1048576))"
	echo "timeout 60"
	if [ "$TLS" = 1 ]; then
		echo "tls_cert cert.pem"
		echo "tls_key key.pem"
	fi
	if [ "$(id -u)" = 0 ]; then
		echo "user nobody"
	fi
} >"$ROOT/etc/smtpd.conf"
if [ "$(id -u)" = 0 ]; then
	chown -R nobody: "$ROOT"
fi

port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

"$SMTPD_BIN" -f "$ROOT/etc/smtpd.conf" 2>>"$ROOT/smtpd.log" &
DAEMON_PID=$!
for i in $(seq 1 200); do
	port_open "$SMTP_PORT" && break
	kill -0 "$DAEMON_PID" 2>/dev/null || break
	sleep 0.05
done
if ! port_open "$SMTP_PORT"; then
	cat "$ROOT/smtpd.log" >&2
	die "smtpd did not start"
fi
sleep 0.2 # let the probe sessions above end

# Session processes are the daemon's children that appear during the
# load; the ones already there (the relay child, a probe) are not.
declare -A BEFORE=()
for pid in $(pgrep -P "$DAEMON_PID" || true); do
	BEFORE[$pid]=1
done
EXCLUDE=${!BEFORE[*]}

# sample "pid VmHWM VmRSS" (KB) of every session child until told to stop
sample_memory() {
	local pid key val hwm rss skip x end=$((SECONDS + DEADLINE + 10))
	while [ ! -e "$ROOT/load.done" ] && ((SECONDS < end)); do
		for pid in $(pgrep -P "$DAEMON_PID" 2>/dev/null || true); do
			skip=0
			for x in $EXCLUDE; do
				[ "$x" = "$pid" ] && skip=1
			done
			if ((skip)); then
				continue
			fi
			hwm='' rss=''
			while read -r key val _; do
				case $key in
				VmHWM:) hwm=$val ;;
				VmRSS:) rss=$val ;;
				esac
			done 2>/dev/null <"/proc/$pid/status" || continue
			if [ -n "$hwm$rss" ]; then
				echo "$pid ${hwm:-0} ${rss:-0}"
			fi
		done
		sleep 0.05
	done >"$ROOT/memory.samples"
}
sample_memory &
SAMPLER_PID=$!

LOAD_ARGS=(-p "$SMTP_PORT" -n "$N" -c "$C" -s "$SIZE" -m "$PER_CONN"
	-r "$RCPTS" -t 30 -T "$DEADLINE")
if [ "$PIPELINING" = 1 ]; then
	LOAD_ARGS+=(-P)
fi
if [ "$TLS" = 1 ]; then
	LOAD_ARGS+=(-S)
fi
LOAD_RC=0
timeout -s KILL $((DEADLINE + 15)) "$SMTPLOAD" "${LOAD_ARGS[@]}" \
	>"$ROOT/load.out" 2>"$ROOT/load.err" || LOAD_RC=$?
touch "$ROOT/load.done"
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=

# local delivery is done before the 250, so new/ is complete already
DELIVERED=$(find "$ROOT/mail" -path '*/new/*' -type f 2>/dev/null | wc -l)

# idle sessions: IDLE connections held open after EHLO (and STARTTLS),
# then the PSS of each session process; "count median_kb max_kb"
IDLE_PSS="0 - -"
if [ "$IDLE" -gt 0 ]; then
	python3 - "$SMTP_PORT" "$IDLE" "$TLS" "$ROOT/idle.ready" "$ROOT/idle.done" \
		>"$ROOT/idle.err" 2>&1 <<'PY' &
import os, socket, ssl, sys, time
port, n, tls, ready, done = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
held = []
def reply(f):
    while True:
        line = f.readline()
        if not line or line[3:4] != b"-":
            return line
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    f = s.makefile("rb")
    reply(f)
    s.sendall(b"EHLO idle.example.org\r\n"); reply(f)
    if tls:
        s.sendall(b"STARTTLS\r\n"); reply(f)
        s = ctx.wrap_socket(s, server_hostname="mx.example.org")
        f = s.makefile("rb")
        s.sendall(b"EHLO idle.example.org\r\n"); reply(f)
    held.append((s, f))
open(ready, "w").close()
end = time.time() + 60
while not os.path.exists(done) and time.time() < end:
    time.sleep(0.05)
PY
	IDLE_PID=$!
	for i in $(seq 1 600); do
		[ -e "$ROOT/idle.ready" ] && break
		kill -0 "$IDLE_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ -e "$ROOT/idle.ready" ]; then
		sleep 0.2
		IDLE_PSS=$(for pid in $(pgrep -P "$DAEMON_PID" || true); do
			[ -n "${BEFORE[$pid]:-}" ] && continue
			awk '$1 == "Pss:" { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null
		done | sort -n | awk '{ v[NR] = $1 } END {
			if (NR == 0) { print 0, "-", "-"; exit }
			print NR, v[int((NR + 1) / 2)], v[NR] }')
	else
		echo "bench: the idle sessions could not be opened" >&2
		cat "$ROOT/idle.err" >&2
	fi
	touch "$ROOT/idle.done"
	wait "$IDLE_PID" 2>/dev/null || true
fi
read -r IDLE_COUNT IDLE_MEDIAN IDLE_MAX <<<"$IDLE_PSS"
stop_daemon

# the disk, idle now, on the filesystem that holds the Maildirs
FSYNC_RC=0
"$FSYNCBENCH" -s "$SIZE" -t "$FSYNC_SECONDS" -j 1 "$ROOT/fsync" \
	>"$ROOT/fsync1.out" || FSYNC_RC=$?
"$FSYNCBENCH" -s "$SIZE" -t "$FSYNC_SECONDS" -j "$C" "$ROOT/fsync" \
	>"$ROOT/fsyncC.out" || FSYNC_RC=$?

val() { # val FILE KEY: the value of "KEY value" in FILE, or 0
	awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$1"
}

# per session: its peak VmHWM (VmRSS where no HWM); then median and max
read -r SESSIONS MEM_MEDIAN MEM_MAX < <(
	awk '{ p = ($2 > 0 ? $2 : $3); if (p > peak[$1]) peak[$1] = p }
	     END { for (s in peak) print peak[s] }' "$ROOT/memory.samples" |
		sort -n |
		awk '{ v[NR] = $1 } END {
			if (NR == 0) { print 0, "-", "-"; exit }
			print NR, v[int((NR + 1) / 2)], v[NR] }'
)

ACCEPTED=$(val "$ROOT/load.out" accepted)
ERRORS=$(val "$ROOT/load.out" errors)
WALL=$(val "$ROOT/load.out" wall_s)
W1=$(val "$ROOT/fsync1.out" writes_per_s)
WC=$(val "$ROOT/fsyncC.out" writes_per_s)
DELIVERED_PER_S=$(awk -v d="$DELIVERED" -v w="$WALL" 'BEGIN { printf "%.1f", (w > 0 ? d / w : 0) }')
ratio() {
	awk -v a="$DELIVERED_PER_S" -v b="$1" 'BEGIN { if (b > 0) printf "%.2f", (a / b); else print "-" }'
}
if [ "$PER_CONN" = 0 ]; then
	CONN_NOTE="one connection per session"
else
	CONN_NOTE="$PER_CONN per connection"
fi

row() { # row LABEL VALUE [NOTE]
	if [ -n "${3:-}" ]; then
		printf '  %-30s %12s   %s\n' "$1" "$2" "$3"
	else
		printf '  %-30s %12s\n' "$1" "$2"
	fi
}
echo
echo "smtpd bench: $N messages of $SIZE bytes, $C concurrent sessions ($CONN_NOTE$([ "$PIPELINING" = 1 ] && echo ", pipelined")$([ "$TLS" = 1 ] && echo ", STARTTLS"))"
echo "load"
row "accepted messages/s" "$(val "$ROOT/load.out" accepted_per_s)" "$ACCEPTED accepted in $(awk -v w="$WALL" 'BEGIN { printf "%.3f", w }') s, $(val "$ROOT/load.out" connections) connections"
row "delivered messages/s" "$DELIVERED_PER_S" "$DELIVERED files in new/"
row "transaction latency p50" "$(val "$ROOT/load.out" latency_p50_ms) ms" "MAIL FROM to the 250 after the dot"
row "transaction latency p99" "$(val "$ROOT/load.out" latency_p99_ms) ms" "max $(val "$ROOT/load.out" latency_max_ms) ms"
row "errors" "$ERRORS" "rejected $(val "$ROOT/load.out" rejected), failed $(val "$ROOT/load.out" failed), unanswered $(val "$ROOT/load.out" unanswered)"
echo "memory per session (peak VmHWM of $SESSIONS session processes)"
row "median" "$MEM_MEDIAN KB"
row "max" "$MEM_MAX KB"
echo "idle sessions$([ "$TLS" = 1 ] && echo " in TLS") (PSS of the daemon's children, $IDLE_COUNT processes)"
row "median" "$IDLE_MEDIAN KB"
row "max" "$IDLE_MAX KB"
echo "disk (write $SIZE bytes + fsync + rename + fsync new/, ${FSYNC_SECONDS}s each)"
row "durable writes/s, 1 writer" "$W1" "p50 $(val "$ROOT/fsync1.out" write_p50_ms) ms, p99 $(val "$ROOT/fsync1.out" write_p99_ms) ms"
row "durable writes/s, $C writers" "$WC" "p50 $(val "$ROOT/fsyncC.out" write_p50_ms) ms, p99 $(val "$ROOT/fsyncC.out" write_p99_ms) ms"
echo "delivered messages/s / durable writes/s"
row "against 1 writer" "$(ratio "$W1")"
row "against $C writers" "$(ratio "$WC")" "(1.00: smtpd delivers as fast as the disk allows)"
echo

RC=0
if [ "$LOAD_RC" != 0 ] || [ "$ERRORS" != 0 ] || [ "$ACCEPTED" != "$N" ]; then
	echo "bench: smtpload: $ACCEPTED of $N accepted, $ERRORS errors (exit $LOAD_RC)" >&2
	head -n 20 "$ROOT/load.err" >&2
	RC=1
fi
if [ "$DELIVERED" != "$ACCEPTED" ]; then
	echo "bench: $DELIVERED messages in new/ for $ACCEPTED accepted" >&2
	RC=1
fi
if [ "$FSYNC_RC" != 0 ]; then
	echo "bench: fsyncbench failed (exit $FSYNC_RC)" >&2
	RC=1
fi
if [ "$RC" != 0 ]; then
	echo "--- smtpd.log (last 20 lines)" >&2
	tail -n 20 "$ROOT/smtpd.log" >&2 || true
fi
exit "$RC"
