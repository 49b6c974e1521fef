#!/bin/bash
# t_xfr_knot.sh - Knot DNS (/usr/sbin/knotd) as a secondary of ddnsd, on
# loopback, with TSIG: the bootstrap AXFR carries every RRset (pools as
# plain A RRsets of their healthy members); after a NOTIFY signed with the
# transfer key Knot serves an HTTP update within 1 s, fetched by IXFR;
# deletes, bursts and pool health follow; transfers from a source outside
# transfer.allow, unsigned or with a wrong key are refused.
#
# Knot log lines relied on (knotd 3.x, "log: target: stderr, any: info"):
#   "[example.test.] AXFR, incoming, remote 127.0.0.1@PORT, finished, ..."
#   "[example.test.] IXFR, incoming, remote 127.0.0.1@PORT, finished, ..."
#   "[example.test.] notify, incoming, remote 127.0.0.1@SPORT, serial N"
#   "[example.test.] refresh, remote 127.0.0.1@PORT, zone updated, ..., serial A -> B, ..."
# An IXFR answered AXFR-style is logged by Knot as "receiving AXFR-style
# IXFR" and then as an AXFR, so "IXFR, incoming, ..., finished" means a real
# incremental transfer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"

KNOTD=/usr/sbin/knotd
primary_for "$KNOTD"
KNOT_PORT=$PEER_PORT

# ---- Knot: everything under $T_DIR, secondary of ddnsd with TSIG
KD=$T_DIR/knot
mkdir -p "$KD"
cat >"$KD/knot.conf" <<KNOTCONF
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
template:
  - id: default
    storage: "$KD"
    zonefile-sync: -1
    zonefile-load: none
    journal-content: changes
zone:
  - domain: $ZONE
    master: ddnsd
    acl: notify-from-ddnsd
KNOTCONF
if ! out=$(knotc -c "$KD/knot.conf" conf-check 2>&1); then
	fail "knotc conf-check accepts the Knot config" "$out"
	exit 1
fi
KNOT_LOG=$T_DIR/knot.log
"$KNOTD" -c "$KD/knot.conf" >"$KNOT_LOG" 2>&1 &
KNOT_PID=$!
BG_PIDS+=("$KNOT_PID")
knot_log() { cat "$KNOT_LOG"; }
ZRE=$(printf '%s' "$ZONE" | sed 's/\./\\./g')

# ---- the bootstrap transfer
want=$(soa_serial "$ZONE")
knot_current() { want=$(serial_at "$DNS_PORT" "$ZONE"); [ "$(serial_at "$KNOT_PORT" "$ZONE")" = "$want" ]; }
if wait_until $((10000 * SLOW)) knot_current; then
	pass "Knot transfers the zone from ddnsd (serial $want) within $((10 * SLOW)) s"
else
	fail "Knot transfers the zone from ddnsd (serial $want) within $((10 * SLOW)) s" \
		"Knot serial: $(serial_at "$KNOT_PORT" "$ZONE")" "Knot log:" "$(tail -n 20 "$KNOT_LOG")" \
		"ddnsd log:" "$(tail -n 20 "$DAEMON_LOG")"
	exit 1
fi
assert_log "Knot log: AXFR from ddnsd finished" \
	"\\[$ZRE\\.\\] AXFR, incoming, remote 127\\.0\\.0\\.1@$DNS_PORT, finished" "$KNOT_LOG"
assert_log "Knot log: zone updated to serial $want" \
	"\\[$ZRE\\.\\] refresh, remote 127\\.0\\.0\\.1@$DNS_PORT, zone updated, .*serial none -> $want" "$KNOT_LOG"
xp_checks compare "$DNS_PORT" "$KNOT_PORT" "$ZONE" --key "$(keyspec "$XFR_KEY" "$XFR_SECRET")"
secq "$KNOT_PORT" +norec "web.$ZONE" A
assert_eq "Knot: pool web as a plain A RRset of both members, TTL 45" \
	"$(printf 'web.%s. 45 IN A 192.0.2.21\nweb.%s. 45 IN A 192.0.2.22' "$ZONE" "$ZONE")" "$(q_section ANSWER)"
assert_eq "Knot: pool hp holds only its healthy member" 127.0.0.1 "$(short_at "$KNOT_PORT" "hp.$ZONE" A)"
assert_eq "Knot: the wildcard answers" 192.0.2.50 "$(short_at "$KNOT_PORT" "any.wild.$ZONE" A)"
assert_eq "Knot: the AAAA" 2001:db8::1 "$(short_at "$KNOT_PORT" "v6.$ZONE" AAAA)"

# ---- small changes: NOTIFY, then IXFR
old=$(serial_at "$DNS_PORT" "$ZONE")
follow_checks "$KNOT_PORT" Knot
new=$(serial_at "$DNS_PORT" "$ZONE")
assert_log "Knot log: NOTIFY from ddnsd accepted" \
	"\\[$ZRE\\.\\] notify, incoming, remote 127\\.0\\.0\\.1@[0-9]+, serial [0-9]+" "$KNOT_LOG"
assert_nomatch "Knot log: no NOTIFY denied or failed" "notify, incoming.*(denied|failed|TSIG)" "$(knot_log)"
assert_log "Knot log: IXFR from ddnsd finished" \
	"\\[$ZRE\\.\\] IXFR, incoming, remote 127\\.0\\.0\\.1@$DNS_PORT, finished" "$KNOT_LOG"
assert_log "Knot log: the first change came as serial $old -> $((old + 1))" \
	"\\[$ZRE\\.\\] refresh, remote 127\\.0\\.0\\.1@$DNS_PORT, zone updated, .*serial $old -> $((old + 1))" \
	"$KNOT_LOG"
assert_nomatch "Knot log: no AXFR-style IXFR and no fallback to AXFR" \
	"AXFR-style|fallback to AXFR|IXFR, incoming.*failed" "$(knot_log)"
assert_eq "Knot: exactly one AXFR (the bootstrap)" 1 \
	"$(grep -c "AXFR, incoming, remote 127\\.0\\.0\\.1@$DNS_PORT, finished" "$KNOT_LOG")"
assert_log "Knot log: the zone reached serial $new" \
	"\\[$ZRE\\.\\] refresh, .*zone updated, .*serial [0-9]+ -> $new" "$KNOT_LOG"
xp_checks compare "$DNS_PORT" "$KNOT_PORT" "$ZONE" --key "$(keyspec "$XFR_KEY" "$XFR_SECRET")"

# ---- refused transfers
refusal_checks
assert_eq "ddnsd still serves after the refused transfers" 192.0.2.9 "$(short_at "$DNS_PORT" "host.$ZONE" A)"

kill -TERM "$KNOT_PID" 2>/dev/null
wait_until $((5000 * SLOW)) proc_dead "$KNOT_PID" || fail "knotd exits on SIGTERM"
stop_daemon
