#!/usr/bin/env python3
"""fake_smtp.py PORT REPLY... - a scripted SMTP server for mailc's tests,
for the answers a good server never gives (554 banner, 421, 451).

Listens on 127.0.0.1:PORT and serves connections one after another.  Each
gets REPLY[0] as its banner; every command line after that is answered
with the next REPLY, or once they run out "250 ok" ("354 go ahead" to
DATA, "221 bye" to QUIT).
A REPLY of "<close>" closes the connection instead of answering, and
"<silent>" never answers.  After a 354 reply the message is read up to
CRLF.CRLF, and appended (as it came, CRLF and dot-stuffing included) to
the file named by $FAKE_DATA, if set.  Every command received is
appended to the file named by $FAKE_LOG, if set; the file named by
$FAKE_READY, if set, is created once it listens.  Exits after 60 s, so
a forgotten one cannot linger.
"""
import os
import socket
import sys
import time


def serve(conn, replies):
    log = open(os.environ["FAKE_LOG"], "a") if os.environ.get("FAKE_LOG") else None
    f = conn.makefile("rb")
    replies = list(replies)

    def answer():
        r = replies.pop(0) if replies else None
        if r == "<close>":
            return False
        if r == "<silent>":
            time.sleep(60)
            return False
        if r is not None:
            conn.sendall(r.encode() + b"\r\n")
        return r

    if not answer():
        return
    while True:
        line = f.readline()
        if not line:
            return
        cmd = line.decode("latin-1").rstrip("\r\n")
        if log:
            log.write(cmd + "\n")
            log.flush()
        if not replies:
            replies.append({"QUIT": "221 bye", "DATA": "354 go ahead"}
                           .get(cmd.upper(), "250 ok"))
        r = answer()
        if not r:
            return
        if r.startswith("221"):
            return
        if r.startswith("354"):
            data = open(os.environ["FAKE_DATA"], "ab") \
                if os.environ.get("FAKE_DATA") else None
            while (line := f.readline()) not in (b".\r\n", b""):
                if data:
                    data.write(line)
            if data:
                data.close()
            if not replies:
                replies.append("250 ok: queued")
            if not answer():
                return


def main():
    port, replies = int(sys.argv[1]), sys.argv[2:]
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(5)
    if os.environ.get("FAKE_READY"):
        open(os.environ["FAKE_READY"], "w").close()
    deadline = time.time() + 60
    while time.time() < deadline:
        srv.settimeout(max(0.1, deadline - time.time()))
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            break
        with conn:
            try:
                serve(conn, replies)
            except OSError:
                pass


if __name__ == "__main__":
    main()
