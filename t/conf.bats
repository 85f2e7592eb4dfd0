#!/usr/bin/env bats
# conf.bats - the config reader (DESIGN.md §2 "Config file", smtpd.conf(5))
# driven through "smtpd -n -f FILE": golden tests of each value type (a good
# value is accepted; a bad one is refused with exactly one line naming the
# file, the line and the problem, and exit 78), ranges, argument counts,
# unknown directives, the last-one-wins rule, paths relative to the config's
# directory, and the table's defaults as a running daemon uses them.
#
#   conf LINE...        write $CONF: "listen smtp 127.0.0.1:2525" (line 1),
#                       then the LINEs (line 2 on)
#   check               run smtpd -n -f $CONF (from /, so relative paths
#                       cannot be found from the current directory); its
#                       stderr, without the "smtpd[pid]: " prefixes, is
#                       $output; everything it prints is also kept in
#                       $TEST_ROOT/smtpd.log for the sanitizer check
#   accepted LINE...    conf LINE..., check: exit 0, "configuration OK"
#   refused N MSG LINE...  conf LINE..., check: exit 78 and the one line
#                       "$CONF:N: MSG"

load helpers
load smtp_helpers
load tls_helpers

setup() {
	test_root
	mkdir -p "$TEST_ROOT/etc"
	CONF=$TEST_ROOT/etc/smtpd.conf
	: >"$TEST_ROOT/smtpd.log"
}

teardown() { test_teardown; }

# as root, smtpd -n wants the `user` a start as root drops to (issue 9):
# nobody, after the test's lines, so their line numbers stay
conf() {
	printf '%s\n' "listen smtp 127.0.0.1:2525" "$@" >"$CONF"
	if [ "$(id -u)" = 0 ] && ! grep -q '^user' "$CONF"; then
		echo "user nobody" >>"$CONF"
	fi
}

smtpd_check() {
	local rc
	(cd / && "$SMTPD_BIN" -n -f "$CONF") 2>&1 | tee -a "$TEST_ROOT/smtpd.log" |
		sed 's/^smtpd\[[0-9]*\]: //'
	rc=${PIPESTATUS[0]}
	return "$rc"
}

check() {
	run smtpd_check
	echo "status $status, output:"
	echo "$output"
}

accepted() {
	conf "$@"
	check
	[ "$status" = 0 ]
	expect_lines "smtpd: $CONF: configuration OK"
}

refused() {
	local n=$1 msg=$2
	shift 2
	conf "$@"
	check
	[ "$status" = 78 ]
	expect_lines "$CONF:$n: $msg"
}

@test "a minimal config is valid: one listen line, everything else defaults" {
	accepted
	accepted "# a comment" "" "   " "timeout 5 # a comment after a value"
}

@test "bool: yes and no are accepted, anything else is refused" {
	accepted "verify_recipients yes" "resolve_clients no"
	refused 2 "verify_recipients: expects yes or no, not 'perhaps'" \
		"verify_recipients perhaps"
	refused 2 "resolve_clients: expects yes or no, not 'YES'" \
		"resolve_clients YES"
	refused 2 "verify_recipients: expects yes or no, not '1'" \
		"verify_recipients 1"
}

@test "count: 1 to 100000; below, above or not a number is refused" {
	accepted "max_clients 1" "max_clients_per_ip 100000" \
		"max_recipients 100" "relay_workers 4"
	refused 2 "max_recipients: bad value '0' (from 1 to 100000)" \
		"max_recipients 0"
	refused 2 "max_clients: bad value '100001' (from 1 to 100000)" \
		"max_clients 100001"
	refused 2 "relay_workers: bad value 'many' (from 1 to 100000)" \
		"relay_workers many"
	refused 2 "max_clients_per_ip: bad value '-3' (from 1 to 100000)" \
		"max_clients_per_ip -3"
	refused 2 "max_clients: bad value '10K' (from 1 to 100000)" \
		"max_clients 10K"
}

@test "size: K/M/G are powers of 1024, from 1K to 1024G" {
	accepted "max_message_size 1024"
	accepted "max_message_size 1K"
	accepted "max_message_size 25M"
	accepted "max_message_size 1024G"
	refused 2 "max_message_size: bad value '1023' (from 1024 to 1099511627776)" \
		"max_message_size 1023"
	refused 2 "max_message_size: bad value '1025G' (from 1024 to 1099511627776)" \
		"max_message_size 1025G"
	refused 2 "max_message_size: bad value 'lots' (from 1024 to 1099511627776)" \
		"max_message_size lots"
	refused 2 "max_message_size: bad value '1k' (from 1024 to 1099511627776)" \
		"max_message_size 1k"
	refused 2 "max_message_size: bad value '1T' (from 1024 to 1099511627776)" \
		"max_message_size 1T"
	refused 2 "max_message_size: bad value '99999999999G' (from 1024 to 1099511627776)" \
		"max_message_size 99999999999G"
}

