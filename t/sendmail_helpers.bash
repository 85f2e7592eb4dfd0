# sendmail_helpers.bash - for t/sendmail*.bats: mailc under the name
# sendmail (a link in the test's root, never /usr/sbin/sendmail), a home
# of its own for ~/dead.letter, and reading back what was delivered.

# sendmail_setup: a daemon on loopback, $SENDMAIL linked to mailc, $HOME
sendmail_setup() {
	smtpd_start
	export MAILC_HOST=127.0.0.1 MAILC_PORT=$SMTP_PORT
	unset MAILC_USER MAILC_PASSWORD
	mkdir -p "$TROOT/bin" "$TROOT/home"
	ln -s "$MAILC_BIN" "$TROOT/bin/sendmail"
	SENDMAIL=$TROOT/bin/sendmail
	export HOME=$TROOT/home
}

# the only file in USER@example.org's new/; fails unless there is exactly one
sm_stored() {
	local files
	files=$(maildir_files example.org "$1")
	[ "$(printf '%s\n' "$files" | grep -c .)" = 1 ] || {
		echo "expected one message for $1, found: $files" >&2
		return 1
	}
	echo "$files"
}

sm_header() { sed '/^$/q' "$1"; }
sm_body() { sed '1,/^$/d' "$1"; }
