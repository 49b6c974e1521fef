#!/bin/sh
# bench-config.sh - PROJECT_SETUP for ../shared/bench/peers.sh and updates.sh:
# writes $BENCH_DIR/ddnsd.yaml and loads $ZONE_CSV into its SQLite database.
# BENCH_DNSSEC=1 signs the zone (dnssec block, algorithm BENCH_DNSSEC_ALG,
# default ecdsap256sha256, denial BENCH_DNSSEC_DENIAL, default nsec3; the
# table gets room for the 65536 NSEC3 bins, or the NSEC nodes);
# BENCH_LOG_LEVEL (warn) is the daemon's log_level.  BENCH_DNSSEC_PRESIGN=1
# (with BENCH_DNSSEC=1) signs the zone before it returns: the daemon is
# started once until its SOA is signed (a zone of more than 10,000 records
# is signed in the background after the first start, which a measurement
# started at once would include) and stopped; BENCH_SIGN_TIMEOUT (900 s)
# bounds the wait.
set -eu
: "${BENCH_DIR:?}" "${ZONE_NAME:?}" "${ZONE_CSV:?}"
here=$(cd "$(dirname "$0")/.." && pwd)
dns_port=${PROJECT_PORT:-${PROJECT_DNS_PORT:-15350}}
http_port=${PROJECT_HTTP_PORT:-$((dns_port + 1))}
names=$(($(wc -l < "$ZONE_CSV") + 1000))
dnssec=
if [ "${BENCH_DNSSEC:-0}" = 1 ]; then
	dnssec="    dnssec: { enabled: true, algorithm: ${BENCH_DNSSEC_ALG:-ecdsap256sha256}, denial: ${BENCH_DNSSEC_DENIAL:-nsec3} }"
	# the NSEC3 bins, or one NSEC node per name
	names=$((names + 65536))
	[ "${BENCH_DNSSEC_DENIAL:-nsec3}" = nsec ] && names=$((names * 2))
fi
cat > "$BENCH_DIR/ddnsd.yaml" <<YAML
database: ddnsd.db
log_level: ${BENCH_LOG_LEVEL:-warn}
zones:
  - name: $ZONE_NAME
    ttl: 300
    ns: [ns1.$ZONE_NAME]
    soa: { mname: ns1.$ZONE_NAME, rname: hostmaster.$ZONE_NAME,
           refresh: 3600, retry: 600, expire: 604800, minimum: 60 }
$dnssec
dns:
  listen: ["${BENCH_ADDR:-127.0.0.1}:$dns_port"]
  workers: ${BENCH_WORKERS:-1}
  io: ${DDNSD_IO:-auto}
  rrl: { responses_per_second: 0 } # one client at full speed, as the peers run (no RRL)
http:
  listen: "127.0.0.1:$http_port"
  rate_limit: { per_ip_per_minute: 100000000, burst: 100000000, per_token_per_minute: 100000000 }
control:
  socket: ddnsd.sock
auth:
  master_token: "${DDNSD_MASTER_TOKEN:-bench-token}"
table:
  capacity: $((names * 2))
YAML
if [ -n "${TSIG_SECRET:-}" ]; then
	cat >> "$BENCH_DIR/ddnsd.yaml" <<YAML
tsig:
  - { name: update-key, algorithm: hmac-sha256, secret: "$TSIG_SECRET", update: {} }
YAML
fi
rm -f "$BENCH_DIR/ddnsd.db"
"$here/bin/ddnsd" -c "$BENCH_DIR/ddnsd.yaml" --init-db >/dev/null
sqlite3 "$BENCH_DIR/ddnsd.db" <<SQL
CREATE TEMP TABLE csv (name TEXT, type TEXT, value TEXT, ttl INTEGER);
.mode csv
.import --skip 1 $ZONE_CSV csv
INSERT INTO records (name, type, value, ttl) SELECT lower(name), type, value, ttl FROM csv;
SQL
if [ "${BENCH_DNSSEC:-0}" = 1 ] && [ "${BENCH_DNSSEC_PRESIGN:-0}" = 1 ]; then
	"$here/bin/ddnsd" -c "$BENCH_DIR/ddnsd.yaml" >"$BENCH_DIR/presign.log" 2>&1 &
	pid=$!
	i=0
	until dig +dnssec +norec +tries=1 +time=1 -p "$dns_port" @"${BENCH_ADDR:-127.0.0.1}" \
		"$ZONE_NAME" SOA 2>/dev/null | grep -q 'RRSIG[[:space:]]*SOA'; do
		i=$((i + 1))
		if [ $i -gt $((${BENCH_SIGN_TIMEOUT:-900} * 5)) ] || ! kill -0 $pid 2>/dev/null; then
			echo "bench-config.sh: the zone was not signed (see $BENCH_DIR/presign.log)" >&2
			kill -TERM $pid 2>/dev/null
			exit 1
		fi
		sleep 0.2
	done
	kill -TERM $pid
	wait $pid || true
fi
