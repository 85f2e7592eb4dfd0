#!/usr/bin/env bats
# mailc_config.bats - where mailc sends (issue 10): the system file
# ($MAILC_SYSTEM_CONF stands in for SYSCONFDIR/mailc.conf), the user's
# ~/.mailcrc or $XDG_CONFIG_HOME/mailc/config, the environment over both,
# options over all; password_command; a bad file names file and line.

load helpers

setup() {
	smtpd_start
	unset MAILC_HOST MAILC_PORT MAILC_USER MAILC_PASSWORD MAILC_FROM \
		MAILC_DOMAIN MAILC_PASSWORD_COMMAND
	export HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$HOME" "$XDG_CONFIG_HOME/mailc"
	SYS=$MAILC_SYSTEM_CONF
	XDG=$XDG_CONFIG_HOME/mailc/config
	CLOSED=$(free_port)
}

teardown() {
	test_teardown
}

count() { maildir_files example.org "$1" | grep -c . || true; }

# conf FILE LINE...: write the lines to FILE, mode 600
conf() {
	local f=$1
	shift
	printf '%s\n' "$@" >"$f"
	chmod 600 "$f"
}

send() {
	run "$MAILC_BIN" "$@" bob@example.org <<<"hello"
	echo "$output"
}

@test "the system file alone says where to send" {
	conf "$SYS" "# the relay" "" "host 127.0.0.1" "  port $SMTP_PORT  " "from alice@example.org"
	send
	[ "$status" -eq 0 ]
	[ "$(count bob)" = 1 ]
	grep -qx 'Return-Path: <alice@example.org>' "$(maildir_files example.org bob)"
}

@test "the host defaults to localhost (port 25 is not tried: a real MTA may listen)" {
	conf "$SYS" "port $SMTP_PORT" "from alice@example.org"
	send -v
	[ "$status" -eq 0 ]
	[ "$(count bob)" = 1 ]
}

@test "~/.mailcrc over the system file, XDG's file when there is no ~/.mailcrc" {
	conf "$SYS" "host 127.0.0.1" "port $CLOSED" "from alice@example.org"
	conf "$XDG" "port $SMTP_PORT"
	send
	[ "$status" -eq 0 ]
	[ "$(count bob)" = 1 ]
	# ~/.mailcrc wins over the XDG file (which is then not read)
	conf "$HOME/.mailcrc" "port $CLOSED"
	send
	[ "$status" -eq 75 ]
	[ "$(count bob)" = 1 ]
}

@test "the environment over the files, options over the environment" {
	conf "$SYS" "host 127.0.0.1" "port $CLOSED" "from alice@example.org"
	conf "$HOME/.mailcrc" "port $CLOSED"
	MAILC_PORT=$SMTP_PORT send
	[ "$status" -eq 0 ]
	[ "$(count bob)" = 1 ]
	# the file's other settings still count
	grep -qx 'Return-Path: <alice@example.org>' "$(maildir_files example.org bob)"
	MAILC_PORT=$CLOSED send -p "$SMTP_PORT"
	[ "$status" -eq 0 ]
	[ "$(count bob)" = 2 ]
	MAILC_HOST=no-such-host.invalid send -H 127.0.0.1 -p "$SMTP_PORT"
	[ "$status" -eq 0 ]
	[ "$(count bob)" = 3 ]
}

@test "from and domain: -f over MAILC_FROM over the file; domain for the default sender" {
	conf "$HOME/.mailcrc" "host 127.0.0.1" "port $SMTP_PORT" "from bob@example.org"
	send
	[ "$status" -eq 0 ]
	grep -qx 'Return-Path: <bob@example.org>' "$(maildir_files example.org bob)"
	rm -f "$(maildir_files example.org bob)"
	MAILC_FROM=alice@example.org send
	grep -qx 'Return-Path: <alice@example.org>' "$(maildir_files example.org bob)"
	rm -f "$(maildir_files example.org bob)"
	MAILC_FROM=alice@example.org send -f bob@example.org
	grep -qx 'Return-Path: <bob@example.org>' "$(maildir_files example.org bob)"
	rm -f "$(maildir_files example.org bob)"
	conf "$HOME/.mailcrc" "host 127.0.0.1" "port $SMTP_PORT" "domain example.org"
	USER=alice send
	[ "$status" -eq 0 ]
	grep -qx 'Return-Path: <alice@example.org>' "$(maildir_files example.org bob)"
}

