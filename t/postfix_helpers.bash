# postfix_helpers.bash - Postfix as a real peer (t/postfix.bats), run from
# its .deb unpacked under build/debs by `make test-debs` (never installed:
# it would take over /usr/sbin/sendmail), with a private config directory
# per test.  Load after helpers.bash (and tls_helpers.bash).
#
#   pfx_init                 lay out $PFX ($TEST_ROOT/postfix: etc/ with
#                            main.cf and master.cf, spool/, data/, mail/),
#                            pick $PFX_PORT; Postfix is mx.pfx.example on
#                            $PFX_ADDR, stores bob@pfx.example in the
#                            Maildir $PFX/mail/pfx.example/bob/ and sends
#                            abc.com to abc's smtp port (daemon_init abc
#                            first)
#   pfx_conf LINE...         add main.cf lines (later ones win)
#   pfx_start                run its master in the foreground (master -d),
#                            wait until its smtpd listens; $PFX_PID
#   pfx_stop                 SIGTERM to the master by its pid, wait for it
#   pfx_log                  print Postfix's log (maillog_file)
#   pfx_stored USER          the only message in USER@pfx.example's new/
#   pfx_queue_empty          nothing left in Postfix's queue
#   pfx_send RCPT SUBJECT    carol@pfx.example sends a short message into
#                            Postfix's smtpd (Python's smtplib)
#   pfx_has N USER           exactly N messages for USER@pfx.example
#   pfx_tls_server           Postfix's smtpd gets a certificate for
#                            mx.pfx.example and $PFX_ADDR (signed by the
#                            test CA) and logs its TLS sessions
#   received FILE            FILE's Received: lines, each unfolded to one
#
# The master runs as root and its daemons as the postfix user (and the
# postdrop group): both are made with useradd/groupadd --system when the
# machine has none.

PFX_DEBS=$REPO/build/debs
PFX_ADDR=127.0.0.3
PFX=
PFX_PID=

# (a test running beside this one may have just made them: that is fine)
pfx_users() {
	getent group postdrop >/dev/null || groupadd --system postdrop ||
		getent group postdrop >/dev/null
	getent passwd postfix >/dev/null ||
		useradd --system --user-group --no-create-home \
			--home-dir /nonexistent --shell /usr/sbin/nologin postfix ||
		getent passwd postfix >/dev/null
}

pfx_init() {
	[ -x "$PFX_DEBS/usr/lib/postfix/sbin/master" ] ||
		{ echo "run make test-debs first (Postfix unpacked under build/debs)" >&2; return 1; }
	[ "$(id -u)" = 0 ] || skip "Postfix's master runs as root"
	pfx_users
	test_root
	PFX=$TEST_ROOT/postfix
	PFX_PORT=$(free_port)
	mkdir -p "$PFX/etc" "$PFX/mail" "$PFX/data"
	# the queue: root's, its subdirectories the postfix user's (as
	# Postfix's postfix-files lays them out)
	mkdir -p -m 755 "$PFX/spool" "$PFX/spool/pid"
	local d
	for d in active bounce corrupt defer deferred flush hold incoming \
		private saved trace; do
		mkdir -m 700 "$PFX/spool/$d"
	done
	mkdir -m 730 "$PFX/spool/maildrop"
	mkdir -m 710 "$PFX/spool/public"
	chown postfix: "$PFX/spool"/{active,bounce,corrupt,defer,deferred,flush,hold,incoming,private,saved,trace} \
		"$PFX/spool/maildrop" "$PFX/spool/public" "$PFX/data" "$PFX/mail"
	chgrp postdrop "$PFX/spool/maildrop" "$PFX/spool/public"
	printf 'bob@pfx.example pfx.example/bob/\n' >"$PFX/etc/vmailbox"
	printf 'abc.com smtp:[127.0.0.1]:%s\n' "${abc_SMTP:?daemon_init abc first}" \
		>"$PFX/etc/transport"
	cat >"$PFX/etc/main.cf" <<-EOF
	compatibility_level = 3.6
	config_directory = $PFX/etc
	meta_directory = $PFX/etc
	queue_directory = $PFX/spool
	data_directory = $PFX/data
	command_directory = $PFX_DEBS/usr/sbin
	daemon_directory = $PFX_DEBS/usr/lib/postfix/sbin
	shlib_directory = $PFX_DEBS/usr/lib/postfix
	import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C LD_LIBRARY_PATH=$PFX_DEBS/usr/lib/postfix
	mail_owner = postfix
	setgid_group = postdrop
	maillog_file = $PFX/maillog
	maillog_file_prefixes = $PFX
	myhostname = mx.pfx.example
	mydomain = pfx.example
	myorigin = pfx.example
	mydestination =
	# 127.0.0.3 is no interface address (lo has 127.0.0.1/8): the listener
	# in master.cf names it
	inet_interfaces = loopback-only
	inet_protocols = ipv4
	mynetworks = 127.0.0.0/8
	smtp_host_lookup = native
	smtp_dns_support_level = disabled
	biff = no
	alias_maps =
	alias_database =
	local_recipient_maps =
	virtual_mailbox_domains = pfx.example
	virtual_mailbox_base = $PFX/mail
	virtual_mailbox_maps = texthash:$PFX/etc/vmailbox
	virtual_uid_maps = static:$(id -u postfix)
	virtual_gid_maps = static:$(id -g postfix)
	transport_maps = texthash:$PFX/etc/transport
	# a test does not wait minutes for a retry
	minimal_backoff_time = 1s
	maximal_backoff_time = 2s
	queue_run_delay = 1s
	EOF
	# chroot n everywhere: the tree is not laid out for a jail
	cat >"$PFX/etc/master.cf" <<-EOF
	$PFX_ADDR:$PFX_PORT inet n - n - - smtpd
	cleanup   unix n - n - 0 cleanup
	qmgr      unix n - n 300 1 qmgr
	tlsmgr    unix - - n 1000? 1 tlsmgr
	rewrite   unix - - n - - trivial-rewrite
	bounce    unix - - n - 0 bounce
	defer     unix - - n - 0 bounce
	trace     unix - - n - 0 bounce
	verify    unix - - n - 1 verify
	flush     unix n - n 1000? 0 flush
	proxymap  unix - - n - - proxymap
	smtp      unix - - n - - smtp
	relay     unix - - n - - smtp
	showq     unix n - n - - showq
	error     unix - - n - - error
	retry     unix - - n - - error
	discard   unix - - n - - discard
	virtual   unix - n n - - virtual
	anvil     unix - - n - 1 anvil
	scache    unix - - n - 1 scache
	postlog   unix-dgram n - n - 1 postlogd
	EOF
}

