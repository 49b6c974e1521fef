#!/usr/bin/env bash
# dnssec-bench.sh - what online DNSSEC signing costs ddnsd, as ratios measured
# in one run, with the raw figures beside them.  Prints a markdown report.
#
#   query   one zone of N names (A for all, AAAA for one in 4, TXT for one in
#           100: the generator of ../shared/bench/updates.sh), served by two
#           bin/ddnsd at once, unsigned and signed (bench/bench-config.sh,
#           BENCH_DNSSEC=1), each with one DNS worker, all pinned to CPU
#           $SERVER_CPU; dnsperf on CPU $CLIENT_CPU, a query file of 90%
#           existing names (A, or AAAA of a name that has one) and 10%
#           NXDOMAIN.  R rounds of four T-second runs: unsigned DO=0, signed
#           DO=0, signed DO=1 (EDNS in all, dnsperf -e vs -D, so only the DO
#           bit differs), and DO=1 against a third ddnsd whose copy of the
#           zone is signed with NSEC instead of NSEC3.  Per run: QPS (dnsperf) and the DNS worker's CPU
#           (utime + stime of ddnsd-dns[0], /proc/PID/stat) per answered query
#           (ddnsd_dns_queries_total), both over the middle of the run.
#   update  RFC 2136 UPDATE throughput (dnsperf -u, TSIG hmac-sha256, each
#           UPDATE replaces the A RRset of one existing name, as updates.sh):
#           the two ddnsd above and Knot DNS unsigned and signed (automatic
#           signing, policy ALG, NSEC3 with 0 iterations and no salt), R
#           rounds of T seconds each.  NOERROR updates/s and the server's CPU
#           (its process tree) per update.
#   http    HTTP update throughput: ../shared/bench/updates.sh -s http -p
#           project (wrk, POST /update of a random existing name) on a zone of
#           N names, unsigned and signed, alternating, R runs of each; the
#           signed zone is signed before the run (bench-config.sh
#           BENCH_DNSSEC_PRESIGN), not in the background during it.
#   start   start-up of a zone of M names: the time from starting bin/ddnsd to
#           its log line "ready:", unsigned, signed at the first start (the
#           zone is signed then) and signed at a second start (signatures read
#           from the database); memory per name (the shared table's mapping,
#           resident, and the master's VmRSS) and database bytes per name.
#
# Usage (from the project root, after make; make bench runs it under
# flock /tmp/ddnsd-bench.lock, so it takes no lock itself):
#   bench/dnssec-bench.sh [--quick] [-n N] [-t T] [-r R] [-m M] [-s "SECTIONS"] [-k]
#   --quick   N=20000 M=100000 T=5 R=1
#   -n N      names for query/update/http (100000)          env N
#   -t T      seconds per run (10)                          env T
#   -r R      rounds (3)                                    env R
#   -m M      names for start (1000000)                     env BENCH_DNSSEC_START_N
#   -s        sections, subset of "query update http start" env SECTIONS
#   -k        keep the temp dir
# Env: BENCH_DNSSEC_ALG (ecdsap256sha256 | ed25519; also Knot's policy),
#      DNSPERF_OPTS ("-c 16 -q 256"), DNSPERF_U_OPTS ("-c 4 -q 64": updates in
#      flight, so that group commit has something to group), HTTP_CONNS ("32": bench-config.sh
#      keeps http.max_connections_per_address at its default 32, and wrk's
#      connections past it are closed and reopened, counted as errors),
#      START_TIMEOUT (900: seconds one start may take), SERVER_CPU (0),
#      CLIENT_CPU (1), UPDATES_SH (../shared/bench/updates.sh), MAX_SECONDS.
# Needs: dnsperf, knotd (update), wrk (http), sqlite3, taskset,
#      python3, curl, dig; two CPUs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF=${BASH_SOURCE[0]}
ARGS=("$@")
MODE=default
if [[ ${1:-} == --quick ]]; then
	MODE=quick; shift
	N=${N:-20000}; T=${T:-5}; R=${R:-1}; BENCH_DNSSEC_START_N=${BENCH_DNSSEC_START_N:-100000}
fi
N=${N:-100000}; T=${T:-10}; R=${R:-3}; M=${BENCH_DNSSEC_START_N:-1000000}
SECTIONS=${SECTIONS:-query update http start}; KEEP=0
while getopts "n:t:r:m:s:kh" opt; do
	case $opt in
	n) N=$OPTARG ;; t) T=$OPTARG ;; r) R=$OPTARG ;; m) M=$OPTARG ;; s) SECTIONS=$OPTARG ;;
	k) KEEP=1 ;;
	h) sed -n '2,/^set -euo/p' "$SELF" | sed '$d'; exit 0 ;;
	*) exit 2 ;;
	esac
