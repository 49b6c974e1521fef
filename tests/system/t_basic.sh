#!/bin/bash
# t_basic.sh - command line: --version, --check-config (good config, every
# problem reported with FILE:LINE, unknown keys), --init-db schema.
. "$(dirname "$0")/lib.sh"

# ---- --version
run_ddnsd --version
assert_eq "--version exits 0" 0 "$RC"
assert_eq "--version prints the version" "ddnsd 0.1.0" "$(printf '%s\n' "$OUT" | head -n 1)"

# ---- --check-config on a good config
write_config
run_ddnsd -c "$CONF" --check-config
assert_eq "--check-config accepts the test config" 0 "$RC"
[ "$RC" = 0 ] || note "$OUT"
[ ! -e "$T_DIR/data/ddnsd.db" ] && pass "--check-config does not create the database" ||
	fail "--check-config does not create the database" "$(ls -la "$T_DIR/data")"

# ---- every problem reported, each with its line
bad=$T_DIR/bad.yaml
cat >"$bad" <<EOF
# line 1: a config with four problems
database: data/ddnsd.db
bogus_key: 1
zones:
  - name: $ZONE
    ttl: 300
    colour: blue
dns:
  listen: ["127.0.0.1:$DNS_PORT"]
  workers: many
  udp_payload: 100
http:
  listen: "127.0.0.1:$HTTP_PORT"
  no_such_option: true
EOF
run_ddnsd -c "$bad" --check-config
assert_eq "--check-config rejects a bad config with exit 1" 1 "$RC"
assert_match "unknown top-level key reported at bad.yaml:3" 'bad\.yaml:3: .*bogus_key' "$OUT"
assert_match "unknown zone key reported at bad.yaml:7" 'bad\.yaml:7: .*colour' "$OUT"
assert_match "non-numeric dns.workers reported at bad.yaml:10" 'bad\.yaml:10: ' "$OUT"
assert_match "out-of-range dns.udp_payload reported at bad.yaml:11" 'bad\.yaml:11: ' "$OUT"
assert_match "unknown nested key reported at bad.yaml:14" 'bad\.yaml:14: .*no_such_option' "$OUT"
assert_nomatch "no problem invented on good lines" 'bad\.yaml:(2|4|5|6|8|9|12|13): ' "$OUT"

# ---- YAML syntax error
syn=$T_DIR/syntax.yaml
cat >"$syn" <<EOF
database: data/ddnsd.db
zones:
  - name: $ZONE
    ttl: [300
dns:
  listen: ["127.0.0.1:$DNS_PORT"]
EOF
run_ddnsd -c "$syn" --check-config
assert_eq "--check-config rejects broken YAML with exit 1" 1 "$RC"
assert_match "broken YAML reported as syntax.yaml:LINE:" 'syntax\.yaml:[4-7]: ' "$OUT"

# ---- a single unknown key is an error on its own
one=$T_DIR/unknown.yaml
{ cat "$CONF"; echo "frobnicate: yes"; } >"$one"
line=$(wc -l <"$one")
run_ddnsd -c "$one" --check-config
assert_eq "--check-config: an unknown key alone gives exit 1" 1 "$RC"
assert_match "unknown key reported with its line" "unknown\\.yaml:$line: .*frobnicate" "$OUT"

# ---- missing file
run_ddnsd -c "$T_DIR/nonexistent.yaml" --check-config
[ "$RC" -ne 0 ] && pass "--check-config on a missing file fails (exit $RC)" ||
	fail "--check-config on a missing file fails" "$OUT"
assert_match "missing file named in the message" 'nonexistent\.yaml' "$OUT"

# ---- starting with a bad config fails fast and names the line
run_ddnsd -c "$bad"
if [ "$RC" -ne 0 ] && [ "$RC" -ne 124 ]; then
	pass "daemon refuses to start with a bad config (exit $RC)"
else
	fail "daemon refuses to start with a bad config" "exit $RC" "$OUT"
fi
assert_match "refusal names FILE:LINE" 'bad\.yaml:3: ' "$OUT"

# ---- unknown command-line option
run_ddnsd --no-such-option
if [ "$RC" -ne 0 ] && [ "$RC" -ne 124 ]; then
	pass "unknown option rejected (exit $RC)"
else
	fail "unknown option rejected" "exit $RC" "$OUT"
fi

# ---- --init-db
run_ddnsd -c "$CONF" --init-db
assert_eq "--init-db exits 0" 0 "$RC"
[ "$RC" = 0 ] || note "$OUT"
[ -f "$DB" ] && pass "--init-db creates the database and its directory" ||
	fail "--init-db creates $DB" "$(ls -laR "$T_DIR")"
tables=$(sqlite3 "$DB" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name;" 2>&1)
assert_match "schema has table records" '^records$' "$tables"
assert_match "schema has table zones" '^zones$' "$tables"
cols=$(sqlite3 "$DB" "SELECT name FROM pragma_table_info('records') ORDER BY cid;" 2>&1 | tr '\n' ' ')
for c in id name type value ttl owner_id created_at updated_at; do
	assert_match "records has column $c" "(^| )$c " "$cols"
done
zcols=$(sqlite3 "$DB" "SELECT name FROM pragma_table_info('zones') ORDER BY cid;" 2>&1 | tr '\n' ' ')
for c in id name serial; do
	assert_match "zones has column $c" "(^| )$c " "$zcols"
done
add_record "home.$ZONE" A 192.0.2.1
if sqlite3 "$DB" "INSERT INTO records(name, type, value) VALUES('home.$ZONE', 'A', '192.0.2.1');" \
	2>/dev/null; then
	fail "records has UNIQUE(name, type, value)"
else
	pass "records has UNIQUE(name, type, value)"
fi
run_ddnsd -c "$CONF" --init-db
assert_eq "--init-db on an existing database exits 0" 0 "$RC"
assert_eq "--init-db keeps existing records" 1 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM records WHERE name = 'home.$ZONE';")"

# ---- the daemon creates the database itself when started without --init-db
rm -rf "$T_DIR/data"
start_daemon || exit 1
[ -f "$DB" ] && pass "daemon started without --init-db creates the database" ||
	fail "daemon started without --init-db creates the database"
q +norec "$ZONE" SOA
assert_eq "fresh database: SOA serial 1 served" "NOERROR 1" \
	"$(q_status) $(q_section_nottl ANSWER | cut -d' ' -f6)"
assert_eq "fresh database: zones table serial 1" 1 "$(zone_serial "$ZONE")"
stop_daemon
