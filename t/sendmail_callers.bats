#!/usr/bin/env bats
# sendmail_callers.bats - the programs that send mail through sendmail,
# each run with the command line it really uses, against mailc linked as
# sendmail (pointed at explicitly: the machine's /usr/sbin/sendmail is
# never used nor changed) and a daemon on loopback.  bsd-mailx comes
# unpacked from its .deb by `make test-debs` (its package depends on an
# MTA); s-nail, PHP and git send-email are installed by `make test-tools`.

load helpers
load sendmail_helpers

DEBS=$REPO/build/debs

setup() {
	sendmail_setup
	export USER=alice
}

teardown() {
	test_teardown
}

@test "bsd-mailx: mail -s, with its sendmail variable pointing at us (it runs sendmail -i -t)" {
	[ -x "$DEBS/usr/bin/bsd-mailx" ] || { echo "run make test-debs first" >&2; false; }
	printf 'set sendmail=%s\n' "$SENDMAIL" >"$HOME/.mailrc"
	printf 'Hello from mail(1)\n.\nafter a lone dot\n' |
		MAILRC=$HOME/.mailrc LD_LIBRARY_PATH=$DEBS/usr/lib/x86_64-linux-gnu \
		"$DEBS/usr/bin/bsd-mailx" -s "bsd-mailx subject" bob@example.org
	f=$(stored bob)
	cat "$f"
	header_of "$f" | grep -qx 'Subject: bsd-mailx subject'
	header_of "$f" | grep -qx 'To: bob@example.org'
	header_of "$f" | grep -qx "From: alice@mailc.test"
	[ "$(body_of "$f")" = "$(printf 'Hello from mail(1)\n.\nafter a lone dot')" ]
}

@test "s-nail: mta= set to our sendmail (it runs sendmail -i -- rcpt)" {
	printf 'Hello from s-nail\n' |
		s-nail -:/ -Smta="$SENDMAIL" -s "s-nail subject" -r alice@example.org \
		bob@example.org
	f=$(stored bob)
	cat "$f"
	header_of "$f" | grep -qx 'Subject: s-nail subject'
	header_of "$f" | grep -qx 'From: alice@example.org'
	grep -qx 'Return-Path: <alice@example.org>' "$f"
	[ "$(body_of "$f")" = "Hello from s-nail" ]
}

@test "cron: its exact argument list -FCronDaemon -i -B8BITMIME -oem rcpt and its message" {
	{
		printf 'From: root (Cron Daemon)\nTo: bob@example.org\n'
		printf 'Subject: Cron <root@host> run-parts /etc/cron.hourly\n'
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n'
		printf 'Content-Transfer-Encoding: 8bit\nX-Cron-Env: <SHELL=/bin/sh>\n'
		printf 'X-Cron-Env: <HOME=/root>\n\nline one\n.\nline after the dot\n'
	} | "$SENDMAIL" -FCronDaemon -i -B8BITMIME -oem bob@example.org
	f=$(stored bob)
	cat "$f"
	header_of "$f" | grep -qx 'From: root (Cron Daemon)'
	header_of "$f" | grep -qx 'Subject: Cron <root@host> run-parts /etc/cron.hourly'
	header_of "$f" | grep -qx 'X-Cron-Env: <HOME=/root>'
	[ "$(body_of "$f")" = "$(printf 'line one\n.\nline after the dot')" ]
}

@test "PHP: mail() with sendmail_path \"sendmail -t -i\"; a refused recipient makes mail() false" {
	cat >"$TROOT/mail.php" <<-'PHP'
	<?php
	$ok = mail($argv[1], "PHP subject", "Hello from PHP\n.\nthe end",
	           "From: alice@example.org\r\nX-Mailer: PHP");
	exit($ok ? 0 : 1);
	PHP
	php -n -d "sendmail_path=$SENDMAIL -t -i" "$TROOT/mail.php" bob@example.org
	f=$(stored bob)
	cat "$f"
	header_of "$f" | grep -qx 'To: bob@example.org'
	header_of "$f" | grep -qx 'Subject: PHP subject'
	header_of "$f" | grep -qx 'X-Mailer: PHP'
	[ "$(body_of "$f")" = "$(printf 'Hello from PHP\n.\nthe end')" ]
	run php -n -d "sendmail_path=$SENDMAIL -t -i" "$TROOT/mail.php" nosuchuser@example.org
	echo "$output"
	[ "$status" -eq 1 ]
	grep -qx 'Subject: PHP subject' "$HOME/dead.letter"
}

