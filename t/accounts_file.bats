#!/usr/bin/env bats
# accounts_file.bats - the accounts file's traps (issue 7, items 12, 14,
# 15): an address that cannot become a mailbox path is an error for
# `smtpd -n` and skipped (with a log line) at load; a duplicate address
# names both lines, and the first one wins; every refused reload says
# why, naming the line, also on SIGHUP; a file only root may read is
# still re-read after the daemon dropped to its user when it is changed
# in place, and a replaced one it cannot read is reported once, not at
# every connection.
#
# One daemon "main" for example.org (t/helpers.bash): alice/alicepw and
# bob/bobpw, unless a test writes its own accounts file first.

load helpers

setup() {
	daemon_init main example.org
	PASSWD=$main_ROOT/etc/passwd
	LOG=$main_ROOT/smtpd.log
}

teardown() { test_teardown; }

plain() { printf '\0%s\0%s' "$1" "$2" | base64 -w0; }

# login_reply USER PASS: the reply to AUTH PLAIN on the submission port
login_reply() {
	chat "$main_SUBMIT" "EHLO client.example" "AUTH PLAIN $(plain "$1" "$2")" | tail -n 1
}

# check_config: smtpd -n on main's config, its output kept for teardown
check_config() {
	daemon_write_conf main
	run "$SMTPD_BIN" -n -f "$main_ROOT/etc/smtpd.conf"
	echo "$output" | tee -a "$TEST_ROOT/captured"
}

log_count() { grep -c -- "$1" "$LOG" || true; }
# log_count_is N PATTERN: for wait_for
log_count_is() { [ "$(log_count "$2")" = "$1" ]; }

@test "an account whose address cannot be a mailbox path fails smtpd -n and is skipped at load" {
	cat >"$PASSWD" <<-'EOF'
	alice@example.org:{PLAIN}alicepw
	bob@example.org:{PLAIN}bobpw
	a/b@example.org:{PLAIN}slashpw
	"sp ace"@example.org:{PLAIN}spacepw
	EOF
	check_config
	[ "$status" -eq 78 ]
	[[ "$output" == *"passwd:3: a/b@example.org cannot be a mailbox path"* ]]
	[[ "$output" == *"passwd:4: sp ace@example.org cannot be a mailbox path"* ]]
	[[ "$output" != *"configuration OK"* ]]
	daemon_start main
	grep -q 'passwd:3: a/b@example.org cannot be a mailbox path' "$LOG"
	grep -q 'passwd:4: sp ace@example.org cannot be a mailbox path' "$LOG"
	grep -q 'started (.*), 2 accounts' "$LOG"
	# mail for them is refused at once, not taken and then kept for days
	run chat "$main_SMTP" "HELO client.example" "MAIL FROM:<x@remote.example>" \
		"RCPT TO:<a/b@example.org>" 'RCPT TO:<"sp ace"@example.org>' \
		"RCPT TO:<bob@example.org>"
	echo "$output"
	[ "${lines[3]}" = "550 5.1.1 <a/b@example.org>: Recipient address rejected: User unknown" ]
	[ "${lines[4]}" = '550 5.1.1 <"sp ace"@example.org>: Recipient address rejected: User unknown' ]
	[ "${lines[5]}" = "250 2.1.5 Recipient OK" ]
	[ "$(login_reply 'a/b@example.org' slashpw)" = "535 5.7.8 Authentication credentials invalid" ]
}

@test "a duplicate account: smtpd -n names both lines; at load the first wins, and the log says so" {
	cat >"$PASSWD" <<-'EOF'
	alice@example.org:{PLAIN}alicepw
	bob@example.org:{PLAIN}bobpw
	# the same address, another case
	ALICE@Example.ORG:{PLAIN}otherpw
	EOF
	check_config
	[ "$status" -eq 78 ]
	[[ "$output" == *"passwd:4: duplicate account ALICE@example.org (the first is line 1)"* ]]
	daemon_start main
	grep -q 'passwd:4: duplicate account ALICE@example.org (the first is line 1)' "$LOG"
	grep -q 'started (.*), 2 accounts' "$LOG"
	[ "$(login_reply alice@example.org alicepw)" = "235 2.7.0 Authentication successful" ]
	[ "$(login_reply alice@example.org otherpw)" = "535 5.7.8 Authentication credentials invalid" ]
}

