#!/usr/bin/env python3
"""tls_mailc_srv.py PROTO ADDR PORT CERT KEY [OPTION...] - an SMTP or POP3
server with TLS for mailc's TLS tests (t/tls_mailc.bats), made with
Python's ssl module: a TLS implementation mailc's code has nothing in
common with.

PROTO is smtp or pop3.  OPTIONs:
  implicit   TLS from the first byte (smtps, pop3s)
  notls      never offer STARTTLS / STLS
Without implicit, STARTTLS (SMTP, in the EHLO reply) and STLS (POP3, in
CAPA) are offered until TLS is on.  SMTP offers AUTH PLAIN and takes any
credentials; POP3 takes any USER/PASS and holds one message (UIDL
"uid-1").

Every command line received is appended to $SRV_LOG as "tls=0 LINE" or
"tls=1 LINE" (whether it came inside TLS); after each message received
over SMTP, a line "MESSAGE tls=N" follows, and the message is appended
to $SRV_DATA if set; a failed handshake appends "HANDSHAKE-FAILED".
$SRV_READY is created once it listens.  Connections are served one after
another; it exits after 120 s so that a forgotten one cannot linger.
"""
import os
import signal
import socket
import ssl
import sys

MESSAGE = b"Subject: over pop3\r\n\r\nhello from the TLS test server\r\n"


def log(text):
    if os.environ.get("SRV_LOG"):
        with open(os.environ["SRV_LOG"], "a") as f:
            f.write(text + "\n")


class Conn:
    def __init__(self, sock, ctx):
        self.sock, self.ctx, self.tls = sock, ctx, False
        self.f = sock.makefile("rb")

    def starttls(self):
        self.sock = self.ctx.wrap_socket(self.sock, server_side=True)
        self.tls = True
        self.f = self.sock.makefile("rb")

    def send(self, *lines):
        self.sock.sendall(b"".join(l.encode() + b"\r\n" for l in lines))

    def readline(self):
        line = self.f.readline()
        if not line:
            return None
        cmd = line.decode("latin-1").rstrip("\r\n")
        log("tls=%d %s" % (self.tls, cmd))
        return cmd


def smtp(c, offer):
    c.send("220 tls-test ESMTP")
    while (cmd := c.readline()) is not None:
        verb = cmd.split(" ")[0].upper()
        if verb == "EHLO":
            ext = ["250-tls-test", "250-AUTH PLAIN", "250-8BITMIME"]
            if offer and not c.tls:
                ext.append("250-STARTTLS")
            c.send(*ext, "250 SIZE 10000000")
        elif verb == "STARTTLS" and offer and not c.tls:
            c.send("220 2.0.0 Ready to start TLS")
            c.starttls()
        elif verb == "AUTH":
            c.send("235 2.7.0 ok")
        elif verb == "DATA":
            c.send("354 go ahead")
            data = b""
            while (line := c.f.readline()) not in (b".\r\n", b""):
                data += line
            log("MESSAGE tls=%d" % c.tls)
            if os.environ.get("SRV_DATA"):
                with open(os.environ["SRV_DATA"], "ab") as f:
                    f.write(data)
            c.send("250 2.0.0 queued")
        elif verb == "QUIT":
            c.send("221 bye")
            return
        else:
            c.send("250 ok")


def pop3(c, offer):
    c.send("+OK tls-test POP3")
    while (cmd := c.readline()) is not None:
        verb = cmd.split(" ")[0].upper()
        if verb == "CAPA":
            caps = ["+OK", "USER", "UIDL"]
            if offer and not c.tls:
                caps.append("STLS")
            c.send(*caps, ".")
        elif verb == "STLS" and offer and not c.tls:
            c.send("+OK begin TLS")
            c.starttls()
        elif verb in ("USER", "PASS", "NOOP", "DELE", "RSET"):
            c.send("+OK")
        elif verb == "STAT":
            c.send("+OK 1 %d" % len(MESSAGE))
        elif verb == "LIST":
            c.send("+OK", "1 %d" % len(MESSAGE), ".")
        elif verb == "UIDL":
            c.send("+OK", "1 uid-1", ".")
        elif verb == "RETR":
            c.sock.sendall(b"+OK\r\n" + MESSAGE + b".\r\n")
        elif verb == "QUIT":
            c.send("+OK bye")
            return
        else:
            c.send("-ERR unknown command")


def main():
    proto, addr, port, cert, key = sys.argv[1:6]
    opts = sys.argv[6:]
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    signal.alarm(120)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, int(port)))
    ls.listen(5)
    if os.environ.get("SRV_READY"):
        open(os.environ["SRV_READY"], "w").close()
    serve = smtp if proto == "smtp" else pop3
    while True:
        sock, _ = ls.accept()
        sock.settimeout(30)
        c = Conn(sock, ctx)
        try:
            if "implicit" in opts:
                c.starttls()
            serve(c, "notls" not in opts)
        except (ssl.SSLError, OSError) as e:
            log("HANDSHAKE-FAILED %s" % e if isinstance(e, ssl.SSLError)
                else "LOST %s" % e)
        finally:
            try:
                c.sock.close()
            except OSError:
                pass


if __name__ == "__main__":
    main()
