# lib.sh - helpers for the ddnsd system tests; sourced by every t_*.sh.
#
# Runs the real daemon in a temporary directory on random unprivileged ports
# of 127.0.0.1 (and ::1), queries it with dig and small Python clients, and prints
# TAP ("ok N - ...", "not ok N - ...", "ok N # SKIP ...", "1..N").  Every
# wait is bounded, and state another process changes (its log, a counter, a
# secondary's zone, a file it writes) is polled until it holds or the bound
# is reached (wait_for, assert_eventually, eventually_eq, assert_log), never
# read once.  The
# EXIT trap stops only the processes this file started (by pid) and fails
# the test if a daemon log holds a sanitizer report or a "fatal" line.
#
# Environment: DDNSD_BIN (default bin/ddnsd), DDNSD_SAN=1 (sanitizer build:
# longer timeouts), DDNSD_IO (dns.io: auto, io_uring or recvmmsg; default
# auto), T_DIR (work directory; created and removed when unset).

set -u
export LC_ALL=C

SYS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SYS_DIR/../.." && pwd)
PY=/usr/bin/python3
DDNSD_BIN=${DDNSD_BIN:-bin/ddnsd}
case $DDNSD_BIN in /*) ;; *) DDNSD_BIN=$ROOT/$DDNSD_BIN ;; esac
export DDNSD_BIN

# Sanitizer builds start and answer more slowly: scale every timeout.
if [ "${DDNSD_SAN:-0}" = 1 ]; then SLOW=3; else SLOW=1; fi
export SLOW

T_OWN_DIR=0
if [ -z "${T_DIR:-}" ]; then
	T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ddnsd-test.XXXXXX")
	T_OWN_DIR=1
fi
mkdir -p "$T_DIR"

T_N=0          # checks run
T_FAILED=0     # checks failed
T_SKIPPED=0    # checks that could not run here (TAP SKIP, not passes)
DAEMON_PID=    # master of the daemon started last (empty when stopped)
DAEMON_LOG=    # its log file
DAEMON_N=0     # daemons started so far (one log file each)
BG_PIDS=()     # other background processes started by the test

ZONE=example.test
ZONE2=other.test
CONF=$T_DIR/ddnsd.yaml
DB=$T_DIR/data/ddnsd.db
WORKERS=2
EXTRA_CHILDREN=3   # beside the DNS workers: http, check, notify
TCP_MAX=64
TCP_IDLE=10000
LOG_LEVEL=info
LISTEN6=0      # 1: also listen on [::1]:DNS_PORT
# http.max_connections_per_address: the tests' clients all come from
# 127.0.0.1 and some open many connections at once; t_attack_flood.sh tests
# the cap itself
HTTP_MAX_CONN=1000
DNS_PORT=
HTTP_PORT=

# ---------------------------------------------------------------- TAP output

pass()
{
	T_N=$((T_N + 1))
	echo "ok $T_N - $1"
	return 0
}

# fail DESC [DETAIL...]: a failed check; DETAIL lines are printed as comments.
fail()
{
	T_N=$((T_N + 1))
	T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_N - $1"
	shift
	local l
	for l in "$@"; do
		printf '%s\n' "$l" | head -n 40 | sed 's/^/#   /'
	done
	return 1
}

# skip WHAT: a check that cannot run here (a tool or a privilege missing),
# printed as TAP's "ok N # SKIP WHAT"; run.sh counts it apart, never as a pass.
skip()
{
	T_N=$((T_N + 1))
	T_SKIPPED=$((T_SKIPPED + 1))
	echo "ok $T_N # SKIP $1"
	return 0
}

note()
{
	printf '%s\n' "$*" | sed 's/^/# /'
}

assert_eq()
{
	local desc=$1 want=$2 got=$3
	if [ "$want" = "$got" ]; then
		pass "$desc"
	else
		fail "$desc" "expected: $want" "got:      $got"
	fi
}

# assert_match DESC ERE TEXT: some line of TEXT matches the extended regex.
assert_match()
{
	local desc=$1 re=$2 text=$3
	if printf '%s\n' "$text" | grep -Eq -- "$re"; then
		pass "$desc"
	else
		fail "$desc" "expected a line matching: $re" "got:" "$text"
	fi
}

# assert_nomatch DESC ERE TEXT: no line of TEXT matches.
assert_nomatch()
{
	local desc=$1 re=$2 text=$3
	if printf '%s\n' "$text" | grep -Eq -- "$re"; then
		fail "$desc" "expected no line matching: $re" "got:" "$text"
	else
		pass "$desc"
	fi
}

# assert_rc DESC WANT CMD...: CMD exits with status WANT.
assert_rc()
{
	local desc=$1 want=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ]; then
		pass "$desc"
	else
		fail "$desc" "command: $*" "expected exit status $want, got $rc" "output:" "$out"
	fi
}

# py_checks SCRIPT ARGS...: runs a Python helper (Debian's python3 with
# dnspython) that prints "PASS desc" / "FAIL desc" and indented detail lines;
# each becomes one TAP check.  A helper that prints no check fails.
py_checks()
{
	local script=$1 out rc
	shift
	out=$(timeout $((90 * SLOW)) "$PY" "$SYS_DIR/$script" "$@" 2>&1)
	rc=$?
	py_report "$script $*" "$rc" "$out"
}

# py_report WHAT EXIT OUTPUT: turns a helper's output into TAP checks.
py_report()
{
	local what=$1 rc=$2 out=$3 line n=0 desc= state=
	local -a detail=()
	while IFS= read -r line; do
		case $line in
		"PASS "* | "FAIL "*)
			py_flush
			state=${line%% *}
			desc=${line#* }
			n=$((n + 1))
			;;
		"NOTE "*) note "${line#NOTE }" ;;
		*) if [ -n "$state" ]; then detail+=("$line"); else note "$line"; fi ;;
		esac
	done <<<"$out"
	py_flush
	if [ $n -eq 0 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; }; then
		fail "$what ran (exit $rc)" "$out"
	fi
}

# py_flush: emits the check py_report collected (uses its locals).
py_flush()
{
	[ -n "$state" ] || return 0
	if [ "$state" = PASS ]; then
		pass "$desc"
	else
		fail "$desc" "${detail[@]}"
	fi
	state=
	detail=()
}

# ---------------------------------------------------------------- time

# cpu_pct PID MS: the share of one CPU (percent) PID used in the next MS ms.
cpu_pct()
{
	local t0 t1 tck
	tck=$(getconf CLK_TCK)
	t0=$(sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }')
	sleep "$(awk -v ms="$2" 'BEGIN { printf "%.3f", ms / 1000 }')"
	t1=$(sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }')
	echo $(((t1 - t0) * 100 * 1000 / (tck * $2)))
}

# nofile PID [SOFT]: prints PID's soft RLIMIT_NOFILE, or sets it to SOFT.
nofile()
{
	"$PY" -c 'import resource, sys
pid, lim = int(sys.argv[1]), resource.RLIMIT_NOFILE
soft, hard = resource.prlimit(pid, lim)
if len(sys.argv) > 2:
    resource.prlimit(pid, lim, (int(sys.argv[2]), hard))
else:
    print(soft)' "$@"
}

now_ms()
{
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

# tmo SECONDS: the timeout to use, scaled for sanitizer builds.
tmo()
{
	echo $(($1 * SLOW))
}

# wait_until TIMEOUT_MS CMD...: polls CMD every 50 ms; 0 when it succeeded.
wait_until()
{
	local limit=$1 end
	shift
	end=$(($(now_ms) + limit))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# wait_for TIMEOUT_S CMD...: polls CMD every 0.1 s for at most TIMEOUT_S
# seconds (a whole or decimal number; times SLOW); 0 as soon as it succeeds.
wait_for()
{
	local s=$1 whole frac end
	shift
	whole=${s%%.*}
	frac=000
	[ "$whole" = "$s" ] || frac=${s#*.}000
	end=$(($(now_ms) + (10#${whole:-0} * 1000 + 10#${frac:0:3}) * SLOW))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# secs TIMEOUT_S: how long wait_for waits, for messages ("5 s", "5 s x 3").
secs()
{
	if [ "$SLOW" = 1 ]; then echo "$1 s"; else echo "$1 s x $SLOW"; fi
}

# assert_eventually DESC TIMEOUT_S CMD...: one check: CMD succeeds within
# TIMEOUT_S (polled by wait_for); on failure CMD's last output is shown.
assert_eventually()
{
	local desc=$1 limit=$2 out
	shift 2
	if wait_for "$limit" "$@"; then
		pass "$desc"
		return 0
	fi
	out=$("$@" 2>&1)
	fail "$desc (within $(secs "$limit"))" "still failing: $*" "$out"
}

# prints_want WANT CMD...: CMD's standard output is exactly WANT.
prints_want()
{
	local want=$1
	shift
	[ "$("$@" 2>/dev/null)" = "$want" ]
}

# eventually_eq DESC WANT TIMEOUT_S CMD...: one check: CMD prints exactly
# WANT within TIMEOUT_S (polled by wait_for).
eventually_eq()
{
	local desc=$1 want=$2 limit=$3
	shift 3
	if wait_for "$limit" prints_want "$want" "$@"; then
		pass "$desc"
		return 0
	fi
	fail "$desc (within $(secs "$limit"))" "expected: $want" "got:      $("$@" 2>&1)"
}

# assert_log DESC ERE FILE [TIMEOUT_S]: one check: a line of FILE (a log
# another process writes) matches ERE within TIMEOUT_S (default 5).
assert_log()
{
	local desc=$1 re=$2 f=$3 limit=${4:-5}
	if wait_for "$limit" grep -Eq -- "$re" "$f"; then
		pass "$desc"
		return 0
	fi
	fail "$desc (within $(secs "$limit"))" "expected a line matching: $re" "last lines of $f:" \
		"$(tail -n 20 "$f" 2>&1)"
}

# unread_reply PORT: a TCP client connected to 127.0.0.1:PORT holds reply
# bytes it has not read yet: the server has started its reply.
unread_reply()
{
	ss -tnH state established "( dport = :$1 )" | awk '$1 > 0 { n++ } END { exit n == 0 }'
}

# ---------------------------------------------------------------- processes

# proc_alive PID: the process exists and is not a zombie.
proc_alive()
{
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

proc_dead()
{
	! proc_alive "$1"
}

# children PID: pids of the live children of PID, one a line, sorted.
children()
{
	local p
	for p in $(pgrep -P "$1" 2>/dev/null); do
		proc_alive "$p" && echo "$p"
	done | sort -n
}

# all_dead PID...: none of them is alive.
all_dead()
{
	local p
	for p in "$@"; do
		proc_alive "$p" && return 1
	done
	return 0
}

# worker_kind PID: "dns", "http" or "" from the process name the worker set
# (e.g. "ddnsd-dns[0]"), or its log lines ("dns[0][PID]:", "http[PID]:").
worker_kind()
{
	local comm
	comm=$(cat "/proc/$1/comm" 2>/dev/null)
	case $comm in
	*http*) echo http; return 0 ;;
	*check*) echo check; return 0 ;;
	*notify*) echo notify; return 0 ;;
	*-dns* | *dns\[*) echo dns; return 0 ;;
	esac
	if grep -q "dns\[[0-9]*\]\[$1\]" "$DAEMON_LOG" 2>/dev/null; then
		echo dns
	elif grep -q "http[a-z]*\[$1\]" "$DAEMON_LOG" 2>/dev/null; then
		echo http
	elif ss -lunpH "sport = :$DNS_PORT" 2>/dev/null | grep -q "pid=$1,"; then
		echo dns
	fi
}

# dns_worker_pids: the live DNS worker children of the master.
dns_worker_pids()
{
	local p
	for p in $(children "$DAEMON_PID"); do
		[ "$(worker_kind "$p")" = dns ] && echo "$p"
	done
}

# http_worker_pid: the live HTTP worker child of the master.
http_worker_pid()
{
	local p k
	for p in $(children "$DAEMON_PID"); do
		k=$(worker_kind "$p")
		if [ "$k" = http ] || [ -z "$k" ]; then
			echo "$p"
			return 0
		fi
	done
}

# ---------------------------------------------------------------- ports, config, database

# pick_ports: sets DNS_PORT and HTTP_PORT to distinct unprivileged ports that
# are free for TCP and UDP on 127.0.0.1 (below the ephemeral range).
pick_ports()
{
	local p
	p=$("$PY" "$SYS_DIR/ports.py" 2) || { echo "cannot find free ports" >&2; exit 1; }
	DNS_PORT=${p%% *}
	HTTP_PORT=${p##* }
}

# has_ipv6: ::1 can be bound here.
has_ipv6()
{
	"$PY" -c 'import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).bind(("::1", 0))' \
		2>/dev/null
}

# write_config [FILE]: the standard two-zone config, from WORKERS, TCP_MAX,
# TCP_IDLE, LOG_LEVEL, LISTEN6, DNS_PORT, HTTP_PORT, HTTP_MAX_CONN.
write_config()
{
	local f=${1:-$CONF} listen
	[ -n "$DNS_PORT" ] || pick_ports
	listen="\"127.0.0.1:$DNS_PORT\""
	[ "$LISTEN6" = 1 ] && listen="$listen, \"[::1]:$DNS_PORT\""
	cat >"$f" <<EOF
# ddnsd system test config
database: data/ddnsd.db
log_level: $LOG_LEVEL
zones:
  - name: $ZONE
    ttl: 300
    ns: [ns1.$ZONE, ns2.$ZONE]
    soa: { mname: ns1.$ZONE, rname: hostmaster.$ZONE,
           refresh: 3600, retry: 600, expire: 604800, minimum: 60 }
  - name: $ZONE2
    ttl: 120
    ns: [ns1.$ZONE2]
    soa: { mname: ns1.$ZONE2, rname: hostmaster.$ZONE2,
           refresh: 7200, retry: 900, expire: 1209600, minimum: 30 }
dns:
  listen: [$listen]
  workers: $WORKERS
  tcp_max_connections: $TCP_MAX
  tcp_idle_timeout: $TCP_IDLE
  udp_payload: 1232
  io: ${DDNSD_IO:-auto}
  # the tests query from loopback addresses; t_rrl.sh sets its own dns.rrl
  rrl: { exempt: ["127.0.0.0/8", "::1/128"] }
http:
  listen: "127.0.0.1:$HTTP_PORT"
  max_connections_per_address: $HTTP_MAX_CONN
control:
  socket: run/ddnsd.sock
auth:
  master_token: system-test-master-token
table:
  capacity: 1000
EOF
}

# init_db: creates the schema with --init-db (fails the test if that fails).
init_db()
{
	run_ddnsd -c "$CONF" --init-db
	if [ $RC -ne 0 ] || [ ! -f "$DB" ]; then
		fail "--init-db creates $DB" "exit status $RC" "$OUT"
		return 1
	fi
}

sql_quote()
{
	printf "'%s'" "${1//\'/\'\'}"
}

# add_record NAME TYPE VALUE [TTL]: inserts one row with the sqlite3 CLI.
add_record()
{
	local ttl=${4:-NULL} now
	now=$(date +%s)
	sqlite3 "$DB" "INSERT INTO records(name, type, value, ttl, owner_id, created_at, updated_at)
		VALUES($(sql_quote "$1"), $(sql_quote "$2"), $(sql_quote "$3"), $ttl, NULL, $now, $now);" ||
		fail "insert record $1 $2 $3"
}

# zone_serial ZONE: the serial stored in the database.
zone_serial()
{
	sqlite3 "$DB" "SELECT serial FROM zones WHERE name = $(sql_quote "$1");"
}

# ---------------------------------------------------------------- daemon

# run_ddnsd ARGS...: runs the daemon binary in the foreground (bounded);
# output in $OUT, exit status in $RC.  The output is kept in cli.log and
# scanned for sanitizer reports at teardown.
run_ddnsd()
{
	OUT=$(timeout $((10 * SLOW)) "$DDNSD_BIN" "$@" 2>&1)
	RC=$?
	printf '$ ddnsd %s\n%s\n' "$*" "$OUT" >>"$T_DIR/cli.log"
}

# start_daemon [CONFIG]: starts the daemon in the background (log in
# $T_DIR/daemon.N.log) and waits until the first zone's SOA is served and
# the master has logged "ready".  Returns 1 (after a failed check) if it
# died, did not answer or did not log "ready" in time.
start_daemon()
{
	local conf=${1:-$CONF} limit
	DAEMON_N=$((DAEMON_N + 1))
	DAEMON_LOG=$T_DIR/daemon.$DAEMON_N.log
	"$DDNSD_BIN" -c "$conf" >"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	limit=$((10000 * SLOW))
	if ! wait_until "$limit" daemon_answers; then
		if proc_alive "$DAEMON_PID"; then
			fail "daemon answers the SOA query within $((limit / 1000)) s" "log:" \
				"$(tail -n 30 "$DAEMON_LOG")"
		else
			{ wait "$DAEMON_PID"; } 2>/dev/null
			fail "daemon starts (it exited with status $?)" "log:" \
				"$(tail -n 30 "$DAEMON_LOG")"
			DAEMON_PID=
		fi
		return 1
	fi
	# All workers started: the master logs "ready" once it has forked them.
	if ! wait_until $((3000 * SLOW)) grep -q 'ready: dns on ' "$DAEMON_LOG"; then
		fail "daemon logs ready within $((3 * SLOW)) s of answering" "log:" \
			"$(tail -n 30 "$DAEMON_LOG")"
		return 1
	fi
	return 0
}

daemon_answers()
{
	local out
	proc_alive "$DAEMON_PID" || return 1
	out=$(dig @127.0.0.1 -p "$DNS_PORT" +tries=1 +time=1 +norec +nocookie "$ZONE" SOA 2>&1)
	case $out in *"status: NOERROR"*"ANSWER: 1,"*) return 0 ;; esac
	return 1
}

# stop_daemon [SIGNAL]: signals the master (default TERM), checks it exits
# within 5 s with status 0 and that its children are gone.
stop_daemon()
{
	local sig=${1:-TERM} pid=$DAEMON_PID kids rc limit
	[ -n "$pid" ] || return 0
	kids=$(children "$pid")
	kill -"$sig" "$pid" 2>/dev/null
	limit=$((5000 * SLOW))
	if ! wait_until "$limit" proc_dead "$pid"; then
		fail "daemon exits within $((limit / 1000)) s of SIG$sig" "log:" \
			"$(tail -n 20 "$DAEMON_LOG")"
		kill -KILL "$pid" $kids 2>/dev/null
		{ wait "$pid"; } 2>/dev/null
		DAEMON_PID=
		return 1
	fi
	{ wait "$pid"; } 2>/dev/null
	rc=$?
	DAEMON_PID=
	assert_eq "daemon exit status after SIG$sig" 0 "$rc"
	if ! wait_until $((2000 * SLOW)) all_dead $kids; then
		fail "workers exit with the master" "still alive: $(for p in $kids; do
			proc_alive "$p" && echo -n "$p "; done)"
		kill -KILL $kids 2>/dev/null
	fi
	[ "$rc" = 0 ]
}

# ---------------------------------------------------------------- queries

# q ARGS...: one dig query to the daemon; the output is left in $Q.
q()
{
	Q=$(dig @127.0.0.1 -p "$DNS_PORT" +tries=1 +time=$((2 * SLOW)) +nocookie "$@" 2>&1)
}

# dnsq ARGS...: prints the dig output.
dnsq()
{
	dig @127.0.0.1 -p "$DNS_PORT" +tries=1 +time=$((2 * SLOW)) +nocookie "$@" 2>&1
}

q_status()
{
	printf '%s\n' "$Q" | sed -n 's/.*status: \([A-Z0-9]*\),.*/\1/p' | head -n 1
}