done
(( T >= 4 )) || T=4
ALG=${BENCH_DNSSEC_ALG:-ecdsap256sha256}
DNSPERF_OPTS=${DNSPERF_OPTS:--c 16 -q 256}
DNSPERF_U_OPTS=${DNSPERF_U_OPTS:--c 4 -q 64}
HTTP_CONNS=${HTTP_CONNS:-32}
START_TIMEOUT=${START_TIMEOUT:-900}
SERVER_CPU=${SERVER_CPU:-0}; CLIENT_CPU=${CLIENT_CPU:-1}
UPDATES_SH=${UPDATES_SH:-$ROOT/../shared/bench/updates.sh}
# every wait below has its own bound; this one covers them all
MAX_SECONDS=${MAX_SECONDS:-$((900 + 3 * START_TIMEOUT + 2 * START_TIMEOUT / 3 + R * (3 + 4 + 2) * (T + 40) + 2 * R * 300))}
if [[ -z ${DNSSEC_BENCH_BOUNDED:-} ]]; then
	export DNSSEC_BENCH_BOUNDED=$MAX_SECONDS
	exec timeout -k 20 "$MAX_SECONDS" "$SELF" "${ARGS[@]}"
fi
has_sec() { [[ " $SECTIONS " == *" $1 "* ]]; }
log() { printf '[dnssec-bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
for tool in dnsperf sqlite3 taskset python3 curl dig awk; do
	command -v "$tool" >/dev/null || die "missing tool: $tool (tools/deps.sh --bench)"
done
[[ -x $ROOT/bin/ddnsd ]] || die "bin/ddnsd not built (make)"
(( $(nproc) >= 2 )) || die "needs two CPUs (server and client pinned apart)"

ADDR=127.0.0.1
ZONE=bench.test
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dnssec-bench.XXXXXX")
declare -A PID DNSP HTTPP DIRS
cleanup() {
	local rc=$? k
	set +e
	for k in "${!PID[@]}"; do stop_server "$k"; done
	if (( KEEP )); then log "kept $WORK"; else rm -rf "$WORK"; fi
	exit $rc
}
trap cleanup EXIT
trap 'log "interrupted (or MAX_SECONDS=${DNSSEC_BENCH_BOUNDED}s reached)"; exit 130' INT TERM HUP

read -r -a PORTS < <(python3 "$ROOT/tests/system/ports.py" 8) || die "no free ports"
(( ${#PORTS[@]} == 8 )) || die "no free ports"
export TSIG_SECRET; TSIG_SECRET=$(head -c 32 /dev/urandom | base64)
TSIG_Y="hmac-sha256:update-key:$TSIG_SECRET"
HZ=$(getconf CLK_TCK)
RUNS=$WORK/runs.tsv; : >"$RUNS"   # section key round metrics...
declare -A SECS                    # section -> wall seconds

# ---------------------------------------------------------------- processes
tree_pids() { local p=$1 c; echo "$p"; for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do tree_pids "$c"; done; }
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
tree_ticks() { local p s=0; for p in $(tree_pids "$1"); do s=$((s + $(ticks "$p"))); done; echo "$s"; }
child_by_comm() { local p; for p in $(ps -o pid= --ppid "$1"); do
	# shellcheck disable=SC2053 # $2 is a pattern
	[[ $(cat "/proc/$p/comm" 2>/dev/null) == $2 ]] && { echo "$p"; return 0; }; done; return 1; }
stop_server() {
	local k=$1 root=${PID[$1]:-} all p i alive
	[[ -n $root ]] || return 0
	all=$(tree_pids "$root" 2>/dev/null || true)
	kill -TERM "$root" 2>/dev/null || true
	for i in $(seq 100); do
		alive=0; for p in $all; do kill -0 "$p" 2>/dev/null && alive=1; done
		(( alive )) || break; sleep 0.1
	done
	for p in $all; do kill -KILL "$p" 2>/dev/null || true; done
	wait "$root" 2>/dev/null || true
	unset "PID[$k]"
	return 0
}
# quiesce KEY: wait (up to 60 s) until the server's processes stop burning CPU
quiesce() { local i a b
	for i in $(seq 120); do
		a=$(tree_ticks "${PID[$1]}"); sleep 0.5; b=$(tree_ticks "${PID[$1]}")
		(( b - a <= 2 )) && return 0
	done
	log "warning: $1 still busy after 60 s"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------- zone
# gen_zone NAMES DIR: DIR/zone.csv (bench-config.sh), DIR/zone.txt (Knot), DIR/q.txt,
# DIR/u.txt; names as updates.sh and update_wrk.lua
gen_zone() {
	awk -v n="$1" -v z="$ZONE" -v cf="$2/zone.csv" -v zf="$2/zone.txt" -v qf="$2/q.txt" \
		-v uf="$2/u.txt" -v full="${3:-1}" '
	function lab(i) { return w[i % 8 + 1] int(i / 8) }
	BEGIN { srand(20240601); split("home nas cam vpn pi office router nuc", w, " ")
		print "name,type,value,ttl" > cf
		if (full) { printf "$ORIGIN %s.\n$TTL 300\n", z > zf
			printf "%s. 3600 IN SOA ns1.%s. hostmaster.%s. 1 3600 600 604800 60\n", z, z, z > zf
			printf "%s. 3600 IN NS ns1.%s.\nns1.%s. 3600 IN A 127.0.0.1\n", z, z, z > zf }
		for (i = 0; i < n; i++) {
			name = lab(i) "." z; a = sprintf("10.%d.%d.%d", int(i / 65536) % 256, int(i / 256) % 256, i % 256)
			printf "%s,A,%s,300\n", name, a > cf; if (full) printf "%s. 300 IN A %s\n", name, a > zf
			if (i % 4 == 0) { v6 = sprintf("2001:db8::%x:%x", int(i / 65536), i % 65536)
				printf "%s,AAAA,%s,300\n", name, v6 > cf; if (full) printf "%s. 300 IN AAAA %s\n", name, v6 > zf }
			if (i % 100 == 0) { txt = "v=ddns1 id=" i
				printf "%s,TXT,%s,300\n", name, txt > cf; if (full) printf "%s. 300 IN TXT \"%s\"\n", name, txt > zf }
		}
		if (!full) exit
		# 90% existing names (A, or AAAA of a name that has one), 10% NXDOMAIN
		for (j = 0; j < 200000; j++) { x = rand()
			if (x < 0.1) printf "nx%d-%d.%s A\n", int(rand() * 1e9), j, z > qf
			else if (x < 0.3) printf "%s.%s AAAA\n", lab(4 * int(rand() * int((n + 3) / 4))), z > qf
			else printf "%s.%s A\n", lab(int(rand() * n)), z > qf }
		for (j = 0; j < 400000; j++) { l = lab(int(rand() * n))
			printf "%s\ndelete %s A\nadd %s 300 A 100.%d.%d.%d\nsend\n", z, l, l, 64 + int(rand() * 64), int(rand() * 256), 1 + int(rand() * 254) > uf } }'
}

# ---------------------------------------------------------------- ddnsd
# log_ready_secs LOG T0: seconds from T0 (epoch) to the "ready:" line's timestamp (UTC time of day)
log_secs() { local line; line=$(grep -m1 "$3" "$1") || return 1
	awk -v l="$line" -v t0="$2" 'BEGIN { split(substr(l, 1, 12), a, ":"); s = a[1] * 3600 + a[2] * 60 + a[3]
		d = s - (t0 % 86400); if (d < -43200) d += 86400; printf "%.2f", d }'; }
# setup_ddnsd KEY DIR CSV SIGNED DNSPORT HTTPPORT: config + database (bench-config.sh)
setup_ddnsd() {
	local k=$1 d=$2
	mkdir -p "$d"
	DIRS[$k]=$d; DNSP[$k]=$5; HTTPP[$k]=$6
	env BENCH_DIR="$d" ZONE_NAME=$ZONE ZONE_CSV="$3" BENCH_WORKERS=1 BENCH_ADDR=$ADDR \
		PROJECT_PORT="$5" PROJECT_DNS_PORT="$5" PROJECT_HTTP_PORT="$6" BENCH_LOG_LEVEL=info \
		BENCH_DNSSEC="$4" BENCH_DNSSEC_ALG="$ALG" BENCH_DNSSEC_DENIAL="${BENCH_DNSSEC_DENIAL:-nsec3}" \
		TSIG_SECRET="$TSIG_SECRET" \
		"$ROOT/bench/bench-config.sh" >"$d/setup.log" 2>&1 || { tail -n 5 "$d/setup.log" >&2; die "bench-config.sh failed"; }
}
# start_ddnsd KEY: starts it pinned, waits (START_TIMEOUT) for "ready:"; sets READY_S (or "timeout")
start_ddnsd() {
	local k=$1 d=${DIRS[$1]} t0 i=0 db
	: >"$d/ddnsd.log"
	t0=$(now)
	START_T0=$t0
	setsid taskset -c "$SERVER_CPU" "$ROOT/bin/ddnsd" -c "$d/ddnsd.yaml" >>"$d/ddnsd.log" 2>&1 </dev/null &
	PID[$k]=$!
	READY_S=timeout
	while (( i < START_TIMEOUT * 5 )); do
		if grep -q 'ready:' "$d/ddnsd.log"; then READY_S=$(log_secs "$d/ddnsd.log" "$t0" 'ready:'); break; fi
		kill -0 "${PID[$k]}" 2>/dev/null || { tail -n 10 "$d/ddnsd.log" >&2; die "$k exited while starting"; }
		if (( ++i % 150 == 0 )); then
			db=$(du -cm "$d"/ddnsd.db* 2>/dev/null | tail -n 1 | cut -f1)
			log "$k: starting for $(since "$t0") s (database ${db} MiB, master CPU $(( $(tree_ticks "${PID[$k]}") / HZ )) s)"
		fi
		sleep 0.2
	done
	[[ $READY_S == timeout ]] && log "$k: no \"ready:\" after ${START_TIMEOUT} s"
	return 0
}
# wait_signed KEY: a zone of more than 10,000 records is served unsigned while
# the writer signs it in the background: waits (START_TIMEOUT) until the SOA
# comes with its RRSIG; sets SIGNED_S (seconds since the start) or "timeout"
wait_signed() {
	local k=$1 i=0
	SIGNED_S=timeout
	while (( i++ < START_TIMEOUT * 5 )); do
		if dig +dnssec +norec +tries=1 +time=2 -p "${DNSP[$k]}" @"$ADDR" "$ZONE" SOA 2>/dev/null |
			grep -q 'RRSIG[[:space:]]*SOA'; then
			SIGNED_S=$(since "$START_T0")
			return 0
		fi
		kill -0 "${PID[$k]}" 2>/dev/null || die "$k exited while signing"
		(( i % 150 == 0 )) && log "$k: signing for $(since "$START_T0") s"
		sleep 0.2
	done
	log "$k: not signed after ${START_TIMEOUT} s"
}
metric() { curl -s -m 5 "http://$ADDR:${HTTPP[$1]}/metrics" |
	awk -v m="$2" 'index($1, m) == 1 { s += $2 } END { printf "%d\n", s }'; }

# ---------------------------------------------------------------- Knot
start_knot() {   # start_knot KEY SIGNED PORT ZONEFILE
	local k=$1 d=$WORK/$1 signing=
	mkdir -p "$d"; DIRS[$k]=$d; DNSP[$k]=$3
	if (( $2 )); then signing="    dnssec-signing: on
    dnssec-policy: bench"; fi
	cat >"$d/knot.conf" <<EOF
server:
  rundir: "$d"
  listen: $ADDR@$3
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
log:
  - target: stderr
    any: warning
database:
  storage: "$d"
key:
  - id: update-key
    algorithm: hmac-sha256
    secret: $TSIG_SECRET
acl:
  - id: update
    address: $ADDR
    key: update-key
    action: update
policy:
  - id: bench
    algorithm: $ALG
    nsec3: on
    nsec3-iterations: 0
    nsec3-salt-length: 0
template:
  - id: default
    storage: "$d"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: changes
    semantic-checks: off
zone:
  - domain: $ZONE
    file: "$4"
    acl: update
$signing
EOF
	local t0 i ok=0 want=A
	t0=$(now)
	setsid taskset -c "$SERVER_CPU" knotd -c "$d/knot.conf" >"$d/knot.log" 2>&1 </dev/null &
	PID[$k]=$!
	(( $2 )) && want=RRSIG
	for (( i = 0; i < START_TIMEOUT * 5; i++ )); do
		kill -0 "${PID[$k]}" 2>/dev/null || { tail -n 10 "$d/knot.log" >&2; die "$k exited"; }
		if dig +dnssec +tries=1 +time=1 -p "$3" @"$ADDR" "$LAST_NAME" A 2>/dev/null |
			grep -q "^$LAST_NAME\.[[:space:]].*[[:space:]]${want}[[:space:]]"; then ok=1; break; fi
		sleep 0.2
	done
	(( ok )) || die "$k not answering after ${START_TIMEOUT} s"
	log "$k ready in $(since "$t0") s"
}

# ---------------------------------------------------------------- the zone of N names, two ddnsd
SERVERS_UP=0
servers_up() {
	(( SERVERS_UP )) && return 0
	local t0
	t0=$(now)
	log "zone of $N names in $WORK"
	gen_zone "$N" "$WORK"
	LAST_NAME=$(tail -n 1 "$WORK/zone.txt" | awk '{ sub(/\.$/, "", $1); print $1 }')
	setup_ddnsd ddnsd-unsigned "$WORK/du" "$WORK/zone.csv" 0 "${PORTS[0]}" "${PORTS[1]}"
	setup_ddnsd ddnsd-signed "$WORK/ds" "$WORK/zone.csv" 1 "${PORTS[2]}" "${PORTS[3]}"
	if has_sec query; then
		BENCH_DNSSEC_DENIAL=nsec setup_ddnsd ddnsd-nsec "$WORK/dn" "$WORK/zone.csv" 1 "${PORTS[6]}" "${PORTS[7]}"
		start_ddnsd ddnsd-nsec
		[[ $READY_S == timeout ]] && die "NSEC-signed ddnsd did not start"
		wait_signed ddnsd-nsec
		[[ $SIGNED_S == timeout ]] && die "NSEC-signed ddnsd did not sign its zone"
		log "ddnsd NSEC signed in $SIGNED_S s"
	fi
	start_ddnsd ddnsd-unsigned; log "ddnsd unsigned ready in $READY_S s"
	start_ddnsd ddnsd-signed
	[[ $READY_S == timeout ]] && die "signed ddnsd did not start"
	wait_signed ddnsd-signed
	[[ $SIGNED_S == timeout ]] && die "signed ddnsd did not sign its zone"
	log "ddnsd signed ready in $READY_S s, signed in $SIGNED_S s"
	dig +dnssec +tries=1 +time=2 -p "${PORTS[2]}" @$ADDR "$LAST_NAME" A | grep -q 'RRSIG' ||
		die "signed ddnsd answers $LAST_NAME without RRSIG"
	SERVERS_UP=1
	SECS[setup]=$(since "$t0")
}

# ---------------------------------------------------------------- 1. queries
parse_dnsperf() {   # -> "qps lost resp_bytes"
	awk '/Queries per second:/ { q = $4 } /Queries lost:/ { l = $3 }
		/Average packet size:/ { r = $NF } END { printf "%.0f %d %d\n", q, l, r }' "$1"; }
if has_sec query; then
	servers_up
	t0s=$(now)
	for (( r = 1; r <= R; r++ )); do
		for row in unsigned:0 signed:0 signed:1 nsec:1; do
			k=ddnsd-${row%:*}; do=${row#*:}
			w=$(child_by_comm "${PID[$k]}" 'ddnsd-dns*') || die "$k: no DNS worker"
			if (( do )); then dflag=-D; else dflag=-e; fi
			quiesce "$k"
			out=$WORK/query.$k.$do.$r.out
			# shellcheck disable=SC2086
			timeout $((T + 20)) taskset -c "$CLIENT_CPU" dnsperf -s $ADDR -p "${DNSP[$k]}" -d "$WORK/q.txt" \
				-l "$T" $DNSPERF_OPTS $dflag >"$out" 2>&1 &
			cq=$!
			sleep 1
			q0=$(metric "$k" ddnsd_dns_queries_total); tc0=$(metric "$k" ddnsd_dns_truncated_total)
			d0=$(ticks "$w"); w0=$(now)
			sleep $((T - 2))
			q1=$(metric "$k" ddnsd_dns_queries_total); tc1=$(metric "$k" ddnsd_dns_truncated_total)
			d1=$(ticks "$w"); w1=$(now)
			wait "$cq" || true
			read -r qps lost resp < <(parse_dnsperf "$out")
			awk -v k="${row%:*}" -v dob="$do" -v r="$r" -v qps="$qps" -v lost="$lost" -v resp="$resp" \
				-v q=$((q1 - q0)) -v d=$((d1 - d0)) -v hz="$HZ" -v w0="$w0" -v w1="$w1" -v tc=$((tc1 - tc0)) 'BEGIN {
				s = w1 - w0; printf "query\t%s-do%s\t%d\t%d\t%.3f\t%.1f\t%d\t%d\t%d\n", k, dob, r, qps,
					(q ? d * 1e6 / hz / q : 0), 100 * d / hz / s, resp, lost, tc }' >>"$RUNS"
			log "query round $r $k DO=$do: $(tail -n 1 "$RUNS" | cut -f4-)"
		done
	done
	SECS[query]=$(since "$t0s")
	stop_server ddnsd-nsec
fi

# ---------------------------------------------------------------- 2. RFC 2136 UPDATE
if has_sec update; then
	servers_up
	t0s=$(now)
	ukeys="ddnsd-unsigned ddnsd-signed"
	if command -v knotd >/dev/null; then
		start_knot knot-unsigned 0 "${PORTS[4]}" "$WORK/zone.txt"
		start_knot knot-signed 1 "${PORTS[5]}" "$WORK/zone.txt"
		ukeys="$ukeys knot-unsigned knot-signed"
	else
		log "knotd missing: no Knot rows"
	fi
	for (( r = 1; r <= R; r++ )); do
		for k in $ukeys; do
			quiesce "$k"
			out=$WORK/update.$k.$r.out
			# shellcheck disable=SC2086
			timeout $((T + 30)) taskset -c "$CLIENT_CPU" dnsperf -u -s $ADDR -p "${DNSP[$k]}" -d "$WORK/u.txt" \
				-l "$T" $DNSPERF_U_OPTS -y "$TSIG_Y" >"$out" 2>&1 &
			cu=$!
			sleep 1; p0=$(tree_ticks "${PID[$k]}"); w0=$(now)
			sleep $((T - 2)); p1=$(tree_ticks "${PID[$k]}"); w1=$(now)
			wait "$cu" || true
			awk -v k="$k" -v r="$r" -v p=$((p1 - p0)) -v hz="$HZ" -v w0="$w0" -v w1="$w1" '
				/Response codes:/ { rc = $0; sub(/.*Response codes: */, "", rc); gsub(/ /, "_", rc)
					for (i = 1; i <= NF; i++) if ($i == "NOERROR,"|| $i == "NOERROR") ok = $(i + 1) }
				/Run time \(s\)/ { rt = $4 }
				END { u = rt ? ok / rt : 0; cpu = p / hz / (w1 - w0)
					printf "update\t%s\t%d\t%.0f\t%.1f\t%.1f\t%s\n", k, r, u, 100 * cpu, (u ? cpu * 1e6 / u : 0), rc }' \
				"$out" >>"$RUNS"
			log "update round $r $k: $(tail -n 1 "$RUNS" | cut -f4-)"
		done
	done
	for k in knot-unsigned knot-signed; do stop_server "$k"; done
	SECS[update]=$(since "$t0s")
fi
# the two ddnsd are done with
stop_server ddnsd-unsigned; stop_server ddnsd-signed

# ---------------------------------------------------------------- 3. HTTP (updates.sh)
if has_sec http; then
	t0s=$(now)
	if ! command -v wrk >/dev/null; then log "wrk missing: no HTTP section"; else
	for (( r = 1; r <= R; r++ )); do
		for s in 0 1; do
			if (( s )); then k=signed; else k=unsigned; fi
			out=$WORK/http.$k.$r
			log "http round $r $k: updates.sh -n $N -t $T -r 1 -s http -p project"
			# we run under the bench lock already (make bench): updates.sh must not take it again
			if ! BENCH_LOCK='' BENCH_DNSSEC=$s BENCH_DNSSEC_ALG=$ALG BENCH_DNSSEC_PRESIGN=1 \
				BENCH_SIGN_TIMEOUT=$START_TIMEOUT HTTP_CONNS="$HTTP_CONNS" \
				SERVER_CPUS=$SERVER_CPU CLIENT_CPUS=$CLIENT_CPU MAX_SECONDS=$((START_TIMEOUT + 300 + 3 * T)) \
				PROJECT_CMD="$ROOT/bin/ddnsd -c \"\$BENCH_DIR/ddnsd.yaml\"" \
				PROJECT_DNS_PORT="${PORTS[0]}" PROJECT_HTTP_PORT="${PORTS[1]}" \
				PROJECT_SETUP="$ROOT/bench/bench-config.sh" \
				"$UPDATES_SH" -n "$N" -t "$T" -r 1 -s http -p project -o "$out.md" >"$out.log" 2>&1; then
				log "updates.sh failed:"; tail -n 8 "$out.log" >&2; continue
			fi
			# | project-cC | 2xx req/s median | min-max | non-2xx | errors | p50 | p99 | max | srv core % | srv procs % | srv CPU us/update |
			awk -F'|' -v k="$k" -v r="$r" '$2 ~ /^ *project-c[0-9]+ *$/ { c = $2; gsub(/[ a-z-]/, "", c)
				printf "http\t%s-c%s\t%d\t%.0f\t%d\t%.1f\t%.0f\n", k, c, r, $3, $5 + $6, $8, $12 }' "$out.md" >>"$RUNS"
			grep -q "^http	$k-" "$RUNS" || { log "no HTTP figures for $k"; tail -n 8 "$out.log" >&2; }
			log "http round $r $k: $(grep "^http	$k-" "$RUNS" | tail -n 1 | cut -f2,4-)"
		done
	done
	fi
	SECS[http]=$(since "$t0s")
fi

# ---------------------------------------------------------------- 4. start-up of M names
# mem KEY: "table_mib table_rss_mib master_rss_mib db_mib wal_mib" of a running ddnsd
mem() {
	local p=${PID[$1]} tb
	tb=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { cur = ($0 ~ /\/dev\/zero|SYSV|shmem/) }
		cur && /^Size:/ { sz = $2 } cur && /^Rss:/ { if (sz > best) { best = sz; rss = $2 } }
		END { printf "%.1f %.1f", best / 1024, rss / 1024 }' "/proc/$p/smaps")
	printf '%s %.1f %.1f %.1f\n' "$tb" "$(awk '/^VmRSS:/ { print $2 / 1024 }' "/proc/$p/status")" \
		"$(stat -c %s "${DIRS[$1]}/ddnsd.db" | awk '{ print $1 / 1048576 }')" \
		"$(stat -c %s "${DIRS[$1]}/ddnsd.db-wal" 2>/dev/null | awk '{ print $1 / 1048576 }')"
}
if has_sec start; then
	t0s=$(now)
	log "start: zone of $M names"
	mkdir -p "$WORK/big"
	gen_zone "$M" "$WORK/big" 0
	for kind in unsigned signed-first signed-second; do
		k=start-${kind%%-*}
		case $kind in
		unsigned) setup_ddnsd "$k" "$WORK/su" "$WORK/big/zone.csv" 0 "${PORTS[0]}" "${PORTS[1]}" ;;
		signed-first) setup_ddnsd "$k" "$WORK/ss" "$WORK/big/zone.csv" 1 "${PORTS[2]}" "${PORTS[3]}" ;;
		esac
		t1=$(now)
		log "start $kind ($M names; up to ${START_TIMEOUT} s)"
		start_ddnsd "$k"
		if [[ $READY_S == timeout ]]; then
			printf 'start\t%s\t1\ttimeout\t-\t-\t-\t-\t-\t-\t-\n' "$kind" >>"$RUNS"
			stop_server "$k"; log "start $kind: timeout"
			[[ $kind == signed-first ]] && break
			continue
		fi
		# a large zone signed for the first time is signed after "ready:", in
		# the background: the signing figure is the time until it is served signed
		sig=-
		if [[ $kind != unsigned ]]; then
			wait_signed "$k"
			sig=$SIGNED_S
		fi
		sleep 1   # the workers map the table; let the master settle
		names=$(metric "$k" ddnsd_table_names)
		read -r tmap trss vrss dbm wal < <(mem "$k")
		printf 'start\t%s\t1\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$READY_S" "${sig:--}" "$names" \
			"$tmap" "$trss" "$vrss" "$dbm" "${wal:-0}" >>"$RUNS"
		log "start $kind: ready in $READY_S s (wall $(since "$t1") s), $(tail -n 1 "$RUNS" | cut -f5-)"
		stop_server "$k"
	done
	SECS[start]=$(since "$t0s")
fi

# ---------------------------------------------------------------- report
AWK_MED='function med(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n ? ((n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2) : 0 }'
# med SECTION KEY COL (column of runs.tsv, 4 = first metric) -> "median min max"
med() { awk -F'\t' -v s="$1" -v k="$2" -v c="$3" "$AWK_MED"'
	$1 == s && $2 == k && $c != "timeout" { v[++n] = $c + 0; lo = (n == 1 || $c + 0 < lo) ? $c + 0 : lo; hi = (n == 1 || $c + 0 > hi) ? $c + 0 : hi }
	END { if (!n) print "- - -"; else printf "%s %s %s\n", med(v, n), lo, hi }' "$RUNS"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.3f", a / b }'; }
RATIOS=$WORK/ratios.md; : >"$RATIOS"
addratio() { printf '| %s | **%s** | %s | %s |\n' "$1" "$2" "$3" "$4" >>"$RATIOS"; }

echo "## DNSSEC: what online signing costs (bench/dnssec-bench.sh, $MODE mode)"
echo
echo "$(date -u +%F), $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(uname -r);"
echo "servers pinned to CPU $SERVER_CPU (one DNS worker), clients to CPU $CLIENT_CPU; algorithm $ALG, NSEC3;"
echo "N=$N names, M=$M names (start), R=$R rounds of T=${T}s, medians (min-max) over the rounds."
if has_sec query && grep -q '^query' "$RUNS"; then
	echo
	echo "### 1. Queries: DO=1 against DO=0 (dnsperf $DNSPERF_OPTS, EDNS in all rows; 90% existing A/AAAA, 10% NXDOMAIN)"
	echo
	echo "| zone | DO | QPS | DNS worker µs/query | min-max | worker CPU % | response bytes | lost | TC | ratio |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	read -r cu _ _ < <(med query unsigned-do0 5); read -r cs0 _ _ < <(med query signed-do0 5); read -r cs1 _ _ < <(med query signed-do1 5)
	read -r cn1 _ _ < <(med query nsec-do1 5)
	for kk in unsigned-do0 signed-do0 signed-do1 nsec-do1; do
		read -r qps _ _ < <(med query "$kk" 4); read -r us lo hi < <(med query "$kk" 5); read -r pc _ _ < <(med query "$kk" 6)
		read -r rb _ _ < <(med query "$kk" 7)
		lost=$(awk -F'\t' -v k="$kk" '$1 == "query" && $2 == k { s += $8 } END { print s + 0 }' "$RUNS")
		tc=$(awk -F'\t' -v k="$kk" '$1 == "query" && $2 == k { s += $9 } END { print s + 0 }' "$RUNS")
		case $kk in
		unsigned-do0) rt="base" ;;
		signed-do0) rt="signed DO=0 / unsigned = $(ratio "$cs0" "$cu")" ;;
		signed-do1) rt="DO=1 / DO=0 = $(ratio "$cs1" "$cs0")" ;;
		nsec-do1) rt="NSEC DO=1 / NSEC3 DO=1 = $(ratio "$cn1" "$cs1")" ;;
		esac
		printf '| %s | %s | %s | %s | %s-%s | %s | %s | %s | %s | %s |\n' "${kk%-do*}" "${kk#*-do}" "$qps" "$us" "$lo" "$hi" "$pc" "$rb" "$lost" "$tc" "$rt"
	done
	addratio "query CPU, DO=1 / DO=0 (signed zone, DNS worker µs/query)" "$(ratio "$cs1" "$cs0")" "≤ 1.15" "≤ 1.10"
	addratio "query CPU, signed DO=0 / unsigned DO=0" "$(ratio "$cs0" "$cu")" "-" "-"
	addratio "query CPU, DO=1, NSEC zone / NSEC3 zone" "$(ratio "$cn1" "$cs1")" "-" "-"
	echo
	echo "signed: NSEC3 (the default); nsec: the same zone signed with denial: nsec (its NXDOMAIN proofs walk the"
	echo "skip list of NSEC nodes)."
	echo "µs/query = the DNS worker's utime + stime over the middle of the run / queries it answered then."
	echo "A worker below 100% CPU waited for queries at times (one dnsperf core is near its own limit)."
