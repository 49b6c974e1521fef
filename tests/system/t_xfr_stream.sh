#!/bin/bash
# t_xfr_stream.sh - an AXFR of a 200,000-name zone (7 MB: more than the
# kernels' socket buffers hold) is streamed in slices from a snapshot of its
# own.  A client that does not read for a while holds neither the writer nor
# the data hostage: an update made meanwhile is acknowledged and served at
# once, while the transfer still carries the zone as it was asked for (one
# serial first and last, the old value); a query sent behind the AXFR on the
# same connection is answered after it (with the new serial: the transfer
# was still going on at the update).  Clients that go away mid-transfer
# leave nothing behind.  (TSIG on every message of a streamed AXFR:
# t_tsig and t_xfr_knot.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"

pick_ports
ONE_ZONE=1
ZONE_XFR[$ZONE]="{ allow: [127.0.0.1] }"
write_xfr_config
sed -i 's/^  capacity: 1000$/  capacity: 450000/' "$CONF"
init_db || exit 1
N=200000
"$PY" - "$DB" "$ZONE" "$N" <<'EOF' || fail "seed $N names"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
zone, n = sys.argv[2], int(sys.argv[3])
db.executemany("INSERT INTO records (name, type, value) VALUES (?, 'A', ?)",
               [("n%d.%s" % (i, zone), "10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255)) for i in range(n)])
db.commit()
EOF
start_daemon || exit 1
wait_http || exit 1
upd "$MASTER" '{"subdomain":"busy","ip":"192.0.2.1"}'
assert_status "busy set to 192.0.2.1" 200
S0=$(soa_serial "$ZONE")
HPID=$(http_worker_pid)

# slow_axfr PORT ZONE DELAY: sends an AXFR and, on the same connection, a
# SOA query; prints "sent", waits DELAY s before reading, then prints one
# line: messages, A records, serials of the first and last SOA, busy's
# value, and the rcode and serial of the SOA reply that came after the
# transfer.
cat >"$T_DIR/slow_axfr.py" <<'EOF'
import socket, struct, sys, time
import dns.message, dns.rdatatype, dns.rcode

port, zone, delay = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
q = dns.message.make_query(zone, dns.rdatatype.AXFR)
soa_q = dns.message.make_query(zone, dns.rdatatype.SOA)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# a small receive window: the transfer outgrows what the kernels hold, and
# the server has to wait for this client
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.settimeout(60)
s.connect(("127.0.0.1", port))
w1, w2 = q.to_wire(), soa_q.to_wire()
s.sendall(struct.pack("!H", len(w1)) + w1 + struct.pack("!H", len(w2)) + w2)
print("sent", flush=True)
time.sleep(delay)

def recv_exact(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b

msgs = a = 0
serials = []
busy = "-"
while len(serials) < 2:
    ln = struct.unpack("!H", recv_exact(2))[0]
    m = dns.message.from_wire(recv_exact(ln), one_rr_per_rrset=True)
    msgs += 1
    for rrset in m.answer:
        for rr in rrset:
            if rrset.rdtype == dns.rdatatype.SOA:
                serials.append(rr.serial)
            elif rrset.rdtype == dns.rdatatype.A:
                a += 1
                if rrset.name.to_text().startswith("busy."):
                    busy = rr.address
ln = struct.unpack("!H", recv_exact(2))[0]
r = dns.message.from_wire(recv_exact(ln))
after = "%s/%s" % (dns.rcode.to_text(r.rcode()), r.answer[0][0].serial if r.answer else "-")
print(msgs, a, serials[0], serials[-1], busy, after, flush=True)
EOF

# ---- a client that reads nothing for 3 s; an update made meanwhile
"$PY" "$T_DIR/slow_axfr.py" "$DNS_PORT" "$ZONE" 3 >"$T_DIR/axfr.out" 2>"$T_DIR/axfr.err" &
AX=$!
BG_PIDS+=("$AX")
assert_eventually "the slow client has sent its AXFR query" 5 grep -q sent "$T_DIR/axfr.out"
assert_eventually "the AXFR has started (reply bytes wait unread at the slow client)" 2 \
	unread_reply "$DNS_PORT"
upd "$MASTER" '{"subdomain":"busy","ip":"192.0.2.2"}'
assert_status "an update while the AXFR waits for its client is acknowledged" 200
assert_eq "... and served" 192.0.2.2 "$(dnsq +short busy."$ZONE" A)"
S1=$(soa_serial "$ZONE")
assert_eq "... with the next serial" $((S0 + 1)) "$S1"
if kill -0 "$AX" 2>/dev/null; then
	pass "the update was done before the client read anything"
else
	fail "the update was done before the client read anything" "$(cat "$T_DIR/axfr.err")"
fi
wait "$AX"
read -r MSGS NA FIRST LAST BUSY AFTER < <(tail -n 1 "$T_DIR/axfr.out")
assert_eq "the AXFR carries every A record ($N names and busy)" $((N + 1)) "$NA"
assert_eq "... in many messages" 1 "$([ "${MSGS:-0}" -gt 10 ] && echo 1)"
assert_eq "... one snapshot: the serial asked for, first and last" "$S0 $S0" "$FIRST $LAST"
assert_eq "... with busy as it was when the AXFR was asked for" 192.0.2.1 "$BUSY"
assert_eq "the SOA query sent behind the AXFR is answered after it, with the new serial" \
	"NOERROR/$S1" "$AFTER"

# ---- clients that go away mid-transfer: nothing left behind
for i in 1 2 3; do
	timeout 1 "$PY" "$T_DIR/slow_axfr.py" "$DNS_PORT" "$ZONE" 5 >/dev/null 2>&1
done
upd "$MASTER" '{"subdomain":"busy","ip":"192.0.2.3"}'
assert_status "after three abandoned transfers, updates go on" 200
OUT=$(dig +tries=1 +time=$((20 * SLOW)) @127.0.0.1 -p "$DNS_PORT" "$ZONE" AXFR)
assert_eq "and a whole AXFR follows" $((N + 1)) "$(printf '%s\n' "$OUT" | awk '$4 == "A"' | wc -l)"
assert_eq "... with the newest value" 192.0.2.3 "$(printf '%s\n' "$OUT" | awk '$1 ~ /^busy\./ && $4 == "A" { print $5 }')"
assert_eq "the HTTP worker is the one that started (no crash, no restart)" "$HPID" "$(http_worker_pid)"

stop_daemon
