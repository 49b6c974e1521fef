#!/usr/bin/env bash
# mixed-worker.sh - what a stream of updates costs the query path, split by
# process.
#
# Starts bin/ddnsd (bench/bench-config.sh: one DNS worker, TSIG key
# update-key) on NAMES names, every process pinned to CPU $SERVER_CPU, and
# for each RATE in 0 and $RATES runs dnsperf queries (-c 16 -q 256) beside a
# `dnsperf -u -Q RATE` stream of TSIG-signed UPDATEs (one A RRset replaced
# each), both on CPU $CLIENT_CPU, T seconds, ROUNDS rounds.  Over the middle
# of each run it reads: answered queries and committed updates
# (/metrics), the server core's busy time (/proc/stat), and the CPU time of
# the DNS worker and of the writer process (/proc/PID/stat).  Prints medians:
# server-core µs per query (what updates.sh's "mixed" reports: it includes
# the writer's work, on the same core here), the DNS worker's own µs per
# query (the query path: updates reach it only through the shared table),
# and the writer's µs per update.
#
# Usage (from the project root, after make): bench/mixed-worker.sh [-t T] [-r ROUNDS] [-n NAMES]
# Env: RATES ("1000 5000"), DNSPERF_OPTS ("-c 16 -q 256"), DNSPERF_U_OPTS
#      ("-c 4 -q 64"), SERVER_CPU (0), CLIENT_CPU (1), MAX_SECONDS.
# Needs: dnsperf, curl, sqlite3, taskset, python3, dig; two CPUs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T=${T:-10}; ROUNDS=${ROUNDS:-3}; NAMES=${NAMES:-20000}
while getopts "t:r:n:h" opt; do
	case $opt in
	t) T=$OPTARG ;; r) ROUNDS=$OPTARG ;; n) NAMES=$OPTARG ;;
	h) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d'; exit 0 ;;
	*) exit 2 ;;
	esac
done
(( T >= 4 )) || T=4
RATES=${RATES:-1000 5000}
DNSPERF_OPTS=${DNSPERF_OPTS:--c 16 -q 256}
DNSPERF_U_OPTS=${DNSPERF_U_OPTS:--c 4 -q 64}
SERVER_CPU=${SERVER_CPU:-0}; CLIENT_CPU=${CLIENT_CPU:-1}
MAX_SECONDS=${MAX_SECONDS:-$((120 + ROUNDS * 3 * (T + 5)))}
if [[ -z ${MIXED_BOUNDED:-} ]]; then
	export MIXED_BOUNDED=$MAX_SECONDS
	exec timeout -k 10 "$MAX_SECONDS" "${BASH_SOURCE[0]}" "$@"
fi
log() { printf '[mixed-worker %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
for tool in dnsperf curl sqlite3 taskset python3 dig; do
	command -v "$tool" >/dev/null || die "missing tool: $tool"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mixed-worker.XXXXXX")
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
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'log "interrupted (or MAX_SECONDS reached)"; exit 130' INT TERM HUP

ZONE=bench.test
export BENCH_DIR=$WORK ZONE_NAME=$ZONE ZONE_CSV=$WORK/zone.csv BENCH_WORKERS=1
export TSIG_SECRET; TSIG_SECRET=$(head -c 32 /dev/urandom | base64)
read -r PROJECT_DNS_PORT PROJECT_HTTP_PORT < <(python3 "$ROOT/tests/system/ports.py" 2) || die "no free ports"
export PROJECT_DNS_PORT PROJECT_HTTP_PORT
awk -v n="$NAMES" -v z="$ZONE" -v cf="$ZONE_CSV" -v qf="$WORK/q.txt" -v uf="$WORK/u.txt" '
function lab(i) { return w[i % 8 + 1] int(i / 8) }
BEGIN { srand(20240601); split("home nas cam vpn pi office router nuc", w, " ")
	print "name,type,value,ttl" > cf
	for (i = 0; i < n; i++) printf "%s.%s,A,10.%d.%d.%d,300\n", lab(i), z, int(i / 65536) % 256, int(i / 256) % 256, i % 256 > cf
	for (j = 0; j < 200000; j++) printf "%s.%s A\n", lab(int(rand() * n)), z > qf
	for (j = 0; j < 400000; j++) { l = lab(int(rand() * n))
		printf "%s\ndelete %s A\nadd %s 300 A 100.%d.%d.%d\nsend\n", z, l, l, 64 + int(rand() * 64), int(rand() * 256), 1 + int(rand() * 254) > uf } }'
"$ROOT/bench/bench-config.sh" >/dev/null 2>&1 || die "bench-config.sh failed"
setsid taskset -c "$SERVER_CPU" "$ROOT/bin/ddnsd" -c "$WORK/ddnsd.yaml" >"$WORK/ddnsd.log" 2>&1 </dev/null &
DPID=$!
for _ in $(seq 100); do
	[[ $(dig +tries=1 +time=1 +short -p "$PROJECT_DNS_PORT" @127.0.0.1 "home0.$ZONE" A 2>/dev/null) == 10.0.0.0 ]] && break
	sleep 0.1
done
kids=$(pgrep -P "$DPID" -f . || true)
DNSW=; WRITER=
for p in $kids; do
	case $(cat "/proc/$p/comm" 2>/dev/null) in
	ddnsd-dns*) DNSW=$p ;; ddnsd-http) WRITER=$p ;;
	esac
