#!/usr/bin/env bash
# soak.sh - ten minutes of queries, updates, transfers and reloads at once,
# with the resident memory of every ddnsd process sampled every 10 s: the
# curve should be flat at the end.  Prints a markdown report: per process
# role, the first sample, the sample after the warm-up (60 s), the last and
# the largest, and the load each part carried.
#
# A process a reload replaces starts again from its first footprint: its
# "last" is then the new process's.  Load, all bounded by the duration and
# stopping by itself (a failed request is counted, never fatal):
#   queries    dnsperf at QPS (5,000) queries a second, random existing names
#              (A, some AAAA and TXT) and 10% NXDOMAIN, with EDNS cookies
#   updates    POST /update of a random existing name, about 100 a second
#   transfers  every 5 s an AXFR and an IXFR from the serial 20 back (TCP)
#   reloads    SIGHUP to the master every 30 s
#
# Usage: bench/soak.sh [-d SECONDS] [-n NAMES]   (defaults 600, 20000)
# Env: QPS (5000).  Needs dnsperf, dig, curl, python3, sqlite3.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DUR=600; N=20000; QPS=${QPS:-5000}
while getopts "d:n:h" opt; do
	case $opt in
	d) DUR=$OPTARG ;; n) N=$OPTARG ;;
	h) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
	*) exit 2 ;;
	esac
done
ZONE=soak.test
TOKEN=soak-token
log() { printf '[soak %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
for tool in dnsperf dig curl python3 sqlite3; do
	command -v "$tool" >/dev/null || die "missing tool: $tool (tools/deps.sh --bench)"
done
[[ -x $ROOT/bin/ddnsd ]] || die "bin/ddnsd not built (make)"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/soak.XXXXXX")
PID=
BG=()
cleanup() {
	for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; done
	[[ -n $PID ]] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
read -r DNSP HTTPP < <(python3 "$ROOT/tests/system/ports.py" 2) || die "no free ports"

awk -v n="$N" -v z="$ZONE" -v cf="$WORK/zone.csv" -v qf="$WORK/q.txt" 'BEGIN {
	srand(20261208); print "name,type,value,ttl" > cf
	for (i = 0; i < n; i++) {
		printf "h%d.%s,A,10.%d.%d.%d,300\n", i, z, int(i / 65536) % 256, int(i / 256) % 256, i % 256 > cf
		if (i % 4 == 0) printf "h%d.%s,AAAA,2001:db8::%x,300\n", i, z, i > cf
		if (i % 100 == 0) printf "h%d.%s,TXT,v=soak %d,300\n", i, z, i > cf }
	for (j = 0; j < 100000; j++) { x = rand()
		if (x < 0.1) printf "nx%d.%s A\n", j, z > qf
		else printf "h%d.%s A\n", int(rand() * n), z > qf } }'
env BENCH_DIR="$WORK" ZONE_NAME=$ZONE ZONE_CSV="$WORK/zone.csv" BENCH_WORKERS=2 \
	PROJECT_DNS_PORT="$DNSP" PROJECT_HTTP_PORT="$HTTPP" DDNSD_MASTER_TOKEN=$TOKEN \
	BENCH_LOG_LEVEL=info "$ROOT/bench/bench-config.sh" >"$WORK/setup.log" 2>&1 ||
	die "bench-config.sh failed: $(tail -n 3 "$WORK/setup.log")"
# transfers from loopback; the load comes from one address: no RRL
sed -i -e "s|^    ttl: 300\$|    ttl: 300\n    transfer: { allow: [127.0.0.1] }|" \
	-e "s|^  rrl: .*|  rrl: { exempt: [\"127.0.0.0/8\"] }|" "$WORK/ddnsd.yaml"
"$ROOT/bin/ddnsd" -c "$WORK/ddnsd.yaml" >"$WORK/ddnsd.log" 2>&1 </dev/null &
PID=$!
for _ in $(seq 300); do
	[[ $(dig +tries=1 +time=1 +short -p "$DNSP" @127.0.0.1 "h1.$ZONE" A 2>/dev/null) == 10.0.0.1 ]] && break
	sleep 0.2
done
[[ $(dig +tries=1 +time=1 +short -p "$DNSP" @127.0.0.1 "h1.$ZONE" A) == 10.0.0.1 ]] ||
	die "ddnsd did not answer: $(tail -n 5 "$WORK/ddnsd.log")"
T0=$(date +%s)
END=$((T0 + DUR))
left() { (( $(date +%s) < END )); }

# ---- the load
timeout $((DUR + 30)) dnsperf -s 127.0.0.1 -p "$DNSP" -d "$WORK/q.txt" -l "$DUR" -Q "$QPS" -c 8 \
	-E 10:0102030405060708 >"$WORK/dnsperf.out" 2>&1 &
BG+=($!)
( ok=0; bad=0
  while left; do
	i=$((RANDOM * 32768 + RANDOM))
	code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
		-d "{\"subdomain\":\"h$((i % N))\",\"ip\":\"100.$((i % 64 + 64)).$((i / 64 % 256)).$((i % 250 + 1))\"}" \
		"http://127.0.0.1:$HTTPP/update" || true)
	if [[ $code == 2* ]]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
	sleep 0.01
  done; echo "$ok $bad" >"$WORK/updates.count" ) &
