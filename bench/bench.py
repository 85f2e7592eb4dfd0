#!/usr/bin/env python3
"""bench.py - `make bench` and `make bench-idle` (bench/README.md).

    bench.py suite    every scenario, one table (make bench)
    bench.py idle     hold BENCH_IDLE_N idle sessions, then one message
                      (make bench-idle)
    bench.py one      one scenario from BENCH_N, BENCH_C, ... (bench.sh's
                      old single run)

Each load scenario runs against a freshly started ./smtpd/smtpd in its own
temporary root on free loopback ports (127.0.0.1 only), drives it with
build/bench/smtpload, waits (bounded) until every accepted message is a
file in a Maildir's new/, samples the PSS of the daemon's session
processes every BENCH_SAMPLE_S seconds meanwhile, stops the daemon, then
runs build/bench/fsyncbench at the scenario's concurrency and size in the
same root (same filesystem): the durable-write limit the row is divided
by.  The scenarios run in rounds (every row once, then again) so that a
median of BENCH_REPEAT runs is reported when the BENCH_BUDGET seconds
allow, and at least one run of every row otherwise.

It reports and does not judge speed: the exit status is 1 only when a
message was refused, not delivered, or a tool failed.  Every process it
starts is stopped by its pid, and its temporary roots are removed, unless
BENCH_KEEP=1.  Standard library only.
"""
import os
import re
import resource
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMTPD = os.environ.get("SMTPD_BIN", os.path.join(REPO, "smtpd/smtpd"))
SMTPLOAD = os.environ.get("SMTPLOAD", os.path.join(REPO, "build/bench/smtpload"))
FSYNCBENCH = os.environ.get("FSYNCBENCH", os.path.join(REPO, "build/bench/fsyncbench"))
KEEP = os.environ.get("BENCH_KEEP") == "1"
DOMAIN = "example.org"


def env_num(name, default, kind=int):
    v = os.environ.get(name, "")
    if v == "":
        return default
    try:
        return kind(v)
    except ValueError:
        sys.exit(f"bench: {name} must be a number, not '{v}'")


