#!/usr/bin/python3
"""pool_probe.py - many fast DNS queries against load-balanced names (pools)
for the ddnsd system tests.  Debian's /usr/bin/python3 with dnspython.
Every subcommand except `listen` prints one "PASS description" or
"FAIL description" line per check, with indented detail lines after a
failure; lib.sh (py_checks) turns them into TAP.  Every socket has a
timeout and every loop is bounded.

  pool_probe.py dist PORT NAME COUNT [options]
      sends COUNT queries for NAME over UDP (up to 64 in flight on one
      socket) and checks every reply: NOERROR, AA, the answer's owner is
      NAME in its exact letter case, the records are of the asked type,
      distinct, members of --members, never one of --never, --answers of
      them, TTL --ttl.  Then the first addresses of the replies:
        --share IP=LO:HI   the share of replies with IP first is in
                           [LO, HI] (fractions; repeatable)
        --always IP        every reply has IP first
        --min-first N      at least N distinct first addresses
      --type A|AAAA, --src ADDR (source address to bind), --sockets N
      (split the queries over N client sockets, one after the other, so
      that several DNS workers answer), --label TEXT
      (prefix of the check descriptions), --out FILE (JSON counts).
  pool_probe.py hashed PORT NAME COUNT SRC[,SRC...] [--members ...]
      COUNT queries spread over the source addresses (one UDP socket bound
      to each): every source sees one first address in all of its replies;
      sources in one /24 see the same one; at least --min-distinct (2)
      distinct first addresses over all sources.
  pool_probe.py first PORT NAME [--type A] [--src ADDR]
      prints the answer's addresses in wire order on one line ("NODATA",
      "NXDOMAIN", "TIMEOUT" or the rcode otherwise); no checks.
  pool_probe.py listen ADDR PORT
      a TCP listener for health checks until killed: accepts, and answers
      an HTTP request line with 200 when its path starts with /ok, 503
      otherwise, then closes.

SLOW (environment, default 1) scales the timeouts.
"""
import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import time

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

SLOW = int(os.environ.get("SLOW", "1"))
FAILED = 0


def check(ok, desc, *detail):
    global FAILED
    if ok:
        print("PASS " + desc)
    else:
        FAILED += 1
        print("FAIL " + desc)
        for d in detail:
            for line in str(d).splitlines():
                print("    " + line)
    sys.stdout.flush()
    return ok


def note(text):
    print("NOTE " + text)
    sys.stdout.flush()


def make_wire(name, qtype, qid):
    q = dns.message.make_query(name, qtype, use_edns=False)
    q.flags &= ~dns.flags.RD
    q.id = qid
    return q.to_wire()


def udp_socket(src):
    fam = socket.AF_INET6 if ":" in (src or "127.0.0.1") else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    if src:
        s.bind((src, 0))
    s.setblocking(False)
    return s


def server_addr(src):
    return ("::1" if src and ":" in src else "127.0.0.1")


def blast(port, name, qtype, count, src=None, window=64, timeout=2.0):
    """Sends count queries (window in flight) from one socket; returns
    (replies, lost) with replies a list of dns.message.Message in the order
    they arrived.  A query unanswered for `timeout` s counts as lost."""
    s = udp_socket(src)
    dst = (server_addr(src), port)
    pending = {}
    replies = []
    lost = 0
    sent = 0
    ids = list(range(65536))
    random.shuffle(ids)
    free_ids = ids
    deadline_all = time.monotonic() + max(30.0, count / 500.0) * SLOW
    tmo = timeout * SLOW
    try:
        while (sent < count or pending) and time.monotonic() < deadline_all:
            while sent < count and len(pending) < window:
                qid = free_ids.pop()
                s.sendto(make_wire(name, qtype, qid), dst)
                pending[qid] = time.monotonic()
                sent += 1
            r, _, _ = select.select([s], [], [], 0.05)
            if r:
                while True:
                    try:
                        data = s.recv(65535)
                    except BlockingIOError:
                        break
                    if len(data) < 2:
                        continue
                    qid = struct.unpack("!H", data[:2])[0]
                    if qid not in pending:
                        continue
                    del pending[qid]
                    free_ids.insert(0, qid)
                    try:
                        replies.append(dns.message.from_wire(data))
                    except Exception as e:  # noqa: BLE001 - a bad reply is a failure
                        replies.append(e)
            now = time.monotonic()
            for qid, t in list(pending.items()):
                if now - t > tmo:
                    del pending[qid]
                    free_ids.insert(0, qid)
                    lost += 1
        lost += len(pending) + (count - sent)
    finally:
        s.close()
    return replies, lost


