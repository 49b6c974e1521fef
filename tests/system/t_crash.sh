#!/bin/bash
# t_crash.sh - a 200 reply means committed: 200 updates over 20 names, the
# HTTP worker killed with SIGKILL right after the last reply; then a stream
# of updates with the master and every worker killed with SIGKILL at once,
# and a restart on the same database.  Every acknowledged value is served by
# dig, each acknowledged update has its records row and its audit row, no
# change is half applied, and the SOA serial counts exactly the changes.
. "$(dirname "$0")/lib.sh"

ONE_ZONE=1
write_http_config
# room for every name the stream below can create (at most 6000)
sed -i 's/^  capacity: .*/  capacity: 10000/' "$CONF"
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
M=$MASTER
Z=$ZONE
s0=$(soa_serial "$Z")
a0=$(audit_rows)

# ---- 200 updates, then kill -9 of the HTTP worker right after the last reply
hp=$(http_worker_pid)
if [ -z "$hp" ]; then
	fail "HTTP worker found" "children: $(children "$DAEMON_PID" | tr '\n' ' ')"
	exit 1
fi
py_checks http_probe.py rotate "$HTTP_PORT" "$M" 20 200 "$T_DIR/acks1" "$hp"
wait_until $((2000 * SLOW)) proc_dead "$hp" && pass "HTTP worker $hp killed" ||
	fail "HTTP worker $hp killed"
py_checks http_probe.py dnscheck "$DNS_PORT" "$Z" "$T_DIR/acks1"
respawned()
{
	local p
	p=$(http_worker_pid)
	[ -n "$p" ] && [ "$p" != "$hp" ]
}
wait_until $((2000 * SLOW)) respawned && pass "HTTP worker respawned" ||
	fail "HTTP worker respawned within 2 s"
wait_http || exit 1
py_checks http_probe.py dbcheck "$DB" "$Z" crash "$T_DIR/acks1"
assert_eq "SOA serial +200 for 200 changes" $((s0 + 200)) "$(soa_serial "$Z")"
assert_eq "200 audit rows" $((a0 + 200)) "$(audit_rows)"
upd "$M" '{"subdomain":"crash0","ip":"192.0.2.200"}'
assert_status "the new HTTP worker takes updates" 200
assert_dns "dig after the respawn" "crash0.$Z" A 192.0.2.200
assert_eq "SOA serial +1 for that change" $((s0 + 201)) "$(soa_serial "$Z")"
printf 'ACK crash0 192.0.2.200 0\n' >>"$T_DIR/acks1"

# ---- a stream of updates; the master and all workers killed at once
"$PY" "$SYS_DIR/http_probe.py" stream "$HTTP_PORT" "$M" strm 6000 "$T_DIR/acks2" \
	>"$T_DIR/stream.out" 2>&1 &
stream_pid=$!
BG_PIDS+=("$stream_pid")
started()
{
	[ "$(grep -c '^ACK' "$T_DIR/acks2" 2>/dev/null)" -ge 50 ]
}
wait_until $((5000 * SLOW)) started || note "stream slow to start: $(cat "$T_DIR/stream.out")"
sleep 1.5
kids=$(children "$DAEMON_PID")
kill_ms=$(now_ms)
kill -KILL "$DAEMON_PID" $kids
{ wait "$DAEMON_PID"; } 2>/dev/null
DAEMON_PID=
wait_until $((2000 * SLOW)) all_dead $kids && pass "master and workers gone after kill -9" ||
	fail "master and workers gone after kill -9"
wait_until $((10000 * SLOW)) proc_dead "$stream_pid" || kill "$stream_pid" 2>/dev/null
note "$(cat "$T_DIR/stream.out")"
n_acks=$(grep -c '^ACK' "$T_DIR/acks2")
n_last=$(awk -v k="$kill_ms" '$1 == "ACK" && $4 >= k - 1000' "$T_DIR/acks2" | wc -l)
[ "$n_acks" -gt 0 ] && pass "$n_acks updates acknowledged before the kill" ||
	fail "updates acknowledged before the kill" "$(cat "$T_DIR/stream.out")"
[ "$n_last" -gt 0 ] && pass "$n_last of them in the second before the kill" ||
	fail "updates acknowledged in the second before the kill"

start_daemon || exit 1
wait_http || exit 1
py_checks http_probe.py dnscheck "$DNS_PORT" "$Z" "$T_DIR/acks1" "$T_DIR/acks2"
awk -v k="$kill_ms" '$1 == "ACK" && $4 >= k - 1000' "$T_DIR/acks2" >"$T_DIR/acks2.last"
py_checks http_probe.py dnscheck "$DNS_PORT" "$Z" "$T_DIR/acks2.last"
py_checks http_probe.py dbcheck "$DB" "$Z" strm "$T_DIR/acks2"
py_checks http_probe.py dbcheck "$DB" "$Z" crash "$T_DIR/acks1"
changes=$(($(audit_rows) - a0))
assert_eq "SOA serial after the restart counts every committed change ($changes)" \
	$((s0 + changes)) "$(soa_serial "$Z")"
assert_eq "the database's serial matches DNS" "$(zone_serial "$Z")" "$(soa_serial "$Z")"
assert_eq "database integrity_check" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check;')"
upd "$M" '{"subdomain":"after","ip":"192.0.2.201"}'
assert_status "update after the restart" 200
assert_dns "dig after the restart" "after.$Z" A 192.0.2.201
stop_daemon