@test "duration: s/m/h/d, a bare number is seconds, from 1s to 365d" {
	accepted "timeout 1" "pop3_timeout 10m" "queue_lifetime 365d" \
		"verify_cache 2h"
	refused 2 "timeout: bad value '0' (from 1 to 31536000)" "timeout 0"
	refused 2 "queue_lifetime: bad value '366d' (from 1 to 31536000)" \
		"queue_lifetime 366d"
	refused 2 "timeout: bad value '-5' (from 1 to 31536000)" "timeout -5"
	refused 2 "pop3_timeout: bad value '5x' (from 1 to 31536000)" \
		"pop3_timeout 5x"
	refused 2 "verify_cache: bad value '1m30s' (from 1 to 31536000)" \
		"verify_cache 1m30s"
}

@test "retry_delay MIN MAX: MIN from 1s to 1d, MAX from MIN to 7d" {
	accepted "retry_delay 1s 1s"
	accepted "retry_delay 1d 7d"
	refused 2 "retry_delay: bad value '1m' (from 3600 to 604800)" \
		"retry_delay 1h 1m"
	refused 2 "retry_delay: bad value '2d' (from 1 to 86400)" \
		"retry_delay 2d 3d"
	refused 2 "retry_delay: bad value '8d' (from 60 to 604800)" \
		"retry_delay 1m 8d"
	refused 2 "retry_delay: bad value '0' (from 1 to 86400)" \
		"retry_delay 0 5"
	refused 2 "retry_delay: expects 2 values" "retry_delay 5m"
}

@test "hostname: a domain name; not an address literal or a bad label" {
	accepted "hostname mx.Example.ORG"
	refused 2 "hostname: not a host name: bad_host" "hostname bad_host"
	refused 2 "hostname: not a host name: [127.0.0.1]" \
		"hostname [127.0.0.1]"
	refused 2 "hostname: not a host name: -mx.example.org" \
		"hostname -mx.example.org"
}

@test "user: a name up to 63 characters" {
	local long
	long=$(printf 'u%.0s' {1..63})
	accepted "user nobody"
	# 63 characters parse; then -n finds there is no such user
	conf "user $long"
	check
	[ "$status" = 78 ]
	expect_lines "$CONF: user: no such user '$long': create it (useradd --system $long) or name another"
	refused 2 "user: name too long" "user ${long}u"
}

@test "listen SERVICE HOST:PORT: the services, IPv6 in brackets, at most 16" {
	local i more=()
	accepted "listen submission [::1]:2587" "listen pop3 0.0.0.0:2110"
	refused 2 "listen: unknown service 'smtp2' (smtp, submission, pop3, smtps or pop3s)" \
		"listen smtp2 127.0.0.1:465"
	refused 2 "listen: bad address '127.0.0.1:99999' (want host:port)" \
		"listen smtp 127.0.0.1:99999"
	refused 2 "listen: bad address '127.0.0.1' (want host:port)" \
		"listen pop3 127.0.0.1"
	refused 2 "listen: bad address '[::1]2525' (want host:port)" \
		"listen smtp [::1]2525"
	for i in $(seq 2 16); do more+=("listen smtp 127.0.0.1:$((3000 + i))"); done
	accepted "${more[@]}"
	refused 17 "listen: too many (at most 16)" "${more[@]}" \
		"listen smtp 127.0.0.1:4000"
}

@test "without a listen line the config is refused, naming the file" {
	printf 'domain example.org\n' >"$CONF"
	check
	[ "$status" = 78 ]
	expect_lines "$CONF: no listen directive"
}

@test "domain D...: several a line and several lines; a bad one is named" {
	conf "domain example.org Example.NET" "domain abc.com"
	check
	[ "$status" = 0 ]
	# nothing names postmaster (no aliases, no accounts): only a warning
	expect_lines "$CONF: warning: postmaster@example.org leads nowhere (no alias, account or catch-all): its mail, and postmaster's at every local domain, is kept in /var/mail/example.org/postmaster, which no account reads; add \"postmaster: you@example.org\" to the aliases file" \
		"smtpd: $CONF: configuration OK"
	refused 2 "domain: expects at least one domain" "domain"
	refused 3 "domain: not a domain: -bad.example" "domain ok.example" \
		"domain good.example -bad.example other.example"
	conf "domain -one.example good.example two_.example"
	check
	[ "$status" = 78 ]
	expect_lines "$CONF:2: domain: not a domain: -one.example" \
		"$CONF:2: domain: not a domain: two_.example"
}

