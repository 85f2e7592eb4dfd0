# relay_helpers.bash - what the two-daemon relay tests share (relay.bats,
# relay_faults.bats): abc.com and xyz.com, abc routing xyz.com to xyz;
# alice@abc.com sending through abc's submission port; a scripted peer
# (t/fake_smtp.py); questions about a daemon's queue, log and relay child.
# Load after helpers.bash.
#
#   relay_setup                 lay out abc and xyz, abc's route to xyz,
#                               ALICE_AUTH (her AUTH PLAIN command)
#   fake_start REPLY...         the scripted peer on $FAKE_PORT
#   fake_stop                   stop it, if one was started
#   alice_sends SUBJECT RCPT... send a short message; the transcript in $output
#   root_of NAME / log_of NAME  NAME's directory / its smtpd.log
#   queued NAME / queue_count NAME / queue_empty NAME
#   count NAME DOMAIN USER      messages in that Maildir's new/
#   has N NAME DOMAIN USER      exactly N there
#   relay_pid NAME              NAME's relay child, checked to be its child

relay_setup() {
	daemon_init abc abc.com
	daemon_init xyz xyz.com
	daemon_conf abc "route xyz.com 127.0.0.1:$xyz_SMTP"
	ALICE_AUTH="AUTH PLAIN $(plain alice@abc.com alicepw)"
}

# the files in NAME's queue (env/ is what makes a message queued)
queued() { ls -1 "$(root_of "$1")/queue/env/" 2>/dev/null; }
queue_count() { queued "$1" | grep -c . || true; }
queue_empty() { [ "$(queue_count "$1")" = 0 ]; }
root_of() { local r=${1}_ROOT; echo "${!r}"; }
log_of() { echo "$(root_of "$1")/smtpd.log"; }

# count NAME DOMAIN USER: messages in that Maildir's new/
count() { maildir_count "$2" "$3" "$1"; }
# has N NAME DOMAIN USER: exactly N messages there
has() { [ "$(count "$2" "$3" "$4")" = "$1" ]; }

# alice_sends SUBJECT RCPT...: alice@abc.com logs in on abc's submission
# port and sends a short message; the transcript is in $output
alice_sends() {
	local subject=$1 r
	shift
	local cmds=("EHLO client.abc.com" "$ALICE_AUTH" "MAIL FROM:<alice@abc.com>")
	for r in "$@"; do cmds+=("RCPT TO:<$r>"); done
	cmds+=("DATA" "From: alice@abc.com" "Subject: $subject" "" "Hello from abc." "." "QUIT")
	run chat -p "$abc_SUBMIT" "${cmds[@]}"
	echo "$output"
}

# the relay child's pid, from its log line, checked to be NAME's child
relay_pid() {
	local name=$1 p pid
	p=${name}_PID
	pid=$(grep 'relay child started$' "$(log_of "$name")" | tail -n 1 |
		sed -E 's/^smtpd\[([0-9]+)\].*/\1/')
	[ -n "$pid" ] && [ "$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null)" = "${!p}" ] &&
		echo "$pid"
}

# fake_start REPLY...: a scripted peer (t/fake_smtp.py) on $FAKE_PORT,
# the route for fake.example; every connection gets the same script
fake_start() {
	export FAKE_LOG=$TEST_ROOT/fake.log FAKE_READY=$TEST_ROOT/fake.ready
	python3 "$BATS_TEST_DIRNAME/fake_smtp.py" "$FAKE_PORT" "$@" \
		</dev/null >/dev/null 2>&1 3>&- &
	FAKE_PID=$!
	wait_for 5 test -e "$FAKE_READY"
}

fake_stop() {
	if [ -n "${FAKE_PID:-}" ]; then
		kill "$FAKE_PID" 2>/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
	fi
}

# data_locked NAME ID: a relay worker (or smtpd -q) holds the flock on
# NAME's queue/data/ID, as /proc/locks says (a probe taking the lock
# could itself make the worker find the message busy)
data_locked() {
	local ino
	ino=$(stat -c %i "$(root_of "$1")/queue/data/$2" 2>/dev/null) || return 1
	grep -Eq "FLOCK +ADVISORY +WRITE +[0-9]+ +[0-9a-f]+:[0-9a-f]+:$ino " /proc/locks
}
