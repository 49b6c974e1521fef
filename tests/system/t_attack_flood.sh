#!/bin/bash
# t_attack_flood.sh - the HTTP worker under connection floods (issue 17,
# finding 3), on loopback.
# 1. http.max_connections_per_address: 32 idle connections from one address
#    stay open, the 33rd is closed at once while another address gets in,
#    and one closing lets its address in again; http.idle_timeout closes
#    idle and half-sent connections.  Both at their defaults (32, 10 s).
# 2. 20,000 idle connections from 127.0.0.1 (5,000 a second): GET /health
#    from 127.0.0.2 answers within 1 s at every poll throughout, the log
#    grows by less than 1 MB (the refusals are logged at most once per
#    10 s), and once the flood is gone the worker's CPU is back to idle.
# 3. Out of descriptors (the worker's soft RLIMIT_NOFILE lowered to 256,
#    600 connections from 20 addresses, then 200 more a second): one log
#    line, no spinning (CPU), and the worker serves again once they are
#    gone.
. "$(dirname "$0")/lib.sh"

CAP=32  # the defaults of http.max_connections_per_address
IDLE=10 # and http.idle_timeout (s): the config leaves them out
FLOOD=20000
FLOOD_RATE=5000 # connections a second (divided by SLOW): a flood of idle connections, not of SYNs
ONE_ZONE=1
write_http_config
sed -i '/^  max_connections_per_address: /d' "$CONF"
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
HP=$(http_worker_pid)
[ -n "$HP" ] || { fail "the HTTP worker's pid"; exit 1; }

# assert_idle DESC: within 10 s (x SLOW), a 1 s window in which the HTTP
# worker uses less than 5% of a CPU.
assert_idle()
{
	local end pct
	end=$(($(now_ms) + 10000 * SLOW))
	while :; do
		pct=$(cpu_pct "$HP" 1000)
		[ "$pct" -lt 5 ] && { pass "$1 (${pct}% of a CPU over 1 s)"; return 0; }
		[ "$(now_ms)" -lt "$end" ] || break
	done
	fail "$1" "the HTTP worker still used ${pct}% of a CPU over 1 s after $(secs 10)" \
		"$(top -b -n 1 -p "$HP" 2>&1 | tail -n 2)"
}

log_size()
{
	stat -c %s "$DAEMON_LOG"
}

# ---- 1. the cap per address, and the idle timeout
py_checks flood_probe.py cap "$HTTP_PORT" 127.0.0.3 127.0.0.4 "$CAP" "$IDLE"
assert_log "the refusal is logged, naming the key" \
	"closed 1 connection over http.max_connections_per_address \($CAP\), the latest from 127\.0\.0\.3\$" \
	"$DAEMON_LOG"

# ---- 2. a flood of idle connections from one address
log0=$(log_size)
py_checks flood_probe.py flood "$HTTP_PORT" 127.0.0.1 "$FLOOD" $((FLOOD_RATE / SLOW)) 2 127.0.0.2 \
	$((1000 * SLOW))
grew=$(($(log_size) - log0))
if [ "$grew" -lt 1048576 ]; then
	pass "the log grew by $grew bytes during the flood (less than 1 MB)"
else
	fail "the log grew by less than 1 MB during the flood" "it grew by $grew bytes" \
		"$(tail -c 2000 "$DAEMON_LOG")"
fi
# the first refusal of part 1 opened a 10 s window: the flood's may all fall in it
n=$(tail -c +$((log0 + 1)) "$DAEMON_LOG" | grep -c 'over http.max_connections_per_address')
if [ "$n" -le 2 ]; then
	pass "the flood's refusals took $n log line(s) (at most one per 10 s)"
else
	fail "the flood's refusals are logged, at most once per 10 s" "$n lines" \
		"$(tail -c +$((log0 + 1)) "$DAEMON_LOG" | head -n 20)"
fi
assert_nomatch "no 'Error from accept' line from libevent" 'Error from accept' "$(cat "$DAEMON_LOG")"
assert_eq "the HTTP worker is the same process (it did not die)" "$HP" "$(http_worker_pid)"
assert_idle "after the flood the HTTP worker's CPU is back to idle"
api "" GET /health
assert_status "GET /health from 127.0.0.1 after the flood" 200

# ---- 3. out of descriptors
nofile0=$(nofile "$HP")
nofile "$HP" 256 || fail "lower the HTTP worker's RLIMIT_NOFILE to 256"
log0=$(log_size)
timeout $((60 * SLOW)) "$PY" "$SYS_DIR/flood_probe.py" hold "$HTTP_PORT" 127.0.0.10 20 30 $((4 * SLOW)) 200 \
	>"$T_DIR/hold.out" 2>&1 &
hold_pid=$!
BG_PIDS+=("$hold_pid")
assert_log "running out of descriptors is logged with the limit and what to do" \
	'out of file descriptors \([0-9]+ HTTP connections open, limit 256\): closed [0-9]+ new connections?( in the last [0-9]+ s)?, pausing 100 ms at a time; raise LimitNOFILE or lower http.max_connections_per_address' \
	"$DAEMON_LOG" 3
pct=$(cpu_pct "$HP" 1000)
if [ "$pct" -lt 30 ]; then
	pass "out of descriptors, the HTTP worker does not spin (${pct}% of a CPU over 1 s)"
else
	fail "out of descriptors, the HTTP worker does not spin" "${pct}% of a CPU over 1 s"
fi
wait "$hold_pid"
rc=$?
py_report "flood_probe.py hold" "$rc" "$(cat "$T_DIR/hold.out")"
n=$(tail -c +$((log0 + 1)) "$DAEMON_LOG" | grep -c 'out of file descriptors')
if [ "$n" -ge 1 ] && [ "$n" -le 2 ]; then
	pass "out of descriptors for $(secs 4): $n log line(s)"
else
	fail "out of descriptors: one log line per 10 s" "$n lines" \
		"$(tail -c +$((log0 + 1)) "$DAEMON_LOG" | head -n 20)"
fi
nofile "$HP" "$nofile0" || fail "raise the HTTP worker's RLIMIT_NOFILE back to $nofile0"
assert_eventually "GET /health answers once the descriptors are back" 5 \
	prints_want 200 curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/health"
assert_idle "after running out of descriptors the HTTP worker's CPU is back to idle"
assert_eq "the HTTP worker is still the same process" "$HP" "$(http_worker_pid)"
