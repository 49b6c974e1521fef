#!/bin/bash
# t_ctl_basic.sh - ddnsctl status and stats against the real daemon, and the
# CLI's failure modes: the worker pids status lists are the master's real
# children, restarts count a kill -9, qps moves under a query loop; stats
# counts queries by type and rcode and updates by source (cli, http); a
# stopped daemon, a missing socket, a missing or broken config, unknown
# commands and bad arguments exit 1 with one line on stderr; --help exits 0;
# another uid is refused by SO_PEERCRED; the socket is created 0600.
. "$(dirname "$0")/lib.sh"

write_http_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
wait_ctl || exit 1

# ---- the socket file
if [ -S "$SOCK" ]; then pass "control socket $SOCK exists"; else fail "control socket $SOCK exists"; fi
assert_eq "control socket mode" 600 "$(stat -c %a "$SOCK")"

# ---- status (human)
ctl status
assert_ctl_ok "status"
version=$("$DDNSD_BIN" --version | awk '{ print $NF }')
assert_match "status: version and master pid" \
	"^ddnsd $version, master pid $DAEMON_PID, up [0-9]+d [0-9]{2}:[0-9]{2}:[0-9]{2}" "$CTL_OUT"
for z in "$ZONE" "$ZONE2"; do
	assert_match "status: zone $z with its serial" \
		"^$z +$(soa_serial "$z") +[0-9]+$" "$CTL_OUT"
done
status_pids()
{
	printf '%s\n' "$CTL_OUT" | awk '$1 == "dns" || $1 == "http" || $1 == "check" || $1 == "notify" { print $1, $3 }' | sort -k2n
}
real_pids()
{
	local p
	for p in $(ps --ppid "$DAEMON_PID" -o pid= | sort -n); do
		echo "$(worker_kind "$p") $p"
	done
}
assert_eq "status: worker kinds and pids are the master's children" "$(real_pids)" "$(status_pids)"
assert_eq "status: $WORKERS dns workers, one http, one check, one notify" "check dns dns http notify" \
	"$(status_pids | awk '{ print $1 }' | sort | tr '\n' ' ' | sed 's/ $//')"
assert_eq "status: the http row is the HTTP worker" "$(http_worker_pid)" \
	"$(status_pids | awk '$1 == "http" { print $2 }')"
assert_match "status: table header" '^KIND +ID +PID +RESTARTS +QPS +ALIVE +IO$' "$CTL_OUT"
# each DNS worker logs its UDP path once it runs, which may be after "ready"
io_logged() { [ "$(grep -c 'serving UDP with ' "$DAEMON_LOG")" -ge "$WORKERS" ]; }
assert_eventually "each of the $WORKERS DNS workers logs its UDP path" 5 io_logged
want_io=$(grep -o 'serving UDP with [a-z_]*' "$DAEMON_LOG" | awk '{ print $4 }' | sort -u | tr '\n' ' ' | sed 's/ $//')
case ${DDNSD_IO:-auto} in
recvmmsg) assert_eq "the log says the workers serve UDP with recvmmsg (dns.io)" recvmmsg "$want_io" ;;
*) assert_match "the log says which UDP path the workers took" '^(io_uring|recvmmsg)$' "$want_io" ;;
esac
assert_match "status: the header names that UDP path" ", io $want_io\$" "$(printf '%s\n' "$CTL_OUT" | head -n 1)"
assert_eq "status: every dns row names that UDP path" "$want_io" \
	"$(printf '%s\n' "$CTL_OUT" | awk '$1 == "dns" { print $7 }' | sort -u | tr '\n' ' ' | sed 's/ $//')"

# ---- status --json
ctl --json status
assert_ctl_ok "status --json"
assert_json "status --json: every worker has pid, kind, qps" \
	'all(isinstance(w["pid"], int) and w["kind"] in ("dns", "http", "check", "notify") and isinstance(w["qps"], (int, float)) for w in j["workers"])' \
	true "$CTL_OUT"