@test "route DOMAIN|* HOST:PORT|mx [tls]" {
	accepted "route xyz.com 127.0.0.1:3525" "route * [2001:db8::5]:25"
	accepted "route xyz.com mx" "route * mx"
	refused 2 "route: not a domain: bad_domain" "route bad_domain 127.0.0.1:25"
	refused 2 "route: bad address 'mx.xyz.com' (want host:port or mx)" \
		"route xyz.com mx.xyz.com"
	refused 2 "route: expects DOMAIN HOST:PORT|mx [tls]" "route xyz.com"
	refused 2 "route: expects DOMAIN HOST:PORT|mx [tls]" "route"
}

@test "mailbox: a path template that must contain %u" {
	accepted "mailbox ../mail/%d/%u"
	refused 2 "mailbox: the template must contain %u" "mailbox ../mail/%d"
}

@test "paths: relative ones are relative to the config's directory" {
	mkdir -p "$TEST_ROOT/accounts"
	echo 'alice@example.org:{PLAIN}alicepw' >"$TEST_ROOT/accounts/passwd"
	echo 'alice@example.org:{PLAIN}alicepw' >"$TEST_ROOT/etc/passwd"
	# smtpd runs from /: only the config's directory can find these
	accepted "passwd passwd"
	accepted "passwd ../accounts/passwd"
	accepted "passwd $TEST_ROOT/accounts/passwd"
	conf "passwd ../missing/passwd"
	check
	[ "$status" = 78 ]
	expect_lines "$TEST_ROOT/etc/../missing/passwd: No such file or directory"
	# the queue directory, as smtpd -q reads it
	mkdir -p "$TEST_ROOT/spool"
	conf "queue ../spool"
	run bash -c "cd / && '$SMTPD_BIN' -q -f '$CONF' 2>&1"
	echo "$output"
	[ "$status" = 1 ]
	[ "$output" = "smtpd: $TEST_ROOT/etc/../spool/env: No such file or directory" ]
	mkdir "$TEST_ROOT/spool/env"
	run bash -c "cd / && '$SMTPD_BIN' -q -f '$CONF' 2>&1"
	[ "$status" = 0 ]
	[ "$output" = "Mail queue is empty" ]
}

@test "a path that comes out longer than PATH_MAX is refused" {
	local dir=$TEST_ROOT part long
	# a config line is at most 1024 characters: the directory makes it long
	part=$(printf 'd%.0s' {1..200})
	for _ in {1..17}; do dir=$dir/$part; done
	mkdir -p "$dir"
	CONF=$dir/smtpd.conf
	long=$(printf 'x/%.0s' {1..350})
	accepted "queue x"
	conf "queue $long"
	check
	[ "$status" = 78 ]
	# log.c cuts a line at 2200 bytes, and the file name alone is longer
	[ "${#output}" -gt 2000 ]
	[[ "$CONF:2: path too long: $long" == "$output"* ]]
}

@test "an unknown directive is refused, names are case-sensitive" {
	refused 2 "unknown directive 'frobnicate'" "frobnicate yes"
	refused 3 "unknown directive 'Timeout'" "timeout 5" "Timeout 5"
	refused 2 "unknown directive 'time'" "time 5"
}

@test "a missing or an extra value is refused" {
	refused 2 "timeout: expects 1 value" "timeout"
	refused 2 "timeout: expects 1 value" "timeout 5 6"
	refused 2 "passwd: expects 1 value" "passwd"
	refused 2 "hostname: expects 1 value" "hostname a b"
	refused 2 "listen: expects 2 values" "listen smtp"
	refused 2 "listen: expects 2 values" "listen smtp 127.0.0.1:1 x"
	refused 2 "user: expects 1 value" "user"
}

@test "a single-valued directive may repeat: the last one wins" {
	echo 'alice@example.org:{PLAIN}alicepw' >"$TEST_ROOT/etc/passwd"
	# the first passwd is never read, so its missing file is no error
	accepted "passwd missing" "passwd passwd"
	conf "passwd passwd" "passwd missing"
	check
	[ "$status" = 78 ]
	expect_lines "$TEST_ROOT/etc/missing: No such file or directory"
	# each one is still checked
	refused 2 "timeout: bad value '0' (from 1 to 31536000)" "timeout 0" \
		"timeout 5"
}

@test "every bad line is reported, in order, with its own line number" {
	printf '%s\n' "# line 1" "max_clients 0" "" "listen smtp 127.0.0.1:2525" \
		"frobnicate" "	timeout	7	" "domain -x.example" >"$CONF"
	check
	[ "$status" = 78 ]
	expect_lines "$CONF:2: max_clients: bad value '0' (from 1 to 100000)" \
		"$CONF:5: unknown directive 'frobnicate'" \
		"$CONF:7: domain: not a domain: -x.example"
}

