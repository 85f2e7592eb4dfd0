# helpers.bash - shared by every t/*.bats file.
#
# Each test gets its own temporary root ($TEST_ROOT) holding one or more
# daemons, each started from a config written here, on free loopback
# ports, stopped by its pid in teardown.
#
#   daemon_init NAME DOMAIN     lay out $TEST_ROOT/NAME (etc/, passwd with
#                               alice and bob @DOMAIN, maildir-skel) and
#                               pick ports: ${NAME}_SMTP ${NAME}_SUBMIT
#                               ${NAME}_POP3; ${NAME}_ROOT is the directory
#   daemon_conf NAME LINE...    add config lines (later ones win)
#   daemon_start NAME [FLAGS]   start it (-v etc.), wait until it listens;
#                               ${NAME}_PID is its pid
#   daemon_stop NAME            SIGTERM by pid, wait for it to exit
#   smtpd_start [LINE...]       the usual single daemon "main" for
#                               example.org (laid out by daemon_init,
#                               unless the test did that already): sets
#                               SMTP_PORT SUBMIT_PORT POP3_PORT SMTPD_PID
#                               TROOT
#   smtpd_stop                  stop every daemon started, remove TEST_ROOT
#   test_teardown               what every file's teardown ends with: stop
#                               the daemons, show their logs if the test
#                               failed, fail if sanitizer_check does,
#                               remove TEST_ROOT
#   sanitizer_check             fail, showing the report, if a sanitizer
#                               (ASan, UBSan, LSan...) reported anything in
#                               a log of this test (see "Sanitizers" below)
#   chat PORT LINE...           see t/smtpchat.py
#   plain USER PASS [AUTHZID]   base64 of a SASL PLAIN response (RFC 4616)
#   b64 STRING                  base64 of STRING, on one line
#   maildir_files DOMAIN USER [NAME]   the files in that Maildir's new/
#   wait_for SECONDS COMMAND... retry COMMAND until it succeeds or time is up
#
# Sanitizers (`make asan`): every process a test starts (the daemons and
# their children, smtpd -n/-q/-H/-i, mailc) writes a sanitizer report to
# $TEST_ROOT/sanitizer/report.<pid> (log_path, added to ASAN_OPTIONS and
# UBSAN_OPTIONS when TEST_ROOT is made) instead of to its stderr, where
# `run` or a redirection could hide it.  sanitizer_check reads those, every
# daemon's smtpd.log, and any other *.log a test writes in $TEST_ROOT or in
# a daemon's directory (the stderr of a one-shot program, say).

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
: "${SMTPD_BIN:=$REPO/smtpd/smtpd}"
: "${MAILC_BIN:=$REPO/mailc/mailc}"
export SMTPD_BIN MAILC_BIN
DAEMONS=()

# python3 (the protocol helpers, the fake servers) is the interpreter the
# PATH gives, reached through a link to it that this run makes once, in
# front of PATH: a version manager's shim (pyenv's) found first on PATH
# runs a few shell scripts before each start, which cost more than many
# a test's own work.
if [ -n "${BATS_RUN_TMPDIR:-}" ]; then
	PY_BIN=$BATS_RUN_TMPDIR/python3-bin
	if ! [ -x "$PY_BIN/python3" ]; then
		mkdir -p "$PY_BIN.$$" &&
			ln -s "$(python3 -c 'import sys; print(sys.executable)')" "$PY_BIN.$$/python3" &&
			{ mv -T "$PY_BIN.$$" "$PY_BIN" 2>/dev/null || rm -rf "$PY_BIN.$$"; }
	fi
	case ":$PATH:" in *":$PY_BIN:"*) ;; *) PATH=$PY_BIN:$PATH ;; esac
fi

# `run !` (a command that must fail) and `run -N` need bats-core 1.5
bats_require_minimum_version 1.5.0

# what a sanitizer writes when it finds something
SANITIZER_MARKERS='(ERROR|WARNING|SUMMARY): [A-Za-z]+Sanitizer|LeakSanitizer|runtime error:'

# free_port: a loopback port that nothing listens on and that no other
# test is given (reserve port)
free_port() { reserve port; }

