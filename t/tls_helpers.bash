# tls_helpers.bash - what the TLS tests share (issue 13): certificates
# made with openssl(1) under $TEST_ROOT/pki, and the build's variant.
# Load after helpers.bash.
#
#   need_tls               skip the test unless the binaries are the TLS
#                          build (make test runs on it; SMTPD_TLS=0 is the
#                          default build, whose own tests say TLS is refused)
#   tls_ca                 $PKI/ca.pem and ca.key: a test CA (made once a test)
#   tls_cert HOST          $PKI/HOST.pem and $PKI/HOST.key: a certificate for
#                          HOST (subjectAltName DNS:HOST, IP:127.0.0.1 and
#                          IP:127.0.0.2: a host that is not "loopback")
#                          signed by the test CA
#   tls_selfsigned HOST    $PKI/HOST-self.pem and .key: self-signed, for HOST
#   tls_daemon NAME        NAME gets tls_cert/tls_key lines for mx.DOMAIN
#                          (signed by the CA); call before daemon_start
#
# Keys are EC (P-256): quick to make.

PKI=

tls_is_built() { [ "${SMTPD_TLS:-1}" = 1 ]; }

need_tls() {
	tls_is_built || skip "the default build (TLS=0): TLS tests need make TLS=1"
}

tls_pki_dir() {
	test_root
	PKI=$TEST_ROOT/pki
	mkdir -p "$PKI"
	chmod 755 "$PKI"
}

tls_ca() {
	tls_pki_dir
	[ -e "$PKI/ca.pem" ] && return 0
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$PKI/ca.key" -out "$PKI/ca.pem" -days 30 \
		-subj "/CN=smtpd test CA" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

tls_cert() {
	local host=$1
	tls_ca
	[ -e "$PKI/$host.pem" ] && return 0
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$PKI/$host.key" -out "$PKI/$host.csr" \
		-subj "/CN=$host" 2>/dev/null
	openssl x509 -req -in "$PKI/$host.csr" -CA "$PKI/ca.pem" \
		-CAkey "$PKI/ca.key" -CAcreateserial -days 30 \
		-extfile <(printf 'subjectAltName=DNS:%s,IP:127.0.0.1,IP:127.0.0.2\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$host") \
		-out "$PKI/$host.pem" 2>/dev/null
	chmod 644 "$PKI/$host.key"
}

tls_selfsigned() {
	local host=$1
	tls_pki_dir
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$PKI/$host-self.key" -out "$PKI/$host-self.pem" \
		-days 30 -subj "/CN=$host" \
		-addext "subjectAltName=DNS:$host,IP:127.0.0.1" 2>/dev/null
	chmod 644 "$PKI/$host-self.key"
}

tls_daemon() {
	local name=$1 d
	d=${name}_DOMAIN
	tls_cert "mx.${!d}"
	daemon_conf "$name" "tls_cert $PKI/mx.${!d}.pem" "tls_key $PKI/mx.${!d}.key"
}
