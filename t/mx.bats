#!/usr/bin/env bats
# mx.bats - `route * mx` (RFC 5321 §5.1): abc delivers by the MX records
# a DNS server on loopback (t/dnsd.py, `resolver`) gives from a zone each
# test writes; the MX hosts are two real daemons, p1 (mx1) and p2 (mx2),
# on port 25 of their own loopback addresses.  Covered: preference
# order and the next MX when the first is down or greets with 421, AAAA
# before A, equal preferences shuffled, the implicit MX, null MX (556
# 5.1.10), NXDOMAIN (5.1.2), SERVFAIL, a malformed answer and a DNS
# server that does not answer retried,
# this host among the MX hosts (only more preferred ones; none: 5.4.6),
# an answer too big for UDP fetched over TCP, a static route winning
# over mx, recipient verification through the MX (a null MX refused at
# RCPT), `smtpd -q` naming the host tried, and the config's checks.
# Then the bounds and edges: a 5xx greeting from the last host retried,
# MX records naming no valid host (451, no implicit MX), at most 5 MX
# hosts' addresses looked up and 5 addresses kept, at most 2 hosts that
# connect but do not greet per attempt, one deadline for a probe.

load helpers
load smtp_helpers
load relay_helpers
load mx_helpers

setup() {
	mx_setup
}

teardown() {
	mx_teardown
	test_teardown
}

# the status of bob@DOMAIN's last delivery attempt, as abc logs it
status_line() { grep "to=<bob@$1> status=" "$(log_of abc)" | tail -n 1; }
# how many delivery attempts abc made for bob@DOMAIN
attempts_for() { grep -Ec "to=<bob@$1> status=(sent|deferred|bounced) " "$(log_of abc)" || true; }
# alice_sends's message was taken
accepted() { [ "${lines[-2]}" = "250 Message received and to be delivered" ]; }

@test "mail goes to the most preferred MX host, not the others" {
	zone "example.net MX 20 mx2.example.net" "example.net MX 10 mx1.example.net"
	peer_start p1
	peer_start p2
	daemon_start abc
	alice_sends "by mx" bob@example.net
	accepted
	wait_for 15 has 1 p1 example.net bob
	has 0 p2 example.net bob
	wait_for 10 queue_empty abc
	grep -q "to=<bob@example.net> status=sent relay=mx1.example.net\[$MX1_ADDR\]:25 " "$(log_of abc)"
	grep -qx "udp example.net MX" "$DNS_LOG"
}

@test "the most preferred MX host down: the next one gets it" {
	zone "example.net MX 10 mx1.example.net" "example.net MX 20 mx2.example.net"
	peer_start p2 # p1 stays down: nothing listens on $MX1_ADDR:25
	daemon_start abc
	alice_sends "fallback" bob@example.net
	accepted
	wait_for 15 has 1 p2 example.net bob
	wait_for 10 queue_empty abc
	grep -q "to=<bob@example.net> status=sent relay=mx2.example.net\[$MX2_ADDR\]:25 " "$(log_of abc)"
	# in the same attempt: mx1 first, then mx2, one delivery
	[ "$(attempts_for example.net)" = 1 ]
}

@test "an MX host that greets with 421: the next one gets it" {
	zone "example.net MX 10 mx1.example.net" "example.net MX 20 mx2.example.net"
	greeter_start "$MX1_ADDR" "421 4.3.2 mx1 is busy"
	peer_start p2
	daemon_start abc
	alice_sends "busy" bob@example.net
	wait_for 15 has 1 p2 example.net bob
	[ "$(grep -c greeted "$TEST_ROOT/greeter.log")" = 1 ]
	grep -q "to=<bob@example.net> status=sent relay=mx2.example.net\[$MX2_ADDR\]:25 " "$(log_of abc)"
	[ "$(attempts_for example.net)" = 1 ]
}

