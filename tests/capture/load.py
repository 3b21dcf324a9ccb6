#!/usr/bin/env python3
"""Load: CLIENTS concurrent smtplib sessions, MESSAGES messages each.

usage: load.py PORT CLIENTS MESSAGES
Prints "ok C M" for each message answered 250 (flushed at once, so a test
that kills the server mid-load knows which messages were acknowledged) and
"fail C M ERROR" otherwise. The body of message (C, M) is body(C, M) below;
tests/capture.rs builds the same bytes.
"""
import sys
import threading
import smtplib

port, clients, messages = (int(a) for a in sys.argv[1:4])
lock = threading.Lock()


def body(c, m):
    pad = "x" * ((c * 7 + m * 13) % 500)
    return (
        "Subject: c%d m%d\r\nMessage-ID: <c%dm%d@load>\r\n\r\n"
        ".leading dot\r\nFrom start\r\nline %d %d %s\r\n" % (c, m, c, m, c, m, pad)
    ).encode() + b"\0nul\xff\r\n"


def say(line):
    with lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def client(c):
    try:
        s = smtplib.SMTP("127.0.0.1", port, timeout=60)
        s.ehlo("load%d.example" % c)
    except Exception as e:  # noqa: BLE001 - report and go on
        for m in range(messages):
            say("fail %d %d connect:%r" % (c, m, e))
        return
    for m in range(messages):
        try:
            s.sendmail("c%d@load.example" % c, ["trap@example.org"], body(c, m))
            say("ok %d %d" % (c, m))
        except Exception as e:  # noqa: BLE001
            say("fail %d %d %r" % (c, m, e))
            try:
                s.rset()
            except Exception:  # noqa: BLE001
                break
    try:
        s.quit()
    except Exception:  # noqa: BLE001
        pass


threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
