#!/usr/bin/env bats
# install.bats - `make install` and `make uninstall` (issue 9 "Install"),
# run on the binaries under test ($(B) is the directory above
# $SMTPD_BIN's smtpd/), as root, as an admin would:
#   - into a DESTDIR: every file in place, the paths in the units, the
#     inetd sample and the config those of the install, none of DESTDIR;
#   - with every path in a temporary tree (PREFIX, SYSCONFDIR, UNITDIR,
#     MAILROOT, QUEUEDIR, RUNUSER=nobody): the installed config passes
#     `smtpd -n` as installed; with its listen lines moved to loopback
#     ports and an account added, the installed smtpd serves, the
#     installed mailc sends a message and reads it back over POP3; the
#     installed smtpd.service's ExecStartPre and ExecStart lines do too;
#   - a second install keeps the admin's config and accounts; uninstall
#     removes what install added and nothing of the admin's;
#   - a missing RUNUSER is created as a system user.
#
#   install_tree [VAR=VALUE...]  make install with the temporary tree's
#                   paths (and VARs), its output appended to install.log
#   loopback_conf   the installed config's listen lines moved to free
#                   loopback ports SMTP, SUBMIT, POP3, plus an account
#                   bob@example.com (password bobpw) and alice@example.com
#   start_inst CMD...  run the daemon command CMD in the background, its
#                   stderr in $I/smtpd.log, wait until SMTP answers

load helpers
load smtp_helpers

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root (installs as root does; the daemon runs as nobody)"
	test_root
	I=$TEST_ROOT/inst
	inst_ROOT=$I
	NEWUSER=
	B=$(cd "$(dirname "$SMTPD_BIN")/.." && pwd)
	[ "$B/mailc/mailc" -ef "$MAILC_BIN" ] ||
		skip "\$SMTPD_BIN and \$MAILC_BIN are not one build's \$(B)/smtpd/smtpd and \$(B)/mailc/mailc"
	# what make install installs is what is under test: nothing to build
	# the variant it was built as (TLS=0 or 1): make would rebuild another
	BV=$(cat "$B/.variant" 2>/dev/null || echo TLS=0)
	if ! make -q -C "$REPO" B="$B" "$BV" all; then
		echo "$B is older than its sources: build it first" >&2
		return 1
	fi
	TREE_VARS=(B="$B" "$BV" PREFIX="$I/usr" SYSCONFDIR="$I/etc"
		UNITDIR="$I/usr/lib/systemd/system" MAILROOT="$I/var/mail"
		QUEUEDIR="$I/var/spool/smtpd" RUNUSER=nobody)
	CONF=$I/etc/smtpd/smtpd.conf
}

teardown() {
	if [ -n "$NEWUSER" ] && id -u "$NEWUSER" >/dev/null 2>&1; then
		userdel "$NEWUSER" || true
		getent group "$NEWUSER" >/dev/null && groupdel "$NEWUSER" || true
	fi
	test_teardown
}

install_tree() {
	make -C "$REPO" "${TREE_VARS[@]}" "$@" install >>"$TEST_ROOT/install.log" 2>&1
}

loopback_conf() {
	SMTP=$(free_port) SUBMIT=$(free_port) POP3=$(free_port)
	sed -i -e "s/^listen *smtp .*/listen smtp 127.0.0.1:$SMTP/" \
		-e "s/^listen *submission .*/listen submission 127.0.0.1:$SUBMIT/" \
		-e "s/^listen *pop3 .*/listen pop3 127.0.0.1:$POP3/" "$CONF"
	[ "$(grep -c '^listen .* 127\.0\.0\.1:' "$CONF")" = 3 ]
	{
		echo "alice@example.com:$(echo alicepw | "$I/usr/sbin/smtpd" -H)"
		echo "bob@example.com:$(echo bobpw | "$I/usr/sbin/smtpd" -H)"
	} >>"$I/etc/smtpd/passwd"
}

start_inst() {
	"$@" 2>>"$I/smtpd.log" &
	inst_PID=$!
	DAEMONS+=(inst)
	wait_for 10 port_open "$SMTP" || {
		cat "$I/smtpd.log"
		return 1
	}
}

# the value of KEY= in the installed smtpd.service, without systemd's
# prefixes (-@:+!) on the command
unit_exec() {
	sed -n "s/^$1=[-@:+!]*//p" "$I/usr/lib/systemd/system/smtpd.service" | tail -n 1
}

