#!/usr/bin/env bash
# abuse-bench.sh - what response-rate limiting and DNS cookies cost a DNS
# worker, as ratios in one run.  Prints a markdown report.
#
# One zone of N names (A for all), one bin/ddnsd with one DNS worker pinned
# to CPU $SERVER_CPU, dnsperf ($DNSPERF_OPTS) on CPU $CLIENT_CPU asking
# random existing names.  R rounds of four T-second runs, the daemon
# restarted for each:
#   off      dns.rrl.responses_per_second 0, dns.cookies.enabled false
#   rrl      every reply counted (rate 10,000 a second per name and prefix:
#            accounted, never reached, so every query costs the full check)
#   rrl+new  the same, and every query carries a client cookie (dnsperf -E):
#            each reply makes a server cookie (SipHash-2-4)
#   valid    cookies on, every query carries a valid server cookie (fetched
#            for 127.0.0.1 first): checked (SipHash-2-4), and exempt from RRL
#   rrl-nofilter  as rrl with sandbox.seccomp off: rrl / rrl-nofilter is what
#            the seccomp filters (the master's and the worker's) cost a query
# Per run: the DNS worker's utime + stime per query it answered, over the
# middle of the run.
#
# Usage: bench/abuse-bench.sh [-n N] [-t T] [-r R]   (defaults 100000, 10, 3)
# Env: DNSPERF_OPTS ("-c 16 -q 256"), SERVER_CPU (0), CLIENT_CPU (1).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=100000; T=10; R=3
while getopts "n:t:r:h" opt; do
	case $opt in
	n) N=$OPTARG ;; t) T=$OPTARG ;; r) R=$OPTARG ;;
	h) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
	*) exit 2 ;;
	esac