q_flags()
{
	printf '%s\n' "$Q" | sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p' | head -n 1
}

# q_count SECTION: the header count (QUERY, ANSWER, AUTHORITY, ADDITIONAL).
q_count()
{
	printf '%s\n' "$Q" | sed -n "s/.* $1: \([0-9]*\).*/\1/p" | head -n 1
}

# q_section NAME: the records of ";; NAME SECTION:", blanks squeezed, sorted.
q_section()
{
	printf '%s\n' "$Q" | awk -v s=";; $1 SECTION:" '
		$0 == s { on = 1; next }
		on && /^$/ { exit }
		on { $1 = $1; print }' | sort
}

# q_section_nottl NAME: the same without the TTL column.
q_section_nottl()
{
	q_section "$1" | awk '{ $2 = ""; $0 = $0; $1 = $1; print }'
}

q_edns()
{
	printf '%s\n' "$Q" | grep '^; EDNS:' | head -n 1
}

q_size()
{
	printf '%s\n' "$Q" | sed -n 's/^;; MSG SIZE  rcvd: \([0-9]*\).*/\1/p' | head -n 1
}

# check_answer DESC STATUS FLAGS ANSWER [AUTHORITY]: checks the last query.
# ANSWER and AUTHORITY are newline-separated normalised records, sorted;
# "-" skips the section; AUTHORITY may be "SOA" for "the zone's SOA only".
check_answer()
{
	local desc=$1 st=$2 fl=$3 an=$4 au=${5:--}
	assert_eq "$desc: rcode" "$st" "$(q_status)" || { note "$Q"; return 1; }
	assert_eq "$desc: flags" "$fl" "$(q_flags)"
	if [ "$an" != - ]; then
		assert_eq "$desc: answer section" "$(printf '%s\n' "$an" | sed '/^$/d' | sort)" \
			"$(q_section ANSWER)"
	fi
	if [ "$au" != - ]; then
		assert_eq "$desc: authority section" "$(printf '%s\n' "$au" | sed '/^$/d' | sort)" \
			"$(q_section AUTHORITY)"
	fi
}