BG+=($!)
( axfr=0 ixfr=0 bad=0
  while left; do
	s=$(dig +short +tries=1 +time=2 -p "$DNSP" @127.0.0.1 "$ZONE" SOA | awk '{ print $3 }' || true)
	n=$(dig +tcp +tries=1 +time=10 -p "$DNSP" @127.0.0.1 "$ZONE" AXFR | grep -c "IN[[:space:]]" || true)
	if (( n > N )); then axfr=$((axfr + 1)); else bad=$((bad + 1)); fi
	if [[ -n $s ]] && (( s > 20 )); then
		if dig +tcp +tries=1 +time=10 -p "$DNSP" @127.0.0.1 "$ZONE" IXFR=$((s - 20)) |
			grep -q "SOA"; then ixfr=$((ixfr + 1)); else bad=$((bad + 1)); fi
	fi
	sleep 5
  done; echo "$axfr $ixfr $bad" >"$WORK/xfr.count" ) &
BG+=($!)
( n=0; while left; do sleep 30; if left && kill -HUP "$PID"; then n=$((n + 1)); fi; done
  echo "$n" >"$WORK/reload.count" ) &
BG+=($!)

# ---- RSS of every process, by role, every 10 s
sample() {
	local t=$1 p c r
	for p in "$PID" $(ps -o pid= --ppid "$PID"); do
		c=$(cat "/proc/$p/comm" 2>/dev/null) || continue
		r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
		printf '%s\t%s\t%s\n' "$t" "$c" "$r" >>"$WORK/rss.tsv"
	done
}
: >"$WORK/rss.tsv"
while left; do
	sample $(( $(date +%s) - T0 ))
	sleep 10
done
sample $(( $(date +%s) - T0 ))
for p in "${BG[@]}"; do wait "$p" 2>/dev/null || true; done
BG=()
kill -0 "$PID" 2>/dev/null || die "ddnsd died during the soak: $(tail -n 5 "$WORK/ddnsd.log")"

echo "## Soak (bench/soak.sh): $((DUR / 60)) min of queries, updates, transfers and reloads"
echo
echo "$(date -u +%F), $(nproc) CPUs, $N names, 2 DNS workers; resident memory (VmRSS, KiB) of each process by role,"
echo "sampled every 10 s."
echo
echo "| process | first (0 s) | after warm-up (60 s) | last ($DUR s) | largest | last / warm-up |"
echo "|---|---:|---:|---:|---:|---:|"
awk -F'\t' '{ if (!($2 in first)) { first[$2] = $3; order[n++] = $2 }
	if ($1 >= 60 && !($2 in warm)) warm[$2] = $3
	last[$2] = $3; if ($3 > mx[$2]) mx[$2] = $3 }
	END { for (i = 0; i < n; i++) { k = order[i]; w = (k in warm) ? warm[k] : first[k]
		printf "| %s | %d | %d | %d | %d | %.3f |\n", k, first[k], w, last[k], mx[k], last[k] / w } }' "$WORK/rss.tsv"
echo
read -r uok ubad <"$WORK/updates.count" || true
read -r ax ix xbad <"$WORK/xfr.count" || true
read -r rl <"$WORK/reload.count" || true
q=$(awk '/Queries completed:/ { print $3 }' "$WORK/dnsperf.out")
ql=$(awk '/Queries lost:/ { print $3 }' "$WORK/dnsperf.out")
echo "Load carried: ${q:-?} queries answered (${ql:-?} lost), ${uok:-?} updates (2xx; ${ubad:-?} not),"
echo "${ax:-?} AXFRs and ${ix:-?} IXFRs (${xbad:-?} failed), ${rl:-?} reloads."