# send from alice to bob with the installed mailc, read it back as bob
send_and_read() {
	run "$I/usr/bin/mailc" -H 127.0.0.1 -p "$SMTP" -f alice@example.com \
		-s "$1" bob@example.com <<<"hello from the installed mailc"
	echo "$output"
	[ "$status" = 0 ]
	MAILC_HOST=127.0.0.1 MAILC_POP3_PORT=$POP3 MAILC_PASSWORD=bobpw \
		run "$I/usr/bin/mailc" read 1 -u bob@example.com
	echo "$output"
	[ "$status" = 0 ]
	[[ $output == *"Subject: $1"* ]]
	[[ $output == *"hello from the installed mailc"* ]]
	# in the Maildir under the installed mail root
	ls "$I/var/mail/example.com/bob/cur" | grep -q .
}

@test "make install DESTDIR=...: every file in place, its paths the installed ones, none of DESTDIR" {
	local D=$TEST_ROOT/dest u want
	make -C "$REPO" B="$B" "$BV" DESTDIR="$D" install >>"$TEST_ROOT/install.log" 2>&1
	want=$(
		cd "$REPO"
		printf '%s\n' usr/local/sbin/smtpd usr/local/bin/mailc \
			usr/local/share/man/man1/mailc.1 \
			usr/local/share/man/man5/smtpd.conf.5 \
			usr/local/share/man/man8/smtpd.8 \
			usr/local/etc/smtpd/smtpd.conf \
			usr/local/etc/smtpd/smtpd.conf.sample \
			usr/local/etc/smtpd/inetd.conf.sample \
			usr/local/etc/smtpd/passwd \
			usr/local/etc/mailc.conf.sample
		for u in etc/systemd/*.service etc/systemd/*.socket; do
			echo "usr/local/lib/systemd/system/${u##*/}"
		done
	)
	diff <(echo "$want" | sort) <(cd "$D" && find . -type f | sed 's|^\./||' | sort)
	diff <(printf '%s\n' cur new tmp) <(ls "$D/usr/local/share/smtpd/maildir-skel")
	cmp "$D/usr/local/sbin/smtpd" "$SMTPD_BIN"
	cmp "$D/usr/local/bin/mailc" "$MAILC_BIN"
	[ -x "$D/usr/local/sbin/smtpd" ]
	# the accounts file: empty, 640
	[ "$(stat -c %a:%s "$D/usr/local/etc/smtpd/passwd")" = 640:0 ]
	cmp "$D/usr/local/etc/smtpd/smtpd.conf" "$D/usr/local/etc/smtpd/smtpd.conf.sample"
	# the default paths, and DESTDIR nowhere in what was installed
	grep -q '^ExecStart=.*/usr/local/sbin/smtpd .*-f /usr/local/etc/smtpd/smtpd.conf' \
		"$D/usr/local/lib/systemd/system/smtpd.service"
	grep -q '/usr/local/sbin/smtpd.*-f /usr/local/etc/smtpd/smtpd.conf' \
		"$D/usr/local/etc/smtpd/inetd.conf.sample"
	grep -q '^passwd  *\/usr/local/etc/smtpd/passwd$' "$D/usr/local/etc/smtpd/smtpd.conf"
	grep -q '^maildir_skel  *\/usr/local/share/smtpd/maildir-skel$' "$D/usr/local/etc/smtpd/smtpd.conf"
	run ! grep -rl "$D" "$D"
	# uninstall: only the admin's config and accounts file are left
	make -C "$REPO" B="$B" "$BV" DESTDIR="$D" uninstall >>"$TEST_ROOT/install.log" 2>&1
	diff <(printf '%s\n' usr/local/etc/smtpd/passwd usr/local/etc/smtpd/smtpd.conf) \
		<(cd "$D" && find . -type f | sed 's|^\./||' | sort)
	[ ! -e "$D/usr/local/share/smtpd" ]
}

