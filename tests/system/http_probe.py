#!/usr/bin/python3
"""http_probe.py - HTTP clients for the ddnsd system tests that curl cannot
be.  Standard library, and dnspython for dnscheck.  Every subcommand prints one "PASS description"
or "FAIL description" line per check, with indented detail lines after a
failure; lib.sh (py_checks) turns them into TAP.  Every socket has a timeout
and every loop is bounded.

  http_probe.py slowloris PORT TOKEN ZONE
      holds 40 idle and half-sent requests open, then checks that a normal
      client is still served at once and its update reaches the database.
  http_probe.py stream PORT TOKEN PREFIX COUNT OUTFILE [KILLPID]
      sends up to COUNT POST /update on one keep-alive connection, one new
      name PREFIX<i> with address 198.18.x.y each; writes "ACK name ip ms"
      for every 200 to OUTFILE (flushed before the next request) and stops
      at the first error.  With KILLPID, sends SIGKILL to that pid right
      after the last reply.
  http_probe.py rotate PORT TOKEN NAMES COUNT OUTFILE KILLPID
      COUNT updates over NAMES names (crash<k>, k = i % NAMES), distinct
      values; ACK lines as above; SIGKILL to KILLPID right after the last
      200.
  http_probe.py dnscheck DNSPORT ZONE ACKFILE...
      every name acknowledged in ACKFILE answers (dnspython, UDP) with the
      last value acknowledged for it.
  http_probe.py dbcheck DATABASE ZONE PREFIX ACKFILE...
      the SQLite file holds a records row with the last acknowledged value
      of every name and an audit row for every acknowledged update; for
      each name PREFIX* the records row equals the newest audit row (no
      change half applied).
  http_probe.py smuggle PORT TOKEN VICTIM
      sends raw requests whose framing headers disagree (two
      Content-Length, Content-Length with chunked, a list in
      Content-Length), each followed on the same connection by a second
      request with the master TOKEN (GET /users, DELETE /users/VICTIM).
      Checks that exactly one reply comes back, a 400 {"error"} with
      Connection: close, and that the server then closes the connection.

SLOW (environment, default 1) scales the timeouts.
"""
import http.client
import json
import os
import signal
import socket
import sys
import time

SLOW = int(os.environ.get("SLOW", "1"))


def report(ok, desc, *detail):
    print(("PASS " if ok else "FAIL ") + desc)
    if not ok:
        for d in detail:
            print("  " + str(d))
    sys.stdout.flush()
    return ok


def post_update(conn, token, body):
    data = json.dumps(body).encode()
    conn.request("POST", "/update", body=data,
                 headers={"Authorization": "Bearer " + token,
                          "Content-Type": "application/json"})
    r = conn.getresponse()
    return r.status, r.read()


def addr(i):
    return "198.18.%d.%d" % ((i >> 8) & 255, i & 255)


def slowloris(port, token, zone):
    held = []
    try:
        for i in range(40):
            s = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW)
            if i % 4 == 1:
                s.sendall(b"POST /update HTTP/1.1\r\nHost: x\r\n")
            elif i % 4 == 2:
                s.sendall(b"POST /update HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                          b"Content-Type: application/json\r\n\r\n{\"subdo")
            elif i % 4 == 3:
                s.sendall(b"G")
            held.append(s)
        report(True, "40 idle or half-sent connections open")
        time.sleep(0.2)
        t0 = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5 * SLOW)
        status, body = post_update(conn, token, {"subdomain": "patient." + zone,
                                                 "ip": "192.0.2.123"})
        ms = (time.monotonic() - t0) * 1000
        report(status == 200, "an update is served beside them (%d ms)" % ms, status, body)
        report(ms < 1000 * SLOW, "... within 1 s", "%d ms" % ms)
        conn.request("GET", "/health")
        r = conn.getresponse()
        r.read()
        report(r.status == 200, "GET /health on the same connection", r.status)
        conn.close()
    except OSError as e:
        report(False, "slowloris probe", repr(e))
    finally:
        for s in held:
            s.close()