def note(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def free_ports(n):
    """n distinct free loopback ports (all held while asking)"""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def children(pid):
    """the pids of pid's children (Linux: /proc/PID/task/*/children)"""
    out = []
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{t}/children") as f:
                    out += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return out


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        for c in children(todo.pop()):
            out.append(c)
            todo.append(c)
    return out


def start_time(pid):
    """field 22 of /proc/PID/stat, to tell a pid from a reused one"""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def pss_kb(pid):
    """the Pss: line of /proc/PID/smaps_rollup, in KiB, or None"""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def median(v):
    return statistics.median(v) if v else None


class Daemon:
    """one smtpd in its own temporary root"""

    def __init__(self, name, users, *, max_clients, size, tls=False,
                 hostname="mx.example.org", domain=DOMAIN, extra=(),
                 timeout=60):
        base = os.environ.get("TMPDIR", "/tmp")
        self.root = tempfile.mkdtemp(prefix=f"smtpd-bench-{name}.", dir=base)
        os.chmod(self.root, 0o755)  # the daemon may run as nobody
        self.pid = None
        self.proc = None
        self.relay_pid = None
        self.known = {}
        etc = os.path.join(self.root, "etc")
        os.makedirs(etc)
        shutil.copytree(os.path.join(REPO, "maildir-skel"),
                        os.path.join(self.root, "maildir-skel"))
        with open(os.path.join(etc, "passwd"), "w") as f:
            for u in users:
                f.write(f"{u}@{domain}:{{PLAIN}}benchpw\n")
        self.smtp_port, sub, pop = free_ports(3)
        if tls:
            r = subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                 os.path.join(etc, "key.pem"), "-out",
                 os.path.join(etc, "cert.pem"), "-days", "2", "-subj",
                 f"/CN={hostname}"], capture_output=True)
            if r.returncode != 0:
                raise RuntimeError("openssl could not make a key pair")
        conf = [f"hostname {hostname}",
                f"listen smtp 127.0.0.1:{self.smtp_port}",
                f"listen submission 127.0.0.1:{sub}",
                f"listen pop3 127.0.0.1:{pop}",
                f"domain {domain}", "passwd passwd",
                "mailbox ../mail/%d/%u", "maildir_skel ../maildir-skel",
                "queue ../queue",
                f"max_clients {max_clients}",
                f"max_clients_per_ip {max_clients}",
                f"max_message_size {size + 1048576}",
                f"timeout {timeout}"]
        if tls:
            conf += ["tls_cert cert.pem", "tls_key key.pem"]
        if os.getuid() == 0:
            conf.append("user nobody")
        conf += list(extra)
        self.conf = os.path.join(etc, "smtpd.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(conf) + "\n")
        if os.getuid() == 0:
            subprocess.run(["chown", "-R", "nobody:", self.root], check=True)
        self.maildirs = os.path.join(self.root, "mail", domain)
        self.log = os.path.join(self.root, "smtpd.log")

    def start(self):
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen([SMTPD, "-f", self.conf],
                                     stdin=subprocess.DEVNULL, stdout=logf,
                                     stderr=logf)
        logf.close()
        self.pid = self.proc.pid
        end = time.monotonic() + 10
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.smtp_port),
                                         timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            self.proc.poll()
        if self.proc.returncode is not None or not self._up():
            raise RuntimeError("smtpd did not start: " + self.tail())
        # the relay child: from its log line, else every child there now
        end = time.monotonic() + 2
        while time.monotonic() < end and self.relay_pid is None:
            # "smtpd[PID]: relay child: N messages queued" (its own line)
            with open(self.log, errors="replace") as f:
                pids = {int(m) for m in re.findall(r"\[(\d+)\]: relay child", f.read())}
            pids &= set(children(self.pid))
            if pids:
                self.relay_pid = pids.pop()
            else:
                time.sleep(0.05)
        time.sleep(0.2)  # let the probe session end
        self.not_sessions = {self.relay_pid} if self.relay_pid else set(children(self.pid))

    def _up(self):
        try:
            socket.create_connection(("127.0.0.1", self.smtp_port),
                                     timeout=1).close()
            return True
        except OSError:
            return False

    def sessions(self):
        return [p for p in children(self.pid) if p not in self.not_sessions]

    def count_new(self):
        n = 0
        try:
            users = os.listdir(self.maildirs)
        except OSError:
            return 0
        for u in users:
            try:
                with os.scandir(os.path.join(self.maildirs, u, "new")) as it:
                    n += sum(1 for _ in it)
            except OSError:
                pass
        return n

    def tail(self, n=20):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop(self, wait=10):
        if self.proc is None or self.proc.returncode is not None:
            return
        procs = {p: start_time(p) for p in descendants(self.pid)}
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        # whatever it left behind, by pid (and the same process)
        end = time.monotonic() + 5
        for p, st in procs.items():
            while st is not None and start_time(p) == st:
                if time.monotonic() > end:
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
                    break
                time.sleep(0.02)

    def remove(self):
        if KEEP:
            note(f"kept {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)


class Sampler(threading.Thread):
    """the PSS of a daemon's session processes every `period` seconds:
    each process's largest sample (KiB)"""

    def __init__(self, daemon, period):
        super().__init__(daemon=True)
        self.d, self.period = daemon, period
        self.peak = {}
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            for p in self.d.sessions():
                v = pss_kb(p)
                if v is not None and v > self.peak.get(p, 0):
                    self.peak[p] = v
            self.stopping.wait(self.period)

    def stop(self):
        self.stopping.set()
        self.join()
        return list(self.peak.values())


def kv(text):
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return out


def fsyncbench(root, size, writers, seconds):
    r = subprocess.run([FSYNCBENCH, "-s", str(size), "-t", str(seconds),
                        "-j", str(writers), os.path.join(root, "fsync")],
                       capture_output=True, text=True, timeout=seconds + 60)
    if r.returncode != 0:
        raise RuntimeError("fsyncbench failed: " + r.stderr[-500:])
    return kv(r.stdout)


def users(n):
    return [f"user{i}" for i in range(1, n + 1)]


def wait_delivered(d, want, t0, bound):
    """poll new/ until want files are there (at most bound seconds);
    (count, seconds from t0 to the last count seen growing, or None when
    they were all there at the first look)"""
    last, t_last = d.count_new(), time.monotonic()
    if last >= want:
        return last, None
    end = t_last + bound
    while last < want and time.monotonic() < end:
        time.sleep(0.02)
        n = d.count_new()
        if n != last:
            last, t_last = n, time.monotonic()
    return last, t_last - t0


def run_load(sc, cfg):
    """one run of a load scenario; a dict of figures"""
    nusers = cfg["users"]
    rc = {"ok": True, "msgs": []}
    size, c, n = sc["size"], sc["c"], sc["n"]
    relay = sc.get("relay")
    sink = Daemon(sc["key"] + "-b", users(nusers), max_clients=c * 2 + 50,
                  size=size, tls=sc.get("tls", False))
    daemons = [sink]
    front = sink
    try:
        if relay:
            w = cfg["relay_workers"]
            front = Daemon(sc["key"] + "-a", ["postmaster"],
                           max_clients=c * 2 + 50, size=size,
                           hostname="mx1.example.net",
                           domain="example.net",
                           extra=[f"route {DOMAIN} 127.0.0.1:{sink.smtp_port}",
                                  "relay_from 127.0.0.1",
                                  f"relay_workers {w}",
                                  f"relay_dest_concurrency {w}"])
            daemons.append(front)
        for d in daemons:
            d.start()
        sampler = Sampler(front, cfg["sample_s"])
        sampler.start()
        rcpts = ",".join(f"{u}@{DOMAIN}" for u in users(nusers))
        args = [SMTPLOAD, "-p", str(front.smtp_port), "-n", str(n), "-c",
                str(c), "-s", str(size), "-m", str(sc.get("per_conn", 0)),
                "-r", rcpts, "-t", "30", "-T", str(cfg["deadline"])]
        if sc.get("pipelining"):
            args.append("-P")
        if sc.get("tls"):
            args.append("-S")
        t0 = time.monotonic()
        r = subprocess.run(args, capture_output=True, text=True,
                           timeout=cfg["deadline"] + 30)
        load_end = time.monotonic() - t0
        out = kv(r.stdout)
        accepted = int(out.get("accepted", 0))
        bound = cfg["relay_wait"] if relay else cfg["local_wait"]
        delivered, t_deliv = wait_delivered(sink, accepted, t0, bound)
        sessions_pss = sampler.stop()
        # all there when the load ended: over smtpload's own wall time,
        # as accepted/s; else up to the last one seen arriving
        t_deliv = out.get("wall_s", load_end) if t_deliv is None else max(t_deliv, load_end)
        if r.returncode != 0 or accepted != n:
            rc["ok"] = False
            rc["msgs"].append(f"smtpload: {accepted} of {n} accepted, exit "
                              f"{r.returncode}: {r.stderr.strip()[-300:]}")
        if delivered != accepted:
            rc["ok"] = False
            rc["msgs"].append(f"{delivered} in new/ for {accepted} accepted "
                              f"(waited {bound}s)")
        for d in daemons:
            d.stop()
        if not rc["ok"]:
            for d in daemons:
                rc["msgs"].append(f"--- {d.log}\n{d.tail(10)}")
        lim = fsyncbench(sink.root, size, sc.get("limit_c", c),
                         cfg["fsync_s"])
        rc.update(
            accepted_per_s=out.get("accepted_per_s", 0.0),
            delivered_per_s=delivered / t_deliv if t_deliv > 0 else 0.0,
            limit=lim.get("writes_per_s", 0.0),
            write_p50=lim.get("write_p50_ms", 0.0),
            p50=out.get("latency_p50_ms", 0.0),
            p99=out.get("latency_p99_ms", 0.0),
            max=out.get("latency_max_ms", 0.0),
            pss=median(sessions_pss), pss_n=len(sessions_pss),
            conns=int(out.get("connections", 0)))
        rc["ratio"] = rc["delivered_per_s"] / rc["limit"] if rc["limit"] else 0.0
        return rc
    finally:
        for d in daemons:
            d.stop()
            d.remove()


def read_reply(s, buf=b""):
    """one SMTP reply (all its lines); (code, rest of the buffer)"""
    while True:
        while b"\r\n" in buf:
            line, buf = buf.split(b"\r\n", 1)
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]), buf
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk


