#!/bin/bash
# t_xfr_nsd.sh - NSD (/usr/sbin/nsd) as a secondary of ddnsd, on loopback,
# with TSIG: the first transfer carries every RRset (pools as plain A
# RRsets of their healthy members); after a NOTIFY signed with the transfer
# key NSD serves an HTTP update within 1 s, by IXFR; deletes, bursts and pool
# health follow; transfers from a source outside transfer.allow, unsigned or
# with a wrong key are refused.
#
# IXFR evidence: NSD does not log whether it received an AXFR or an IXFR, but
# with "store-ixfr: yes" (and no create-ixfr) it keeps only the IXFRs it
# received and serves them on: an incremental answer from NSD to IXFR=OLD
# shows that ddnsd sent it an IXFR.  NSD log lines relied on:
#   "notify for example.test. from 127.0.0.1 serial N"
#   "xfrd: zone example.test committed "received update to serial N ... TSIG verified with key transfer-key""
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"

NSD=/usr/sbin/nsd
primary_for "$NSD"
NSD_PORT=$PEER_PORT

# ---- NSD, unprivileged paths under $T_DIR, secondary of ddnsd with TSIG
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
  # apply a received transfer at once (default: batch for 1 s)
  xfrd-reload-timeout: 0
remote-control:
  control-enable: no
key:
  name: $XFR_KEY
  algorithm: hmac-sha256
  secret: "$XFR_SECRET"
zone:
  name: $ZONE
  zonefile: "$ZONE.zone"
  request-xfr: 127.0.0.1@$DNS_PORT $XFR_KEY
  allow-notify: 127.0.0.1 $XFR_KEY
  # keep received IXFRs and serve them to the test (evidence of IXFR)
  store-ixfr: yes
  ixfr-number: 100
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

# ---- the first transfer
want=$(soa_serial "$ZONE")
nsd_current() { want=$(serial_at "$DNS_PORT" "$ZONE"); [ "$(serial_at "$NSD_PORT" "$ZONE")" = "$want" ]; }
if wait_until $((10000 * SLOW)) nsd_current; then
	pass "NSD transfers the zone from ddnsd (serial $want) within $((10 * SLOW)) s"
else
	fail "NSD transfers the zone from ddnsd (serial $want) within $((10 * SLOW)) s" \
		"NSD serial: $(serial_at "$NSD_PORT" "$ZONE")" "NSD log:" "$(tail -n 20 "$NSD_LOG")" \
		"ddnsd log:" "$(tail -n 20 "$DAEMON_LOG")"
	exit 1
fi
assert_log "NSD log: the transfer was TSIG-verified with $XFR_KEY" \
	"committed \"received update to serial $want .*TSIG verified with key $XFR_KEY" "$NSD_LOG"
xp_checks compare "$DNS_PORT" "$NSD_PORT" "$ZONE" --key "$(keyspec "$XFR_KEY" "$XFR_SECRET")"
secq "$NSD_PORT" +norec "web.$ZONE" A
assert_eq "NSD: pool web as a plain A RRset of both members, TTL 45" \
	"$(printf 'web.%s. 45 IN A 192.0.2.21\nweb.%s. 45 IN A 192.0.2.22' "$ZONE" "$ZONE")" "$(q_section ANSWER)"
assert_eq "NSD: pool hp holds only its healthy member" 127.0.0.1 "$(short_at "$NSD_PORT" "hp.$ZONE" A)"
assert_eq "NSD: the wildcard answers" 192.0.2.50 "$(short_at "$NSD_PORT" "any.wild.$ZONE" A)"
secq "$NSD_PORT" +norec "alias.$ZONE" CNAME
assert_eq "NSD: the CNAME" "alias.$ZONE. 300 IN CNAME host.$ZONE." "$(q_section ANSWER)"

# ---- a small change: NOTIFY, then IXFR
old=$(serial_at "$DNS_PORT" "$ZONE")
follow_checks "$NSD_PORT" NSD
new=$(serial_at "$DNS_PORT" "$ZONE")
assert_log "NSD log: NOTIFY from ddnsd for serial $new" \
	"notify for $ZONE\\. from 127\\.0\\.0\\.1 serial $new\$" "$NSD_LOG"
assert_nomatch "NSD log: no refused NOTIFY" "notify .*(refused|REFUSED|bad|BAD)" "$(cat "$NSD_LOG")"
# nsd_ixfr_from SERIAL: NSD answers IXFR from SERIAL in the incremental form
nsd_ixfr_from()
{
	xp q 127.0.0.1 "$NSD_PORT" "$ZONE" IXFR --serial "$1"
	[ "$(xp_field rcode)" = NOERROR ] && xp_rrs | sed -n 2p |
		grep -Eq "^$ZONE\\. [0-9]+ IN SOA .* $1 [0-9]+ [0-9]+ [0-9]+ [0-9]+\$"
}
if wait_for 5 nsd_ixfr_from "$old"; then
	pass "ddnsd sent NSD IXFRs: NSD serves IXFR from $old incrementally (store-ixfr keeps only received IXFRs)"
else
	fail "ddnsd sent NSD IXFRs: NSD serves IXFR from $old incrementally (within $(secs 5))" "$XP" \
		"NSD log:" "$(tail -n 20 "$NSD_LOG")"
fi
xp_checks compare "$DNS_PORT" "$NSD_PORT" "$ZONE" --key "$(keyspec "$XFR_KEY" "$XFR_SECRET")"

# ---- refused transfers
refusal_checks
assert_eq "ddnsd still serves after the refused transfers" 192.0.2.9 "$(short_at "$DNS_PORT" "host.$ZONE" A)"

kill -TERM "$NSD_PID" 2>/dev/null
wait_until $((5000 * SLOW)) proc_dead "$NSD_PID" || fail "NSD exits on SIGTERM"
stop_daemon
