#!/bin/bash
# t_group_commit.sh - many writers at once share commits, and each of them
# is still told "done" only when its change is committed and served.
# 32 keep-alive HTTP connections send 800 updates together: every one gets
# 200, every value is answered by the first query after its 200, every one
# has its records and audit rows; the SOA serial moves once per commit
# (ddnsd_db_commits_total), by fewer steps than there were changes, and
# ddnsd_db_commit_names_total counts the 800 names.  Then 200 TSIG-signed
# RFC 2136 UPDATEs sent back to back over UDP: 200 signed NOERROR replies,
# all served, fewer serial steps than UPDATEs.  An IXFR from the serial
# before the HTTP burst carries the last value of every name, and the
# daemon restarted on the same database serves them all.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"

ANY_KEY=any-key
ANY_SECRET=$(tsig_secret)
ONE_ZONE=1
Z=$ZONE
key_yaml "$ANY_KEY" hmac-sha256 "$ANY_SECRET" all
ZONE_XFR[$Z]='{ allow: [127.0.0.1] }'
write_xfr_config
sed -i 's/^  capacity: .*/  capacity: 10000/' "$CONF"
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
M=$MASTER

commits() { metric_value ddnsd_db_commits_total; }
names() { metric_value ddnsd_db_commit_names_total; }

s0=$(soa_serial "$Z")
a0=$(audit_rows)
c0=$(commits)
n0=$(names)
assert_match "ddnsd_db_commits_total is exported" '^[0-9]+$' "$c0"

# ---- 800 HTTP updates from 32 connections at once
py_checks group_probe.py http "$HTTP_PORT" "$DNS_PORT" "$M" "$Z" 32 25 "$T_DIR/acks_http"
py_checks http_probe.py dbcheck "$DB" "$Z" g "$T_DIR/acks_http"
assert_eq "800 audit rows" $((a0 + 800)) "$(audit_rows)"
s1=$(soa_serial "$Z")
c1=$(commits)
n1=$(names)
assert_eq "the SOA serial moved once per commit" $((c1 - c0)) $((s1 - s0))
assert_eq "the commits carried the 800 names" 800 $((n1 - n0))
steps=$((s1 - s0))
if [ "$steps" -ge 1 ] && [ "$steps" -lt 800 ]; then
	pass "800 changes took $steps commits (group commit)"
else
	fail "800 changes took fewer than 800 commits" "serial steps: $steps"
fi

# ---- 200 RFC 2136 UPDATEs back to back
py_checks group_probe.py dns "$DNS_PORT" "$Z" "$ANY_KEY" "$ANY_SECRET" 200 "$T_DIR/acks_dns"
s2=$(soa_serial "$Z")
steps=$((s2 - s1))
if [ "$steps" -ge 1 ] && [ "$steps" -lt 200 ]; then
	pass "200 UPDATEs took $steps commits"
else
	fail "200 UPDATEs took fewer than 200 commits" "serial steps: $steps"
fi
assert_eq "the SOA serial moved once per commit (UPDATE)" $(($(commits) - c1)) "$steps"

# ---- an IXFR from before the burst carries the last value of every name
ixfr=$(dig +tcp +tries=1 +time=$((5 * SLOW)) -p "$DNS_PORT" @127.0.0.1 "$Z" IXFR="$s0" 2>&1)
missing=0
looked=0
while read -r _ name ip _; do
	looked=$((looked + 1))
	grep -q "^$name\.$Z\.[[:space:]].*[[:space:]]A[[:space:]]$ip\$" <<<"$ixfr" ||
		missing=$((missing + 1))
done < <(cat "$T_DIR/acks_http" "$T_DIR/acks_dns")
assert_eq "IXFR from serial $s0 adds all 1000 acknowledged values (missing of acknowledged)" "0 of 1000" \
	"$missing of $looked"
assert_match "IXFR ends on the current serial" "SOA.* $s2 " "$(tail -n 5 <<<"$ixfr")"

# ---- restart: every acknowledged value survives
stop_daemon
start_daemon || exit 1
py_checks http_probe.py dnscheck "$DNS_PORT" "$Z" "$T_DIR/acks_http" "$T_DIR/acks_dns"
assert_eq "the serial survives the restart" "$s2" "$(soa_serial "$Z")"