fi
if has_sec update && grep -q '^update' "$RUNS"; then
	echo
	echo "### 2. RFC 2136 UPDATE, TSIG (dnsperf -u $DNSPERF_U_OPTS, one existing name's A replaced per UPDATE)"
	echo
	echo "| server | zone | NOERROR updates/s | min-max | server CPU % | server CPU µs/update | rcodes (round 1) | signed / unsigned |"
	echo "|---|---|---:|---:|---:|---:|---|---:|"
	for srv in ddnsd knot; do
		read -r uu _ _ < <(med update "$srv-unsigned" 4); read -r us _ _ < <(med update "$srv-signed" 4)
		[[ $uu == - ]] && continue
		for z in unsigned signed; do
			read -r u lo hi < <(med update "$srv-$z" 4); read -r pc _ _ < <(med update "$srv-$z" 5)
			read -r cpu _ _ < <(med update "$srv-$z" 6)
			rc=$(awk -F'\t' -v k="$srv-$z" '$1 == "update" && $2 == k { print $7; exit }' "$RUNS" | tr '_' ' ')
			printf '| %s | %s | %s | %s-%s | %s | %s | %s | %s |\n' "$srv" "$z" "$u" "$lo" "$hi" "$pc" "$cpu" "$rc" \
				"$([[ $z == signed ]] && ratio "$us" "$uu" || echo)"
		done
		addratio "RFC 2136 updates/s, $srv signed / unsigned" "$(ratio "$us" "$uu")" \
			"$([[ $srv == ddnsd ]] && echo "≥ 0.5" || echo -)" "$([[ $srv == ddnsd ]] && echo "≥ 0.7" || echo -)"
	done
	read -r ds _ _ < <(med update ddnsd-signed 4); read -r ks _ _ < <(med update knot-signed 4)
	if [[ $ks != - ]]; then
		echo
		echo "ddnsd signed / Knot signed: **$(ratio "$ds" "$ks")**"
		addratio "RFC 2136 updates/s, ddnsd signed / Knot signed" "$(ratio "$ds" "$ks")" "-" "-"
	fi
	echo
	echo "server CPU = the server's process tree (utime + stime) over the middle of the run; Knot: udp-workers 1,"
	echo "background-workers 1, journal-content changes, policy $ALG, nsec3 on, iterations 0, salt length 0."
