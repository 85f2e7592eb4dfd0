#!/usr/bin/env bats
# sendmail_install.bats - `make install` makes SBINDIR/sendmail a link to
# the installed mailc, which then sends as sendmail; it never replaces
# another sendmail there, and `make uninstall` removes only its own link.
# Runs on the binaries under test ($(B) is the directory above
# $SMTPD_BIN's smtpd/), into a DESTDIR and a temporary tree only.

load helpers
load sendmail_helpers

setup() {
	test_root
	B=$(cd "$(dirname "$SMTPD_BIN")/.." && pwd)
	[ "$B/mailc/mailc" -ef "$MAILC_BIN" ] ||
		skip "\$SMTPD_BIN and \$MAILC_BIN are not one build's \$(B)/smtpd/smtpd and \$(B)/mailc/mailc"
	# the variant it was built as (TLS=0 or 1): make would rebuild another
	BV=$(cat "$B/.variant" 2>/dev/null || echo TLS=0)
	if ! make -q -C "$REPO" B="$B" "$BV" all; then
		echo "$B is older than its sources: build it first" >&2
		return 1
	fi
	D=$TEST_ROOT/dest
}

teardown() {
	test_teardown
}

@test "make install links SBINDIR/sendmail to mailc, uninstall removes the link" {
	make -C "$REPO" B="$B" "$BV" DESTDIR="$D" install >"$TEST_ROOT/install.log" 2>&1
	[ -L "$D/usr/local/sbin/sendmail" ]
	[ "$(readlink "$D/usr/local/sbin/sendmail")" = /usr/local/bin/mailc ]
	# a second install keeps it
	make -C "$REPO" B="$B" "$BV" DESTDIR="$D" install >>"$TEST_ROOT/install.log" 2>&1
	[ "$(readlink "$D/usr/local/sbin/sendmail")" = /usr/local/bin/mailc ]
	make -C "$REPO" B="$B" "$BV" DESTDIR="$D" uninstall >>"$TEST_ROOT/install.log" 2>&1
	[ ! -e "$D/usr/local/sbin/sendmail" ] && [ ! -L "$D/usr/local/sbin/sendmail" ]
}

@test "another sendmail in SBINDIR is kept by install and by uninstall" {
	mkdir -p "$D/usr/local/sbin"
	printf '#!/bin/sh\nexit 0\n' >"$D/usr/local/sbin/sendmail"
	run make -C "$REPO" B="$B" "$BV" DESTDIR="$D" install
	[ "$status" -eq 0 ]
	[[ "$output" == *"another sendmail, kept"* ]]
	[ ! -L "$D/usr/local/sbin/sendmail" ]
	grep -q 'exit 0' "$D/usr/local/sbin/sendmail"
	make -C "$REPO" B="$B" "$BV" DESTDIR="$D" uninstall >>"$TEST_ROOT/install.log" 2>&1
	grep -q 'exit 0' "$D/usr/local/sbin/sendmail"
}

@test "the installed sendmail link sends a message" {
	make -C "$REPO" B="$B" "$BV" PREFIX="$TEST_ROOT/usr" SYSCONFDIR="$TEST_ROOT/etc" \
		UNITDIR="$TEST_ROOT/units" MAILROOT="$TEST_ROOT/var/mail" \
		QUEUEDIR="$TEST_ROOT/var/spool" RUNUSER=nobody install \
		>"$TEST_ROOT/install.log" 2>&1
	[ "$(readlink "$TEST_ROOT/usr/sbin/sendmail")" = "$TEST_ROOT/usr/bin/mailc" ]
	smtpd_start
	printf 'Subject: installed\n\nvia the link\n' |
		MAILC_HOST=127.0.0.1 MAILC_PORT=$SMTP_PORT \
		"$TEST_ROOT/usr/sbin/sendmail" -i -f alice@example.org bob@example.org
	f=$(stored bob)
	header_of "$f" | grep -qx 'Subject: installed'
}
