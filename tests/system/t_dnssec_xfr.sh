#!/bin/bash
# t_dnssec_xfr.sh - a signed zone (zones[].dnssec) carried by zone transfer:
# NSD (/usr/sbin/nsd) and Knot DNS (/usr/sbin/knotd), plain secondaries of
# ddnsd on loopback with TSIG, serve it as they got it; a validating Unbound
# pointed at each secondary, anchored with `ddnsctl dnssec dnskey`, answers an
# A, a wildcard and an NXDOMAIN with the ad flag; each secondary's AXFR
# passes ldns-verify-zone and dnssec-verify; after an update and a delete on
# ddnsd (NOTIFY, then IXFR or AXFR) each secondary's answers validate with
# the new state within a bounded poll.
#
# DNSSEC_ALG chooses the algorithm (default ecdsap256sha256), DNSSEC_DENIAL
# the denial (default nsec3).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"
. "$(dirname "$0")/dnssec_lib.sh"

NSD=/usr/sbin/nsd
KNOTD=/usr/sbin/knotd
for b in "$NSD" "$KNOTD"; do
	[ -x "$b" ] || { skip "$b as a secondary: not installed (tools/deps.sh --test installs it)"; exit 0; }
done
dnssec_tools
ALG=${DNSSEC_ALG:-ecdsap256sha256}
DENIAL=${DNSSEC_DENIAL:-nsec3}
declare -A ALG_NUM=([ecdsap256sha256]=13 [ed25519]=15)
Z=$ZONE
ONE_ZONE=1
pick_ports
NSD_PORT=$(free_port) || exit 1
KNOT_PORT=$(free_port) || exit 1
declare -A SEC_PORT=([nsd]=$NSD_PORT [knot]=$KNOT_PORT)

# ---- ddnsd: the signing primary, NOTIFY to both secondaries
ZONE_XFR[$Z]="{ allow: [127.0.0.1], notify: [\"127.0.0.1:$NSD_PORT\", \"127.0.0.1:$KNOT_PORT\"], tsig: $XFR_KEY }"
key_yaml "$XFR_KEY" hmac-sha256 "$XFR_SECRET"
dnssec_config "$ALG" "$DENIAL"
dnssec_up
dnssec_populate
A=$T_DIR/anchor
ctl_anchor "$Z" "${ALG_NUM[$ALG]}" "$A" || exit 1
verify_axfr "$Z" "$DNS_PORT" -y "hmac-sha256:$XFR_KEY:$XFR_SECRET"

# ---- NSD, unprivileged paths under $T_DIR
ND=$T_DIR/nsd
mkdir -p "$ND"
cat >"$ND/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1
  port: $NSD_PORT
  do-ip4: yes
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "$ND"
  xfrdir: "$ND"
  xfrdfile: "$ND/xfrd.state"
  zonelistfile: "$ND/zone.list"
  pidfile: "$ND/nsd.pid"
  database: ""
  server-count: 1
  verbosity: 2
  xfrd-reload-timeout: 0
remote-control:
  control-enable: no
key:
  name: $XFR_KEY
  algorithm: hmac-sha256
  secret: "$XFR_SECRET"
zone:
  name: $Z
  zonefile: "$Z.zone"
  request-xfr: 127.0.0.1@$DNS_PORT $XFR_KEY
  allow-notify: 127.0.0.1 $XFR_KEY
  provide-xfr: 127.0.0.1 NOKEY
EOF
if ! out=$(nsd-checkconf "$ND/nsd.conf" 2>&1); then
	fail "nsd-checkconf accepts the NSD config" "$out"
	exit 1
fi
NSD_LOG=$T_DIR/nsd.log
"$NSD" -d -c "$ND/nsd.conf" >"$NSD_LOG" 2>&1 &
NSD_PID=$!
BG_PIDS+=("$NSD_PID")

# ---- Knot, a plain secondary (no signing of its own)
KD=$T_DIR/knot
mkdir -p "$KD"
cat >"$KD/knot.conf" <<EOF
server:
    rundir: "$KD"
    pidfile: "$KD/knot.pid"
    listen: 127.0.0.1@$KNOT_PORT
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "$KD/knot.sock"
log:
  - target: stderr
    any: info
database:
    storage: "$KD"
key:
  - id: $XFR_KEY
    algorithm: hmac-sha256
    secret: $XFR_SECRET
remote:
  - id: ddnsd
    address: 127.0.0.1@$DNS_PORT
    key: $XFR_KEY
acl:
  - id: notify-from-ddnsd
    address: 127.0.0.1
    key: $XFR_KEY
    action: notify
  - id: transfer-to-test
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "$KD"
    zonefile-sync: -1
    zonefile-load: none
    journal-content: changes
zone:
  - domain: $Z
    master: ddnsd
    acl: [notify-from-ddnsd, transfer-to-test]
EOF
if ! out=$(knotc -c "$KD/knot.conf" conf-check 2>&1); then
	fail "knotc conf-check accepts the Knot config" "$out"
	exit 1