@test "the last MX host greets with 421: deferred, its reply recorded" {
	zone "example.net MX 10 mx1.example.net" "example.net MX 20 mx2.example.net"
	greeter_start "$MX2_ADDR" "421 4.3.2 mx2 is busy"
	daemon_start abc # mx1: nothing listens
	alice_sends "busy" bob@example.net
	wait_for 15 eval '[ "$(grep -c "to=<bob@example.net> status=deferred" "$(log_of abc)")" -ge 1 ]'
	status_line example.net | grep -q "status=deferred relay=mx2.example.net\[$MX2_ADDR\]:25 .*(mx2.example.net\[$MX2_ADDR\]:25 said: 421 4.3.2 mx2 is busy)$"
	[ "$(queue_count abc)" = 1 ]
}

@test "an MX host's AAAA addresses are tried first, then its A addresses" {
	# mx1's AAAA is p2's address, IPv4-mapped: AF_INET6 reaches it
	zone "example.net MX 10 mx1.example.net" "mx1.example.net AAAA ::ffff:$MX2_ADDR"
	peer_start p1
	peer_start p2
	daemon_start abc
	alice_sends "aaaa" bob@example.net
	wait_for 15 has 1 p2 example.net bob
	has 0 p1 example.net bob
	grep -q "to=<bob@example.net> status=sent relay=mx1.example.net\[::ffff:$MX2_ADDR\]:25 " "$(log_of abc)"
	# the AAAA address refuses: the A address gets the next one
	daemon_stop p2
	alice_sends "a" bob@example.net
	wait_for 15 has 1 p1 example.net bob
	grep -q "to=<bob@example.net> status=sent relay=mx1.example.net\[$MX1_ADDR\]:25 " "$(log_of abc)"
	[ "$(attempts_for example.net)" = 2 ]
}

@test "no MX record: the domain's own address (implicit MX)" {
	zone "implicit.example A $MX2_ADDR"
	peer_domain p2 implicit.example
	peer_start p2
	daemon_start abc
	alice_sends "implicit" bob@implicit.example
	wait_for 15 has 1 p2 implicit.example bob
	grep -q "to=<bob@implicit.example> status=sent relay=implicit.example\[$MX2_ADDR\]:25 " "$(log_of abc)"
	grep -q "udp implicit.example MX" "$DNS_LOG"
}

@test "a null MX (0 .) bounces at once with 556 5.1.10" {
	zone "null.example MX 0 ."
	daemon_start abc
	alice_sends "null mx" bob@null.example
	accepted
	wait_for 15 has 1 abc abc.com alice
	wait_for 10 queue_empty abc
	status_line null.example | grep -q "status=bounced relay=none .*(556 5.1.10 null.example: Domain does not accept mail (null MX))$"
	[ "$(attempts_for null.example)" = 1 ]
	grep -q "556 5.1.10" "$(maildir_files abc.com alice abc)"
}

@test "NXDOMAIN bounces at once with 5.1.2" {
	daemon_start abc
	alice_sends "nxdomain" bob@nowhere.example
	wait_for 15 has 1 abc abc.com alice
	wait_for 10 queue_empty abc
	status_line nowhere.example | grep -q "status=bounced relay=none .*(550 5.1.2 nowhere.example: Host or domain name not found (NXDOMAIN))$"
	grep -q "5.1.2" "$(maildir_files abc.com alice abc)"
}

@test "SERVFAIL is retried: the message stays queued, no bounce" {
	zone "broken.example SERVFAIL"
	daemon_start abc
	alice_sends "servfail" bob@broken.example
	accepted
	wait_for 15 eval '[ "$(grep -c "to=<bob@broken.example> status=deferred" "$(log_of abc)")" -ge 2 ]'
	status_line broken.example | grep -q "status=deferred relay=none .*(451 4.4.3 broken.example: DNS lookup failed (MX), will retry)$"
	[ "$(queue_count abc)" = 1 ]
	has 0 abc abc.com alice
	# the server comes back: delivered on a later try
	sed -i '/SERVFAIL/d' "$ZONE"
	zone "broken.example MX 10 mx1.example.net"
	peer_domain p1 broken.example
	peer_start p1
	wait_for 15 has 1 p1 broken.example bob
	wait_for 10 queue_empty abc
}

