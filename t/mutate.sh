#!/bin/sh
# mutate.sh - prove that the bats tests can fail.
#
# For a sample of tests (by default 2 from each t/*.bats), every assertion
# in the test's body is inverted, one at a time, in a copy of the .bats
# file holding that test alone; the copy is run with bats.  If the test
# then fails, the mutant is "killed": the assertion does guard something.
# If it still passes, the mutant "survived": the assertion, as written,
# could not fail the test (a '! cmd' in the middle of a test, the first
# member of 'a && b', an assertion in an 'if' ...), or inverting it
# changed nothing (an equivalent mutant).  A summary table ends the run.
#
# usage: t/mutate.sh [-f FILE]... [-n N] [-t REGEX] [-s SEED] [-m N]
#                    [-T SECS] [-B SECS] [-j JOBS] [-o TSV] [-l] [-k] [-v]
#   -f FILE   sample this .bats file (repeatable; default every t/*.bats)
#   -n N      tests to take from each file (default 2; 0 = all)
#   -t REGEX  only tests whose name matches REGEX (Python syntax)
#   -s SEED   seed for the choice of tests (default 1)
#   -m N      at most N mutants a test, spread over its body (default all)
#   -T SECS   timeout of one bats run (default 120)
#   -B SECS   budget: start no run after SECS (default 780, so that with
#             the last run the whole stays under 15 minutes); what is left
#             is reported "not run"
#   -j JOBS   bats runs at a time (default 1)
#   -o TSV    also write the results as tab-separated lines to TSV
#   -l        list the mutants, run nothing
#   -k        keep the scratch directory
#   -v        print the bats output of every survivor
#
# The binaries are $SMTPD_BIN and $MAILC_BIN (default smtpd/smtpd and
# mailc/mailc in this tree).  Everything runs in a scratch copy of t/ and
# maildir-skel/ under $TMPDIR; the tests' own temporary roots go there too.
#
# What is an assertion: a statement of the test body (continuation lines,
# multi-line strings and here-documents included) whose command is
# [ / [[ / test, grep, cmp, diff, a helper that checks (expect_lines,
# transcript, pop3_transcript, file_is, stored, has, the_message,
# queue_empty, inbox_has, wait_for, pypop, smuggle, port_closed,
# session_child, deferred_once, assert_*, refute_*), kill -0, python3 -c
# with sys.exit, `run !` or `run -N`, or a pipeline whose last command is
# one of those.
#
# How an assertion is inverted: its command C becomes "mutant_not C"
# (a function, added to the scratch copy of helpers.bash, that runs C and
# inverts its status), in place, so that the statement fails the way the
# original would have (or would not have: that is what is being tested).
# For [[ ... ]], the expression is negated in place: [[ ! ( ... ) ]].  In
# 'a && b' each member is a mutant of its own.  In 'a || { ...; false; }'
# (an assertion and what to do when it fails) 'a' is inverted.  Other
# 'a || b' statements (either will do) are inverted whole, as
# 'if a || b; then false; fi'.
#
# Each mutant run is bounded by -T (timeout(1), which kills the whole
# process group, daemons included) and the whole run by -B.  Before its
# mutants, each test is run once as it is; if it fails then, its mutants
# are reported "base failed" and not run.  A mutant that failed at a
# later line than its own (the inverted assertion did not stop the test,
# a later one did) is "killed@LINE"; one that failed only in the
# teardown, "killed@teardown".

exec python3 - "$0" "$@" <<'PYTHON'
import concurrent.futures as cf
import getopt
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # t/mutate.sh -l | head
script = sys.argv[1]
args = sys.argv[2:]
REPO = os.path.dirname(os.path.dirname(os.path.abspath(script)))


def usage(msg=None):
    if msg:
        print("mutate.sh: " + msg, file=sys.stderr)
    print("usage: t/mutate.sh [-f FILE]... [-n N] [-t REGEX] [-s SEED] [-m N] "
          "[-T SECS] [-B SECS] [-j JOBS] [-o TSV] [-l] [-k] [-v]", file=sys.stderr)
    sys.exit(64)


