#!/bin/bash
# t_xfr_ddnsd.sh - ddnsd's zone transfers, as primary and as secondary.
#
# Primary: one SOA serial step per HTTP update; AXFR (TSIG-signed, every
# message verified) starts and ends with the SOA and holds every RRset the
# daemon answers (pools as their healthy members); IXFR from a journalled
# serial is the RFC 1995 incremental form carrying only the differences,
# and applied to the old AXFR gives the new one; IXFR from the current
# serial is the SOA alone (TCP and UDP); from an unknown serial it is the
# whole zone AXFR-style; AXFR over UDP does not carry the zone.
#
# Secondary: a second ddnsd with "primary:" follows the first: the first
# transfer carries every RRset, an HTTP update on the primary is served by
# the secondary within 1 s (NOTIFY), its own AXFR equals the primary's,
# writes to its copy (HTTP, RFC 2136) are refused, it keeps serving while
# the primary is down and catches up when it is back, and it serves its copy
# after a restart.  It fetches changes by IXFR: the primary's log shows
# "IXFR of example.test from serial A to B to 127.0.0.1" for them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"

pick_ports
read -r SEC_DNS_PORT SEC_HTTP_PORT <<<"$("$PY" "$SYS_DIR/ports.py" 2)"
while [ "$SEC_DNS_PORT" = "$DNS_PORT" ] || [ "$SEC_DNS_PORT" = "$HTTP_PORT" ] ||
	[ "$SEC_HTTP_PORT" = "$DNS_PORT" ] || [ "$SEC_HTTP_PORT" = "$HTTP_PORT" ]; do
	read -r SEC_DNS_PORT SEC_HTTP_PORT <<<"$("$PY" "$SYS_DIR/ports.py" 2)"
done
ONE_ZONE=1
ZONE_XFR[$ZONE]="{ allow: [127.0.0.1], notify: [\"127.0.0.1:$SEC_DNS_PORT\"], tsig: $XFR_KEY }"
key_yaml "$XFR_KEY" hmac-sha256 "$XFR_SECRET"
key_yaml "$UPD_KEY" hmac-sha256 "$UPD_SECRET" all
write_xfr_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
K=$(keyspec "$XFR_KEY" "$XFR_SECRET")
Z=$ZONE
ZRE=$(printf '%s' "$Z" | sed 's/\./\\./g')

# ================================================================ primary

xfr_populate

# ---- one serial step per committed HTTP update, none for an unchanged one
s0=$(soa_serial "$Z")
upd "$MASTER" '{"subdomain":"step","ip":"192.0.2.30"}'
assert_eq "an HTTP create: SOA serial +1" $((s0 + 1)) "$(soa_serial "$Z")"
upd "$MASTER" '{"subdomain":"step","ip":"192.0.2.31"}'
assert_eq "an HTTP change: SOA serial +1" $((s0 + 2)) "$(soa_serial "$Z")"
upd "$MASTER" '{"subdomain":"step","ip":"192.0.2.31"}'
assert_eq "an unchanged HTTP update: serial unchanged" $((s0 + 2)) "$(soa_serial "$Z")"

# ---- AXFR
S1=$(soa_serial "$Z")
xp q 127.0.0.1 "$DNS_PORT" "$Z" AXFR --key "$K"
AX1=$(xp_rrs)
assert_eq "AXFR signed with $XFR_KEY: NOERROR, complete" "NOERROR yes" "$(xp_field rcode) $(xp_field complete)" ||
	note "$XP"
assert_eq "AXFR: every message signed and verified" verified "$(xp_field tsig)"
assert_match "AXFR: AA set" '(^| )AA( |$)' "$(xp_field flags)"
assert_match "AXFR: starts with the SOA, serial $S1" \
	"^$ZRE\\. [0-9]+ IN SOA ns1\\.$ZRE\\. hostmaster\\.$ZRE\\. $S1 " "$(printf '%s\n' "$AX1" | head -n 1)"
