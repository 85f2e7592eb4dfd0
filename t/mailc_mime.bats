#!/usr/bin/env bats
# mailc_mime.bats - issue 10's mailc fixes: -a attachments read back with
# Python's email package, RFC 2047 header text decoded back, an 8-bit body
# as 8bit (smtpd offers 8BITMIME) or quoted-printable (t/fake_smtp.py
# offers nothing), -i without a terminal, --help/--version, options after
# recipients and "--", and the fully qualified default domain.

load helpers
load mailc_helpers

setup() { mailc_setup; }
teardown() { mailc_teardown; }

@test "-a: two attachments, binary and text, read back byte-identical" {
	head -c 5000 /dev/urandom >"$TROOT/photo.png"
	printf 'a,b\n1,2\n' >"$TROOT/data.csv"
	run "$MAILC_BIN" -f alice@example.org -s "files" -a "$TROOT/photo.png" \
		bob@example.org -a "$TROOT/data.csv" <<<"See attached."
	echo "$output"
	[ "$status" -eq 0 ]
	f=$(stored bob)
	# RFC 2045 §6.8: base64 lines of at most 76 characters
	run awk 'body && length($0) > 76; /^$/ { body = 1 }' "$f"
	[ "$output" = "" ]
	python3 - "$f" "$TROOT/photo.png" "$TROOT/data.csv" <<'PY'
import email, email.policy, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                     policy=email.policy.default)
assert msg.get_content_type() == "multipart/mixed", msg.get_content_type()
parts = list(msg.iter_parts())
assert len(parts) == 3, parts
assert parts[0].get_content().rstrip("\n") == "See attached.", parts[0]
for part, path, ctype in ((parts[1], sys.argv[2], "image/png"),
                          (parts[2], sys.argv[3], "text/csv")):
    assert part.get_content_type() == ctype, part.get_content_type()
    assert part.get_content_disposition() == "attachment"
    assert part.get_filename() == path.rsplit("/", 1)[1], part.get_filename()
    assert part["Content-Transfer-Encoding"] == "base64"
    assert part.get_payload(decode=True) == open(path, "rb").read(), path
PY
}

@test "-a: an unknown extension is application/octet-stream; a UTF-8 file name is RFC 2231-encoded" {
	printf '\x00\x01\xff' >"$TROOT/Bücher.dat"
	run "$MAILC_BIN" -f alice@example.org -a "$TROOT/Bücher.dat" \
		bob@example.org </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	f=$(stored bob)
	python3 - "$f" "$TROOT/Bücher.dat" <<'PY'
import email, email.policy, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                     policy=email.policy.default)
part = list(msg.iter_attachments())[0]
assert part.get_content_type() == "application/octet-stream"
assert part.get_filename() == "Bücher.dat", part.get_filename()
assert part.get_payload(decode=True) == open(sys.argv[2], "rb").read()
PY
	# the header itself is ASCII
	run grep -c "$(printf '[\x80-\xff]')" <(sed '/^$/q' "$f")
	[ "$output" = 0 ]
}

@test "-a: a missing file is an error before anything is sent" {
	fake_start "220 fake"
	run "$MAILC_BIN" -p "$FAKE_PORT" -f alice@example.org \
		-a "$TROOT/nonexistent.pdf" bob@example.org <<<"body"
	echo "$output"
	[ "$status" -eq 66 ]
	[[ "$output" == *"nonexistent.pdf"* ]]
	[ ! -s "$TROOT/fake.log" ]
	run "$MAILC_BIN" -p "$FAKE_PORT" -f alice@example.org -a "$TROOT" \
		bob@example.org <<<"body"
	[ "$status" -eq 66 ]
	[ ! -s "$TROOT/fake.log" ]
}