try:
    opts, rest = getopt.getopt(args, "f:n:t:s:m:T:B:j:o:lkvh")
except getopt.GetoptError as e:
    usage(str(e))
if rest:
    usage("unexpected argument: " + rest[0])
files, per_file, name_re, seed, max_mut = [], 2, None, 1, 0
timeout, budget, jobs, tsv, list_only, keep, verbose = 120, 780, 1, None, False, False, False
try:
    for o, v in opts:
        if o == "-f":
            files.append(v)
        elif o == "-n":
            per_file = int(v)
        elif o == "-t":
            name_re = re.compile(v)
        elif o == "-s":
            seed = int(v)
        elif o == "-m":
            max_mut = int(v)
        elif o == "-T":
            timeout = int(v)
        elif o == "-B":
            budget = int(v)
        elif o == "-j":
            jobs = max(1, int(v))
        elif o == "-o":
            tsv = v
        elif o == "-l":
            list_only = True
        elif o == "-k":
            keep = True
        elif o == "-v":
            verbose = True
        else:
            usage()
except ValueError as e:
    usage(str(e))
if not files:
    files = sorted(os.path.join(REPO, "t", f) for f in os.listdir(os.path.join(REPO, "t"))
                   if f.endswith(".bats"))
files = [os.path.abspath(f) for f in files]
for f in files:
    if not os.path.isfile(f):
        usage("no such file: " + f)

# ---------------------------------------------------------------- parsing

def bash_n(text):
    """'ok', 'more' (the statement goes on: an unclosed quote, a here-
    document without its end, a trailing && ...) or 'bad'."""
    p = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True)
    err = p.stderr
    if "unexpected end of file" in err or "here-document" in err:
        return "more"
    return "ok" if p.returncode == 0 else "bad"


# lines that open or close a compound command: passed over, the
# statements inside them are looked at one by one
STRUCTURE = {"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done",
             "case", "esac", "{", "}"}
ASSERT_CMDS = {"[", "test", "grep", "egrep", "fgrep", "cmp", "diff", "expect_lines",
               "transcript", "pop3_transcript", "file_is", "stored", "has", "the_message",
               "queue_empty", "inbox_has", "wait_for", "pypop", "smuggle", "port_closed",
               "session_child", "deferred_once"}
HEREDOC = re.compile(r"(?<!<)<<-?\s*['\"]?[A-Za-z_][A-Za-z0-9_]*['\"]?")


def scan(text):
    """The top-level structure of one statement (its command part):
    operators [(pos, op)] with op one of && || | ; and the [[ ... ]] spans
    {start: end}.  Quotes, $( ), ( ), ${ }, backquotes, { } groups and
    [[ ]] are skipped over; a comment ends the line."""
    ops, spans, opened = [], {}, []
    stack = []          # "'", "$'", '"', '`', '(', '${', '[[', '{'
    i, n = 0, len(text)

    def word_start(k):
        return k == 0 or text[k - 1] in " \t\n;|&(!"

    def word_end(k):
        return k >= n or text[k] in " \t\n;|&)"

    while i < n:
        c = text[i]
        top = stack[-1] if stack else None
        if top == "'":
            if c == "'":
                stack.pop()
            i += 1
            continue
        if c == "\\":
            i += 2
            continue
        if top == "$'":
            if c == "'":
                stack.pop()
            i += 1
            continue
        if top == '"':
            if c == '"':
                stack.pop()
                i += 1
            elif text.startswith("$(", i):
                stack.append("(")
                i += 2
            elif text.startswith("${", i):
                stack.append("${")
                i += 2
            elif c == "`":
                stack.append("`")
                i += 1
            else:
                i += 1
            continue
        if top == "`":
            if c == "`":
                stack.pop()
            i += 1
            continue
        # unquoted text (at the top, or inside $( ), ( ), ${ }, [[ ]], { })
        if c == "'":
            stack.append("$'" if i > 0 and text[i - 1] == "$" else "'")
            i += 1
        elif c == '"':
            stack.append('"')
            i += 1
        elif c == "`":
            stack.append("`")
            i += 1
        elif text.startswith("${", i):
            stack.append("${")
            i += 2
        elif top == "${" and c == "}":
            stack.pop()
            i += 1
        elif text.startswith("$(", i) or text.startswith("<(", i) or text.startswith(">(", i):
            stack.append("(")
            i += 2
        elif c == "(":
            stack.append("(")
            i += 1
        elif c == ")":
            if top == "(":
                stack.pop()
            i += 1
        elif c == "#" and word_start(i) and top in (None, "{", "("):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("[[", i) and word_start(i) and word_end(i + 2):
            stack.append("[[")
            opened.append(i)
            i += 2
        elif top == "[[" and text.startswith("]]", i) and word_end(i + 2):
            stack.pop()
            spans[opened.pop()] = i
            i += 2
        elif c == "{" and word_start(i) and i + 1 < n and text[i + 1] in " \t\n":
            stack.append("{")
            i += 1
        elif c == "}" and top == "{" and word_start(i):
            stack.pop()
            i += 1
        elif not stack and text.startswith("&&", i):
            ops.append((i, "&&"))
            i += 2
        elif not stack and text.startswith("||", i):
            ops.append((i, "||"))
            i += 2
        elif not stack and c == "|":
            ops.append((i, "|"))
            i += 1
        elif not stack and c == ";":
            ops.append((i, ";"))
            i += 1
        else:
            i += 1
    return ops, spans


