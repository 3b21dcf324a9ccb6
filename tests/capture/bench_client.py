#!/usr/bin/env python3
"""Benchmark client: SESSIONS concurrent SMTP sessions (one process each,
so the GIL is not the bottleneck) send messages in lock-step for SECONDS.

usage: bench_client.py PORT SESSIONS SECONDS
Prints: "<sessions> sessions: <n> messages in <t> s = <rate> msg/s".
"""
import multiprocessing as mp
import socket
import sys
import time

BODY = (
    b"From: bench@example.com\r\nTo: trap@example.org\r\nSubject: bench\r\n"
    b"Message-ID: <bench@example.com>\r\n\r\n" + b"lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod\r\n" * 25
)


def reply(f):
    while True:
        line = f.readline()
        if not line:
            raise ConnectionError("closed")
        if line[3:4] != b"-":
            return int(line[:3])


def worker(args):
    port, until = args
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile("rb")
    reply(f)
    s.sendall(b"EHLO bench.example\r\n")
    reply(f)
    n = 0
    while time.time() < until:
        for cmd, want in (
            (b"MAIL FROM:<bench@example.com>\r\n", 250),
            (b"RCPT TO:<trap@example.org>\r\n", 250),
            (b"DATA\r\n", 354),
            (BODY + b".\r\n", 250),
        ):
            s.sendall(cmd)
            code = reply(f)
            if code != want:
                raise RuntimeError("unexpected %d" % code)
        n += 1
    s.sendall(b"QUIT\r\n")
    return n


def main():
    port, sessions, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    with mp.Pool(sessions) as pool:
        start = time.time()
        until = start + seconds
        counts = pool.map(worker, [(port, until)] * sessions)
        elapsed = time.time() - start
    total = sum(counts)
    print("%d sessions: %d messages in %.2f s = %.0f msg/s" % (sessions, total, elapsed, total / elapsed))


if __name__ == "__main__":
    main()
