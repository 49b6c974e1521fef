#!/bin/bash
# t_tsig.sh - TSIG (RFC 8945) on queries, transfers and NOTIFY.
#
# A query signed with a configured key (hmac-sha256, hmac-sha512; UDP and
# TCP; dig -y and kdig -y) gets a signed reply that verifies, whatever its
# rcode; an unknown key gives NOTAUTH + BADKEY, a wrong secret NOTAUTH +
# BADSIG, a clock an hour off NOTAUTH + BADTIME; unsigned queries are
# answered as ever.  Transfers of a zone with transfer.tsig: only from
# transfer.allow and only signed with that key (REFUSED otherwise, NOTAUTH
# for a bad signature), every message of the reply signed; a zone without
# transfer.tsig transfers unsigned to transfer.allow only.  NOTIFY after a
# commit reaches each transfer.notify target, signed with the zone's key.
# UPDATE rights come from update: grants only: the zone's transfer key and a
# key without update: get REFUSED and change nothing (row, answer, serial),
# the refusal is logged, the key no zone transfers with is warned about at
# start; a key granted host.Z A updates it with nsupdate.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"

K512=key512
K512_SECRET=$(tsig_secret 64)
pick_ports
NOTIFY_PORT=$("$PY" "$SYS_DIR/ports.py" 1)
[ "$NOTIFY_PORT" != "$DNS_PORT" ] && [ "$NOTIFY_PORT" != "$HTTP_PORT" ] || NOTIFY_PORT=$("$PY" "$SYS_DIR/ports.py" 1)
ONE_ZONE=0
Z=$ZONE
Z2=$ZONE2
ZRE=$(printf '%s' "$Z" | sed 's/\./\\./g')
ZONE_XFR[$Z]="{ allow: [127.0.0.1], notify: [\"127.0.0.1:$NOTIFY_PORT\"], tsig: $XFR_KEY }"
ZONE_XFR[$Z2]="{ allow: [\"127.0.0.1/32\"] }"
key_yaml "$XFR_KEY" hmac-sha256 "$XFR_SECRET"
key_yaml "$K512" hmac-sha512 "$K512_SECRET"
key_yaml "$UPD_KEY" hmac-sha256 "$UPD_SECRET" "\"host.$Z\"" "A"
write_xfr_config
init_db || exit 1
add_record "host.$Z" A 192.0.2.1
add_record "host.$Z2" A 192.0.2.2
NOTIFY_LOG=$T_DIR/notify.log
: >"$NOTIFY_LOG"
"$PY" "$T_DIR/xfrprobe.py" notifylisten "$NOTIFY_PORT" "$NOTIFY_LOG" $((100 * SLOW)) \
	--key "$(keyspec "$XFR_KEY" "$XFR_SECRET")" &
BG_PIDS+=("$!")
udp_bound() { ss -lunH "( sport = :$1 )" | grep -q .; }
assert_eventually "the NOTIFY listener is bound to 127.0.0.1:$NOTIFY_PORT" 5 udp_bound "$NOTIFY_PORT"
start_daemon || exit 1
wait_http || exit 1
K=$(keyspec "$XFR_KEY" "$XFR_SECRET")
K5=$(keyspec "$K512" "$K512_SECRET" hmac-sha512)

# ---- signed queries get signed replies
out=$(dnsq +norec -y "hmac-sha256:$XFR_KEY:$XFR_SECRET" "$Z" SOA)
assert_match "dig -y $XFR_KEY SOA: NOERROR" 'status: NOERROR' "$out"
assert_match "dig -y: the reply carries a TSIG record without error" \
	"^$XFR_KEY\\.[[:space:]]+0[[:space:]]+ANY[[:space:]]+TSIG[[:space:]]+hmac-sha256\\. [0-9]+ [0-9]+ 32 [^ ]+ [0-9]+ NOERROR " "$out"
assert_nomatch "dig -y: the reply's signature verifies" "tsig verify failure|Couldn't verify|could not be validated|expected a TSIG" "$out"
out=$(timeout $((10 * SLOW)) kdig @127.0.0.1 -p "$DNS_PORT" +norec -y "hmac-sha256:$XFR_KEY:$XFR_SECRET" "$Z" SOA 2>&1)
assert_match "kdig -y: TSIG pseudosection with NOERROR" "^$XFR_KEY\\.[[:space:]].*TSIG[[:space:]]+hmac-sha256\\. .* NOERROR" "$out"
assert_nomatch "kdig -y: the reply verifies (no warning)" 'WARNING|failed to verify' "$out"
assert_match "kdig -y: the SOA answer" "^$ZRE\\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+SOA" "$out"

