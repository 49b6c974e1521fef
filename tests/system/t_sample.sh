#!/bin/bash
# t_sample.sh - the shipped config.yaml.sample and a config using every key
# that INTERFACE.md lists pass --check-config; the sample also serves.
. "$(dirname "$0")/lib.sh"

sample=$ROOT/config.yaml.sample
if [ ! -f "$sample" ]; then
	fail "config.yaml.sample exists in the repository"
	exit 1
fi
cp "$sample" "$T_DIR/sample.yaml"
run_ddnsd -c "$T_DIR/sample.yaml" --check-config
assert_eq "config.yaml.sample passes --check-config" 0 "$RC"
[ "$RC" = 0 ] || note "$OUT"

# ---- every key of INTERFACE.md "config.yaml keys that must exist"
full=$T_DIR/full.yaml
write_full()
{
	cat <<'EOF2'
database: data/ddnsd.db
log_level: info
zones:
  - name: dyn.example.test
    ttl: 300
    ns: [ns1.example.test]
    soa: { mname: ns1.example.test, rname: hostmaster.example.test,
           refresh: 3600, retry: 600, expire: 604800, minimum: 60 }
    transfer:
      allow: [127.0.0.1, "10.0.0.0/8"]
      notify: ["127.0.0.1:5454"]
      tsig: transfer-key
dns:
  listen: ["127.0.0.1:5353"]
  workers: 2
  tcp_max_connections: 256
  tcp_max_per_address: 16
  tcp_idle_timeout: 10000
  udp_payload: 1232
http:
  listen: "127.0.0.1:8080"
  trusted_proxies: []
  max_body: 65536
  rate_limit: { per_ip_per_minute: 600, burst: 100 }
  metrics_token: ""
acme:
  zone: dyn.example.test
control:
  socket: run/ddnsd.sock
auth:
  master_token: "change-me"
tsig:
  - { name: update-key, algorithm: hmac-sha256, secret: "dXBkYXRlLWtleS1zZWNyZXQtb2YtMzItYnl0ZXMhIQ==", update: {} }
  - { name: transfer-key, algorithm: hmac-sha256, secret: "dHJhbnNmZXIta2V5LXNlY3JldC0zMi1ieXRlcyEhIQ==" }
notify:
  - name: ops
    type: discord
    url: https://discord.com/api/webhooks/1/abc
    events: [record_changed, member_down, member_up, worker_restarted, backup_ok, backup_failed, auth_abuse]
  - { name: hook, type: webhook, url: "http://127.0.0.1:9000/hook", secret: "hook-secret" }
  - { name: run, type: command, command: /usr/local/bin/on-change }
table:
  capacity: 1000
backup:
EOF2
}
{ write_full; cat <<'EOF2'
  interval: 24h
  dir: backups
  keep: 7
  s3: { endpoint: "https://s3.example.com", bucket: ddnsd, prefix: "nightly/", region: us-east-1 }
EOF2
} >"$full"
run_ddnsd -c "$full" --check-config
assert_eq "config with every INTERFACE.md key passes --check-config" 0 "$RC"
[ "$RC" = 0 ] || note "$OUT"
{ write_full; cat <<'EOF2'
  schedule: "0 3 * * *"
  dir: backups
  keep: 7
EOF2
} >"$T_DIR/cron.yaml"
run_ddnsd -c "$T_DIR/cron.yaml" --check-config
assert_eq "backup.schedule (cron form) passes --check-config" 0 "$RC"
[ "$RC" = 0 ] || note "$OUT"
sed 's/tsig: transfer-key/tsig: no-such-key/' "$full" >"$T_DIR/badref.yaml"
run_ddnsd -c "$T_DIR/badref.yaml" --check-config
assert_eq "transfer.tsig naming an unknown key is rejected" 1 "$RC"
assert_match "unknown key reference reported at badref.yaml:12" 'badref\.yaml:12: ' "$OUT"

# ---- the sample serves (on our ports) with the sample records of make run
pick_ports
sed -e "s/127\\.0\\.0\\.1:5353/127.0.0.1:$DNS_PORT/g" -e "s/127\\.0\\.0\\.1:8080/127.0.0.1:$HTTP_PORT/g" \
	"$sample" >"$T_DIR/sample.yaml"
if ! grep -q "127.0.0.1:$DNS_PORT" "$T_DIR/sample.yaml"; then
	fail "config.yaml.sample listens on 127.0.0.1:5353 (moved to this test's port)" \
		"$(grep -n 'listen' "$sample")"
	exit 1
fi
CONF=$T_DIR/sample.yaml
ZONE=$(awk '/^zones:/ { z = 1; next } z && /name:/ { sub(/.*name: */, ""); sub(/[ #].*/, ""); print; exit }' "$CONF")
db=$(sed -n 's/^database: *//p' "$CONF" | sed 's/[ #].*//; s/"//g')
DB=$T_DIR/${db:-data/ddnsd.db}
assert_rc "--init-db with the sample config" 0 "$DDNSD_BIN" -c "$CONF" --init-db
assert_rc "tools/sample-records.sql (make run's records) loads" 0 \
	sqlite3 "$DB" ".read $ROOT/tools/sample-records.sql"
start_daemon || exit 1
q +norec "$ZONE" SOA
assert_eq "sample zone $ZONE: SOA served" "NOERROR qr aa 1" "$(q_status) $(q_flags) $(q_count ANSWER)"
assert_dns "sample record home.$ZONE served (the dig make run suggests)" "home.$ZONE" A 203.0.113.45
stop_daemon