done
(( T >= 4 )) || T=4
DNSPERF_OPTS=${DNSPERF_OPTS:--c 16 -q 256}
SERVER_CPU=${SERVER_CPU:-0}; CLIENT_CPU=${CLIENT_CPU:-1}
HZ=$(getconf CLK_TCK)
ZONE=bench.test
log() { printf '[abuse-bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
for tool in dnsperf sqlite3 taskset python3 curl dig; do
	command -v "$tool" >/dev/null || die "missing tool: $tool (tools/deps.sh --bench)"
done
[[ -x $ROOT/bin/ddnsd ]] || die "bin/ddnsd not built (make)"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/abuse-bench.XXXXXX")
PID=
cleanup() { [[ -n $PID ]] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
read -r DNSP HTTPP < <(python3 "$ROOT/tests/system/ports.py" 2) || die "no free ports"

awk -v n="$N" -v z="$ZONE" -v cf="$WORK/zone.csv" -v qf="$WORK/q.txt" 'BEGIN {
	srand(20261208); print "name,type,value,ttl" > cf
	for (i = 0; i < n; i++) printf "h%d.%s,A,10.%d.%d.%d,300\n", i, z, int(i / 65536) % 256, int(i / 256) % 256, i % 256 > cf
	for (j = 0; j < 200000; j++) printf "h%d.%s A\n", int(rand() * n), z > qf }'

# start_run RRL_RATE COOKIES [SECCOMP]: a fresh daemon with that dns.rrl rate,
# dns.cookies.enabled and sandbox.seccomp (default kill)
start_run() {
	env BENCH_DIR="$WORK" ZONE_NAME=$ZONE ZONE_CSV="$WORK/zone.csv" BENCH_WORKERS=1 \
		PROJECT_DNS_PORT="$DNSP" PROJECT_HTTP_PORT="$HTTPP" "$ROOT/bench/bench-config.sh" \
		>"$WORK/setup.log" 2>&1 || die "bench-config.sh failed: $(tail -n 3 "$WORK/setup.log")"
	sed -i "s|^  rrl: .*|  rrl: { responses_per_second: $1, exempt: [] }\n  cookies: { enabled: $2 }|" \
		"$WORK/ddnsd.yaml"
	printf 'sandbox: { seccomp: %s }\n' "${3:-kill}" >>"$WORK/ddnsd.yaml"
	setsid taskset -c "$SERVER_CPU" "$ROOT/bin/ddnsd" -c "$WORK/ddnsd.yaml" >"$WORK/ddnsd.log" 2>&1 </dev/null &
	PID=$!
	for _ in $(seq 300); do
		[[ $(dig +tries=1 +time=1 +short -p "$DNSP" @127.0.0.1 "h1.$ZONE" A 2>/dev/null) == 10.0.0.1 ]] && return 0
		sleep 0.2
	done
	die "ddnsd did not answer: $(tail -n 5 "$WORK/ddnsd.log")"
}
stop_run() { kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=; }
worker() { ps -o pid=,comm= --ppid "$PID" | awk '$2 ~ /^ddnsd-dns/ { print $1; exit }'; }
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
queries() { curl -s -m 5 "http://127.0.0.1:$HTTPP/metrics" |
	awk 'index($1, "ddnsd_dns_queries_total") == 1 { s += $2 } END { printf "%d\n", s }'; }

RUNS=$WORK/runs.tsv; : >"$RUNS"
for (( r = 1; r <= R; r++ )); do
	for run in off rrl rrl+new valid rrl-nofilter; do
		case $run in
		off) start_run 0 false; extra=() ;;
		rrl) start_run 10000 false; extra=() ;;
		rrl+new) start_run 10000 true; extra=(-E 10:0102030405060708) ;;
		rrl-nofilter) start_run 10000 false off; extra=() ;;
		valid) start_run 10000 true
			c=$(dig +cookie=0102030405060708 +tries=1 +time=2 -p "$DNSP" @127.0.0.1 "h1.$ZONE" A |
				sed -n 's/^; COOKIE: \([0-9a-f]*\).*/\1/p')
			[[ ${#c} == 48 ]] || die "no server cookie from the daemon"
			extra=(-E "10:$c") ;;
		esac
		w=$(worker)
		# shellcheck disable=SC2086
		timeout $((T + 20)) taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$DNSP" -d "$WORK/q.txt" \
			-l "$T" $DNSPERF_OPTS "${extra[@]}" >"$WORK/$run.$r.out" 2>&1 &
		cq=$!
		sleep 1; q0=$(queries); d0=$(ticks "$w")
		sleep $((T - 2)); q1=$(queries); d1=$(ticks "$w")
		wait "$cq" || true
		lost=$(awk '/Queries lost:/ { print $3 }' "$WORK/$run.$r.out")
		awk -v k="$run" -v q=$((q1 - q0)) -v d=$((d1 - d0)) -v hz="$HZ" -v lost="${lost:-?}" \
			'BEGIN { printf "%s\t%.3f\t%s\n", k, (q ? d * 1e6 / hz / q : 0), lost }' >>"$RUNS"
		log "round $r $run: $(tail -n 1 "$RUNS" | cut -f2-) (µs/query, lost)"
		stop_run
	done
done

med() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' "$RUNS" | sort -n |
	awk '{ v[NR] = $1 } END { if (!NR) print "-"; else print v[int((NR + 1) / 2)] }'; }
off=$(med off)
ratio() { awk -v a="$1" -v b="$off" 'BEGIN { if (a == "-" || b + 0 == 0) print "-"; else printf "%.3f", a / b }'; }
echo "## Abuse resistance: what RRL and DNS cookies cost (bench/abuse-bench.sh)"
echo
echo "$(date -u +%F), $(nproc) CPUs, one DNS worker on CPU $SERVER_CPU, dnsperf $DNSPERF_OPTS on CPU $CLIENT_CPU;"
echo "N=$N names, R=$R rounds of T=${T}s, medians of the DNS worker's CPU per query."
echo
echo "| run | µs/query | / off | goal |"
echo "|---|---:|---:|---:|"
for run in off rrl rrl+new valid; do
	printf '| %s | %s | %s | %s |\n' "$run" "$(med "$run")" "$(ratio "$(med "$run")")" \
		"$([[ $run == off ]] && echo || echo "≤ 1.05")"
done
echo
nf=$(med rrl-nofilter)
echo "The seccomp filters: rrl (filters on) / rrl-nofilter (sandbox.seccomp off) = \
$(awk -v a="$(med rrl)" -v b="$nf" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.3f", a / b }') \
($nf µs/query without)."
