#!/usr/bin/python3
"""http_probe.py - HTTP clients for the ddnsd system tests that curl cannot
be.  Standard library only.  Every subcommand prints one "PASS description"
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
            os.fsync(out.fileno())
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


def main():
    cmd = sys.argv[1]
    a = sys.argv[2:]
    if cmd == "slowloris":
        slowloris(int(a[0]), a[1], a[2])
    elif cmd == "stream":
        stream(int(a[0]), a[1], a[2], int(a[3]), a[4], int(a[5]) if len(a) > 5 else None)
    elif cmd == "rotate":
        rotate(int(a[0]), a[1], int(a[2]), int(a[3]), a[4], int(a[5]))
    else:
        print("FAIL unknown subcommand " + cmd)
        sys.exit(2)


if __name__ == "__main__":
    main()
