#!/usr/bin/env python3
"""tls_sink.py PORT LOG READY [MODE [CERT KEY]] - an SMTP sink that can
speak STARTTLS (RFC 3207), for t/tls_relay.bats.

Listens on 127.0.0.1:PORT, a thread per connection, takes every message
(250 to everything but DATA, 354, and QUIT, 221; PIPELINING offered, the
replies simply come in the order of the commands).  MODE says what it
does about TLS:

  clear     STARTTLS is not offered (and refused if asked: 502)
  tls       offered; the handshake with CERT and KEY (PEM)
  refuse    offered, but answered 454 4.7.0 TLS not available
  broken    offered, answered 220, then bytes that are not TLS and the
            connection closed: the client's handshake fails

Every event goes to LOG as one line, flushed at once, so a test reads
what the peer saw:

  connect                       a connection
  tls VERSION CIPHER            a handshake done
  mail FROM tls=VERSION|none    a MAIL command, and over what
  message SUBJECT tls=VERSION|none    a message taken (before its 250)
  rset tls=VERSION|none         an RSET

READY is created once it listens.  Exits after $SINK_LIFETIME seconds
(600), so a forgotten one cannot linger.
"""
import os
import socketserver
import ssl
import sys
import threading
import time

lock = threading.Lock()


def event(server, text):
    with lock:
        server.log.write(text + "\n")
        server.log.flush()


class Session(socketserver.BaseRequestHandler):
    def setup(self):
        self.tls = None
        self.rfile = self.request.makefile("rb")

    def reply(self, text):
        data = text.encode() + b"\r\n"
        if self.tls is not None:
            self.tls.sendall(data)
        else:
            self.request.sendall(data)

    def readline(self, limit=65536):
        return self.rfile.readline(limit)

    def ehlo(self):
        lines = ["250-sink.example", "250-PIPELINING", "250-8BITMIME"]
        if self.server.mode != "clear" and self.tls is None:
            lines.append("250-STARTTLS")
        lines.append("250 SIZE 0")
        self.reply("\r\n".join(lines))

    def starttls(self):
        mode = self.server.mode
        if mode == "clear" or self.tls is not None:
            self.reply("502 5.5.1 not here")
            return True
        if mode == "refuse":
            self.reply("454 4.7.0 TLS not available")
            return True
        self.reply("220 2.0.0 Ready to start TLS")
        if mode == "broken":
            self.request.sendall(b"this is not TLS at all\r\n" * 4)
            return False
        try:
            self.tls = self.server.ctx.wrap_socket(self.request,
                                                   server_side=True)
        except (ssl.SSLError, OSError) as e:
            event(self.server, "handshake-failed " + str(e).replace("\n", " "))
            return False
        # RFC 3207 §4.2: anything read before the handshake is dropped
        self.rfile = self.tls.makefile("rb")
        event(self.server, "tls %s %s" % (self.tls.version(),
                                          self.tls.cipher()[0]))
        return True

    def over(self):
        return "tls=" + (self.tls.version() if self.tls else "none")

    def handle(self):
        event(self.server, "connect")
        self.reply("220 sink.example ESMTP sink")
        while True:
            line = self.readline(8192)
            if not line:
                return
            text = line.decode("latin-1").strip()
            verb = text.split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                self.ehlo()
            elif verb == "STARTTLS":
                if not self.starttls():
                    return
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            elif verb == "MAIL":
                event(self.server, "mail %s %s" % (text[10:].split(" ")[0],
                                                   self.over()))
                self.reply("250 ok")
            elif verb == "RSET":
                event(self.server, "rset " + self.over())
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go ahead")
                subject = "-"
                while True:
                    line = self.readline()
                    if not line:
                        return
                    if line == b".\r\n":
                        break
                    t = line.decode("latin-1").rstrip("\r\n")
                    if t.lower().startswith("subject:") and subject == "-":
                        subject = t[8:].strip()
                event(self.server, "message %s %s" % (subject, self.over()))
                self.reply("250 2.0.0 taken")
            else:
                self.reply("250 ok")

    def finish(self):
        try:
            if self.tls is not None:
                self.tls.close()
        except OSError:
            pass


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    port, log, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    mode = sys.argv[4] if len(sys.argv) > 4 else "tls"
    srv = Server(("127.0.0.1", port), Session)
    srv.mode = mode
    srv.log = open(log, "a")
    if mode == "tls":
        srv.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        srv.ctx.load_cert_chain(sys.argv[5], sys.argv[6])
    open(ready, "w").close()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    time.sleep(int(os.environ.get("SINK_LIFETIME", "600")))


if __name__ == "__main__":
    main()
