#!/usr/bin/env python3
"""STARTTLS with plaintext pipelined after it (the CVE-2011-0411 family).

usage: starttls.py PORT
Sends "STARTTLS\\r\\nMAIL FROM:<injected@x>\\r\\n" in one packet. The server
must discard the injected MAIL: after the handshake, RCPT must get 503.
Then a whole message is sent over TLS. Prints the replies as JSON.
"""
import json
import socket
import ssl
import sys

port = int(sys.argv[1])
sock = socket.create_connection(("127.0.0.1", port), timeout=10)
f = sock.makefile("rb")


def reply(fh):
    lines = []
    while True:
        line = fh.readline()
        if not line:
            break
        lines.append(line.decode(errors="replace").rstrip("\r\n"))
        if len(line) < 4 or line[3:4] != b"-":
            break
    return lines


out = {"greeting": reply(f)}
sock.sendall(b"EHLO client.example\r\n")
out["ehlo"] = reply(f)
sock.sendall(b"STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\n")
out["starttls"] = reply(f)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
tls = ctx.wrap_socket(sock, server_hostname="localhost")
g = tls.makefile("rb")


def cmd(line):
    tls.sendall(line)
    return reply(g)


out["rcpt_before_mail"] = cmd(b"RCPT TO:<r@example.org>\r\n")
out["ehlo2"] = cmd(b"EHLO client.example\r\n")
out["mail"] = cmd(b"MAIL FROM:<s@example.com>\r\n")
out["rcpt"] = cmd(b"RCPT TO:<r@example.org>\r\n")
out["data"] = cmd(b"DATA\r\n")
out["end"] = cmd(b"Subject: tls\r\n\r\nover tls\r\n.\r\n")
out["quit"] = cmd(b"QUIT\r\n")
print(json.dumps(out))