def addrs_of(msg, qtype):
    """(owner texts, [addresses in wire order], ttls) of the answer's RRsets
    of qtype."""
    owners, addrs, ttls = set(), [], set()
    rdt = dns.rdatatype.from_text(qtype)
    for rrset in msg.answer:
        owners.add(rrset.name.to_text())
        if rrset.rdtype != rdt:
            owners.add("unexpected type " + dns.rdatatype.to_text(rrset.rdtype))
            continue
        ttls.add(rrset.ttl)
        for rd in rrset:
            addrs.append(rd.address)
    return owners, addrs, ttls


def norm_ip(ip):
    fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
    return socket.inet_ntop(fam, socket.inet_pton(fam, ip))


def validate(replies, args, label):
    """Checks every reply against the options; returns the list of first
    addresses."""
    qname = args.name if args.name.endswith(".") else args.name + "."
    members = set(norm_ip(m) for m in args.members.split(",")) if args.members else None
    never = set(norm_ip(m) for m in args.never.split(",")) if args.never else set()
    firsts = []
    bad = {}

    def bump(kind, example):
        if kind not in bad:
            bad[kind] = [0, example]
        bad[kind][0] += 1

    for m in replies:
        if isinstance(m, Exception):
            bump("unparsable reply", repr(m))
            continue
        if m.rcode() != dns.rcode.NOERROR:
            bump("rcode " + dns.rcode.to_text(m.rcode()), m.to_text())
            continue
        if not m.flags & dns.flags.AA:
            bump("AA not set", m.to_text())
        owners, addrs, ttls = addrs_of(m, args.type)
        if owners != {qname}:
            bump("answer owner not %s exactly" % qname, m.to_text())
        if not addrs:
            bump("no address in the answer", m.to_text())
            continue
        firsts.append(addrs[0])
        if len(set(addrs)) != len(addrs):
            bump("repeated address", m.to_text())
        if args.answers is not None and len(addrs) != args.answers:
            bump("%d addresses, not %d" % (len(addrs), args.answers), m.to_text())
        if members is not None and not set(addrs) <= members:
            bump("address outside the members", m.to_text())
        if set(addrs) & never:
            bump("a down member handed out", m.to_text())
        if args.ttl is not None and ttls != {args.ttl}:
            bump("TTL %s, not %d" % (sorted(ttls), args.ttl), m.to_text())
    detail = []
    for kind, (n, ex) in bad.items():
        detail.append("%d replies: %s; e.g.:" % (n, kind))
        detail.append(ex)
    check(not bad, "%s: all %d replies NOERROR, AA, owner %s as asked, %s%s%s%s"
          % (label, len(replies), qname, args.type,
             "" if args.answers is None else ", %d distinct addresses" % args.answers,
             "" if members is None else ", members only",
             "" if args.ttl is None else ", TTL %d" % args.ttl),
          *detail)
    return firsts


def share_checks(firsts, args, label):
    n = len(firsts)
    counts = {}
    for a in firsts:
        counts[a] = counts.get(a, 0) + 1
    shown = ", ".join("%s %d" % (a, c) for a, c in sorted(counts.items(), key=lambda x: -x[1]))
    for spec in args.share or []:
        ip, rng = spec.split("=")
        lo, hi = (float(x) for x in rng.split(":"))
        c = counts.get(norm_ip(ip), 0)
        frac = c / n if n else 0.0
        check(lo <= frac <= hi,
              "%s: %s first in %.4f of %d replies (want %.4f..%.4f)" % (label, ip, frac, n, lo, hi),
              "first addresses: " + shown)
    if args.always:
        ip = norm_ip(args.always)
        c = counts.get(ip, 0)
        check(n > 0 and c == n, "%s: %s first in every reply (%d of %d)" % (label, ip, c, n),
              "first addresses: " + shown)
    if args.min_first:
        check(len(counts) >= args.min_first,
              "%s: at least %d distinct first addresses (%d)" % (label, args.min_first, len(counts)),
              "first addresses: " + shown)
    return counts


def cmd_dist(args):
    label = args.label or "%s %s x%d" % (args.name, args.type, args.count)
    t0 = time.monotonic()
    replies, lost = [], 0
    for i in range(args.sockets):
        n = args.count // args.sockets + (1 if i < args.count % args.sockets else 0)
        r, lo = blast(args.port, args.name, args.type, n, args.src)
        replies.extend(r)
        lost += lo
    dt = time.monotonic() - t0
    note("%s: %d replies, %d lost in %.2f s" % (label, len(replies), lost, dt))
    check(lost <= args.count // 200,
          "%s: at most 0.5%% of %d queries unanswered (%d)" % (label, args.count, lost))
    firsts = validate(replies, args, label)
    counts = share_checks(firsts, args, label)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"replies": len(replies), "lost": lost, "first": counts}, f)