def skip_space(text, i, end):
    while i < end:
        if text[i] in " \t\n":
            i += 1
        elif text.startswith("\\\n", i):
            i += 2
        else:
            break
    return i


def word_at(text, i, end):
    """The end of the shell word starting at i (quotes kept together)."""
    q = None
    while i < end:
        c = text[i]
        if q:
            if c == "\\" and q == '"':
                i += 2
                continue
            if c == q:
                q = None
        elif c in "'\"":
            q = c
        elif c == "\\":
            i += 2
            continue
        elif c in " \t\n;|&<>":
            break
        i += 1
    return i


def command_of(text, start, end):
    """(position of the command word, the word, the words after it, negated)
    for the simple command or pipeline stage text[start:end]."""
    i = skip_space(text, start, end)
    negated = False
    if text.startswith("!", i) and i + 1 < end and text[i + 1] in " \t":
        negated = True
        i = skip_space(text, i + 1, end)
    while True:     # VAR=value before the command
        m = re.match(r"[A-Za-z_][A-Za-z0-9_]*=", text[i:end])
        if not m:
            break
        i = skip_space(text, word_at(text, i, end), end)
    w_end = word_at(text, i, end)
    word = text[i:w_end]
    rest = text[w_end:end].split()
    return i, word, rest, negated


def redirected(stage):
    """Does the stage send its output to a file (a grep that extracts)?"""
    try:
        words = shlex.split(stage, comments=True)
    except ValueError:
        return False
    for k, w in enumerate(words):
        if w in (">", ">>", "1>"):
            target = words[k + 1] if k + 1 < len(words) else ""
        elif re.match(r"1?>>?[^&>]", w):
            target = re.sub(r"^1?>>?", "", w)
        else:
            continue
        if target != "/dev/null":
            return True
    return False


def is_assertion(text, start, end):
    pos, word, rest, neg = command_of(text, start, end)
    if word in ("grep", "egrep", "fgrep") and redirected(text[pos:end]):
        return None
    if word in ASSERT_CMDS or re.match(r"(assert|refute)_", word):
        return pos
    if word == "[[":
        return pos
    if word == "kill" and rest[:1] == ["-0"]:
        return pos
    if word == "python3" and rest[:1] == ["-c"] and "sys.exit" in text[start:end]:
        return pos
    if word == "run" and rest and (rest[0] == "!" or re.fullmatch(r"-\d+", rest[0])):
        return pos
    return None


