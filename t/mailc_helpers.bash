# mailc_helpers.bash - what mailc's test files share (mailc.bats,
# mailc_mime.bats, outbox.bats): a daemon on loopback for mailc to send
# to, and t/fake_smtp.py for the servers that answer what a good one
# never does.  Load after helpers.bash.
#
#   mailc_setup / mailc_teardown   the daemon, MAILC_HOST and MAILC_PORT
#                                  pointing at it; the fake stopped after
#   fake_start REPLY...            the scripted server on $FAKE_PORT: the
#                                  commands in $FAKE_LOG, the message in
#                                  $FAKE_DATA (unless set), no extensions
#   fake_stop                      stop it, if one runs

mailc_setup() {
	smtpd_start
	export MAILC_HOST=127.0.0.1 MAILC_PORT=$SMTP_PORT
	unset MAILC_USER MAILC_PASSWORD
	FAKE_PID=
}

fake_stop() {
	if [ -n "${FAKE_PID:-}" ]; then
		kill "$FAKE_PID" 2>/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
	fi
	FAKE_PID=
}

mailc_teardown() {
	fake_stop
	test_teardown
}

fake_start() {
	FAKE_PORT=$(free_port)
	export FAKE_LOG=$TROOT/fake.log FAKE_READY=$TROOT/fake.ready
	export FAKE_DATA=${FAKE_DATA:-$TROOT/fake.data}
	rm -f "$FAKE_READY"
	python3 "$BATS_TEST_DIRNAME/fake_smtp.py" "$FAKE_PORT" "$@" \
		</dev/null >/dev/null 2>&1 3>&- &
	FAKE_PID=$!
	wait_for 5 test -e "$FAKE_READY"
}
