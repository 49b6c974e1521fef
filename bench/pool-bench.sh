#!/usr/bin/env bash
# pool-bench.sh - what a pool answer costs next to a plain record, on one
# pinned core.
#
# Starts bin/ddnsd on 127.0.0.1 (random free ports) with zone bench.test:
# NAMES plain A records (inserted with sqlite3 after --init-db) and one
# round-robin pool lb.bench.test of 4 members (PUT /pools/lb).  The daemon
# runs pinned to CPU $SERVER_CPU (default 0) with one DNS worker; dnsperf
# runs pinned to CPU $CLIENT_CPU (default 1) with $DNSPERF_OPTS.  ROUNDS
# rounds, each running the plain query file then the pool query file for T
# seconds.  Per run: QPS, and the server core's busy share from /proc/stat
# over the middle of the run (1 s skipped at each end) divided by QPS = CPU
# microseconds per query.  The summary gives the medians and pool/plain.
#
# Usage (from the project root, after make):
#   bench/pool-bench.sh [-t SECONDS] [-r ROUNDS] [-n NAMES] [-o SUMMARY_FILE] [-k]
# Env: T (10), ROUNDS (3), NAMES (1000), DNSPERF_OPTS ("-c 16 -q 256"),
#      SERVER_CPU (0), CLIENT_CPU (1), DDNSD_BIN (bin/ddnsd), MAX_SECONDS.
# Needs: dnsperf, dig, curl, sqlite3, taskset, python3; two CPUs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T=${T:-10}; ROUNDS=${ROUNDS:-3}; NAMES=${NAMES:-1000}; KEEP=0; SUMMARY_OUT=
while getopts "t:r:n:o:kh" opt; do
	case $opt in
	t) T=$OPTARG ;; r) ROUNDS=$OPTARG ;; n) NAMES=$OPTARG ;; o) SUMMARY_OUT=$OPTARG ;; k) KEEP=1 ;;
	h) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d'; exit 0 ;;
	*) exit 2 ;;
	esac
done
DNSPERF_OPTS=${DNSPERF_OPTS:--c 16 -q 256}
SERVER_CPU=${SERVER_CPU:-0}; CLIENT_CPU=${CLIENT_CPU:-1}
DDNSD_BIN=${DDNSD_BIN:-$ROOT/bin/ddnsd}
MAX_SECONDS=${MAX_SECONDS:-$((120 + ROUNDS * 2 * (T + 6)))}
if [[ -z ${POOL_BENCH_BOUNDED:-} ]]; then
	export POOL_BENCH_BOUNDED=$MAX_SECONDS
	exec timeout -k 10 "$MAX_SECONDS" "${BASH_SOURCE[0]}" "$@"
fi