done
[[ -n $DNSW && -n $WRITER ]] || die "DNS worker or writer not found"

metric() { curl -s -m 5 "http://127.0.0.1:$PROJECT_HTTP_PORT/metrics" |
	awk -v m="$1" 'index($1, m) == 1 { s += $2 } END { printf "%d\n", s }'; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
cpu_busy() { awk -v c="cpu$SERVER_CPU" '$1 == c { print $2+$3+$4+$7+$8+$9 }' /proc/stat; }
HZ=$(getconf CLK_TCK)
RUNS=$WORK/runs
: >"$RUNS"
for (( r = 1; r <= ROUNDS; r++ )); do
	for rate in 0 $RATES; do
		# shellcheck disable=SC2086
		timeout $((T + 20)) taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$PROJECT_DNS_PORT" \
			-d "$WORK/q.txt" -l "$T" $DNSPERF_OPTS >"$WORK/q.out" 2>&1 &
		cq=$!; cu=
		if (( rate > 0 )); then
			# shellcheck disable=SC2086
			timeout $((T + 20)) taskset -c "$CLIENT_CPU" dnsperf -u -s 127.0.0.1 -p "$PROJECT_DNS_PORT" \
				-d "$WORK/u.txt" -l "$T" -Q "$rate" $DNSPERF_U_OPTS \
				-y "hmac-sha256:update-key:$TSIG_SECRET" >"$WORK/u.out" 2>&1 &
			cu=$!
		fi
		sleep 1
		q0=$(metric ddnsd_dns_queries_total); u0=$(metric 'ddnsd_updates_total{source="rfc2136"}')
		b0=$(cpu_busy); d0=$(ticks "$DNSW"); w0=$(ticks "$WRITER"); t0=$(date +%s.%N)
		sleep $((T - 2))
		q1=$(metric ddnsd_dns_queries_total); u1=$(metric 'ddnsd_updates_total{source="rfc2136"}')
		b1=$(cpu_busy); d1=$(ticks "$DNSW"); w1=$(ticks "$WRITER"); t1=$(date +%s.%N)
		wait "$cq" || true; [[ -n $cu ]] && { wait "$cu" || true; }
		awk -v rate="$rate" -v q=$((q1 - q0)) -v u=$((u1 - u0)) -v b=$((b1 - b0)) -v d=$((d1 - d0)) \
			-v w=$((w1 - w0)) -v hz="$HZ" -v t0="$t0" -v t1="$t1" 'BEGIN {
			s = t1 - t0; us = 1e6 / hz
			printf "%s %.0f %.0f %.2f %.2f %.1f\n", rate, q / s, u / s, (q ? b * us / q : 0),
				(q ? d * us / q : 0), (u ? w * us / u : 0) }' >>"$RUNS"
		log "round $r +$rate upd/s: $(tail -n 1 "$RUNS")"
		sleep 1
	done
done

echo "## queries beside a stream of RFC 2136 UPDATEs, by process ($NAMES names, ${ROUNDS}x${T}s, medians)"
echo
echo "| UPDATEs asked/s | QPS | UPDATEs done/s | server core µs/query | vs idle | DNS worker µs/query | vs idle | writer µs/update |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for rate in 0 $RATES; do
	awk -v rate="$rate" '$1 == rate' "$RUNS" | sort -k4,4n | awk -v n="$ROUNDS" '
		{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'
done | awk '
	NR == 1 { c0 = $4; d0 = $5 }
	{ printf "| %d | %d | %d | %.2f | %.2f | %.2f | %.2f | %s |\n", $1, $2, $3, $4, (c0 ? $4 / c0 : 0),
		$5, (d0 ? $5 / d0 : 0), ($1 > 0 ? sprintf("%.1f", $6) : "-") }'
echo
echo "server core = busy time of CPU $SERVER_CPU (every ddnsd process and the loopback softirq);"
echo "DNS worker = that process's own CPU time (utime + stime) per answered query; medians by server-core cost."