def cmd(s, line):
    s.sendall(line + b"\r\n")
    code, _ = read_reply(s)
    return code


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(want, soft)), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def run_idle(n, tls, probe, cfg, on_result=None):
    """hold n idle sessions after EHLO (and STARTTLS); their PSS; then
    optionally one message over a new connection"""
    res = {"ok": True, "msgs": [], "n": n}
    raise_nofile(n + 200)  # ours, inherited by smtpd
    d = Daemon("idle", users(cfg["users"]), max_clients=n + 20, size=1024,
               tls=tls, timeout=600)
    held = []
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        d.start()
        t0 = time.monotonic()
        lock = threading.Lock()
        errors = []

        def opener(k, count):
            # each thread opens its share one after the other
            for i in range(count):
                if errors:
                    return
                s = None
                try:
                    s = socket.create_connection(("127.0.0.1", d.smtp_port), timeout=60)
                    code, _ = read_reply(s)
                    if code != 220 or cmd(s, b"EHLO idle.example.org") != 250:
                        raise ConnectionError(f"banner/EHLO refused ({code})")
                    if tls:
                        if cmd(s, b"STARTTLS") != 220:
                            raise ConnectionError("STARTTLS refused")
                        s = ctx.wrap_socket(s, server_hostname="mx.example.org")
                        if cmd(s, b"EHLO idle.example.org") != 250:
                            raise ConnectionError("EHLO after STARTTLS refused")
                    with lock:
                        held.append(s)
                        if len(held) % 1000 == 0:
                            note(f"{len(held)} idle sessions open "
                                 f"({time.monotonic() - t0:.0f} s)")
                except (OSError, ConnectionError) as e:
                    with lock:
                        errors.append(f"idle session (thread {k}, its {i + 1}th): {e}")
                    if s is not None:
                        s.close()
                    return

        nt = max(1, min(cfg["idle_threads"], n))
        ts = [threading.Thread(target=opener, args=(k, n // nt + (k < n % nt)))
              for k in range(nt)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        if errors:
            res["ok"] = False
            res["msgs"] += errors[:5]
        res["open_s"] = time.monotonic() - t0
        res["held"] = len(held)
        time.sleep(0.5)
        vals = [v for v in (pss_kb(p) for p in d.sessions()) if v is not None]
        res["procs"] = len(vals)
        res["pss_median"] = median(vals)
        res["pss_mean"] = sum(vals) / res["held"] if res["held"] else None
        res["pss_sum"] = sum(vals)
        if probe:
            t1 = time.monotonic()
            try:
                with socket.create_connection(("127.0.0.1", d.smtp_port), timeout=30) as s:
                    code, _ = read_reply(s)
                    ok = code == 220 and cmd(s, b"EHLO probe.example.org") == 250
                    ok = ok and cmd(s, b"MAIL FROM:<probe@bench.example>") == 250
                    ok = ok and cmd(s, f"RCPT TO:<user1@{DOMAIN}>".encode()) == 250
                    ok = ok and cmd(s, b"DATA") == 354
                    ok = ok and cmd(s, b"Subject: idle probe\r\n\r\nhello\r\n.") == 250
                    res["probe_ms"] = (time.monotonic() - t1) * 1000
                    cmd(s, b"QUIT")
            except (OSError, ConnectionError) as e:
                ok = False
                res["msgs"].append(f"probe message: {e}")
            res["probe_ok"] = ok
            got, _ = wait_delivered(d, 1, t1, 5)
            res["probe_landed"] = got == 1
            if not ok or got != 1:
                res["ok"] = False
                res["msgs"].append(f"probe message: accepted {ok}, in new/ {got}")
        if on_result:
            on_result(res)  # before the slow part: n sessions ending
    finally:
        for s in held:
            try:
                s.close()
            except OSError:
                pass
        t_stop = time.monotonic()
        d.stop(wait=max(10, n // 100))
        res["stop_s"] = time.monotonic() - t_stop
        if not res["ok"]:
            res["msgs"].append(f"--- {d.log}\n{d.tail(10)}")
        d.remove()
    return res


def fmt(v, spec=".0f"):
    return "-" if v is None else format(v, spec)


def tls_build():
    v = os.environ.get("BENCH_TLS_BUILD", "")
    if v in ("0", "1"):
        return v == "1"
    r = subprocess.run(["ldd", SMTPD], capture_output=True, text=True)
    return "libtls" in r.stdout


def scenarios(cfg):
    s = cfg["scale"]
    n = lambda x: max(1, int(x * s))
    rows = [
        dict(key="1k-c50", label="1 KiB, 50 sessions, many/conn", size=1024, c=50, n=n(4000)),
        dict(key="1k-c50-1", label="1 KiB, 50 sessions, 1/conn", size=1024, c=50, n=n(1500), per_conn=1),
        dict(key="1k-c50-pipe", label="1 KiB, 50 sessions, many/conn, PIPELINING", size=1024, c=50, n=n(4000), pipelining=True),
        dict(key="1k-c1", label="1 KiB, 1 session, many/conn", size=1024, c=1, n=n(600)),
        dict(key="100k-c50", label="100 KiB, 50 sessions, many/conn", size=102400, c=50, n=n(1000)),
        dict(key="100k-c1", label="100 KiB, 1 session, many/conn", size=102400, c=1, n=n(200)),
        dict(key="relay", label="relay, 2 daemons, 1 KiB, 50 sessions", size=1024, c=50, n=n(1000), relay=True),
    ]
    tls = dict(key="tls", label="1 KiB, 50 sessions, many/conn, STARTTLS", size=1024, c=50, n=n(2000), tls=True)
    if cfg["tls"]:
        rows.append(tls)
    return rows, tls


def config():
    return dict(
        users=env_num("BENCH_USERS", 100),
        repeat=env_num("BENCH_REPEAT", 3),
        budget=env_num("BENCH_BUDGET", 240),
        fsync_s=env_num("BENCH_FSYNC_SECONDS", 2),
        sample_s=env_num("BENCH_SAMPLE_S", 0.5, float),
        scale=env_num("BENCH_SCALE", 1.0, float),
        deadline=env_num("BENCH_DEADLINE", 45),
        local_wait=env_num("BENCH_LOCAL_WAIT", 30),
        relay_wait=env_num("BENCH_RELAY_WAIT", 60),
        relay_workers=env_num("BENCH_RELAY_WORKERS", 20),
        idle=env_num("BENCH_IDLE", 100),
        idle_threads=env_num("BENCH_IDLE_THREADS", 16),
        tls=tls_build(),
    )


def suite():
    cfg = config()
    t_start = time.monotonic()
    rows, tls_row = scenarios(cfg)
    runs = {r["key"]: [] for r in rows}
    dur = {}
    ok = True
    problems = []
    skipped = []
    for rnd in range(cfg["repeat"]):
        for sc in rows:
            el = time.monotonic() - t_start
            # later rounds only when the row's last run fits in the budget;
            # the first round of a row only while within it
            if el + dur.get(sc["key"], 0) > cfg["budget"]:
                if rnd == 0:
                    skipped.append(sc["label"])
                continue
            t = time.monotonic()
            note(f"[{el:5.0f}s] round {rnd + 1}: {sc['label']} ({sc['n']} messages)")
            try:
                r = run_load(sc, cfg)
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                r = {"ok": False, "msgs": [str(e)]}
            dur[sc["key"]] = time.monotonic() - t
            if not r["ok"]:
                ok = False
                problems += [f"{sc['label']}: {m}" for m in r["msgs"]]
            if "ratio" in r:
                runs[sc["key"]].append(r)
    idle = None
    if cfg["idle"] > 0:
        note(f"[{time.monotonic() - t_start:5.0f}s] {cfg['idle']} idle sessions")
        try:
            idle = run_idle(cfg["idle"], False, False, cfg)
        except (RuntimeError, OSError) as e:
            idle = {"ok": False, "msgs": [str(e)]}
        if not idle["ok"]:
            ok = False
            problems += [f"idle: {m}" for m in idle["msgs"]]
    elapsed = time.monotonic() - t_start

    out = []
    out.append(f"smtpd bench {time.strftime('%Y-%m-%d %H:%M:%S')}  "
               f"{os.uname().nodename}, {os.cpu_count()} CPUs, "
               f"mail on {tempfile.gettempdir()}  ({cfg['users']} users, "
               f"1 recipient a message; medians of up to {cfg['repeat']} runs)")
    hdr = (f"{'scenario':<42} {'N':>5} {'runs':>4} {'acc/s':>7} {'deliv/s':>7} "
           f"{'limit/s':>7} {'ratio':>5} {'p50ms':>6} {'p99ms':>6} {'maxms':>7} {'PSS KiB':>7}")
    out.append(hdr)
    out.append("-" * len(hdr))
    for sc in rows:
        rs = runs[sc["key"]]
        if not rs:
            why = "skipped: over BENCH_BUDGET" if sc["label"] in skipped else "failed: see stderr"
            out.append(f"{sc['label']:<42} {sc['n']:>5} {0:>4}  {why}")
            continue
        m = lambda k: median([r[k] for r in rs if r.get(k) is not None])
        out.append(f"{sc['label']:<42} {sc['n']:>5} {len(rs):>4} {fmt(m('accepted_per_s')):>7} "
                   f"{fmt(m('delivered_per_s')):>7} {fmt(m('limit')):>7} {fmt(m('ratio'), '.2f'):>5} "
                   f"{fmt(m('p50'), '.2f'):>6} {fmt(m('p99'), '.1f'):>6} {fmt(m('max'), '.1f'):>7} "
                   f"{fmt(m('pss')):>7}")
    if not cfg["tls"]:
        out.append(f"{tls_row['label']:<42}  skipped: smtpd built without TLS (make bench TLS=1)")
    one = runs.get("1k-c1", [])
    if one:
        p50 = median([r["p50"] for r in one])
        w50 = median([r["write_p50"] for r in one])
        out.append(f"1 session p50 {p50:.2f} ms / one durable write p50 {w50:.2f} ms "
                   f"(1 writer, 1 KiB) = {p50 / w50 if w50 else 0:.2f}")
    if idle and idle.get("pss_median") is not None:
        out.append(f"idle: {idle['held']} sessions after EHLO: PSS median "
                   f"{idle['pss_median']:.0f} KiB, sum/N {idle['pss_mean']:.0f} KiB "
                   f"({idle['procs']} session processes)")
    out.append(f"limit = fsyncbench (write+fsync+rename+fsync new/) at the row's sessions "
               f"and size, after each run; ratio = deliv/s / limit")
    out.append(f"elapsed {elapsed:.0f} s")
    text = "\n".join(out) + "\n"
    os.makedirs(os.path.join(REPO, "build/bench"), exist_ok=True)
    path = os.path.join(REPO, "build/bench",
                        time.strftime("bench-%Y%m%d-%H%M%S.txt"))
    with open(path, "w") as f:
        f.write(text)
    print()
    print(text, end="")
    print(f"table written to {os.path.relpath(path, os.getcwd())}")
    for p in problems:
        note(p)
    return 0 if ok else 1


def idle_main():
    cfg = config()
    n = env_num("BENCH_IDLE_N", 10000)
    tls = os.environ.get("BENCH_TLS") == "1"
    t0 = time.monotonic()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    limits = []
    for path in ("/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max"):
        with open(path) as f:
            v = int(f.read())
        limits.append(f"{os.path.basename(path)} {v}")
        if v < n + 1000:
            note(f"{path} is {v}: too low for {n} session processes")
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[0]
    if hard < n + 200:
        note(f"the hard file limit is {hard}: {n} sessions need about {n + 200}")
    if os.getuid() != 0 and nproc != resource.RLIM_INFINITY and nproc < n + 100:
        note(f"ulimit -u is {nproc}: too low for {n} session processes")
    def show(r):
        print()
        print(f"smtpd bench-idle: {n} idle sessions after EHLO{' and STARTTLS' if tls else ''} "
              f"({', '.join(limits)}, nofile {hard})")
        if r.get("held") is not None:
            print(f"  held              {r['held']} of {n} (opened in {r['open_s']:.1f} s)")
            print(f"  PSS per session   median {fmt(r['pss_median'])} KiB, sum/N "
                  f"{fmt(r['pss_mean'])} KiB, sum {fmt(r['pss_sum'] / 1024 if r['pss_sum'] else None)} MiB "
                  f"({r['procs']} session processes)")
        if "probe_ok" in r:
            print(f"  one more message  {'accepted' if r['probe_ok'] else 'NOT accepted'} in "
                  f"{fmt(r.get('probe_ms'), '.1f')} ms (connect to the 250 after the dot), "
                  f"{'in new/' if r['probe_landed'] else 'NOT in new/'}")
        print(f"  elapsed           {time.monotonic() - t0:.0f} s (then the sessions are closed and smtpd stopped)",
              flush=True)

    shown = []
    r = run_idle(n, tls, True, cfg, on_result=lambda x: (show(x), shown.append(1)))
    if not shown:
        show(r)
    print(f"  stop              {fmt(r.get('stop_s'), '.0f')} s to close the sessions and stop smtpd")
    for m in r["msgs"]:
        note(m)
    return 0 if r["ok"] else 1


def one_main():
    cfg = config()
    sc = dict(key="one", label="one", size=env_num("BENCH_SIZE", 1024),
              c=env_num("BENCH_C", 50), n=env_num("BENCH_N", 2000),
              per_conn=env_num("BENCH_PER_CONN", 0),
              pipelining=os.environ.get("BENCH_PIPELINING") == "1",
              tls=os.environ.get("BENCH_TLS") == "1",
              relay=os.environ.get("BENCH_RELAY") == "1")
    r = run_load(sc, cfg)
    for k in ("accepted_per_s", "delivered_per_s", "limit", "ratio", "p50",
              "p99", "max", "pss", "pss_n", "conns", "write_p50"):
        if k in r:
            print(f"{k:<16} {fmt(r[k], '.2f')}")
    for m in r["msgs"]:
        note(m)
    return 0 if r["ok"] else 1


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    mode = sys.argv[1] if len(sys.argv) > 1 else "suite"
    for b in (SMTPD, SMTPLOAD, FSYNCBENCH):
        if not os.access(b, os.X_OK):
            sys.exit(f"bench: {b} is missing: run 'make bench'")
    if mode == "suite":
        return suite()
    if mode == "idle":
        return idle_main()
    if mode == "one":
        return one_main()
    sys.exit("usage: bench.py [suite | idle | one]")


if __name__ == "__main__":
    sys.exit(main())
