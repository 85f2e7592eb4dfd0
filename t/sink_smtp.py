#!/usr/bin/env python3
"""sink_smtp.py PORT LOG [READY] - an SMTP sink that takes every message,
for t/relay_crash.bats.

Listens on 127.0.0.1:PORT, serves any number of connections at once (a
thread each), advertises PIPELINING (the replies simply come in the order
the commands do, so a pipelined batch is answered as it should be) and
answers 250 to everything but DATA (354) and QUIT (221).  Each message is
read to CRLF.CRLF, and its Message-ID (or, without one, its Subject; "-"
without either) is appended as one line to LOG and flushed *before* the
250 to the final dot: a message the sink said 250 to is in LOG.  READY,
if given, is created once it listens.  Exits after $SINK_LIFETIME seconds
(600), so a forgotten one cannot linger.

SINK_DROP=K (for proving the test can fail): the K-th message is
answered 250 but not written to LOG, as if it had been lost.
"""
import os
import socketserver
import sys
import threading
import time

lock = threading.Lock()
received = 0


def message_key(header_lines):
    found = {}
    for line in header_lines:
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() in ("message-id", "subject"):
            found.setdefault(name.strip().lower(), value.strip())
    return found.get("message-id") or found.get("subject") or "-"


class Session(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        global received
        self.reply("220 sink.example ESMTP sink")
        while True:
            line = self.rfile.readline(8192)
            if not line:
                return
            verb = line.decode("latin-1").strip().split(" ")[0].upper()
            if verb in ("EHLO",):
                self.reply("250-sink.example\r\n250-PIPELINING\r\n"
                           "250-8BITMIME\r\n250 SIZE 0")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            elif verb == "DATA":
                self.reply("354 go ahead")
                headers, in_header = [], True
                while True:
                    line = self.rfile.readline(65536)
                    if not line:
                        return
                    if line == b".\r\n":
                        break
                    text = line.decode("latin-1").rstrip("\r\n")
                    if in_header:
                        if text == "":
                            in_header = False
                        else:
                            headers.append(text)
                key = message_key(headers)
                with lock:
                    received += 1
                    if str(received) != os.environ.get("SINK_DROP"):
                        self.server.log.write(key + "\n")
                        self.server.log.flush()
                self.reply("250 2.0.0 taken")
            else:
                self.reply("250 ok")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    # the default backlog (5) overflows when many workers connect at
    # once to a busy sink: the kernel then drops a connection the client
    # takes as open, and its worker waits out relay_helo_timeout (300 s)
    request_queue_size = 1024


def main():
    port, log = int(sys.argv[1]), sys.argv[2]
    srv = Server(("127.0.0.1", port), Session)
    srv.log = open(log, "a")
    if len(sys.argv) > 3:
        open(sys.argv[3], "w").close()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    time.sleep(int(os.environ.get("SINK_LIFETIME", "600")))


if __name__ == "__main__":
    main()
