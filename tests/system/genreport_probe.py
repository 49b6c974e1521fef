#!/usr/bin/python3
"""genreport_probe.py HOST PORT ZONE [--tcp] - the checks of ISC's DNS
compliance tester (genreport, DNS-Compliance-Testing), as `genreport -f -c
-I opcodeflg` runs them against one authoritative server, over UDP or (with
--tcp, genreport's -t) TCP.

Each test sends one query built byte by byte and judges the reply as
genreport does: the ID, QR and the question echoed, the expected RCODE
(extended RCODE included), AA on an authoritative answer, the OPT record
present exactly when EDNS was used, at version 0, with no unknown option or
flag echoed back, DO echoed, and header bits the query must not get back
(TC, Z, AD on an unsigned zone) clear.  Prints PASS/FAIL per test and, last,
genreport's summary: "all ok" or the failed tests as "name=reason".
"""
import os
import random
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cookie_probe import skip_name  # noqa: E402
from dnsprobe import qname_wire as qname  # noqa: E402

T_SOA, T_DNSKEY, T_666, T_OPT = 6, 48, 666, 41
O_NSID, O_ECS, O_EXPIRE, O_COOKIE, O_UNKNOWN = 3, 8, 9, 10, 100
R_NOERROR, R_FORMERR, R_NOTIMP, R_BADVERS = 0, 1, 4, 16
OP_QUERY, OP_15 = 0, 15
F_QR, F_AA, F_TC, F_RD, F_RA, F_Z, F_AD, F_CD = (0x8000, 0x0400, 0x0200, 0x0100, 0x0080,
                                                 0x0040, 0x0020, 0x0010)
DO = 0x8000


def build(zone, qtype=T_SOA, flags=0, opcode=OP_QUERY, question=True, edns=None):
    """edns: None, or dict(version, size, flags, options=[(code, data)])."""
    qid = random.randint(1, 0xffff)
    h = flags | (opcode << 11)
    qd = qname(zone) + struct.pack("!HH", qtype, 1) if question else b""
    ar = b""
    if edns is not None:
        rdata = b"".join(struct.pack("!HH", c, len(d)) + d for c, d in edns.get("options", []))
        ttl = (edns.get("version", 0) << 16) | edns.get("flags", 0)
        ar = b"\0" + struct.pack("!HHIH", T_OPT, edns.get("size", 4096), ttl, len(rdata)) + rdata
    msg = struct.pack("!HHHHHH", qid, h, 1 if question else 0, 0, 0, 1 if edns else 0) + qd + ar
    return qid, msg


def parse(m):
    """The header fields, question, answer types, and the OPT record."""
    qid, h, qd, an, ns, ar = struct.unpack("!HHHHHH", m[:12])
    o = 12
    questions = []
    for _ in range(qd):
        e = skip_name(m, o)
        questions.append((m[o:e], struct.unpack("!HH", m[e:e + 4])))
        o = e + 4
    sections = []
    opt = None
    for i in range(an + ns + ar):
        e = skip_name(m, o)
        rtype, rclass, ttl, rdlen = struct.unpack("!HHIH", m[e:e + 10])
        rdata = m[e + 10:e + 10 + rdlen]
        if rtype == T_OPT:
            opts, p = [], 0
            while p + 4 <= len(rdata):
                c, ln = struct.unpack("!HH", rdata[p:p + 4])
                opts.append((c, rdata[p + 4:p + 4 + ln]))
                p += 4 + ln
            opt = {"size": rclass, "ercode": ttl >> 24, "version": (ttl >> 16) & 0xff,
                   "flags": ttl & 0xffff, "options": opts}
        sections.append(("an" if i < an else "ns" if i < an + ns else "ar", rtype))
        o = e + 10 + rdlen
    return {"id": qid, "flags": h, "opcode": (h >> 11) & 0xf,
            "rcode": (h & 0xf) | ((opt["ercode"] << 4) if opt else 0),
            "questions": questions, "sections": sections, "opt": opt}


