# smtp_helpers.bash - transcripts and checks for the t/smtp_*.bats files
# (load it after helpers.bash).
#
#   transcript PORT <<EOF    a session as in notqmail's TEST.receive.md:
#     S: line                  the server must answer exactly this line
#     C: line                  the client sends this line (CRLF added);
#                              "C: <wait N>" pauses N seconds
#   expect_lines LINE...       $output is exactly these lines (a diff if not)
#   raw PORT FORMAT [ARG...]   printf FORMAT (\r, \n, \0 escapes) to the
#                              server in one write, print all it answers
#                              (CRLF as LF), then "<closed>" if it closed
#                              the connection, "<open>" if it fell silent
#   raw_stdin PORT             the same with the bytes of stdin
#   file_is FILE FORMAT [ARG...]  FILE's bytes are exactly printf's output
#   strip_trace FILE           FILE without its Return-Path: and Received:
#                              lines (what the client sent, with LF ends)
#   daemon_children            pids of the daemon's children, sorted
#   port_closed PORT           nothing accepts connections on PORT

expect_lines() {
	local want
	want=$(printf '%s\n' "$@")
	if [ "$output" != "$want" ]; then
		echo "--- expected / +++ got:" >&2
		diff <(printf '%s\n' "$want") <(printf '%s\n' "$output") >&2 || true
		return 1
	fi
}

transcript() {
	local port=$1 line
	local -a sends=() want=()
	while IFS= read -r line; do
		case $line in
		'C: '*) sends+=("${line#C: }") ;;
		'S: '*) want+=("${line#S: }") ;;
		'' | '#'*) ;;
		*)
			echo "transcript: bad line '$line'" >&2
			return 2
			;;
		esac
	done
	run chat "$port" "${sends[@]}"
	expect_lines "${want[@]}"
}

# like "chat -r", but it also tells whether the server closed the
# connection: "<closed>" after the output, "<open>" after RAW_WAIT seconds
# (default 20) of silence
RAW_PY='
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.sendall(sys.stdin.buffer.read())
s.settimeout(float(sys.argv[2]))
out, end = b"", "<open>"
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            end = "<closed>"
            break
        out += chunk
except ConnectionResetError:
    end = "<closed>"
except socket.timeout:
    pass
sys.stdout.write(out.decode("latin-1").replace("\r\n", "\n"))
print(end)
'

raw() {
	local port=$1
	shift
	# shellcheck disable=SC2059
	printf "$@" | raw_stdin "$port"
}

raw_stdin() {
	python3 -c "$RAW_PY" "$1" "${RAW_WAIT:-20}"
}

file_is() {
	local got=$BATS_TEST_TMPDIR/file_is.got
	cat "$1" >"$got" # once: FILE may be a pipe from <(...)
	shift
	# shellcheck disable=SC2059
	if ! cmp "$got" <(printf "$@"); then
		echo "--- expected / +++ got:" >&2
		diff <(printf "$@" | od -c) <(od -c "$got") >&2 || true
		return 1
	fi
}

strip_trace() {
	tail -n +3 "$1"
}

# the daemon's children now, one pid a line (the relay child among them)
daemon_children() {
	pgrep -P "$SMTPD_PID" | sort
}

port_closed() {
	! port_open "$1"
}
