# syslog_helpers.bash - what the tests of syslog(3) output share
# (log_escape.bats, logging.bats): a private /dev/log, in a mount
# namespace of the test's own, whose messages land in a file.  Load after
# helpers.bash.  Needs root and unshare(1); syslog_require skips the test
# otherwise.
#
#   syslog_require              skip unless a private /dev/log can be had
#   syslog_capture DIR          (inside the namespace) capture /dev/log
#                               into DIR/syslog.out, one message a line
#   syslog_end                  (inside the namespace) stop the capture
#   syslog_daemon_start NAME [FLAGS]   daemon_start, in a namespace with
#                               NAME's capture in ${NAME}_ROOT/sys/syslog.out
#                               (stderr still to smtpd.log)
#   syslog_daemon_stop NAME     daemon_stop, then wait for the capture to end

syslog_require() {
	[ "$(id -u)" = 0 ] || skip "needs root for a private /dev/log"
	unshare -m --propagation private true 2>/dev/null ||
		skip "no mount namespaces here"
}

# syslog_capture DIR: in this (private) mount namespace, put a datagram
# socket at /dev/log whose messages go, one a line (an LF inside one
# shown as <LF>), to DIR/syslog.out until the message "syslog_capture: end";
# null, zero, random and urandom are the real ones, bound in
syslog_capture() {
	local dir=$1 n
	mkdir -p "$dir/dev"
	mount -t tmpfs -o size=1m tmpfs "$dir/dev"
	for n in null zero random urandom; do
		: >"$dir/dev/$n"
		mount --bind "/dev/$n" "$dir/dev/$n"
	done
	python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
open(sys.argv[3], "w").close()
s.settimeout(60)
with open(sys.argv[2], "wb") as out:
    while True:
        m = s.recv(65536)
        if m.endswith(b"syslog_capture: end"):
            break
        out.write(m.replace(b"\n", b"<LF>") + b"\n")
        out.flush()
' "$dir/dev/log" "$dir/syslog.out" "$dir/ready" &
	wait_for 5 test -e "$dir/ready"
	mount --rbind "$dir/dev" /dev
}

syslog_end() {
	python3 -c 'import socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"syslog_capture: end", "/dev/log")'
}

# like daemon_start (helpers.bash), the daemon run in a mount namespace
# of its own with a captured /dev/log; the namespace's shell ends the
# capture when the daemon has gone
syslog_daemon_start() {
	local name=$1 r
	shift
	daemon_write_conf "$name"
	r=${name}_ROOT
	rm -f "${!r}/sys/smtpd.pid"
	export -f syslog_capture syslog_end wait_for
	unshare -m --propagation private bash -c '
		syslog_capture "$1" || exit 1
		dir=$1 conf=$2
		shift 2
		"$SMTPD_BIN" -f "$conf" "$@" 2>>"$dir/../smtpd.log" &
		echo $! >"$dir/smtpd.pid"
		wait $!
		syslog_end
		wait
	' _ "${!r}/sys" "${!r}/etc/smtpd.conf" "$@" &
	printf -v "${name}_NS_PID" '%s' "$!"
	wait_for 10 test -s "${!r}/sys/smtpd.pid"
	daemon_started "$name" "$(cat "${!r}/sys/smtpd.pid")"
}

syslog_daemon_stop() {
	local name=$1 ns
	ns=${name}_NS_PID
	daemon_stop "$name"
	if [ -n "${!ns:-}" ]; then
		wait "${!ns}" 2>/dev/null || true
		printf -v "$ns" '%s' ""
	fi
}
