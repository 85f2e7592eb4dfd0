#!/usr/bin/env python3
"""stopchat.py - a client for t/shutdown.bats: it talks to a server step by
step and can stop half-way until the test has signalled the daemon.

  stopchat.py PORT DIR STEP...

Steps, in order:
  S          read one reply (SMTP: up to its last line; POP3: one line)
             and print it, without CR
  C:TEXT     send TEXT and CRLF (nothing is read)
  FILL:N     send N lines of 998 "x" and CRLF (message text)
  READY      create DIR/ready (the test waits for it)
  GO         wait (up to 60 s) until DIR/go exists
  REST:SECS  print every line the server sends until it closes the
             connection ("<closed>" last) or SECS seconds have passed
             since this step began ("<open>" last)

A connection that ends in the middle of S prints "<closed>" and stops.
Exit 0 unless the connection cannot be made.
"""
import os
import socket
import sys
import time


def read_reply(f):
    """print one reply; False when the connection ended"""
    while True:
        try:
            line = f.readline()
        except (ConnectionResetError, socket.timeout):
            line = b""
        if not line:
            print("<closed>", flush=True)
            return False
        text = line.decode("latin-1").rstrip("\r\n")
        print(text, flush=True)
        if len(text) < 4 or text[3] != "-":
            return True


def rest(s, f, secs):
    """through f, which may hold what S read ahead"""
    end = time.monotonic() + secs
    while True:
        left = end - time.monotonic()
        if left <= 0:
            print("<open>", flush=True)
            return
        s.settimeout(left)
        try:
            line = f.readline()
        except socket.timeout:
            print("<open>", flush=True)
            return
        except ConnectionResetError:
            line = b""
        if not line:
            print("<closed>", flush=True)
            return
        print(line.decode("latin-1").rstrip("\r\n"), flush=True)


def main():
    port, d, steps = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    f = s.makefile("rb")
    for step in steps:
        if step == "S":
            if not read_reply(f):
                return 0
        elif step.startswith("C:"):
            s.sendall(step[2:].encode("latin-1") + b"\r\n")
        elif step.startswith("FILL:"):
            s.sendall((b"x" * 998 + b"\r\n") * int(step[5:]))
        elif step == "READY":
            open(os.path.join(d, "ready"), "w").close()
        elif step == "GO":
            deadline = time.monotonic() + 60
            while not os.path.exists(os.path.join(d, "go")):
                if time.monotonic() > deadline:
                    sys.exit("stopchat: no go")
                time.sleep(0.05)
        elif step.startswith("REST:"):
            rest(s, f, float(step[5:]))
        else:
            sys.exit("stopchat: bad step %r" % step)
    return 0


if __name__ == "__main__":
    sys.exit(main())