def stream(port, token, prefix, count, outfile, killpid=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5 * SLOW)
    acked = 0
    with open(outfile, "w") as out:
        for i in range(count):
            name = "%s%d" % (prefix, i)
            try:
                status, body = post_update(conn, token, {"subdomain": name, "ip": addr(i)})
            except (OSError, http.client.HTTPException) as e:
                print("NOTE stream stopped after %d acks: %r" % (acked, e))
                break
            if status != 200:
                print("NOTE stream stopped after %d acks: HTTP %d %r" % (acked, status, body))
                break
            out.write("ACK %s %s %d\n" % (name, addr(i), int(time.time() * 1000)))
            out.flush()
            acked += 1
    if killpid:
        os.kill(killpid, signal.SIGKILL)
    print("NOTE %d updates acknowledged" % acked)


def rotate(port, token, names, count, outfile, killpid):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5 * SLOW)
    acked = 0
    bad = None
    with open(outfile, "w") as out:
        for i in range(count):
            name = "crash%d" % (i % names)
            try:
                status, body = post_update(conn, token, {"subdomain": name, "ip": addr(i)})
            except (OSError, http.client.HTTPException) as e:
                bad = repr(e)
                break
            if status != 200:
                bad = "HTTP %d %r" % (status, body)
                break
            out.write("ACK %s %s %d\n" % (name, addr(i), int(time.time() * 1000)))
            out.flush()
            acked += 1
    os.kill(killpid, signal.SIGKILL)
    report(acked == count, "%d of %d updates acknowledged before the kill" % (acked, count),
           bad or "")


def read_acks(files):
    """[(name, value, ms)] in acknowledgement order."""
    acks = []
    for f in files:
        with open(f) as fh:
            for line in fh:
                p = line.split()
                if len(p) == 4 and p[0] == "ACK":
                    acks.append((p[1], p[2], int(p[3])))
    return acks


def dnscheck(port, zone, files):
    import dns.exception
    import dns.message
    import dns.query
    import dns.rdatatype

    last = {}
    for name, value, _ in read_acks(files):
        last[name] = value
    bad = []
    for name, value in sorted(last.items()):
        fq = "%s.%s." % (name, zone)
        got = None
        for _ in range(3):
            try:
                r = dns.query.udp(dns.message.make_query(fq, "A"), "127.0.0.1", port=port,
                                  timeout=2 * SLOW)
                got = sorted(rr.address for rrs in r.answer for rr in rrs
                             if rrs.rdtype == dns.rdatatype.A)
                break
            except dns.exception.Timeout:
                continue
        if got != [value]:
            bad.append("%s: want %s, got %s" % (fq, value, got))
    report(not bad and bool(last),
           "dig: all %d acknowledged names answer their last value" % len(last),
           *(bad[:10] + (["... %d more" % (len(bad) - 10)] if len(bad) > 10 else [])))


def dbcheck(path, zone, prefix, files):
    import sqlite3

    acks = read_acks(files)
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    rec = {}
    for name, value in db.execute("SELECT name, value FROM records WHERE type = 'A'"):
        rec.setdefault(name, []).append(value)
    audit = {}
    newest = {}
    for name, new in db.execute("SELECT name, new_value FROM audit ORDER BY id"):
        audit.setdefault((name, new), 0)
        audit[(name, new)] += 1
        newest[name] = new
    db.close()
    fq = lambda n: "%s.%s" % (n, zone)
    last = {}
    for name, value, _ in acks:
        last[name] = value
    miss_rec = ["%s: want %s, records has %s" % (fq(n), v, rec.get(fq(n)))
                for n, v in sorted(last.items()) if rec.get(fq(n)) != [v]]
    report(not miss_rec and bool(last),
           "database: a records row with the last value of all %d names" % len(last),
           *(miss_rec[:10] or ["no acknowledged update to look for"]))
    miss_audit = ["%s %s" % (fq(n), v) for n, v, _ in acks if (fq(n), v) not in audit]
    report(not miss_audit and bool(acks),
           "database: an audit row for each of the %d acknowledged updates" % len(acks),
           *(miss_audit[:10] or ["no acknowledged update to look for"]))
    half = []
    names = set(n for n in rec if n.startswith(prefix)) | set(n for n in newest if n.startswith(prefix))
    for n in sorted(names):
        if rec.get(n) != ([newest[n]] if n in newest else None):
            half.append("%s: records %s, newest audit %s" % (n, rec.get(n), newest.get(n)))
    report(not half, "database: no half-applied change among %d names %s*" % (len(names), prefix),
           *half[:10])