assert_json "status --json: worker pids" \
	'" ".join(str(p) for p in sorted(w["pid"] for w in j["workers"]))' \
	"$(ps --ppid "$DAEMON_PID" -o pid= | sort -n | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')" "$CTL_OUT"
assert_json "status --json: dns worker pids" \
	'" ".join(str(p) for p in sorted(w["pid"] for w in j["workers"] if w["kind"] == "dns"))' \
	"$(dns_worker_pids | tr '\n' ' ' | sed 's/ $//')" "$CTL_OUT"
assert_json "status --json: version" 'j["version"]' "$version" "$CTL_OUT"
assert_json "status --json: master_pid" 'j["master_pid"]' "$DAEMON_PID" "$CTL_OUT"
assert_json "status --json: zones" '" ".join(z["name"] for z in j["zones"])' "$ZONE $ZONE2" "$CTL_OUT"
assert_json "status --json: no restarts yet" 'sum(w["restarts"] for w in j["workers"])' 0 "$CTL_OUT"
ctl status --json
assert_json "--json after the command works too" 'j["master_pid"]' "$DAEMON_PID" "$CTL_OUT"
DDNSD_CONFIG=$CONF ctl_raw status
assert_ctl_ok "the socket from \$DDNSD_CONFIG"
ctl_raw -s "$SOCK" status
assert_ctl_ok "the socket given with -s"

# ---- kill -9 of a DNS worker: restarts, new pid
victim=$(dns_worker_pids | head -n 1)
kill -KILL "$victim"
new_dns()
{
	local l
	l=$(dns_worker_pids)
	[ "$(printf '%s\n' "$l" | grep -c .)" = "$WORKERS" ] && ! printf '%s\n' "$l" | grep -qx "$victim"
}
if wait_until $((5000 * SLOW)) new_dns; then
	pass "a new DNS worker replaces the killed one"
else
	fail "a new DNS worker replaces the killed one" "dns workers: $(dns_worker_pids)"
fi
wait_until $((3000 * SLOW)) daemon_answers
# the master records the new pid in the shared stats after fork() returns,
# when the child may already be seen: status is polled until it agrees
respawn_shown()
{
	ctl --json status
	[ "$(jv 'sum(w["restarts"] for w in j["workers"] if w["kind"] == "dns")' "$CTL_OUT")" = 1 ] &&
		[ "$(jv '" ".join(str(p) for p in sorted(w["pid"] for w in j["workers"] if w["kind"] == "dns"))' \
			"$CTL_OUT")" = "$(dns_worker_pids | tr '\n' ' ' | sed 's/ $//')" ]
}
wait_for 3 respawn_shown
assert_ctl_ok "status after kill -9"
assert_json "status: restarts +1 after kill -9 of a DNS worker" \
	'sum(w["restarts"] for w in j["workers"] if w["kind"] == "dns")' 1 "$CTL_OUT"
assert_json "status: the killed pid is gone" \
	"$victim in [w[\"pid\"] for w in j[\"workers\"]]" false "$CTL_OUT"
assert_json "status: the dns pids are the live workers" \
	'" ".join(str(p) for p in sorted(w["pid"] for w in j["workers"] if w["kind"] == "dns"))' \
	"$(dns_worker_pids | tr '\n' ' ' | sed 's/ $//')" "$CTL_OUT"
ctl status
assert_match "status (human): a dns row with 1 restart" '^dns +[0-9]+ +[0-9]+ +1 +[0-9]+ +yes +(io_uring|recvmmsg)$' "$CTL_OUT"

