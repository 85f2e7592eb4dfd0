# pop3_helpers.bash - for t/pop3.bats and t/mailc_read.bats (load it after
# helpers.bash, once smtpd_start has run).
#
#   mailbox USER              the Maildir of USER@example.org
#   put_msg USER [NAME]       stdin into USER's new/ as a deliverer puts it
#                             (tmp/, then rename), named NAME or a fresh
#                             <secs>.M<usecs>P<pid>Q<n>.test; owned by the
#                             daemon's user
#   smtp_send RCPT            stdin (LF line ends) sent over SMTP, with
#                             CRLF, to RCPT@example.org by Python's
#                             smtplib, which dot-stuffs it on the way
#   cur_files USER            the files in USER's cur/, in name order
#   pop3_transcript PORT      a POP3 session from stdin, as in
#                             smtp_helpers.bash: "C: line" is sent, "S: line"
#                             must be the answer (multi-line ones whole)
#   session_child USER        the pid of the session child holding USER's
#                             mailbox lock, or nothing
#   pypop                     python3 reading a script from stdin, with
#                             POP3_PORT, MAILBOX_ROOT exported and pop3util
#                             (t/pop3util.py) importable

MSG_SEQ=0

mailbox() {
	echo "$TROOT/mail/example.org/$1"
}

daemon_owns() {
	if [ "$(id -u)" = 0 ]; then
		chown -R nobody: "$TROOT/mail"
	fi
}

put_msg() {
	local md name=${2:-}
	md=$(mailbox "$1")
	mkdir -p "$md/cur" "$md/new" "$md/tmp"
	if [ -z "$name" ]; then
		MSG_SEQ=$((MSG_SEQ + 1))
		name="$(date +%s).M$(date +%N | cut -c1-6)P$$Q$MSG_SEQ.test"
	fi
	cat >"$md/tmp/$name"
	daemon_owns
	mv "$md/tmp/$name" "$md/new/$name"
}

smtp_send() {
	python3 -c '
import smtplib, sys
body = sys.stdin.buffer.read().replace(b"\n", b"\r\n")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30) as s:
    s.sendmail("alice@example.org", [sys.argv[2]], body)
' "$SMTP_PORT" "$1@example.org"
}

cur_files() {
	ls -1 "$(mailbox "$1")/cur" 2>/dev/null
}

pop3_transcript() {
	local port=$1 line want got
	local -a sends=() wants=()
	while IFS= read -r line; do
		case $line in
		'C: '*) sends+=("${line#C: }") ;;
		'S: '*) wants+=("${line#S: }") ;;
		'' | '#'*) ;;
		*)
			echo "pop3_transcript: bad line '$line'" >&2
			return 2
			;;
		esac
	done
	got=$(chat --pop3 "$port" "${sends[@]}")
	want=$(printf '%s\n' "${wants[@]}")
	if [ "$got" != "$want" ]; then
		echo "--- expected / +++ got:" >&2
		diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") >&2 || true
		return 1
	fi
}

session_child() {
	local p lock
	lock=$(readlink -f "$(mailbox "$1")/.pop3.lock")
	for p in $(pgrep -P "$SMTPD_PID"); do
		if [ -n "$(find "/proc/$p/fd" -lname "$lock" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

pypop() {
	POP3_PORT=$POP3_PORT MAILBOX_ROOT=$TROOT/mail/example.org \
		PYTHONPATH=$BATS_TEST_DIRNAME python3 -
}
