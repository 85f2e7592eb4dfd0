#!/usr/bin/env bash
# bench.sh - `make bench` and `make bench-idle`: see bench/README.md.
#
#   bench/bench.sh          every scenario, one table, written to
#                           build/bench/bench-YYYYmmdd-HHMMSS.txt
#   bench/bench.sh idle     BENCH_IDLE_N (10000) idle sessions, their PSS,
#                           then one message's latency
#   bench/bench.sh one      one scenario from BENCH_N, BENCH_C, BENCH_SIZE,
#                           BENCH_PER_CONN, BENCH_PIPELINING, BENCH_TLS,
#                           BENCH_RELAY ("key value" lines)
#
# The work is bench/bench.py's (Python 3, standard library only); this
# raises the file limit first (the idle sessions, and smtpd inherits it).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
command -v python3 >/dev/null || { echo "bench: python3 is needed" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec python3 "$REPO/bench/bench.py" "${1:-suite}"