def fails_on_purpose(text, start, end):
    """Is this member the 'what to do when it fails' of 'a || ...'?"""
    s = text[start:end].strip()
    return bool(re.fullmatch(r"(false|return [1-9][0-9]*|exit [1-9][0-9]*|fail\b.*|\{.*(false|return [1-9]|exit [1-9])\s*;?\s*\})", s, re.S))


def inverted_whole(stmt, cmd):
    """'if STATEMENT; then false; fi', the 'then' on the last line of the
    command (before the body of a here-document, if any)"""
    lines = stmt.split("\n")
    first = cmd.split("\n")[0]
    ind = len(first) - len(first.lstrip())
    k = cmd.count("\n")
    lines[0] = lines[0][:ind] + "if " + lines[0][ind:]
    lines[k] += "; then false; fi"
    return "\n".join(lines)


def mutations(stmt):
    """[(kind, mutated statement)] for one statement's text."""
    nl = stmt.find("\n")
    cmd_end = len(stmt)
    if HEREDOC.search(stmt.split("\n", 1)[0]):
        cmd_end = nl if nl >= 0 else len(stmt)
    cmd = stmt[:cmd_end]
    if re.search(r"(?<![&>])&\s*$", cmd):
        return []       # a job in the background: its status is nobody's
    ops, spans = scan(cmd)
    # members: split at && || ; ; stages: split at |
    bounds, last = [], 0
    for pos, op in ops:
        if op in ("&&", "||", ";"):
            bounds.append((last, pos, op))
            last = pos + len(op)
    bounds.append((last, len(cmd), None))
    seps = {op for _, _, op in bounds if op}
    if ";" in seps:
        return []       # a line of several statements: not ours to judge
    members = []
    for a, b, op in bounds:
        pipes = [p for p, o in ops if o == "|" and a <= p < b]
        stage_start = pipes[-1] + 1 if pipes else a
        members.append((a, b, stage_start))

    def invert_at(a, b, stage_start):
        pos = is_assertion(cmd, stage_start, b)
        if pos is None:
            return None
        if cmd.startswith("[[", pos):
            close = spans.get(pos)
            if close is None:
                return None
            new = cmd[:pos] + "[[ ! (" + cmd[pos + 2:close] + ") ]]" + cmd[close + 2:]
            return "[[", new + stmt[cmd_end:]
        word = command_of(cmd, stage_start, b)[1]
        return word, cmd[:pos] + "mutant_not " + cmd[pos:] + stmt[cmd_end:]

    out = []
    if seps == {"||"}:
        if fails_on_purpose(cmd, members[-1][0], members[-1][1]):
            for a, b, s in members[:-1]:
                m = invert_at(a, b, s)
                if m:
                    out.append(m)
            return out
        last_a, last_b, _ = members[-1]
        if re.match(r"\s*(skip|true|:)\b", cmd[last_a:last_b]):
            return []
        if any(is_assertion(cmd, s, b) is not None for a, b, s in members):
            return [("a || b", inverted_whole(stmt, cmd))]
        return []
    if seps and seps != {"&&"}:
        # a mix of && and ||: invert it whole
        if any(is_assertion(cmd, s, b) is not None for a, b, s in members):
            return [("a && b || c", inverted_whole(stmt, cmd))]
        return []
    if seps == {"&&"} and is_assertion(cmd, members[-1][2], members[-1][1]) is None:
        return []       # 'a && action': a condition, not an assertion
    for a, b, s in members:
        m = invert_at(a, b, s)
        if m:
            out.append(m)
    return out


def statements(lines, first, last):
    """(start, end) line indexes of the statements in lines[first:last]; the
    lines that open or close an if, a loop or a { } group are passed over
    (with their continuation lines), what is inside them is looked into."""
    i = first
    while i < last:
        st = lines[i].strip()
        word = re.split(r"[\s;]", st, 1)[0] if st else ""
        if not st or st.startswith("#"):
            i += 1
            continue
        if word in STRUCTURE or st.startswith("}"):
            while lines[i].endswith("\\") and i + 1 < last:
                i += 1
            i += 1
            continue
        j = i
        while j + 1 < last and bash_n("\n".join(lines[i:j + 1])) == "more":
            j += 1
        yield i, j
        i = j + 1


