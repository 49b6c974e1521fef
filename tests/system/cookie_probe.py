#!/usr/bin/env python3
"""cookie_probe.py - DNS cookies (RFC 7873, RFC 9018) against a server.

  cookie_probe.py check HOST PORT SECRET_HEX COOKIE_HEX
      COOKIE_HEX is client cookie + server cookie as a server returned it:
      prints "ok" when the server cookie is RFC 9018's (version 1, reserved
      0, a timestamp within a minute of now, SipHash-2-4 over client cookie,
      version, reserved, timestamp and 127.0.0.1 under SECRET), else why not.
  cookie_probe.py raw HOST PORT QNAME OPTLEN [OPTLEN...]
      sends an A query whose OPT record carries one COOKIE option of each
      length given; prints the rcode name of the reply (or "timeout").
  cookie_probe.py cookie HOST PORT QNAME COOKIE_HEX
      sends an A query with COOKIE_HEX as the option; prints the rcode name
      and the COOKIE option of the reply in hex (or "-").
"""
import os
import socket
import struct
import sys
import time

RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & 0xFFFFFFFFFFFFFFFF


def siphash24(key, msg):
    """SipHash-2-4 (Aumasson and Bernstein), 64-bit output, little-endian."""
    k0, k1 = struct.unpack("<QQ", key)
    v0, v1 = k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D
    v2, v3 = k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573
    mask = 0xFFFFFFFFFFFFFFFF

    def rounds(v0, v1, v2, v3, n):
        for _ in range(n):
            v0 = (v0 + v1) & mask; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
            v2 = (v2 + v3) & mask; v3 = rotl(v3, 16); v3 ^= v2
            v0 = (v0 + v3) & mask; v3 = rotl(v3, 21); v3 ^= v0
            v2 = (v2 + v1) & mask; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
        return v0, v1, v2, v3

    full = len(msg) // 8 * 8
    for i in range(0, full, 8):
        m = struct.unpack("<Q", msg[i:i + 8])[0]
        v3 ^= m
        v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 2)
        v0 ^= m
    last = (len(msg) & 0xFF) << 56
    for i, c in enumerate(msg[full:]):
        last |= c << (8 * i)
    v3 ^= last
    v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 2)
    v0 ^= last
    v2 ^= 0xFF
    v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 4)
    return struct.pack("<Q", v0 ^ v1 ^ v2 ^ v3)


def query(qname, options):
    """An A query for qname with an OPT record holding options [(code, data)]."""
    q = struct.pack(">HHHHHH", 0x4242, 0, 1, 0, 0, 1)
    for label in qname.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00" + struct.pack(">HH", 1, 1)
    rdata = b"".join(struct.pack(">HH", c, len(d)) + d for c, d in options)
    q += b"\x00" + struct.pack(">HHIH", 41, 1232, 0, len(rdata)) + rdata
    return q


def skip_name(m, p):
    while True:
        n = m[p]
        if n == 0:
            return p + 1
        if n & 0xC0 == 0xC0:
            return p + 2
        p += 1 + n


def reply_cookie(m):
    """The COOKIE option of a reply's OPT record, or None."""
    qd, an, ns, ar = struct.unpack(">HHHH", m[4:12])
    p = 12
    for _ in range(qd):
        p = skip_name(m, p) + 4
    for _ in range(an + ns + ar):
        p = skip_name(m, p)
        t, _, _, rdlen = struct.unpack(">HHIH", m[p:p + 10])
        p += 10
        if t == 41:
            o, end = p, p + rdlen
            while o + 4 <= end:
                code, olen = struct.unpack(">HH", m[o:o + 4])
                if code == 10:
                    return m[o + 4:o + 4 + olen]
                o += 4 + olen
        p += rdlen
    return None


def ask(host, port, msg):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    try:
        s.sendto(msg, (host, port))
        return s.recvfrom(4096)[0]
    except socket.timeout:
        return None
    finally:
        s.close()


def main():
    cmd = sys.argv[1]
    host, port = sys.argv[2], int(sys.argv[3])
    if cmd == "check":
        secret, cookie = bytes.fromhex(sys.argv[4]), bytes.fromhex(sys.argv[5])
        if len(cookie) != 24:
            print("cookie is %d bytes, not 8 + 16" % len(cookie))
            return 1
        client, server = cookie[:8], cookie[8:]
        ts = struct.unpack(">I", server[4:8])[0]
        if server[0] != 1 or server[1:4] != b"\x00\x00\x00":
            print("version/reserved %s, not 01 000000" % server[:4].hex())
            return 1
        if abs(ts - time.time()) > 60:
            print("timestamp %d is not now (%d)" % (ts, time.time()))
            return 1
        want = siphash24(secret, client + server[:8] + socket.inet_aton(host))
        if want != server[8:]:
            print("hash %s, SipHash-2-4 gives %s" % (server[8:].hex(), want.hex()))
            return 1
        print("ok")
        return 0
    if cmd == "raw":
        opts = [(10, os.urandom(int(n))) for n in sys.argv[5:]]
        r = ask(host, port, query(sys.argv[4], opts))
        print(RCODES.get(r[3] & 0xF, str(r[3] & 0xF)) if r else "timeout")
        return 0
    if cmd == "cookie":
        r = ask(host, port, query(sys.argv[4], [(10, bytes.fromhex(sys.argv[5]))]))
        if r is None:
            print("timeout -")
            return 0
        c = reply_cookie(r)
        print(RCODES.get(r[3] & 0xF, str(r[3] & 0xF)), c.hex() if c else "-")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
