#!/usr/bin/env bats
# aliases.bats - `aliases FILE`, `recipient_delimiter`, postmaster
# (issue 11, part 2; smtpd.conf(5) ALIASES): exact alias, several
# targets, alias to alias, a loop in the file, the catch-all, user+tag,
# postmaster with no domain and at each local domain (and where its mail
# goes when nothing names it), forwarding to a remote address through a
# second daemon with the original sender, Delivered-To: in what is
# stored, a bad line reported by its number while the rest is used, the
# file re-read when it changes, a bad reload keeping the old table, and
# what smtpd -n says.

load helpers
load smtp_helpers
load relay_helpers

setup() {
	daemon_init main example.org
	echo 'carol@example.net:{PLAIN}carolpw' >>"$main_ROOT/etc/passwd"
	ALIASES=$main_ROOT/etc/aliases
}

teardown() { test_teardown; }

# aliases_file LINE...: the aliases file is these lines
aliases_file() { printf '%s\n' "$@" >"$ALIASES"; }

# start [LINE...]: the daemon for example.org and example.net, with the
# aliases file and recipient_delimiter +
start() {
	smtpd_start "domain example.net" "aliases aliases" \
		"recipient_delimiter +" "$@"
}

# send RCPT...: one message from sender@remote.example (pipelined); the
# replies in $output
send() {
	local r cmds=("EHLO client.remote.example" "MAIL FROM:<sender@remote.example>")
	for r in "$@"; do cmds+=("RCPT TO:<$r>"); done
	cmds+=(DATA "From: sender@remote.example" "Subject: ${SUBJECT:-alias test}"
		"" "hello" "." QUIT)
	run chat -p "$SMTP_PORT" "${cmds[@]}"
	echo "$output"
}

# n DOMAIN USER: messages in that Maildir's new/ (main's)
n() { maildir_count "$1" "$2"; }

# the only message of DOMAIN USER
only() {
	local f
	f=$(maildir_files "$1" "$2")
	[ "$(printf '%s\n' "$f" | grep -c .)" = 1 ] || {
		echo "expected one message for $2@$1, found: $f" >&2
		return 1
	}
	echo "$f"
}

delivered() { grep -q '^250 Message received and to be delivered$' <<<"$output"; }

@test "an exact alias: accepted, stored in the account's Maildir with Delivered-To: below Return-Path:" {
	aliases_file "# the help desk" "info@example.org: bob"
	start
	send info@example.org
	grep -q '^250 2.1.5 Recipient OK$' <<<"$output"
	delivered
	f=$(only example.org bob)
	[ "$(n example.org alice)" = 0 ]
	run sed -n 1,3p "$f"
	[ "${lines[0]}" = "Return-Path: <sender@remote.example>" ]
	[ "${lines[1]}" = "Delivered-To: bob@example.org" ]
	[[ ${lines[2]} == "Received: from client.remote.example ([127.0.0.1]) by mx.example.org (smtpd) with ESMTP id "*" for <bob@example.org>; "* ]]
	[ "$(grep -c '^Delivered-To:' "$f")" = 1 ]
	grep -q 'to=<info@example.org> expands to 1 address$' "$TROOT/smtpd.log"
}

@test "an account, no aliases file: Delivered-To: its own address" {
	smtpd_start
	send alice@example.org
	delivered
	f=$(only example.org alice)
	[ "$(sed -n 2p "$f")" = "Delivered-To: alice@example.org" ]
}

@test "several targets, a user-name alias at every local domain, alias to alias: one copy each" {
	aliases_file "team: alice, bob" \
		"staff@example.org: team@example.org,alice@example.org , carol@example.net"
	start
	send staff@example.org
	delivered
	[ "$(n example.org alice)" = 1 ]
	[ "$(n example.org bob)" = 1 ]
	[ "$(n example.net carol)" = 1 ]
	[ "$(sed -n 2p "$(only example.org alice)")" = "Delivered-To: alice@example.org" ]
	[ "$(sed -n 2p "$(only example.net carol)")" = "Delivered-To: carol@example.net" ]
	# team at example.net is alice and bob at example.net: no such accounts
	send team@example.net
	grep -q '^550 5.1.1 <team@example.net>: Recipient address rejected: User unknown$' <<<"$output"
	# and the same address twice in one transaction is one copy
	send team@example.org alice@example.org
	delivered
	[ "$(n example.org alice)" = 2 ]
	[ "$(n example.org bob)" = 2 ]
}

