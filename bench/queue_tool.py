#!/usr/bin/env python3
"""queue_tool.py - the helpers of bench/queue.sh (`make bench-queue`).

Subcommands, each printing "key value" lines on stdout:

  ports N                 N distinct free loopback ports (below the kernel's
                          ephemeral range, as t/helpers.bash's free_port)
  fill QUEUE N ...        write N deferred messages straight into QUEUE
                          (data/ID, then env/ID, in the format smtpd's
                          store/queue.c and store/queue_env.c write), as if
                          each had had one failed attempt: next far ahead
  sink PORT STATE         an SMTP server that takes every message and
                          throws it away; after each one it replaces the
                          file STATE with "count N", "first T", "last T"
                          (time.time() at its 250 to the final dot)
  send PORT K ...         submit K messages over SMTP (C sessions at once)
  wait STATE K QUEUE D    until the sink has K messages and QUEUE's env/
                          holds D envelopes again, or a timeout
  settle PID              until PID's CPU time (utime+stime in
                          /proc/PID/stat, its own, not its children's)
                          stops growing, or a timeout
  cpu PID                 PID's utime+stime now, in clock ticks
  descendants PID         the pids of PID's children, theirs, and so on

Only the standard library.  It never fsyncs what it writes: the files are
scaffolding for a benchmark, not mail.
"""
import argparse
import os
import pwd
import random
import smtplib
import socket
import socketserver
import sys
import threading
import time

# the widths of store/queue_env.c's fixed fields
NEXT_WIDTH = 12
ATTEMPTS_WIDTH = 5
STATE_WIDTH = 7


def out(**kv):
    for k, v in kv.items():
        print(k, v)
    sys.stdout.flush()


# --- ports --------------------------------------------------------------

def cmd_ports(a):
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        lo = int(f.read().split()[0])
    held, ports = [], []
    try:
        for _ in range(1000):
            if len(ports) == a.n:
                break
            port = random.randrange(10000, max(lo, 10001))
            if port in ports:
                continue
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            held.append(s)
            ports.append(port)
        else:
            sys.exit("queue_tool: no free port")
    finally:
        for s in held:
            s.close()
    print(*ports)


# --- fill ---------------------------------------------------------------

def queue_id(secs, usecs, pid, seq):
    # store/queue.c queue_new_id: "%08llX%05lX%04X%X"
    return "%08X%05X%04X%X" % (secs, usecs, pid & 0xFFFF, seq & 0xF)


def envelope(qid, created, next_try, tried, sender, rcpt, error, remote):
    # store/queue_env.c queue_env_format, for one pending recipient
    return (
        "id %s\n"
        "created %d\n"
        "next %*d\n"
        "attempts %*d\n"
        "tried %d\n"
        "sender %s\n"
        "rcpt %-*s %s\n"
        "error %s\n"
        "remote %s\n"
        % (qid, created, NEXT_WIDTH, next_try, ATTEMPTS_WIDTH, 1, tried,
           sender, STATE_WIDTH, "pending", rcpt, error, remote)
    ).encode()


