#!/usr/bin/python3
"""dnsprobe.py - DNS clients for the ddnsd system tests that dig cannot be.

Run with Debian's /usr/bin/python3 (python3-dnspython).  Every subcommand
prints one "PASS description" or "FAIL description" line per check, with
indented detail lines after a failure; lib.sh turns them into TAP.  All
loops are bounded and every socket has a timeout.

  dnsprobe.py xfr HOST PORT ZONE
  dnsprobe.py malformed HOST PORT ZONE
  dnsprobe.py fuzz HOST PORT ZONE COUNT
  dnsprobe.py tcpgarbage HOST PORT ZONE
  dnsprobe.py pipeline HOST PORT ZONE
  dnsprobe.py idle HOST PORT ZONE IDLE_MS
  dnsprobe.py connlimit HOST PORT ZONE LIMIT
  dnsprobe.py peercap HOST PORT ZONE CAP
  dnsprobe.py tcpflood HOST PORT ZONE COUNT HELD_MAX PID,PID...
  dnsprobe.py load HOST PORT NAME ADDR COUNT SECONDS
  dnsprobe.py edns HOST PORT ZONE

The zone is expected to hold home.ZONE A 192.0.2.10 and no nope.ZONE.
SLOW (environment, default 1) scales the timeouts.
"""
import os
import random
import socket
import struct
import sys
import time

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

SLOW = int(os.environ.get("SLOW", "1"))
FAILED = 0
HOME_ADDR = "192.0.2.10"


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


# ---------------------------------------------------------------- wire helpers