fi
KNOT_LOG=$T_DIR/knot.log
"$KNOTD" -c "$KD/knot.conf" >"$KNOT_LOG" 2>&1 &
KNOT_PID=$!
BG_PIDS+=("$KNOT_PID")

# ---- both have the zone: the primary's serial, and its DNSKEYs
for s in NSD Knot; do
	if [ $s = NSD ]; then p=$NSD_PORT log=$NSD_LOG; else p=$KNOT_PORT log=$KNOT_LOG; fi
	want=$(serial_at "$DNS_PORT" "$Z")
	if wait_for 10 serial_as_primary "$p"; then
		pass "$s transfers the signed zone from ddnsd (serial $want)"
	else
		fail "$s transfers the signed zone from ddnsd (serial $want) within $(secs 10)" \
			"$s serial: $(serial_at "$p" "$Z")" "$s log:" "$(tail -n 20 "$log")"
		exit 1
	fi
	anchor_from_server "$p" "$Z" "$T_DIR/anchor.$s"
	assert_eq "$s serves the DNSKEY RRset ddnsctl prints" \
		"$(awk '{ $2 = ""; print }' "$A" | sort)" "$(awk '{ $2 = ""; print }' "$T_DIR/anchor.$s" | sort)"
done

# ---- Unbound at each secondary: validated answers; the AXFR a secondary gives
UB=
ub_start nsd "$Z" "$NSD_PORT" "$A" || exit 1
ub_start knot "$Z" "$KNOT_PORT" "$A" || exit 1
for s in nsd knot; do
	ub_use $s
	assert_ad "host.$Z" A "via $s: A" NOERROR 'IN A 192\.0\.2\.1$'
	assert_ad "x.wild.$Z" TXT "via $s: wildcard" NOERROR '"wild"'
	assert_ad "nope.$Z" A "via $s: NXDOMAIN" NXDOMAIN ""
	assert_ad "b.$Z" A "via $s: empty non-terminal" NOERROR ""
done
verify_axfr "$Z" "$NSD_PORT"
verify_axfr "$Z" "$KNOT_PORT"

# ---- an update and a delete on ddnsd reach both, validated; the IXFR that
# carries them, applied to the zone before, is exactly the zone after
K=$(keyspec "$XFR_KEY" "$XFR_SECRET")
S1=$(serial_at "$DNS_PORT" "$Z")
xp q 127.0.0.1 "$DNS_PORT" "$Z" AXFR --key "$K"
xp_rrs >"$T_DIR/axfr.$S1"
upd "$MASTER" '{"subdomain":"host","ip":"192.0.2.10"}'
assert_status "POST /update host 192.0.2.10" 200
api "$MASTER" DELETE /records/v6
assert_status "DELETE /records/v6" 200
for s in nsd knot; do
	ub_use $s
	t0=$(now_ms)
	if wait_for 5 ad_ok "host.$Z" A NOERROR 'IN A 192\.0\.2\.10$'; then
		pass "via $s: the updated A validates within $(secs 5) (took $(($(now_ms) - t0)) ms)"
	else
		fail "via $s: the updated A validates within $(secs 5)" "got: $(vq_status), flags: $(vq_flags)" \
			"$(vq_answer)" "unbound says:" "$(ub_why)" "$(serial_as_primary "${SEC_PORT[$s]}")"
	fi
	if wait_for 5 ad_ok "v6.$Z" AAAA NXDOMAIN ""; then
		pass "via $s: the deleted name is a validated NXDOMAIN within $(secs 5)"
	else
		fail "via $s: the deleted name is a validated NXDOMAIN within $(secs 5)" \
			"got: $(vq_status), flags: $(vq_flags)" "$(vq_answer)" "unbound says:" "$(ub_why)"
	fi
done
assert_eventually "NSD: the primary's serial after the update" 5 serial_as_primary "$NSD_PORT"
assert_eventually "Knot: the primary's serial after the update" 5 serial_as_primary "$KNOT_PORT"
xp_checks ixfrcheck 127.0.0.1 "$DNS_PORT" "$Z" "$S1" "$T_DIR/axfr.$S1" --key "$K"
# the changes went as IXFR, signatures and NSEC3 or NSEC records with them (not the
# whole zone in AXFR form)
assert_log "Knot took the changes as an IXFR" "IXFR, incoming, remote 127\\.0\\.0\\.1@$DNS_PORT.*finished" \
	"$KNOT_LOG"
if grep -q "AXFR-style" "$KNOT_LOG"; then
	fail "Knot got differences, not the whole zone" "$(grep "AXFR-style" "$KNOT_LOG" | tail -n 3)"
else
	pass "Knot got differences, not the whole zone"
fi
verify_axfr "$Z" "$NSD_PORT"
verify_axfr "$Z" "$KNOT_PORT"

ub_stop nsd
ub_stop knot
kill -TERM "$NSD_PID" "$KNOT_PID" 2>/dev/null
wait_until $((5000 * SLOW)) all_dead "$NSD_PID" "$KNOT_PID" || fail "NSD and Knot exit on SIGTERM"
stop_daemon