pfx_conf() {
	printf '%s\n' "$@" >>"$PFX/etc/main.cf"
}

pfx_log() {
	cat "$PFX/maillog" 2>/dev/null || true
}

pfx_start() {
	local i
	# master -d stays in the foreground, but it is no process group
	# leader then, and on SIGTERM it kills its group: setsid makes it one
	# (with no fork, bats's jobs being no group leaders: $! is master)
	LD_LIBRARY_PATH=$PFX_DEBS/usr/lib/postfix setsid \
		"$PFX_DEBS/usr/lib/postfix/sbin/master" -c "$PFX/etc" -d \
		</dev/null >>"$PFX/master.out" 2>&1 3>&- &
	PFX_PID=$!
	for i in $(seq 1 200); do
		pfx_port_open && return 0
		kill -0 "$PFX_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "Postfix did not start:" >&2
	cat "$PFX/master.out" >&2
	pfx_log >&2
	return 1
}

pfx_port_open() {
	python3 -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()' \
		"$PFX_ADDR" "$PFX_PORT" 2>/dev/null
}

pfx_stop() {
	local i
	[ -n "$PFX_PID" ] || return 0
	kill -TERM "$PFX_PID" 2>/dev/null || true
	for i in $(seq 1 300); do
		kill -0 "$PFX_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$PFX_PID" 2>/dev/null || true
	wait "$PFX_PID" 2>/dev/null || true
	PFX_PID=
}

pfx_files() {
	ls -1 "$PFX/mail/pfx.example/$1/new/" 2>/dev/null |
		sed "s|^|$PFX/mail/pfx.example/$1/new/|"
}

# pfx_has N USER: exactly N messages in USER@pfx.example's new/
pfx_has() { [ "$(pfx_files "$2" | grep -c .)" = "$1" ]; }

pfx_stored() {
	local files
	files=$(pfx_files "$1")
	[ "$(printf '%s\n' "$files" | grep -c .)" = 1 ] || {
		echo "expected one message for $1@pfx.example, found: $files" >&2
		return 1
	}
	echo "$files"
}

pfx_queue_empty() {
	[ -z "$(find "$PFX/spool/incoming" "$PFX/spool/active" \
		"$PFX/spool/deferred" -type f 2>/dev/null)" ]
}

pfx_send() {
	python3 - "$PFX_ADDR" "$PFX_PORT" "$1" "$2" <<-'PY'
	import smtplib, sys
	host, port, rcpt, subject = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
	msg = ("From: carol@pfx.example\r\nTo: %s\r\nSubject: %s\r\n\r\n"
	       "Hello from Postfix's side.\r\n" % (rcpt, subject))
	with smtplib.SMTP(host, port, local_hostname="client.pfx.example", timeout=10) as s:
	    s.sendmail("carol@pfx.example", [rcpt], msg)
	PY
}

pfx_tls_server() {
	local c
	tls_ca
	c=$PKI/mx.pfx.example
	# as tls_cert makes them, for Postfix's address: a route to
	# 127.0.0.3:PORT with tls verifies the name 127.0.0.3
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$c.key" -out "$c.csr" -subj "/CN=mx.pfx.example" 2>/dev/null
	openssl x509 -req -in "$c.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
		-CAcreateserial -days 30 -out "$c.pem" \
		-extfile <(printf 'subjectAltName=DNS:mx.pfx.example,IP:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$PFX_ADDR") \
		2>/dev/null
	pfx_conf "smtpd_tls_cert_file = $c.pem" "smtpd_tls_key_file = $c.key" \
		"smtpd_tls_received_header = yes" "smtpd_tls_loglevel = 1"
}

received() {
	header_of "$1" | awk '
		/^[ \t]/ { sub(/^[ \t]+/, " "); line = line $0; next }
		{ if (line != "") print line; line = $0 }
		END { if (line != "") print line }' | grep '^Received:'
}