xp q 127.0.0.1 "$DNS_PORT" "host.$Z" A --key "$K"
assert_eq "signed A query (UDP): NOERROR, reply verified" "NOERROR verified" "$(xp_field rcode) $(xp_field tsig)"
assert_eq "signed A query: the answer" "host.$Z. 300 IN A 192.0.2.1" "$(xp_rrs)"
xp q 127.0.0.1 "$DNS_PORT" "host.$Z" A --key "$K" --tcp
assert_eq "signed A query (TCP): NOERROR, reply verified" "NOERROR verified" "$(xp_field rcode) $(xp_field tsig)"
xp q 127.0.0.1 "$DNS_PORT" "host.$Z" A --key "$K5"
assert_eq "query signed with hmac-sha512: NOERROR, reply verified" "NOERROR verified" "$(xp_field rcode) $(xp_field tsig)"
xp q 127.0.0.1 "$DNS_PORT" "nope.$Z" A --key "$K"
assert_eq "signed query for a missing name: NXDOMAIN, reply verified" "NXDOMAIN verified" "$(xp_field rcode) $(xp_field tsig)"
xp q 127.0.0.1 "$DNS_PORT" "x.elsewhere.test" A --key "$K"
assert_eq "signed query outside our zones: REFUSED, reply verified" "REFUSED verified" "$(xp_field rcode) $(xp_field tsig)"
xp q 127.0.0.1 "$DNS_PORT" "host.$Z" A
assert_eq "unsigned query: NOERROR, no TSIG" "NOERROR none" "$(xp_field rcode) $(xp_field tsig)"

# ---- bad signatures
xp q 127.0.0.1 "$DNS_PORT" "host.$Z" A --key "$(keyspec no-such-key "$XFR_SECRET")"
assert_eq "unknown key: NOTAUTH, TSIG error BADKEY" "NOTAUTH BADKEY" "$(xp_field rcode) $(xp_field tsig)"
assert_eq "unknown key: no answer" "" "$(xp_rrs)"
xp q 127.0.0.1 "$DNS_PORT" "host.$Z" A --key "$(keyspec "$XFR_KEY" "$(tsig_secret)")"
assert_eq "wrong secret: NOTAUTH, TSIG error BADSIG" "NOTAUTH BADSIG" "$(xp_field rcode) $(xp_field tsig)"
assert_eq "wrong secret: no answer" "" "$(xp_rrs)"
xp q 127.0.0.1 "$DNS_PORT" "host.$Z" A --key "$(keyspec "$XFR_KEY" "$XFR_SECRET" hmac-sha512)"
assert_eq "right name, wrong algorithm: NOTAUTH, TSIG error BADKEY" "NOTAUTH BADKEY" "$(xp_field rcode) $(xp_field tsig)"
xp q 127.0.0.1 "$DNS_PORT" "host.$Z" A --key "$K" --skew 3600
assert_eq "signed an hour in the future: NOTAUTH, TSIG error BADTIME" "NOTAUTH BADTIME" \
	"$(xp_field rcode) $(xp_field tsig)"
xp q 127.0.0.1 "$DNS_PORT" "host.$Z" A --key "$K" --skew -3600
assert_eq "signed an hour in the past: NOTAUTH, TSIG error BADTIME" "NOTAUTH BADTIME" \
	"$(xp_field rcode) $(xp_field tsig)"
out=$(dnsq +norec -y "hmac-sha256:$XFR_KEY:$(tsig_secret)" "$Z" SOA)
assert_match "dig with a wrong secret: status NOTAUTH" 'status: NOTAUTH' "$out"
assert_match "dig with a wrong secret: TSIG error BADSIG" ' BADSIG ' "$out"
xp q 127.0.0.1 "$DNS_PORT" "host.$Z" A --key "$K"
assert_eq "after the bad ones, a signed query still verifies" "NOERROR verified" "$(xp_field rcode) $(xp_field tsig)"

