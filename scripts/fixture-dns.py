#!/usr/bin/env python3
"""A tiny authoritative DNS server on 127.0.0.1 answering from a fixture zone.

    scripts/fixture-dns.py ZONEFILE [QUERYLOG]

Binds UDP 127.0.0.1 on a free port, prints "127.0.0.1:PORT" on stdout (one
line, flushed) and serves until killed. Zone lines: `name. TYPE data`
(A, AAAA, PTR, MX, TXT, NS, CNAME; `#` comments), TTL 300. As in
tests/support/dns_server.rs: a name with other types only is NOERROR with
no data, any other name NXDOMAIN. Standard library only; loopback only, so
a recording made against it never touches the network. Each question is
appended to QUERYLOG as "TYPE name rcode" (to see what a binary asks).
"""
import socket, struct, sys

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28}
NAMES = {v: k for k, v in TYPES.items()}


def enc_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def rdata(rtype, data):
    if rtype == "A":
        return socket.inet_pton(socket.AF_INET, data)
    if rtype == "AAAA":
        return socket.inet_pton(socket.AF_INET6, data)
    if rtype in ("PTR", "NS", "CNAME"):
        return enc_name(data)
    if rtype == "MX":
        pref, host = data.split()
        return struct.pack("!H", int(pref)) + enc_name(host)
    if rtype == "TXT":
        s = data.strip().strip('"').encode()
        return b"".join(bytes([len(s[i:i + 255])]) + s[i:i + 255] for i in range(0, max(len(s), 1), 255))
    raise ValueError(rtype)


def load(path):
    zone = {}  # name -> [(type, rdata)]
    for line in open(path):
        line = line.strip()
        if line.startswith("#"):
            continue
        if not line:
            continue
        name, rtype, data = line.split(None, 2)
        zone.setdefault(name.lower().rstrip("."), []).append((TYPES[rtype], rdata(rtype, data)))
    return zone


def qname(msg, off):
    labels = []
    while msg[off]:
        n = msg[off]
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    return ".".join(labels).lower(), off + 1


def answer(zone, msg, log):
    qid, flags = struct.unpack("!HH", msg[:4])
    name, off = qname(msg, 12)
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    question = msg[12:off + 4]
    records = zone.get(name)
    rcode = 3 if records is None else 0
    rrs = [(t, d) for t, d in records or [] if t == qtype]
    if log:
        log.write(f"{NAMES.get(qtype, qtype)} {name} {['NOERROR', '', '', 'NXDOMAIN'][rcode]}\n")
        log.flush()
    # QR, opcode copied, AA, RD copied, RA; no EDNS in the reply.
    rflags = 0x8400 | (flags & 0x7900) | 0x0080 | rcode
    out = struct.pack("!HHHHHH", qid, rflags, 1, len(rrs), 0, 0) + question
    for t, d in rrs:
        out += b"\xc0\x0c" + struct.pack("!HHIH", t, 1, 300, len(d)) + d
    return out


def main():
    zone = load(sys.argv[1])
    log = open(sys.argv[2], "a") if len(sys.argv) > 2 else None
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    print(f"127.0.0.1:{sock.getsockname()[1]}", flush=True)
    while True:
        msg, peer = sock.recvfrom(4096)
        try:
            sock.sendto(answer(zone, msg, log), peer)
        except Exception as e:  # a malformed query: no answer, keep serving
            print(f"fixture-dns: {e}", file=sys.stderr)


if __name__ == "__main__":
    main()
