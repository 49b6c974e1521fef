#!/bin/bash
# t_dnssec_rollover.sh - a ZSK rollover by pre-publication (RFC 7583 3.2.1)
# with short timings (DNSKEY TTL 2 s, propagation delay 1 s, every TTL in the
# zone 2 s, the parent's DS TTL 2 s): `ddnsctl dnssec rollover ZONE zsk`
# publishes a new ZSK, and the daemon alone makes it the signing key once the
# DNSKEY TTL and the delay have passed, replaces the old key's RRSIGs, and
# drops the old key once the zone's TTLs have passed again.  A validating
# Unbound anchored with the DNSKEY RRset from before the rollover answers
# with the ad flag throughout (polled twice a second); at the end every RRSIG
# is the new key's, the DNSKEY RRset holds the KSK and the new ZSK only, and
# the AXFR verifies.  Then a KSK rollover by double-DS (RFC 7583 3.3.2):
# `ddnsctl dnssec ds` shows the new KSK's DS beside the old one; an Unbound
# anchored with those two DS records, as a parent would hold them, validates
# throughout while the daemon swaps the KSKs in the DNSKEY RRset and then
# retires the old one.  DNSSEC_DENIAL chooses the denial (default nsec3).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"
. "$(dirname "$0")/dnssec_lib.sh"

dnssec_tools
Z=$ZONE
ONE_ZONE=1
ZONE_XFR[$Z]="{ allow: [127.0.0.1] }"
pick_ports
DENIAL=${DNSSEC_DENIAL:-nsec3}
dnssec_config ecdsap256sha256 "$DENIAL" 14d
# short timings: every TTL 2 s, the DNSKEY's too, and 1 s of propagation
sed -e 's/^    ttl: 300$/    ttl: 2/' -e 's/minimum: 60 }$/minimum: 2 }/' \
	-e 's/^      signature_validity: 14d$/&\n      dnskey_ttl: 2s\n      propagation_delay: 1s\n      parent_ds_ttl: 2s/' \
	"$CONF" >"$CONF.tmp" && mv "$CONF.tmp" "$CONF"
grep -q '^    ttl: 2$' "$CONF" && grep -q 'minimum: 2 }$' "$CONF" && grep -q 'propagation_delay: 1s' "$CONF" ||
	{ fail "the short timings are in the config" "$(cat "$CONF")"; exit 1; }
dnssec_up
for b in '{"subdomain":"host","ip":"192.0.2.1"}' '{"subdomain":"a.b","ip":"192.0.2.7"}'; do
	upd "$MASTER" "$b"
	assert_status "POST /update $b" 200
done
A=$T_DIR/anchor
ctl_anchor "$Z" 13 "$A" || exit 1
ub_start good "$Z" "$DNS_PORT" "$A" || exit 1

# zsk_tags STATE, ksk_tags STATE: the key tags of the ZSKs (KSKs) in STATE,
# from ddnsctl dnssec status
zsk_tags()
{
	ctl dnssec status "$Z"
	printf '%s\n' "$CTL_OUT" | awk -v s="$1" '$1 == "ZSK" && $6 == s { print $3 }'
}
ksk_tags()
{
	ctl dnssec status "$Z"
	printf '%s\n' "$CTL_OUT" | awk -v s="$1" '$1 == "KSK" && $6 == s { print $3 }'
}
# sig_tag NAME TYPE: the key tag of NAME's RRSIG over TYPE, from ddnsd
sig_tag()
{
	dig @127.0.0.1 -p "$DNS_PORT" +tries=1 +time=$((2 * SLOW)) +norec +dnssec "$1" "$2" 2>/dev/null |
		awk -v t="$2" '$4 == "RRSIG" && $5 == t { print $11; exit }'
}
# dnskeys: the number of DNSKEY records ddnsd serves
dnskeys()
{
	dig @127.0.0.1 -p "$DNS_PORT" +tries=1 +time=$((2 * SLOW)) +norec "$Z" DNSKEY 2>/dev/null |
		awk '$4 == "DNSKEY"' | wc -l
}

# validating_until DONE NAME...: every half second, until DONE succeeds (30 s
# at most), one validating query per NAME through the current Unbound (host:
# its A; nope: NXDOMAIN; b: an empty non-terminal, NODATA); QUERIES counts
# them, BAD the ones without the ad flag (LAST the last of those).  Returns
# DONE's status.
validating_until()
{
	local done=$1 n end=$(($(now_ms) + 30000 * SLOW))
	shift
	QUERIES=0 BAD=0 LAST=""
	while [ "$(now_ms)" -lt "$end" ]; do
		for n in "$@"; do
			QUERIES=$((QUERIES + 1))
			case $n in
			host) ad_ok "host.$Z" A NOERROR 'IN A 192\.0\.2\.1$' ;;
			nope) ad_ok "nope.$Z" A NXDOMAIN "" ;;
			b) ad_ok "b.$Z" A NOERROR "" ;;
			esac || {
				BAD=$((BAD + 1))
				LAST="$n: $(printf '%s\n' "$VQ" | grep -E -m2 'status:|flags:' | tr '\n' ' ')"
			}
		done
		"$done" && return 0
		sleep 0.5
	done
	"$done"
}

