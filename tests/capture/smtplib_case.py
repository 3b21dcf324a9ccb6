#!/usr/bin/env python3
"""One smtplib client case against the capture server; prints a JSON result.

usage: smtplib_case.py PORT CASE
"""
import json
import smtplib
import sys

port, case = int(sys.argv[1]), sys.argv[2]
out = {}
s = smtplib.SMTP("127.0.0.1", port, timeout=20)
s.ehlo("client.example")
if case == "basic":
    # A first line that starts with a dot, a NUL and 8-bit bytes.
    body = b"Subject: basic\r\n\r\n.first line\r\nnul:\0 8bit:\xff\xfe\r\n..two\r\n"
    out["refused"] = s.sendmail("sender@example.com", ["rcpt@example.org"], body)
elif case == "rcpt101":
    rcpts = ["r%d@example.org" % i for i in range(101)]
    refused = s.sendmail("sender@example.com", rcpts, b"Subject: many\r\n\r\nhi\r\n")
    out["refused"] = {k: [v[0], v[1].decode()] for k, v in refused.items()}
elif case == "oversize":
    try:
        s.sendmail("sender@example.com", ["r@example.org"], b"Subject: big\r\n\r\n" + b"x" * 200000 + b"\r\n")
        out["error"] = None
    except smtplib.SMTPSenderRefused as e:
        out["error"] = [e.smtp_code, e.smtp_error.decode()]
    except smtplib.SMTPDataError as e:
        out["error"] = [e.smtp_code, e.smtp_error.decode()]
    out["noop"] = s.noop()[0]
elif case == "from_lines":
    body = b"Subject: mbox\r\n\r\nFrom the start\r\n>From quoted\r\nend\r\n"
    out["refused"] = s.sendmail("sender@example.com", ["r@example.org"], body)
else:
    sys.exit("unknown case " + case)
s.quit()
print(json.dumps(out))
