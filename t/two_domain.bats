#!/usr/bin/env bats
# two_domain.bats - the whole system end to end, as two users would use
# it: two daemons, abc.com and xyz.com, each routing the other's domain
# to it.  alice@abc.com sends with `mailc` through abc's submission port;
# abc's relay child carries the message to xyz; bob@xyz.com lists it
# with `mailc inbox` and reads it with `mailc read` over xyz's POP3
# port, answers, and alice reads (and deletes) the answer at abc.  The
# body has "." and ".." lines, which must survive SMTP in, the relay's
# SMTP out, and POP3 out.

load helpers

setup() {
	daemon_init abc abc.com
	daemon_init xyz xyz.com
	daemon_conf abc "route xyz.com 127.0.0.1:$xyz_SMTP"
	daemon_conf xyz "route abc.com 127.0.0.1:$abc_SMTP"
	daemon_start abc
	daemon_start xyz
	export MAILC_HOST=127.0.0.1
	unset MAILC_USER MAILC_PORT MAILC_POP3_PORT
}

teardown() { test_teardown; }

# inbox_has N USER PASSWORD POP3PORT: mailc inbox lists N messages
inbox_has() {
	local out
	out=$(MAILC_PASSWORD=$3 "$MAILC_BIN" inbox -u "$2" -p "$4") || return 1
	[ "$(printf '%s' "$out" | grep -c .)" = "$1" ]
}

@test "alice@abc.com writes to bob@xyz.com; bob reads it with mailc; alice reads the answer" {
	printf 'Hello Bob,\n.\n..\nsee you.\n' >"$TEST_ROOT/body"
	MAILC_PASSWORD=alicepw run "$MAILC_BIN" -p "$abc_SUBMIT" -u alice@abc.com \
		-s "Lunch on Friday" bob@xyz.com <"$TEST_ROOT/body"
	echo "$output"
	[ "$status" = 0 ]

	# bob's inbox at xyz: one line with alice as the sender
	wait_for 20 inbox_has 1 bob@xyz.com bobpw "$xyz_POP3"
	MAILC_PASSWORD=bobpw run "$MAILC_BIN" inbox -u bob@xyz.com -p "$xyz_POP3"
	echo "$output"
	[ "$status" = 0 ]
	[[ "${lines[0]}" =~ ^\ \ \ 1\ \ .+\ \ alice@abc\.com\ +\ \ Lunch\ on\ Friday\ \ \([0-9]+\ octets\)$ ]]

	# the message as xyz stored it, trace lines of both hops on top
	MAILC_PASSWORD=bobpw "$MAILC_BIN" read 1 -u bob@xyz.com -p "$xyz_POP3" >"$TEST_ROOT/read"
	cat "$TEST_ROOT/read"
	cmp "$TEST_ROOT/read" "$xyz_ROOT"/mail/xyz.com/bob/cur/*
	[ "$(sed -n 1p "$TEST_ROOT/read")" = "Return-Path: <alice@abc.com>" ]
	grep -Eq '^Received: from mx\.abc\.com .* by mx\.xyz\.com \(smtpd\) with ESMTP ' "$TEST_ROOT/read"
	grep -Eq '^Received: from .* by mx\.abc\.com \(smtpd\) with ESMTPA ' "$TEST_ROOT/read"
	grep -qx 'Subject: Lunch on Friday' "$TEST_ROOT/read"
	sed '1,/^$/d' "$TEST_ROOT/read" | cmp - "$TEST_ROOT/body"

	# bob answers through xyz; alice reads and deletes it at abc
	printf 'Friday is fine.\n' |
		MAILC_PASSWORD=bobpw "$MAILC_BIN" -p "$xyz_SUBMIT" -u bob@xyz.com -s "Re: Lunch on Friday" alice@abc.com
	wait_for 20 inbox_has 1 alice@abc.com alicepw "$abc_POP3"
	MAILC_PASSWORD=alicepw run "$MAILC_BIN" read 1 -d -u alice@abc.com -p "$abc_POP3"
	echo "$output"
	[ "$status" = 0 ]
	[[ "$output" == *"Subject: Re: Lunch on Friday"* ]]
	[[ "$output" == *"Friday is fine."* ]]
	run inbox_has 0 alice@abc.com alicepw "$abc_POP3"
	[ "$status" = 0 ]
	# bob's copy is still there until he deletes it
	inbox_has 1 bob@xyz.com bobpw "$xyz_POP3"
}