TEST_RE = re.compile(r"""^@test\s+(['"])(.*)\1\s*\{\s*$""")


def tests_of(path):
    lines = open(path).read().split("\n")
    out = []
    i = 0
    while i < len(lines):
        m = TEST_RE.match(lines[i])
        if m:
            j = i + 1
            while j < len(lines) and lines[j] != "}":
                j += 1
            name = m.group(2).replace('\\"', '"').replace("\\$", "$") if m.group(1) == '"' else m.group(2)
            out.append({"name": name, "start": i, "end": j})
            i = j + 1
        else:
            i += 1
    return lines, out


def alone(lines, tests, t):
    """the file with every other test blanked (line numbers kept)"""
    keep = list(lines)
    for o in tests:
        if o is not t:
            for k in range(o["start"], o["end"] + 1):
                keep[k] = ""
    return keep


# ---------------------------------------------------------------- the plan

rng = random.Random(seed)
plan = []           # one entry a test: file, test, base text, mutants
for path in files:
    lines, tests = tests_of(path)
    chosen = [t for t in tests if not name_re or name_re.search(t["name"])]
    if per_file and len(chosen) > per_file:
        chosen = sorted(rng.sample(chosen, per_file), key=lambda t: t["start"])
    for t in chosen:
        base = alone(lines, tests, t)
        muts = []
        for a, b in statements(base, t["start"] + 1, t["end"]):
            stmt = "\n".join(base[a:b + 1])
            for k, (kind, new) in enumerate(mutations(stmt)):
                if bash_n(new) == "bad":
                    continue
                text = base[:a] + new.split("\n") + base[b + 1:]
                muts.append({"line": a + 1, "last": b + 1, "kind": kind, "stmt": base[a].strip(),
                             "text": "\n".join(text), "verdict": "not run", "out": ""})
        if max_mut and len(muts) > max_mut:
            step = len(muts) / max_mut
            muts = [muts[int(k * step)] for k in range(max_mut)]
        plan.append({"file": os.path.basename(path), "test": t["name"],
                     "base": "\n".join(base), "muts": muts, "verdict": None})

total = sum(len(p["muts"]) for p in plan)
print("mutate.sh: %d tests from %d files, %d mutants" % (len(plan), len(files), total))
if list_only:
    for p in plan:
        print("%s: %s" % (p["file"], p["test"]))
        for m in p["muts"]:
            print("  %4d  %-10s %s" % (m["line"], m["kind"], m["stmt"][:90]))
    sys.exit(0)

# ---------------------------------------------------------------- running

smtpd = os.environ.get("SMTPD_BIN") or os.path.join(REPO, "smtpd", "smtpd")
mailc = os.environ.get("MAILC_BIN") or os.path.join(REPO, "mailc", "mailc")
for b in (smtpd, mailc):
    if not os.access(b, os.X_OK):
        print("mutate.sh: %s is not built (make)" % b, file=sys.stderr)
        sys.exit(69)

work = tempfile.mkdtemp(prefix="mutate.")
os.chmod(work, 0o755)       # the daemon may run as nobody
slots = []
for k in range(jobs):
    d = os.path.join(work, "slot%d" % k)
    shutil.copytree(os.path.join(REPO, "t"), os.path.join(d, "t"), symlinks=True)
    shutil.copytree(os.path.join(REPO, "maildir-skel"), os.path.join(d, "maildir-skel"), symlinks=True)
    os.makedirs(os.path.join(d, "tmp"))
    for sub in ("", "t", "tmp"):
        os.chmod(os.path.join(d, sub), 0o755)
    with open(os.path.join(d, "t", "helpers.bash"), "a") as f:
        f.write("\n# mutate.sh: an assertion inverted where it stands\n"
                "mutant_not() { ! \"$@\"; }\n")
    slots.append(d)
free = list(range(jobs))
lock = threading.Lock()
started = time.monotonic()