fi
if has_sec http && grep -q '^http' "$RUNS"; then
	echo
	echo "### 3. HTTP updates (../shared/bench/updates.sh -s http -p project: wrk, POST /update of a random existing name)"
	echo
	echo "| zone | connections | 2xx updates/s | min-max | non-2xx + errors | p99 ms | server core µs/update | signed / unsigned |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	for c in $HTTP_CONNS; do
		read -r hu _ _ < <(med http "unsigned-c$c" 4); read -r hs _ _ < <(med http "signed-c$c" 4)
		for z in unsigned signed; do
			read -r h lo hi < <(med http "$z-c$c" 4); read -r p99 _ _ < <(med http "$z-c$c" 6)
			read -r cpu _ _ < <(med http "$z-c$c" 7)
			bad=$(awk -F'\t' -v k="$z-c$c" '$1 == "http" && $2 == k { s += $5 } END { print s + 0 }' "$RUNS")
			printf '| %s | %s | %s | %s-%s | %s | %s | %s | %s |\n' "$z" "$c" "$h" "$lo" "$hi" "$bad" "$p99" "$cpu" \
				"$([[ $z == signed ]] && ratio "$hs" "$hu" || echo)"
		done
		addratio "HTTP updates/s ($c connections), signed / unsigned" "$(ratio "$hs" "$hu")" "-" "-"
	done
