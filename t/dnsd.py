#!/usr/bin/env python3
"""dnsd.py ZONE PORTFILE [LOG] - a small authoritative DNS server for the
MX tests (t/mx.bats), standard library only.

Listens on 127.0.0.1, UDP and TCP on the same port (one it finds free),
and writes that port to PORTFILE once both listen.  Answers from ZONE,
re-read for every query so a test may change it, one record a line:

    NAME MX PREF HOST        (HOST "." is a null MX, RFC 7505)
    NAME A 192.0.2.1
    NAME AAAA 2001:db8::1
    NAME SERVFAIL            (every query for NAME gets SERVFAIL)
    NAME LOOP                (an MX answer whose exchange is a
                              compression pointer to itself: malformed)
    NAME SILENT              (no query for NAME is answered: a timeout)

A name in no line gets NXDOMAIN; a name with no record of the type
asked gets an empty NOERROR answer.  Over UDP an answer longer than 512
bytes is cut to its question with TC=1 (RFC 1035 §4.2.1), so the
client asks again over TCP, where it gets all of it.  Each query is
appended to LOG as "udp|tcp NAME TYPE".  Exits after 120 s, so a
forgotten one cannot linger.
"""
import ipaddress
import socket
import struct
import sys
import threading
import time

TYPES = {"A": 1, "MX": 15, "AAAA": 28}
NAMES = {v: k for k, v in TYPES.items()}


def load(zone):
    records, special = {}, {}
    with open(zone) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith("#"):
                continue
            name = w[0].rstrip(".").lower()
            if w[1] in ("SERVFAIL", "LOOP", "SILENT"):
                special[name] = w[1]
            else:
                records.setdefault(name, []).append((w[1], w[2:]))
    return records, special


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def rdata(rtype, value):
    if rtype == "A":
        return ipaddress.IPv4Address(value[0]).packed
    if rtype == "AAAA":
        return ipaddress.IPv6Address(value[0]).packed
    return struct.pack("!H", int(value[0])) + encode_name(value[1])


def answer(query, zone, proto, log):
    (qid, flags, qd) = struct.unpack("!HHH", query[:6])
    pos, labels = 12, []
    while query[pos]:
        labels.append(query[pos + 1:pos + 1 + query[pos]].decode())
        pos += 1 + query[pos]
    qtype, _ = struct.unpack("!HH", query[pos + 1:pos + 5])
    question = query[12:pos + 5]
    name = ".".join(labels).lower()
    if log:
        with open(log, "a") as f:
            f.write("%s %s %s\n" % (proto, name, NAMES.get(qtype, qtype)))
    records, special = load(zone)
    rcode, rrs = 0, []
    if special.get(name) == "SILENT":
        return None
    if special.get(name) == "SERVFAIL":
        rcode = 2
    elif special.get(name) == "LOOP":
        # the exchange starts at offset 12 + len(question) + 12 + 2
        at = 12 + len(question) + 12 + 2
        d = struct.pack("!H", 10) + struct.pack("!H", 0xC000 | at)
        rrs.append(struct.pack("!HHHIH", 0xC00C, 15, 1, 60, len(d)) + d)
    elif name not in records:
        rcode = 3
    else:
        for rtype, value in records[name]:
            if TYPES.get(rtype) == qtype:
                d = rdata(rtype, value)
                # the owner: a pointer to the question's name
                rrs.append(struct.pack("!HHHIH", 0xC00C, qtype, 1, 60, len(d)) + d)
    head = lambda tc, n: struct.pack(
        "!HHHHHH", qid, 0x8400 | (flags & 0x0100) | 0x0080 | (0x0200 if tc else 0) | rcode,
        1, n, 0, 0)
    whole = head(False, len(rrs)) + question + b"".join(rrs)
    if proto == "udp" and len(whole) > 512:
        return head(True, 0) + question
    return whole


def serve_udp(sock, zone, log):
    while True:
        data, peer = sock.recvfrom(4096)
        try:
            reply = answer(data, zone, "udp", log)
            if reply is not None:
                sock.sendto(reply, peer)
        except Exception as e:  # a query it cannot read: no answer
            print("dnsd:", e, file=sys.stderr)


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        more = conn.recv(n - len(data))
        if not more:
            raise EOFError
        data += more
    return data


def serve_tcp_conn(conn, zone, log):
    with conn:
        try:
            while True:
                (n,) = struct.unpack("!H", read_exact(conn, 2))
                reply = answer(read_exact(conn, n), zone, "tcp", log)
                if reply is None:
                    break
                conn.sendall(struct.pack("!H", len(reply)) + reply)
        except (EOFError, OSError):
            pass


def serve_tcp(sock, zone, log):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve_tcp_conn, args=(conn, zone, log), daemon=True).start()


def main():
    zone, portfile = sys.argv[1], sys.argv[2]
    log = sys.argv[3] if len(sys.argv) > 3 else None
    # a port of the kernel's ephemeral range (port 0), never one that
    # helpers.bash's free_port may have given a test and that is not yet
    # bound; TCP on the same number, which may be taken: then another
    for _ in range(200):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            t.bind(("127.0.0.1", port))
            break
        except OSError:
            u.close()
            t.close()
    else:
        sys.exit("dnsd: no free port")
    t.listen(16)
    threading.Thread(target=serve_udp, args=(u, zone, log), daemon=True).start()
    threading.Thread(target=serve_tcp, args=(t, zone, log), daemon=True).start()
    with open(portfile + ".new", "w") as f:
        f.write("%d\n" % port)
    import os
    os.rename(portfile + ".new", portfile)
    time.sleep(120)


if __name__ == "__main__":
    main()