def cmd_hashed(args):
    srcs = args.srcs.split(",")
    label = args.label or "%s hashed" % args.name
    per = max(1, args.count // len(srcs))
    seen = {}
    allrep = []
    for src in srcs:
        replies, lost = blast(args.port, args.name, args.type, per, src)
        if lost > per // 100:
            check(False, "%s: queries from %s answered" % (label, src), "%d of %d lost" % (lost, per))
        firsts = []
        for m in replies:
            if isinstance(m, Exception) or m.rcode() != dns.rcode.NOERROR:
                continue
            a = addrs_of(m, args.type)[1]
            if a:
                firsts.append(a[0])
        allrep.extend(replies)
        c = {}
        for a in firsts:
            c[a] = c.get(a, 0) + 1
        seen[src] = c
    validate(allrep, args, "%s, %d sources" % (label, len(srcs)))
    lines = ["%s: %s" % (s, ", ".join("%s %d" % kv for kv in sorted(c.items()))) for s, c in seen.items()]
    stable = [s for s, c in seen.items() if len(c) == 1]
    check(len(stable) == len(srcs),
          "%s: each of %d sources sees one member first in all its replies (%d queries each)"
          % (label, len(srcs), per), *lines)
    nets = {}
    for s, c in seen.items():
        if len(c) == 1:
            net = s.rsplit(".", 1)[0] if ":" not in s else s
            nets.setdefault(net, set()).update(c.keys())
    multi = {n: v for n, v in nets.items() if len(v) > 1}
    check(not multi, "%s: sources in one /24 see the same member" % label, *lines)
    used = set()
    for c in seen.values():
        used.update(c.keys())
    check(len(used) >= args.min_distinct,
          "%s: at least %d distinct members over the sources (%d)" % (label, args.min_distinct, len(used)),
          *lines)


def cmd_first(args):
    s = udp_socket(args.src)
    s.setblocking(True)
    s.settimeout(1.0 * SLOW)
    qid = random.randint(0, 65535)
    try:
        s.sendto(make_wire(args.name, args.type, qid), (server_addr(args.src), args.port))
        for _ in range(4):
            data = s.recv(65535)
            if data[:2] == struct.pack("!H", qid):
                break
        m = dns.message.from_wire(data)
    except socket.timeout:
        print("TIMEOUT")
        return
    finally:
        s.close()
    if m.rcode() != dns.rcode.NOERROR:
        print(dns.rcode.to_text(m.rcode()))
        return
    addrs = addrs_of(m, args.type)[1]
    print(" ".join(addrs) if addrs else "NODATA")


def cmd_listen(args):
    fam = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((args.addr, args.port))
    ls.listen(64)
    sys.stdout.write("listening %s %d\n" % (args.addr, args.port))
    sys.stdout.flush()
    end = time.monotonic() + 600
    while time.monotonic() < end:
        r, _, _ = select.select([ls], [], [], 1.0)
        if not r:
            continue
        c, peer = ls.accept()
        sys.stdout.write("accepted %s\n" % peer[0])
        sys.stdout.flush()
        c.settimeout(0.5)
        try:
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 8192:
                chunk = c.recv(4096)
                if not chunk:
                    break
                data += chunk
            if data:
                parts = data.split(b"\r\n", 1)[0].split()
                path = parts[1] if len(parts) > 1 else b""
                st = b"200 OK" if path.startswith(b"/ok") else b"503 Service Unavailable"
                c.sendall(b"HTTP/1.0 " + st + b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        except OSError:
            pass
        finally:
            c.close()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp):
        sp.add_argument("--type", default="A")
        sp.add_argument("--members")
        sp.add_argument("--never")
        sp.add_argument("--answers", type=int)
        sp.add_argument("--ttl", type=int)
        sp.add_argument("--label")

    d = sub.add_parser("dist")
    d.add_argument("port", type=int)
    d.add_argument("name")
    d.add_argument("count", type=int)
    common(d)
    d.add_argument("--src")
    d.add_argument("--share", action="append")
    d.add_argument("--always")
    d.add_argument("--min-first", type=int, default=0)
    d.add_argument("--out")
    d.add_argument("--sockets", type=int, default=1)

    h = sub.add_parser("hashed")
    h.add_argument("port", type=int)
    h.add_argument("name")
    h.add_argument("count", type=int)
    h.add_argument("srcs")
    common(h)
    h.add_argument("--min-distinct", type=int, default=2)

    f = sub.add_parser("first")
    f.add_argument("port", type=int)
    f.add_argument("name")
    f.add_argument("--type", default="A")
    f.add_argument("--src")

    li = sub.add_parser("listen")
    li.add_argument("addr")
    li.add_argument("port", type=int)

    args = p.parse_args()
    if args.cmd == "dist":
        cmd_dist(args)
    elif args.cmd == "hashed":
        cmd_hashed(args)
    elif args.cmd == "first":
        cmd_first(args)
        return 0
    elif args.cmd == "listen":
        cmd_listen(args)
        return 0
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