# ---- transfers of a zone with transfer.tsig
xp q 127.0.0.1 "$DNS_PORT" "$Z" AXFR --key "$K"
assert_eq "AXFR signed with $XFR_KEY: NOERROR, complete, every message verified" "NOERROR yes verified" \
	"$(xp_field rcode) $(xp_field complete) $(xp_field tsig)"
assert_match "AXFR: carries host.$Z" "^host\\.$ZRE\\. 300 IN A 192\\.0\\.2\\.1\$" "$(xp_rrs)"
xp q 127.0.0.1 "$DNS_PORT" "$Z" IXFR --serial 1 --key "$K"
assert_eq "IXFR signed with $XFR_KEY: NOERROR, verified" "NOERROR verified" "$(xp_field rcode) $(xp_field tsig)"
xp q 127.0.0.1 "$DNS_PORT" "$Z" AXFR
assert_eq "unsigned AXFR: REFUSED, no records" "REFUSED 0" "$(xp_field rcode) $(xp_rrs | grep -c .)"
xp q 127.0.0.1 "$DNS_PORT" "$Z" IXFR --serial 1
assert_eq "unsigned IXFR: REFUSED" REFUSED "$(xp_field rcode)"
xp q 127.0.0.1 "$DNS_PORT" "$Z" AXFR --key "$K5"
assert_eq "AXFR signed with another configured key ($K512): REFUSED, no records" "REFUSED 0" \
	"$(xp_field rcode) $(xp_rrs | grep -c .)"
xp q 127.0.0.1 "$DNS_PORT" "$Z" AXFR --key "$K" --src 127.0.0.2
assert_eq "AXFR from 127.0.0.2 (not in transfer.allow), signed: REFUSED, no records" "REFUSED 0" \
	"$(xp_field rcode) $(xp_rrs | grep -c .)"
xp q 127.0.0.1 "$DNS_PORT" "$Z" AXFR --key "$(keyspec no-such-key "$XFR_SECRET")"
assert_eq "AXFR with an unknown key: NOTAUTH / BADKEY" "NOTAUTH BADKEY" "$(xp_field rcode) $(xp_field tsig)"
xp q 127.0.0.1 "$DNS_PORT" "$Z" AXFR --key "$(keyspec "$XFR_KEY" "$(tsig_secret)")"
assert_eq "AXFR with a wrong secret: NOTAUTH / BADSIG" "NOTAUTH BADSIG" "$(xp_field rcode) $(xp_field tsig)"
out=$(dnsq -y "hmac-sha256:$XFR_KEY:$XFR_SECRET" "$Z" AXFR)
assert_match "dig -y AXFR: the zone, with the closing SOA" "^$ZRE\\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+SOA" "$out"
assert_nomatch "dig -y AXFR: no transfer failure, signatures verify" "Transfer failed|tsig verify failure|Couldn't verify" "$out"
out=$(dnsq "$Z" AXFR)
assert_match "dig AXFR without a key: Transfer failed." 'Transfer failed\.' "$out"

# ---- transfers of a zone without transfer.tsig
xp q 127.0.0.1 "$DNS_PORT" "$Z2" AXFR
assert_eq "$Z2 (no transfer.tsig): unsigned AXFR from 127.0.0.1: NOERROR, complete" "NOERROR yes" \
	"$(xp_field rcode) $(xp_field complete)"
assert_match "$Z2 AXFR carries host.$Z2" "^host\\.$(printf '%s' "$Z2" | sed 's/\./\\./g')\\. 120 IN A 192\\.0\\.2\\.2\$" "$(xp_rrs)"
xp q 127.0.0.1 "$DNS_PORT" "$Z2" AXFR --key "$K"
assert_eq "$Z2: signed AXFR gets a signed transfer" "NOERROR yes verified" \
	"$(xp_field rcode) $(xp_field complete) $(xp_field tsig)"
xp q 127.0.0.1 "$DNS_PORT" "$Z2" AXFR --src 127.0.0.2
assert_eq "$Z2: AXFR from 127.0.0.2: REFUSED" REFUSED "$(xp_field rcode)"

# ---- UPDATE rights by grant only
assert_log "start: a warning for $K512 (no update:, no zone's transfer key)" \
	"master.*: tsig key $K512 has no update: grants; it can no longer UPDATE any zone \(see docs/config\.md, upgrading\)\$" \
	"$DAEMON_LOG"