def header(qid, flags, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def qname_wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def question(name, qtype=1, qclass=1):
    return qname_wire(name) + struct.pack("!HH", qtype, qclass)


def opt_rr(size=1232, version=0):
    # owner root, type OPT, class = UDP size, TTL = ext-rcode|version|flags
    return b"\x00" + struct.pack("!HHIH", 41, size, version << 16, 0)


def raw_query(name, qtype=1, qid=None, flags=0x0000):
    qid = random.randint(0, 65535) if qid is None else qid
    return header(qid, flags) + question(name, qtype)


def hdr_of(resp):
    """(id, qr, opcode, aa, tc, rcode) of a response, or None if too short."""
    if resp is None or len(resp) < 12:
        return None
    qid, fl = struct.unpack("!HH", resp[:4])
    return (qid, fl >> 15, (fl >> 11) & 0xF, (fl >> 10) & 1, (fl >> 9) & 1, fl & 0xF)


def udp_send(host, port, data, timeout=1.0):
    """Sends one datagram; returns the reply bytes or None after timeout."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout * SLOW)
    try:
        s.sendto(data, (host, port))
        return s.recvfrom(65535)[0]
    except socket.timeout:
        return None
    finally:
        s.close()


def tcp_connect(host, port, timeout=2.0):
    s = socket.create_connection((host, port), timeout=timeout * SLOW)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp_read_msg(s):
    """One length-prefixed message, or None on EOF."""
    ln = recv_exact(s, 2)
    if ln is None:
        return None
    return recv_exact(s, struct.unpack("!H", ln)[0])


def tcp_frame(data):
    return struct.pack("!H", len(data)) + data


def good_query_ok(host, port, zone, tcp=False):
    """A normal query for home.ZONE A gets the right answer."""
    q = dns.message.make_query("home." + zone, "A", use_edns=0)
    q.flags &= ~dns.flags.RD
    try:
        if tcp:
            r = dns.query.tcp(q, host, port=port, timeout=3 * SLOW)
        else:
            r = dns.query.udp(q, host, port=port, timeout=3 * SLOW)
    except Exception as e:  # noqa: BLE001 - any failure is a failed check
        return False, "query failed: %r" % (e,)
    addrs = sorted(rd.address for rrset in r.answer for rd in rrset
                   if rrset.rdtype == dns.rdatatype.A)
    ok = r.rcode() == dns.rcode.NOERROR and addrs == [HOME_ADDR] and r.flags & dns.flags.AA
    return ok, r.to_text()


# ---------------------------------------------------------------- xfr

def cmd_xfr(host, port, zone):
    q = dns.message.make_query(zone, "AXFR")
    try:
        r = dns.query.tcp(q, host, port=port, timeout=3 * SLOW)
        check(r.rcode() == dns.rcode.REFUSED, "AXFR without transfer.allow is REFUSED",
              r.to_text())
        check(not r.answer, "AXFR refused: no records given", r.to_text())
    except Exception as e:  # noqa: BLE001
        check(False, "AXFR without transfer.allow is REFUSED", repr(e))
    q = dns.message.make_query(zone, "IXFR")
    soa = dns.rrset.from_text(zone + ".", 0, "IN", "SOA",
                              "ns1.%s. hostmaster.%s. 0 1 1 1 1" % (zone, zone))
    q.authority.append(soa)
    try:
        r = dns.query.tcp(q, host, port=port, timeout=3 * SLOW)
        check(r.rcode() == dns.rcode.REFUSED, "IXFR without transfer.allow is REFUSED",
              r.to_text())
    except Exception as e:  # noqa: BLE001
        check(False, "IXFR without transfer.allow is REFUSED", repr(e))


# ---------------------------------------------------------------- malformed

def expect_rcode(host, port, data, rcode, desc, qid):
    resp = udp_send(host, port, data)
    h = hdr_of(resp)
    if h is None:
        return check(False, desc, "no (or short) reply to %s" % data.hex())
    rid, qr, _opc, _aa, _tc, rc = h
    ok = rid == qid and qr == 1 and rc == rcode
    return check(ok, desc, "reply id=%d qr=%d rcode=%s (want id=%d rcode=%s), query %s" % (
        rid, qr, dns.rcode.to_text(rc), qid, dns.rcode.to_text(rcode), data.hex()))


def expect_silence(host, port, data, desc):
    resp = udp_send(host, port, data, timeout=0.7)
    return check(resp is None, desc, "got a reply: %s" % (resp.hex() if resp else ""))


def cmd_malformed(host, port, zone):
    home = "home." + zone
    fe = dns.rcode.FORMERR
    # two questions
    qid = 0x1111
    d = header(qid, 0, qd=2) + question(home) + question("nope." + zone)
    expect_rcode(host, port, d, fe, "QDCOUNT 2: FORMERR", qid)
    qid = 0x1112
    expect_rcode(host, port, header(qid, 0, qd=0), fe, "QDCOUNT 0: FORMERR", qid)
    qid = 0x1113
    expect_rcode(host, port, header(qid, 0, qd=1), fe, "header only, QDCOUNT 1: FORMERR", qid)
    qid = 0x1114
    d = header(qid, 0) + question(home)[:9]
    expect_rcode(host, port, d, fe, "question name cut short: FORMERR", qid)
    qid = 0x1115
    d = header(qid, 0) + qname_wire(home) + b"\x00\x01"
    expect_rcode(host, port, d, fe, "QCLASS missing: FORMERR", qid)
    qid = 0x1116
    d = header(qid, 0) + b"\xc0\x0c" + struct.pack("!HH", 1, 1)
    expect_rcode(host, port, d, fe, "compression pointer to itself: FORMERR", qid)
    qid = 0x1117
    d = header(qid, 0) + b"\x04home\xc0\x0c" + struct.pack("!HH", 1, 1)
    expect_rcode(host, port, d, fe, "compression pointer loop through a label: FORMERR", qid)
    qid = 0x1118
    d = header(qid, 0) + b"\x40" + b"a" * 64 + qname_wire(zone) + struct.pack("!HH", 1, 1)
    expect_rcode(host, port, d, fe, "label of 64 octets: FORMERR", qid)
    qid = 0x1119
    d = header(qid, 0) + (b"\x3f" + b"a" * 63) * 4 + qname_wire(zone) + struct.pack("!HH", 1, 1)
    expect_rcode(host, port, d, fe, "name longer than 255 octets: FORMERR", qid)
    qid = 0x111a
    d = header(qid, 0, ar=2) + question(home) + opt_rr() + opt_rr()
    expect_rcode(host, port, d, fe, "two OPT records: FORMERR (RFC 6891 6.1.1)", qid)
    qid = 0x111b
    d = header(qid, 0, ar=1) + question(home) + opt_rr()[:5]
    expect_rcode(host, port, d, fe, "OPT record cut short: FORMERR", qid)
    qid = 0x111c
    d = header(qid, 0) + question(home) + b"\x01\x02\x03"
    resp = udp_send(host, port, d)
    h = hdr_of(resp)
    check(h is not None and h[0] == qid and h[5] in (0, 1),
          "trailing bytes after the question: answered (NOERROR or FORMERR)",
          "reply: %r" % (h,))

    # opcodes other than QUERY (and NOTIFY/UPDATE, which have their own roles)
    for opc, name in ((1, "IQUERY"), (2, "STATUS"), (3, "opcode 3"), (15, "opcode 15")):
        qid = 0x2200 + opc
        d = header(qid, opc << 11) + question(home)
        expect_rcode(host, port, d, dns.rcode.NOTIMP, "%s: NOTIMP" % name, qid)
    q = dns.message.make_query(home, "A")
    q.set_opcode(dns.opcode.STATUS)
    q.id = 0x2300
    expect_rcode(host, port, q.to_wire(), dns.rcode.NOTIMP,
                 "STATUS built with dnspython: NOTIMP", 0x2300)

    # dropped without a reply
    expect_silence(host, port, raw_query(home, flags=0x8000), "QR=1 (a response) is dropped")
    expect_silence(host, port, raw_query(home, flags=0x8400), "QR=1 AA=1 is dropped")
    expect_silence(host, port, b"\x12\x34\x01\x00\x00", "5-byte packet is dropped")
    expect_silence(host, port, b"", "empty datagram is dropped")

    ok, text = good_query_ok(host, port, zone)
    check(ok, "a normal query still answered correctly", text)


# ---------------------------------------------------------------- fuzz

def mutate(rng, base):
    b = bytearray(base)
    kind = rng.randrange(6)
    if kind == 0:
        return bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 600)))
    if kind == 1:
        for _ in range(rng.randrange(1, 5)):
            b[rng.randrange(len(b))] = rng.getrandbits(8)
        return bytes(b)
    if kind == 2:
        return bytes(b[:rng.randrange(len(b))])
    if kind == 3:
        tail = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 300)))
        return bytes(b[:12]) + tail
    if kind == 4:
        # counts set to large values, body kept
        b[4:12] = struct.pack("!HHHH", *(rng.choice((0, 1, 2, 255, 65535)) for _ in range(4)))
        return bytes(b)
    # random flags/opcode with the body kept (QR cleared half of the time)
    fl = rng.getrandbits(16)
    if rng.random() < 0.5:
        fl &= 0x7FFF
    b[2:4] = struct.pack("!H", fl)
    return bytes(b)


def cmd_fuzz(host, port, zone, count):
    seed = int(os.environ.get("DDNSD_FUZZ_SEED", "0")) or random.randrange(1, 2**31)
    note("fuzz seed %d (set DDNSD_FUZZ_SEED to repeat)" % seed)
    rng = random.Random(seed)
    bases = []
    for name, qt in (("home." + zone, 1), (zone, 6), ("nope." + zone, 28), ("x.y." + zone, 16)):
        m = dns.message.make_query(name, qt, use_edns=rng.choice((None, 0)))
        bases.append(m.to_wire())
    bases.append(header(7, 0, ar=1) + question("home." + zone) + opt_rr(4096))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    replies = bad_replies = 0
    bad = []
    start = time.time()
    for i in range(count):
        pkt = mutate(rng, rng.choice(bases))
        try:
            s.sendto(pkt, (host, port))
        except OSError:
            pass
        if i % 50 == 49:
            time.sleep(0.002)
        while True:
            try:
                r = s.recv(65535)
            except (BlockingIOError, OSError):
                break
            replies += 1
            h = hdr_of(r)
            if h is None or h[1] != 1:
                bad_replies += 1
                if len(bad) < 5:
                    bad.append(r.hex())
    deadline = time.time() + 1.0 * SLOW
    while time.time() < deadline:
        try:
            r = s.recv(65535)
            replies += 1
            h = hdr_of(r)
            if h is None or h[1] != 1:
                bad_replies += 1
        except (BlockingIOError, OSError):
            time.sleep(0.05)
    s.close()
    note("fuzz: %d packets in %.1f s, %d replies" % (count, time.time() - start, replies))
    check(bad_replies == 0, "every reply to a fuzzed packet has a header with QR=1", *bad)
    ok, text = good_query_ok(host, port, zone)
    check(ok, "after %d fuzzed packets a normal UDP query is answered correctly" % count, text)
    ok, text = good_query_ok(host, port, zone, tcp=True)
    check(ok, "after %d fuzzed packets a normal TCP query is answered correctly" % count, text)


# ---------------------------------------------------------------- tcp garbage

def cmd_tcpgarbage(host, port, zone):
    rng = random.Random(int(os.environ.get("DDNSD_FUZZ_SEED", "0")) or None)
    home = "home." + zone
    sends = [
        b"\x00\x00",                                     # zero length
        b"\xff\xff" + b"x" * 10,                         # claims 65535, sends 10
        b"\x00",                                         # half a length
        b"\x00\x05\x12\x34\x01\x00\x00",                 # shorter than a header
        bytes(rng.getrandbits(8) for _ in range(1000)),
        tcp_frame(raw_query(home, flags=0x8000)),        # a response
    ]
    for _ in range(40):
        sends.append(bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 200))))
    errors = 0
    for data in sends:
        try:
            s = tcp_connect(host, port)
            s.sendall(data)
            s.settimeout(0.05)
            try:
                s.recv(65535)
            except (socket.timeout, OSError):
                pass
            s.close()
        except OSError:
            errors += 1
    check(errors == 0, "connections with TCP garbage accepted (%d of %d failed to connect)"
          % (errors, len(sends)))

    # a malformed but complete message over TCP gets FORMERR on the same connection
    try:
        s = tcp_connect(host, port)
        qid = 0x3333
        s.sendall(tcp_frame(header(qid, 0, qd=2) + question(home) + question(home)))
        r = tcp_read_msg(s)
        h = hdr_of(r)
        check(h is not None and h[0] == qid and h[5] == dns.rcode.FORMERR,
              "QDCOUNT 2 over TCP: FORMERR", "reply header %r" % (h,))
        s.close()
    except OSError as e:
        check(False, "QDCOUNT 2 over TCP: FORMERR", repr(e))

    ok, text = good_query_ok(host, port, zone, tcp=True)
    check(ok, "after TCP garbage a normal TCP query is answered correctly", text)
    ok, text = good_query_ok(host, port, zone)
    check(ok, "after TCP garbage a normal UDP query is answered correctly", text)


# ---------------------------------------------------------------- pipelining

def expected_for(name, zone):
    return (dns.rcode.NOERROR, [HOME_ADDR]) if name.lower() == "home." + zone \
        else (dns.rcode.NXDOMAIN, [])


def check_replies(sent, replies, zone, desc):
    """sent: {id: name}; replies: list of wire messages."""
    problems = []
    got = {}
    for w in replies:
        try:
            m = dns.message.from_wire(w)
        except Exception as e:  # noqa: BLE001
            problems.append("unparsable reply: %r" % (e,))
            continue
        if m.id not in sent:
            problems.append("reply with unknown id %d" % m.id)
            continue
        if m.id in got:
            problems.append("two replies for id %d" % m.id)
        got[m.id] = m
        name = sent[m.id]
        rc, addrs = expected_for(name, zone)
        have = sorted(rd.address for rr in m.answer for rd in rr if rr.rdtype == dns.rdatatype.A)
        qname = m.question[0].name.to_text(omit_final_dot=True) if m.question else ""
        if m.rcode() != rc or have != addrs or qname != name:
            problems.append("id %d %s: rcode %s answer %s question %s" % (
                m.id, name, dns.rcode.to_text(m.rcode()), have, qname))
    missing = [i for i in sent if i not in got]
    if missing:
        problems.append("%d of %d queries unanswered (ids %s)" % (len(missing), len(sent),
                                                                  missing[:10]))
    return check(not problems, desc, *problems)


def make_batch(zone, n, base_id):
    sent = {}
    wire = []
    for i in range(n):
        name = "home." + zone if i % 3 != 2 else "nope%d.%s" % (i, zone)
        if i % 4 == 1:
            name = "".join(c.upper() if j % 2 else c for j, c in enumerate(name))
        q = dns.message.make_query(name, "A", use_edns=(0 if i % 2 else None))
        q.id = base_id + i
        sent[q.id] = name
        wire.append(tcp_frame(q.to_wire()))
    return sent, wire


def read_n(s, n):
    out = []
    for _ in range(n):
        m = tcp_read_msg(s)
        if m is None:
            break
        out.append(m)
    return out


def cmd_pipeline(host, port, zone):
    # 1: twenty queries in one write
    try:
        s = tcp_connect(host, port, timeout=3)
        sent, wire = make_batch(zone, 20, 1000)
        s.sendall(b"".join(wire))
        check_replies(sent, read_n(s, 20), zone, "20 queries in one TCP write: all answered")
        s.close()
    except OSError as e:
        check(False, "20 queries in one TCP write: all answered", repr(e))
    # 2: twenty queries in separate writes, all sent before reading
    try:
        s = tcp_connect(host, port, timeout=3)
        sent, wire = make_batch(zone, 20, 2000)
        for w in wire:
            s.sendall(w)
        check_replies(sent, read_n(s, 20), zone,
                      "20 queries in separate writes before any read: all answered")
        s.close()
    except OSError as e:
        check(False, "20 queries in separate writes: all answered", repr(e))
    # 3: messages split at awkward places, with pauses in between
    try:
        s = tcp_connect(host, port, timeout=3)
        sent, wire = make_batch(zone, 3, 3000)
        blob = b"".join(wire)
        cuts = [1, 2, 7, len(wire[0]) + 1, len(wire[0]) + len(wire[1]) - 3]
        prev = 0
        for c in cuts + [len(blob)]:
            s.sendall(blob[prev:c])
            prev = c
            time.sleep(0.1)
        check_replies(sent, read_n(s, 3), zone, "queries split across TCP segments: all answered")
        s.close()
    except OSError as e:
        check(False, "queries split across TCP segments: all answered", repr(e))
    # 4: 100 queries pipelined, the connection then reused for one more
    try:
        s = tcp_connect(host, port, timeout=5)
        sent, wire = make_batch(zone, 100, 4000)
        s.sendall(b"".join(wire))
        check_replies(sent, read_n(s, 100), zone, "100 pipelined queries: all answered")
        sent, wire = make_batch(zone, 1, 5000)
        s.sendall(wire[0])
        check_replies(sent, read_n(s, 1), zone, "connection still usable after 100 queries")
        s.close()
    except OSError as e:
        check(False, "100 pipelined queries: all answered", repr(e))


# ---------------------------------------------------------------- idle timeout

def wait_closed(s, limit):
    """Seconds until the peer closes s, or None if still open after limit."""
    t0 = time.time()
    s.settimeout(limit)
    try:
        while True:
            d = s.recv(4096)
            if not d:
                return time.time() - t0
    except socket.timeout:
        return None
    except OSError:
        return time.time() - t0


def ms_text(t):
    return "still open" if t is None else "%d ms" % (t * 1000)


def cmd_idle(host, port, zone, idle_ms):
    idle = idle_ms / 1000.0
    limit = idle + 2.0 * SLOW
    s = tcp_connect(host, port)
    t = wait_closed(s, limit)
    s.close()
    check(t is not None and t >= idle * 0.5,
          "silent TCP connection closed after about %d ms (%s)" % (idle_ms, ms_text(t)),
          "closed after %s s (limit %.1f s)" % (t, limit))
    s = tcp_connect(host, port)
    sent, wire = make_batch(zone, 1, 10)
    s.sendall(wire[0])
    check_replies(sent, read_n(s, 1), zone, "query answered before the idle timeout")
    t = wait_closed(s, limit)
    s.close()
    check(t is not None and t >= idle * 0.5,
          "TCP connection idle after a query closed after about %d ms (%s)"
          % (idle_ms, ms_text(t)), "closed after %s s" % (t,))
    # a connection kept busy outlives the idle timeout
    s = tcp_connect(host, port)
    step = idle / 3
    rounds = 10
    answered = 0
    try:
        for i in range(rounds):
            s.settimeout(2.0 * SLOW)
            if answered_ok(try_query(s, 100 + i, zone, 2.0 * SLOW), 100 + i):
                answered += 1
            time.sleep(step)
    except OSError:
        pass
    s.close()
    check(answered == rounds, "connection with a query every %d ms kept open for %d ms"
          % (step * 1000, rounds * step * 1000), "%d of %d answered" % (answered, rounds))
    # a half-sent message does not keep the connection forever
    s = tcp_connect(host, port)
    s.sendall(b"\x00\x40\x12")
    t = wait_closed(s, limit)
    s.close()
    check(t is not None, "connection with a partial message closed after the idle timeout",
          "still open after %.1f s" % limit)


# ---------------------------------------------------------------- connection limit

def try_query(s, qid, zone, wait):
    """The reply (wire) to a query for home.ZONE sent on s, or None on
    EOF, reset or no reply within wait seconds."""
    q = dns.message.make_query("home." + zone, "A")
    q.id = qid
    try:
        s.settimeout(wait)
        s.sendall(tcp_frame(q.to_wire()))
        return tcp_read_msg(s)
    except (socket.timeout, OSError):
        return None


def answered_ok(r, qid):
    """r is a correct reply to try_query's query qid."""
    if r is None:
        return False
    try:
        m = dns.message.from_wire(r)
    except Exception:  # noqa: BLE001
        return False
    have = sorted(rd.address for rr in m.answer for rd in rr if rr.rdtype == dns.rdatatype.A)
    return m.id == qid and m.rcode() == dns.rcode.NOERROR and have == [HOME_ADDR]


def tcp_connect_from(src, host, port, timeout=2.0):
    """A TCP connection to host:port from the local address src."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout * SLOW)
    try:
        s.bind((src, 0))
        s.connect((host, port))
    except OSError:
        s.close()
        raise
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def served_new(src, host, port, zone, qid, wait):
    """A new connection from src answers a query within wait seconds:
    (ok, seconds, the connection or None)."""
    t0 = time.time()
    try:
        s = tcp_connect_from(src, host, port, wait)
    except OSError:
        return False, time.time() - t0, None
    ok = answered_ok(try_query(s, qid, zone, wait), qid)
    return ok, time.time() - t0, s


def cmd_connlimit(host, port, zone, limit):
    """One worker with a pool of limit connections (and a per-address cap
    above it): a full pool gives way to a new connection, which is served at
    once; the connection closed for it is the one idle longest."""
    held = []
    for i in range(limit):
        try:
            held.append(tcp_connect(host, port))
        except OSError as e:
            check(False, "connection %d of %d accepted" % (i + 1, limit), repr(e))
            return
    for i, s in enumerate(held):
        check(answered_ok(try_query(s, 100 + i, zone, 2.0 * SLOW), 100 + i),
              "connection %d of %d (the pool full) answers" % (i + 1, limit))
    # held[0] asked first: it has been idle longest
    ok, secs, new1 = served_new("127.0.0.1", host, port, zone, 200, 1.0 * SLOW)
    check(ok, "a new connection to the full pool is served at once (%s)" % ms_text(secs),
          "no answer: new clients wait for the idle timeout")
    t = wait_closed(held[0], 1.0 * SLOW)
    check(t is not None, "the connection idle longest was closed for it (%s)" % ms_text(t))
    for i, s in enumerate(held[1:], 1):
        check(answered_ok(try_query(s, 300 + i, zone, 2.0 * SLOW), 300 + i),
              "connection %d, active more recently, still answers" % (i + 1))
    # now the first new connection is the one idle longest
    ok, secs, new2 = served_new("127.0.0.1", host, port, zone, 400, 1.0 * SLOW)
    check(ok, "another new connection is served at once (%s)" % ms_text(secs))
    t = wait_closed(new1, 1.0 * SLOW) if new1 else 0.0
    check(t is not None, "... and the previous new one, now idle longest, gave way (%s)"
          % ms_text(t))
    if limit > 1:
        check(answered_ok(try_query(held[1], 500, zone, 2.0 * SLOW), 500),
              "the more recently active connection 2 still answers")
    for s in held + [new1, new2]:
        if s is not None:
            s.close()


def cmd_peercap(host, port, zone, cap):
    """One worker, dns.tcp_max_per_address = cap below the pool size: the
    cap+1-th connection from 127.0.0.1 is closed at once, 127.0.0.2 is
    still served, and the address gets a slot again when one of its own
    connections closes."""
    held = []
    for i in range(cap):
        try:
            held.append(tcp_connect_from("127.0.0.1", host, port))
        except OSError as e:
            check(False, "connection %d of %d from 127.0.0.1 accepted" % (i + 1, cap), repr(e))
            return
    for i, s in enumerate(held):
        check(answered_ok(try_query(s, 100 + i, zone, 2.0 * SLOW), 100 + i),
              "connection %d of %d from 127.0.0.1 (within the cap) answers" % (i + 1, cap))
    t0 = time.time()
    try:
        extra = tcp_connect_from("127.0.0.1", host, port)
        answered = try_query(extra, 200, zone, 2.0 * SLOW) is not None
        t = wait_closed(extra, 1.0 * SLOW) if not answered else None
        extra.close()
    except OSError:
        answered, t = False, 0.0
    secs = time.time() - t0
    check(not answered and t is not None and secs < 1.0 * SLOW,
          "connection %d from 127.0.0.1 (over the cap) closed at once, unanswered (%s)"
          % (cap + 1, ms_text(secs)), "answered: %s, closed: %s" % (answered, ms_text(t)))
    ok, secs, other = served_new("127.0.0.2", host, port, zone, 300, 1.0 * SLOW)
    check(ok, "a connection from 127.0.0.2 is served meanwhile (%s)" % ms_text(secs))
    if other is not None:
        other.close()
    for i, s in enumerate(held):
        check(answered_ok(try_query(s, 400 + i, zone, 2.0 * SLOW), 400 + i),
              "connection %d from 127.0.0.1 still answers" % (i + 1))
    held.pop().close()
    ok = False
    deadline = time.time() + 3.0 * SLOW
    attempts = 0
    while time.time() < deadline and not ok:
        attempts += 1
        ok, _, s = served_new("127.0.0.1", host, port, zone, 500 + attempts, 1.0 * SLOW)
        if s is not None:
            s.close()
        if not ok:
            time.sleep(0.1)
    check(ok, "after one of its connections closed, 127.0.0.1 is served again (%d attempts)"
          % attempts)
    for s in held:
        s.close()


# ---------------------------------------------------------------- connection flood

def cpu_ticks(pids):
    """utime + stime (clock ticks) of the processes pids, from /proc."""
    total = 0
    for pid in pids:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # stat fields 14 and 15
    return total


def raise_nofile(need):
    """Raises RLIMIT_NOFILE to need if it can; returns the soft limit."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return soft
    for lim in ((need, max(need, hard)), (min(need, hard), hard)):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, lim)
            break
        except (ValueError, OSError):
            continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def flood_open(host, port, n):
    """n non-blocking connections from 127.0.0.1 whose handshakes are
    waited for (bounded); returns (sockets, connected)."""
    import select
    new = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((host, port))
        new.append(s)
    p = select.poll()
    for s in new:
        p.register(s, select.POLLOUT)
    connected, pending = 0, len(new)
    deadline = time.time() + 2.0 * SLOW
    while pending and time.time() < deadline:
        for fd, ev in p.poll(100):
            p.unregister(fd)
            pending -= 1
            if not ev & (select.POLLERR | select.POLLHUP):
                connected += 1
    return new, connected