@test "a loop in the aliases file is refused at once; a self-reference keeps the account's copy" {
	aliases_file "a: b" "b: c" "c: a" "self: self, alice" \
		"bob: bob, alice" "fan: fan, fan, fan, a, self"
	start
	SECONDS=0
	send a@example.org
	grep -q '^550 5.4.6 <a@example.org>: Recipient address rejected: alias loop$' <<<"$output"
	[ "$SECONDS" -lt 10 ]
	grep -q 'alias loop: <a@example.org> comes back to itself' "$TROOT/smtpd.log"
	# self has no account: the loop branch is dropped, alice stays
	send self@example.org
	delivered
	[ "$(n example.org alice)" = 1 ]
	# bob is an account: `bob: bob, alice` is bob's copy and alice's
	send bob@example.org
	delivered
	[ "$(n example.org bob)" = 1 ]
	[ "$(n example.org alice)" = 2 ]
	send fan@example.org
	delivered
	[ "$(n example.org alice)" = 3 ]
}

@test "the catch-all takes what nothing else does, only in its domain" {
	aliases_file "@example.org: alice" "info: bob"
	start
	send nosuch@example.org
	delivered
	f=$(only example.org alice)
	# Delivered-To: is the address that reached the account
	[ "$(sed -n 2p "$f")" = "Delivered-To: alice@example.org" ]
	send bob@example.org info@example.org
	delivered
	[ "$(n example.org bob)" = 1 ]
	[ "$(n example.org alice)" = 1 ]
	send nosuch@example.net
	grep -q '^550 5.1.1 <nosuch@example.net>: Recipient address rejected: User unknown$' <<<"$output"
}

@test "user+tag: the account (Delivered-To: as written), the alias, an exact match first" {
	aliases_file "info: alice" "bob+special@example.org: alice"
	start
	send bob+lists@example.org
	delivered
	f=$(only example.org bob)
	[ "$(sed -n 2p "$f")" = "Delivered-To: bob+lists@example.org" ]
	send info+x@example.org
	delivered
	[ "$(n example.org alice)" = 1 ]
	send bob+special@example.org
	delivered
	[ "$(n example.org alice)" = 2 ]
	[ "$(n example.org bob)" = 1 ]
	send nosuch+x@example.org
	grep -q '^550 5.1.1 <nosuch+x@example.org>: Recipient address rejected: User unknown$' <<<"$output"
}

@test "without recipient_delimiter, bob+tag is no one" {
	aliases_file "info: alice"
	smtpd_start "aliases aliases"
	send bob+lists@example.org
	grep -q '^550 5.1.1 <bob+lists@example.org>: Recipient address rejected: User unknown$' <<<"$output"
}

@test "postmaster: with no domain in any case, and at every local domain, goes where the alias says" {
	aliases_file "postmaster: alice@example.org"
	start
	for r in Postmaster postmaster POSTMASTER postmaster@example.org \
		PostMaster@example.net postmaster@EXAMPLE.NET; do
		send "$r"
		grep -q '^250 2.1.5 Recipient OK$' <<<"$output"
		delivered
	done
	[ "$(n example.org alice)" = 6 ]
	[ "$(n example.net carol)" = 0 ]
	grep -q 'to=<postmaster@example.org> expands to 1 address$' "$TROOT/smtpd.log"
}