@test "lines: CRLF ends are fine; too long, NUL, too many words are refused" {
	printf 'listen smtp 127.0.0.1:2525\r\ntimeout 5\r\nuser nobody\r\n' >"$CONF"
	check
	[ "$status" = 0 ]
	expect_lines "smtpd: $CONF: configuration OK"
	{
		echo "listen smtp 127.0.0.1:2525"
		printf 'timeout %01020d\n' 5
		printf 'timeout 5\0\n'
		echo "domain" a{1..31}.example
		echo "domain" a{1..32}.example
	} >"$CONF"
	check
	[ "$status" = 78 ]
	expect_lines "$CONF:2: line longer than 1024 characters" \
		"$CONF:3: NUL character in line" \
		"$CONF:5: too many words"
}

@test "a config that cannot be read is 78, naming the file" {
	check
	[ "$status" = 78 ]
	expect_lines "$CONF: No such file or directory"
}

@test "defaults come from the table: SIZE 25M; the last max_message_size wins" {
	smtpd_start
	daemon_init two example.org
	daemon_conf two "max_message_size 1K" "max_message_size 2K"
	daemon_start two
	run chat "$SMTP_PORT" "EHLO client.example" QUIT
	echo "$output"
	[[ $output == *"250-SIZE 26214400"* ]]
	run chat "$two_SMTP" "EHLO client.example" QUIT
	echo "$output"
	[[ $output == *"250-SIZE 2048"* ]]
}

# refused_file MSG LINE...: exit 78 and the one line "$CONF: MSG" (a
# problem of the whole file, found after its last line)
refused_file() {
	local msg=$1
	shift
	conf "$@"
	check
	[ "$status" = 78 ]
	expect_lines "$CONF: $msg"
}

@test "the default build (TLS=0) refuses every TLS directive, naming make TLS=1" {
	tls_is_built && skip "the TLS build: see the next test"
	local no="this smtpd is built without TLS (make TLS=1)"
	refused_file "tls_cert: $no" "tls_cert cert.pem" "tls_key key.pem"
	refused_file "listen smtps/pop3s: $no" "listen smtps 127.0.0.1:4465"
	refused_file "listen smtps/pop3s: $no" "listen pop3s 127.0.0.1:4995"
	refused_file "route ... tls: $no" "route xyz.com 127.0.0.1:25 tls"
	refused_file "tls_ca: $no" "tls_ca ca.pem"
	refused_file "tls_protocols: $no" "tls_protocols TLSv1.3"
	refused_file "tls_ciphers: $no" "tls_ciphers HIGH"
	# the defaults written out are no TLS of their own
	accepted "tls_protocols TLSv1.2,TLSv1.3" "tls_ciphers secure"
	# what every build knows is still checked per line
	refused 2 "route: expects DOMAIN HOST:PORT|mx [tls]" "route xyz.com mx tlsx"
	accepted "route xyz.com 127.0.0.1:25" "auth_plaintext yes"
}

@test "TLS directives: a pair or nothing, smtps/pop3s need it, protocols checked, the pair loaded by -n" {
	need_tls
	tls_cert mx.example.org
	tls_selfsigned other.example.org
	local c="tls_cert $PKI/mx.example.org.pem" k="tls_key $PKI/mx.example.org.key"
	accepted "$c" "$k" "listen smtps 127.0.0.1:4465" "listen pop3s 127.0.0.1:4995" \
		"route xyz.com 127.0.0.1:25 tls" "route * mx tls" "tls_ca $PKI/ca.pem" \
		"tls_protocols TLSv1.3" "tls_ciphers HIGH:!aNULL" "auth_plaintext yes"
	refused_file "tls_cert: goes with the other (both or neither)" "$c"
	refused_file "tls_key: goes with the other (both or neither)" "$k"
	refused_file "listen smtps/pop3s: needs tls_cert and tls_key" "listen smtps 127.0.0.1:4465"
	refused_file "tls_protocols: bad value" "$c" "$k" "tls_protocols TLSv9"
	# checked without a key pair too: the relay's STARTTLS uses them
	refused_file "tls_protocols: bad value" "tls_protocols TLSv9"
	refused_file "tls_ciphers: bad value" "tls_ciphers NO-SUCH-CIPHER"
	refused 2 "route: expects DOMAIN HOST:PORT|mx [tls]" "route xyz.com 127.0.0.1:25 tls x"
	refused 2 "route: expects DOMAIN HOST:PORT|mx [tls]" "route xyz.com"
	# the pair itself: a key that is not the cert's, a file missing
	conf "$c" "tls_key $PKI/other.example.org-self.key"
	check
	[ "$status" = 78 ]
	[[ $output == *"$CONF: tls_cert $PKI/mx.example.org.pem, tls_key $PKI/other.example.org-self.key: "* ]]
	conf "tls_cert $PKI/nonesuch.pem" "$k"
	check
	[ "$status" = 78 ]
	[[ $output == *"$CONF: tls_cert $PKI/nonesuch.pem: "* ]]
}