# ---- qps while a bounded query loop runs
ctl record set "host.$ZONE" A 192.0.2.10
assert_ctl_ok "record set host A"
"$PY" - "$DNS_PORT" "host.$ZONE" >"$T_DIR/load.out" 2>&1 <<'PYEOF' &
import sys, time
import dns.message, dns.query
port, name = int(sys.argv[1]), sys.argv[2]
end, n = time.time() + 30.0, 0
while time.time() < end and n < 400000:
    try:
        dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=port, timeout=1.0)
    except Exception:
        pass
    n += 1
print(n)
PYEOF
loader=$!
BG_PIDS+=("$loader")
# dns_qps: the DNS workers' qps summed from status --json (printed)
dns_qps()
{
	ctl --json status
	jv 'sum(w["qps"] for w in j["workers"] if w["kind"] == "dns")' "$CTL_OUT"
}
qps_json_up()
{
	ctl --json status
	[ "$(jv 'sum(w["qps"] for w in j["workers"] if w["kind"] == "dns") > 0' "$CTL_OUT")" = true ]
}
qps_human_up()
{
	ctl status
	printf '%s\n' "$CTL_OUT"
	printf '%s\n' "$CTL_OUT" | grep -Eq '^dns +[0-9]+ +[0-9]+ +[0-9]+ +[1-9][0-9]* +yes +(io_uring|recvmmsg)$'
}
assert_eventually "status --json: qps > 0 while queries run" 5 qps_json_up
assert_eventually "status (human): a dns row with QPS > 0" 5 qps_human_up
kill -TERM "$loader" 2>/dev/null
wait "$loader" 2>/dev/null
eventually_eq "status --json: qps back to 0 within 3 s of the loop's end" 0.0 3 dns_qps

# ---- stats: updates by source
ctl --json stats
assert_ctl_ok "stats --json"
S0=$CTL_OUT
assert_json "stats --json: queries, updates, update_errors, http_requests" \
	'sorted(j)' '["http_requests","queries","update_errors","updates"]' "$S0"
ctl record set "cli.$ZONE" A 192.0.2.20
assert_ctl_ok "record set cli A"
upd "$MASTER" "{\"subdomain\":\"web.$ZONE\",\"ip\":\"192.0.2.30\"}"
assert_status "POST /update web" 200
ctl --json stats
S1=$CTL_OUT
d_upd()
{
	echo $(($(jv "j[\"updates\"].get(\"$1\", 0)" "$S1") - $(jv "j[\"updates\"].get(\"$1\", 0)" "$S0")))
}
assert_eq "stats: updates from cli +1" 1 "$(d_upd cli)"
assert_eq "stats: updates from http +1" 1 "$(d_upd http)"
assert_eq "stats: updates from dyndns2 +0" 0 "$(d_upd dyndns2)"
ctl record set "cli.$ZONE" A 192.0.2.20
assert_match "an unchanged record set" "unchanged" "$CTL_OUT"
ctl --json stats
S1b=$CTL_OUT
assert_eq "stats: an unchanged set is no update" "$(jv 'j["updates"]["cli"]' "$S1")" \
	"$(jv 'j["updates"]["cli"]' "$S1b")"