def flood_closed(socks):
    """How many of socks the server has closed (EOF or reset waiting)."""
    import select
    p = select.poll()
    for s in socks:
        p.register(s, select.POLLIN | select.POLLRDHUP)
    return len(p.poll(0))


def flood_share(host, port, n, held_max):
    """Opens n flood connections in batches of 500 and waits (bounded) until
    the server has closed all but held_max of them; returns (sockets,
    connected, still open)."""
    socks, connected = [], 0
    while len(socks) < n:
        new, c = flood_open(host, port, min(500, n - len(socks)))
        socks.extend(new)
        connected += c
    deadline = time.time() + 10.0 * SLOW
    closed = flood_closed(socks)
    while len(socks) - closed > held_max and time.time() < deadline:
        time.sleep(0.2)
        closed = flood_closed(socks)
    return socks, connected, len(socks) - closed


def flood_child(host, port, n, held_max):
    """Forks a process that floods n connections (its own descriptor limit)
    and holds them; returns (pid, report pipe, release pipe)."""
    rep_r, rep_w = os.pipe()
    rel_r, rel_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rep_r)
        os.close(rel_w)
        code = 1
        try:
            socks, connected, left = flood_share(host, port, n, held_max)
            os.write(rep_w, ("%d %d\n" % (connected, left)).encode())
            os.read(rel_r, 1)  # hold them until the parent is done
            code = 0
        finally:
            os._exit(code)
    os.close(rep_w)
    os.close(rel_r)
    return pid, rep_r, rel_w


