#!/usr/bin/env bash
# syscalls.sh - system calls per answered query on the DNS worker, per UDP path.
#
# For each path (io_uring, recvmmsg: dns.io), starts bin/ddnsd on 127.0.0.1
# (random free ports, one DNS worker, NAMES one-A names, pinned to CPU
# $SERVER_CPU), drives it with dnsperf pinned to CPU $CLIENT_CPU for T
# seconds, and over the middle T-2 seconds counts the DNS worker's system
# calls (perf stat -e raw_syscalls:sys_enter, a kernel tracepoint: no
# ptrace, so batching is not disturbed) and the queries it answered
# (ddnsd_dns_queries_total from /metrics).  Prints a markdown table:
# syscalls per query, queries per io_uring_enter or per recvmmsg batch, and
# the split by syscall (strace -c for a further 2 s, for names only).
#
# Usage (from the project root, after make): bench/syscalls.sh [-t SECONDS] [-n NAMES]
# Env: T (8), NAMES (10000), DNSPERF_OPTS ("-c 16 -q 256"), SERVER_CPU (0),
#      CLIENT_CPU (1), DDNSD_BIN (bin/ddnsd), MAX_SECONDS.
# Needs: dnsperf, perf, strace, dig, curl, sqlite3, taskset, python3; two CPUs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T=${T:-8}; NAMES=${NAMES:-10000}
while getopts "t:n:h" opt; do
	case $opt in
	t) T=$OPTARG ;; n) NAMES=$OPTARG ;;
	h) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d'; exit 0 ;;
	*) exit 2 ;;
	esac
done
(( T >= 4 )) || T=4
DNSPERF_OPTS=${DNSPERF_OPTS:--c 16 -q 256}
SERVER_CPU=${SERVER_CPU:-0}; CLIENT_CPU=${CLIENT_CPU:-1}
DDNSD_BIN=${DDNSD_BIN:-$ROOT/bin/ddnsd}
MAX_SECONDS=${MAX_SECONDS:-$((120 + 2 * (T + 20)))}
if [[ -z ${SYSCALLS_BOUNDED:-} ]]; then
	export SYSCALLS_BOUNDED=$MAX_SECONDS
	exec timeout -k 10 "$MAX_SECONDS" "${BASH_SOURCE[0]}" "$@"
fi
log() { printf '[syscalls %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
for tool in dnsperf perf strace dig curl sqlite3 taskset python3; do
	command -v "$tool" >/dev/null || die "missing tool: $tool"
done
[[ -x $DDNSD_BIN ]] || die "$DDNSD_BIN not built (run make)"

ADDR=127.0.0.1
ZONE=bench.test
WORK=$(mktemp -d "${TMPDIR:-/tmp}/syscalls-bench.XXXXXX")
DPID=
stop() {
	local i
	if [[ -n $DPID ]] && kill -0 "$DPID" 2>/dev/null; then
		kill -TERM "$DPID"
		for i in $(seq 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$DPID" 2>/dev/null || true
		wait "$DPID" 2>/dev/null || true
	fi
	DPID=
}
cleanup() { local rc=$?; set +e; stop; rm -rf "$WORK"; exit $rc; }
trap cleanup EXIT
trap 'log "interrupted (or MAX_SECONDS reached)"; exit 130' INT TERM HUP

awk -v n="$NAMES" -v z="$ZONE" 'BEGIN { srand(11); for (j = 0; j < 200000; j++) printf "h%d.%s A\n", int(rand() * n), z }' >"$WORK/q.txt"
queries() {
	curl -s -m 5 "http://$ADDR:$HTTP_PORT/metrics" |
		awk '$1 ~ /^ddnsd_dns_queries_total\{/ { s += $2 } END { printf "%d\n", s }'
}

run_path() {
	local io=$1 dp before after sc out
	read -r DNS_PORT HTTP_PORT < <(python3 "$ROOT/tests/system/ports.py" 2) || die "no free ports"
	# the same config and database as peers.sh's runs (bench/bench-config.sh)
	awk -v n="$NAMES" -v z="$ZONE" 'BEGIN { print "name,type,value,ttl"
		for (i = 0; i < n; i++) printf "h%d.%s,A,10.0.%d.%d,300\n", i, z, int(i / 256) % 256, i % 256 }' \
		>"$WORK/zone.csv"
	BENCH_DIR=$WORK ZONE_NAME=$ZONE ZONE_CSV=$WORK/zone.csv BENCH_WORKERS=1 DDNSD_IO=$io \
		PROJECT_DNS_PORT=$DNS_PORT PROJECT_HTTP_PORT=$HTTP_PORT \
		"$ROOT/bench/bench-config.sh" >/dev/null 2>&1 || die "bench-config.sh failed"
	setsid taskset -c "$SERVER_CPU" "$DDNSD_BIN" -c "$WORK/ddnsd.yaml" >"$WORK/ddnsd.$io.log" 2>&1 </dev/null &
	DPID=$!
	for _ in $(seq 100); do
		[[ $(dig +tries=1 +time=1 +short -p "$DNS_PORT" @"$ADDR" "h0.$ZONE" A 2>/dev/null) == 10.0.0.0 ]] && break
		sleep 0.1
	done
	dp=$(pgrep -P "$DPID" -f . | head -n 1)
	[[ $(cat "/proc/$dp/comm" 2>/dev/null) == ddnsd-dns* ]] || die "no DNS worker found ($io)"
	# shellcheck disable=SC2086
	taskset -c "$CLIENT_CPU" dnsperf -s "$ADDR" -p "$DNS_PORT" -d "$WORK/q.txt" -l "$((T + 3))" \
		$DNSPERF_OPTS >"$WORK/dnsperf.$io.out" 2>&1 &
	local cpid=$!
	sleep 1
	before=$(queries)
	perf stat -x, -e raw_syscalls:sys_enter -p "$dp" -- sleep "$((T - 2))" 2>"$WORK/perf.$io.out" >/dev/null
	after=$(queries)
	sc=$(awk -F, '/raw_syscalls:sys_enter/ { print $1; exit }' "$WORK/perf.$io.out")
	timeout 2 strace -c -f -p "$dp" -o "$WORK/strace.$io.out" >/dev/null 2>&1 || true
	wait "$cpid" || true
	stop
	out=$(awk -v s="$sc" -v q="$((after - before))" -v io="$io" 'BEGIN {
		printf "| %s | %d | %d | %.3f |", io, q, s, (q > 0 ? s / q : 0) }')
	local split
	split=$(awk 'NR > 2 && $NF != "total" && $1 ~ /^[0-9.]+$/ { printf "%s%s %s", sep, $(NF), $4; sep = ", " }' \
		"$WORK/strace.$io.out" | head -c 300)
	echo "$out $split |"
}

echo "## system calls per answered query (DNS worker, $NAMES names, dnsperf $DNSPERF_OPTS)"
echo
echo "| path | queries answered | syscalls | syscalls per query | calls by name (strace -c, 2 s) |"
echo "|---|---:|---:|---:|---|"
for io in io_uring recvmmsg; do
	run_path "$io"
done
echo
echo "Counted with perf stat -e raw_syscalls:sys_enter on the DNS worker over $((T - 2)) s of load;"
echo "queries from ddnsd_dns_queries_total over the same window."