@test "a UTF-8 subject is RFC 2047-encoded and decodes back" {
	subj="Grüße aus Köln — ein ziemlich langer Betreff, der über mehrere Zeilen gefaltet werden muss, 日本語も"
	run "$MAILC_BIN" -f alice@example.org -s "$subj" bob@example.org <<<"hi"
	echo "$output"
	[ "$status" -eq 0 ]
	f=$(stored bob)
	cat "$f"
	python3 - "$f" "$subj" <<'PY'
import email, email.header, re, sys
raw = open(sys.argv[1], "rb").read()
head = raw.split(b"\n\n", 1)[0].decode("ascii")  # all ASCII now
msg = email.message_from_string(head + "\n\n")
got = str(email.header.make_header(email.header.decode_header(msg["Subject"])))
assert got == sys.argv[2], got
for line in head.split("\n"):
    assert len(line) <= 76 or "=?" not in line, line
for word in re.findall(r"=\?[^?]+\?[BQ]\?[^?]*\?=", head):
    assert len(word) <= 75, word
PY
}

@test "non-ASCII display names in From and To are RFC 2047-encoded" {
	printf 'From: Jörg Müller <alice@example.org>\nTo: "Zoë, B." <bob@example.org>\nSubject: names\n\nbody\n' |
		"$MAILC_BIN" -t
	f=$(stored bob)
	cat "$f"
	python3 - "$f" <<'PY'
import email, email.policy, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                     policy=email.policy.default)
assert msg["From"].addresses[0].display_name == "Jörg Müller", msg["From"]
assert msg["From"].addresses[0].addr_spec == "alice@example.org"
assert msg["To"].addresses[0].display_name == "Zoë, B.", msg["To"]
assert msg["To"].addresses[0].addr_spec == "bob@example.org"
PY
	run grep -c "$(printf '[\x80-\xff]')" <(sed '/^$/q' "$f")
	[ "$output" = 0 ]
}

@test "an 8-bit body goes 8bit with BODY=8BITMIME where the server offers it" {
	printf 'Grüße,\nça va ?\n' >"$TROOT/body"
	run "$MAILC_BIN" -v -f alice@example.org bob@example.org <"$TROOT/body"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"MAIL FROM:<alice@example.org> SIZE="*" BODY=8BITMIME"* ]]
	f=$(stored bob)
	sed '/^$/q' "$f" | grep -qx 'MIME-Version: 1.0'
	sed '/^$/q' "$f" | grep -qx 'Content-Type: text/plain; charset=UTF-8'
	sed '/^$/q' "$f" | grep -qx 'Content-Transfer-Encoding: 8bit'
	cmp <(sed '1,/^$/d' "$f") "$TROOT/body"
}

@test "an 8-bit body goes quoted-printable to a server without 8BITMIME" {
	fake_start "220 fake"
	body=$'Grüße = viele,   \nline with trailing tab\t\n.dot line\n'"$(printf 'x%.0s' {1..100})é"$'\n'
	printf '%s' "$body" >"$TROOT/body"
	run "$MAILC_BIN" -p "$FAKE_PORT" -f alice@example.org bob@example.org \
		<"$TROOT/body"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -x 'MAIL FROM:<alice@example.org>' "$TROOT/fake.log"
	cat "$TROOT/fake.data"
	python3 - "$TROOT/fake.data" "$TROOT/body" <<'PY'
import email, email.policy, sys
raw = open(sys.argv[1], "rb").read()
for line in raw.split(b"\r\n"):
    assert len(line) <= 76 and max(line, default=0) < 128, line
# undo the SMTP transparency: CRLF, dot-stuffing
raw = b"\n".join(l[1:] if l.startswith(b"..") else l
                  for l in raw.split(b"\r\n"))
msg = email.message_from_bytes(raw, policy=email.policy.default)
assert msg["Content-Transfer-Encoding"] == "quoted-printable"
assert msg.get_content_type() == "text/plain"
assert msg.get_content_charset() == "utf-8"
assert msg.get_payload(decode=True) == open(sys.argv[2], "rb").read()
PY
}

