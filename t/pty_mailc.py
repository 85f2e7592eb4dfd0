#!/usr/bin/env python3
"""pty_mailc.py [EXPECT ANSWER]... -- COMMAND [ARG...]

Runs COMMAND (mailc -i) on a pseudo-terminal and plays the person at the
keyboard: waits until the output shows EXPECT, then types ANSWER and
Enter; an ANSWER of "<eof>" types Control-D instead.  Then it waits for
the program to end and prints everything the terminal showed (the
answers are in it, echoed by the terminal).

Exit status: the program's, or 124 if an EXPECT did not show up (or the
program did not end) within 10 s, with what was seen on stderr.
"""
import os
import pty
import select
import sys
import time

TIMEOUT = 10


def read_some(fd, seen, deadline):
    """Append what the terminal shows to seen; False at its end."""
    left = deadline - time.time()
    if left <= 0:
        return True
    r, _, _ = select.select([fd], [], [], left)
    if not r:
        return True
    try:
        data = os.read(fd, 4096)
    except OSError:  # EIO: the program ended
        return False
    if not data:
        return False
    seen.extend(data)
    return True


def main():
    args = sys.argv[1:]
    split = args.index("--")
    script, command = args[:split], args[split + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    seen = bytearray()
    pos = 0  # where to look for the next prompt
    for i in range(0, len(script), 2):
        expect = script[i].encode()
        deadline = time.time() + TIMEOUT
        while seen.find(expect, pos) < 0:
            if time.time() > deadline or not read_some(fd, seen, deadline):
                sys.stdout.write(seen.decode("latin-1"))
                sys.stderr.write("pty_mailc: never saw %r\n" % script[i])
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                return 124
        pos = seen.find(expect, pos) + len(expect)
        answer = script[i + 1]
        os.write(fd, b"\x04" if answer == "<eof>" else answer.encode() + b"\n")
    deadline = time.time() + TIMEOUT
    while read_some(fd, seen, deadline):
        if time.time() > deadline:
            sys.stdout.write(seen.decode("latin-1"))
            sys.stderr.write("pty_mailc: the program did not end\n")
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return 124
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(seen.decode("latin-1").replace("\r\n", "\n"))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