# reserve KIND: under an exclusive lock on a registry shared by every test
# (and every bats job) on this machine, $RESERVE_DIR, pick one not marked
# in the last half hour and mark it:
#   port  a loopback port from 10000 up to the kernel's ephemeral range
#         (ip_local_port_range, so that no outgoing connection is given
#         it) that no socket has now (ss)
#   net   a 127.25.N (N 1 to 250) for servers on port 25 (mx_helpers.bash)
# What is picked stays the test's for longer than any test runs: before
# its daemon binds the port, and while the port stands for one that
# nothing must answer on ("connection refused").  So tests run at the same
# time (make test's BATS_JOBS) never get the same.  A program that binds
# port 0 gets one of the ephemeral range, which this never picks.
RESERVE_DIR=${TMPDIR:-/tmp}/smtpd-t-reserved
reserve() {
	local kind=$1 lo v i
	mkdir -p "$RESERVE_DIR"
	(
		flock 9
		find "$RESERVE_DIR" -maxdepth 1 -name '*-*' -mmin +30 -delete
		read -r lo _ </proc/sys/net/ipv4/ip_local_port_range
		[ "$lo" -gt 10000 ] || lo=10001
		for i in $(seq 1 1000); do
			if [ "$kind" = port ]; then
				v=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
				# no socket of any kind or state has it
				[ -z "$(ss -Htan "sport = :$v")" ] || continue
			else
				v=127.25.$((RANDOM % 250 + 1))
			fi
			[ -e "$RESERVE_DIR/$kind-$v" ] && continue
			: >"$RESERVE_DIR/$kind-$v"
			echo "$v"
			exit 0
		done
		echo "reserve: no free $kind" >&2
		exit 1
	) 9>>"$RESERVE_DIR/lock"
}

test_root() {
	if [ -z "${TEST_ROOT:-}" ]; then
		# not under BATS_RUN_TMPDIR: that is 0700, and the daemon may run as nobody
		TEST_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/smtpd-t.XXXXXX")
		chmod 755 "$TEST_ROOT"
		# writable by the daemon's children, which run as nobody
		mkdir -m 1777 "$TEST_ROOT/sanitizer"
		export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$TEST_ROOT/sanitizer/report"
		export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$TEST_ROOT/sanitizer/report"
	fi
}

daemon_init() {
	local name=$1 domain=$2 dir
	test_root
	dir=$TEST_ROOT/$name
	mkdir -p "$dir/etc"
	cp -r "$REPO/maildir-skel" "$dir/maildir-skel"
	cat >"$dir/etc/passwd" <<-EOF2
	alice@$domain:{PLAIN}alicepw
	bob@$domain:{PLAIN}bobpw
	EOF2
	printf -v "${name}_ROOT" '%s' "$dir"
	printf -v "${name}_DOMAIN" '%s' "$domain"
	printf -v "${name}_SMTP" '%s' "$(free_port)"
	printf -v "${name}_SUBMIT" '%s' "$(free_port)"
	printf -v "${name}_POP3" '%s' "$(free_port)"
	: >"$dir/etc/extra.conf"
}

daemon_conf() {
	local name=$1 r
	shift
	r=${name}_ROOT
	printf '%s\n' "$@" >>"${!r}/etc/extra.conf"
}

daemon_write_conf() {
	local name=$1 r s u p d
	r=${name}_ROOT; s=${name}_SMTP; u=${name}_SUBMIT; p=${name}_POP3
	d=${name}_DOMAIN
	{
		echo "hostname mx.${!d}"
		echo "listen smtp 127.0.0.1:${!s}"
		echo "listen submission 127.0.0.1:${!u}"
		echo "listen pop3 127.0.0.1:${!p}"
		echo "domain ${!d}"
		echo "passwd passwd"
		echo "mailbox ../mail/%d/%u"
		echo "maildir_skel ../maildir-skel"
		echo "queue ../queue"
		echo "retry_delay 1s 2s"
		[ "$(id -u)" = 0 ] && echo "user nobody"
		cat "${!r}/etc/extra.conf"
	} >"${!r}/etc/smtpd.conf"
	if [ "$(id -u)" = 0 ]; then
		chown -R nobody: "${!r}"
	fi
}

# port_open PORT: something accepts connections on 127.0.0.1:PORT (one
# connection, closed at once; at most 1 s).  bash's /dev/tcp, not python3:
# daemon_started asks this every 50 ms, and a python3 start costs a
# hundred times the CPU, which tests running in parallel share.
port_open() {
	timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$1" 2>/dev/null
}

daemon_start() {
	local name=$1 r
	shift
	daemon_write_conf "$name"
	r=${name}_ROOT
	"$SMTPD_BIN" -f "${!r}/etc/smtpd.conf" "$@" 2>>"${!r}/smtpd.log" &
	daemon_started "$name" $!
}

daemon_stop() {
	local name=$1 p i
	p=${name}_PID
	[ -n "${!p:-}" ] || return 0
	kill -TERM "${!p}" 2>/dev/null || true
	for i in $(seq 1 300); do
		kill -0 "${!p}" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "${!p}" 2>/dev/null || true
	wait "${!p}" 2>/dev/null || true
	printf -v "$p" '%s' ""
}