@test "a malformed answer (a name pointing at itself) is a DNS failure, retried" {
	zone "loop.example LOOP"
	daemon_start abc
	alice_sends "loop" bob@loop.example
	accepted
	wait_for 15 eval '[ "$(grep -c "to=<bob@loop.example> status=deferred" "$(log_of abc)")" -ge 2 ]'
	status_line loop.example | grep -q "status=deferred relay=none .*(451 4.4.3 loop.example: DNS lookup failed (MX), will retry)$"
	[ "$(queue_count abc)" = 1 ]
	kill -0 "$abc_PID"
}

@test "a DNS server that does not answer (a timeout) is retried, not bounced" {
	zone "silent.example SILENT"
	daemon_start abc
	alice_sends "silent" bob@silent.example
	accepted
	# glibc's resolver gives up after its tries (3 s, then 6 s)
	wait_for 30 eval 'grep -q "to=<bob@silent.example> status=deferred" "$(log_of abc)"'
	status_line silent.example | grep -q "status=deferred relay=none .*(451 4.4.3 silent.example: DNS lookup failed (MX), will retry)$"
	grep -q "^udp silent.example MX$" "$DNS_LOG"
	[ "$(queue_count abc)" = 1 ]
	has 0 abc abc.com alice
}

@test "MX hosts of equal preference share the mail (shuffled)" {
	local i
	zone "example.net MX 10 mx1.example.net" "example.net MX 10 mx2.example.net"
	peer_start p1
	peer_start p2
	daemon_start abc
	# 20 messages, each to mx1 or mx2 at random: all to one host
	# happens once in 2^19 runs
	for i in $(seq 1 20); do
		alice_sends "shuffle $i" bob@example.net
		accepted
	done
	wait_for 30 eval '[ $(($(count p1 example.net bob) + $(count p2 example.net bob))) = 20 ]'
	[ "$(count p1 example.net bob)" -ge 1 ]
	[ "$(count p2 example.net bob)" -ge 1 ]
}

@test "this host among the MX hosts: only more preferred ones are tried" {
	# abc is mx.abc.com: at 10 for backup.example, behind mx1 at 5 and
	# before mx2 at 20; mx1 is down, and mx2 must never be tried
	zone "backup.example MX 5 mx1.example.net" \
		"backup.example MX 10 mx.abc.com" "backup.example MX 20 mx2.example.net"
	peer_domain p2 backup.example
	peer_start p2
	daemon_start abc
	alice_sends "backup" bob@backup.example
	wait_for 15 eval '[ "$(grep -c "to=<bob@backup.example> status=deferred" "$(log_of abc)")" -ge 2 ]'
	status_line backup.example | grep -q "relay=mx1.example.net\[$MX1_ADDR\]:25 "
	run ! grep -q "to=<bob@backup.example> status=.* relay=mx2" "$(log_of abc)"
	has 0 p2 backup.example bob
	[ "$(queue_count abc)" = 1 ]
	# mx1 comes up: it gets it
	peer_domain p1 backup.example
	peer_start p1
	wait_for 15 has 1 p1 backup.example bob
	has 0 p2 backup.example bob
}

@test "this host the most preferred MX: 554 5.4.6 loops back to myself" {
	zone "self.example MX 10 MX.ABC.COM." "self.example MX 20 mx2.example.net"
	peer_domain p2 self.example
	peer_start p2
	daemon_start abc
	alice_sends "self" bob@self.example
	wait_for 15 has 1 abc abc.com alice
	wait_for 10 queue_empty abc
	status_line self.example | grep -q "status=bounced relay=none .*(554 5.4.6 mail for self.example loops back to myself)$"
	has 0 p2 self.example bob
}

