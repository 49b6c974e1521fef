#!/bin/bash
# t_retention.sh - the IXFR journal and the audit log stay within their
# limits while updates stream in (journal.max_changes, audit.max_rows,
# audit.max_age), trimmed in steps: a database that comes with a large
# backlog is served and takes updates at once, and its backlog goes in the
# background; a secondary asking IXFR from a kept serial gets the
# differences, from a trimmed one the whole zone; bad limits are refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"

pick_ports
ONE_ZONE=1
ZONE_XFR[$ZONE]="{ allow: [127.0.0.1] }"
write_xfr_config
printf 'journal: { max_changes: 5 }\naudit: { max_rows: 40, max_age: 30d }\n' >>"$CONF"
init_db || exit 1

# ---- the limits are checked like every key
for bad in 'audit: { max_rows: -1 }' 'audit: { max_age: 10s }' 'audit: { max_rows: many }'; do
	sed '/^audit:/d' "$CONF" >"$T_DIR/bad.yaml"
	printf '%s\n' "$bad" >>"$T_DIR/bad.yaml"
	run_ddnsd -c "$T_DIR/bad.yaml" --check-config
	assert_eq "--check-config refuses '$bad'" 1 "$RC"
	assert_match "... and names the key" 'audit\.max_' "$OUT"
done
run_ddnsd -c "$CONF" --check-config
assert_eq "--check-config accepts the limits" 0 "$RC"

# ---- a backlog: 30,000 audit rows (29,000 of them 40 days old), as an
# older version or a lowered limit would leave them
"$PY" - "$DB" <<'EOF' || fail "seed the audit backlog"
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = int(time.time())
db.executemany("INSERT INTO audit (ts, actor, source, action, name) VALUES (?, 'master', 'http', 'set', ?)",
               [(now - 40 * 86400 if i < 29000 else now, "old%d" % i) for i in range(30000)])
db.commit()
EOF
assert_eq "seeded: 30,000 audit rows" 30000 "$(sqlite3 "$DB" 'SELECT count(*) FROM audit')"
start_daemon || exit 1
wait_http || exit 1
upd "$MASTER" '{"subdomain":"first","ip":"192.0.2.1"}'
assert_status "an update while the backlog is trimmed is acknowledged" 200
assert_eq "... and served" 192.0.2.1 "$(dnsq +short first."$ZONE" A)"
audit_at() { [ "$(sqlite3 "$DB" 'SELECT count(*) FROM audit' 2>/dev/null)" = "$1" ]; }
if wait_until $((20000 * SLOW)) audit_at 40; then
	pass "the backlog is trimmed to audit.max_rows (40) in the background"
else
	fail "the backlog is trimmed to 40 rows" "$(sqlite3 "$DB" 'SELECT count(*) FROM audit')"
fi
assert_eq "the newest rows stay: the update's own row among them" 1 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE name = 'first.$ZONE' AND new_value = '192.0.2.1'")"
assert_eq "no 40-day-old row is left" 0 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE ts < strftime('%s','now') - 30 * 86400")"
assert_eq "no trim error logged" 0 "$(cat "$T_DIR"/daemon.*.log | grep -c 'trimming the journal')"

# ---- updates streaming in: both stay within their limits
S0=$(soa_serial "$ZONE")
for i in $(seq 1 60); do
	[ "$i" -gt 1 ] && echo next
	printf 'url = "http://127.0.0.1:%s/update"\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\ndata = "{\\"subdomain\\":\\"s%d\\",\\"ip\\":\\"198.51.100.%d\\"}"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\nsilent\n' \
		"$HTTP_PORT" "$MASTER" $((i % 7)) "$i"
done >"$T_DIR/curl.cfg"
curl -m $((60 * SLOW)) -K "$T_DIR/curl.cfg" >"$T_DIR/codes" 2>&1
assert_eq "60 updates on one keep-alive connection: all 200" 60 "$(grep -c '^200$' "$T_DIR/codes")"
S1=$(soa_serial "$ZONE")
assert_eq "each update its own change (serial moved by 60)" 60 $(((S1 - S0 + 4294967296) % 4294967296))
groups_at() { [ "$(sqlite3 "$DB" "SELECT count(DISTINCT serial) FROM journal WHERE zone = '$ZONE'" 2>/dev/null)" = "$1" ]; }
if wait_until $((5000 * SLOW)) groups_at 5 && wait_until $((5000 * SLOW)) audit_at 40; then
	pass "after the stream: 5 journal changes (journal.max_changes), 40 audit rows"
else
	fail "journal at 5 changes and audit at 40 rows" \
		"$(sqlite3 "$DB" "SELECT count(DISTINCT serial) FROM journal; SELECT count(*) FROM audit")"
fi
assert_eq "the kept journal changes are the newest" $(((S1 - 4 + 4294967296) % 4294967296)) \
	"$(sqlite3 "$DB" "SELECT min(serial) FROM journal WHERE zone = '$ZONE'")"
assert_eq "every kept change is whole (one removal and one addition each, or the name's first)" 0 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM (SELECT serial FROM journal WHERE zone = '$ZONE' GROUP BY serial HAVING count(*) NOT IN (1, 2))")"
assert_eq "the newest audit row is the last update" "s$((60 % 7)).$ZONE 198.51.100.60" \
	"$(sqlite3 "$DB" "SELECT name || ' ' || new_value FROM audit ORDER BY id DESC LIMIT 1")"

# ---- IXFR: differences from a kept serial, the whole zone from a trimmed one
OUT=$(dig +tries=1 @127.0.0.1 -p "$DNS_PORT" "$ZONE" IXFR=$(((S1 - 2 + 4294967296) % 4294967296)))
SERIALS=$(printf '%s\n' "$OUT" | awk '$4 == "SOA" { printf "%s ", $7 }')
assert_eq "IXFR from a kept serial: the two changes since" \
	"$S1 $((S1 - 2)) $((S1 - 1)) $((S1 - 1)) $S1 $S1 " "$SERIALS"
OUT=$(dig +tries=1 @127.0.0.1 -p "$DNS_PORT" "$ZONE" IXFR=$(((S1 - 20 + 4294967296) % 4294967296)))
SECOND=$(printf '%s\n' "$OUT" | awk '$0 !~ /^;/ && NF >= 5 { n++; if (n == 2) { print $4; exit } }')
assert_eq "IXFR from a trimmed serial: the whole zone (SOA, then the apex NS)" NS "$SECOND"
AXFR_A=$(dig +tries=1 @127.0.0.1 -p "$DNS_PORT" "$ZONE" AXFR | awk '$4 == "A"' | wc -l)
assert_eq "... with every A record an AXFR has ($AXFR_A)" "$AXFR_A" \
	"$(printf '%s\n' "$OUT" | awk '$4 == "A"' | wc -l)"

# ---- GET /audit reads what is kept
api "$MASTER" GET "/audit?limit=100"
assert_status "GET /audit" 200
assert_eq "GET /audit: the 40 kept rows" 40 "$(jv 'len(j["audit"])')"

stop_daemon