@test "password_command: its first line is the password; a failing one is an error" {
	conf "$HOME/.mailcrc" "host 127.0.0.1" "port $SUBMIT_PORT" "user alice@example.org" \
		"password_command printf 'alicepw\\nsecond line\\n'"
	send -v
	[ "$status" -eq 0 ]
	[[ "$output" == *"235"* ]]
	[ "$(count bob)" = 1 ]
	# MAILC_PASSWORD (the environment) wins over the file's command
	MAILC_PASSWORD=wrong send
	[ "$status" -eq 77 ]
	# MAILC_PASSWORD_COMMAND over the file's
	MAILC_PASSWORD_COMMAND='echo wrong' send
	[ "$status" -eq 77 ]
	conf "$HOME/.mailcrc" "host 127.0.0.1" "port $SUBMIT_PORT" "user alice@example.org" \
		"password_command echo alicepw; exit 3"
	send
	[ "$status" -eq 77 ]
	[[ "$output" == *"password_command failed (exit status 3)"* ]]
	[ "$(count bob)" = 1 ]
	conf "$HOME/.mailcrc" "host 127.0.0.1" "port $SUBMIT_PORT" "user alice@example.org" \
		"password_command true"
	send
	[ "$status" -eq 77 ]
	[[ "$output" == *"password_command: no output"* ]]
}

@test "a bad file is an error naming the file and the line (exit 78)" {
	conf "$SYS" "host 127.0.0.1" "# fine so far" "hots 127.0.0.1"
	send -p "$SMTP_PORT"
	[ "$status" -eq 78 ]
	[[ "$output" == "mailc: $SYS:3: unknown setting \"hots\"" ]]
	conf "$SYS" "port"
	send
	[ "$status" -eq 78 ]
	[[ "$output" == "mailc: $SYS:1: port needs a value" ]]
	conf "$SYS" "" "port 99999"
	send
	[ "$status" -eq 78 ]
	[[ "$output" == *"mailc: $SYS:2: bad port" ]]
	rm -f "$SYS"
	conf "$XDG" "host bad host"
	send
	[ "$status" -eq 78 ]
	[[ "$output" == *"mailc: $XDG:1: bad host" ]]
	[ "$(count bob)" = 0 ]
}

@test "a file others may write, or owned by someone else, is refused" {
	conf "$HOME/.mailcrc" "host 127.0.0.1" "port $SMTP_PORT" "from alice@example.org"
	chmod 664 "$HOME/.mailcrc"
	send
	[ "$status" -eq 78 ]
	[[ "$output" == "mailc: $HOME/.mailcrc: writable by others than its owner: refused (chmod go-w $HOME/.mailcrc)" ]]
	chmod 644 "$HOME/.mailcrc"
	chown nobody "$HOME/.mailcrc"
	send
	[ "$status" -eq 78 ]
	[[ "$output" == *"$HOME/.mailcrc: owned by uid $(id -u nobody), neither root nor you: refused" ]]
	chown 0 "$HOME/.mailcrc"
	send
	[ "$status" -eq 0 ]
}

@test "mailc flush reads the same settings" {
	conf "$HOME/.mailcrc" "host 127.0.0.1" "port $CLOSED" "from alice@example.org"
	send
	[ "$status" -eq 75 ]
	run "$MAILC_BIN" flush
	[ "$status" -eq 75 ]
	conf "$HOME/.mailcrc" "host 127.0.0.1" "port $SMTP_PORT"
	run "$MAILC_BIN" flush
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(count bob)" = 1 ]
}

@test "etc/mailc.conf, the sample, is a good file as it is and with its settings uncommented" {
	cp "$REPO/etc/mailc.conf" "$SYS"
	chmod 644 "$SYS"
	send -H 127.0.0.1 -p "$SMTP_PORT" -f alice@example.org
	[ "$status" -eq 0 ]
	sed 's/^#\([a-z_][a-z_]* \)/\1/' "$REPO/etc/mailc.conf" >"$SYS"
	grep -qx 'host mail.example.org' "$SYS"
	grep -qx 'password_command pass show mail/alice' "$SYS"
	# every line parses and counts (our server in place of the example's)
	sed -i -e "s/^host .*/host 127.0.0.1/" -e "s/^port .*/port $SUBMIT_PORT/" "$SYS"
	MAILC_PASSWORD=alicepw send -v
	[ "$status" -eq 0 ]
	[[ "$output" == *"> AUTH PLAIN"* ]]
	[ "$(count bob)" = 2 ]
}