def flood_report(fd, limit):
    """A child's "connected open" line, or (0, 0) if none came within limit s."""
    import select
    buf = b""
    deadline = time.time() + limit
    while not buf.endswith(b"\n") and time.time() < deadline:
        r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.time()))
        if not r:
            break
        chunk = os.read(fd, 64)
        if not chunk:
            break
        buf += chunk
    try:
        c, o = buf.split()
        return int(c), int(o)
    except ValueError:
        return 0, 0


def cmd_tcpflood(host, port, zone, count, held_max, pids):
    """count idle TCP connections from 127.0.0.1 (spread over processes when
    one may not hold them all) while a prober from 127.0.0.2 asks a query
    every 0.2 s: every probe answered in under 1 s; the server keeps at most
    held_max of the flood open (the rest closed at accept); afterwards the
    DNS workers' CPU returns to idle."""
    import threading
    per_proc = raise_nofile(count + 512) - 512
    nproc = -(-count // per_proc)
    shares = [count // nproc + (1 if i < count % nproc else 0) for i in range(nproc)]
    if nproc > 1:
        note("RLIMIT_NOFILE allows %d descriptors a process: the flood comes from %d processes"
             % (per_proc + 512, nproc))
    cpu0 = cpu_ticks(pids)
    t0 = time.time()
    # children first: fork before the prober thread exists
    children = [flood_child(host, port, n, held_max) for n in shares[1:]]
    probes = []
    stop = threading.Event()

    def prober():
        i = 0
        while not stop.is_set():
            i += 1
            ok, secs, s = served_new("127.0.0.2", host, port, zone, 1000 + i, 3.0)
            if s is not None:
                s.close()
            probes.append((time.time() - t0, ok, secs))
            stop.wait(0.2)

    th = threading.Thread(target=prober)
    th.start()
    try:
        socks, connected, left = flood_share(host, port, shares[0], held_max)
        for pid, rep, rel in children:
            c, o = flood_report(rep, 30.0 * SLOW)
            connected += c
            left += o
        t_open = time.time() - t0
        cpu_flood = cpu_ticks(pids) - cpu0
        deadline = time.time() + 5.0 * SLOW
        while left > held_max and time.time() < deadline:
            time.sleep(0.2)
            mine = len(socks) - flood_closed(socks)
            left = mine + sum(flood_report(rep, 0.0)[1] for _, rep, _ in children)
        time.sleep(1.0)
    finally:
        stop.set()
        th.join(10.0 * SLOW)
    note("%d connections opened in %.1f s (%d handshakes completed in time); "
         "the workers used %d CPU ticks meanwhile" % (count, t_open, connected, cpu_flood))
    check(connected >= count * 9 // 10,
          "the flood: %d of %d connections from 127.0.0.1 established" % (connected, count))
    check(left <= held_max,
          "the server holds at most %d of them (dns.tcp_max_per_address x workers): %d open"
          % (held_max, left))
    worst = max((p[2] for p in probes), default=None)
    bad = [p for p in probes if not p[1] or p[2] >= 1.0 * SLOW]
    check(len(probes) >= 5 and not bad,
          "a TCP query from 127.0.0.2 answered in under %.0f s throughout: %d probes, slowest "
          "%s" % (1.0 * SLOW, len(probes), ms_text(worst)),
          *["at %.1f s: %s after %s" % (p[0], "answered" if p[1] else "no answer",
                                        ms_text(p[2])) for p in bad[:10]])
    # idle again: a 1 s window with less than 10% of one core for the workers
    idle_max = 10
    windows = []
    deadline = time.time() + 10.0 * SLOW
    while time.time() < deadline:
        c0 = cpu_ticks(pids)
        time.sleep(1.0)
        windows.append(cpu_ticks(pids) - c0)
        if windows[-1] <= idle_max:
            break
    check(bool(windows) and windows[-1] <= idle_max,
          "after the flood the DNS workers are idle: %s CPU ticks in the last 1 s (at most %d)"
          % (windows[-1] if windows else "?", idle_max),
          "1 s windows: %s" % (windows,))
    for s in socks:
        s.close()
    for pid, rep, rel in children:
        os.close(rel)  # EOF: the child exits and its connections close
        os.close(rep)
        os.waitpid(pid, 0)


# ---------------------------------------------------------------- load

def cmd_load(host, port, name, addr, count, seconds):
    """count sequential UDP queries (new socket each: spread over workers)
    spread over about seconds; every one must get NOERROR with addr."""
    failures = []
    pause = max(0.0, seconds / count - 0.0003)
    t0 = time.time()
    for i in range(count):
        q = dns.message.make_query(name, "A")
        try:
            r = dns.query.udp(q, host, port=port, timeout=1.0 * SLOW)
            have = sorted(rd.address for rr in r.answer for rd in rr
                          if rr.rdtype == dns.rdatatype.A)
            if r.rcode() != dns.rcode.NOERROR or have != [addr]:
                failures.append("%.3f query %d: rcode %s answer %s" % (
                    time.time() - t0, i, dns.rcode.to_text(r.rcode()), have))
        except Exception as e:  # noqa: BLE001
            failures.append("%.3f query %d: %r" % (time.time() - t0, i, e))
        if pause:
            time.sleep(pause)
    note("load: %d queries in %.1f s" % (count, time.time() - t0))
    check(not failures, "%d queries under load: %d failed" % (count, len(failures)),
          *failures[:20])


# ---------------------------------------------------------------- EDNS details

def cmd_edns(host, port, zone):
    home = "home." + zone
    qid = 0x4401
    # EDNS version 1 with dnspython: BADVERS, OPT with version 0
    q = dns.message.make_query(home, "A")
    q.use_edns(edns=1)
    q.id = qid
    resp = udp_send(host, port, q.to_wire())
    try:
        r = dns.message.from_wire(resp)
        check(r.rcode() == dns.rcode.BADVERS and r.edns == 0 and not r.answer,
              "EDNS version 1: BADVERS, OPT version 0, no answer",
              "rcode %s edns %s" % (dns.rcode.to_text(r.rcode()), r.edns), r.to_text())
    except Exception as e:  # noqa: BLE001
        check(False, "EDNS version 1: BADVERS", repr(e), resp)
    # OPT with a payload below 512 is treated as 512
    q = dns.message.make_query(home, "A", use_edns=0, payload=100)
    resp = udp_send(host, port, q.to_wire())
    try:
        r = dns.message.from_wire(resp)
        check(r.rcode() == dns.rcode.NOERROR and len(r.answer) == 1,
              "EDNS payload 100 is treated as 512 (answer given)", r.to_text())
    except Exception as e:  # noqa: BLE001
        check(False, "EDNS payload 100 is treated as 512", repr(e))
    # unknown option ignored, not echoed
    q = dns.message.make_query(home, "A", use_edns=0,
                               options=[dns.edns.GenericOption(65001, b"\x01\x02")])
    resp = udp_send(host, port, q.to_wire())
    try:
        r = dns.message.from_wire(resp)
        echoed = [o for o in r.options if o.otype == 65001]
        check(r.rcode() == dns.rcode.NOERROR and len(r.answer) == 1 and not echoed,
              "unknown EDNS option ignored and not echoed", r.to_text())
    except Exception as e:  # noqa: BLE001
        check(False, "unknown EDNS option ignored", repr(e))
    # DO bit copied (RFC 3225 3)
    q = dns.message.make_query(home, "A", use_edns=0, want_dnssec=True)
    resp = udp_send(host, port, q.to_wire())
    try:
        r = dns.message.from_wire(resp)
        check(r.rcode() == dns.rcode.NOERROR and (r.ednsflags & dns.flags.DO) != 0,
              "DO bit copied into the reply (RFC 3225 3)", r.to_text())
    except Exception as e:  # noqa: BLE001
        check(False, "DO bit copied", repr(e))
    # the same with a hand-built OPT record
    qid = 0x4402
    d = header(qid, 0, ar=1) + question(home) + opt_rr(1232, 1)
    resp = udp_send(host, port, d)
    h = hdr_of(resp)
    # BADVERS = 16: low 4 bits 0 in the header, high bits in the OPT
    check(h is not None and h[0] == qid and h[5] == 0 and resp is not None and
          dns.message.from_wire(resp).rcode() == dns.rcode.BADVERS,
          "raw OPT version 1: BADVERS (extended rcode in the OPT)",
          "reply %r" % (h,))


def main():
    if len(sys.argv) < 5:
        print(__doc__)
        return 2
    cmd, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    args = sys.argv[4:]
    if cmd == "xfr":
        cmd_xfr(host, port, args[0])
    elif cmd == "malformed":
        cmd_malformed(host, port, args[0])
    elif cmd == "fuzz":
        cmd_fuzz(host, port, args[0], int(args[1]))
    elif cmd == "tcpgarbage":
        cmd_tcpgarbage(host, port, args[0])
    elif cmd == "pipeline":
        cmd_pipeline(host, port, args[0])
    elif cmd == "idle":
        cmd_idle(host, port, args[0], int(args[1]))
    elif cmd == "connlimit":
        cmd_connlimit(host, port, args[0], int(args[1]))
    elif cmd == "peercap":
        cmd_peercap(host, port, args[0], int(args[1]))
    elif cmd == "tcpflood":
        cmd_tcpflood(host, port, args[0], int(args[1]), int(args[2]),
                     [int(x) for x in args[3].split(",") if x])
    elif cmd == "load":
        cmd_load(host, port, args[0], args[1], int(args[2]), float(args[3]))
    elif cmd == "edns":
        cmd_edns(host, port, args[0])
    else:
        print("unknown command " + cmd)
        return 2
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