assert_eq "AXFR: ends with the same SOA" "$(printf '%s\n' "$AX1" | head -n 1)" "$(printf '%s\n' "$AX1" | tail -n 1)"
assert_eq "AXFR: exactly two SOA records" 2 "$(printf '%s\n' "$AX1" | awk '$4 == "SOA"' | wc -l)"
ax_sorted=$(printf '%s\n' "$AX1" | awk '$4 != "SOA"' | sort)
want=$(sort <<EOF
$Z. 300 IN NS ns1.$Z.
$Z. 300 IN NS ns2.$Z.
host.$Z. 300 IN A 192.0.2.1
v6.$Z. 300 IN AAAA 2001:db8::1
txt.$Z. 300 IN TXT "hello world"
multi.$Z. 120 IN A 192.0.2.2
multi.$Z. 120 IN A 192.0.2.3
alias.$Z. 300 IN CNAME host.$Z.
*.wild.$Z. 300 IN A 192.0.2.50
_acme-challenge.host.$Z. 300 IN TXT "tok-123"
web.$Z. 45 IN A 192.0.2.21
web.$Z. 45 IN A 192.0.2.22
hp.$Z. 30 IN A 127.0.0.1
step.$Z. 300 IN A 192.0.2.31
EOF
)
missing=$(comm -23 <(printf '%s\n' "$want") <(printf '%s\n' "$ax_sorted"))
assert_eq "AXFR: holds every record written (NS, A, AAAA, TXT, CNAME, wildcard, pools)" "" "$missing" ||
	note "AXFR:" "$AX1"
assert_nomatch "AXFR: a pool's down member is left out" '^hp\..* 127\.0\.0\.3$' "$AX1"
extra=$(comm -13 <(printf '%s\n' "$want") <(printf '%s\n' "$ax_sorted") | grep -v "^ns[12]\\.$ZRE\\. ")
assert_eq "AXFR: nothing else (apart from name server addresses)" "" "$extra"
xp_checks compare "$DNS_PORT" "$DNS_PORT" "$Z" --key "$K"
printf '%s\n' "$AX1" >"$T_DIR/axfr.$S1"

# ---- IXFR: the differences since S1
upd "$MASTER" '{"subdomain":"host","ip":"192.0.2.5"}'
upd "$MASTER" '{"subdomain":"newtxt","type":"TXT","value":"added"}'
api "$MASTER" DELETE /records/txt
api "$MASTER" PUT /pools/web '{"policy":"round-robin","members":[{"ip":"192.0.2.21"},{"ip":"192.0.2.23"}],"answers":2,"ttl":45}'
upd "$MASTER" '{"subdomain":"multi","ip":["192.0.2.2","192.0.2.4"],"ttl":120}'
S2=$(soa_serial "$Z")
assert_eq "five changes: serial $S1 -> $((S1 + 5))" $((S1 + 5)) "$S2"
xp_checks ixfrcheck 127.0.0.1 "$DNS_PORT" "$Z" "$S1" "$T_DIR/axfr.$S1" --key "$K"
xp q 127.0.0.1 "$DNS_PORT" "$Z" IXFR --serial $((S2 - 1)) --key "$K"
got=$(xp_rrs | awk '{ $2 = ""; print }' | tr -s ' ')
want=$(printf '%s\n' \
	"$Z. IN SOA ns1.$Z. hostmaster.$Z. $S2" \
	"$Z. IN SOA ns1.$Z. hostmaster.$Z. $((S2 - 1))" \
	"multi.$Z. IN A 192.0.2.3" \
	"$Z. IN SOA ns1.$Z. hostmaster.$Z. $S2" \
	"multi.$Z. IN A 192.0.2.4" \
	"$Z. IN SOA ns1.$Z. hostmaster.$Z. $S2")
assert_eq "IXFR from $((S2 - 1)): exactly the last change, RFC 1995 order" "$want" \
	"$(printf '%s\n' "$got" | sed 's/\( [0-9]*\) [0-9]* [0-9]* [0-9]* [0-9]*$/\1/')"

# ---- IXFR from the current serial: the SOA alone, over TCP and UDP
xp q 127.0.0.1 "$DNS_PORT" "$Z" IXFR --serial "$S2" --key "$K"
assert_eq "IXFR (TCP) from the current serial: NOERROR" NOERROR "$(xp_field rcode)"
assert_match "IXFR (TCP) from the current serial: only the SOA" \
	"^$ZRE\\. [0-9]+ IN SOA [^ ]+ [^ ]+ $S2 [0-9 ]+\$" "$(xp_rrs)"