smtpd_start() {
	[ -n "${main_ROOT:-}" ] || daemon_init main example.org
	[ $# -gt 0 ] && daemon_conf main "$@"
	daemon_start main ${SMTPD_FLAGS:-}
	SMTP_PORT=$main_SMTP SUBMIT_PORT=$main_SUBMIT POP3_PORT=$main_POP3
	SMTPD_PID=$main_PID TROOT=$main_ROOT
}

smtpd_stop() {
	local n
	for n in "${DAEMONS[@]}"; do
		daemon_stop "$n"
	done
	# kill any child a test left behind, by the pids in our own tree only
	if [ -n "${TEST_ROOT:-}" ]; then
		if [ -n "${KEEP_TEST_ROOT:-}" ]; then
			echo "kept $TEST_ROOT" >&2
		else
			rm -rf "$TEST_ROOT"
		fi
	fi
	TEST_ROOT=
}

test_teardown() {
	local n bad=0
	for n in "${DAEMONS[@]}"; do
		daemon_stop "$n"
	done
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		dump_logs
	fi
	sanitizer_check || bad=1
	# tests take write permission away; give it back so the root can go
	if [ -n "${TEST_ROOT:-}" ]; then
		chmod -R u+w "$TEST_ROOT" 2>/dev/null || true
	fi
	smtpd_stop
	return $bad
}

# the logs sanitizer_check reads, one a line
sanitizer_logs() {
	[ -n "${TEST_ROOT:-}" ] && [ -d "$TEST_ROOT" ] || return 0
	find "$TEST_ROOT" -maxdepth 2 -type f -name '*.log' | sort
	find "$TEST_ROOT/sanitizer" -type f 2>/dev/null | sort
}

sanitizer_check() {
	local f bad=0
	while IFS= read -r f; do
		if grep -Eq "$SANITIZER_MARKERS" "$f"; then
			echo "--- sanitizer report in ${f#"$TEST_ROOT"/}:" >&2
			cat "$f" >&2
			bad=1
		fi
	done < <(sanitizer_logs)
	return $bad
}

chat() {
	python3 "$REPO/t/smtpchat.py" "$@"
}

plain() { printf '%s\0%s\0%s' "${3:-}" "$1" "$2" | base64 -w0; }
b64() { printf '%s' "$1" | base64 -w0; }

maildir_files() {
	local domain=$1 user=$2 name=${3:-main} r
	r=${name}_ROOT
	ls -1 "${!r}/mail/$domain/$user/new/" 2>/dev/null | sed "s|^|${!r}/mail/$domain/$user/new/|"
}

maildir_count() {
	maildir_files "$@" | grep -c . || true
}

wait_for() {
	local secs=$1 i
	shift
	for i in $(seq 1 $((secs * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# show the daemons' logs when a test fails
dump_logs() {
	local n r
	for n in "${DAEMONS[@]}"; do
		r=${n}_ROOT
		echo "--- $n smtpd.log" >&2
		tail -n 40 "${!r}/smtpd.log" >&2 2>/dev/null || true
	done
}

# daemon_started NAME PID: PID is NAME's daemon, just started: record it
# (${NAME}_PID, for daemon_stop) and wait until it listens on its smtp
# port; 1, with its log shown, if it exits first or takes 10 s
daemon_started() {
	local name=$1 pid=$2 r s i
	r=${name}_ROOT; s=${name}_SMTP
	printf -v "${name}_PID" '%s' "$pid"
	DAEMONS+=("$name")
	for i in $(seq 1 200); do
		port_open "${!s}" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "smtpd $name did not start:" >&2
	cat "${!r}/smtpd.log" >&2
	return 1
}

# the only file in USER@example.org's new/; fails unless there is exactly one
stored() {
	local files
	files=$(maildir_files example.org "$1")
	[ "$(printf '%s\n' "$files" | grep -c .)" = 1 ] || {
		echo "expected one message for $1, found: $files" >&2
		return 1
	}
	echo "$files"
}

header_of() { sed '/^$/q' "$1"; }
body_of() { sed '1,/^$/d' "$1"; }

# mailc's files (issue 10): each test gets its own outbox and config
# directories and home, and never reads the machine's
# SYSCONFDIR/mailc.conf or the user's ~/.mailcrc or ~/dead.letter
MAILC_TEST_DIR=${BATS_TEST_TMPDIR:-${BATS_TMPDIR:-/tmp}}
mkdir -p "$MAILC_TEST_DIR/home"
export HOME="$MAILC_TEST_DIR/home"
# and the default domain is a fixed one, whatever this machine's name
export MAILC_DOMAIN=mailc.test
export XDG_STATE_HOME="$MAILC_TEST_DIR/state" \
	XDG_CONFIG_HOME="$MAILC_TEST_DIR/config" \
	MAILC_SYSTEM_CONF="$MAILC_TEST_DIR/mailc.conf"