# ---------------------------------------------------------------- teardown

# scan_logs: fails on sanitizer reports and fatal lines in the daemon logs.
scan_logs()
{
	local f bad
	if [ -f "$T_DIR/cli.log" ]; then
		bad=$(grep -nE 'AddressSanitizer|LeakSanitizer|runtime error' "$T_DIR/cli.log" | head -n 20)
		[ -z "$bad" ] || fail "no sanitizer report from command-line runs" "$bad"
	fi
	for f in "$T_DIR"/daemon.*.log; do
		[ -f "$f" ] || continue
		bad=$(grep -nE 'AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error|(^|[^a-z_])fatal' "$f" |
			head -n 20)
		if [ -n "$bad" ]; then
			fail "no sanitizer report or fatal line in $(basename "$f")" "$bad"
		fi
	done
}

teardown()
{
	local rc=$? p
	trap - EXIT
	for p in "${BG_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	if [ -n "$DAEMON_PID" ] && proc_alive "$DAEMON_PID"; then
		local kids
		kids=$(children "$DAEMON_PID")
		kill -TERM "$DAEMON_PID" 2>/dev/null
		if ! wait_until $((5000 * SLOW)) proc_dead "$DAEMON_PID"; then
			fail "daemon exits on SIGTERM at teardown"
			kill -KILL "$DAEMON_PID" $kids 2>/dev/null
		fi
		{ wait "$DAEMON_PID"; } 2>/dev/null
		wait_until 2000 all_dead $kids || kill -KILL $kids 2>/dev/null
	fi
	scan_logs
	echo "1..$T_N"
	[ $T_SKIPPED -eq 0 ] || echo "# $T_SKIPPED of $T_N skipped"
	if [ $T_FAILED -ne 0 ] || [ $T_N -eq 0 ] || [ $rc -ne 0 ]; then
		echo "# $T_FAILED of $T_N checks failed (exit $rc); work dir $T_DIR"
		exit 1
	fi
	[ $T_OWN_DIR = 1 ] && rm -rf "$T_DIR"
	exit 0
}
trap teardown EXIT
trap 'exit 143' TERM INT

