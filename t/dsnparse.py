#!/usr/bin/env python3
"""dsnparse.py FILE - a delivery status notification (RFC 3464, RFC 6522)
as Python's email package reads it, one KEY=VALUE a line, for t/dsn.bats.

  msg.HEADER=VALUE       Return-Path, From, To, Subject, Auto-Submitted,
                         MIME-Version of the notice
  msg.type=TYPE          its content type; msg.report-type=...
  parts=T1 T2 T3         the content types of its parts, in order
  human=LINE             each line of the first (text/plain) part
  dsn.FIELD=VALUE        the per-message fields of the
                         message/delivery-status part, in order
  rcptN.FIELD=VALUE      the fields of its Nth recipient block (from 1)
  ....FIELD.epoch=SECS   also, for each date field (*-Date,
                         Will-Retry-Until): the date as seconds
  quoted=LINE            each line of the text/rfc822-headers part
  boundary=ok|FOUND      whether the boundary occurs in any part's text
  defects=...            what the parser found wrong, if anything
Exits 1 if the file is not a multipart message.
"""
import email
import email.utils
import sys


def fields(prefix, block):
    for k, v in block.items():
        v = " ".join(v.split())  # unfolded
        print(f"{prefix}.{k}={v}")
        if k.lower().endswith("-date") or k.lower() == "will-retry-until":
            print(f"{prefix}.{k}.epoch="
                  f"{int(email.utils.parsedate_to_datetime(v).timestamp())}")


def text_of(part):
    return part.get_payload(decode=True).decode("latin-1")


def main():
    with open(sys.argv[1], "rb") as f:
        msg = email.message_from_binary_file(f)
    for h in ("Return-Path", "From", "To", "Subject", "Auto-Submitted",
              "MIME-Version"):
        if msg[h] is not None:
            print(f"msg.{h}={msg[h]}")
    print(f"msg.type={msg.get_content_type()}")
    print(f"msg.report-type={msg.get_param('report-type')}")
    if not msg.is_multipart():
        return 1
    parts = msg.get_payload()
    print("parts=" + " ".join(p.get_content_type() for p in parts))
    boundary = msg.get_boundary()
    found = False
    for p in parts:
        if p.get_content_type() == "text/plain":
            text = text_of(p)
            for line in text.splitlines():
                print(f"human={line}")
        elif p.get_content_type() == "message/delivery-status":
            blocks = p.get_payload()
            text = "\n".join(b.as_string() for b in blocks)
            fields("dsn", blocks[0])
            for n, b in enumerate(blocks[1:], 1):
                fields(f"rcpt{n}", b)
        elif p.get_content_type() == "text/rfc822-headers":
            text = text_of(p)
            for line in text.splitlines():
                print(f"quoted={line}")
        else:
            text = str(p)
        found |= boundary in text
    print("boundary=" + ("FOUND" if found else "ok"))
    defects = [type(d).__name__ for d in msg.defects]
    for p in parts:
        defects += [type(d).__name__ for d in p.defects]
    if defects:
        print("defects=" + " ".join(defects))
    return 0


if __name__ == "__main__":
    sys.exit(main())
