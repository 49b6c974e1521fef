#!/usr/bin/python3
"""group_probe.py - many writers at once, for t_group_commit.sh.

  http PORT DNSPORT TOKEN ZONE CONNS PER OUTFILE
      CONNS keep-alive connections, started together, each sending PER
      POST /update for its own names (g<c>x<k>); after each 200 the name is
      queried at once over UDP: the reply must already carry the new value.
      Writes "ACK name value ms" lines to OUTFILE.
  dns DNSPORT ZONE KEYNAME SECRET N OUTFILE
      N TSIG-signed RFC 2136 UPDATEs (u<i>: A RRset replaced) sent back to
      back over UDP before any reply is read; every reply must be a valid
      signed NOERROR, and then every name answers its new address.

Prints PASS/FAIL lines for lib.sh's py_checks.
"""
import http.client
import json
import os
import socket
import sys
import threading
import time

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update

SLOW = int(os.environ.get("SLOW", "1"))


def report(ok, desc, *detail):
    print(("PASS " if ok else "FAIL ") + desc)
    if not ok:
        for d in detail[:10]:
            print("  " + str(d))
    sys.stdout.flush()
    return ok


def served(dnsport, fq):
    r = dns.query.udp(dns.message.make_query(fq, "A"), "127.0.0.1", port=dnsport,
                      timeout=2 * SLOW)
    return sorted(rr.address for rrs in r.answer for rr in rrs if rrs.rdtype == dns.rdatatype.A)


def http_burst(port, dnsport, token, zone, conns, per, outfile):
    start = threading.Barrier(conns)
    lock = threading.Lock()
    acks, errors, stale = [], [], []

    def writer(c):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10 * SLOW)
        try:
            start.wait(timeout=10 * SLOW)
        except threading.BrokenBarrierError:
            pass
        for k in range(per):
            name = "g%dx%d" % (c, k)
            ip = "198.51.%d.%d" % (c, k + 1)
            try:
                conn.request("POST", "/update",
                             body=json.dumps({"subdomain": name, "ip": ip}).encode(),
                             headers={"Authorization": "Bearer " + token,
                                      "Content-Type": "application/json"})
                r = conn.getresponse()
                body = r.read()
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    errors.append("%s: %r" % (name, e))
                return
            if r.status != 200:
                with lock:
                    errors.append("%s: HTTP %d %r" % (name, r.status, body))
                continue
            ms = int(time.time() * 1000)
            got = served(dnsport, "%s.%s." % (name, zone))
            with lock:
                acks.append((name, ip, ms))
                if got != [ip]:
                    stale.append("%s: want %s right after the 200, got %s" % (name, ip, got))
        conn.close()

    threads = [threading.Thread(target=writer, args=(c,)) for c in range(conns)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.monotonic() - t0
    with open(outfile, "w") as out:
        for name, ip, ms in acks:
            out.write("ACK %s %s %d\n" % (name, ip, ms))
    report(len(acks) == conns * per and not errors,
           "%d connections x %d updates: all %d answered 200 (%.1f s)" %
           (conns, per, conns * per, secs), *errors)
    report(not stale and bool(acks),
           "each of the %d acknowledged values is served by the first query after its 200"
           % len(acks), *stale)


def dns_burst(dnsport, zone, keyname, secret, n, outfile):
    keyring = dns.tsigkeyring.from_text({keyname: secret})
    msgs = {}
    for i in range(n):
        u = dns.update.UpdateMessage(zone + ".", keyring=keyring, keyname=keyname,
                                     keyalgorithm=dns.tsig.HMAC_SHA256)
        u.id = 4096 + i  # distinct ids: a random 16-bit id repeats among 200
        u.replace("u%d" % i, 300, "A", "198.51.200.%d" % (i % 250 + 1))
        msgs[u.id] = (i, u)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5 * SLOW)
    s.connect(("127.0.0.1", dnsport))
    for i, u in msgs.values():
        s.send(u.to_wire())
    replies, bad = {}, []
    try:
        while len(replies) < n:
            data = s.recv(65535)
            rid = int.from_bytes(data[:2], "big")
            if rid not in msgs or rid in replies:
                continue
            i, u = msgs[rid]
            try:
                r = dns.message.from_wire(data, keyring=keyring, request_mac=u.mac)
            except Exception as e:  # a bad signature is a failure, whatever its class
                bad.append("u%d: reply does not verify: %r" % (i, e))
                replies[rid] = None
                continue
            replies[rid] = r
            if r.rcode() != dns.rcode.NOERROR:
                bad.append("u%d: %s" % (i, dns.rcode.to_text(r.rcode())))
    except socket.timeout:
        bad.append("%d of %d replies arrived" % (len(replies), n))
    s.close()
    report(not bad, "%d signed UPDATEs sent back to back: %d signed NOERROR replies" %
           (n, sum(1 for r in replies.values() if r is not None)), *bad)
    wrong = []
    with open(outfile, "w") as out:
        for i in range(n):
            ip = "198.51.200.%d" % (i % 250 + 1)
            got = served(dnsport, "u%d.%s." % (i, zone))
            if got != [ip]:
                wrong.append("u%d: want %s, got %s" % (i, ip, got))
            out.write("ACK u%d %s 0\n" % (i, ip))
    report(not wrong, "all %d updated names answer their new address" % n, *wrong)


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "http":
        http_burst(int(a[0]), int(a[1]), a[2], a[3], int(a[4]), int(a[5]), a[6])
    elif cmd == "dns":
        dns_burst(int(a[0]), a[1], a[2], a[3], int(a[4]), a[5])
    else:
        print("FAIL unknown subcommand " + cmd)
        sys.exit(2)


if __name__ == "__main__":
    main()