def data_text(qid, hostname, rcpt, sender, when, size):
    # store/deliver.c trace_header (one remote recipient), then a message
    date = time.strftime("%a, %-d %b %Y %H:%M:%S +0000", time.gmtime(when))
    head = (
        "Received: from [127.0.0.1] ([127.0.0.1]) by %s (smtpd) with ESMTP "
        "id %s for <%s>; %s\n"
        "From: <%s>\n"
        "To: <%s>\n"
        "Subject: deferred bench message %s\n"
        "Date: %s\n"
        "Message-ID: <%s@bench.invalid>\n"
        "\n" % (hostname, qid, rcpt, date, sender, rcpt, qid, date, qid)
    )
    body = ("x" * 71 + "\n") * max(1, (size - len(head)) // 72)
    return (head + body).encode()


def write_new(path, data, uid, gid):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        if uid is not None:
            os.fchown(fd, uid, gid)
    finally:
        os.close(fd)


def cmd_fill(a):
    t0 = time.time()
    now = int(t0)
    uid = gid = None
    if a.user and os.getuid() == 0:
        pw = pwd.getpwnam(a.user)
        uid, gid = pw.pw_uid, pw.pw_gid
    for sub in ("tmp", "data", "env", "hold"):
        os.makedirs(os.path.join(a.queue, sub), mode=0o700, exist_ok=True)
        if uid is not None:
            os.chown(os.path.join(a.queue, sub), uid, gid)
    if uid is not None:
        os.chown(a.queue, uid, gid)
    host, port = a.remote.rsplit(":", 1)
    error = "%s: connect to %s port %s: Connection refused" % (
        a.remote, host, port)
    remote = "%s [%s]:%s" % (host, host, port)
    pid = os.getpid()
    # arrived over the last `spread` seconds, oldest first; tried once on
    # arrival; not due again before now + a.next
    spread = 600
    for i in range(a.n):
        created = now - spread + (i * spread) // a.n
        qid = queue_id(created, i % 1000000, pid, i)
        rcpt = "user%d@%s" % (i % 1000, a.domain)
        data = data_text(qid, a.hostname, rcpt, a.sender, created, a.size)
        env = envelope(qid, created, now + a.next, created, a.sender, rcpt,
                       error, remote)
        # data first: an envelope never names missing data (queue.h)
        write_new(os.path.join(a.queue, "data", qid), data, uid, gid)
        write_new(os.path.join(a.queue, "env", qid), env, uid, gid)
    out(written=a.n, seconds="%.2f" % (time.time() - t0))


# --- sink ---------------------------------------------------------------

class SinkState:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.save()

    def took_one(self):
        with self.lock:
            now = time.time()
            self.count += 1
            if self.count == 1:
                self.first = now
            self.last = now
            self.save()

    def save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write("count %d\nfirst %.6f\nlast %.6f\n"
                    % (self.count, self.first, self.last))
        os.replace(tmp, self.path)


class SinkHandler(socketserver.StreamRequestHandler):
    timeout = 60

    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        try:
            self.session()
        except (OSError, socket.timeout):
            pass

    def session(self):
        self.reply("220 sink.invalid ESMTP sink")
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.reply("250 sink.invalid")
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self.reply("250 2.0.0 OK")
            elif verb == b"DATA":
                self.reply("354 go ahead")
                while True:
                    body = self.rfile.readline(65536)
                    if not body:
                        return
                    if body in (b".\r\n", b".\n"):
                        break
                self.server.state.took_one()
                self.reply("250 2.0.0 OK taken")
            elif verb == b"QUIT":
                self.reply("221 2.0.0 bye")
                return
            else:
                self.reply("502 5.5.1 not here")


class SinkServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 128


def cmd_sink(a):
    server = SinkServer(("127.0.0.1", a.port), SinkHandler)
    server.state = SinkState(a.state)
    with open(a.state + ".ready", "w") as f:
        f.write("%d\n" % os.getpid())
    server.serve_forever()


# --- send ---------------------------------------------------------------

def cmd_send(a):
    shares = [a.k // a.c + (1 if i < a.k % a.c else 0) for i in range(a.c)]
    lock = threading.Lock()
    res = {"accepted": 0, "failed": 0, "last": 0.0, "errors": []}
    body = ("y" * 71 + "\r\n") * max(1, a.size // 73)

    def session(idx, n):
        done = 0
        try:
            s = smtplib.SMTP("127.0.0.1", a.port, "bench.invalid",
                             timeout=60)
            for j in range(n):
                msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: queue bench %d.%d"
                       "\r\n\r\n%s" % (a.sender, a.rcpt, idx, j, body))
                s.sendmail(a.sender, [a.rcpt], msg)
                done += 1
                with lock:
                    res["accepted"] += 1
                    res["last"] = time.time()
            s.quit()
        except (OSError, smtplib.SMTPException) as e:
            with lock:
                res["failed"] += n - done
                res["errors"].append(repr(e))

    t0 = time.time()
    threads = [threading.Thread(target=session, args=(i, n))
               for i, n in enumerate(shares) if n > 0]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in res["errors"][:5]:
        print("queue_tool: send:", e, file=sys.stderr)
    out(accepted=res["accepted"], failed=res["failed"],
        first_submit="%.6f" % t0, last_accept="%.6f" % res["last"])


# --- wait, settle, cpu --------------------------------------------------

def read_state(path):
    st = {"count": 0, "first": 0.0, "last": 0.0}
    try:
        with open(path) as f:
            for line in f:
                k, v = line.split()
                st[k] = float(v)
    except (OSError, ValueError):
        pass
    return st


def env_count(queue):
    try:
        return sum(1 for n in os.listdir(os.path.join(queue, "env"))
                   if not n.startswith("."))
    except OSError:
        return -1


def cmd_wait(a):
    t0 = time.time()
    end = t0 + a.timeout
    timed_out = 1
    while time.time() < end:
        st = read_state(a.state)
        if st["count"] >= a.k and env_count(a.queue) == a.depth:
            timed_out = 0
            break
        time.sleep(0.1 if a.depth < 50000 else 0.5)
    st = read_state(a.state)
    out(delivered=int(st["count"]), last_delivery="%.6f" % st["last"],
        env=env_count(a.queue), timed_out=timed_out,
        waited="%.1f" % (time.time() - t0))


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    # the fields after "(comm)": state is field 3, utime 14, stime 15
    rest = stat[stat.rindex(")") + 2:].split()
    return int(rest[14 - 3]) + int(rest[15 - 3])


def cmd_settle(a):
    t0 = time.time()
    end = t0 + a.timeout
    last = cpu_ticks(a.pid)
    still_since = time.time()
    settled = 0
    while time.time() < end:
        time.sleep(a.interval)
        now = cpu_ticks(a.pid)
        if now != last:
            last, still_since = now, time.time()
        elif time.time() - still_since >= a.quiet:
            settled = 1
            break
    out(ticks=last, settled=settled, waited="%.1f" % (time.time() - t0))


def cmd_cpu(a):
    out(ticks=cpu_ticks(a.pid))


def cmd_descendants(a):
    parent = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
        except OSError:
            continue
        parent[int(name)] = int(stat[stat.rindex(")") + 2:].split()[1])
    found, todo = [], [a.pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        found += kids
        todo += kids
    print(*found)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("ports")
    s.add_argument("n", type=int)
    s.set_defaults(fn=cmd_ports)

    s = sub.add_parser("fill")
    s.add_argument("queue")
    s.add_argument("n", type=int)
    s.add_argument("--domain", default="deferred.invalid")
    s.add_argument("--remote", required=True, help="HOST:PORT of its route")
    s.add_argument("--sender", default="bench@example.org")
    s.add_argument("--hostname", default="mx.example.org")
    s.add_argument("--next", type=int, default=86400,
                   help="seconds from now until they are due")
    s.add_argument("--size", type=int, default=1024)
    s.add_argument("--user", help="owner of the files when run as root")
    s.set_defaults(fn=cmd_fill)

    s = sub.add_parser("sink")
    s.add_argument("port", type=int)
    s.add_argument("state")
    s.set_defaults(fn=cmd_sink)

    s = sub.add_parser("send")
    s.add_argument("port", type=int)
    s.add_argument("k", type=int)
    s.add_argument("--rcpt", required=True)
    s.add_argument("--sender", default="bench@example.org")
    s.add_argument("-c", type=int, default=4, help="sessions at once")
    s.add_argument("--size", type=int, default=1024)
    s.set_defaults(fn=cmd_send)

    s = sub.add_parser("wait")
    s.add_argument("state")
    s.add_argument("k", type=int)
    s.add_argument("queue")
    s.add_argument("depth", type=int)
    s.add_argument("--timeout", type=float, default=120)
    s.set_defaults(fn=cmd_wait)

    s = sub.add_parser("settle")
    s.add_argument("pid", type=int)
    s.add_argument("--quiet", type=float, default=1.0,
                   help="seconds without growth that count as settled")
    s.add_argument("--interval", type=float, default=0.2)
    s.add_argument("--timeout", type=float, default=60)
    s.set_defaults(fn=cmd_settle)

    s = sub.add_parser("cpu")
    s.add_argument("pid", type=int)
    s.set_defaults(fn=cmd_cpu)

    s = sub.add_parser("descendants")
    s.add_argument("pid", type=int)
    s.set_defaults(fn=cmd_descendants)

    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