@test "an answer too big for UDP (TC=1) is fetched again over TCP" {
	local i
	zone "big.example MX 1 mx1.example.net"
	for i in $(seq 1 30); do
		zone "big.example MX 50 backup-host-number-$i.far-away.example"
	done
	peer_domain p1 big.example
	peer_start p1
	daemon_start abc
	alice_sends "big" bob@big.example
	wait_for 15 has 1 p1 big.example bob
	grep -q "^udp big.example MX$" "$DNS_LOG"
	grep -q "^tcp big.example MX$" "$DNS_LOG"
	grep -q "to=<bob@big.example> status=sent relay=mx1.example.net\[$MX1_ADDR\]:25 " "$(log_of abc)"
}

@test "a static route wins over mx for its domain" {
	zone "example.net MX 10 mx1.example.net"
	daemon_conf abc "route example.net 127.0.0.1:$p2_SMTP"
	peer_start p1
	peer_start p2
	daemon_start abc
	alice_sends "static" bob@example.net
	wait_for 15 has 1 p2 example.net bob
	has 0 p1 example.net bob
	grep -q "to=<bob@example.net> status=sent relay=127.0.0.1:$p2_SMTP " "$(log_of abc)"
	run ! grep -q "example.net MX" "$DNS_LOG"
}

@test "verify_recipients asks the MX host, the next one when the first is down; a null MX is refused" {
	zone "example.net MX 10 mx1.example.net" "example.net MX 20 mx2.example.net"
	daemon_conf abc "verify_recipients yes"
	peer_start p2
	daemon_start abc
	zone "null.example MX 0 ."
	run chat -p "$abc_SUBMIT" "EHLO client.abc.com" "$ALICE_AUTH" \
		"MAIL FROM:<alice@abc.com>" "RCPT TO:<nobody@example.net>" \
		"RCPT TO:<bob@example.net>" "RCPT TO:<bob@null.example>" QUIT
	echo "$output"
	[ "${lines[-2]}" = "550 5.1.1 <bob@null.example>: Recipient address rejected: undeliverable address: 556 5.1.10 null.example: Domain does not accept mail (null MX)" ]
	[ "${lines[-4]}" = "550 5.1.1 <nobody@example.net>: Recipient address rejected: undeliverable address: mx2.example.net[$MX2_ADDR]:25 said: 550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown" ]
	[ "${lines[-3]}" = "250 2.1.5 Recipient OK" ]
	grep -q ": verify to=<nobody@example.net> code=550 relay=mx2.example.net\[$MX2_ADDR\]:25 " "$(log_of abc)"
	grep -q ": verify to=<bob@example.net> code=250 relay=mx2.example.net\[$MX2_ADDR\]:25" "$(log_of abc)"
}

@test "smtpd -q shows the host and address last tried, and when" {
	zone "example.net MX 10 mx1.example.net" "example.net MX 20 mx2.example.net"
	daemon_start abc # neither peer is up
	alice_sends "listed" bob@example.net
	wait_for 15 eval '"$SMTPD_BIN" -q -f "$abc_ROOT/etc/smtpd.conf" | grep -q "last error"'
	run "$SMTPD_BIN" -q -f "$abc_ROOT/etc/smtpd.conf"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ \ \ attempts\ [1-9][0-9]*\ \ last\ attempt\ [0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ \ next\ attempt\ (now|[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2})$ ]]
	[ "${lines[1]}" = "    to <bob@example.net>  pending  at mx2.example.net [$MX2_ADDR]:25  last error: mx2.example.net[$MX2_ADDR]:25: connect to $MX2_ADDR port 25: Connection refused" ]
}

