#!/bin/bash
# t_process.sh - the process model: pre-forked workers respawned after
# kill -9, workers gone when the master dies, SIGTERM/SIGINT exit 0, SIGHUP
# reloads records and config, a broken config is refused with FILE:LINE and
# the old one keeps serving, and a reload under query load drops nothing.
. "$(dirname "$0")/lib.sh"

WORKERS=2
write_config
init_db || exit 1
add_record "home.$ZONE" A 192.0.2.10
start_daemon || exit 1
respawn_ms=$((1000 * SLOW))

health()
{
	curl -s -m $((2 * SLOW)) "http://127.0.0.1:$HTTP_PORT/health"
}

# n_children: the number of live children of the master.
n_children()
{
	children "$DAEMON_PID" | grep -c .
}

# ---- process layout
eventually_eq "master has dns.workers + 3 children (dns workers, http, check, notify)" \
	$((WORKERS + EXTRA_CHILDREN)) 3 n_children
kids=$(children "$DAEMON_PID")
dns_pids=$(dns_worker_pids)
assert_eq "DNS worker processes found" "$WORKERS" "$(printf '%s\n' "$dns_pids" | grep -c .)"
http_pid=$(http_worker_pid)
[ -n "$http_pid" ] && pass "HTTP worker process found ($http_pid)" || fail "HTTP worker process found" "$kids"
assert_log "master logs ready" 'master\[[0-9]+\]: .*ready' "$DAEMON_LOG"
health_ok()
{
	local body
	body=$(health)
	echo "$body"
	printf '%s\n' "$body" | grep -Eq '"status" *: *"ok"'
}
assert_eventually "GET /health says ok" 5 health_ok

# ---- kill -9 a DNS worker
victim=$(printf '%s\n' "$dns_pids" | head -n 1)
respawned()
{
	local now
	now=$(children "$DAEMON_PID")
	[ "$(printf '%s\n' "$now" | grep -c .)" = $((WORKERS + EXTRA_CHILDREN)) ] &&
		! printf '%s\n' "$now" | grep -qx "$1"
}
t0=$(now_ms)
kill -KILL "$victim"
if wait_until $((respawn_ms + 1000)) respawned "$victim"; then
	ms=$(($(now_ms) - t0))
	[ $ms -le $respawn_ms ] && pass "killed DNS worker $victim replaced in $ms ms" ||
		fail "killed DNS worker replaced within $respawn_ms ms" "took $ms ms"
else
	fail "killed DNS worker $victim replaced" "children now: $(children "$DAEMON_PID" | tr '\n' ' ')"
fi
new_dns=$(dns_worker_pids)
note "DNS workers before: $(echo $dns_pids), after: $(echo $new_dns)"
py_checks dnsprobe.py load 127.0.0.1 "$DNS_PORT" "home.$ZONE" 192.0.2.10 200 0.5
q +norec +tcp "home.$ZONE" A
check_answer "TCP answered after the respawn" NOERROR "qr aa" "home.$ZONE. 300 IN A 192.0.2.10"

# ---- kill -9 every DNS worker at once: only new workers can answer
old_dns=$(dns_worker_pids)
all_replaced()
{
	local now p
	now=$(dns_worker_pids)
	[ "$(printf '%s\n' "$now" | grep -c .)" = "$WORKERS" ] || return 1
	for p in $old_dns; do
		printf '%s\n' "$now" | grep -qx "$p" && return 1
	done
	return 0
}
t0=$(now_ms)
kill -KILL $old_dns
if wait_until $((respawn_ms + 1000)) all_replaced; then
	ms=$(($(now_ms) - t0))
	[ $ms -le $respawn_ms ] && pass "all $WORKERS DNS workers replaced in $ms ms" ||
		fail "all DNS workers replaced within $respawn_ms ms" "took $ms ms"
else
	fail "all DNS workers replaced" "before: $(echo $old_dns), now: $(echo $(dns_worker_pids))"
fi
py_checks dnsprobe.py load 127.0.0.1 "$DNS_PORT" "home.$ZONE" 192.0.2.10 200 0.5
q +norec +tcp "home.$ZONE" A
check_answer "TCP answered by the new workers" NOERROR "qr aa" "home.$ZONE. 300 IN A 192.0.2.10"

# ---- kill -9 the HTTP worker
http_pid=$(http_worker_pid)
if [ -n "$http_pid" ]; then
	t0=$(now_ms)
	kill -KILL "$http_pid"
	if wait_until $((respawn_ms + 1000)) respawned "$http_pid"; then
		ms=$(($(now_ms) - t0))
		[ $ms -le $respawn_ms ] && pass "killed HTTP worker replaced in $ms ms" ||
			fail "killed HTTP worker replaced within $respawn_ms ms" "took $ms ms"
	else
		fail "killed HTTP worker $http_pid replaced"
	fi
	assert_eventually "GET /health ok after the HTTP worker respawn" 2 health_ok
fi

# ---- SIGHUP: new records
add_record "new.$ZONE" A 192.0.2.77
add_record "home.$ZONE" TXT "added later"
kill -HUP "$DAEMON_PID"
seen()
{
	local out
	out=$(dnsq +norec +short "$1" "$2")
	[ "$out" = "$3" ]
}
if wait_until $((3000 * SLOW)) seen "new.$ZONE" A 192.0.2.77; then
	pass "SIGHUP: new record visible"
else
	fail "SIGHUP: new record visible" "$(dnsq +norec "new.$ZONE" A)"