# ---- stats: queries by type and rcode
ctl record set "txt.$ZONE" TXT "some text"
assert_ctl_ok "record set txt TXT"
ctl --json stats
S1=$CTL_OUT
for i in 1 2 3 4; do dnsq +norec "host.$ZONE" A >/dev/null; done
for i in 1 2 3; do dnsq +norec "txt.$ZONE" TXT >/dev/null; done
for i in 1 2; do dnsq +norec "nope.$ZONE" AAAA >/dev/null; done
dnsq +norec www.outside.invalid A >/dev/null
d_q()
{
	echo $(($(jv "j[\"queries\"][\"$1\"].get(\"$2\", 0)" "$S2") - $(jv "j[\"queries\"][\"$1\"].get(\"$2\", 0)" "$S1")))
}
# every count reached (the exact values are checked below)
counted()
{
	S2=$(timeout 10 "$DDNSCTL_BIN" -c "$CONF" --json stats 2>/dev/null)
	[ "$(d_q by_type A)" -ge 5 ] && [ "$(d_q by_type TXT)" -ge 3 ] && [ "$(d_q by_type AAAA)" -ge 2 ] &&
		[ "$(d_q by_rcode NOERROR)" -ge 7 ] && [ "$(d_q by_rcode NXDOMAIN)" -ge 2 ] &&
		[ "$(d_q by_rcode REFUSED)" -ge 1 ] &&
		[ $(($(jv 'j["queries"]["udp"]' "$S2") - $(jv 'j["queries"]["udp"]' "$S1"))) -ge 10 ]
}
wait_for 2 counted
ctl --json stats
S2=$CTL_OUT
assert_eq "stats: by type A +5" 5 "$(d_q by_type A)"
assert_eq "stats: by type TXT +3" 3 "$(d_q by_type TXT)"
assert_eq "stats: by type AAAA +2" 2 "$(d_q by_type AAAA)"
assert_eq "stats: by rcode NOERROR +7" 7 "$(d_q by_rcode NOERROR)"
assert_eq "stats: by rcode NXDOMAIN +2" 2 "$(d_q by_rcode NXDOMAIN)"
assert_eq "stats: by rcode REFUSED +1" 1 "$(d_q by_rcode REFUSED)"
assert_eq "stats: udp queries +10" 10 $(($(jv 'j["queries"]["udp"]' "$S2") - $(jv 'j["queries"]["udp"]' "$S1")))
ctl stats
assert_ctl_ok "stats"
assert_match "stats (human): queries line" '^queries: udp [0-9]+, tcp [0-9]+' "$CTL_OUT"
assert_match "stats (human): TXT count" "^  TXT +$(jv 'j["queries"]["by_type"]["TXT"]' "$S2")\$" "$CTL_OUT"
assert_match "stats (human): NXDOMAIN count" "^  NXDOMAIN +$(jv 'j["queries"]["by_rcode"]["NXDOMAIN"]' "$S2")\$" \
	"$CTL_OUT"
assert_match "stats (human): cli updates" "^  cli +$(jv 'j["updates"]["cli"]' "$S2")\$" "$CTL_OUT"
assert_match "stats (human): http updates" "^  http +$(jv 'j["updates"]["http"]' "$S2")\$" "$CTL_OUT"

# ---- --help
ctl_raw --help
assert_ctl_ok "ddnsctl --help"
assert_match "--help lists the commands" '^  record set NAME TYPE VALUE' "$CTL_OUT"
for c in status stats "record list" "record set" "record del" "user add" "user list" "user del" \
	"token create" "token list" "token revoke" "zone export" "zone import" backup reload; do
	# shellcheck disable=SC2086
	ctl_raw $c --help
	assert_ctl_ok "$c --help"
	assert_match "$c --help: its usage line" "^usage: ddnsctl .*$c" "$CTL_OUT"
done
for g in record user token zone; do
	ctl_raw "$g" --help
	assert_ctl_ok "$g --help (a command group)"
	assert_match "$g --help lists its subcommands" "$g [a-z]+" "$CTL_OUT"
done

# ---- unknown commands, bad arguments
ctl frobnicate
assert_ctl_fail "unknown command" "unknown command 'frobnicate'"
ctl record frobnicate x
assert_ctl_fail "unknown subcommand record frobnicate" "unknown (sub)?command"
ctl --frobnicate status
assert_ctl_fail "unknown option" "unknown option --frobnicate"
ctl
if [ "$CTL_RC" = 1 ] && [ -z "$CTL_OUT" ]; then
	pass "no command: exit 1, nothing on stdout"
else
	fail "no command: exit 1, nothing on stdout" "exit $CTL_RC" "$CTL_OUT"