log() { printf '[pool-bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
for tool in dnsperf dig curl sqlite3 taskset python3; do
	command -v "$tool" >/dev/null || die "missing tool: $tool"
done
[[ -x $DDNSD_BIN ]] || die "$DDNSD_BIN not built (run make)"
(( $(nproc) >= 2 )) || die "needs two CPUs (server and dnsperf pinned apart)"

ADDR=127.0.0.1
ZONE=bench.test
TOKEN=pool-bench-token
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pool-bench.XXXXXX")
read -r DNS_PORT HTTP_PORT < <(python3 "$ROOT/tests/system/ports.py" 2) || die "no free ports"

DPID=
cleanup() {
	local rc=$? i
	set +e
	if [[ -n $DPID ]] && kill -0 "$DPID" 2>/dev/null; then
		kill -TERM "$DPID"
		for i in $(seq 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	if (( KEEP )); then log "kept $WORK"; else rm -rf "$WORK"; fi
	exit $rc
}
trap cleanup EXIT
trap 'log "interrupted (or MAX_SECONDS=${POOL_BENCH_BOUNDED}s reached)"; exit 130' INT TERM HUP

# ---------------------------------------------------------------- server
cat >"$WORK/ddnsd.yaml" <<YAML
database: ddnsd.db
log_level: warn
zones:
  - name: $ZONE
    ttl: 300
    ns: [ns1.$ZONE]
    soa: { mname: ns1.$ZONE, rname: hostmaster.$ZONE,
           refresh: 3600, retry: 600, expire: 604800, minimum: 60 }
dns:
  listen: ["$ADDR:$DNS_PORT"]
  workers: 1
  rrl: { responses_per_second: 0 } # one client at full speed, as the peers run
http:
  listen: "$ADDR:$HTTP_PORT"
  rate_limit: { per_ip_per_minute: 100000000, burst: 100000000, per_token_per_minute: 100000000 }
control:
  socket: ddnsd.sock
auth:
  master_token: "$TOKEN"
table:
  capacity: $(( (NAMES + 1000) * 2 ))
YAML
"$DDNSD_BIN" -c "$WORK/ddnsd.yaml" --init-db >/dev/null || die "--init-db failed"
awk -v n="$NAMES" -v z="$ZONE" 'BEGIN {
	print "BEGIN;"
	for (i = 0; i < n; i++)
		printf "INSERT INTO records (name, type, value, ttl) VALUES (\047h%d.%s\047, \047A\047, \04710.0.%d.%d\047, 300);\n", i, z, int(i / 256) % 256, i % 256
	print "COMMIT;" }' | sqlite3 "$WORK/ddnsd.db" || die "inserting $NAMES records failed"

setsid taskset -c "$SERVER_CPU" "$DDNSD_BIN" -c "$WORK/ddnsd.yaml" >"$WORK/ddnsd.log" 2>&1 </dev/null &
DPID=$!
dq() { dig +tries=1 +time=1 +norec -p "$DNS_PORT" @"$ADDR" "$@" 2>/dev/null || true; }
for i in $(seq 100); do
	kill -0 "$DPID" 2>/dev/null || { tail -n 20 "$WORK/ddnsd.log" >&2; die "ddnsd exited"; }
	[[ $(dq "h$((NAMES - 1)).$ZONE" A +short) == "10.0."* ]] && break
	sleep 0.1
done
[[ $(dq "h$((NAMES - 1)).$ZONE" A +short) == "10.0."* ]] || die "ddnsd does not answer h$((NAMES - 1)).$ZONE"

code=$(curl -s -m 10 -o "$WORK/put.out" -w '%{http_code}' -X PUT \
	-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	--data-binary '{"policy":"round-robin","members":[{"ip":"192.0.2.1"},{"ip":"192.0.2.2"},{"ip":"192.0.2.3"},{"ip":"192.0.2.4"}],"ttl":30}' \
	"http://$ADDR:$HTTP_PORT/pools/lb") || true
[[ $code == 200 ]] || die "PUT /pools/lb: HTTP $code $(cat "$WORK/put.out" 2>/dev/null)"
firsts=$(for i in 1 2 3 4 5 6 7 8; do dq "lb.$ZONE" A +short | head -n 1; done | sort -u | wc -l)
(( firsts == 4 )) || die "lb.$ZONE does not rotate over 4 members ($firsts distinct first answers in 8)"
# the daemon's processes all on the server CPU (children inherit; this re-pins any that do not)
for p in $DPID $(pgrep -P "$DPID" 2>/dev/null); do taskset -pc "$SERVER_CPU" "$p" >/dev/null 2>&1 || true; done
log "ddnsd pid $DPID on $ADDR:$DNS_PORT (CPU $SERVER_CPU), $NAMES names + pool lb.$ZONE (4 members, round-robin)"

# ---------------------------------------------------------------- query files
awk -v n="$NAMES" -v z="$ZONE" 'BEGIN { srand(7); for (j = 0; j < 100000; j++) printf "h%d.%s A\n", int(rand() * n), z }' >"$WORK/plain.txt"
awk -v z="$ZONE" 'BEGIN { for (j = 0; j < 100000; j++) printf "lb.%s A\n", z }' >"$WORK/pool.txt"

# ---------------------------------------------------------------- runs
cpu_snap() { awk -v c="cpu$1" '$1 == c { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat; }
RUNS=$WORK/runs.tsv
printf 'kind\tround\tqps\tlost\tsrv_busy\tus_per_query\trcodes\n' >"$RUNS"
log "$ROUNDS rounds x ${T}s, dnsperf $DNSPERF_OPTS on CPU $CLIENT_CPU"
for (( r = 1; r <= ROUNDS; r++ )); do
	for kind in plain pool; do
		kill -0 "$DPID" 2>/dev/null || die "ddnsd died"
		out=$WORK/dnsperf.$kind.$r.out
		# shellcheck disable=SC2086
		timeout $((T + 30)) taskset -c "$CLIENT_CPU" dnsperf -s "$ADDR" -p "$DNS_PORT" \
			-d "$WORK/$kind.txt" -l "$T" $DNSPERF_OPTS >"$out" 2>&1 &
		cpid=$!
		(( T >= 4 )) && sleep 1
		read -r b0 t0 < <(cpu_snap "$SERVER_CPU")
		sleep $(( T >= 4 ? T - 2 : T ))
		read -r b1 t1 < <(cpu_snap "$SERVER_CPU")
		wait "$cpid" || true
		qps=$(awk '/Queries per second:/ { print $4 }' "$out")
		lost=$(awk '/Queries lost:/ { print $3 }' "$out")
		codes=$(sed -n 's/.*Response codes: *//p' "$out" | head -n 1)
		line=$(awk -v b0="$b0" -v t0="$t0" -v b1="$b1" -v t1="$t1" -v q="${qps:-0}" 'BEGIN {
			busy = (t1 > t0) ? (b1 - b0) / (t1 - t0) : 0
			printf "%.3f\t%.2f", busy, (q > 0 ? busy * 1e6 / q : 0) }')
		printf '%s\t%d\t%s\t%s\t%s\t%s\n' "$kind" "$r" "${qps:-0}" "${lost:-?}" "$line" "$codes" >>"$RUNS"
		log "round $r $kind: ${qps:-?} qps, lost ${lost:-?}, server core busy $(cut -f1 <<<"$line"), $(cut -f2 <<<"$line") us/query, $codes"
		sleep 1
	done
done

# ---------------------------------------------------------------- summary
SUM=$WORK/summary.md
{
	echo "## pool-bench.sh: bench.test. $NAMES plain A names vs round-robin pool of 4, ${ROUNDS}x${T}s, dnsperf '$DNSPERF_OPTS', ddnsd on CPU $SERVER_CPU (1 DNS worker), dnsperf on CPU $CLIENT_CPU, $(uname -r)"
	echo
	echo "| query file | QPS median | min-max | lost | server core busy % | CPU us/query median | response codes (round 1) |"
	echo "|---|---:|---:|---:|---:|---:|---|"
	awk -F'\t' '
		function med(a, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
		NR > 1 { k = ++n[$1]; q[$1, k] = $3; lost[$1] += $4; b[$1, k] = $5; u[$1, k] = $6; if (k == 1) rc[$1] = $7 }
		END {
			split("plain pool", K, " ")
			for (x = 1; x <= 2; x++) { p = K[x]; k = n[p]; if (!k) continue
				mn = 1e18; mx = 0
				for (j = 1; j <= k; j++) { a[j] = q[p, j]; if (a[j] < mn) mn = a[j]; if (a[j] > mx) mx = a[j] }
				MQ[p] = med(a, k)
				for (j = 1; j <= k; j++) a[j] = b[p, j]; MB[p] = med(a, k)
				for (j = 1; j <= k; j++) a[j] = u[p, j]; MU[p] = med(a, k)
				printf "| %s | %.0f | %.0f-%.0f | %d | %.0f | %.2f | %s |\n", p, MQ[p], mn, mx, lost[p], 100 * MB[p], MU[p], rc[p] }
			printf "\npool/plain: QPS %.2f, CPU per query %.2f\n", MQ["plain"] ? MQ["pool"] / MQ["plain"] : 0, MU["plain"] ? MU["pool"] / MU["plain"] : 0 }' "$RUNS"
	echo
	echo "server core busy % = busy share of CPU $SERVER_CPU in /proc/stat over the middle of each run (includes loopback softirq);"
	echo "CPU us/query = that share / QPS. A server core below ~95% busy means dnsperf, not ddnsd, was the limit."
} >"$SUM"
cat "$SUM"
[[ -n $SUMMARY_OUT ]] && cp "$SUM" "$SUMMARY_OUT"
exit 0