# binary_present: fails the test at once when the daemon was not built.
binary_present()
{
	if [ ! -x "$DDNSD_BIN" ]; then
		fail "$DDNSD_BIN exists (run make)"
		exit 1
	fi
}
binary_present

# ---------------------------------------------------------------- HTTP API

MASTER=system-test-master-token # auth.master_token in write_config
ONE_ZONE=0         # write_http_config: 1 = only $ZONE (relative names work)
HTTP_RATE_IP=1000000
HTTP_BURST=1000000
HTTP_RATE_TOKEN=1000000
HTTP_MAX_BODY=65536
HTTP_TRUSTED=      # items of http.trusted_proxies, e.g. '"127.0.0.2", "10.0.0.0/8"'
HTTP_CORS=         # items of http.cors_origins, e.g. '"https://app.example"'
ACME_ZONE=         # acme.zone when set
DAEMON_USER=       # top-level user: when set
H_CODE=
H_BODY=
H_HDRS=

# write_http_config [FILE]: write_config plus the http keys above (rate
# limits high unless a test lowers them); ONE_ZONE=1 drops $ZONE2.
write_http_config()
{
	local f=${1:-$CONF} x
	write_config "$f" || return 1
	if [ "$ONE_ZONE" = 1 ]; then
		awk -v z2="  - name: $ZONE2" '$0 == z2 { skip = 1; next } /^dns:/ { skip = 0 } !skip' \
			"$f" >"$f.tmp" && mv "$f.tmp" "$f"
	fi
	x="  max_body: $HTTP_MAX_BODY\n  rate_limit: { per_ip_per_minute: $HTTP_RATE_IP, burst: $HTTP_BURST, per_token_per_minute: $HTTP_RATE_TOKEN }"
	[ -n "$HTTP_TRUSTED" ] && x="$x\n  trusted_proxies: [$HTTP_TRUSTED]"
	[ -n "$HTTP_CORS" ] && x="$x\n  cors_origins: [$HTTP_CORS]"
	awk -v x="$x" '{ print } /^http:$/ { print x }' "$f" >"$f.tmp" && mv "$f.tmp" "$f"
	[ -n "$ACME_ZONE" ] && printf 'acme:\n  zone: %s\n' "$ACME_ZONE" >>"$f"
	[ -n "$DAEMON_USER" ] && sed -i "s/^database:/user: $DAEMON_USER\ndatabase:/" "$f"
	return 0
}