@test "postmaster, no aliases file: the account, else the first domain's postmaster, else its Maildir" {
	echo 'postmaster@example.net:{PLAIN}pmpw' >>"$main_ROOT/etc/passwd"
	smtpd_start "domain example.net"
	send postmaster@example.net
	delivered
	[ "$(n example.net postmaster)" = 1 ]
	# example.org has none: its postmaster (and <postmaster>) is kept in
	# the Maildir postmaster@example.org would have
	send postmaster@example.org
	delivered
	send Postmaster
	delivered
	[ "$(n example.org postmaster)" = 2 ]
	f=$(maildir_files example.org postmaster | head -n 1)
	[ "$(sed -n 2p "$f")" = "Delivered-To: postmaster@example.org" ]
}

@test "postmaster of a second domain with nothing there is the first domain's" {
	aliases_file "postmaster@example.org: bob"
	start
	send postmaster@example.net
	delivered
	[ "$(n example.org bob)" = 1 ]
}

@test "smtpd -n warns when postmaster leads nowhere, and not when it leads somewhere" {
	aliases_file "info: bob"
	daemon_conf main "domain example.net" "aliases aliases"
	daemon_write_conf main
	run "$SMTPD_BIN" -n -f "$main_ROOT/etc/smtpd.conf"
	[ "$status" = 0 ]
	[[ $output == *"warning: postmaster@example.org leads nowhere"*"/mail/example.org/postmaster, which no account reads"*'"postmaster: you@example.org"'* ]]
	[[ $output == *"configuration OK"* ]]
	aliases_file "postmaster: alice"
	run "$SMTPD_BIN" -n -f "$main_ROOT/etc/smtpd.conf"
	[ "$status" = 0 ]
	[[ $output != *"leads nowhere"* ]]
	# a catch-all that reaches someone is enough too
	aliases_file "@example.org: bob"
	run "$SMTPD_BIN" -n -f "$main_ROOT/etc/smtpd.conf"
	[ "$status" = 0 ]
	[[ $output != *"leads nowhere"* ]]
}

@test "bad lines: each reported with its number and skipped at start, the rest used; smtpd -n fails on them" {
	aliases_file "info: bob" \
		"pipe: |/usr/bin/procmail" \
		'quoted: "|/bin/sh -c x"' \
		"file: /var/mail/file" \
		"inc: :include:/etc/list" \
		"no colon here" \
		"bad: not an address@" \
		"  carol@example.net" \
		"info: alice" \
		"sales: alice"
	start
	log=$TROOT/smtpd.log
	grep -q "aliases:2: pipes to commands are not supported" "$log"
	grep -q "aliases:3: pipes to commands are not supported" "$log"
	grep -q "aliases:4: file targets are not supported" "$log"
	grep -q "aliases:5: :include: is not supported" "$log"
	grep -q "aliases:6: expected address: target, ..." "$log"
	grep -q "aliases:7: a target is not a valid address" "$log"
	grep -q "aliases:8: a continuation line with no good alias line before it" "$log"
	grep -q "aliases:9: duplicate alias info (the first is line 1)" "$log"
	send info@example.org sales@example.org pipe@example.org
	grep -q '^550 5.1.1 <pipe@example.org>: Recipient address rejected: User unknown$' <<<"$output"
	delivered
	[ "$(n example.org bob)" = 1 ]
	[ "$(n example.org alice)" = 1 ]
	run "$SMTPD_BIN" -n -f "$main_ROOT/etc/smtpd.conf"
	[ "$status" = 78 ]
	[[ $output == *"aliases:2: pipes to commands are not supported"* ]]
}

@test "continuation lines add targets" {
	aliases_file "list: alice," "	bob" "# a comment inside" "  carol@example.net"
	start
	send list@example.org
	delivered
	[ "$(n example.org alice)" = 1 ]
	[ "$(n example.org bob)" = 1 ]
	[ "$(n example.net carol)" = 1 ]
}