assert_eq "IXFR (TCP) from the current serial: one record" 1 "$(xp_rrs | grep -c .)"
xp q 127.0.0.1 "$DNS_PORT" "$Z" IXFR --serial "$S2" --key "$K" --udp
assert_eq "IXFR (UDP) from the current serial: NOERROR, signed reply" "NOERROR verified" \
	"$(xp_field rcode) $(xp_field tsig)"
assert_match "IXFR (UDP) from the current serial: only the SOA" \
	"^$ZRE\\. [0-9]+ IN SOA [^ ]+ [^ ]+ $S2 [0-9 ]+\$" "$(xp_rrs)"
assert_eq "IXFR (UDP) from the current serial: one record" 1 "$(xp_rrs | grep -c .)"

# ---- IXFR from a serial that is not in the journal: the whole zone
xp q 127.0.0.1 "$DNS_PORT" "$Z" AXFR --key "$K"
AX2=$(xp_rrs)
old=$(((S2 - 100 + 4294967296) % 4294967296))
xp q 127.0.0.1 "$DNS_PORT" "$Z" IXFR --serial "$old" --key "$K"
assert_eq "IXFR from unknown serial $old: NOERROR, complete" "NOERROR yes" \
	"$(xp_field rcode) $(xp_field complete)"
assert_nomatch "IXFR from an unknown serial: AXFR-style (the second record is not a SOA)" " IN SOA " \
	"$(xp_rrs | sed -n 2p)"
assert_eq "IXFR from an unknown serial: the same records as AXFR" "$(printf '%s\n' "$AX2" | sort)" \
	"$(xp_rrs | sort)"

# ---- AXFR over UDP does not carry the zone
xp q 127.0.0.1 "$DNS_PORT" "$Z" AXFR --udp --key "$K"
r=$(xp_field rcode)
if { [ "$r" = REFUSED ] || [ "$r" = FORMERR ] || [ "$r" = NOTIMP ] ||
	printf '%s\n' "$(xp_field flags)" | grep -qw TC; } &&
	[ "$(xp_rrs | grep -vc ' IN SOA ')" = 0 ]; then
	pass "AXFR over UDP: $r$(xp_field flags | grep -qw TC && echo ', TC'), no zone data"
else
	fail "AXFR over UDP: REFUSED, FORMERR, NOTIMP or TC, and no zone data" "$XP"
fi

# ================================================================ secondary

ZONE_PRIMARY[$Z]="127.0.0.1:$DNS_PORT"
ZONE_XFR[$Z]="{ allow: [127.0.0.1], tsig: $XFR_KEY }"
write_sec_config || exit 1
run_ddnsd -c "$SEC_CONF" --check-config
assert_eq "--check-config accepts a secondary zone (primary: + transfer:)" 0 "$RC" || note "$OUT" "$(cat "$SEC_CONF")"
run_ddnsd -c "$SEC_CONF" --init-db
start_sec || exit 1
want=$(soa_serial "$Z")
sec_current() { want=$(serial_at "$DNS_PORT" "$Z"); [ "$(serial_at "$SEC_DNS_PORT" "$Z")" = "$want" ]; }
if wait_until $((5000 * SLOW)) sec_current; then
	pass "the secondary transfers the zone (serial $want) within $((5 * SLOW)) s"
else
	fail "the secondary transfers the zone (serial $want) within $((5 * SLOW)) s" \
		"secondary serial: $(serial_at "$SEC_DNS_PORT" "$Z")" "secondary log:" "$(tail -n 20 "$SEC_LOG")" \
		"primary log:" "$(tail -n 20 "$DAEMON_LOG")"
	exit 1
fi
xp_checks compare "$DNS_PORT" "$SEC_DNS_PORT" "$Z" --key "$K"
secq "$SEC_DNS_PORT" +norec "$Z" SOA
assert_eq "secondary: AA on its copy" "qr aa" "$(q_flags)"
secq "$SEC_DNS_PORT" +norec "nope.$Z" A
assert_eq "secondary: NXDOMAIN for a name the zone lacks" NXDOMAIN "$(q_status)"

log_mark=$(wc -l <"$DAEMON_LOG")
follow_checks "$SEC_DNS_PORT" "secondary ddnsd"
# the primary logs each transfer it serves: "IXFR of ZONE from serial A to B to ADDR"
ixfr_logged()
{
	tail -n +$((log_mark + 1)) "$DAEMON_LOG" |
		grep -Eq "IXFR of $ZRE from serial [0-9]+ to [0-9]+ to 127\\.0\\.0\\.1"
}
assert_eventually "the secondary fetched the changes by IXFR (primary's log)" 5 ixfr_logged

