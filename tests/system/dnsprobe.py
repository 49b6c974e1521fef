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


def cmd_connlimit(host, port, zone, limit):
    held = []
    for i in range(limit):
        try:
            s = tcp_connect(host, port)
            held.append(s)
        except OSError as e:
            check(False, "connection %d of %d accepted" % (i + 1, limit), repr(e))
            return
    for i, s in enumerate(held):
        check(answered_ok(try_query(s, 100 + i, zone, 2.0 * SLOW), 100 + i),
              "connection %d of %d (within the limit) answers" % (i + 1, limit))
    extra = []
    for i in range(2):
        try:
            s = tcp_connect(host, port)
        except OSError:
            check(True, "connection %d over the limit refused at connect" % (i + 1))
            continue
        t0 = time.time()
        answered = try_query(s, 200 + i, zone, 1.5 * SLOW) is not None
        how = "no reply in %.1f s" % (time.time() - t0)
        if not answered and time.time() - t0 < 1.4 * SLOW:
            how = "closed after %d ms" % ((time.time() - t0) * 1000)
        check(not answered, "connection %d over the limit closed or not served (%s)"
              % (i + 1, how), "it was answered: the limit of %d is not enforced" % limit)
        extra.append(s)
    for i, s in enumerate(held):
        check(answered_ok(try_query(s, 300 + i, zone, 2.0 * SLOW), 300 + i),
              "connection %d within the limit still answers after the refusals" % (i + 1))
    for s in extra + held:
        s.close()
    # slots come free again once the held connections are closed
    ok = False
    deadline = time.time() + 4.0 * SLOW
    attempts = 0
    while time.time() < deadline and not ok:
        attempts += 1
        try:
            s = tcp_connect(host, port)
            ok = answered_ok(try_query(s, 400 + attempts, zone, 1.0 * SLOW), 400 + attempts)
            s.close()
        except OSError:
            pass
        if not ok:
            time.sleep(0.2)
    check(ok, "a new connection is served once the others closed (%d attempts)" % attempts)


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