# wait_http: GET /health answers 200 within 5 s (a failed check otherwise).
wait_http()
{
	local limit=$((5000 * SLOW))
	http_up()
	{
		[ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/health")" = 200 ]
	}
	wait_until "$limit" http_up && return 0
	fail "GET /health answers 200 within $((limit / 1000)) s" \
		"$(curl -s -i -m 1 "http://127.0.0.1:$HTTP_PORT/health" 2>&1)" "log:" \
		"$(tail -n 20 "$DAEMON_LOG")"
	return 1
}

# api TOKEN METHOD PATH [BODY [CURL_ARGS...]]: one request to the HTTP API
# with curl (bounded).  TOKEN "" sends no Authorization header; BODY ""
# sends none, "@FILE" sends that file as it is (with Content-Type JSON).
# Sets H_CODE (000 when there was no reply), H_BODY, H_HDRS (CR removed).
api()
{
	local tok=$1 method=$2 path=$3 body=${4-}
	local -a a=(-s -m "$((10 * SLOW))" -X "$method" -o "$T_DIR/api.body" -D "$T_DIR/api.hdrs"
		-w '%{http_code}')
	shift 3
	[ $# -gt 0 ] && shift
	[ -n "$tok" ] && a+=(-H "Authorization: Bearer $tok")
	if [ -n "$body" ]; then
		case $body in
		@*) a+=(--data-binary "$body") ;;
		*)
			printf '%s' "$body" >"$T_DIR/api.req"
			a+=(--data-binary "@$T_DIR/api.req")
			;;
		esac
		a+=(-H 'Content-Type: application/json')
	fi
	rm -f "$T_DIR/api.body" "$T_DIR/api.hdrs"
	H_CODE=$(curl "${a[@]}" "$@" "http://127.0.0.1:$HTTP_PORT$path")
	H_BODY=$(cat "$T_DIR/api.body" 2>/dev/null)
	H_HDRS=$(tr -d '\r' <"$T_DIR/api.hdrs" 2>/dev/null)
}