# ---- the secondary's own AXFR is the primary's
xp q 127.0.0.1 "$DNS_PORT" "$Z" AXFR --key "$K"
pax=$(xp_rrs | sort)
xp q 127.0.0.1 "$SEC_DNS_PORT" "$Z" AXFR --key "$K"
assert_eq "AXFR from the secondary: NOERROR, signed" "NOERROR verified" "$(xp_field rcode) $(xp_field tsig)"
assert_eq "AXFR from the secondary equals the primary's" "$pax" "$(xp_rrs | sort)"
xp q 127.0.0.1 "$SEC_DNS_PORT" "$Z" AXFR --src 127.0.0.2 --key "$K"
assert_eq "AXFR from the secondary to 127.0.0.2 (not allowed): REFUSED" REFUSED "$(xp_field rcode)"

# ---- writes to the secondary's copy are refused
s=$(serial_at "$SEC_DNS_PORT" "$Z")
api "$MASTER" POST /update '{"subdomain":"onsec","ip":"192.0.2.77"}' \
	--connect-to "127.0.0.1:$HTTP_PORT:127.0.0.1:$SEC_HTTP_PORT"
case $H_CODE in
4??) pass "POST /update to the secondary: refused (HTTP $H_CODE)" ;;
*) fail "POST /update to the secondary: refused with a 4xx" "HTTP $H_CODE: $H_BODY" ;;
esac
nsu "$SEC_DNS_PORT" "update add onsec.$Z 60 A 192.0.2.78" -y "hmac-sha256:$UPD_KEY:$UPD_SECRET"
assert_nsu_fail "RFC 2136 UPDATE to the secondary: REFUSED" 'update failed: REFUSED'
assert_eq "the secondary's copy is unchanged" "$s" "$(serial_at "$SEC_DNS_PORT" "$Z")"
assert_eq "secondary: no onsec record" "" "$(short_at "$SEC_DNS_PORT" "onsec.$Z" A)"
assert_eq "primary: no onsec record" "" "$(short_at "$DNS_PORT" "onsec.$Z" A)"

# ---- the primary down: the secondary keeps serving; back: it catches up
stop_daemon
assert_eq "primary down: the secondary still answers" 192.0.2.9 "$(short_at "$SEC_DNS_PORT" "host.$Z" A)"
sleep 1
assert_eq "primary down for 1 s: the secondary still answers, same serial" "192.0.2.9 $s" \
	"$(short_at "$SEC_DNS_PORT" "host.$Z" A) $(serial_at "$SEC_DNS_PORT" "$Z")"
start_daemon || exit 1
wait_http || exit 1
# members start healthy after a restart: let the check take 127.0.0.3 out again
hp_settled() { [ "$(short_at "$DNS_PORT" "hp.$Z" A)" = 127.0.0.1 ]; }
wait_until $((5000 * SLOW)) hp_settled
serial_settled
upd "$MASTER" '{"subdomain":"host","ip":"192.0.2.10"}'
assert_status "primary back: POST /update" 200
if wait_short "$SEC_DNS_PORT" "host.$Z" A 192.0.2.10 $((1000 * SLOW)); then
	pass "primary back: the secondary serves its next update within $SLOW s (took $WAIT_MS ms)"
else
	fail "primary back: the secondary serves its next update within $SLOW s" \
		"secondary: $(short_at "$SEC_DNS_PORT" "host.$Z" A)" "secondary log:" "$(tail -n 20 "$SEC_LOG")"
fi

# ---- a restarted secondary serves its copy at once
serial_settled
assert_eventually "the secondary has the primary's serial before its restart" 2 \
	serial_as_primary "$SEC_DNS_PORT"
s=$(serial_at "$SEC_DNS_PORT" "$Z")
stop_sec
start_sec || exit 1
assert_eq "restarted secondary: serves its copy (serial $s)" "192.0.2.10 $s" \
	"$(short_at "$SEC_DNS_PORT" "host.$Z" A) $(serial_at "$SEC_DNS_PORT" "$Z")"
stop_sec
stop_daemon
