#!/bin/bash
# t_ctl_reload.sh - ddnsctl reload against the real daemon: records written
# behind its back with sqlite3 answer afterwards (and deleted ones stop);
# a config change (a second zone, the log level) takes effect and the reply
# lists it; a broken config exits 1 with every FILE:LINE problem on stderr
# and the old config keeps serving; dns.listen, dns.workers and http.listen
# changes are refused ("take effect only on restart").
. "$(dirname "$0")/lib.sh"

ONE_ZONE=1
write_http_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
wait_ctl || exit 1
Z=$ZONE
RELOADS=0

# reload_ok DESC: ddnsctl reload exits 0 and the reload completes.
reload_ok()
{
	ctl reload
	assert_ctl_ok "$1"
	[ "$CTL_RC" = 0 ] || return 1
	RELOADS=$((RELOADS + 1))
	wait_reloaded "$RELOADS"
}

ctl record set kept A 192.0.2.1
assert_ctl_ok "record set kept A"
ctl record set gone A 192.0.2.2
assert_ctl_ok "record set gone A"

# ---- records behind the daemon's back
add_record "sneaky.$Z" A 192.0.2.77
add_record "sneaky.$Z" TXT "inserted by sqlite3" 60
add_record "*.sw.$Z" A 192.0.2.78
sqlite3 "$DB" "DELETE FROM records WHERE name = 'gone.$Z';"
q +norec "sneaky.$Z" A
check_negative "before the reload: sqlite3's insert is not served" NXDOMAIN
assert_dns "before the reload: sqlite3's delete is not seen" "gone.$Z" A 192.0.2.2
reload_ok "reload after sqlite3 changes" || exit 1
assert_match "reload: says records are reloaded" '^  records reloaded from the database$' "$CTL_OUT"
assert_eq "reload: first line" "reloading:" "$(printf '%s\n' "$CTL_OUT" | head -n 1)"
assert_nomatch "reload: no zone change reported" 'zone .* (added|removed)' "$CTL_OUT"
q +norec "sneaky.$Z" A
check_answer "after the reload: sqlite3's A answers" NOERROR "qr aa" "sneaky.$Z. 300 IN A 192.0.2.77"
q +norec "sneaky.$Z" TXT
check_answer "after the reload: sqlite3's TXT with its TTL" NOERROR "qr aa" \
	"sneaky.$Z. 60 IN TXT \"inserted by sqlite3\""
assert_dns "after the reload: sqlite3's wildcard" "x.sw.$Z" A 192.0.2.78
q +norec "gone.$Z" A
check_negative "after the reload: sqlite3's delete is served" NXDOMAIN
assert_dns "after the reload: the other record" "kept.$Z" A 192.0.2.1
ctl --json status
assert_json "status: reloads 1" 'j["reloads"]' 1 "$CTL_OUT"

# ---- right after a reload: the CLI answers and an update is not lost
ctl reload
assert_ctl_ok "reload (no change)"
ctl status
assert_ctl_ok "status right after reload returned"
ctl record set rightafter A 192.0.2.33
assert_ctl_ok "record set right after reload returned"
upd "$MASTER" '{"subdomain":"httpafter","ip":"192.0.2.34"}'
assert_status "POST /update right after reload returned" 200
RELOADS=$((RELOADS + 1))
wait_reloaded "$RELOADS"
assert_dns "the record set right after the reload answers once it completed" "rightafter.$Z" A 192.0.2.33
assert_dns "the HTTP update right after the reload answers once it completed" "httpafter.$Z" A 192.0.2.34

# ---- a config change: a second zone and the log level
add_record "host.$ZONE2" A 192.0.2.200
q +norec "$ZONE2" SOA
assert_eq "before the reload: $ZONE2 is REFUSED" REFUSED "$(q_status)"
ONE_ZONE=0
LOG_LEVEL=debug
write_http_config
pids_before=$(children "$DAEMON_PID" | tr '\n' ' ')
reload_ok "reload with a second zone and log_level debug" || exit 1
assert_match "reload: zone $ZONE2 added" "^  zone $ZONE2 added\$" "$CTL_OUT"
assert_match "reload: log_level changed" '^  log_level changed$' "$CTL_OUT"
q +norec "$ZONE2" SOA
check_answer "after the reload: $ZONE2 SOA" NOERROR "qr aa" "-"
assert_match "after the reload: $ZONE2's SOA mname" "^$ZONE2\\. 120 IN SOA ns1\\.$ZONE2\\. hostmaster\\.$ZONE2\\. " \
	"$(q_section ANSWER)"
q +norec "host.$ZONE2" A
check_answer "after the reload: $ZONE2's record" NOERROR "qr aa" "host.$ZONE2. 120 IN A 192.0.2.200"
assert_dns "after the reload: $ZONE still served" "kept.$Z" A 192.0.2.1
pids_after=$(children "$DAEMON_PID" | tr '\n' ' ')
[ "$pids_before" != "$pids_after" ] && pass "a new generation of workers serves" ||
	fail "a new generation of workers serves" "before: $pids_before" "after: $pids_after"
ctl --json status
assert_json "status after the reload: two zones" '[z["name"] for z in j["zones"]]' "[\"$Z\",\"$ZONE2\"]" "$CTL_OUT"
assert_json "status: reloads $RELOADS" 'j["reloads"]' "$RELOADS" "$CTL_OUT"
ctl record set "viactl.$ZONE2" A 192.0.2.201
assert_ctl_ok "record set in the new zone"
assert_dns "dig the new zone's name set by ddnsctl" "viactl.$ZONE2" A 192.0.2.201