@test "the file is re-read when it changes; a reload with a bad line keeps the old table" {
	aliases_file "info: alice"
	start
	send info@example.org
	delivered
	[ "$(n example.org alice)" = 1 ]
	aliases_file "info: bob" "help: bob"
	send info@example.org help@example.org
	delivered
	[ "$(n example.org bob)" = 1 ]
	[ "$(n example.org alice)" = 1 ]
	grep -q "aliases: reloaded, 2 aliases" "$TROOT/smtpd.log"
	# a half-edited file changes nothing, and says why
	aliases_file "info: alice" "help: |/bin/true"
	send info@example.org help@example.org
	delivered
	[ "$(n example.org bob)" = 2 ]
	[ "$(n example.org alice)" = 1 ]
	grep -q "aliases: 1 malformed line: keeping the previous 2 aliases (line 2: pipes to commands are not supported)" "$TROOT/smtpd.log"
	# a removed file, too
	rm "$ALIASES"
	send info@example.org
	delivered
	[ "$(n example.org bob)" = 3 ]
	# SIGHUP re-reads it when it is back
	aliases_file "info: alice"
	kill -HUP "$SMTPD_PID"
	wait_for 10 grep -q "aliases: reloaded, 1 aliases" "$TROOT/smtpd.log"
	send info@example.org
	delivered
	[ "$(n example.org alice)" = 2 ]
}

@test "an alias that expands past max_recipients: 550 5.5.3 alone, 452 4.5.3 when the rest is taken" {
	aliases_file "big: alice, bob, carol@example.net" "two: alice, bob"
	start "max_recipients 2"
	send big@example.org
	grep -q '^550 5.5.3 <big@example.org>: Recipient address rejected: it expands to more than 2 recipients$' <<<"$output"
	send carol@example.net two@example.org
	grep -q '^452 4.5.3 Too many recipients$' <<<"$output"
	delivered
	[ "$(n example.net carol)" = 1 ]
	[ "$(n example.org alice)" = 0 ]
}

@test "forwarding: a remote target is queued and relayed with the original sender and Delivered-To: of the alias" {
	daemon_init xyz xyz.com
	daemon_start xyz
	aliases_file "fwd@example.org: bob@xyz.com, alice"
	start "route xyz.com 127.0.0.1:$xyz_SMTP"
	send fwd@example.org
	delivered
	[ "$(n example.org alice)" = 1 ]
	[ "$(sed -n 2p "$(only example.org alice)")" = "Delivered-To: alice@example.org" ]
	wait_for 20 has 1 xyz xyz.com bob
	f=$(maildir_files xyz.com bob xyz)
	run sed -n 1,4p "$f"
	[ "${lines[0]}" = "Return-Path: <sender@remote.example>" ]
	[ "${lines[1]}" = "Delivered-To: bob@xyz.com" ]
	[[ ${lines[2]} == "Received: from mx.example.org ([127.0.0.1]) by mx.xyz.com "* ]]
	[ "${lines[3]}" = "Delivered-To: fwd@example.org" ]
	grep -q '^Received: from client.remote.example (\[127.0.0.1\]) by mx.example.org (smtpd) with ESMTP id [0-9A-F]* for <bob@xyz.com>; ' "$f"
	wait_for 10 queue_empty main
	grep -q 'to=<bob@xyz.com> status=queued' "$TROOT/smtpd.log"
}

@test "postmaster whose alias leads nowhere, at a second domain too: kept in the first domain's postmaster Maildir" {
	aliases_file "postmaster: nosuch@example.org"
	start
	send postmaster@example.net
	delivered
	send postmaster@example.org
	delivered
	[ "$(n example.org postmaster)" = 2 ]
	grep -q 'alias postmaster (line 1): for <postmaster@example.net>, target nosuch@example.org leads nowhere' "$TROOT/smtpd.log"
}

@test "a quoted local part holding an @ reaches no other domain's alias and no catch-all by name" {
	aliases_file "secret@example.net: carol@example.net" "@example.net: carol@example.net"
	start
	send '"secret@example.net"@example.org' '"@example.net"@example.org'
	grep -q '^550 5.1.1 <"secret@example.net"@example.org>: Recipient address rejected: User unknown$' <<<"$output"
	grep -q '^550 5.1.1 <"@example.net"@example.org>: Recipient address rejected: User unknown$' <<<"$output"
	[ "$(n example.net carol)" = 0 ]
	# the alias itself still works
	send secret@example.net
	delivered
	[ "$(n example.net carol)" = 1 ]
}