def read_to_eof(s, limit_s):
    """Everything the server sends until it closes (True) or limit_s passes."""
    data = b""
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        s.settimeout(max(0.05, end - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def smuggle(port, token, victim):
    second = {
        "GET /users": ("GET /users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                       "\r\n" % token).encode(),
        "DELETE /users/" + victim: ("DELETE /users/%s HTTP/1.1\r\nHost: x\r\n"
                                    "Authorization: Bearer %s\r\n\r\n"
                                    % (victim, token)).encode(),
    }
    for what, tail in second.items():
        body = b"{}"
        cases = {
            "two Content-Length": b"Content-Length: %d\r\nContent-Length: %d\r\n\r\n%s%s"
            % (len(body), len(body) + len(tail), body, tail),
            "Content-Length then chunked": b"Content-Length: %d\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n%s" % (5 + len(tail), tail),
            "chunked then Content-Length": b"Transfer-Encoding: chunked\r\n"
            b"Content-Length: %d\r\n\r\n0\r\n\r\n%s" % (5 + len(tail), tail),
            "a list in Content-Length": b"Content-Length: %d, %d\r\n\r\n%s%s"
            % (len(body), len(body) + len(tail), body, tail),
        }
        for name, rest in cases.items():
            desc = "%s, then %s on the same connection" % (name, what)
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW)
                s.sendall(b"POST /update HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Type: application/json\r\n" + rest)
                data, closed = read_to_eof(s, 5 * SLOW)
                s.close()
            except OSError as e:
                report(False, desc, repr(e))
                continue
            head, _, rbody = data.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            replies = data.count(b"HTTP/1.")
            report(replies == 1 and lines[0].startswith(b"HTTP/1.1 400 "),
                   desc + ": one reply, 400", data[:600])
            report(b"connection: close" in head.lower(),
                   desc + ": the reply says Connection: close", head)
            # libevent 2.1.12 refuses a chunked body with Content-Length and a
            # Content-Length that is no number itself (its own HTML 400);
            # what it lets through, ddnsd refuses with the reason
            ours = rbody.startswith(b'{"error":"malformed request: ')
            report(ours or b"<H1>Bad Request</H1>" in rbody,
                   desc + ": the body is a 400 page or names the reason", rbody[:200])
            if not ours:
                print("NOTE %s: refused by libevent itself" % desc)
            report(closed, desc + ": the server closes the connection", data[:200])


def main():
    cmd = sys.argv[1]
    a = sys.argv[2:]
    if cmd == "slowloris":
        slowloris(int(a[0]), a[1], a[2])
    elif cmd == "stream":
        stream(int(a[0]), a[1], a[2], int(a[3]), a[4], int(a[5]) if len(a) > 5 else None)
    elif cmd == "rotate":
        rotate(int(a[0]), a[1], int(a[2]), int(a[3]), a[4], int(a[5]))
    elif cmd == "dnscheck":
        dnscheck(int(a[0]), a[1], a[2:])
    elif cmd == "smuggle":
        smuggle(int(a[0]), a[1], a[2])
    elif cmd == "dbcheck":
        dbcheck(a[0], a[1], a[2], a[3:])
    else:
        print("FAIL unknown subcommand " + cmd)
        sys.exit(2)


if __name__ == "__main__":
    main()