@test "resolver takes an IPv4 address and an optional port; route takes mx" {
	daemon_write_conf abc
	run "$SMTPD_BIN" -n -f "$abc_ROOT/etc/smtpd.conf"
	echo "$output"
	[ "$status" -eq 0 ]
	for bad in "resolver ::1" "resolver dns.example:53" "resolver 127.0.0.1:0" \
		"resolver 127.0.0.1:x"; do
		printf '%s\n' "$bad" >"$abc_ROOT/etc/extra.conf"
		daemon_write_conf abc
		run "$SMTPD_BIN" -n -f "$abc_ROOT/etc/smtpd.conf"
		echo "$bad: $output"
		[ "$status" -eq 78 ]
		[[ "$output" == *"resolver: bad address '${bad#resolver }' (want IPv4[:PORT])"* ]]
	done
	printf '%s\n' "resolver 192.0.2.53" "route example.org mx" >"$abc_ROOT/etc/extra.conf"
	daemon_write_conf abc
	run "$SMTPD_BIN" -n -f "$abc_ROOT/etc/smtpd.conf"
	[ "$status" -eq 0 ]
	printf '%s\n' "route example.org mxx" >"$abc_ROOT/etc/extra.conf"
	daemon_write_conf abc
	run "$SMTPD_BIN" -n -f "$abc_ROOT/etc/smtpd.conf"
	[ "$status" -eq 78 ]
	[[ "$output" == *"route: bad address 'mxx' (want host:port or mx)"* ]]
}

# Bounded MX work, invalid MX targets, a 5xx greeting (issue 11 follow-up)

@test "the last MX host greets with 554: deferred and retried, not bounced" {
	zone "example.net MX 10 mx1.example.net" "example.net MX 20 mx2.example.net"
	greeter_start "$MX2_ADDR" "554 5.3.2 mx2 is not taking mail"
	daemon_start abc # mx1: nothing listens
	alice_sends "no service" bob@example.net
	accepted
	wait_for 15 eval '[ "$(grep -c "to=<bob@example.net> status=deferred" "$(log_of abc)")" -ge 2 ]'
	status_line example.net | grep -q "status=deferred relay=mx2.example.net\[$MX2_ADDR\]:25 .*(mx2.example.net\[$MX2_ADDR\]:25 said: 554 5.3.2 mx2 is not taking mail)$"
	run ! grep -q "to=<bob@example.net> status=bounced" "$(log_of abc)"
	[ "$(queue_count abc)" = 1 ]
	has 0 abc abc.com alice
}

@test "MX records none of which names a valid host: 451 4.4.3, retried, no implicit MX" {
	# the domain's own A record leads to a peer that would take it
	zone "badmx.example MX 10 bad!host.example" "badmx.example MX 20 bad@host.example" \
		"badmx.example A $MX1_ADDR"
	peer_domain p1 badmx.example
	peer_start p1
	daemon_start abc
	alice_sends "bad mx" bob@badmx.example
	accepted
	wait_for 15 eval '[ "$(grep -c "to=<bob@badmx.example> status=deferred" "$(log_of abc)")" -ge 2 ]'
	status_line badmx.example | grep -q "status=deferred relay=none .*(451 4.4.3 badmx.example: no MX record names a valid host, will retry)$"
	has 0 p1 badmx.example bob
	[ "$(queue_count abc)" = 1 ]
	run ! grep -q "badmx.example A" "$DNS_LOG"
	# one valid MX among invalid ones is used
	zone "badmx.example MX 30 mx1.example.net"
	wait_for 15 has 1 p1 badmx.example bob
	wait_for 10 queue_empty abc
}

@test "at most 5 MX hosts' addresses looked up, and no more once 5 addresses are known" {
	local i net=${MX1_ADDR%.*}
	for i in 1 2 3 4 5 6 7; do
		zone "many.example MX $i h$i.many.example" "h$i.many.example A $net.$((10 + i))"
	done
	# h1 has two more addresses: h1-h3 give 5, h4-h7 are never asked
	zone "h1.many.example A $net.31" "h1.many.example A $net.32"
	daemon_start abc # nothing listens on any of them
	alice_sends "many" bob@many.example
	accepted
	wait_for 15 eval '[ "$(grep -c "to=<bob@many.example> status=deferred" "$(log_of abc)")" -ge 1 ]'
	cat "$DNS_LOG"
	grep -q "h3.many.example A" "$DNS_LOG"
	run ! grep -Eq "h[4-7]\.many\.example" "$DNS_LOG"
	# every address known was tried, the last one is h3's
	status_line many.example | grep -q "relay=h3.many.example\[$net.13\]:25 "
	# with 7 hosts of one address each, the first 5 only
	: >"$DNS_LOG"
	sed -i "/^h1.many.example A $net.3[12]\$/d" "$ZONE"
	alice_sends "many again" bob@many.example
	wait_for 15 grep -q "h5.many.example A" "$DNS_LOG"
	sleep 1
	run ! grep -Eq "h[67]\.many\.example" "$DNS_LOG"
}