def exchange(host, port, msg, tcp):
    if tcp:
        s = socket.create_connection((host, port), timeout=3)
        try:
            s.sendall(struct.pack("!H", len(msg)) + msg)
            buf = b""
            while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
                chunk = s.recv(65535)
                if not chunk:
                    return None
                buf += chunk
            return buf[2:2 + struct.unpack("!H", buf[:2])[0]]
        finally:
            s.close()
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(3)
    try:
        s.sendto(msg, (host, port))
        for _ in range(3):
            data, _ = s.recvfrom(65535)
            if len(data) >= 2 and data[:2] == msg[:2]:
                return data
    except socket.timeout:
        return None
    finally:
        s.close()
    return None


def judge(t, zone, qid, resp, tcp):
    """genreport's verdict: "ok" or its reason word."""
    if resp is None:
        return "timeout"
    try:
        r = parse(resp)
    except (IndexError, struct.error):
        return "malformed"
    if r["id"] != qid or not r["flags"] & F_QR:
        return "badid"
    if r["opcode"] != t["opcode"]:
        return "opcode"
    want = t["rcode"]
    if r["rcode"] != want:
        return {R_FORMERR: "formerr", R_NOTIMP: "notimp", R_BADVERS: "badvers",
                R_NOERROR: "noerror"}.get(r["rcode"], "rcode%d" % r["rcode"])
    if t.get("question", True) and (len(r["questions"]) != 1 or
                                    r["questions"][0][0].lower() != qname(zone)):
        return "noquestion"
    edns = t.get("edns")
    if edns is None and r["opt"] is not None:
        return "opt"  # EDNS answered to a plain query
    if edns is not None and want != R_NOTIMP:
        if r["opt"] is None:
            return "noopt"
        if r["opt"]["version"] != 0:
            return "version"
        if any(c == O_UNKNOWN for c, _ in r["opt"]["options"]):
            return "echoed"
        if r["opt"]["flags"] & ~DO:
            return "flags"  # an unknown EDNS flag (must be zero) came back
        if edns.get("flags", 0) & DO and not r["opt"]["flags"] & DO:
            return "nodo"
    if r["flags"] & F_Z:
        return "z"
    if t["qtype"] == T_SOA and want == R_NOERROR:
        if not r["flags"] & F_AA:
            return "noaa"
        if ("an", T_SOA) not in r["sections"]:
            return "nosoa"
    if t["qtype"] == T_666 and want == R_NOERROR:
        if any(s == "an" for s, _ in r["sections"]):
            return "answer"
        if ("ns", T_SOA) not in r["sections"]:
            return "nosoa"
    if edns is not None and not tcp and len(resp) > max(512, edns.get("size", 512)):
        return "toobig"
    if t["flags"] & F_TC and r["flags"] & F_TC and len(resp) < 512:
        return "tc"  # TC echoed on an answer that fits
    if t["flags"] & F_AD and r["flags"] & F_AD and not (edns and edns.get("flags", 0) & DO):
        return "ad"
    if t["flags"] & F_CD and not r["flags"] & F_CD and want == R_NOERROR:
        return "nocd"  # RFC 4035 3.1.6: CD copied
    if t["flags"] & F_RD and not r["flags"] & F_RD:
        return "nord"  # RFC 1035: RD copied
    return "ok"


