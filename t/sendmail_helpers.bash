# sendmail_helpers.bash - for t/sendmail*.bats: mailc under the name
# sendmail (a link in the test's root, never /usr/sbin/sendmail) and a
# home of its own for ~/dead.letter.  Reading back what was delivered is
# helpers.bash's stored, header_of, body_of.

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