@test "the first 5 MX hosts without an address: deferred (a 6th may have one), not bounced" {
	local i net=${MX1_ADDR%.*}
	for i in 1 2 3 4 5 6; do
		zone "noaddr.example MX $i h$i.noaddr.example"
	done
	zone "h6.noaddr.example A $net.16"
	daemon_start abc
	alice_sends "no address" bob@noaddr.example
	accepted
	wait_for 15 eval '[ "$(grep -c "to=<bob@noaddr.example> status=deferred" "$(log_of abc)")" -ge 1 ]'
	status_line noaddr.example | grep -q "(451 4.4.3 noaddr.example: no address for its first 5 mail hosts, will retry)$"
	run ! grep -q "to=<bob@noaddr.example> status=bounced" "$(log_of abc)"
}

@test "at most 2 MX hosts that take the connection but do not greet with 220, per attempt" {
	local net=${MX1_ADDR%.*}
	zone "busy.example MX 10 b1.busy.example" "busy.example MX 20 b2.busy.example" \
		"busy.example MX 30 b3.busy.example" "b1.busy.example A $net.41" \
		"b2.busy.example A $net.42" "b3.busy.example A $net.43"
	greeters_start "421 4.3.2 busy" "$net.41" "$net.42" "$net.43"
	daemon_start abc
	alice_sends "busy" bob@busy.example
	accepted
	wait_for 15 eval '[ "$(grep -c "to=<bob@busy.example> status=deferred" "$(log_of abc)")" -ge 1 ]'
	sleep 0.5
	cat "$TEST_ROOT/greeters.log"
	# the first attempt: b1 and b2, not b3
	[ "$(head -n 2 "$TEST_ROOT/greeters.log")" = "greeted $net.41
greeted $net.42" ]
	run ! grep -q "greeted $net.43" "$TEST_ROOT/greeters.log"
	status_line busy.example | grep -q "relay=b2.busy.example\[$net.42\]:25 .*said: 421 4.3.2 busy)$"
}

@test "verify_recipients: one deadline for the whole probe, however many hosts hang" {
	local net=${MX1_ADDR%.*} i
	for i in 1 2 3 4 5; do
		zone "slow.example MX $i s$i.slow.example" "s$i.slow.example A $net.$((50 + i))"
	done
	greeters_start hang "$net.51" "$net.52" "$net.53" "$net.54" "$net.55"
	daemon_conf abc "verify_recipients yes" "verify_timeout 3s"
	daemon_start abc
	start=$(date +%s)
	run chat "$abc_SUBMIT" "EHLO client.abc.com" "$ALICE_AUTH" \
		"MAIL FROM:<alice@abc.com>" "RCPT TO:<bob@slow.example>" QUIT
	took=$(($(date +%s) - start))
	echo "$output"
	echo "took $took s"
	cat "$TEST_ROOT/greeters.log"
	# accepted, as when the hosts cannot be reached
	[ "${lines[-2]}" = "250 2.1.5 Recipient OK" ]
	# one verify_timeout of 3 s, not one per host (15 s), nor 2 hosts' (6 s)
	[ "$took" -le 5 ]
	[ "$(grep -c greeted "$TEST_ROOT/greeters.log")" = 1 ]
	grep -q ": verify to=<bob@slow.example> code=-1 " "$(log_of abc)"
}
