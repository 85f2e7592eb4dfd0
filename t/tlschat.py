#!/usr/bin/env python3
"""tlschat.py - smtpchat.py's chat, with TLS, for t/tls_smtp.bats.

  tlschat.py [options] PORT [LINE ...]

Reads the greeting, then sends each LINE (CRLF added) and prints the
whole reply to it, CR stripped.  Special lines:

  <tls>          shake hands now (after the 220 to a STARTTLS): prints
                 "<tls VERSION CIPHER>" or "<tls failed: WHY>" (and ends)
  <send TEXT>    send TEXT as is (\\r and \\n are CR and LF), read nothing
  <read>         read one reply and print it
  <cert>         print the server certificate's subject CN ("<cert CN>")

Options:
  --implicit     TLS from the start (smtps), before the greeting
  --source IP    connect from this address (127.0.0.2: not "loopback")
  --ca FILE      verify the server's certificate with this CA (else none)
  --name NAME    the name to ask for and check (default 127.0.0.1)
  --max-tls1     offer TLS 1.0 only (at security level 0)

A connection the server closes prints "<closed>".  Exit 0 unless the
connection fails.
"""
import socket
import ssl
import sys


def make_context(ca, max_tls1):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca:
        ctx.load_verify_locations(ca)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if max_tls1:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1
    return ctx


def read_reply(f):
    lines = []
    while True:
        try:
            line = f.readline()
        except (ConnectionResetError, ssl.SSLError, OSError):
            line = b""
        if not line:
            lines.append("<closed>")
            return lines
        text = line.decode("latin-1").rstrip("\r\n")
        lines.append(text)
        if len(text) < 4 or text[3] != "-":
            return lines


def main():
    args = sys.argv[1:]
    implicit, source, ca, name, max_tls1 = False, None, None, "127.0.0.1", False
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--implicit":
            implicit = True
        elif opt == "--source":
            source = (args.pop(0), 0)
        elif opt == "--ca":
            ca = args.pop(0)
        elif opt == "--name":
            name = args.pop(0)
        elif opt == "--max-tls1":
            max_tls1 = True
        else:
            sys.exit("tlschat.py: unknown option " + opt)
    port = int(args.pop(0))
    ctx = make_context(ca, max_tls1)
    sock = socket.create_connection(("127.0.0.1", port), timeout=20,
                                    source_address=source)

    def start_tls():
        nonlocal sock
        try:
            sock = ctx.wrap_socket(sock, server_hostname=name)
        except (ssl.SSLError, OSError) as e:
            print("<tls failed: %s>" % e)
            return False
        print("<tls %s %s>" % (sock.version(), sock.cipher()[0]))
        return True

    if implicit and not start_tls():
        return
    f = sock.makefile("rb")
    out = read_reply(f)
    print("\n".join(out))
    if out[-1] == "<closed>":
        return
    for line in args:
        if line == "<tls>":
            if not start_tls():
                return
            f = sock.makefile("rb")
            continue
        if line == "<cert>":
            cert = sock.getpeercert()
            cn = [v for rdn in cert["subject"] for (k, v) in rdn
                  if k == "commonName"]
            print("<cert %s>" % cn[0])
            continue
        if line.startswith("<send ") and line.endswith(">"):
            text = line[6:-1].replace("\\r", "\r").replace("\\n", "\n")
            sock.sendall(text.encode("latin-1"))
            continue
        if line != "<read>":
            sock.sendall(line.encode("latin-1") + b"\r\n")
        out = read_reply(f)
        print("\n".join(out))
        if out[-1] == "<closed>":
            return


main()