# upd TOKEN JSON [CURL_ARGS...]: POST /update.
upd()
{
	local tok=$1 body=$2
	shift 2
	api "$tok" POST /update "$body" "$@"
}

# h_header NAME: the value of response header NAME of the last api call
# (the last one if repeated; "" if absent).
h_header()
{
	printf '%s\n' "$H_HDRS" | awk -v n="$1" '
		index($0, ":") { k = substr($0, 1, index($0, ":") - 1)
			if (tolower(k) == tolower(n)) { v = substr($0, index($0, ":") + 1); sub(/^ */, "", v) } }
		END { print v }'
}

# jv EXPR [JSON]: evaluates the Python expression EXPR with j = the parsed
# JSON (default: the last reply body); strings print raw, anything else as
# compact JSON (null, true, [..]); "<Error: ...>" if that fails.
jv()
{
	printf '%s' "${2-$H_BODY}" | "$PY" -c '
import json, sys
try:
    j = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    v = eval(sys.argv[1], {"j": j, "sorted": sorted, "isinstance": isinstance, "len": len,
                           "str": str, "int": int, "bool": bool, "dict": dict, "list": list})
except Exception as e:
    print("<%s: %s>" % (type(e).__name__, e))
    sys.exit(0)
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":"), sort_keys=True))
' "$1"
}

