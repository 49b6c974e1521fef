#!/bin/bash
# t_sandbox.sh - every process of the daemon runs with no_new_privs, no
# capabilities and a seccomp filter (the master's, and each worker's own on
# top).  The filter is enforced: a DNS worker made to call socket(2) and
# the HTTP worker made to call execve(2) (through ptrace, syscall_probe.py,
# as code taken over inside them would call them) are stopped with a log line naming the call, the master says
# so and respawns them, and the daemon answers throughout.  A call on the
# list (getpid) goes through.  sandbox.seccomp: log lets the call through;
# off loads no filter; a wrong value is a config error.
. "$(dirname "$0")/lib.sh"

pick_ports
write_config
init_db || exit 1
add_record "host.$ZONE" A 192.0.2.1
start_daemon || exit 1
wait_http || exit 1

# status_field PID FIELD: the value of FIELD in /proc/PID/status
status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null; }

# ---- every process: no_new_privs, seccomp filter mode, no capabilities
kids=$(children "$DAEMON_PID")
assert_eq "the master has $WORKERS DNS workers and 3 other children" $((WORKERS + 3)) \
	"$(echo $kids | wc -w)"
bad=""
for p in $DAEMON_PID $kids; do
	st="$(cat "/proc/$p/comm") nnp=$(status_field "$p" NoNewPrivs) seccomp=$(status_field "$p" Seccomp)"
	st="$st eff=$(status_field "$p" CapEff) prm=$(status_field "$p" CapPrm)"
	case $st in
	*" nnp=1 seccomp=2 eff=0000000000000000 prm=0000000000000000") ;;
	*) bad="$bad [$p: $st]" ;;
	esac
done
assert_eq "every process: NoNewPrivs 1, Seccomp 2, CapEff and CapPrm 0" "" "$bad"
bad=""
for p in $kids; do
	[ "$(status_field "$p" Seccomp_filters)" = 2 ] || bad="$bad $p:$(status_field "$p" Seccomp_filters)"
done
assert_eq "every worker runs under two filters (the master's and its own)" "" "$bad"
assert_eq "the master runs under one" 1 "$(status_field "$DAEMON_PID" Seccomp_filters)"

# probe PID CALL: PID makes system call CALL (syscall_probe.py, ptrace);
# what happened in $PROBE_OUT ("result N", "signal N"), its status in $PROBE_RC
probe()
{
	PROBE_OUT=$(timeout $((30 * SLOW)) "$PY" "$SYS_DIR/syscall_probe.py" "$1" "$2" 2>&1)
	PROBE_RC=$?
	printf '$ syscall_probe.py %s %s\n%s\n' "$1" "$2" "$PROBE_OUT" >>"$T_DIR/probe.log"
}

# stops: ddnsd_sandbox_stops_total from /metrics
stops() { curl -s -m 5 "http://127.0.0.1:$HTTP_PORT/metrics" | awk '$1 == "ddnsd_sandbox_stops_total" { print $2 }'; }
assert_eq "ddnsd_sandbox_stops_total starts at 0" 0 "$(stops)"

dns_count() { [ "$(dns_worker_pids | wc -l)" = "$WORKERS" ]; }
health_ok() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/health")" = 200 ]; }

w=$(dns_worker_pids | head -n 1)
probe "$w" getpid
if [ "$PROBE_RC" = 77 ]; then
	skip "enforcement: $PROBE_OUT"