@test "git send-email --sendmail-cmd: the patch arrives and git am applies it" {
	export GIT_AUTHOR_NAME=Alice GIT_AUTHOR_EMAIL=alice@example.org
	export GIT_COMMITTER_NAME=Alice GIT_COMMITTER_EMAIL=alice@example.org
	git init -q "$TROOT/repo"
	printf 'a line\n.\nanother\n' >"$TROOT/repo/file"
	git -C "$TROOT/repo" add file
	git -C "$TROOT/repo" commit -qm "add file"
	git -C "$TROOT/repo" format-patch -q -1 -o "$TROOT/patches"
	(cd "$TROOT/repo" && git send-email --sendmail-cmd="$SENDMAIL" --to=bob@example.org \
		--from="Alice <alice@example.org>" --confirm=never --quiet "$TROOT"/patches/*.patch)
	f=$(stored bob)
	cat "$f"
	header_of "$f" | grep -qx 'Subject: \[PATCH\] add file'
	stored alice # Cc'd as the author
	git init -q "$TROOT/other"
	git -C "$TROOT/other" am -q <"$f"
	cmp "$TROOT/repo/file" "$TROOT/other/file"
	[ "$(git -C "$TROOT/other" log -1 --format=%s)" = "add file" ]
}

# sm_expect PREFIX: read replies from sendmail -bs up to a last line
# starting with PREFIX (a continuation "NNN-" line goes on); 1 otherwise
sm_expect() {
	local line
	while IFS= read -r -t 20 line <&"$sm_out"; do
		line=${line%$'\r'}
		echo "S: $line"
		[[ $line == "$1"* ]] && return 0
		[[ $line =~ ^[0-9]{3}- ]] || return 1
	done
	return 1
}
sm_send() {
	echo "C: $1"
	printf '%s\r\n' "$1" >&"$sm_in"
}

@test "sendmail -bs driven by a small script: the SMTP dialogue goes through to the server" {
	coproc SM { "$SENDMAIL" -bs 2>"$TROOT/bs.err"; }
	sm_pid=$SM_PID
	# bash closes a coprocess's descriptors when it ends: keep copies
	exec {sm_out}<&"${SM[0]}" {sm_in}>&"${SM[1]}"
	sm_expect "220 "
	sm_send "EHLO script.example.org"
	sm_expect "250 "
	sm_send "MAIL FROM:<alice@example.org>"
	sm_expect "250 "
	sm_send "RCPT TO:<bob@example.org>"
	sm_expect "250 "
	sm_send "RCPT TO:<nosuchuser@example.org>"
	sm_expect "550 "
	sm_send "DATA"
	sm_expect "354 "
	sm_send "Subject: by -bs"
	sm_send ""
	sm_send "..a stuffed dot"
	sm_send "."
	sm_expect "250 "
	sm_send "QUIT"
	sm_expect "221 "
	exec {sm_in}>&-
	wait "$sm_pid"
	exec {sm_out}<&-
	f=$(stored bob)
	cat "$f"
	grep -qx 'Return-Path: <alice@example.org>' "$f"
	[ "$(body_of "$f")" = ".a stuffed dot" ]
}

@test "sendmail -bs with the server unreachable: a 421 in its place, exit 75" {
	MAILC_PORT=$(free_port) run "$SENDMAIL" -bs </dev/null
	echo "$output"
	[ "$status" -eq 75 ]
	[[ "$output" == *"421 4.4.1 "* ]]
}
