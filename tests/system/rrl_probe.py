#!/usr/bin/env python3
"""rrl_probe.py - a bounded UDP flood and a polite client at once, counted.

  rrl_probe.py HOST PORT QNAME SECONDS QPS FLOOD_SOURCES [options]
    FLOOD_SOURCES  "127.0.1.0/24:50": 50 addresses of that /24, each with
                   its own sockets (so many source ports), or "" for none
    --random       each flood query asks <random label>.QNAME instead
    --cookie HEX   the flood carries this COOKIE option (client + server)
    --polite ADDR  a second client at ADDR asks QNAME 10 times a second
Prints one JSON object: sent, full (NOERROR or NXDOMAIN with TC clear), tc
(TC set), other, per_second (full answers in each second), and for the
polite client polite_sent and polite_answered.  Bounded: it stops after
SECONDS, then waits one second for the last replies.
"""
import json
import os
import random
import select
import socket
import struct
import sys
import threading
import time


def query(qname, qid, cookie):
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 1 if cookie else 0)
    for label in qname.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00" + struct.pack(">HH", 1, 1)
    if cookie:
        opt = struct.pack(">HH", 10, len(cookie)) + cookie
        q += b"\x00" + struct.pack(">HHIH", 41, 1232, 0, len(opt)) + opt
    return q


def main():
    host, port, qname = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    seconds, qps, sources = float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    args = sys.argv[7:]
    rnd = "--random" in args
    cookie = bytes.fromhex(args[args.index("--cookie") + 1]) if "--cookie" in args else b""
    polite = args[args.index("--polite") + 1] if "--polite" in args else None

    socks = []
    if sources:
        net, n = sources.split(":")
        base = net.split("/")[0].rsplit(".", 1)[0]
        for i in range(int(n)):
            for _ in range(4):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("%s.%d" % (base, 1 + i), 0))
                s.setblocking(False)
                socks.append(s)
    res = {"sent": 0, "full": 0, "tc": 0, "other": 0, "per_second": [0] * (int(seconds) + 2),
           "polite_sent": 0, "polite_answered": 0}
    t0 = time.monotonic()
    end = t0 + seconds
    done = threading.Event()

    def polite_client():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((polite, 0))
        s.settimeout(1.0)
        while time.monotonic() < end:
            qid = random.randrange(65536)
            s.sendto(query(qname, qid, b""), (host, port))
            res["polite_sent"] += 1
            try:
                while True:
                    r = s.recv(4096)
                    if struct.unpack(">H", r[:2])[0] == qid:
                        if not r[2] & 0x02 and struct.unpack(">H", r[6:8])[0] > 0:
                            res["polite_answered"] += 1
                        break
            except socket.timeout:
                pass
            time.sleep(0.1)

    def receiver():
        while not done.is_set() or time.monotonic() < end + 1.0:
            r, _, _ = select.select(socks, [], [], 0.05)
            for s in r:
                while True:
                    try:
                        m = s.recv(4096)
                    except BlockingIOError:
                        break
                    if len(m) < 12:
                        continue
                    if m[2] & 0x02:
                        res["tc"] += 1
                    elif m[3] & 0x0F in (0, 3):
                        res["full"] += 1
                        sec = int(time.monotonic() - t0)
                        if sec < len(res["per_second"]):
                            res["per_second"][sec] += 1
                    else:
                        res["other"] += 1
            if done.is_set() and time.monotonic() > end + 1.0:
                break

    threads = [threading.Thread(target=receiver)] if socks else []
    if polite:
        threads.append(threading.Thread(target=polite_client))
    for t in threads:
        t.start()
    i = 0
    while socks and time.monotonic() < end:
        target = int((time.monotonic() - t0) * qps)
        while res["sent"] < target:
            name = ("%08x.%s" % (random.getrandbits(32), qname)) if rnd else qname
            try:
                socks[i % len(socks)].sendto(query(name, i & 0xFFFF, cookie), (host, port))
                res["sent"] += 1
            except BlockingIOError:
                pass
            i += 1
        time.sleep(0.002)
    while time.monotonic() < end:
        time.sleep(0.05)
    done.set()
    for t in threads:
        t.join(timeout=seconds + 5)
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
