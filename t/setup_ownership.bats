#!/usr/bin/env bats
# setup_ownership.bats - started as root, smtpd hands the queue, its
# tmp/ data/ env/ and wake FIFO, and the mailbox root to `user` (issue 7
# item 2).  The run user owns the directories these sit in, so it can
# put a link there to a file of root's; the next start as root must not
# chown through it, and must refuse to start, naming the path.  Each
# attack here is done as nobody, as the real one would be.  Needs root.

load helpers

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root (the daemon runs as nobody)"
}

teardown() { test_teardown; }

as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}

# as nobody, put a link to target at path, moving what was there to
# path.old (a link there is just removed)
plant_link() {
	as_nobody sh -c 'if [ -L "$1" ]; then rm "$1"; elif [ -e "$1" ]; then
		mv "$1" "$1.old"; fi && ln -s "$2" "$1"' - "$1" "$2"
}

# root's file and directory the attacker wants: outside the daemon's tree
make_victims() {
	VICTIM=$TEST_ROOT/victim
	VICTIM_DIR=$TEST_ROOT/victim.d
	echo "root's secret" >"$VICTIM"
	mkdir "$VICTIM_DIR"
	chmod 600 "$VICTIM"
	chmod 700 "$VICTIM_DIR"
	chown root:root "$VICTIM" "$VICTIM_DIR"
}

# start as root again, as a restart would; it must exit at once
restart_refused() {
	run timeout 30 "$SMTPD_BIN" -f "$TROOT/etc/smtpd.conf"
	echo "$output" | tee -a "$TROOT/refused.log"
	[ "$status" != 0 ]
	[ "$status" != 124 ] # still running after 30 s: it started
}

owner_of() {
	stat -c %u:%g "$1"
}

@test "root start-up: queue/wake replaced by a link to root's file is refused, the file stays root's" {
	smtpd_start
	daemon_stop main
	make_victims
	plant_link "$TROOT/queue/wake" "$VICTIM"
	restart_refused
	[[ $output == *"/queue/wake: a symbolic link, not a FIFO owned by nobody: refusing to start"* ]]
	[ "$(owner_of "$VICTIM")" = 0:0 ]
	[ "$(cat "$VICTIM")" = "root's secret" ]
}

@test "root start-up: queue/wake replaced by a regular file is refused" {
	smtpd_start
	daemon_stop main
	as_nobody sh -c 'rm "$1/queue/wake" && : >"$1/queue/wake"' - "$TROOT"
	restart_refused
	[[ $output == *"/queue/wake: a regular file, not a FIFO owned by nobody: refusing to start"* ]]
}

@test "root start-up: a queue subdirectory replaced by a link to root's directory is refused, the directory stays root's" {
	smtpd_start
	daemon_stop main
	make_victims
	for sub in tmp data env; do
		plant_link "$TROOT/queue/$sub" "$VICTIM_DIR"
		restart_refused
		[[ $output == *"/queue/$sub: a symbolic link, not a directory owned by nobody: refusing to start"* ]]
		[ "$(owner_of "$VICTIM_DIR")" = 0:0 ]
		as_nobody sh -c 'rm "$1/queue/$2" && mv "$1/queue/$2.old" "$1/queue/$2"' \
			- "$TROOT" "$sub"
	done
	# the queue itself, in the daemon's directory (nobody's here)
	plant_link "$TROOT/queue" "$VICTIM_DIR"
	restart_refused
	[[ $output == *"/queue: a symbolic link, not a directory owned by nobody: refusing to start"* ]]
	[ "$(owner_of "$VICTIM_DIR")" = 0:0 ]
	[ -z "$(ls -A "$VICTIM_DIR")" ]
}

@test "root start-up: the mailbox root replaced by a link to root's directory or file is refused, both stay root's" {
	smtpd_start
	daemon_stop main
	make_victims
	plant_link "$TROOT/mail" "$VICTIM_DIR"
	restart_refused
	[[ $output == *"/mail: a symbolic link, not a directory owned by nobody: refusing to start"* ]]
	[ "$(owner_of "$VICTIM_DIR")" = 0:0 ]
	plant_link "$TROOT/mail" "$VICTIM"
	restart_refused
	[[ $output == *"/mail: a symbolic link, not a directory owned by nobody: refusing to start"* ]]
	[ "$(owner_of "$VICTIM")" = 0:0 ]
}

@test "root start-up: a link planted on the way to a mailbox root smtpd creates is not followed" {
	# the mailbox root does not exist yet: smtpd creates boxes/ (and
	# mail/) fresh; the attacker's mail -> root's directory must not
	# get a boxes/ of nobody's created in it
	smtpd_start
	daemon_stop main
	make_victims
	sed -i 's|^mailbox .*|mailbox ../mail/boxes/%d/%u|' "$TROOT/etc/smtpd.conf"
	plant_link "$TROOT/mail" "$VICTIM_DIR"
	restart_refused
	[[ $output == *"/mail/boxes: 'mail' on the way is a symbolic link root did not make: refusing to start"* ]]
	[ -z "$(ls -A "$VICTIM_DIR")" ]
	[ "$(owner_of "$VICTIM_DIR")" = 0:0 ]
}

@test "root start-up: what smtpd creates fresh is nobody's, of the right kind, and a restart keeps it" {
	daemon_init main example.org
	daemon_conf main "mailbox ../spool/mail/%d/%u" "queue ../spool/queue"
	daemon_start main
	r=$main_ROOT
	ls -la "$r" "$r/spool" "$r/spool/queue" >&2
	[ "$(stat -c '%F %U %a' "$r/spool")" = "directory root 755" ]
	[ "$(stat -c '%F %U %a' "$r/spool/queue")" = "directory nobody 700" ]
	for sub in tmp data env; do
		[ "$(stat -c '%F %U %a' "$r/spool/queue/$sub")" = "directory nobody 700" ]
	done
	[ "$(stat -c '%F %U %a' "$r/spool/queue/wake")" = "fifo nobody 600" ]
	[ "$(stat -c '%F %U %a' "$r/spool/mail")" = "directory nobody 755" ]
	# a delivery works through them
	run chat -p "$main_SMTP" "EHLO c" \
		"MAIL FROM:<s@remote.example>" "RCPT TO:<alice@example.org>" DATA \
		"Subject: fresh" "" "body" . QUIT
	echo "$output"
	[ "$(ls "$r/spool/mail/example.org/alice/new" | wc -l)" = 1 ]
	daemon_stop main
	daemon_start main
	[ "$(stat -c '%F %U' "$r/spool/queue/wake")" = "fifo nobody" ]
}