# assert_status DESC CODE: the last api call got HTTP status CODE.
assert_status()
{
	if [ "$H_CODE" = "$2" ]; then
		pass "$1 (HTTP $2)"
	else
		fail "$1" "expected HTTP $2, got $H_CODE" "body: $H_BODY"
	fi
}

# assert_json DESC EXPR WANT [JSON]: jv EXPR prints WANT.
assert_json()
{
	local got
	got=$(jv "$2" "${4-$H_BODY}")
	if [ "$got" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "$2: expected $3" "got:      $got" "body: ${4-$H_BODY}"
	fi
}

# assert_api_error DESC CODE: HTTP CODE with the body {"error": "<text>"}.
assert_api_error()
{
	local shape
	shape=$(jv 'isinstance(j, dict) and list(j) == ["error"] and isinstance(j["error"], str) and len(j["error"]) > 0')
	if [ "$H_CODE" = "$2" ] && [ "$shape" = true ]; then
		pass "$1 (HTTP $2, {\"error\"})"
	else
		fail "$1" "expected HTTP $2 with {\"error\": \"...\"}" "got HTTP $H_CODE: $H_BODY"
	fi
}

# dns_short NAME TYPE: dig +short for NAME TYPE, sorted, on one line.
dns_short()
{
	dnsq +norec +short "$1" "$2" | sort | tr '\n' ' ' | sed 's/ $//'
}

# assert_dns DESC NAME TYPE WANT: dns_short NAME TYPE prints WANT.
assert_dns()
{
	local got
	got=$(dns_short "$2" "$3")
	if [ "$got" = "$4" ]; then
		pass "$1"
	else
		fail "$1" "dig $2 $3: expected: $4" "got:      $got" "$(dnsq +norec "$2" "$3")"
	fi
}

# soa_serial ZONE: the serial dig sees in the zone's SOA.
soa_serial()
{
	dnsq +norec +short "$1" SOA | awk 'NF >= 7 { print $3; exit }'
}

# audit_rows: rows in the audit table (sqlite3 CLI, beside the daemon).
audit_rows()
{
	sqlite3 "$DB" 'SELECT count(*) FROM audit;'
}

# new_user NAME [ADMIN]: POST /users as master (one check); the user's API
# token is left in $TOK ("" on failure).
new_user()
{
	api "$MASTER" POST /users "{\"username\":\"$1\",\"admin\":${2:-false}}"
	TOK=$(jv 'j["apiToken"]')
	if [ "$H_CODE" = 201 ] && [ -n "$TOK" ] && [ "${TOK#<}" = "$TOK" ]; then
		pass "POST /users $1 (admin ${2:-false}): 201 with an apiToken"
	else
		fail "POST /users $1: 201 with an apiToken" "got HTTP $H_CODE: $H_BODY"
		TOK=
	fi
}

# check_negative DESC RCODE [ZONE]: the last query got RCODE (NXDOMAIN, or
# NOERROR for NODATA), flags "qr aa", no answer, and exactly the zone's SOA
# (default $ZONE) in the authority section.
check_negative()
{
	local desc=$1 st=$2 z=${3:-$ZONE} au
	assert_eq "$desc: rcode" "$st" "$(q_status)" || { note "$Q"; return 1; }
	assert_eq "$desc: flags" "qr aa" "$(q_flags)"
	assert_eq "$desc: no answer" "" "$(q_section ANSWER)"
	au=$(q_section AUTHORITY)
	if printf '%s\n' "$au" | grep -Eq "^$z\. [0-9]+ IN SOA " && [ "$(printf '%s\n' "$au" | grep -c .)" = 1 ]; then
		pass "$desc: the zone's SOA in the authority section"
	else
		fail "$desc: the zone's SOA in the authority section" "got: $au"
	fi
}

# ---------------------------------------------------------------- ddnsctl

# The admin CLI built beside the daemon binary (a sanitizer build has its own).
DDNSCTL_BIN=${DDNSCTL_BIN:-$(dirname "$DDNSD_BIN")/ddnsctl}
case $DDNSCTL_BIN in /*) ;; *) DDNSCTL_BIN=$ROOT/$DDNSCTL_BIN ;; esac
SOCK=$T_DIR/run/ddnsd.sock # control.socket of write_config
CTL_OUT=
CTL_ERR=
CTL_RC=

# ctl_raw ARGS...: runs ddnsctl with exactly these arguments (bounded); stdout
# in $CTL_OUT, stderr in $CTL_ERR, exit status in $CTL_RC.  Both are kept in
# cli.log, which teardown scans for sanitizer reports.
ctl_raw()
{
	timeout $((30 * SLOW)) "$DDNSCTL_BIN" "$@" >"$T_DIR/ctl.out" 2>"$T_DIR/ctl.err"
	CTL_RC=$?
	CTL_OUT=$(cat "$T_DIR/ctl.out")
	CTL_ERR=$(cat "$T_DIR/ctl.err")
	printf '$ ddnsctl %s\n%s\n%s\n' "$*" "$CTL_OUT" "$CTL_ERR" >>"$T_DIR/cli.log"
}

# ctl ARGS...: ddnsctl -c $CONF ARGS...
ctl()
{
	ctl_raw -c "$CONF" "$@"
}

# ctl_lines TEXT: the number of lines in TEXT (0 when empty).
ctl_lines()
{
	[ -n "$1" ] || { echo 0; return 0; }
	printf '%s\n' "$1" | wc -l | tr -d ' '
}

# assert_ctl_ok DESC: the last ctl call exited 0 with nothing on stderr.
assert_ctl_ok()
{
	if [ "$CTL_RC" = 0 ] && [ -z "$CTL_ERR" ]; then
		pass "$1 (exit 0)"
	else
		fail "$1" "expected exit 0 and an empty stderr, got exit $CTL_RC" \
			"stdout: $CTL_OUT" "stderr: $CTL_ERR"
	fi
}

# assert_ctl_fail DESC ERE: the last ctl call exited 1 with exactly one line
# on stderr, "ddnsctl: ..." matching ERE, and nothing on stdout.
assert_ctl_fail()
{
	local desc=$1 re=$2
	if [ "$CTL_RC" = 1 ] && [ "$(ctl_lines "$CTL_ERR")" = 1 ] && [ -z "$CTL_OUT" ] &&
		printf '%s\n' "$CTL_ERR" | grep -Eq -- "^ddnsctl: " &&
		printf '%s\n' "$CTL_ERR" | grep -Eq -- "$re"; then
		pass "$desc (exit 1, one line)"
	else
		fail "$desc" "expected exit 1, stdout empty, one stderr line 'ddnsctl: ...' matching: $re" \
			"got exit $CTL_RC" "stdout: $CTL_OUT" "stderr ($(ctl_lines "$CTL_ERR") lines):" "$CTL_ERR"
	fi
}

# ctl_last_line: the last line of the last ctl call's stdout.
ctl_last_line()
{
	printf '%s\n' "$CTL_OUT" | tail -n 1
}

# ctl_up: ddnsctl status gets an answer (the control socket serves).
ctl_up()
{
	timeout $((10 * SLOW)) "$DDNSCTL_BIN" -c "$CONF" status >/dev/null 2>&1
}

# wait_ctl: the control socket answers within 5 s (a failed check otherwise).
wait_ctl()
{
	local limit=$((5000 * SLOW))
	wait_until "$limit" ctl_up && return 0
	fail "ddnsctl status answers within $((limit / 1000)) s" \
		"$("$DDNSCTL_BIN" -c "$CONF" status 2>&1)" "log:" "$(tail -n 20 "$DAEMON_LOG")"
	return 1
}

# wait_reloaded N: the daemon has finished reload number N: its master logged
# "reloaded" N times, the previous generation of workers is gone and the new
# HTTP worker's control socket answers.
wait_reloaded()
{
	local n=$1 limit=$((8000 * SLOW))
	reloaded_n()
	{
		[ "$(grep -c 'reloaded: ' "$DAEMON_LOG")" -ge "$n" ] &&
			[ "$(children "$DAEMON_PID" | wc -l)" -eq $((WORKERS + EXTRA_CHILDREN)) ] && ctl_up
	}
	wait_until "$limit" reloaded_n && return 0
	fail "reload $n completes within $((limit / 1000)) s" "log:" "$(tail -n 20 "$DAEMON_LOG")"
	return 1
}