fi
ctl record set "a.$ZONE" A
assert_ctl_fail "record set without a value" '^ddnsctl: usage: ddnsctl record set NAME TYPE VALUE'
ctl record set
assert_ctl_fail "record set without arguments" '^ddnsctl: usage: ddnsctl record set'
ctl record del
assert_ctl_fail "record del without a name" '^ddnsctl: usage: ddnsctl record del NAME \[TYPE\]'
ctl record del a b c
assert_ctl_fail "record del with three arguments" '^ddnsctl: usage: ddnsctl record del'
ctl record list a b
assert_ctl_fail "record list with two zones" '^ddnsctl: usage: ddnsctl record list'
ctl user add
assert_ctl_fail "user add without a name" '^ddnsctl: usage: ddnsctl user add NAME'
ctl user del
assert_ctl_fail "user del without a name" '^ddnsctl: usage: ddnsctl user del NAME'
ctl token create "host.$ZONE"
assert_ctl_fail "token create without --subdomain" '^ddnsctl: usage: ddnsctl token create --subdomain NAME'
ctl token revoke
assert_ctl_fail "token revoke without an id" '^ddnsctl: usage: ddnsctl token revoke ID'
ctl token revoke abc
assert_ctl_fail "token revoke abc" 'token revoke abc'
ctl zone export
assert_ctl_fail "zone export without a zone" '^ddnsctl: usage: ddnsctl zone export ZONE'
ctl zone import "$ZONE"
assert_ctl_fail "zone import without a file" '^ddnsctl: usage: ddnsctl zone import ZONE FILE'
ctl backup
assert_ctl_fail "backup without a path" '^ddnsctl: usage: ddnsctl backup PATH'
ctl reload now
assert_ctl_fail "reload with an argument" '^ddnsctl: usage: ddnsctl reload'
ctl status extra
assert_ctl_fail "status with an argument" '^ddnsctl: usage: ddnsctl status'
ctl stats extra
assert_ctl_fail "stats with an argument" '^ddnsctl: usage: ddnsctl stats'
ctl record set "a.$ZONE" A 192.0.2.1 --ttl abc
assert_ctl_fail "--ttl abc" 'ttl'
ctl record set "a.$ZONE" A 192.0.2.1 --ttl
assert_ctl_fail "--ttl without a number" 'ttl'
ctl --json record del "none.$ZONE"
assert_ctl_fail "--json: an error is still one line on stderr" "no .*records at none\\.$ZONE"
q +norec "a.$ZONE" A
check_negative "refused commands wrote nothing" NXDOMAIN

# ---- the socket: missing, too long; the config: missing, broken
ctl_raw -s "$T_DIR/nowhere.sock" status
assert_ctl_fail "-s a socket that does not exist" "^ddnsctl: daemon not running at $T_DIR/nowhere\\.sock\$"
ctl_raw -s "$T_DIR/no/such/dir/ddnsd.sock" status
assert_ctl_fail "-s in a directory that does not exist" "daemon not running at $T_DIR/no/such/dir/ddnsd\\.sock"
ctl_raw -s "/tmp/$(printf 'x%.0s' $(seq 120)).sock" status
assert_ctl_fail "-s a path longer than sun_path" '^ddnsctl: .*(socket path|too long)'
ctl_raw -s
assert_ctl_fail "-s without a path" '^ddnsctl: .*-s'
ctl_raw -c "$T_DIR/missing.yaml" status
assert_ctl_fail "-c a config that does not exist" "$T_DIR/missing\\.yaml"
printf 'database: data/x.db\nzones: [\n  - bad\nfoo: [\n' >"$T_DIR/broken.yaml"
ctl_raw -c "$T_DIR/broken.yaml" status
assert_ctl_fail "-c a config with a YAML error" "broken\\.yaml:[0-9]+: "
sed 's/^dns:$/bogus_key: 1\ndns:/' "$CONF" >"$T_DIR/badkey.yaml"
ctl_raw -c "$T_DIR/badkey.yaml" status
assert_ctl_fail "-c a config with an unknown key" "badkey\\.yaml:[0-9]+: .*bogus_key"
sed "s|socket: run/ddnsd.sock|socket: run/other.sock|" "$CONF" >"$T_DIR/othersock.yaml"
ctl_raw -c "$T_DIR/othersock.yaml" status
assert_ctl_fail "-c a config whose socket nobody serves" "daemon not running at $T_DIR/run/other\\.sock"

