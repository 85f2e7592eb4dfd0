#!/usr/bin/env python3
"""notify_listen.py - stand in for systemd's end of sd_notify(3), for
t/systemd.bats.

  notify_listen.py ADDRESS OUTFILE

Binds an AF_UNIX datagram socket at ADDRESS (a path, or an abstract
name written with a leading '@', as $NOTIFY_SOCKET spells them), then
creates OUTFILE (empty: bound, the test may start smtpd) and appends
every datagram it receives to it, followed by a line "--".  Runs until
killed; removes a path socket on SIGTERM.
"""
import os
import signal
import socket
import sys


def main():
    addr, out = sys.argv[1], sys.argv[2]
    name = "\0" + addr[1:] if addr.startswith("@") else addr
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(name)

    def stop(*_):
        if not addr.startswith("@"):
            os.unlink(addr)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    open(out, "w").close()
    while True:
        data = s.recv(65536)
        with open(out, "ab") as f:
            f.write(data.rstrip(b"\n") + b"\n--\n")


if __name__ == "__main__":
    main()
