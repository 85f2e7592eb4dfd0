"""pop3util.py - small helpers for the Python parts of t/pop3.bats and
t/mailc_read.bats (imported by the scripts that `pypop` runs).

  login(user, password)  a poplib.POP3 logged in to $POP3_PORT
  maildir(user)          the Maildir of user@example.org
  cur(user)              the files in its cur/, sorted
  check(cond, what)      fail with a message unless cond
"""
import os
import poplib

PORT = int(os.environ["POP3_PORT"])
ROOT = os.environ["MAILBOX_ROOT"]


def connect():
    return poplib.POP3("127.0.0.1", PORT, timeout=30)


def login(user="bob", password="bobpw"):
    p = connect()
    p.user(user + "@example.org")
    p.pass_(password)
    return p


def maildir(user="bob"):
    return os.path.join(ROOT, user)


def cur(user="bob"):
    try:
        return sorted(os.listdir(os.path.join(maildir(user), "cur")))
    except FileNotFoundError:
        return []


def check(cond, what):
    if not cond:
        raise SystemExit("FAILED: " + what)