old=$(zsk_tags active)
assert_match "one active ZSK before the rollover" '^[0-9]+$' "$old"
assert_eq "host A is signed by it" "$old" "$(sig_tag "host.$Z" A)"
S0=$(serial_at "$DNS_PORT" "$Z")
ctl dnssec rollover "$Z" zsk
assert_ctl_ok "ddnsctl dnssec rollover $Z zsk"
new=$(zsk_tags published)
assert_match "a new ZSK is published" '^[0-9]+$' "$new"
assert_eq "the DNSKEY RRset carries the KSK and both ZSKs" 3 "$(dnskeys)"
assert_eq "host A is still signed by the old ZSK" "$old" "$(sig_tag "host.$Z" A)"
ctl dnssec rollover "$Z" zsk
assert_match "a second rollover while one runs is refused" 'under way' "$CTL_ERR"
# the journal holds no DNSKEY rows: a secondary from before gets the whole zone
xp q 127.0.0.1 "$DNS_PORT" "$Z" IXFR --serial "$S0"
if [ "$(xp_field rcode)" = NOERROR ] && [ "$(xp_rrs | sed -n 2p | awk '{ print $4 }')" != SOA ] &&
	xp_rrs | grep -Eq "[[:space:]]DNSKEY[[:space:]]+256[[:space:]]"; then
	pass "IXFR from serial $S0 (before the new DNSKEY RRset): the whole zone, new key and all"
else
	fail "IXFR from serial $S0 (before the new DNSKEY RRset): the whole zone" "$(xp_rrs | head -n 5)"
fi

# the daemon does the rest; a validator keeps validating all along
done_roll() { [ "$(zsk_tags active)" = "$new" ] && [ -z "$(zsk_tags retired)$(zsk_tags inactive)" ] &&
	[ "$(dnskeys)" = 2 ]; }
validating_until done_roll host nope b
if done_roll; then
	pass "the daemon finished the rollover by itself: ZSK $new active, ZSK $old gone"
else
	fail "the rollover finishes within $((30 * SLOW)) s" "$(ctl dnssec status "$Z"; printf '%s\n' "$CTL_OUT")" \
		"$(grep -i 'zsk' "$DAEMON_LOG" | tail -n 5)"
fi
assert_eq "all $QUERIES validating queries during the rollover were ad" "0" "$BAD${LAST:+ ($LAST)}"
assert_eq "host A is signed by the new ZSK" "$new" "$(sig_tag "host.$Z" A)"
assert_eq "the NXDOMAIN proof is signed by the new ZSK" "$new" \
	"$(sig_tag "nope.$Z" "$(printf '%s' "$DENIAL" | tr a-z A-Z)")"
assert_ad "host.$Z" A "after the rollover: A" NOERROR 'IN A 192\.0\.2\.1$'
assert_log "the log names each step" "ZSK $old removed from the DNSKEY RRset" "$DAEMON_LOG"
verify_axfr "$Z" "$DNS_PORT"

# ---- the KSK, by double-DS
oldk=$(ksk_tags active)
assert_match "one active KSK before its rollover" '^[0-9]+$' "$oldk"
ctl dnssec rollover "$Z" ksk
assert_ctl_ok "ddnsctl dnssec rollover $Z ksk"
assert_match "ddnsctl says to add the new DS to the parent" 'DS to the parent' "$CTL_OUT"
newk=$(ksk_tags ds-only)
assert_match "a new KSK waits for its DS" '^[0-9]+$' "$newk"
ctl dnssec ds "$Z"
printf '%s\n' "$CTL_OUT" >"$T_DIR/ds-anchor"
if [ "$(ctl_lines "$CTL_OUT")" = 2 ] && grep -Eq "[[:space:]]DS[[:space:]]+$oldk[[:space:]]" "$T_DIR/ds-anchor" &&
	grep -Eq "[[:space:]]DS[[:space:]]+$newk[[:space:]]" "$T_DIR/ds-anchor"; then
	pass "ddnsctl dnssec ds shows the DS of both KSKs ($oldk, $newk)"
else
	fail "ddnsctl dnssec ds shows the DS of both KSKs ($oldk, $newk)" "$CTL_OUT"
fi
assert_eq "the new KSK is not in the DNSKEY RRset yet" 2 "$(dnskeys)"
ub_start ds "$Z" "$DNS_PORT" "$T_DIR/ds-anchor" || exit 1
ub_use ds
ksk_done() { [ "$(ksk_tags active)" = "$newk" ] && [ -z "$(ksk_tags inactive)" ] &&
	[ "$(sig_tag "$Z" DNSKEY)" = "$newk" ]; }
validating_until ksk_done host nope
if ksk_done; then
	pass "the daemon finished the KSK rollover: KSK $newk signs the DNSKEY RRset, KSK $oldk retired"
else
	fail "the KSK rollover finishes within $((30 * SLOW)) s" "$(ctl dnssec status "$Z"; printf '%s\n' "$CTL_OUT")" \
		"$(grep -i 'ksk' "$DAEMON_LOG" | tail -n 5)"
fi
assert_eq "all $QUERIES queries through the DS-anchored validator were ad" "0" "$BAD${LAST:+ ($LAST)}"
assert_eq "the DNSKEY RRset holds the new KSK and the ZSK" 2 "$(dnskeys)"
assert_log "the log says the old KSK's DS may leave the parent" \
	"KSK $oldk retired; rollover done: remove its DS" "$DAEMON_LOG"
ctl dnssec ds "$Z"
assert_eq "ddnsctl dnssec ds shows the new KSK's DS only" 1 "$(ctl_lines "$CTL_OUT")"
verify_axfr "$Z" "$DNS_PORT"
