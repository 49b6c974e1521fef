#!/bin/bash
# t_records_stream.sh - GET /records over 150,000 names (16 MB of JSON) is
# streamed from a snapshot of its own.  A client that reads nothing for 3 s
# holds up no update: one made meanwhile is acknowledged and served at once,
# while the listing shows the records as they were when it was asked for;
# the document is whole and valid, one entry per value, an RRset's values
# together and in the order they came in even where the RRset straddles two
# slices; a user sees exactly their names, found across slices that hold
# none of them; a client that goes away mid-listing costs nothing.
. "$(dirname "$0")/lib.sh"

pick_ports
ONE_ZONE=1
write_http_config
sed -i 's/^  capacity: 1000$/  capacity: 400000/' "$CONF"
init_db || exit 1
N=150000
"$PY" - "$DB" "$ZONE" "$N" <<'EOF' || fail "seed $N names"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
zone, n = sys.argv[2], int(sys.argv[3])
rows = []
for i in range(n):
    name = "n%06d.%s" % (i, zone)
    if i == 1999:
        # three values whose arrival order (id) is not their key order; they
        # are rows 1999-2001 of the walk, across the first slice's end
        for k, v in enumerate(("192.0.2.30", "192.0.2.10", "192.0.2.20")):
            rows.append((name, v, 10 * k + 1))
    else:
        rows.append((name, "10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255), 100 + i))
db.executemany("INSERT INTO records (name, type, value, id) VALUES (?, 'A', ?, ?)", rows)
db.commit()
EOF
start_daemon || exit 1
wait_http || exit 1
HPID=$(http_worker_pid)
ctl user add alice
ALICE=$(ctl_last_line)
sqlite3 "$DB" "UPDATE records SET owner_id = (SELECT id FROM users WHERE username = 'alice')
	WHERE name IN ('n000000.$ZONE', 'n$(printf '%06d' $((N - 1))).$ZONE')" || fail "alice owns two names"

cat >"$T_DIR/slow_get.py" <<'EOF'
import json, socket, sys, time
port, token, delay, out = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.settimeout(60)
s.connect(("127.0.0.1", port))
s.sendall(("GET /records HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n" % token).encode())
print("sent", flush=True)
time.sleep(delay)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
parts = []
while True:
    c = s.recv(1 << 20)
    if not c:
        break
    parts.append(c)
data = b"".join(parts)
head, _, body = data.partition(b"\r\n\r\n")
status = head.split(b"\r\n")[0].decode()
chunked = b"transfer-encoding: chunked" in head.lower()
if chunked:
    doc, pos = [], 0
    while True:
        eol = body.index(b"\r\n", pos)
        size = int(body[pos:eol], 16)
        if size == 0:
            break
        doc.append(body[eol + 2:eol + 2 + size])
        pos = eol + 2 + size + 2
    body = b"".join(doc)
j = json.loads(body)
json.dump(j, open(out, "w"))
print(status, "chunked" if chunked else "whole", len(j["records"]), flush=True)
EOF

# ---- a client that reads nothing for 3 s; an update made meanwhile
"$PY" "$T_DIR/slow_get.py" "$HTTP_PORT" "$MASTER" 3 "$T_DIR/list.json" >"$T_DIR/get.out" 2>"$T_DIR/get.err" &
GP=$!
BG_PIDS+=("$GP")
assert_eventually "the slow client has sent its GET /records" 5 grep -q sent "$T_DIR/get.out"
assert_eventually "the listing has started (reply bytes wait unread at the slow client)" 2 \
	unread_reply "$HTTP_PORT"
upd "$MASTER" '{"subdomain":"n000005","ip":"198.51.100.5"}'
assert_status "an update while the listing waits for its client is acknowledged" 200
assert_eq "... and served" 198.51.100.5 "$(dnsq +short n000005."$ZONE" A)"
if kill -0 "$GP" 2>/dev/null; then
	pass "the update was done before the client read anything"
else
	fail "the update was done before the client read anything" "$(cat "$T_DIR/get.err")"
fi
wait "$GP"
read -r _ CODE _ HOW COUNT < <(tail -n 1 "$T_DIR/get.out")
assert_eq "GET /records: 200, chunked" "200 chunked" "$CODE $HOW"
assert_eq "... every value of every name, whole and valid JSON" $((N + 2)) "$COUNT"
lj() { "$PY" -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T_DIR/list.json" "$1"; }
assert_eq "... as the records were when it was asked for (the old value)" "10.0.0.5" \
	"$(lj '[e["value"] for e in j["records"] if e["domain"].startswith("n000005.")][0]')"
assert_eq "... the RRset across the slice boundary: together, in the order its values came in" \
	"192.0.2.30 192.0.2.10 192.0.2.20" \
	"$(lj '" ".join(e["value"] for e in j["records"][1999:2002] if e["domain"].startswith("n001999."))')"
assert_eq "... in name order" True "$(lj 'all(j["records"][i]["domain"] <= j["records"][i + 1]["domain"] for i in range(len(j["records"]) - 1))')"
assert_eq "... with every field" '["domain", "ttl", "type", "updatedAt", "value"]' \
	"$(lj 'json.dumps(sorted(j["records"][7].keys()))')"

# ---- a user sees exactly their two names, the first and the last
if [ -n "$ALICE" ]; then
	api "$ALICE" GET /records
	assert_status "GET /records as alice" 200
	assert_eq "alice: her two names only, across slices holding none of hers" \
		"n000000.$ZONE n$(printf '%06d' $((N - 1))).$ZONE" "$(jv '" ".join(e["domain"] for e in j["records"])')"
else
	fail "a token for alice" "$CTL_OUT"
fi

# ---- clients that go away mid-listing
for i in 1 2 3; do
	timeout 1 "$PY" "$T_DIR/slow_get.py" "$HTTP_PORT" "$MASTER" 5 /dev/null >/dev/null 2>&1
done
upd "$MASTER" '{"subdomain":"n000006","ip":"198.51.100.6"}'
assert_status "after three abandoned listings, updates go on" 200
curl -s -m $((60 * SLOW)) -H "Authorization: Bearer $MASTER" -o "$T_DIR/list2.json" "http://127.0.0.1:$HTTP_PORT/records"
assert_eq "and a whole listing follows, with the newest values" "$((N + 2)) 198.51.100.6" \
	"$("$PY" -c 'import json, sys; j = json.load(open(sys.argv[1]))["records"]; print(len(j), [e["value"] for e in j if e["domain"].startswith("n000006.")][0])' "$T_DIR/list2.json")"
assert_eq "the HTTP worker is the one that started (no crash, no restart)" "$HPID" "$(http_worker_pid)"

stop_daemon