@test "installed into a tree of its own: smtpd -n passes as installed, the installed smtpd and mailc send and read a message" {
	install_tree
	# the installed config, untouched, passes; so did make install's check
	grep -q "$CONF: configuration OK" "$TEST_ROOT/install.log"
	run "$I/usr/sbin/smtpd" -n -f "$CONF"
	echo "$output"
	[ "$status" = 0 ]
	# its paths are the tree's
	grep -q "^passwd  *$I/etc/smtpd/passwd$" "$CONF"
	grep -q "^mailbox  *$I/var/mail/%d/%u$" "$CONF"
	grep -q "^maildir_skel  *$I/usr/share/smtpd/maildir-skel$" "$CONF"
	grep -q "^queue  *$I/var/spool/smtpd$" "$CONF"
	grep -q "^user  *nobody$" "$CONF"
	# the accounts file, for smtpd to re-read as nobody
	[ "$(stat -c %a:%G "$I/etc/smtpd/passwd")" = "640:$(id -gn nobody)" ]
	loopback_conf
	start_inst "$I/usr/sbin/smtpd" -f "$CONF"
	send_and_read "installed"
	[ -d "$I/var/spool/smtpd/data" ]
}

@test "the installed smtpd.service: its ExecStartPre passes, its ExecStart serves" {
	local pre start w
	install_tree
	loopback_conf
	pre=$(unit_exec ExecStartPre)
	start=$(unit_exec ExecStart)
	echo "ExecStartPre=$pre"
	echo "ExecStart=$start"
	# every path they name is one install made
	for w in $pre $start; do
		case $w in /*) [ -e "$w" ] || { echo "missing: $w"; false; } ;; esac
	done
	[[ $start == "$I/usr/sbin/smtpd "*"-f $CONF"* ]]
	# systemd takes every installed unit as installed (Documentation=
	# names the installed man pages)
	(cd "$I/usr/lib/systemd/system" &&
		MANPATH="$I/usr/share/man" systemd-analyze verify ./*.service ./*.socket)
	read -ra pre <<<"$pre"
	run "${pre[@]}"
	echo "$output"
	[ "$status" = 0 ]
	read -ra start <<<"$start"
	start_inst "${start[@]}"
	send_and_read "from the unit"
}

@test "a second install keeps the admin's config and accounts; uninstall removes the rest, keeps them and the mail" {
	install_tree
	echo "# mine" >>"$CONF"
	echo "carol@example.com:{PLAIN}x" >>"$I/etc/smtpd/passwd"
	chmod 600 "$I/etc/smtpd/passwd"
	cp "$CONF" "$TEST_ROOT/conf.mine"
	cp "$I/etc/smtpd/passwd" "$TEST_ROOT/passwd.mine"
	echo "# older" >>"$I/etc/smtpd/smtpd.conf.sample"
	install_tree
	cmp "$CONF" "$TEST_ROOT/conf.mine"
	cmp "$I/etc/smtpd/passwd" "$TEST_ROOT/passwd.mine"
	[ "$(stat -c %a "$I/etc/smtpd/passwd")" = 600 ]
	grep -q "$CONF: kept" "$TEST_ROOT/install.log"
	# the sample is the new one
	run ! grep -q "# older" "$I/etc/smtpd/smtpd.conf.sample"
	mkdir -p "$I/var/mail/example.com/bob/new" "$I/var/spool/smtpd/data"
	echo mail >"$I/var/mail/example.com/bob/new/1"
	make -C "$REPO" "${TREE_VARS[@]}" uninstall >>"$TEST_ROOT/install.log" 2>&1
	diff <(printf '%s\n' etc/smtpd/passwd etc/smtpd/smtpd.conf var/mail/example.com/bob/new/1) \
		<(cd "$I" && find . -type f | sed 's|^\./||' | sort)
	[ -d "$I/var/spool/smtpd/data" ]
	[ ! -e "$I/usr/share/smtpd" ]
	run ! compgen -G "$I/usr/lib/systemd/system/*"
}

@test "make install as root creates a missing RUNUSER as a system user, the accounts file its group" {
	NEWUSER=_smtpdt$$
	! id -u "$NEWUSER" >/dev/null 2>&1 || skip "$NEWUSER exists"
	install_tree RUNUSER="$NEWUSER"
	id -u "$NEWUSER"
	[ "$(id -u "$NEWUSER")" -lt 1000 ]
	[ "$(stat -c %a:%G "$I/etc/smtpd/passwd")" = "640:$(id -gn "$NEWUSER")" ]
	grep -q "^user  *$NEWUSER$" "$CONF"
	run "$I/usr/sbin/smtpd" -n -f "$CONF"
	echo "$output"
	[ "$status" = 0 ]
}
