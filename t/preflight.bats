#!/usr/bin/env bats
# preflight.bats - smtpd -n checks what a start would need of the system
# (issue 9 "Install"): the `user` exists (and, as root, is set and not
# root), and the queue and the mail root are directories that user can
# write, or start-up will make them so.  Each problem is one line naming
# the path, exit 78.  The roots are the test's own; most cases need root.

load helpers
load smtp_helpers

setup() {
	daemon_init main example.org
	# postmaster leads somewhere: smtpd -n says nothing of it
	echo 'postmaster@example.org:{PLAIN}pmpw' >>"$main_ROOT/etc/passwd"
	CONF=$main_ROOT/etc/smtpd.conf
	# absolute roots, so the messages name them as a reader would
	daemon_conf main "queue $main_ROOT/queue" "mailbox $main_ROOT/mail/%d/%u"
	daemon_write_conf main
}

teardown() { test_teardown; }

needs_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (smtpd -n predicts a start as root)"
}

# check [LINE...]: LINEs added to the test's config (later ones win),
# then smtpd -n on it; $output without the "smtpd[pid]: " prefixes
check() {
	printf '%s\n' "$@" >>"$CONF"
	run bash -c '"$SMTPD_BIN" -n -f "$1" 2>&1' - "$CONF"
	echo "$output" | tee -a "$TEST_ROOT/captured.log"
	output=$(sed 's/^smtpd\[[0-9]*\]: //' <<<"$output")
	echo "status $status"
}

@test "smtpd -n: a user that does not exist is 78, naming it; one that does passes" {
	# a fresh tree, nothing created yet: fine
	check
	[ "$status" = 0 ]
	[ "$output" = "smtpd: $CONF: configuration OK" ]
	# it only looked: start-up creates these, -n does not
	[ ! -e "$main_ROOT/queue" ]
	[ ! -e "$main_ROOT/mail" ]
	check "user _smtpd_no_such_user"
	[ "$status" = 78 ]
	[ "$output" = "$CONF: user: no such user '_smtpd_no_such_user': create it (useradd --system _smtpd_no_such_user) or name another" ]
}

@test "smtpd -n as root: no user, or user root, is 78: a start would refuse" {
	needs_root
	sed -i '/^user /d' "$CONF"
	run bash -c '"$SMTPD_BIN" -n -f "$1" 2>&1' - "$CONF"
	echo "$output"
	[ "$status" = 78 ]
	[[ $output == *"$CONF: no 'user' directive: started as root, smtpd would refuse to run as root" ]]
	check "user root"
	[ "$status" = 78 ]
	[ "$output" = "$CONF: user root: uid 0: smtpd drops root for the user, name an unprivileged one" ]
}

@test "smtpd -n as root: a queue owned by another user is 78: a start would refuse it" {
	needs_root
	mkdir "$main_ROOT/queue"
	chown 4242:4242 "$main_ROOT/queue"
	check
	[ "$status" = 78 ]
	[ "$output" = "$CONF: queue $main_ROOT/queue: owned by uid 4242, not by nobody nor root: starting would refuse it" ]
	# root's (or nobody's already) is handed over at start: fine
	chown root:root "$main_ROOT/queue"
	check
	[ "$status" = 0 ]
}

@test "smtpd -n as root: a queue its user could not write once handed over is 78" {
	needs_root
	mkdir -m 555 "$main_ROOT/queue"
	check
	[ "$status" = 78 ]
	[ "$output" = "$CONF: queue $main_ROOT/queue: not writable by nobody (uid $(id -u nobody), mode 0555, owner uid $(id -u nobody) once start-up hands it over)" ]
}

@test "smtpd -n: a mail root with a file on the way, or a link, is 78" {
	needs_root
	: >"$main_ROOT/file"
	check "mailbox $main_ROOT/file/mail/%d/%u"
	[ "$status" = 78 ]
	[ "$output" = "$CONF: mail root $main_ROOT/file/mail: $main_ROOT/file on the way is not a directory" ]
	mkdir "$main_ROOT/elsewhere"
	ln -s elsewhere "$main_ROOT/mail"
	check "mailbox $main_ROOT/mail/%d/%u"
	[ "$status" = 78 ]
	[ "$output" = "$CONF: mail root $main_ROOT/mail: a symbolic link: starting as root would refuse it" ]
}

@test "smtpd -n not as root: the roots must be writable by whoever runs it" {
	needs_root # to become nobody
	mkdir -p "$main_ROOT/queue" "$main_ROOT/mail"
	chown nobody: "$main_ROOT/queue"
	chmod 755 "$main_ROOT/mail" # root's: nobody cannot write it
	run setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		"$SMTPD_BIN" -n -f "$CONF"
	echo "$output" | tee -a "$TEST_ROOT/captured.log"
	[ "$status" = 78 ]
	[[ $output == *"$CONF: mail root $main_ROOT/mail: not writable by nobody (uid $(id -u nobody), mode 0755, owner uid 0)" ]]
	chown nobody: "$main_ROOT/mail"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		"$SMTPD_BIN" -n -f "$CONF"
	echo "$output"
	[ "$status" = 0 ]
}