@test "a message with MIME headers of its own is left alone" {
	printf 'Subject: mine\nMIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: 8bit\n\ncaf\xe9\n' >"$TROOT/msg"
	run "$MAILC_BIN" -f alice@example.org bob@example.org <"$TROOT/msg"
	[ "$status" -eq 0 ]
	f=$(stored bob)
	[ "$(grep -c '^MIME-Version' "$f")" = 1 ]
	[ "$(grep -c '^Content-Type' "$f")" = 1 ]
	grep -qx 'Content-Type: text/plain; charset=ISO-8859-1' "$f"
	cmp <(sed '1,/^$/d' "$f") <(printf 'caf\xe9\n')
}

@test "mailc -i with a piped message exits 64 and reads and sends nothing" {
	printf '127.0.0.1\n%s\nalice@example.org\nbob@example.org\nhi\nbody\n.\n' \
		"$SMTP_PORT" >"$TROOT/answers"
	run sh -c '"$1" -i; echo "status=$?"; cat' sh "$MAILC_BIN" <"$TROOT/answers"
	echo "$output"
	[[ "$output" == *"-i needs a terminal"* ]]
	[[ "$output" == *"status=64"* ]]
	# nothing of stdin was read: it is all still there
	[[ "$output" == *"127.0.0.1"*"body"* ]]
	[ -z "$(maildir_files example.org bob)" ]
	# no message reached the server
	run ! grep -q 'from=<' "$TROOT/smtpd.log"
}

@test "--help and --version: on stdout, exit 0" {
	run --separate-stderr "$MAILC_BIN" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: mailc"* ]]
	[[ "$output" == *"-a file"* ]]
	[ -z "$stderr" ]
	run --separate-stderr "$MAILC_BIN" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^mailc\ [0-9] ]]
	[ -z "$stderr" ]
}

@test "options may follow the recipients" {
	run "$MAILC_BIN" bob@example.org -s "after" -f alice@example.org <<<"hi"
	echo "$output"
	[ "$status" -eq 0 ]
	f=$(stored bob)
	grep -qx 'Subject: after' "$f"
	grep -qx 'Return-Path: <alice@example.org>' "$f"
}

@test "options after a recipient, then --: a recipient may start with '-'" {
	fake_start "220 fake"
	run "$MAILC_BIN" bob@example.org -p "$FAKE_PORT" -f alice@example.org \
		-- -s@example.org <<<"hi"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -x 'MAIL FROM:<alice@example.org>' "$TROOT/fake.log"
	grep -x 'RCPT TO:<bob@example.org>' "$TROOT/fake.log"
	grep -x 'RCPT TO:<-s@example.org>' "$TROOT/fake.log"
}

@test "the default From and Message-ID domain is fully qualified, or a warning says it is not" {
	run --separate-stderr env -u MAILC_DOMAIN USER=carol "$MAILC_BIN" bob@example.org <<<"hi"
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	f=$(stored bob)
	from=$(grep -m1 '^From: ' "$f")
	msgid=$(grep -m1 '^Message-ID: ' "$f")
	domain=${from#From: carol@}
	[[ "$msgid" == *"@$domain>" ]]
	if [[ "$domain" != *.* ]]; then
		[[ "$stderr" == *"not fully qualified"* ]]
	else
		[ -z "$stderr" ]
	fi
}

@test "interactive (HELO, no 8BITMIME): a UTF-8 subject and body go encoded" {
	run python3 "$BATS_TEST_DIRNAME/pty_mailc.py" \
		"Server host name [127.0.0.1]: " "" \
		"Port [$SMTP_PORT]: " "" \
		"From: " "alice@example.org" \
		"To: " "bob@example.org" \
		"Subject: " "Grüße" \
		'end it with a line containing only a single "."' "Schöne Grüße" \
		"" "." \
		"Send another message? [y/N]: " "n" \
		-- "$MAILC_BIN" -i
	echo "$output"
	[ "$status" -eq 0 ]
	f=$(stored bob)
	cat "$f"
	grep -qx 'Content-Transfer-Encoding: quoted-printable' "$f"
	python3 - "$f" <<'PY'
import email, email.policy, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                     policy=email.policy.default)
assert msg["Subject"] == "Grüße", msg["Subject"]
assert msg.get_content().strip() == "Schöne Grüße", msg.get_content()
PY
}
