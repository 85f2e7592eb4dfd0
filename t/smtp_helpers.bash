# smtp_helpers.bash - transcripts and checks for the files that speak SMTP
# (load it after helpers.bash).
#
#   transcript PORT <<EOF    a session as in notqmail's TEST.receive.md:
#     S: line                  the server must answer exactly this line
#     S: <ehlo_reply ARG...>   ... these lines: the EHLO reply (below)
#     C: line                  the client sends this line (CRLF added);
#                              "C: <wait N>" pauses N seconds
#   ehlo_reply [CLIENT [HOST [SIZE]]]  the six lines (one a line) that
#                              the daemon HOST (mx.example.org) answers to
#                              "EHLO CLIENT" (client.example); SIZE is its
#                              max_message_size (26214400)
#   expect_lines LINE...       $output is exactly these lines (a diff if not);
#                              a LINE may hold several, as "$(ehlo_reply)"
#   raw PORT FORMAT [ARG...]   printf FORMAT (\r, \n, \0 escapes) to the
#                              server in one write, print all it answers
#                              (CRLF as LF), then "<closed>" if it closed
#                              the connection, "<open>" if it fell silent
#   raw_stdin PORT             the same with the bytes of stdin
#   file_is FILE FORMAT [ARG...]  FILE's bytes are exactly printf's output
#   strip_trace FILE           FILE without its Return-Path:, Delivered-To:
#                              and Received: lines (what the client sent,
#                              with LF ends)
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

ehlo_reply() {
	printf '%s\n' "250-${2:-mx.example.org} Hello ${1:-client.example}" \
		"250-PIPELINING" "250-SIZE ${3:-26214400}" "250-8BITMIME" \
		"250-ENHANCEDSTATUSCODES" "250 AUTH PLAIN LOGIN"
}

transcript() {
	local port=$1 line
	local -a sends=() want=() args=()
	while IFS= read -r line; do
		case $line in
		'C: '*) sends+=("${line#C: }") ;;
		'S: <ehlo_reply>' | 'S: <ehlo_reply '*'>')
			read -ra args <<<"${line:4:${#line}-5}"
			mapfile -t -O "${#want[@]}" want < <("${args[@]}")
			;;
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
	tail -n +4 "$1"
}

# the daemon's children now, one pid a line (the relay child among them)
daemon_children() {
	pgrep -P "$SMTPD_PID" | sort
}

port_closed() {
	! port_open "$1"
}