fi
if has_sec start && grep -q '^start' "$RUNS"; then
	echo
	echo "### 4. Start-up and memory, $M names (start to the log line \"ready:\"; bench-config.sh table capacity)"
	echo
	echo "| zone | start | ready s | signing s (log) | names in table | table mapping MiB | resident MiB | B/name | master VmRSS MiB | B/name | database MiB | B/name | WAL MiB |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	awk -F'\t' -v m="$M" '$1 == "start" { split($2, a, "-")
		if ($4 == "timeout") { printf "| %s | %s | timeout | - | - | - | - | - | - | - | - | - | - |\n", a[1], (a[2] ? a[2] : "first"); next }
		printf "| %s | %s | %s | %s | %s | %s | %s | %.0f | %s | %.0f | %s | %.0f | %s |\n", a[1], (a[2] ? a[2] : "first"), $4, $5, $6,
			$7, $8, $8 * 1048576 / m, $9, $9 * 1048576 / m, $10, $10 * 1048576 / m, $11 }' "$RUNS"
	su=$(awk -F'\t' '$1 == "start" && $2 == "unsigned" { print $4 }' "$RUNS")
	s1=$(awk -F'\t' '$1 == "start" && $2 == "signed-first" { print $4 }' "$RUNS")
	s2=$(awk -F'\t' '$1 == "start" && $2 == "signed-second" { print $4 }' "$RUNS")
	addratio "start-up $M names, signed first start / unsigned" "$(ratio "${s1/timeout/-}" "${su/timeout/-}")" "-" "-"
	addratio "start-up $M names, signed second start / unsigned" "$(ratio "${s2/timeout/-}" "${su/timeout/-}")" "-" "-"
	for col in 8:"table resident" 9:"master VmRSS" 10:"database"; do
		a=$(awk -F'\t' -v c="${col%%:*}" '$1 == "start" && $2 == "signed-second" { print $c }' "$RUNS")
		b=$(awk -F'\t' -v c="${col%%:*}" '$1 == "start" && $2 == "unsigned" { print $c }' "$RUNS")
		addratio "${col#*:} per name, signed (second start) / unsigned" "$(ratio "${a:--}" "${b:--}")" "-" "-"
	done
	echo
	echo "table mapping = the shared table (MAP_SHARED anonymous, sized by table.capacity); resident = its pages"
	echo "touched (/proc/PID/smaps Rss of the master); B/name = bytes per name of the zone; database = ddnsd.db"
	echo "without its WAL (the first signed start leaves the signatures partly in the WAL until a checkpoint)."
fi
echo
echo "### Ratios"
echo
echo "| ratio | measured | goal | target |"
echo "|---|---:|---:|---:|"
cat "$RATIOS"
echo
printf 'Wall time per part:'
for s in setup query update http start; do [[ -n ${SECS[$s]:-} ]] && printf ' %s %ss,' "$s" "${SECS[$s]}"; done
echo " total $(awk -v s="$SECONDS" 'BEGIN { printf "%d", s }')s."
