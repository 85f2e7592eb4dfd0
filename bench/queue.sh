#!/bin/sh
# queue.sh - `make bench-queue`: what the relay child's queue manager
# costs when the queue is deep.
#
# For each depth D of BENCH_QUEUE_DEPTHS: a new temporary root (the
# layout of t/helpers.bash) whose queue gets D deferred messages written
# straight into queue/data/ and queue/env/ by bench/queue_tool.py (one
# recipient each, at a domain routed to a loopback port nothing listens
# on, next try a day ahead: never due during the run).  Then ./smtpd/smtpd
# starts on free loopback ports; its relay child (the "relay child
# started" log line names its pid) reads the whole queue at start-up, and
# once its CPU time stops growing that start-up cost is noted.  K new
# messages are then submitted over SMTP (relay_from 127.0.0.1, C sessions)
# to a second domain routed to a Python sink on loopback that takes and
# discards mail.  When the sink has all K and env/ is back to D entries,
# and the relay child is idle again, the growth of its own CPU time
# (utime+stime of /proc/PID/stat, its workers not counted) divided by K
# is the cost of one queued message at that depth; K over the time from
# the first submission to the sink's last 250 is the relay throughput.
# bench/README.md says more.
#
# It reports and does not judge speed.  The wait for the K deliveries is
# capped (BENCH_QUEUE_WAIT): a depth that does not finish is reported as
# "timed out after Ns" with what got through.  The exit status is 1 when
# a tool failed, a submission was refused, or smtpd set an envelope aside
# (it could not read what queue_tool.py wrote).  Every process started
# here is stopped by its pid, and each temporary root is removed
# (BENCH_KEEP=1 keeps them).
#
#   BENCH_QUEUE_DEPTHS="10000 100000"  deferred messages, one run each
#   BENCH_QUEUE_K=200        new messages per run
#   BENCH_QUEUE_C=4          SMTP sessions submitting them at once
#   BENCH_QUEUE_WAIT=90      seconds to wait for the K deliveries
#   BENCH_QUEUE_SCAN_WAIT=90 seconds to wait for the start-up scan
#   BENCH_QUEUE_WORKERS=     relay_workers (empty: smtpd's default)
#   BENCH_QUEUE_OUT=build/bench/queue.txt   where the table is written
#   BENCH_QUEUE_TMPDIR=      where the temporary roots go (default:
#                            /dev/shm when it is there, else TMPDIR or /tmp)
#   BENCH_KEEP=1             keep the temporary roots (smtpd.log, outputs)
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
: "${SMTPD_BIN:=$REPO/smtpd/smtpd}"
TOOL=$REPO/bench/queue_tool.py
DEPTHS=${BENCH_QUEUE_DEPTHS-10000 100000}
K=${BENCH_QUEUE_K:-200}
C=${BENCH_QUEUE_C:-4}
WAIT=${BENCH_QUEUE_WAIT:-90}
SCAN_WAIT=${BENCH_QUEUE_SCAN_WAIT:-90}
WORKERS=${BENCH_QUEUE_WORKERS:-}
OUT=${BENCH_QUEUE_OUT:-$REPO/build/bench/queue.txt}
# A RAM filesystem by default: 100,000 messages are 200,000 files, which
# a busy disk takes minutes to create and remove, and the figures are
# about the queue manager's CPU, not about the disk (bench/README.md).
if [ -n "${BENCH_QUEUE_TMPDIR:-}" ]; then
	BASE=$BENCH_QUEUE_TMPDIR
elif [ -d /dev/shm ] && [ -w /dev/shm ]; then
	BASE=/dev/shm
else
	BASE=${TMPDIR:-/tmp}
fi

START=$(date +%s)
die() {
	echo "bench-queue: $*" >&2
	exit 1
}

say() { # progress on stderr, with the seconds since the start
	echo "bench-queue: [$(($(date +%s) - START))s] $*" >&2
}

is_number() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	esac
}

for v in $DEPTHS "$K" "$C" "$WAIT" "$SCAN_WAIT" ${WORKERS:+"$WORKERS"}; do
	is_number "$v" || die "not a number: '$v' (see the BENCH_QUEUE_* settings)"
done
if [ "$K" -lt 1 ] || [ "$C" -lt 1 ]; then
	die "BENCH_QUEUE_K and BENCH_QUEUE_C must be at least 1"
fi
[ -n "$DEPTHS" ] || die "BENCH_QUEUE_DEPTHS is empty"
[ -x "$SMTPD_BIN" ] || die "$SMTPD_BIN is missing: run 'make bench-queue'"
command -v python3 >/dev/null || die "python3 is needed"
HZ=$(getconf CLK_TCK)

ROOT='' DAEMON_PID='' RELAY_PID='' SINK_PID='' RESULTS=''