@test "a reload refused for a malformed line says so, naming the line, each time: on change and on SIGHUP" {
	daemon_start main
	echo 'half-edited line' >>"$PASSWD"
	[ "$(login_reply alice@example.org alicepw)" = "235 2.7.0 Authentication successful" ]
	why='passwd: 1 malformed line: keeping the previous 2 accounts (line 3: expected address:hash)'
	wait_for 10 log_count_is 1 "$why"
	# asked to reload, it tells again why it does not
	kill -HUP "$main_PID"
	wait_for 10 log_count_is 2 "$why"
	# and again when the file changes, the new account staying out
	echo 'carol@example.org:{PLAIN}carolpw' >>"$PASSWD"
	[ "$(login_reply carol@example.org carolpw)" = "535 5.7.8 Authentication credentials invalid" ]
	wait_for 10 log_count_is 3 "$why"
	# a duplicate blocks a reload the same way
	sed -i '/half-edited/d' "$PASSWD"
	echo 'bob@example.org:{PLAIN}otherpw' >>"$PASSWD"
	[ "$(login_reply carol@example.org carolpw)" = "535 5.7.8 Authentication credentials invalid" ]
	grep -q 'passwd: 1 malformed line: keeping the previous 2 accounts (line 4: duplicate account bob@example.org (the first is line 2))' "$LOG"
	# fixed: reloaded
	sed -i '/otherpw/d' "$PASSWD"
	[ "$(login_reply carol@example.org carolpw)" = "235 2.7.0 Authentication successful" ]
	grep -q 'passwd: reloaded, 3 accounts' "$LOG"
}

@test "an accounts file only root may read: changes in place are re-read as the run user; a replaced one is reported once" {
	[ "$(id -u)" = 0 ] || skip "needs root (the daemon drops to nobody)"
	# outside the tree daemon_start hands to nobody; nobody may enter, not read
	mkdir -m 755 "$TEST_ROOT/secret"
	secret=$TEST_ROOT/secret/passwd
	cp "$PASSWD" "$secret"
	chown root:root "$secret"
	chmod 600 "$secret"
	daemon_conf main "passwd $secret"
	daemon_start main
	grep -q "secret/passwd: user nobody cannot read it" "$LOG"
	[ "$(login_reply alice@example.org alicepw)" = "235 2.7.0 Authentication successful" ]
	# written into the same file: read through the descriptor kept from the start
	echo 'carol@example.org:{PLAIN}carolpw' >>"$secret"
	[ "$(login_reply carol@example.org carolpw)" = "235 2.7.0 Authentication successful" ]
	grep -q 'secret/passwd: reloaded, 3 accounts' "$LOG"
	# replaced by a new file nobody cannot read: kept, and said once
	printf '%s\n' 'alice@example.org:{PLAIN}alicepw' 'dave@example.org:{PLAIN}davepw' >"$secret.new"
	chmod 600 "$secret.new"
	mv "$secret.new" "$secret"
	[ "$(login_reply dave@example.org davepw)" = "535 5.7.8 Authentication credentials invalid" ]
	[ "$(login_reply alice@example.org alicepw)" = "235 2.7.0 Authentication successful" ]
	[ "$(login_reply carol@example.org carolpw)" = "235 2.7.0 Authentication successful" ]
	cat "$LOG"
	[ "$(log_count 'secret/passwd: keeping the previous 3 accounts')" = 1 ]
	[ "$(log_count 'Permission denied')" = 1 ]
	# made readable for nobody's group (a chmod changes no content): read
	chgrp nogroup "$secret" 2>/dev/null || chgrp "$(id -gn nobody)" "$secret"
	chmod 640 "$secret"
	[ "$(login_reply dave@example.org davepw)" = "235 2.7.0 Authentication successful" ]
	[ "$(login_reply carol@example.org carolpw)" = "535 5.7.8 Authentication credentials invalid" ]
}