assert_nomatch "start: no such warning for $XFR_KEY ($Z's transfer key) or $UPD_KEY (granted)" \
	"tsig key ($XFR_KEY|$UPD_KEY) has no update" "$(cat "$DAEMON_LOG")"
host_rows() { sqlite3 "$DB" "SELECT group_concat(value || '/' || coalesce(ttl, '-')) FROM records WHERE name = 'host.$Z'"; }
s0=$(soa_serial "$Z")
rows0=$(host_rows)
assert_eq "before the UPDATEs: host.$Z has its one A row" "192.0.2.1/-" "$rows0"
nsu "$DNS_PORT" "update delete host.$Z A
update add host.$Z 60 A 192.0.2.66" -y "hmac-sha256:$XFR_KEY:$XFR_SECRET"
assert_nsu_fail "UPDATE signed with the transfer key $XFR_KEY: REFUSED" 'update failed: REFUSED'
assert_log "the refusal is logged with the reason" \
	"UPDATE of $ZRE from 127\\.0\\.0\\.1 refused: key $XFR_KEY has no update: grants" "$DAEMON_LOG"
nsu "$DNS_PORT" "update add evil.$Z 60 A 192.0.2.67" -y "hmac-sha512:$K512:$K512_SECRET"
assert_nsu_fail "UPDATE signed with $K512 (no update:): REFUSED" 'update failed: REFUSED'
assert_dns "after the refused UPDATEs: host.$Z answers as before" "host.$Z" A 192.0.2.1
assert_dns "after the refused UPDATEs: no evil.$Z" "evil.$Z" A ""
assert_eq "after the refused UPDATEs: the row unchanged" "$rows0" "$(host_rows)"
assert_eq "after the refused UPDATEs: the serial unchanged" "$s0" "$(soa_serial "$Z")"
nsu "$DNS_PORT" "update delete host.$Z A
update add host.$Z 60 A 192.0.2.66" -y "hmac-sha256:$UPD_KEY:$UPD_SECRET"
assert_nsu_ok "UPDATE signed with $UPD_KEY (granted host.$Z A)"
assert_dns "the granted UPDATE is served" "host.$Z" A 192.0.2.66
assert_eq "the granted UPDATE is stored" "192.0.2.66/60" "$(host_rows)"
nsu "$DNS_PORT" "update add host.$Z 60 TXT \"x\"" -y "hmac-sha256:$UPD_KEY:$UPD_SECRET"
assert_nsu_fail "$UPD_KEY for a type it was not granted (TXT): REFUSED" 'update failed: REFUSED'

# ---- NOTIFY after a commit, signed with the zone's key
upd "$MASTER" "{\"subdomain\":\"host.$Z\",\"ip\":\"192.0.2.9\"}"
assert_status "POST /update host.$Z" 200
s=$(soa_serial "$Z")
got_notify() { grep -q "notify $ZRE\\. serial $s " "$NOTIFY_LOG"; }
if wait_until $((1000 * SLOW)) got_notify; then
	pass "NOTIFY for $Z serial $s reaches the transfer.notify target within $SLOW s"
else
	fail "NOTIFY for $Z serial $s reaches the transfer.notify target within $SLOW s" \
		"received:" "$(cat "$NOTIFY_LOG")" "log:" "$(tail -n 20 "$DAEMON_LOG")"
fi
line=$(grep "notify $ZRE\\. serial $s " "$NOTIFY_LOG" | head -n 1)
assert_match "NOTIFY: signed with $XFR_KEY and verified" ' tsig verified ' "$line"
assert_match "NOTIFY: opcode NOTIFY, AA set" ' opcode NOTIFY aa 1$' "$line"
upd "$MASTER" "{\"subdomain\":\"host.$Z2\",\"ip\":\"192.0.2.8\"}"
assert_status "POST /update host.$Z2" 200
sleep 0.5
assert_nomatch "no NOTIFY for $Z2 (no transfer.notify)" "notify $(printf '%s' "$Z2" | sed 's/\./\\./g')\\." "$(cat "$NOTIFY_LOG")"
n=$(grep -c "notify $ZRE\\. serial $s " "$NOTIFY_LOG")
assert_eq "one NOTIFY for the change (it was answered, so not repeated)" 1 "$n"
stop_daemon