def run_bats(text, filename):
    with lock:
        slot = free.pop()
    d = slots[slot]
    try:
        path = os.path.join(d, "t", filename)
        with open(path, "w") as f:
            f.write(text)
        env = dict(os.environ, SMTPD_BIN=smtpd, MAILC_BIN=mailc, TMPDIR=os.path.join(d, "tmp"))
        p = subprocess.run(["timeout", "-k", "10", str(timeout), "bats", "--tap", path],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=env, cwd=d)
        out = p.stdout.decode("utf-8", "replace")
        if re.search(r"^not ok ", out, re.M):
            v = "failed"
        elif re.search(r"^ok \d+ .*# skip", out, re.M):
            v = "skipped"
        elif re.search(r"^ok ", out, re.M):
            v = "passed"
        elif p.returncode in (124, 137):
            v = "timeout"
        else:
            v = "error"
        return v, out
    finally:
        # what a run killed by the timeout left behind
        for e in os.listdir(os.path.join(d, "tmp")):
            shutil.rmtree(os.path.join(d, "tmp", e), ignore_errors=True)
        with lock:
            free.append(slot)


def over_budget():
    return time.monotonic() - started > budget


def do_test(p):
    if over_budget():
        return
    v, out = run_bats(p["base"], p["file"])
    p["verdict"] = v
    if v != "passed":      # the test as it is must pass
        for m in p["muts"]:
            m["verdict"] = "base failed"
            m["out"] = out
        print("%s: %s: base run %s" % (p["file"], p["test"], v), flush=True)
        return
    for m in p["muts"]:
        if over_budget():
            return
        v, out = run_bats(m["text"], p["file"])
        v = {"failed": "killed", "passed": "survived"}.get(v, v)
        m["verdict"], m["out"] = v, out
        # where it failed: the inverted line, or later (a weaker kill)
        at = re.findall(r"in test file [^,]*, line (\d+)\)", out)
        if v == "killed" and "from function `teardown'" in out and not at:
            m["verdict"] = "killed@teardown"
        elif v == "killed" and at and not m["line"] <= int(at[-1]) <= m["last"]:
            m["verdict"] = "killed@%s" % at[-1]
        print("%-9s %s:%d  %s" % (v, p["file"], m["line"], m["stmt"][:70]), flush=True)


try:
    with cf.ThreadPoolExecutor(max_workers=jobs) as ex:
        list(ex.map(do_test, plan))
finally:
    if keep:
        print("mutate.sh: kept " + work)
    else:
        shutil.rmtree(work, ignore_errors=True)

# ---------------------------------------------------------------- the table

rows = [(p["file"], p["test"], m) for p in plan for m in p["muts"]]
print()
print("%-18s %5s  %-14s %s" % ("FILE", "LINE", "VERDICT", "TEST / ASSERTION"))
for f, t, m in rows:
    print("%-18s %5d  %-14s %s" % (f, m["line"], m["verdict"], t[:70]))
    print("%-18s %5s  %-14s   %s" % ("", "", "", m["stmt"][:80]))
counts = {}
for f, t, m in rows:
    v = m["verdict"].split("@")[0]
    counts[v] = counts.get(v, 0) + 1
print()
print("mutants: %d; %s; %.0f s" % (len(rows), ", ".join("%s %d" % kv for kv in sorted(counts.items())),
                                   time.monotonic() - started))
surv = [(f, t, m) for f, t, m in rows if m["verdict"] == "survived"]
if surv:
    print("survivors (each: an assertion that cannot fail the test, or an equivalent mutant):")
    for f, t, m in surv:
        print("  %s:%d  %s" % (f, m["line"], m["stmt"]))
        if verbose:
            print("\n".join("    | " + l for l in m["out"].splitlines()))
if tsv:
    with open(tsv, "w") as out:
        for f, t, m in rows:
            out.write("%s\t%s\t%d\t%s\t%s\t%s\n" % (f, t, m["line"], m["verdict"], m["kind"], m["stmt"]))
sys.exit(0)
PYTHON