# ---- a broken config: refused with every FILE:LINE, the old one serves
cp "$CONF" "$T_DIR/good.yaml"
awk '
	/^  - name: / && !z { print "  - name: bad..zone"; z = 1; next }
	/^    ttl: 120$/ { print "    ttl: -5"; next }
	/^dns:$/ { print "frobnicate: 1" }
	{ print }' "$T_DIR/good.yaml" >"$CONF"
l_zone=$(grep -n '^  - name: bad\.\.zone$' "$CONF" | cut -d: -f1)
l_ttl=$(grep -n '^    ttl: -5$' "$CONF" | cut -d: -f1)
l_key=$(grep -n '^frobnicate: 1$' "$CONF" | cut -d: -f1)
check_out=$("$DDNSD_BIN" -c "$CONF" --check-config 2>&1)
note "--check-config of the broken file:" "$check_out"
pids_before=$(children "$DAEMON_PID" | tr '\n' ' ')
# broken_refused HOW: the last ddnsctl reload was refused with every problem.
broken_refused()
{
	local l
	assert_eq "reload of a broken config ($1): exit 1" 1 "$CTL_RC"
	assert_eq "reload of a broken config ($1): nothing on stdout" "" "$CTL_OUT"
	for l in "$l_zone" "$l_ttl" "$l_key"; do
		assert_match "reload of a broken config ($1): the problem on line $l as FILE:LINE" \
			"^(ddnsctl: )?$CONF:$l: " "$CTL_ERR"
	done
	assert_match "reload of a broken config ($1): the last line starts with ddnsctl:" '^ddnsctl: ' \
		"$(printf '%s\n' "$CTL_ERR" | tail -n 1)"
}
ctl_raw -s "$SOCK" reload
broken_refused "-s SOCKET: the daemon reads it"
assert_match "reload of a broken config: still serving the previous configuration" \
	'^ddnsctl: reload refused: .*previous' "$(printf '%s\n' "$CTL_ERR" | tail -n 1)"
ctl reload
broken_refused "-c CONFIG: the same file"
sleep 0.5
assert_eq "the broken config started no new workers" "$pids_before" "$(children "$DAEMON_PID" | tr '\n' ' ')"
assert_dns "the old config serves $ZONE2" "host.$ZONE2" A 192.0.2.200
assert_dns "the old config serves $ZONE" "kept.$Z" A 192.0.2.1
ctl_raw -s "$SOCK" --json status
assert_json "status: reloads unchanged by the refused reload" 'j["reloads"]' "$RELOADS" "$CTL_OUT"
printf 'database: data/ddnsd.db\nzones: [\n  - oops\n' >"$CONF"
ctl_raw -s "$SOCK" reload
assert_eq "reload of a config with a YAML error: exit 1" 1 "$CTL_RC"
assert_match "reload of a config with a YAML error: FILE:LINE" "$CONF:[0-9]+: " "$CTL_ERR"
assert_dns "the old config still serves" "host.$ZONE2" A 192.0.2.200

# ---- changes that need a restart
listen_refused()
{
	ctl reload
	assert_ctl_fail "$1" "take effect only on restart"
	sleep 0.3
	assert_eq "$1: no new workers" "$pids_before" "$(children "$DAEMON_PID" | tr '\n' ' ')"
}
other_port=$("$PY" "$SYS_DIR/ports.py" 1)
sed "s/127\\.0\\.0\\.1:$DNS_PORT/127.0.0.1:$other_port/" "$T_DIR/good.yaml" >"$CONF"
listen_refused "reload with another dns.listen port"
q +norec "kept.$Z" A
check_answer "still answering on the old port" NOERROR "qr aa" "kept.$Z. 300 IN A 192.0.2.1"
out=$(dig @127.0.0.1 -p "$other_port" +tries=1 +time=1 +norec "kept.$Z" A 2>&1)
assert_match "nothing answers on the new port" 'connection timed out|no servers could be reached|communications error' "$out"
sed "s/127\\.0\\.0\\.1:$DNS_PORT\"\\]/127.0.0.1:$DNS_PORT\", \"127.0.0.1:$other_port\"]/" "$T_DIR/good.yaml" >"$CONF"
listen_refused "reload with a second dns.listen address"
sed "s/^  workers: $WORKERS\$/  workers: $((WORKERS + 1))/" "$T_DIR/good.yaml" >"$CONF"
listen_refused "reload with another dns.workers"
sed "s/127\\.0\\.0\\.1:$HTTP_PORT/127.0.0.1:$other_port/" "$T_DIR/good.yaml" >"$CONF"
listen_refused "reload with another http.listen"
assert_dns "after the refused reloads: still serving" "host.$ZONE2" A 192.0.2.200

# ---- the good config again
cp "$T_DIR/good.yaml" "$CONF"
add_record "late.$Z" A 192.0.2.99
reload_ok "reload of the good config again" || exit 1
assert_dns "the reload after the refused ones works" "late.$Z" A 192.0.2.99
ONE_ZONE=1
LOG_LEVEL=info
write_http_config
reload_ok "reload that removes $ZONE2" || exit 1
assert_match "reload: zone $ZONE2 removed" "^  zone $ZONE2 removed\$" "$CTL_OUT"
q +norec "host.$ZONE2" A
assert_eq "after removing $ZONE2: REFUSED" REFUSED "$(q_status)"
ctl --json status
assert_json "status: reloads $RELOADS" 'j["reloads"]' "$RELOADS" "$CTL_OUT"
stop_daemon
ctl reload
assert_ctl_fail "reload with the daemon stopped" "daemon not running at $SOCK"