fi
q +norec "home.$ZONE" TXT
check_answer "SIGHUP: new TXT on an existing name" NOERROR "qr aa" "home.$ZONE. 300 IN TXT \"added later\""
q +norec "home.$ZONE" A
check_answer "SIGHUP: old record still there" NOERROR "qr aa" "home.$ZONE. 300 IN A 192.0.2.10"
sqlite3 "$DB" "DELETE FROM records WHERE name = 'new.$ZONE';"
kill -HUP "$DAEMON_PID"
gone()
{
	dnsq +norec "new.$ZONE" A | grep -q 'status: NXDOMAIN'
}
wait_until $((3000 * SLOW)) gone && pass "SIGHUP: deleted record gone (NXDOMAIN)" ||
	fail "SIGHUP: deleted record gone" "$(dnsq +norec "new.$ZONE" A)"
proc_alive "$DAEMON_PID" && pass "master alive after reloads" || fail "master alive after reloads"

# ---- SIGHUP: config change (a third zone)
cp "$CONF" "$T_DIR/good.yaml"
awk '/^dns:/ { print "  - name: third.test\n    ttl: 90\n    ns: [ns1.third.test]" } { print }' \
	"$T_DIR/good.yaml" >"$CONF"
add_record "www.third.test" A 203.0.113.3
kill -HUP "$DAEMON_PID"
if wait_until $((3000 * SLOW)) seen "www.third.test" A 203.0.113.3; then
	pass "SIGHUP: zone added to the config is served"
else
	fail "SIGHUP: zone added to the config is served" "$(dnsq +norec www.third.test A)" \
		"log:" "$(tail -n 10 "$DAEMON_LOG")"
fi
q +norec third.test SOA
assert_eq "new zone: SOA at its apex" "NOERROR qr aa 1" "$(q_status) $(q_flags) $(q_count ANSWER)"
cp "$T_DIR/good.yaml" "$CONF"

# ---- SIGHUP with a broken config
add_record "during.$ZONE" A 192.0.2.88
echo "bogus_reload_key: 1" >>"$CONF"
line=$(wc -l <"$CONF")
kill -HUP "$DAEMON_PID"
if wait_until $((3000 * SLOW)) grep -q "ddnsd\.yaml:$line:" "$DAEMON_LOG"; then
	pass "broken config on SIGHUP: log names ddnsd.yaml:$line"
else
	fail "broken config on SIGHUP: log names ddnsd.yaml:$line" "$(tail -n 10 "$DAEMON_LOG")"
fi
sleep 0.3
proc_alive "$DAEMON_PID" && pass "master alive after the refused reload" ||
	fail "master alive after the refused reload"
q +norec "home.$ZONE" A
check_answer "old config and records still served" NOERROR "qr aa" "home.$ZONE. 300 IN A 192.0.2.10"
q +norec "$ZONE2" SOA
assert_eq "second zone still served" "NOERROR 1" "$(q_status) $(q_count ANSWER)"
assert_eq "all workers still there" $((WORKERS + EXTRA_CHILDREN)) "$(children "$DAEMON_PID" | grep -c .)"
cp "$T_DIR/good.yaml" "$CONF"
kill -HUP "$DAEMON_PID"
if wait_until $((3000 * SLOW)) seen "during.$ZONE" A 192.0.2.88; then
	pass "fixed config reloads; records added meanwhile visible"
else
	fail "fixed config reloads; records added meanwhile visible" "$(tail -n 10 "$DAEMON_LOG")"
fi

# ---- reload under load: zero failed queries
load_out=$T_DIR/load.out
timeout $((60 * SLOW)) "$PY" "$SYS_DIR/dnsprobe.py" load 127.0.0.1 "$DNS_PORT" "home.$ZONE" 192.0.2.10 \
	2000 4 >"$load_out" 2>&1 &
load_pid=$!
BG_PIDS+=("$load_pid")
for i in 1 2 3 4 5; do
	sleep 0.6
	add_record "load$i.$ZONE" A "192.0.2.$((100 + i))"
	kill -HUP "$DAEMON_PID"
done
wait "$load_pid"
load_rc=$?
py_report "reload under load" "$load_rc" "$(cat "$load_out")"
if wait_until $((3000 * SLOW)) seen "load5.$ZONE" A 192.0.2.105; then
	pass "records added during the loaded reloads visible"
else
	fail "records added during the loaded reloads visible"
fi
# the previous generation drains and exits after a reload: its count is awaited
eventually_eq "workers after five reloads" $((WORKERS + EXTRA_CHILDREN)) 5 n_children

# ---- SIGTERM
stop_daemon TERM

# ---- SIGINT
start_daemon || exit 1
stop_daemon INT

# ---- kill -9 of the master: workers follow within 1 s
start_daemon || exit 1
kids=$(children "$DAEMON_PID")
t0=$(now_ms)
kill -KILL "$DAEMON_PID"
{ wait "$DAEMON_PID"; } 2>/dev/null
DAEMON_PID=
if wait_until $((2000 * SLOW)) all_dead $kids; then
	pass "workers exit after kill -9 of the master ($(($(now_ms) - t0)) ms)"
else
	fail "workers exit within 2 s of kill -9 of the master" \
		"still alive: $(for p in $kids; do proc_alive "$p" && echo -n "$p "; done)"
	kill -KILL $kids 2>/dev/null
fi
left=$(pgrep -f -- "-c $CONF" | tr '\n' ' ')
assert_eq "no ddnsd process with this config left" "" "$left"

# ---- the ports are free again: a new daemon starts
start_daemon && pass "daemon restarts on the same ports after kill -9"
q +norec "during.$ZONE" A
check_answer "records survive the restart" NOERROR "qr aa" "during.$ZONE. 300 IN A 192.0.2.88"
stop_daemon
