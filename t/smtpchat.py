#!/usr/bin/env python3
"""smtpchat.py - talk to a line-based server the way a person with telnet
would, for the bats tests.

  smtpchat.py PORT [LINE ...]     read the greeting, then send each LINE
                                  (CRLF added) and print the whole reply
                                  to it; a line "<wait N>" sleeps N s
  smtpchat.py -p PORT [LINE ...]  pipelining: send all lines in one write,
                                  then print every reply line until close
                                  or 5 s of silence
  smtpchat.py -r PORT             raw: read bytes from stdin (as is), send
                                  them in one write, print everything the
                                  server answers until it closes (or 10 s)
  --pop3                          replies are POP3 (+OK/-ERR, one line;
                                  after +OK to CAPA, LIST, UIDL without an
                                  argument, TOP, RETR or a bare AUTH, the
                                  lines up to the lone ".")

Reply lines are printed without CR.  Exit 0 unless the connection fails.
"""
import socket
import sys
import time

def pop3_multiline(cmd):
    words = cmd.upper().split()
    if not words:
        return False
    if words[0] in ("CAPA", "TOP", "RETR"):
        return True
    return words[0] in ("LIST", "UIDL", "AUTH") and len(words) == 1

def read_reply(f, pop3, cmd=""):
    lines = []
    multi = False
    while True:
        try:
            line = f.readline()
        except ConnectionResetError:
            line = b""
        if not line:
            lines.append("<closed>")
            return lines
        text = line.decode("latin-1").rstrip("\r\n")
        lines.append(text)
        if pop3:
            if len(lines) == 1:
                multi = text.startswith("+OK") and pop3_multiline(cmd)
            if not multi or (len(lines) > 1 and text == "."):
                return lines
            continue
        if len(text) < 4 or text[3] != "-":
            return lines

def main():
    args = sys.argv[1:]
    mode = "chat"
    pop3 = False
    while args and args[0].startswith("-"):
        opt = args.pop(0)
        if opt == "-p":
            mode = "pipe"
        elif opt == "-r":
            mode = "raw"
        elif opt == "--pop3":
            pop3 = True
    port = int(args.pop(0))
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    if mode == "raw":
        data = sys.stdin.buffer.read()
        s.sendall(data)
        s.settimeout(10)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
        sys.stdout.write(out.decode("latin-1").replace("\r\n", "\n"))
        return 0
    f = s.makefile("rb")
    for l in read_reply(f, pop3):
        print(l)
    if mode == "pipe":
        s.sendall(b"".join(a.encode("latin-1") + b"\r\n" for a in args))
        s.settimeout(5)
        try:
            while True:
                line = f.readline()
                if not line:
                    break
                print(line.decode("latin-1").rstrip("\r\n"))
        except (socket.timeout, OSError):
            pass
        return 0
    for a in args:
        if a.startswith("<wait ") and a.endswith(">"):
            time.sleep(float(a[6:-1]))
            continue
        try:
            s.sendall(a.encode("latin-1") + b"\r\n")
        except OSError:
            print("<closed>")
            return 0
        for l in read_reply(f, pop3, a):
            print(l)
            if l == "<closed>":
                return 0
    return 0

if __name__ == "__main__":
    sys.exit(main())