alive() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
	# a child of ours that ended is a zombie until waited for
	[ "$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# stop_pid PID [SIG]: signal it, wait up to 5 s, then SIGKILL
stop_pid() {
	pid=$1
	alive "$pid" || return 0
	kill "-${2:-TERM}" "$pid" 2>/dev/null || true
	i=0
	while alive "$pid" && [ "$i" -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# the daemon (our child), the relay child it forked (not ours: polled),
# the sink (our child), then the root
stop_all() {
	left=''
	if [ -n "$DAEMON_PID" ]; then
		# its children (relay child, workers, sessions), asked before it
		# goes, each ended by its pid if still there after the master
		left=$(python3 "$TOOL" descendants "$DAEMON_PID" 2>/dev/null || true)
		stop_pid "$DAEMON_PID"
		wait "$DAEMON_PID" 2>/dev/null || true
		DAEMON_PID=
	fi
	for p in $RELAY_PID $left; do
		stop_pid "$p"
	done
	RELAY_PID=
	if [ -n "$SINK_PID" ]; then
		stop_pid "$SINK_PID"
		wait "$SINK_PID" 2>/dev/null || true
		SINK_PID=
	fi
	if [ -n "$ROOT" ]; then
		if [ "${BENCH_KEEP:-0}" = 1 ]; then
			echo "bench-queue: kept $ROOT" >&2
		else
			rm -rf "$ROOT"
		fi
		ROOT=
	fi
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	stop_all
	if [ -n "$RESULTS" ]; then
		rm -f "$RESULTS"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

val() { # val FILE KEY: the value of "KEY value" in FILE, or 0
	awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$1"
}

# wait_for SECONDS COMMAND...: retry every 0.1 s until it succeeds
wait_for() {
	end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		alive "$DAEMON_PID" || return 1
		sleep 0.1
	done
}

# shellcheck disable=SC2317 # called by wait_for
relay_started() {
	RELAY_PID=$(sed -n 's/^smtpd\[\([0-9]*\)\]: relay child started$/\1/p' \
		"$ROOT/smtpd.log" | head -n 1)
	[ -n "$RELAY_PID" ] && grep -q '\]: started (' "$ROOT/smtpd.log"
}

RC=0
fail() {
	echo "bench-queue: depth $DEPTH: $*" >&2
	RC=1
}

# run_depth D: one run; appends its row to $RESULTS
run_depth() {
	DEPTH=$1
	ROOT=$(mktemp -d "$BASE/smtpd-bench-queue.XXXXXX")
	# not under a 0700 directory: the daemon may run as nobody
	chmod 755 "$ROOT"
	mkdir -p "$ROOT/etc"
	cp -r "$REPO/maildir-skel" "$ROOT/maildir-skel"
	echo "user1@example.org:{PLAIN}benchpw1" >"$ROOT/etc/passwd"
	# shellcheck disable=SC2046 # three numbers
	set -- $(python3 "$TOOL" ports 3)
	SMTP_PORT=$1 SINK_PORT=$2 DEAD_PORT=$3
	{
		echo "hostname mx.example.org"
		echo "listen smtp 127.0.0.1:$SMTP_PORT"
		echo "domain example.org"
		echo "passwd passwd"
		echo "mailbox ../mail/%d/%u"
		echo "maildir_skel ../maildir-skel"
		echo "queue ../queue"
		echo "relay_from 127.0.0.1"
		echo "route deferred.invalid 127.0.0.1:$DEAD_PORT"
		echo "route sink.invalid 127.0.0.1:$SINK_PORT"
		echo "max_clients $((C * 2 + 10))"
		echo "max_clients_per_ip $((C * 2 + 10))"
		echo "timeout 60"
		if [ -n "$WORKERS" ]; then
			echo "relay_workers $WORKERS"
		fi
		if [ "$(id -u)" = 0 ]; then
			echo "user nobody"
		fi
	} >"$ROOT/etc/smtpd.conf"
	if [ "$(id -u)" = 0 ]; then
		chown -R nobody: "$ROOT"
	fi

	say "depth $DEPTH: writing the deferred queue"
	python3 "$TOOL" fill "$ROOT/queue" "$DEPTH" --domain deferred.invalid \
		--remote "127.0.0.1:$DEAD_PORT" --user nobody >"$ROOT/fill.out" ||
		{ fail "queue_tool.py fill failed"; return 0; }
	say "depth $DEPTH: written in $(val "$ROOT/fill.out" seconds) s"

	python3 "$TOOL" sink "$SINK_PORT" "$ROOT/sink.state" 2>"$ROOT/sink.log" &
	SINK_PID=$!
	i=0
	while [ ! -e "$ROOT/sink.state.ready" ] && [ "$i" -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -e "$ROOT/sink.state.ready" ] || { fail "the sink did not start"; return 0; }

	say "depth $DEPTH: starting smtpd, waiting for its start-up scan"
	"$SMTPD_BIN" -f "$ROOT/etc/smtpd.conf" 2>>"$ROOT/smtpd.log" &
	DAEMON_PID=$!
	wait_for "$SCAN_WAIT" relay_started ||
		{ fail "smtpd or its relay child did not start"; tail -n 20 "$ROOT/smtpd.log" >&2; return 0; }
	python3 "$TOOL" settle "$RELAY_PID" --quiet 1 --timeout "$SCAN_WAIT" \
		>"$ROOT/settle0.out" || { fail "settle failed"; return 0; }
	T0=$(val "$ROOT/settle0.out" ticks)
	if [ "$(val "$ROOT/settle0.out" settled)" = 1 ]; then
		SCAN_NOTE=''
	else
		SCAN_NOTE="start-up scan still busy after ${SCAN_WAIT}s; "
	fi

	say "depth $DEPTH: relaying $K new messages"
	python3 "$TOOL" send "$SMTP_PORT" "$K" --rcpt sink@sink.invalid -c "$C" \
		>"$ROOT/send.out" 2>"$ROOT/send.err" || fail "queue_tool.py send failed"
	ACCEPTED=$(val "$ROOT/send.out" accepted)
	if [ "$ACCEPTED" != "$K" ]; then
		fail "$ACCEPTED of $K submissions accepted"
		head -n 5 "$ROOT/send.err" >&2
	fi
	say "depth $DEPTH: $ACCEPTED submitted, waiting for the deliveries"
	python3 "$TOOL" wait "$ROOT/sink.state" "$ACCEPTED" "$ROOT/queue" \
		"$DEPTH" --timeout "$WAIT" >"$ROOT/wait.out" ||
		{ fail "queue_tool.py wait failed"; return 0; }
	if [ "$(val "$ROOT/wait.out" timed_out)" = 0 ]; then
		# the last worker's end still wakes it for one more pass
		python3 "$TOOL" settle "$RELAY_PID" --quiet 1 --timeout 30 \
			>"$ROOT/settle1.out" || { fail "settle failed"; return 0; }
		NOTE=''
	else
		python3 "$TOOL" cpu "$RELAY_PID" >"$ROOT/settle1.out" ||
			{ fail "the relay child is gone"; return 0; }
		NOTE="timed out after ${WAIT}s"
	fi
	T1=$(val "$ROOT/settle1.out" ticks)
	say "depth $DEPTH: measured"
	if [ -d "$ROOT/queue/corrupt" ] || grep -q 'unreadable envelope' "$ROOT/smtpd.log"; then
		fail "smtpd set envelopes aside: queue_tool.py's format is not smtpd's"
		grep 'unreadable envelope' "$ROOT/smtpd.log" | head -n 3 >&2
	fi

	DELIVERED=$(val "$ROOT/wait.out" delivered)
	awk -v d="$DEPTH" -v hz="$HZ" -v t0="$T0" -v t1="$T1" -v k="$K" \
		-v del="$DELIVERED" -v first="$(val "$ROOT/send.out" first_submit)" \
		-v last="$(val "$ROOT/wait.out" last_delivery)" \
		-v note="$SCAN_NOTE$NOTE" 'BEGIN {
		wall = (del > 0 && last > first) ? last - first : 0
		per = sprintf("%.2f ms", (t1 - t0) * 1000 / hz / k)
		if (note ~ /timed out/)
			per = ">= " per
		printf "  %9d %10s %10s %15s %12.1f %10s %8.1f   %s\n", d,
			sprintf("%.0f ms", t0 * 1000 / hz),
			(d > 0 ? sprintf("%.1f us", t0 * 1000000 / hz / d) : "-"),
			per, (wall > 0 ? del / wall : 0), del "/" k, wall, note
	}' >>"$RESULTS"
	stop_all
}

RESULTS=$(mktemp "${TMPDIR:-/tmp}/smtpd-bench-queue.rows.XXXXXX")
for d in $DEPTHS; do
	rows=$(wc -l <"$RESULTS")
	run_depth "$d"
	say "depth $DEPTH: stopping smtpd, removing its root"
	stop_all
	say "depth $DEPTH: done"
	if [ "$(wc -l <"$RESULTS")" = "$rows" ]; then
		printf '  %9d   no figures: see the errors above\n' "$d" >>"$RESULTS"
	fi
done

mkdir -p "$(dirname "$OUT")"
{
	echo
	echo "smtpd queue bench: $K new messages ($C SMTP sessions) relayed to a sink past D deferred ones"
	echo "relay child CPU: its own utime+stime (/proc/PID/stat, $HZ ticks/s), its workers not counted"
	echo "queue on $BASE ($(df -P "$BASE" | awk 'NR == 2 { print $1 }'))"
	printf '  %9s %10s %10s %15s %12s %10s %8s   %s\n' \
		"deferred" "start-up" "start-up" "CPU per" "relay" "delivered" "wall s" "note"
	printf '  %9s %10s %10s %15s %12s %10s %8s\n' \
		"D" "CPU" "per env" "queued msg" "msgs/s" "" ""
	cat "$RESULTS"
	echo
} | sed 's/ *$//' | tee "$OUT"
echo "bench-queue: written to $OUT" >&2
exit "$RC"