else
	assert_eq "a call on the DNS worker's list (getpid) goes through" "result $w" "$PROBE_OUT"
	sleep 0.2
	assert_eq "the DNS worker is alive after that call" 0 "$(proc_alive "$w"; echo $?)"
	q "host.$ZONE" A +short
	assert_eq "and the daemon answers" 192.0.2.1 "$Q"

	# ---- a DNS worker calls socket(2): not on its list
	probe "$w" socket
	assert_eq "a DNS worker that calls socket(2) gets SIGSYS" "signal 31" "$PROBE_OUT"
	if wait_for 5 proc_dead "$w"; then
		pass "a DNS worker that calls socket(2) is stopped"
	else
		fail "a DNS worker that calls socket(2) is stopped"
	fi
	assert_log "the worker logs the denied call by name" \
		"dns\[[0-9]+\]\[$w\]: fatal: sandbox: system call [0-9]+ \(socket\) is not on this process's list" \
		"$DAEMON_LOG"
	assert_log "the master names the call and the docs, and restarts the worker" \
		"master\[$DAEMON_PID\]: warning: dns\[[0-9]+\] \(pid $w\) stopped by its sandbox: system call [0-9]+ \(socket\) is not on its list; restarting.*docs/security.md" \
		"$DAEMON_LOG"
	if wait_for 5 dns_count; then
		pass "a new DNS worker takes its place"
	else
		fail "a new DNS worker takes its place" "workers: $(dns_worker_pids | tr '\n' ' ')"
	fi
	q "host.$ZONE" A +short
	assert_eq "the daemon answers after the worker's death" 192.0.2.1 "$Q"

	# ---- the HTTP worker calls execve(2): not on its list
	h=$(http_worker_pid)
	probe "$h" execve
	assert_eq "the HTTP worker that calls execve(2) gets SIGSYS" "signal 31" "$PROBE_OUT"
	if wait_for 5 proc_dead "$h"; then
		pass "the HTTP worker that calls execve(2) is stopped"
	else
		fail "the HTTP worker that calls execve(2) is stopped"
	fi
	assert_log "the HTTP worker logs execve by name" \
		"http\[$h\]: fatal: sandbox: system call [0-9]+ \(execve\)" "$DAEMON_LOG"
	assert_log "the master names it and restarts the HTTP worker" \
		"http \(pid $h\) stopped by its sandbox: system call [0-9]+ \(execve\)" "$DAEMON_LOG"
	if wait_for 10 health_ok; then
		pass "the new HTTP worker answers /health"
	else
		fail "the new HTTP worker answers /health"
	fi
	assert_eq "ddnsd_sandbox_stops_total counts both stops" 2 "$(stops)"
	ctl status
	assert_match "ddnsctl status shows the sandbox and its stops" \
		"sandbox: seccomp kill, 2 processes stopped by it" "$(cat "$T_DIR/ctl.out")"
	upd "$MASTER" '{"subdomain":"host.'"$ZONE"'","ip":"192.0.2.2"}'
	assert_status "an update after the restart" 200
	q "host.$ZONE" A +short
	assert_eq "and DNS serves it" 192.0.2.2 "$Q"
fi
stop_daemon
# the fatal lines above are the point of the test: out of scan_logs' way
mv "$DAEMON_LOG" "$T_DIR/denied.log"

# ---- sandbox.seccomp: log: the call is let through (the kernel logs it)
sed -i "s/^log_level:/sandbox: { seccomp: log }\nlog_level:/" "$CONF"
start_daemon || exit 1
w=$(dns_worker_pids | head -n 1)
assert_eq "seccomp: log still loads filters" 2 "$(status_field "$w" Seccomp)"
probe "$w" socket
if [ "$PROBE_RC" = 77 ]; then
	skip "seccomp: log: $PROBE_OUT"
else
	sleep 0.2
	case $PROBE_OUT in
	"result "[0-9]*) proc_alive "$w" && pass "seccomp: log: socket(2) in a DNS worker returns a descriptor and the worker runs on" ||
		fail "seccomp: log: the DNS worker runs on after socket(2)" ;;
	*) fail "seccomp: log: socket(2) in a DNS worker returns a descriptor" "$PROBE_OUT" ;;
	esac
	q "host.$ZONE" A +short
	assert_eq "seccomp: log: the daemon answers" 192.0.2.2 "$Q"
fi
stop_daemon

# ---- off: no filter, no_new_privs and the capability drop still
sed -i "s/^sandbox: .*/sandbox: { seccomp: off }/" "$CONF"
start_daemon || exit 1
bad=""
for p in $DAEMON_PID $(children "$DAEMON_PID"); do
	st="nnp=$(status_field "$p" NoNewPrivs) seccomp=$(status_field "$p" Seccomp) eff=$(status_field "$p" CapEff)"
	[ "$st" = "nnp=1 seccomp=0 eff=0000000000000000" ] || bad="$bad [$p: $st]"
done
assert_eq "seccomp: off: no filter, NoNewPrivs 1 and no capabilities still" "" "$bad"
assert_log "seccomp: off is logged as a warning" "warning: sandbox.seccomp is off" "$DAEMON_LOG"

# ---- a reload cannot change the sandbox
sed -i "s/^sandbox: .*/sandbox: { seccomp: kill }/" "$CONF"
kill -HUP "$DAEMON_PID"
assert_log "a reload that changes sandbox.seccomp is refused, saying why" \
	"reload refused: sandbox.seccomp.*take effect only on restart" "$DAEMON_LOG"
stop_daemon

# ---- a wrong value is a config error
sed -i "s/^sandbox: .*/sandbox: { seccomp: strict }/" "$CONF"
run_ddnsd --check-config -c "$CONF"
assert_eq "sandbox.seccomp: strict fails --check-config" 1 "$([ "$RC" != 0 ] && echo 1 || echo 0)"
assert_match "the error names the key and the choices" 'sandbox.seccomp.*kill' "$OUT"