def tests():
    e0 = {"version": 0, "size": 4096}
    all_flags = F_AA | F_TC | F_RD | F_RA | F_Z | F_AD | F_CD
    cookie = bytes(random.getrandbits(8) for _ in range(8))
    return [
        {"name": "dns", "qtype": T_SOA, "flags": 0, "opcode": OP_QUERY, "rcode": R_NOERROR},
        {"name": "aa", "qtype": T_SOA, "flags": F_AA, "opcode": OP_QUERY, "rcode": R_NOERROR},
        {"name": "ad", "qtype": T_SOA, "flags": F_AD, "opcode": OP_QUERY, "rcode": R_NOERROR},
        {"name": "cd", "qtype": T_SOA, "flags": F_CD, "opcode": OP_QUERY, "rcode": R_NOERROR},
        {"name": "ra", "qtype": T_SOA, "flags": F_RA, "opcode": OP_QUERY, "rcode": R_NOERROR},
        {"name": "rd", "qtype": T_SOA, "flags": F_RD, "opcode": OP_QUERY, "rcode": R_NOERROR},
        {"name": "tc", "qtype": T_SOA, "flags": F_TC, "opcode": OP_QUERY, "rcode": R_NOERROR},
        {"name": "zflag", "qtype": T_SOA, "flags": F_Z, "opcode": OP_QUERY, "rcode": R_NOERROR},
        {"name": "opcode", "qtype": T_SOA, "flags": 0, "opcode": OP_15, "rcode": R_NOTIMP,
         "question": False},
        {"name": "opcodeflg", "qtype": T_SOA, "flags": all_flags, "opcode": OP_15,
         "rcode": R_NOTIMP, "question": False},
        {"name": "type666", "qtype": T_666, "flags": 0, "opcode": OP_QUERY, "rcode": R_NOERROR},
        {"name": "edns", "qtype": T_SOA, "flags": 0, "opcode": OP_QUERY, "rcode": R_NOERROR,
         "edns": e0},
        {"name": "edns1", "qtype": T_SOA, "flags": 0, "opcode": OP_QUERY, "rcode": R_BADVERS,
         "edns": {"version": 1, "size": 4096}},
        {"name": "edns@512", "qtype": T_DNSKEY, "flags": 0, "opcode": OP_QUERY,
         "rcode": R_NOERROR, "edns": {"version": 0, "size": 512, "flags": DO}},
        {"name": "ednsopt", "qtype": T_SOA, "flags": 0, "opcode": OP_QUERY, "rcode": R_NOERROR,
         "edns": {"version": 0, "size": 4096, "options": [(O_UNKNOWN, b"")]}},
        {"name": "edns1opt", "qtype": T_SOA, "flags": 0, "opcode": OP_QUERY, "rcode": R_BADVERS,
         "edns": {"version": 1, "size": 4096, "options": [(O_UNKNOWN, b"")]}},
        {"name": "do", "qtype": T_SOA, "flags": 0, "opcode": OP_QUERY, "rcode": R_NOERROR,
         "edns": {"version": 0, "size": 4096, "flags": DO}},
        {"name": "docd", "qtype": T_SOA, "flags": F_CD, "opcode": OP_QUERY, "rcode": R_NOERROR,
         "edns": {"version": 0, "size": 4096, "flags": DO}},
        {"name": "ednsflags", "qtype": T_SOA, "flags": 0, "opcode": OP_QUERY,
         "rcode": R_NOERROR, "edns": {"version": 0, "size": 4096, "flags": 0x0080}},
        {"name": "optlist", "qtype": T_SOA, "flags": 0, "opcode": OP_QUERY, "rcode": R_NOERROR,
         "edns": {"version": 0, "size": 4096,
                  "options": [(O_NSID, b""), (O_ECS, b"\x00\x01\x00\x00"), (O_EXPIRE, b""),
                              (O_COOKIE, cookie)]}},
        {"name": "bind11", "qtype": T_SOA, "flags": F_RD | F_AD, "opcode": OP_QUERY,
         "rcode": R_NOERROR,
         "edns": {"version": 0, "size": 4096, "flags": DO, "options": [(O_COOKIE, cookie)]}},
        {"name": "dig11", "qtype": T_SOA, "flags": F_RD | F_AD, "opcode": OP_QUERY,
         "rcode": R_NOERROR,
         "edns": {"version": 0, "size": 4096, "options": [(O_COOKIE, cookie)]}},
    ]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    tcp = "--tcp" in sys.argv
    if len(args) != 3:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    host, port, zone = args[0], int(args[1]), args[2]
    bad = []
    for t in tests():
        qid, msg = build(zone, t["qtype"], t["flags"], t["opcode"], t.get("question", True),
                         t.get("edns"))
        resp = exchange(host, port, msg, tcp)
        verdict = judge(t, zone, qid, resp, tcp)
        way = "TCP" if tcp else "UDP"
        if verdict == "ok":
            print("PASS genreport %s over %s: ok" % (t["name"], way))
        else:
            print("FAIL genreport %s over %s: %s" % (t["name"], way, verdict))
            print("    reply: %s" % (resp.hex() if resp else "none"))
            bad.append("%s=%s" % (t["name"], verdict))
    summary = "all ok" if not bad else " ".join(bad)
    print("%s %s: %s" % ("PASS" if not bad else "FAIL", "genreport summary " +
                         ("-t " if tcp else "") + "-f -c -I opcodeflg", summary))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