# ---- another uid: connect() refused by the file mode, then by SO_PEERCRED
as_nobody()
{
	if command -v runuser >/dev/null 2>&1; then
		runuser -u nobody -- "$@"
	else
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
	fi
}
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	# nobody must be able to search every directory down to the socket
	declare -a relaxed=()
	d=$(dirname "$SOCK")
	while [ "$d" != / ]; do
		if [ "$(stat -c %u "$d")" = 0 ] && [ -z "$(find "$d" -maxdepth 0 -perm -o+x)" ]; then
			relaxed+=("$(stat -c %a "$d") $d")
			chmod o+x "$d"
		fi
		d=$(dirname "$d")
	done
	ctl_raw_nobody()
	{
		as_nobody timeout $((10 * SLOW)) "$DDNSCTL_BIN" -s "$SOCK" "$@" >"$T_DIR/ctl.out" 2>"$T_DIR/ctl.err"
		CTL_RC=$?
		CTL_OUT=$(cat "$T_DIR/ctl.out")
		CTL_ERR=$(cat "$T_DIR/ctl.err")
		printf '$ (nobody) ddnsctl %s\n%s\n%s\n' "$*" "$CTL_OUT" "$CTL_ERR" >>"$T_DIR/cli.log"
	}
	rundir_mode=$(stat -c %a "$(dirname "$SOCK")")
	chmod 0777 "$(dirname "$SOCK")"
	ctl_raw_nobody status
	assert_ctl_fail "nobody, socket mode 0600: permission denied" "^ddnsctl: permission denied"
	chmod 0777 "$SOCK"
	ctl_raw_nobody status
	assert_ctl_fail "nobody, socket mode 0777: refused by SO_PEERCRED" "^ddnsctl: permission denied"
	# the daemon answers and closes at once: the client must still report it
	outcomes=$(for i in $(seq 10); do
		ctl_raw_nobody status
		echo "exit $CTL_RC: $CTL_ERR"
	done | sort | uniq -c)
	assert_eq "nobody, 10 attempts: every one exit 1 with permission denied" \
		"     10 exit 1: ddnsctl: permission denied: the control socket takes the daemon's user or root" \
		"$outcomes"
	ctl_raw_nobody record set "evil.$ZONE" A 192.0.2.66
	assert_ctl_fail "nobody: record set refused" "^ddnsctl: permission denied"
	if wait_until $((2000 * SLOW)) grep -q "control: refused uid $(id -u nobody)" "$DAEMON_LOG"; then
		pass "daemon log: control: refused uid $(id -u nobody)"
	else
		fail "daemon log: control: refused uid $(id -u nobody)" "$(tail -n 10 "$DAEMON_LOG")"
	fi
	chmod 0600 "$SOCK"
	chmod "$rundir_mode" "$(dirname "$SOCK")"
	for r in "${relaxed[@]}"; do chmod "${r%% *}" "${r#* }"; done
	q +norec "evil.$ZONE" A
	check_negative "nobody's record set wrote nothing" NXDOMAIN
	ctl status
	assert_ctl_ok "root is still served"
else
	skip "another uid refused by the control socket: needs root and a 'nobody' user"
fi

# ---- the daemon stopped
stop_daemon
ctl status
assert_ctl_fail "status with the daemon stopped" "^ddnsctl: daemon not running at $SOCK\$"
ctl record set "x.$ZONE" A 192.0.2.1
assert_ctl_fail "record set with the daemon stopped" "^ddnsctl: daemon not running at $SOCK\$"
